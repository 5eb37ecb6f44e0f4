"""Piccolo tables for the records. Case, party, proceeding and lawsuit
references are plain BigInt columns; their foreign keys (ON DELETE RESTRICT)
are declared in migration 2026-11-27T05:30 (Piccolo's ForeignKey would
default to cascade)."""

from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, Date, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class MediationAgreement(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt()
    terms = Text()
    signed_on = Date()
    effective_on = Date()
    performance = Text(default="performing")  # performing | performed | breached
    # judicial mediation: court-referred pre-filing (诉前调解, confirmable) or in litigation
    pre_filing = Boolean(null=True)
    mediation_number = Text(null=True)  # the court's 诉前调 number, as given
    mediation_number_key = Text(null=True)
    recorded_by = Integer(null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


class JudicialConfirmation(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    agreement_id = BigInt()
    court = Text()
    applied_on = Date()
    late = Boolean(default=False)
    accepted_on = Date(null=True)
    ruling_number = Text(null=True)
    ruled_on = Date(null=True)
    result = Text(null=True)  # confirmed | rejected
    recorded_by = Integer(null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


class ReconsiderationDecision(Table):
    """Number and dates of a decision; its type is the proceeding's outcome."""

    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt(unique=True)
    decision_number = Text()
    decided_on = Date()
    received_on = Date()
    recorded_by = Integer(null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Lawsuit(Table):
    id = BigSerial(primary_key=True)
    court = Text()
    case_number = Text(index=True)  # the key, (2026)...; one record per scope that linked the suit (docs/access.md)
    case_number_as_given = Text(null=True)  # NULL on rows stored before 2026-11-28T13:00
    case_type = Text()
    cause = Text(default="")
    stage = Text()
    filed_on = Date()
    result = Text(null=True)
    result_on = Date(null=True)
    head_appeared = Boolean(null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class LawsuitCase(Table):
    lawsuit_id = BigInt()
    case_id = BigInt()
    linked_by = Integer(null=True)
    linked_at = Timestamptz(default=TimestamptzNow())


class LawsuitHearing(Table):
    id = BigSerial(primary_key=True)
    lawsuit_id = BigInt()
    held_on = Date()
    kind = Text(default="hearing")
    notes = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class LegalAidRecord(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt()
    party_id = BigInt()
    lawsuit_id = BigInt(null=True)
    centre = Text()
    external_id = Text(null=True, index=True)  # the centre's number; one record per scope
    applied_on = Date()
    aid_type = Text()
    decision = Text(null=True)  # granted | refused
    decided_on = Date(null=True)
    refusal_reason = Text(null=True)
    lawyer_name = Text(null=True)  # kept for one version: worker_name when the worker is a lawyer
    law_firm = Text(null=True)  # the worker's firm or legal-service office
    worker_name = Text(null=True)  # 法律援助人员
    worker_kind = Text(null=True)  # lawyer | grassroots_legal_worker | volunteer | centre_staff
    assigned_on = Date(null=True)
    outcome = Text(null=True)  # concluded | terminated | withdrawn
    outcome_on = Date(null=True)
    termination_reason = Text(null=True)  # art. 48 code (data/legal_aid.json)
    priority = Boolean(default=False)  # art. 44: handled first
    priority_ground = Text(null=True)
    priority_time_limit = Text(null=True)
    priority_due_on = Date(null=True)
    papers_pending = Boolean(default=False)  # aid given before the papers
    papers_completed_on = Date(null=True)
    means_test_waived = Boolean(default=False)  # arts. 32, 42
    means_test_ground = Text(null=True)
    objection_received_on = Date(null=True)
    objection_against = Text(null=True)  # refusal | termination
    objection_bureau = Text(null=True)
    objection_decided_on = Date(null=True)
    objection_result = Text(null=True)  # upheld | rejected
    recorded_by = Integer(null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Arbitration(Table):
    """A labour arbitration (劳动人事争议仲裁) recorded on one case."""

    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt()
    commission = Text()
    case_number = Text(null=True)  # as given
    case_number_key = Text(null=True)
    applied_on = Date()
    cause = Text(default="")
    accepted_on = Date(null=True)
    not_accepted_on = Date(null=True)
    result = Text(null=True)  # award | mediation | withdrawal
    result_on = Date(null=True)
    final_award = Boolean(null=True)
    served_on = Date(null=True)
    recorded_by = Integer(null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class InboundEvent(Table):
    id = BigSerial(primary_key=True)
    system = Text()
    event_id = Text()
    type = Text()
    received_at = Timestamptz(default=TimestamptzNow())
    payload = JSONB()
    applied = JSONB(default={})
