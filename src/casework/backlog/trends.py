"""Intake and closures per week or month, by kind, in the caller's jurisdiction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from casework import reads
from casework.access.service import Principal
from casework.backlog.schemas import Trends
from casework.backlog.service import cases_in, period_bounds, scope_for
from casework.problems import invalid


def period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


async def trends(
    actor: Principal, *, start: dt.date, end: dt.date, interval: str, division: str | None,
) -> Trends:
    if end < start:
        raise invalid([{"field": "to", "message": "must not be before from"}])
    if (end - start).days > 366 * 5:
        raise invalid([{"field": "to", "message": "at most five years at a time"}])
    periods: list[dt.date] = []
    day = period_start(start, interval)
    while day <= end:
        periods.append(day)
        day = next_period(day, interval)
    table = {p: {"intake": {"petition": 0, "dispute": 0}, "closed": {"petition": 0, "dispute": 0}} for p in periods}
    within = scope_for(actor, division)
    scope = within.prefix if within is not None else None
    if within is not None:
        lo, hi = period_bounds(start, end)
        trunc = "week" if interval == "week" else "month"

        async def counts(conn: Any) -> tuple[list[Any], list[Any]]:
            args: list[Any] = [lo, hi]
            intake = await conn.fetch(
                f"""SELECT date_trunc('{trunc}', c.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS p,
                           c.kind, count(*) AS n
                    FROM case_file c WHERE {within.sql("c", args)}
                      AND c.received_at >= $1 AND c.received_at < $2 GROUP BY 1, 2""",
                *args,
            )
            args = [lo, hi]
            join, where = cases_in(within, args)
            closed = await conn.fetch(
                f"""SELECT date_trunc('{trunc}', b.left_open_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS p,
                           b.kind, count(*) AS n
                    FROM backlog_case b {join} WHERE {where}
                      AND b.left_open_at >= $1 AND b.left_open_at < $2 GROUP BY 1, 2""",
                *args,
            )
            return intake, closed

        intake, closed = await reads.read(counts)
        for name, rows in (("intake", intake), ("closed", closed)):
            for row in rows:
                if row["p"] in table:
                    table[row["p"]][name][row["kind"]] = int(row["n"])
    return msgspec.convert({
        "scope": scope, "from": start, "to": end, "interval": interval,
        "definition": (
            "intake: cases received in the period (received_at, Beijing time); closed: cases that left the "
            "open status in the period (concluded, not accepted, closed or terminated; a case registered "
            "as not accepted counts on its receipt); weeks start on Monday; the first and last periods "
            "count only the days inside from..to"
        ),
        "periods": [
            {"start": p, "intake": {**table[p]["intake"], "total": sum(table[p]["intake"].values())},
             "closed": {**table[p]["closed"], "total": sum(table[p]["closed"].values())}}
            for p in periods
        ],
    }, Trends)
