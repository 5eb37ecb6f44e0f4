"""What the supervision routes take and return."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

Text = Annotated[str, Meta(min_length=1, max_length=2000)]
State = Literal["open", "closed"]
Action = Literal["respond", "close"]


class ResponseCreate(Struct, forbid_unknown_fields=True):
    """The handling body's answer to a supervision item."""

    response: Text


class CloseRequest(Struct, forbid_unknown_fields=True):
    """Why the supervisor closes the item (the answer accepted, the matter resolved, ...)."""

    reason: Text


class SupervisionBody(Struct):
    id: int
    code: str
    name_zh: str


class ClockRef(Struct):
    """The breached clock a sweep-opened item is about."""

    id: int
    time_limit: str
    step_zh: str | None
    due_on: dt.date


class SupervisionItem(Struct):
    id: int
    reference: str
    summary: str
    division_code: str
    division_name: str | None
    proceeding_id: int | None
    track: str | None
    track_zh: str | None
    clock: ClockRef | None
    supervising_body: SupervisionBody | None
    handling_body: SupervisionBody | None
    automatic: bool  # opened by the deadline sweep on a body's breached clock
    opened_at: dt.datetime
    opened_by: str | None
    reason: str
    respond_by: dt.date | None
    response_overdue: bool  # open, unanswered, and its respond_by has passed
    state: State
    response: str | None
    responded_at: dt.datetime | None
    responded_by: str | None
    closed_at: dt.datetime | None
    closed_by: str | None
    closed_reason: str | None
    allowed_actions: list[Action]  # what the caller may do with it now


class CaseSupervision(Struct):
    reference: str
    items: list[SupervisionItem]


class SupervisionList(Struct):
    as_of: dt.date
    scope: str | None
    state: State | None
    total: int  # items matching the filter (all pages)
    items: list[SupervisionItem]
    next_cursor: str | None  # pass back while has_more (casework.paging)
    has_more: bool
