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
