"""Time limits (statutory data), the holiday calendar, and what a reader sees
of a clock.

A time limit says whose clock it is (the handling body's, a party's, or a
court's), which events start and stop it, whether it may be paused or
extended, and what its lapse means (a breach, a window that closes, an
acceptance or withdrawal the law deems). The clocks themselves are run by
``deadlines.engine``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from casework.cache import cached
from casework.db import connection
from casework.deadlines.calendar import (
    HolidayCalendar,
    compute_due,
    units_between,
    working_days_until,
)
from casework.reference.schemas import TimeLimitRead
from casework.settings import get_settings

# A time limit as the service reads it is the shape the API shows of it.
Limit = TimeLimitRead


_LIMIT_COLUMNS = """code, track, record, step_zh, step_en, length, unit, whose, start_event, starts_on, stops_on,
    on_lapse, then_starts, pausable, extendable, extension_length, extension_unit, extension_approver,
    party_window, source, verify, note"""


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
        rows = await conn.fetch(f"SELECT {_LIMIT_COLUMNS} FROM time_limit")
    return {r["code"]: Limit(**dict(r)) for r in rows}


async def time_limits() -> dict[str, Limit]:
    return await cached("time_limits", _load_limits)


def due_of(cal: HolidayCalendar, limit: Limit, started_on: dt.date, extra_units: int = 0):
    return compute_due(cal, started_on, limit.length, limit.unit, extra_days=extra_units)


def pause_unit(limit: Limit) -> str:
    """Paused time is counted back in the clock's own kind of day."""
    return "working_days" if limit.unit == "working_days" else "days"


def paused_so_far(cal: HolidayCalendar, limit: Limit, row: dict[str, Any], on: dt.date) -> int:
    """Units paused in total by ``on`` (the current pause included)."""
    current = units_between(cal, row["paused_since"], on, pause_unit(limit)) if row["state"] == "paused" else 0
    return row["paused_days"] + current


CALENDAR_NOTE = ("the holiday calendar does not yet cover every year this period reaches; the due date counts weekends "
                 "only there and will be recomputed when the year is added")


async def clock_view(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """What a reader needs of a clock: whose it is, its step, source, due date
    and (``status``) what is true of it; ``state`` stays the stored
    running / paused / stopped, and ``outcome`` says how a stopped one ended:

    - ``running``, and ``status`` due_soon or (a body's or court's clock
      past its date) ``breached``; a party's window past its date is
      ``lapsed`` even before the sweep closes it;
    - ``paused`` (reason, since when; never breached; its due date moves on
      by the days paused: ``due_on`` shows the date if resumed today);
    - once stopped, its ``outcome``: ``met``, ``late`` (a breach stands even
      when an extension came after it), ``lapsed`` (a party's window that
      ended unused), ``deemed`` (the law took the step: deemed acceptance or
      withdrawal), ``not_applicable``;
    - ``provisional`` when the date depends on a holiday year the calendar
      does not know yet."""
    limits = await time_limits()
    cal = await holiday_calendar()
    limit = limits[row["time_limit_code"]]
    due_on: dt.date = row["due_on"]
    remaining = None
    breached = row["breached_on"] is not None
    if row["state"] == "stopped":
        status = row["outcome"] or ("met" if row["met"] else "late")
    elif row["state"] == "paused":
        status = "paused"
        due_on = due_of(cal, limit, row["started_on"], paused_so_far(cal, limit, row, today)
                        + row["extended_by"]).due_on
    else:
        remaining = working_days_until(cal, today, due_on)
        if due_on < today:
            if limit.whose == "party":
                status = "lapsed"
            else:
                status, breached = "breached", True
        elif remaining <= get_settings().due_soon_working_days:
            status = "due_soon"
        else:
            status = "running"
    extension = row.get("extension")
    if isinstance(extension, str):
        extension = json.loads(extension)
    return {
        "id": row["id"],
        "time_limit": limit.code,
        "step": limit.step_en,
        "step_zh": limit.step_zh,
        "whose": limit.whose,
        "length": limit.length,
        "unit": limit.unit,
        "source": limit.source,
        "started_on": row["started_on"],
        "due_on": due_on,
        "state": row["state"],  # running | paused | stopped (kept as it was)
        "status": status,
        "outcome": row["outcome"] if row["state"] == "stopped" else None,
        "breached": breached,
        "breached_on": row["breached_on"] or (due_on + dt.timedelta(days=1) if breached else None),
        "working_days_left": remaining,
        "paused_since": row["paused_since"],
        "pause_reason": row["pause_reason"],
        "paused_days": row["paused_days"],
        "extended_by": row["extended_by"],
        "extension": extension,
        "stopped_on": row["stopped_on"],
        "provisional": row["calendar_incomplete"],
        "calendar_incomplete": row["calendar_incomplete"],
        "calendar_note": CALENDAR_NOTE if row["calendar_incomplete"] else None,
    }
