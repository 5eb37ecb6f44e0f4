"""API shapes for cases: what a client sends (Create) and gets back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from casework.deadlines.schemas import ClockRead
from casework.documents.schemas import AttachmentRead
from casework.notices.schemas import NoticeRead
from casework.proceedings.tracks import track_codes
from casework.records.legal_aid_schemas import LegalAidRead
from casework.records.schemas import (
    AgreementRead,
    ArbitrationRead,
    ConfirmationRead,
    DecisionRead,
    LawsuitRead,
    SessionRead,
)

Kind = Literal["petition", "dispute"]
Channel = Literal[
    "visit", "letter", "phone", "online", "mobile_app", "station", "grid_worker", "referral", "hotline",
]
PetitionType = Literal["suggestion", "accusation", "appeal"]
RiskLevel = Literal["low", "medium", "high", "critical"]
PartyRole = Literal["applicant", "respondent", "third_party", "agent"]
PartyKind = Literal["person", "organization", "agency"]
# The registry's tracks (proceedings/data/tracks.json), as a type for the API.
Track = Literal.__getitem__(track_codes())  # type: ignore[misc]

Name = Annotated[str, Meta(min_length=1, max_length=100)]
ShortText = Annotated[str, Meta(max_length=200)]


class PartyCreate(Struct, forbid_unknown_fields=True):
    role: PartyRole
    kind: PartyKind
    name: Name
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    phone: Annotated[str, Meta(max_length=32)] | None = None
    address: ShortText | None = None
    # The party agrees to be told of the case's steps by SMS (None: not asked).
    sms_consent: bool | None = None


class CaseCreate(Struct, forbid_unknown_fields=True):
    kind: Kind
    channel: Channel
    category: Annotated[str, Meta(min_length=1, max_length=64)]
    summary: Annotated[str, Meta(max_length=200)]
    division_code: Annotated[str, Meta(max_length=12)]
    parties: Annotated[list[PartyCreate], Meta(min_length=1, max_length=100)]
    petition_type: PetitionType | None = None
    description: Annotated[str, Meta(max_length=10000)] = ""
    occurred_on: dt.date | None = None
    received_at: dt.datetime | None = None
    headcount: Annotated[int, Meta(ge=1, le=1_000_000)] = 1
    amount_in_dispute: Decimal | None = None  # yuan; range checked in validate_draft
    act_known_on: dt.date | None = None
    # 行政复议法 arts. 20-21: when the act was done, days an obstacle kept the
    # applicant from applying, whether they were told of the right and the
    # period, and whether it concerns immovable property.
    act_on: dt.date | None = None
    obstacle_days: Annotated[int, Meta(ge=0, le=3660)] = 0
    not_informed_of_right: bool = False
    immovable_property: bool = False
    pending_litigation: bool = False
    risk_level: RiskLevel = "low"
    requested_track: Track | None = None
    override_reason: Annotated[str, Meta(max_length=1000)] | None = None


def request_fingerprint(data: CaseCreate) -> bytes:
    return msgspec.json.encode(data, order="deterministic")


# ---------------------------------------------------------------- reading

class BodyRef(Struct):
    id: int
    code: str | None
    name_zh: str | None
    name_en: str | None = None


class ProceedingRead(Struct):
    id: int
    seq: int
    track: str
    state: str
    outcome: str | None
    previous_id: int | None
    body: BodyRef | None
    assignee_id: int | None
    opened_at: dt.datetime
    accepted_at: dt.datetime | None
    concluded_at: dt.datetime | None
    opened_reason: str | None
    details: dict[str, Any]
    clocks: list[ClockRead]


class PartyRead(Struct):
    position: int
    role: str
    kind: str
    name: str
    id_number: str | None  # masked
    phone: str | None  # masked
    address: str | None  # "***" when one is held
    # Agreed at intake to be told of the case's steps by SMS (None: not asked).
    sms_consent: bool | None = None


class RoutingRead(Struct):
    track: str
    rule: str | None
    reason: str
    body: BodyRef | None
    overridden: bool
    override_reason: str | None
    suggested_track: str | None


class RepeatRead(Struct):
    reference: str
    status: str
    stage: str
    track: str
    received_at: str
    terminated: bool
    division_code: str


class FeedbackRead(Struct):
    proceeding: int
    rating: str
    comment: str | None
    created_at: dt.datetime


class CaseListItem(Struct):
    id: int
    reference: str
    kind: str
    petition_type: str | None
    category: str
    summary: str
    division_code: str
    received_at: dt.datetime
    headcount: int
    collective: bool
    risk_level: str
    status: str
    track: str
    stage: str
    body_id: int | None
    next_due_on: dt.date | None
    version: int


class CasePage(Struct):
    """One page, newest first; pass ``next_cursor`` back as ``cursor`` while ``has_more``."""

    items: list[CaseListItem]
    next_cursor: str | None
    has_more: bool


class CaseEvent(Struct):
    id: int
    at: dt.datetime
    type: str
    data: dict[str, Any]
    proceeding_id: int | None
    actor_id: int | None
    actor_role: str | None
    actor: str | None


class CaseEventList(Struct):
    items: list[CaseEvent]


class CaseDetail(Struct):
    """The case as staff see it: personal identifiers masked, every proceeding
    with its clocks, the records, notices and ratings, and the actions the
    caller may take now. ``version`` is the ETag's; send it back in If-Match."""

    id: int
    reference: str
    allowed_actions: list[str]
    kind: str
    channel: str
    petition_type: str | None
    category: str
    summary: str
    description: str
    division_code: str
    occurred_on: dt.date | None
    received_at: dt.datetime
    headcount: int
    collective: bool
    amount_in_dispute: str | None
    act_known_on: dt.date | None
    pending_litigation: bool
    risk_level: str
    status: str
    track: str
    stage: str
    terminated: bool
    not_accepted_reason: str | None
    related_case: str | None
    next_due_on: dt.date | None
    parties: list[PartyRead]
    routing: RoutingRead | None
    proceeding: ProceedingRead | None
    proceedings: list[ProceedingRead]
    possible_repeats: list[RepeatRead]
    sessions: list[SessionRead]
    agreements: list[AgreementRead]
    judicial_confirmations: list[ConfirmationRead]
    reconsideration_decisions: list[DecisionRead]
    lawsuits: list[LawsuitRead]
    arbitrations: list[ArbitrationRead]
    legal_aid: list[LegalAidRead]
    notices: list[NoticeRead]
    feedback: list[FeedbackRead]
    # Files of the case, its proceedings and records (metadata; bytes at each one's ``download``).
    attachments: list[AttachmentRead]
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    version: int


class CaseCreated(CaseDetail):
    """The registered case, with the receipt code the party needs (shown once, stored only hashed)."""

    receipt_code: str
