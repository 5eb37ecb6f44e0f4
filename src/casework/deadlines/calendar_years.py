"""Reading and correcting a year of the holiday calendar. A correction
replaces the year's days in one transaction (audited), then recomputes
every clock the year touches (deadlines/recompute)."""

from __future__ import annotations

import datetime as dt

import msgspec

from casework.access.service import Principal
from casework.admin_log import act_as
from casework.cache import invalidate
from casework.db import connection, transaction
from casework.deadlines.recompute import recompute_for_year
from casework.deadlines.schemas import CalendarYear, CalendarYearSaved, CalendarYearWrite
from casework.problems import invalid, not_found


async def calendar_year(year: int) -> CalendarYear:
    if not dt.MINYEAR <= year < dt.MAXYEAR:  # no date arithmetic on year -106 or 10^8
        raise not_found("calendar year")
    async with connection() as conn:
        known = await conn.fetchrow("SELECT source, complete FROM calendar_year WHERE year = $1", year)
        days = await conn.fetch(
            "SELECT day, kind, name, source FROM calendar_day WHERE day >= $1 AND day < $2 ORDER BY day",
            dt.date(year, 1, 1), dt.date(year + 1, 1, 1),
        )
    if known is None and not days:
        raise not_found("calendar year")
    return msgspec.convert({"year": year, "known": known is not None and known["complete"],
                            "source": known["source"] if known else None, "days": [dict(d) for d in days]},
                           CalendarYear)


async def correct_calendar_year(year: int, data: CalendarYearWrite, actor: Principal) -> CalendarYearSaved:
    if not 2000 <= year <= 2100:
        raise invalid([{"field": "year", "message": "must be between 2000 and 2100"}])
    wrong = [i for i, d in enumerate(data.days) if d.day.year != year]
    if wrong:
        raise invalid([{"field": f"days[{i}].day", "message": f"is not in {year}"} for i in wrong])
    async with transaction():
        async with connection() as conn:
            await act_as(conn, actor)  # the audit triggers record each day and the year
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
    invalidate("calendar")
    recomputed = await recompute_for_year(year, data.source)
    return CalendarYearSaved(year=year, days=len(data.days), recomputed_clocks=recomputed)
