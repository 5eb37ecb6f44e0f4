"""The deadline sweep: marks clocks due soon and breached, writes their
events, and opens a supervision item for each breach.

Set-based (one statement per kind of mark), so a million open clocks cost
an index range scan over the few that changed since the last run. Two
sweeps at once do not double-mark: the marks are ``UPDATE ... WHERE
marked_at IS NULL`` (a row is claimed once) and a transaction-level
advisory lock lets only one sweep work at a time; running it twice changes
nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import structlog

from casework import timeutil
from casework.db import connection, transaction
from casework.deadlines.calendar import HolidayCalendar
from casework.deadlines.service import holiday_calendar
from casework.settings import get_settings

log = structlog.get_logger(__name__)
SWEEP_LOCK = 72140401


def nth_working_day(cal: HolidayCalendar, today: dt.date, n: int) -> dt.date:
    day, left = today, n
    while left > 0:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day


_MARK = """
WITH marked AS (
    UPDATE clock k SET {column} = now()
    WHERE k.state = 'running' AND k.{column} IS NULL AND {condition}
    RETURNING k.id, k.case_id, k.proceeding_id, k.time_limit_code, k.due_on, k.calendar_incomplete
), events AS (
    INSERT INTO case_event (case_id, proceeding_id, type, data)
    SELECT m.case_id, m.proceeding_id, '{event}',
           jsonb_build_object('clock_id', m.id, 'time_limit', m.time_limit_code, 'due_on', m.due_on,
                              'days_late', greatest($3::date - m.due_on, 0),
                              'calendar_incomplete', m.calendar_incomplete)
    FROM marked m
    RETURNING id, case_id, type, at, data
), outboxed AS (
    INSERT INTO outbox (event_id, case_id, type, payload)
    SELECT e.id, e.case_id, e.type,
           jsonb_build_object('event_id', e.id, 'type', e.type, 'case', c.reference, 'at', e.at, 'data', e.data)
    FROM events e JOIN case_file c ON c.id = e.case_id
){extra}
SELECT count(*) FROM marked
"""

_SUPERVISE = """, supervised AS (
    INSERT INTO supervision (case_id, proceeding_id, clock_id, body_id, reason)
    SELECT m.case_id, m.proceeding_id, m.id,
           (SELECT b.id FROM body b JOIN division d ON d.code = b.division_code
            WHERE b.kind = 'petition_bureau' AND b.active AND starts_with(c.division_code, d.prefix)
            ORDER BY d.level DESC LIMIT 1),
           'time limit ' || m.time_limit_code || ' breached (due ' || m.due_on || ')'
    FROM marked m JOIN case_file c ON c.id = m.case_id
    ON CONFLICT (clock_id) WHERE clock_id IS NOT NULL DO NOTHING
)"""


async def sweep(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timeutil.today()
    cal = await holiday_calendar()
    soon_until = nth_working_day(cal, today, get_settings().due_soon_working_days)
    async with transaction():
        async with connection() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SWEEP_LOCK):
                return {"skipped": "another sweep is running"}
            # Lock the cases first, in id order, as every other writer of a
            # case's events does (case row, then clocks): events of one case
            # then commit in id order, which the webhook dispatcher relies on.
            await conn.execute(
                """SELECT c.id FROM case_file c
                   WHERE c.id IN (SELECT k.case_id FROM clock k WHERE k.state = 'running' AND (
                       (k.due_soon_marked_at IS NULL AND k.due_on >= $1 AND k.due_on <= $2)
                       OR (k.breached_marked_at IS NULL AND k.due_on < $1)))
                   ORDER BY c.id FOR UPDATE OF c""",
                today, soon_until,
            )
            due_soon = await conn.fetchval(
                _MARK.format(column="due_soon_marked_at", event="clock_due_soon", extra="",
                             condition="k.due_on >= $1 AND k.due_on <= $2"),
                today, soon_until, today,
            )
            breached = await conn.fetchval(
                _MARK.format(column="breached_marked_at", event="clock_breached", extra=_SUPERVISE,
                             condition="k.due_on < $1 AND $2::date IS NOT NULL"),
                today, soon_until, today,
            )
            # Fold the backlog tally's past due dates into its overdue row
            # (docs/backlog.md): keeps the summary reading few rows.
            folded = await conn.fetchval("SELECT backlog_compact($1)", today)
            incomplete = await conn.fetch(
                """SELECT time_limit_code, count(*) AS n FROM clock
                   WHERE state <> 'stopped' AND calendar_incomplete GROUP BY time_limit_code"""
            )
    result = {
        "today": str(today), "due_soon_until": str(soon_until), "marked_due_soon": due_soon,
        "marked_breached": breached, "backlog_rows_folded": folded,
        "calendar_incomplete": {r["time_limit_code"]: r["n"] for r in incomplete},
    }
    if result["calendar_incomplete"]:
        result["calendar_note"] = (
            "some open clocks reach into a year the holiday calendar does not know; their due dates count "
            "weekends only there until an administrator adds the year (PUT /api/v1/calendar/{year})"
        )
    log.info("deadline_sweep", marked_due_soon=due_soon, marked_breached=breached,
             calendar_incomplete=sum(result["calendar_incomplete"].values()))
    return result


async def run_periodically(interval_seconds: float) -> None:
    """The in-service sweeper: runs until cancelled, survives failures."""
    while True:
        try:
            await sweep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep sweeping; the error is logged
            log.warning("deadline_sweep_failed", error=type(exc).__name__)
        await asyncio.sleep(interval_seconds)
