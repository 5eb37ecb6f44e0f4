"""Request and response shapes for the records (Create and Read kept apart)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from casework.deadlines.schemas import ClockRead

Text = Annotated[str, Meta(min_length=1, max_length=4000)]
Short = Annotated[str, Meta(min_length=1, max_length=200)]
Notes = Annotated[str, Meta(max_length=4000)]

Performance = Literal["performing", "performed", "breached"]
DecisionType = Literal["upheld", "revoked", "modified", "confirmed_unlawful", "confirmed_invalid", "ordered_to_act",
                       "application_dismissed", "claims_dismissed", "dismissed", "mediated", "settled", "terminated",
                       "withdrawn"]
ServiceMethod = Literal["in_person", "post", "electronic", "public_notice"]
CaseType = Literal["civil", "administrative", "enforcement", "criminal"]
Stage = Literal["filed", "first_instance", "second_instance", "retrial", "enforcement"]
LitigationResult = Literal["judgment", "mediation", "withdrawal", "dismissed"]
HearingKind = Literal["hearing", "pre_trial", "mediation", "pronouncement"]
AidType = Literal["legal_advice", "document_drafting", "litigation_representation", "non_litigation_representation",
                  "arbitration_representation", "criminal_defence", "duty_lawyer"]
AidDecision = Literal["granted", "refused"]  # 给予 / 不予法律援助
AidOutcome = Literal["concluded", "terminated", "withdrawn"]  # 办结 / 终止法律援助 / 撤回
# 法律援助人员 (法律援助法 art. 12, 13, 17): data/legal_aid.json names them.
WorkerKind = Literal["lawyer", "grassroots_legal_worker", "volunteer", "centre_staff"]
# Priority grounds a user states (art. 44(2), (3)); a period ending in under
# 7 days (art. 44(1)) is found from the case's clocks, not stated.
StatedPriority = Literal["urgent_preservation", "other_rule"]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
CaseNumberText = Annotated[str, Meta(min_length=1, max_length=60)]
ArbitrationResult = Literal["award", "mediation", "withdrawal"]


# ---------------------------------------------------------------- mediation

class SessionCreate(Struct, forbid_unknown_fields=True):
    held_on: dt.date
    location: Annotated[str, Meta(max_length=200)] | None = None
    participants: Annotated[list[Short], Meta(max_length=100)] | None = None
    notes: Notes | None = None


class SessionRead(Struct):
    id: int
    proceeding_id: int
    held_on: dt.date
    location: str
    mediator: str | None
    participants: list[str]
    notes: str
    recorded_at: dt.datetime


class SessionList(Struct):
    """A case's mediation sessions, in the order held."""

    items: list[SessionRead]


class AgreementCreate(Struct, forbid_unknown_fields=True):
    terms: Text
    signed_on: dt.date
    effective_on: dt.date | None = None  # defaults to signed_on
    # Judicial mediation only: a court-referred pre-filing mediation (委派调解 /
    # 诉前调解), whose agreement may be judicially confirmed, or a mediation in
    # litigation, which ends in the court's own mediation document. Given by
    # the flag, or by the court's number for the mediation: a 诉前调 number,
    # e.g. （2026）晋0403民诉前调12号, is pre-filing; a suit's number is not.
    pre_filing: bool | None = None
    mediation_number: CaseNumberText | None = None


class PerformanceUpdate(Struct, forbid_unknown_fields=True):
    performance: Performance
    notes: Notes | None = None


class AgreementRead(Struct):
    id: int
    proceeding_id: int
    terms: str
    signed_on: dt.date
    effective_on: dt.date
    performance: str
    recorded_at: dt.datetime
    clocks: list[ClockRead]
    track: str  # the mediation's
    pre_filing: bool | None  # judicial mediation: pre-filing (诉前调解) or in litigation; else null
    mediation_number: str | None  # the court's number, shown with full-width parentheses
    mediation_number_as_given: str | None
    confirmable: bool  # judicial confirmation may be applied for


class AgreementList(Struct):
    """A case's mediation agreements."""

    items: list[AgreementRead]


class ConfirmationCreate(Struct, forbid_unknown_fields=True):
    agreement_id: int
    court: Short
    applied_on: dt.date
    late_justification: Notes | None = None


class ConfirmationAccepted(Struct, forbid_unknown_fields=True):
    accepted_on: dt.date


class ConfirmationRuling(Struct, forbid_unknown_fields=True):
    ruling_number: Annotated[str, Meta(min_length=1, max_length=100)]
    ruled_on: dt.date
    result: Literal["confirmed", "rejected"]


class RulingExtension(Struct, forbid_unknown_fields=True):
    days: Annotated[int, Meta(ge=1, le=10)]
    approver: Short  # the court president
    reason: Text
    granted_on: dt.date | None = None


class ConfirmationRead(Struct):
    id: int
    agreement_id: int
    court: str
    applied_on: dt.date
    late: bool
    accepted_on: dt.date | None
    ruling_number: str | None
    ruled_on: dt.date | None
    result: str | None
    recorded_at: dt.datetime
    clocks: list[ClockRead]


