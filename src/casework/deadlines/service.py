"""Clocks: started and stopped by proceeding actions, due dates from the
seeded time limits and the holiday calendar."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from casework.cache import cached
from casework.db import connection
from casework.deadlines.calendar import HolidayCalendar, compute_due, working_days_until
from casework.settings import get_settings


@dataclass(frozen=True)
class Limit:
    code: str
    track: str
    step_zh: str
    step_en: str
    length: int
    unit: str
    start_event: str
    starts_on: str
    stops_on: tuple[str, ...]
    pausable: bool
    extendable: bool
    extension_length: int
    extension_unit: str
    extension_approver: str
    party_window: bool
    source: str


async def _load_calendar() -> HolidayCalendar:
    async with connection() as conn:
        days = await conn.fetch("SELECT day, kind FROM calendar_day")
        years = await conn.fetch("SELECT year FROM calendar_year WHERE complete")
    return HolidayCalendar(
        holidays=frozenset(r["day"] for r in days if r["kind"] == "holiday"),
        workdays=frozenset(r["day"] for r in days if r["kind"] == "workday"),
        known_years=frozenset(r["year"] for r in years),
    )


async def holiday_calendar() -> HolidayCalendar:
    return await cached("calendar", _load_calendar)


async def _load_limits() -> dict[str, Limit]:
    async with connection() as conn:
        rows = await conn.fetch(
            """SELECT code, track, step_zh, step_en, length, unit, start_event, starts_on, stops_on,
                      pausable, extendable, extension_length, extension_unit, extension_approver,
                      party_window, source FROM time_limit"""
        )
    return {r["code"]: Limit(**{**dict(r), "stops_on": tuple(r["stops_on"])}) for r in rows}


async def time_limits() -> dict[str, Limit]:
    return await cached("time_limits", _load_limits)


async def limits_started_by(track: str, action: str) -> list[Limit]:
    return [lim for lim in (await time_limits()).values() if lim.track == track and lim.starts_on == action]


async def start_clocks(
    conn: Any, *, case_id: int, proceeding_id: int, track: str, action: str, on: dt.date,
    record_kind: str | None = None, record_id: int | None = None,
) -> list[dict[str, Any]]:
    """Start every clock that ``action`` on ``track`` starts, counting from ``on``.

    A record's clocks (``record_kind``/``record_id``, casework.records) hang
    on the case's current proceeding but answer only that record's steps."""
    cal = await holiday_calendar()
    started = []
    for limit in await limits_started_by(track, action):
        due = compute_due(cal, on, limit.length, limit.unit)
        row = await conn.fetchrow(
            """INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on,
                                  state, calendar_incomplete, record_kind, record_id)
               VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8) RETURNING *""",
            case_id, proceeding_id, limit.code, on, due.due_on, due.calendar_incomplete, record_kind, record_id,
        )
        started.append(dict(row))
    return started


async def stop_clocks(conn: Any, *, proceeding_id: int, action: str, on: dt.date) -> list[dict[str, Any]]:
    """Stop the running clocks of a proceeding that ``action`` answers (not its records' clocks)."""
    limits = await time_limits()
    codes = [code for code, lim in limits.items() if action in lim.stops_on]
    if not codes:
        return []
    rows = await conn.fetch(
        """UPDATE clock SET state = 'stopped', stopped_on = $3, met = ($3 <= due_on), paused_since = NULL
           WHERE proceeding_id = $1 AND state <> 'stopped' AND time_limit_code = ANY($2::text[])
             AND record_kind IS NULL
           RETURNING *""",
        proceeding_id, codes, on,
    )
    return [dict(r) for r in rows]


async def clock_view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """What a reader needs of a clock: its step, due date, state and source."""
    limits = await time_limits()
    cal = await holiday_calendar()
    limit = limits[row["time_limit_code"]]
    due_on: dt.date = row["due_on"]
    if row["state"] == "stopped":
        status = "met" if row["met"] else "late"
        remaining = None
    else:
        remaining = working_days_until(cal, today, due_on)
        if due_on < today:
            status = "breached"
        elif remaining <= get_settings().due_soon_working_days:
            status = "due_soon"
        else:
            status = "paused" if row["state"] == "paused" else "running"
    extension = row.get("extension")
    if isinstance(extension, str):
        extension = json.loads(extension)
    return {
        "id": row["id"],
        "time_limit": limit.code,
        "step": limit.step_en,
        "step_zh": limit.step_zh,
        "length": limit.length,
        "unit": limit.unit,
        "source": limit.source,
        "started_on": row["started_on"],
        "due_on": due_on,
        "state": row["state"],
        "status": status,
        "working_days_left": remaining,
        "paused_days": row["paused_days"],
        "extended_by": row["extended_by"],
        "extension": extension,
        "stopped_on": row["stopped_on"],
        "calendar_incomplete": row["calendar_incomplete"],
        "calendar_note": (
            "the holiday calendar does not yet cover every year this period reaches; the due date "
            "counts weekends only there and will be recomputed when the year is added"
            if row["calendar_incomplete"] else None
        ),
    }
