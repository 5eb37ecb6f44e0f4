"""Request and response shapes for legal-aid records (法律援助), Create and
Read kept apart; the law's codes are data (records/data/legal_aid.json).
The other records' shapes are in records/schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from casework.deadlines.schemas import ClockRead
from casework.records.schemas import (
    AidDecision,
    AidOutcome,
    AidType,
    Code,
    Notes,
    Short,
    StatedPriority,
    WorkerKind,
)


class LegalAidCreate(Struct, forbid_unknown_fields=True):
    party_position: Annotated[int, Meta(ge=1, le=10000)]
    centre: Short
    applied_on: dt.date
    aid_type: AidType
    lawsuit_id: int | None = None
    external_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    # 免予核查经济困难状况 / 不受经济困难条件限制 (法律援助法 arts. 42, 32): the ground's code
    # from data/legal_aid.json, e.g. wage_arrears_or_work_injury.
    means_test_waived: bool = False
    means_test_ground: Code | None = None
    # Priority the centre finds on other grounds than a period ending in under 7 days (art. 44(2), (3)).
    priority_ground: StatedPriority | None = None


class LegalAidDecision(Struct, forbid_unknown_fields=True):
    decision: AidDecision  # granted: 给予法律援助; refused: 不予法律援助
    decided_on: dt.date
    refusal_reason: Notes | None = None
    # A priority application (art. 44) may be granted before its papers are in:
    # the applicant supplies them afterwards (POST .../papers).
    papers_pending: bool = False


class LawyerAssignment(Struct, forbid_unknown_fields=True):
    """The old shape of an assignment, kept for one version: a lawyer."""

    lawyer_name: Short
    assigned_on: dt.date
    law_firm: Annotated[str, Meta(max_length=200)] | None = None


class WorkerAssignment(Struct, forbid_unknown_fields=True):
    """The legal-aid worker (法律援助人员) the centre assigned."""

    worker_name: Short
    worker_kind: WorkerKind
    assigned_on: dt.date
    organisation: Annotated[str, Meta(max_length=200)] | None = None  # law firm, legal-service office, ...


class LegalAidPapers(Struct, forbid_unknown_fields=True):
    received_on: dt.date  # the papers of an application granted before them are complete


class LegalAidOutcome(Struct, forbid_unknown_fields=True):
    outcome: AidOutcome  # concluded: 办结; terminated: 终止法律援助 (art. 48); withdrawn: 撤回
    outcome_on: dt.date | None = None  # defaults to today
    termination_reason: Code | None = None  # required with terminated: an art. 48 code


class LegalAidObjection(Struct, forbid_unknown_fields=True):
    """The applicant objects to a refusal or a termination (法律援助法 art. 49):
    the justice bureau decides within 5 days of receiving it."""

    received_on: dt.date
    against: Literal["refusal", "termination"]
    bureau: Short  # the justice bureau deciding


class ObjectionDecision(Struct, forbid_unknown_fields=True):
    decided_on: dt.date
    result: Literal["upheld", "rejected"]  # upheld: aid is to be given (or continued)


class LegalAidPriority(Struct):
    """Handled first (法律援助法 art. 44): why, and the period that made it urgent."""

    ground: str  # deadline_within_7_days | urgent_preservation | other_rule
    ground_zh: str
    time_limit: str | None  # the party's window ending in under 7 days
    due_on: dt.date | None
    days_left: int | None  # from the application to due_on
    papers_pending: bool  # granted before the papers were in
    papers_completed_on: dt.date | None


class MeansTestWaiver(Struct):
    ground: str
    ground_zh: str
    article: str  # 32(n): no means condition; 42(n): means not checked


class LegalAidWorker(Struct):
    """The legal-aid worker (法律援助人员) assigned."""

    name: str
    kind: str
    kind_zh: str
    organisation: str | None
    assigned_on: dt.date


class LegalAidObjectionRead(Struct):
    """The applicant's objection (法律援助法 art. 49) and the justice bureau's decision."""

    against: str  # refusal | termination
    bureau: str
    received_on: dt.date
    decided_on: dt.date | None
    result: str | None  # upheld | rejected


class LegalAidRead(Struct):
    id: int
    party_position: int
    centre: str
    external_id: str | None
    applied_on: dt.date
    aid_type: str
    lawsuit_id: int | None
    decision: str | None  # granted | refused
    decision_zh: str | None  # 给予法律援助 | 不予法律援助
    decided_on: dt.date | None
    refusal_reason: str | None
    worker: LegalAidWorker | None
    lawyer_name: str | None  # kept for one version: the worker's name when a lawyer
    law_firm: str | None  # kept for one version: worker.organisation
    assigned_on: dt.date | None
    outcome: str | None  # concluded | terminated | withdrawn
    outcome_zh: str | None
    outcome_on: dt.date | None
    termination_reason: str | None  # an art. 48 code
    termination_reason_zh: str | None
    priority: LegalAidPriority | None
    means_test_waiver: MeansTestWaiver | None
    recorded_at: dt.datetime
    clocks: list[ClockRead]
    objection: LegalAidObjectionRead | None = None


class LegalAidList(Struct):
    """The legal-aid applications of a case's parties."""

    items: list[LegalAidRead]