class ConfirmationList(Struct):
    """A case's judicial confirmation applications."""

    items: list[ConfirmationRead]


# ---------------------------------------------------------------- reconsideration

class DecisionCreate(Struct, forbid_unknown_fields=True):
    decision_type: DecisionType
    decision_number: Annotated[str, Meta(min_length=1, max_length=100)]
    decided_on: dt.date
    received_on: dt.date  # the party's receipt (service): the 15-day window to sue counts from here
    reason: Notes | None = None
    # How it was served (送达); by post, the posting date too.
    service_method: ServiceMethod = "in_person"
    posted_on: dt.date | None = None
    tracking_number: Annotated[str, Meta(max_length=200)] | None = None


class DecisionRead(Struct):
    id: int
    proceeding_id: int
    decision_type: str  # the reconsideration proceeding's outcome
    decision_number: str
    decided_on: dt.date
    received_on: dt.date
    recorded_at: dt.datetime
    litigation_window: ClockRead | None  # the party's 15 days to sue, from receipt


class DecisionList(Struct):
    """A case's reconsideration decisions."""

    items: list[DecisionRead]


# ---------------------------------------------------------------- litigation

class LawsuitCreate(Struct, forbid_unknown_fields=True):
    case_number: Annotated[str, Meta(min_length=1, max_length=60)]
    court: Short
    case_type: CaseType
    filed_on: dt.date
    stage: Stage = "filed"
    cause: Annotated[str, Meta(max_length=200)] = ""
    head_appeared: bool | None = None


class LawsuitProgress(Struct, forbid_unknown_fields=True):
    stage: Stage | None = None
    result: LitigationResult | None = None
    result_on: dt.date | None = None
    head_appeared: bool | None = None
    # The party received the judgment or ruling (the appeal window runs from it).
    result_document: Literal["judgment", "ruling"] | None = None
    result_served_on: dt.date | None = None
    result_service_method: ServiceMethod = "in_person"
    result_posted_on: dt.date | None = None


class HearingCreate(Struct, forbid_unknown_fields=True):
    held_on: dt.date
    kind: HearingKind = "hearing"
    notes: Notes | None = None


class HearingRead(Struct):
    id: int
    held_on: dt.date
    kind: str
    notes: str


class LawsuitRead(Struct):
    id: int
    case_number: str  # shown as printed: （2026）晋0403民初123号
    case_number_key: str  # (2026)晋0403民初123号: what lookups, pushes and case events use
    case_number_as_given: str | None  # null for suits recorded before 2026-11-28
    type_code: str  # 民初, 行赔初, 执, ... (records/data/case_type_codes.json)
    court: str
    case_type: str
    cause: str
    stage: str
    filed_on: dt.date
    result: str | None
    result_on: dt.date | None
    head_appeared: bool | None
    linked_cases: list[str]  # references within the caller's jurisdiction
    hearings: list[HearingRead]
    updated_at: dt.datetime


class LawsuitList(Struct):
    """The lawsuits linked to a case, in the order filed."""

    items: list[LawsuitRead]


# ---------------------------------------------------------------- labour arbitration

class ArbitrationCreate(Struct, forbid_unknown_fields=True):
    """A labour arbitration application (劳动人事争议仲裁) the commission received."""

    commission: Short  # the labour and personnel dispute arbitration commission
    applied_on: dt.date  # the commission's receipt of the application
    case_number: Annotated[str, Meta(min_length=1, max_length=100)] | None = None  # as the commission wrote it
    cause: Annotated[str, Meta(max_length=200)] = ""


class ArbitrationProgress(Struct, forbid_unknown_fields=True):
    accepted_on: dt.date | None = None  # 受理
    not_accepted_on: dt.date | None = None  # 不予受理
    result: ArbitrationResult | None = None  # award: 仲裁裁决; mediation: 仲裁调解书; withdrawal: 撤回申请
    result_on: dt.date | None = None
    final_award: bool | None = None  # 终局裁决 (art. 47): only the worker may sue against it
    served_on: dt.date | None = None  # the party received the award: its 15 days to sue start
    case_number: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


class ArbitrationExtension(Struct, forbid_unknown_fields=True):
    days: Annotated[int, Meta(ge=1, le=15)]
    approver: Short  # the commission's chair
    reason: Text
    granted_on: dt.date | None = None


class ArbitrationRead(Struct):
    id: int
    proceeding_id: int
    commission: str
    case_number: str | None  # as given
    cause: str
    applied_on: dt.date
    accepted_on: dt.date | None
    not_accepted_on: dt.date | None
    result: str | None
    result_on: dt.date | None
    final_award: bool | None
    served_on: dt.date | None
    recorded_at: dt.datetime
    updated_at: dt.datetime
    clocks: list[ClockRead]


class ArbitrationList(Struct):
    """A case's labour arbitrations, in the order applied for."""

    items: list[ArbitrationRead]
