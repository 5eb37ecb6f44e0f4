"""API shapes for statutory periods, shared by every answer that shows a
clock (a case's proceedings, its records, the public lookup), and of the
holiday calendar and sweep routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType


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


class CalendarDayWrite(Struct, forbid_unknown_fields=True):
    day: dt.date
    kind: Literal["holiday", "workday"]
    name: Annotated[str, Meta(max_length=100)] = ""


class CalendarYearWrite(Struct, forbid_unknown_fields=True):
    source: Annotated[str, Meta(min_length=1, max_length=500)]
    days: Annotated[list[CalendarDayWrite], Meta(max_length=400)]


class CalendarDay(Struct):
    day: dt.date
    kind: str
    name: str
    source: str


class CalendarYear(Struct):
    """A year's holidays and adjusted working days; ``known`` is false when
    only some days were corrected and the year was never given whole."""

    year: int
    known: bool
    source: str | None
    days: list[CalendarDay]


class CalendarYearSaved(Struct):
    year: int
    days: int
    recomputed_clocks: int


class SweepResult(Struct, omit_defaults=True):
    """What a sweep did; only ``skipped`` when another sweep was running.
    ``calendar_note`` appears when open clocks reach into a year the
    calendar does not know; ``backlog_zero_rows_purged`` is null except on
    the weekly purge."""

    skipped: str | UnsetType = UNSET
    today: str | UnsetType = UNSET
    due_soon_until: str | UnsetType = UNSET
    marked_due_soon: int | UnsetType = UNSET
    marked_breached: int | UnsetType = UNSET
    lapses_settled: int | UnsetType = UNSET
    calendar_incomplete: dict[str, int] | UnsetType = UNSET
    calendar_note: str | UnsetType = UNSET
    backlog_rows_folded: int | UnsetType = UNSET
    backlog_zero_rows_purged: int | None | UnsetType = UNSET
