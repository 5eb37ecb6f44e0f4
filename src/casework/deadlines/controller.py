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
from casework.deadlines.recompute import recompute_for_year
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
         summary="Add or correct a year's holidays (admin); every clock it touches is recomputed, stopped ones "
                 "included, and breaches that no longer hold are withdrawn")
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
        recomputed = await recompute_for_year(year, data.source)
        return {"year": year, "days": len(data.days), "recomputed_clocks": recomputed}

    @post("/deadlines/sweep", guards=[requires("sweep.run")], status_code=200,
          summary="Run the deadline sweep now (it also runs on an interval)")
    async def run_sweep(self) -> dict[str, Any]:
        return await sweep_and_upkeep()
