"""Shapes of the holiday calendar and sweep routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType


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
