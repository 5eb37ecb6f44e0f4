"""Typed answers of the backlog routes added for the dashboard's rankings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from msgspec import Struct

RankBy = Literal["division", "body", "category"]
RankSort = Literal["overdue_rate", "on_time_rate"]


class Crumb(Struct):
    """One level of the division path, for breadcrumbs by name."""

    prefix: str
    name: str


class Period(Struct):
    start: dt.date = msgspec.field(name="from")
    end: dt.date = msgspec.field(name="to")


class RankingRow(Struct):
    key: str | None  # division prefix, body id, category code; None: no body / no category
    label: str
    drill_down: str | None  # the division prefix to ask for next (divisions only)
    rank: int | None  # place in the chosen order, worst first; None when the row has no such rate
    open: int
    overdue: int
    due_soon: int
    overdue_rate: float | None  # overdue / open, as of today
    concluded: int  # proceedings concluded in the period (with a body's clock)
    on_time: int
    on_time_rate: float | None
    previous_concluded: int
    previous_on_time: int
    previous_on_time_rate: float | None


class Rankings(Struct):
    as_of: dt.date
    due_soon_until: dt.date
    scope: str | None
    scope_name: str | None
    scope_path: list[Crumb]
    by: RankBy
    depth: int | None  # the division level ranked (length of the prefix), divisions only
    sort: RankSort
    period: Period
    previous: Period
    definitions: dict[str, dict[str, str]]
    totals: RankingRow
    rows: list[RankingRow]


class Counts(Struct):
    open: int
    overdue: int
    due_soon: int


class SummaryGroup(Struct, omit_defaults=True):
    """One group: ``key`` holds each dimension's value (a body's id as a
    number; null for no body / no category). ``drill_down`` is the division
    prefix to ask for next, when the group is a division with divisions below."""

    key: dict[str, str | int | None]
    label: str
    open: int
    overdue: int
    due_soon: int
    drill_down: str | msgspec.UnsetType = msgspec.UNSET


class BacklogSummary(Struct):
    """Open cases grouped; ``source`` says whether the maintained tallies
    (``counters``), the cases themselves (``cases``) or nothing (``none``:
    asked outside the caller's jurisdiction) were read."""

    as_of: dt.date
    due_soon_until: dt.date
    group_by: list[str]
    scope: str | None
    scope_name: str | None
    scope_path: list[Crumb]
    source: str
    totals: Counts
    groups: list[SummaryGroup]


class DueClock(Struct):
    """The case's earliest running clock of its handling body."""

    id: int
    time_limit: str
    step_zh: str | None
    step: str | None
    due_on: dt.date
    state: str
    whose: str
    status: str


class DueItem(Struct):
    reference: str
    kind: str
    summary: str
    category: str
    category_zh: str | None
    division_code: str
    division_name: str | None
    track: str
    track_zh: str
    stage: str
    stage_zh: str
    body_id: int | None
    body_name: str | None
    received_at: dt.datetime
    clock: DueClock | None
    days_overdue: int
    working_days_overdue: int
    working_days_left: int | None
    # Under supervision (督办): an open supervision item on the case.
    supervised: bool
    supervision_open: int
    supervision_respond_by: dt.date | None


class DueList(Struct, omit_defaults=True):
    """Overdue or due-soon cases, earliest due first; pass ``next_cursor`` back
    as ``cursor`` while ``has_more``. ``scope`` is absent when the caller
    asked outside their jurisdiction (and the list is empty)."""

    as_of: dt.date
    due_soon_until: dt.date
    items: list[DueItem]
    next_cursor: str | None
    has_more: bool
    scope: str | msgspec.UnsetType = msgspec.UNSET


class AgeBucket(Struct):
    bucket: str
    from_days: int
    to_days: int | None
    open: int


class Aging(Struct):
    as_of: dt.date
    scope: str | None
    definition: str
    buckets: list[AgeBucket]


class KindCounts(Struct):
    petition: int
    dispute: int
    total: int


class TrendPeriod(Struct):
    start: dt.date
    intake: KindCounts
    closed: KindCounts


class Trends(Struct):
    scope: str | None
    start: dt.date = msgspec.field(name="from")
    end: dt.date = msgspec.field(name="to")
    interval: str
    definition: str
    periods: list[TrendPeriod]


class Definition(Struct):
    zh: str
    en: str


class OnTimeRate(Struct):
    rate: float | None
    on_time: int
    concluded: int


class MediationRate(Struct):
    rate: float | None
    agreements: int
    concluded: int


class RepeatRate(Struct):
    rate: float | None
    repeats: int
    petitions: int


class DaysToConclusion(Struct):
    track: str
    track_zh: str
    concluded: int
    mean_days: float
    median_days: float


class Satisfaction(Struct):
    """``available`` is false where there is no feedback table to read."""

    available: bool
    counts: dict[str, int]
    total: int
    satisfied_share: float | None
    labels_zh: dict[str, str]


class BacklogMetrics(Struct):
    """Each figure with its definition (``definitions``, and docs/backlog.md)."""

    scope: str | None
    start: dt.date = msgspec.field(name="from")
    end: dt.date = msgspec.field(name="to")
    definitions: dict[str, Definition]
    on_time_conclusion_rate: OnTimeRate
    mediation_success_rate: MediationRate
    repeat_petition_rate: RepeatRate
    days_to_conclusion: list[DaysToConclusion]
    satisfaction: Satisfaction
