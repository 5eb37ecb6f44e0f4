"""Recomputing clocks when what they were counted on changes: a holiday
year added or corrected, a time limit corrected, a service or effective
date corrected.

Every affected clock is recomputed, stopped ones included. A stopped
clock's outcome is counted again against its new due date; a party's
window that closed on a date that no longer holds opens again; a breach
that no longer holds is withdrawn (``breached_on`` and the sweep's mark
cleared) and its supervision item closed, with an event saying why. Each
case is locked first (in id order, as every writer does), so a sweep
running at the same time waits or skips it; running it twice changes
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework import timeutil
from casework.cases.core import lock_case_by_id, sync_case
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import ONE_DAY, Journal, outcome_on
from casework.deadlines.service import due_of, holiday_calendar, time_limits


async def recompute_clock(
    conn: Any, row: dict[str, Any], journal: Journal, *, reason: str, today: dt.date,
    started_on: dt.date | None = None,
) -> bool:
    """Recompute one (locked) clock; True when anything changed."""
    limit = (await time_limits())[row["time_limit_code"]]
    cal = await holiday_calendar()
    started_on = started_on or row["started_on"]
    extension_units = row["extended_by"]  # a late extension never moved the date (extended_by stays 0)
    due = due_of(cal, limit, started_on, row["paused_days"] + extension_units)
    state, outcome, breached_on, stopped_on = row["state"], row["outcome"], row["breached_on"], row["stopped_on"]
    late_extension = bool(row["extension"]) and not row["extended_by"]
    if state == "stopped" and outcome in ("met", "late"):
        outcome, breached_on = outcome_on(limit, {**row, "breached_on": None}, stopped_on, due.due_on)
        if late_extension and limit.whose != "party":
            outcome, breached_on = "late", breached_on or due.due_on + ONE_DAY
    elif state == "stopped" and outcome == "lapsed" and due.due_on >= today:
        # The window was closed on a date that no longer holds: it is open again.
        state, outcome, stopped_on = "running", None, None
    elif state == "running" and limit.whose != "party":
        if breached_on is not None and due.due_on >= today and not late_extension:
            breached_on = None
        elif breached_on is not None and due.due_on < today:
            breached_on = due.due_on + ONE_DAY
    before = (row["started_on"], row["due_on"], row["calendar_incomplete"], row["state"], row["outcome"],
              row["breached_on"], row["stopped_on"], row["whose"])
    after = (started_on, due.due_on, due.calendar_incomplete, state, outcome, breached_on, stopped_on, limit.whose)
    if before == after:
        return False
    withdrawn = row["breached_on"] is not None and breached_on is None
    await conn.execute(
        """UPDATE clock SET started_on = $2, due_on = $3, calendar_incomplete = $4, state = $5, outcome = $6,
               met = CASE WHEN $6::text IS NULL THEN NULL ELSE $6 = 'met' END, breached_on = $7, stopped_on = $8,
               due_soon_marked_at = CASE WHEN $3 <> due_on THEN NULL ELSE due_soon_marked_at END,
               breached_marked_at = CASE WHEN $7::date IS NULL THEN NULL ELSE breached_marked_at END,
               lapse_handled_at = CASE WHEN $5 = 'running' AND $3 >= $9 THEN NULL ELSE lapse_handled_at END,
               whose = $10
           WHERE id = $1""",
        row["id"], started_on, due.due_on, due.calendar_incomplete, state, outcome, breached_on, stopped_on, today,
        limit.whose)
    journal.add("clock_recomputed", {
        "time_limit": limit.code, "whose": limit.whose, "reason": reason,
        "started_on_before": str(row["started_on"]), "started_on": str(started_on),
        "due_before": str(row["due_on"]), "due_on": str(due.due_on), "calendar_incomplete": due.calendar_incomplete,
        "outcome_before": row["outcome"], "outcome": outcome}, row["proceeding_id"])
    if withdrawn:
        closed = await conn.fetch(
            """UPDATE supervision SET state = 'closed', closed_at = casework_now(), closed_reason = $2
               WHERE clock_id = $1 AND state = 'open' RETURNING id""", row["id"], f"no breach: {reason}")
        journal.add("breach_withdrawn", {
            "time_limit": limit.code, "breached_on_before": str(row["breached_on"]), "due_on": str(due.due_on),
            "reason": reason, "supervision_closed": [r["id"] for r in closed]}, row["proceeding_id"])
    return True


async def recompute_case(conn: Any, case: dict[str, Any], rows: list[dict[str, Any]], *, reason: str,
                         today: dt.date, started_on: dt.date | None = None) -> int:
    """Recompute clocks of one locked case, write their events, refresh the case."""
    journal = Journal()
    changed = 0
    for row in rows:
        changed += await recompute_clock(conn, row, journal, reason=reason, today=today, started_on=started_on)
    if changed:
        await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=None,
                              events=journal.events)
        await sync_case(conn, case["id"], case["current_proceeding_id"])
    return changed


async def recompute_where(where: str, *args: Any, reason: str, batch_cases: int = 200) -> int:
    """Recompute every clock matching ``where`` (SQL over ``clock k``), case by
    case, in batches of their own transactions (a city's worth of clocks in
    one transaction would hold the request too long). Returns clocks changed."""
    today = timeutil.today()
    after_case, changed = 0, 0
    while True:
        async with transaction():
            async with connection() as conn:
                case_ids = [r["case_id"] for r in await conn.fetch(
                    f"""SELECT DISTINCT k.case_id FROM clock k WHERE ({where}) AND k.case_id > ${len(args) + 1}
                        ORDER BY k.case_id LIMIT ${len(args) + 2}""", *args, after_case, batch_cases)]
                if not case_ids:
                    return changed
                for case_id in case_ids:
                    case = await lock_case_by_id(conn, case_id)
                    rows = [dict(r) for r in await conn.fetch(
                        f"SELECT * FROM clock k WHERE ({where}) AND k.case_id = ${len(args) + 1} ORDER BY k.id FOR UPDATE",
                        *args, case_id)]
                    changed += await recompute_case(conn, case, rows, reason=reason, today=today)
                after_case = case_ids[-1]


async def recompute_for_year(year: int, source: str) -> int:
    """A holiday year added or corrected: every clock whose period reaches into
    it, or that was counted without a full calendar, stopped ones included."""
    first = dt.date(year, 1, 1) - dt.timedelta(days=40)  # a roll-over can cross the year's edge
    last = dt.date(year, 12, 31)
    return await recompute_where(
        "k.calendar_incomplete OR (k.due_on >= $1 AND k.started_on <= $2)", first, last,
        reason=f"holiday calendar for {year} set ({source})")


async def recompute_for_limits(codes: list[str]) -> int:
    """Time limits corrected (a deployed database brought up to the law)."""
    if not codes:
        return 0
    return await recompute_where("k.time_limit_code = ANY($1::text[])", codes,
                                 reason="time limit corrected: " + ", ".join(sorted(codes)))
