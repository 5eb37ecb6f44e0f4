"""What a party sends on the open routes, and what they are shown: the case
by stages, the bodies' names, the time limits and outcomes; never staff
names, reasons written for staff, or other parties' details."""

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
