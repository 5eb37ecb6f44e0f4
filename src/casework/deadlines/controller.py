"""The holiday calendar (admins add or correct a year) and the sweep."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post, put
from msgspec import Meta, Struct

from casework.access.auth import requires
from casework.admin_log import record_admin_change
from casework.cache import invalidate
from casework.db import connection, transaction
from casework.deadlines import service
from casework.deadlines.calendar import compute_due
from casework.deadlines.sweep import sweep_and_upkeep
from casework.problems import invalid, not_found


class CalendarDayWrite(Struct, forbid_unknown_fields=True):
    day: dt.date
    kind: Literal["holiday", "workday"]
    name: Annotated[str, Meta(max_length=100)] = ""


class CalendarYearWrite(Struct, forbid_unknown_fields=True):
    source: Annotated[str, Meta(min_length=1, max_length=500)]
    days: Annotated[list[CalendarDayWrite], Meta(max_length=400)]


class CalendarController(Controller):
    path = "/api/v1"
    tags = ["deadlines"]

    @get("/calendar/{year:int}", guards=[requires("reference.read")], summary="Holidays and adjusted working days")
    async def get_year(self, year: int) -> dict[str, Any]:
        if not dt.MINYEAR <= year < dt.MAXYEAR:  # no date arithmetic on year -106 or 10^8
            raise not_found("calendar year")
        async with connection() as conn:
            known = await conn.fetchrow("SELECT * FROM calendar_year WHERE year = $1", year)
            days = await conn.fetch(
                "SELECT day, kind, name, source FROM calendar_day WHERE day >= $1 AND day < $2 ORDER BY day",
                dt.date(year, 1, 1), dt.date(year + 1, 1, 1),
            )
        if known is None and not days:
            raise not_found("calendar year")
        return {"year": year, "known": known is not None and known["complete"],
                "source": known["source"] if known else None, "days": [dict(d) for d in days]}

    @put("/calendar/{year:int}", guards=[requires("calendar.write")],
         summary="Add or correct a year's holidays (admin); open clocks are recomputed")
    async def put_year(self, request: Request, year: int, data: CalendarYearWrite) -> dict[str, Any]:
        if not 2000 <= year <= 2100:
            raise invalid([{"field": "year", "message": "must be between 2000 and 2100"}])
        wrong = [i for i, d in enumerate(data.days) if d.day.year != year]
        if wrong:
            raise invalid([{"field": f"days[{i}].day", "message": f"is not in {year}"} for i in wrong])
        async with transaction():
            async with connection() as conn:
                before = await conn.fetch(
                    "SELECT day, kind, name FROM calendar_day WHERE day >= $1 AND day < $2 ORDER BY day",
                    dt.date(year, 1, 1), dt.date(year + 1, 1, 1),
                )
                await conn.execute("DELETE FROM calendar_day WHERE day >= $1 AND day < $2",
                                   dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
                await conn.executemany(
                    "INSERT INTO calendar_day (day, kind, name, source) VALUES ($1, $2, $3, $4)",
                    [(d.day, d.kind, d.name, data.source) for d in data.days],
                )
                await conn.execute(
                    """INSERT INTO calendar_year (year, source, complete) VALUES ($1, $2, true)
                       ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, complete = true""",
                    year, data.source,
                )
                await record_admin_change(
                    conn, actor=request.user, entity="calendar_year", key=str(year),
                    before={"days": [dict(b) for b in before]} if before else None,
                    after={"source": data.source, "days": [{"day": d.day, "kind": d.kind, "name": d.name}
                                                           for d in data.days]},
                )
        invalidate("calendar")
        recomputed = await recompute_open_clocks(year)
        return {"year": year, "days": len(data.days), "recomputed_clocks": recomputed}

    @post("/deadlines/sweep", guards=[requires("sweep.run")], status_code=200,
          summary="Run the deadline sweep now (it also runs on an interval)")
    async def run_sweep(self) -> dict[str, Any]:
        return await sweep_and_upkeep()


async def recompute_open_clocks(year: int, batch_size: int = 500) -> int:
    """Recompute open clocks whose period reaches into ``year`` (or that were
    counted without a full calendar), in batches of their own transactions:
    each changed clock also refreshes its case's backlog counters at commit,
    and a city's worth of clocks in one transaction would hold the request
    far too long. Idempotent: running it again changes nothing."""
    cal = await service.holiday_calendar()
    limits = await service.time_limits()
    after_id, changed = 0, 0
    while True:
        async with transaction():
            async with connection() as conn:
                rows = await conn.fetch(
                    """SELECT id, case_id, time_limit_code, started_on, due_on, paused_days, extended_by,
                              calendar_incomplete
                       FROM clock
                       WHERE state <> 'stopped' AND (calendar_incomplete OR due_on >= $1) AND id > $2
                       ORDER BY id LIMIT $3 FOR UPDATE""",
                    dt.date(year, 1, 1) - dt.timedelta(days=40), after_id, batch_size,
                )
                if not rows:
                    return changed
                updates = []
                for row in rows:
                    limit = limits[row["time_limit_code"]]
                    due = compute_due(cal, row["started_on"], limit.length, limit.unit,
                                      extra_days=row["paused_days"] + row["extended_by"])
                    if (due.due_on, due.calendar_incomplete) != (row["due_on"], row["calendar_incomplete"]):
                        updates.append((row["id"], due.due_on, due.calendar_incomplete))
                await conn.executemany(
                    "UPDATE clock SET due_on = $2, calendar_incomplete = $3 WHERE id = $1", updates
                )
                moved = {row["case_id"] for row in rows if row["id"] in {u[0] for u in updates}}
                # The queue orders by the case's next due date: keep it in step.
                await conn.execute(
                    """UPDATE case_file c SET next_due_on = (
                           SELECT min(k.due_on) FROM clock k
                           WHERE k.proceeding_id = c.current_proceeding_id AND k.state = 'running')
                       WHERE c.id = ANY($1::bigint[])""",
                    sorted(moved),
                )
                changed += len(updates)
                after_id = rows[-1]["id"]
