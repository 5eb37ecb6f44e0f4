"""API shapes for statutory periods, shared by every answer that shows a
clock: a case's proceedings, its records, the public lookup."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from msgspec import Struct


class ClockRead(Struct):
    """A statutory period as a reader sees it (docs/proceedings.md: whose
    clock, status, outcome, provisional); built from
    ``deadlines.service.clock_view``."""

    id: int
    time_limit: str
    step: str
    step_zh: str
    whose: Literal["body", "party", "court"]
    length: int
    unit: str
    source: str
    started_on: dt.date
    due_on: dt.date
    state: Literal["running", "paused", "stopped"]
    status: str
    outcome: str | None
    breached: bool
    breached_on: dt.date | None
    working_days_left: int | None
    paused_since: dt.date | None
    pause_reason: str | None
    paused_days: int
    extended_by: int
    extension: dict[str, Any] | None
    stopped_on: dt.date | None
    provisional: bool
    calendar_incomplete: bool
    calendar_note: str | None
