"""What a party sends on the open routes, and what they are shown: the case
by stages, the bodies' names, the time limits and outcomes; never staff
names, reasons written for staff, or other parties' details; and what a
party sends to file online, and the receipt they get back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

# Loose bounds only: a malformed reference is answered like an unknown one.
Reference = Annotated[str, Meta(min_length=1, max_length=40)]
ReceiptCode = Annotated[str, Meta(min_length=1, max_length=20)]
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class LookupRequest(Struct, forbid_unknown_fields=True):
    reference: Reference
    receipt_code: ReceiptCode


class FeedbackRequest(Struct, forbid_unknown_fields=True):
    reference: Reference
    receipt_code: ReceiptCode
    rating: Rating
    comment: Annotated[str, Meta(max_length=1000)] | None = None
    proceeding: Annotated[int, Meta(ge=1, le=100)] | None = None  # seq; default the latest concluded


class PublicStage(Struct, omit_defaults=True):
    """A step the case went through: ``at`` when it happened; the current
    ``handling`` step has ``since`` and ``current`` instead; ``concluded``
    carries its ``outcome``."""

    stage: str
    at: dt.datetime | UnsetType = UNSET
    since: dt.datetime | None | UnsetType = UNSET
    current: bool | UnsetType = UNSET
    outcome: str | None | UnsetType = UNSET
    missing: str | None | UnsetType = UNSET  # 补正: what the body asks the party to supply


class PublicBody(Struct):
    name_zh: str
    name_en: str


class PublicOutcome(Struct):
    code: str
    opinion: str | None  # the body's written opinion, where it gave one


class PublicClock(Struct):
    """A statutory time limit as the party is shown it."""

    time_limit: str
    step: str
    step_zh: str
    whose: str
    length: int
    unit: str
    source: str
    started_on: dt.date
    due_on: dt.date
    status: str
    outcome: str | None
    breached: bool
    stopped_on: dt.date | None
    extended_by: int
    paused_days: int
    provisional: bool
    calendar_incomplete: bool


class PublicRating(Struct):
    rating: str
    at: dt.datetime


class PublicProceeding(Struct):
    seq: int
    track: str
    state: str
    handling_body: PublicBody | None
    opened_at: dt.datetime
    stages: list[PublicStage]
    outcome: PublicOutcome | None
    time_limits: list[PublicClock]
    feedback: PublicRating | None
    can_rate: bool


class PublicCategory(Struct):
    code: str
    label_zh: str
    label_en: str


class NotAcceptedWording(Struct):
    """The standard wording of why the matter was not accepted, and the note
    written for the party (the officer's own reason is never shown)."""

    code: str
    label_zh: str | None
    label_en: str | None
    text_zh: str | None
    text_en: str | None
    note: str | None


class PublicCaseView(Struct):
    """The case as its party follows it; ``stages``, ``handling_body``,
    ``time_limits`` and ``outcome`` are the current proceeding's."""

    reference: str
    kind: str
    category: PublicCategory
    status: str
    not_accepted_reason: str | None
    not_accepted: NotAcceptedWording | None
    terminated: bool
    stages: list[PublicStage]
    handling_body: PublicBody | None
    time_limits: list[PublicClock]
    outcome: PublicOutcome | None
    proceedings: list[PublicProceeding]


class FeedbackReceipt(Struct):
    reference: str
    proceeding: int
    rating: str
    created_at: dt.datetime


# An online application's body: its text fields at their longest, in UTF-8, and the solved challenge.
APPLICATION_MAX_BYTES = 32 * 1024

Text200 = Annotated[str, Meta(min_length=1, max_length=200)]


class Applicant(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    phone: Annotated[str, Meta(min_length=1, max_length=32)]
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    address: Annotated[str, Meta(max_length=200)] | None = None


class Respondent(Struct, forbid_unknown_fields=True):
    """The other side, if there is one (a neighbour, a company, an agency)."""

    kind: Literal["person", "organization", "agency"]
    name: Annotated[str, Meta(min_length=1, max_length=100)]


class ApplicationCreate(Struct, forbid_unknown_fields=True):
    """A petition (信访) or a dispute (矛盾纠纷) filed online by the applicant.

    ``division_code``: the 12-digit division (village or community) where the
    matter arose; it decides the station or body that registers it.
    ``sms_consent``: the applicant agrees to be told of the case's steps by
    SMS. ``altcha``: the solved proof-of-work challenge
    (``GET /api/v1/public/challenge``), base64 JSON as the ALTCHA widget sends it.
    """

    kind: Literal["petition", "dispute"]
    category: Annotated[str, Meta(min_length=1, max_length=64)]
    division_code: Annotated[str, Meta(min_length=1, max_length=12)]
    summary: Text200
    description: Annotated[str, Meta(min_length=1, max_length=5000)]
    applicant: Applicant
    respondent: Respondent | None = None
    petition_type: Literal["suggestion", "accusation", "appeal"] | None = None
    occurred_on: dt.date | None = None
    headcount: Annotated[int, Meta(ge=1, le=10_000)] = 1
    sms_consent: bool = False
    altcha: Annotated[str, Meta(max_length=4000)] | None = None


class ReceivingBody(Struct):
    name_zh: str | None
    name_en: str | None


class ApplicationReceipt(Struct):
    """The answer to an online filing: keep the reference and the receipt
    code; with them ``POST /api/v1/public/lookup`` shows how the case stands.
    The receipt code is shown this once and stored only as a keyed hash."""

    reference: str
    receipt_code: str
    state: str
    state_zh: str
    submitted_at: dt.datetime
    receiving_body: ReceivingBody | None
    message_zh: str


class Challenge(Struct):
    """An ALTCHA proof-of-work challenge (the widget's ``challengeurl`` answer):
    find ``number`` ≤ ``maxnumber`` with SHA-256(salt + number) = challenge,
    and send back base64 JSON {algorithm, challenge, number, salt, signature}."""

    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


class Place(Struct):
    """A village or community an application may be filed for, with the
    names above it (county, township) for the form's list."""

    code: str
    name_zh: str
    path_zh: str


class PlaceList(Struct):
    items: list[Place]
