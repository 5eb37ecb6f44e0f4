"""The deadline sweep: marks clocks due soon and breached, writes their
events, and opens a supervision item for each breach.

Set-based (one statement per kind of mark), so a million open clocks cost
an index range scan over the few that changed since the last run. Two
sweeps at once do not double-mark: the marks are ``UPDATE ... WHERE
marked_at IS NULL`` (a row is claimed once) and a transaction-level
advisory lock per part lets only one sweep work on a part at a time;
running it twice changes nothing the second time.

The cases are split into ``CASEWORK_SWEEP_CONNECTIONS`` parts (case id
modulo the number of parts, default 2), each swept on its own connection:
marking is database work, and on two cores two connections mark nearly
twice as many clocks a second.

It works in batches of at most ``BATCH_CASES`` cases, each batch its own
transaction (marks, events, outbox rows and supervision items of a case
still commit together). A backlog of tens of thousands of unmarked clocks
(the first sweep after a bulk load or an outage) then makes progress
batch by batch, each statement well within the database command timeout,
instead of one statement that times out and rolls back on every attempt.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import msgspec
import structlog

from casework import metrics, timeutil
from casework.db import connection, transaction
from casework.deadlines.marks import lapse_codes, mark, nth_working_day
from casework.deadlines.schemas import SweepResult
from casework.deadlines.service import holiday_calendar
from casework.proceedings.lapses import settle_lapses
from casework.settings import get_settings

log = structlog.get_logger(__name__)
SWEEP_LOCK = 72140401
BATCH_CASES = 5000


async def sweep(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timeutil.today()
    cal = await holiday_calendar()
    soon_until = nth_working_day(cal, today, get_settings().due_soon_working_days)
    parts = max(1, get_settings().sweep_connections)
    done = await asyncio.gather(*(_sweep_part(today, soon_until, part, parts) for part in range(parts)))
    if all(d is None for d in done):
        metrics.SWEEP_RUNS.labels(result="skipped").inc()
        return {"skipped": "another sweep is running"}
    due_soon = sum(d[0] for d in done if d)
    breached = sum(d[1] for d in done if d)
    lapses = await settle_due_lapses(today)
    async with connection() as conn:
        incomplete = await conn.fetch(
            """SELECT time_limit_code, count(*) AS n FROM clock
               WHERE state <> 'stopped' AND calendar_incomplete GROUP BY time_limit_code"""
        )
    result = {
        "today": str(today), "due_soon_until": str(soon_until), "marked_due_soon": due_soon,
        "marked_breached": breached, "lapses_settled": lapses,
        "calendar_incomplete": {r["time_limit_code"]: r["n"] for r in incomplete},
    }
    if result["calendar_incomplete"]:
        result["calendar_note"] = (
            "some open clocks reach into a year the holiday calendar does not know; their due dates count "
            "weekends only there until an administrator adds the year (PUT /api/v1/calendar/{year})"
        )
    metrics.SWEEP_RUNS.labels(result="done").inc()
    metrics.SWEEP_MARKS.labels(mark="due_soon").inc(due_soon)
    metrics.SWEEP_MARKS.labels(mark="breached").inc(breached)
    log.info("deadline_sweep", marked_due_soon=due_soon, marked_breached=breached,
             calendar_incomplete=sum(result["calendar_incomplete"].values()))
    return result


async def _sweep_part(today: dt.date, soon_until: dt.date, part: int, parts: int) -> tuple[int, int] | None:
    """Sweep the cases whose id is ``part`` modulo ``parts``, batch by batch,
    on a connection of its own: (due soon marked, breached marked), or None
    when another sweep holds this part's lock. The parts are disjoint, so
    they work side by side (the marking is database work; a second
    connection uses a second core)."""
    due_soon = breached = 0
    first = True
    while True:
        batch = await _sweep_batch(today, soon_until, part, parts)
        if batch is None:  # another sweep holds the lock
            if first:
                return None
            break
        first = False
        due_soon += batch[0]
        breached += batch[1]
        if batch[2] < BATCH_CASES:
            break
    return due_soon, breached


async def _sweep_batch(today: dt.date, soon_until: dt.date, part: int, parts: int) -> tuple[int, int, int] | None:
    """Mark the clocks of at most BATCH_CASES cases of one part in one
    transaction: (due soon marked, breached marked, cases locked), or None
    when another sweep holds the part's lock."""
    async with transaction():
        async with connection() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)", SWEEP_LOCK, part):
                return None
            # Lock the cases first, in id order, as every other writer of a
            # case's events does (case row, then clocks): events of one case
            # then commit in id order, which the webhook dispatcher relies on.
            # The clocks to mark come from two range scans of the two partial
            # indexes of unmarked clocks (an OR of both read every open clock:
            # 70 ms at 87,000 open clocks, most of a daily sweep's time);
            # MATERIALIZED, or with ORDER BY ... LIMIT the planner may walk
            # every clock in case order. The cases are then locked by primary
            # key, not found by a scan of all cases.
            cases = await conn.fetch(
                """WITH due AS MATERIALIZED (
                       SELECT k.case_id FROM clock k
                       WHERE k.state = 'running' AND k.due_soon_marked_at IS NULL
                         AND k.due_on >= $1 AND k.due_on <= $2 AND k.case_id % $4 = $5
                       UNION ALL
                       SELECT k.case_id FROM clock k
                       WHERE k.state = 'running' AND k.breached_marked_at IS NULL
                         AND k.due_on < $1 AND k.case_id % $4 = $5 AND k.time_limit_code = ANY($6::text[]))
                   SELECT c.id, c.reference, c.division_code FROM case_file c
                   WHERE c.id = ANY(ARRAY(SELECT DISTINCT case_id FROM due ORDER BY case_id LIMIT $3))
                   ORDER BY c.id FOR UPDATE OF c""",
                today, soon_until, BATCH_CASES, parts, part, (await lapse_codes())[0],
            )
            if not cases:
                return 0, 0, 0
            # The marks take each case's reference and division from these
            # rows (as arrays), not from a second read of the cases: that
            # join was a sixth of a batch's time at a million open clocks.
            due_soon, breached = await mark(conn, today, cases, soon_until)
    return due_soon, breached, len(cases)


async def settle_due_lapses(today: dt.date, batch_cases: int = BATCH_CASES) -> int:
    """Deemed acceptances and withdrawals, closed party windows, and what a
    lapse starts (proceedings.lapses), for every case with a lapse before
    ``today``: batch by batch, the cases locked in id order, each batch
    set-based and its own transaction. A lapse may begin a period that has
    itself already run out (a sweep after a long outage): the next batch
    finds it, until nothing is left."""
    _, special = await lapse_codes()
    settled = 0
    while True:
        async with transaction():
            async with connection() as conn:
                # MATERIALIZED, as the marks' batches: with ORDER BY case_id
                # LIMIT the planner may walk every clock in case order
                # looking for lapses that are not there (0.5 s a sweep
                # at a million open clocks).
                cases = await conn.fetch(
                    """WITH due AS MATERIALIZED (
                           SELECT case_id FROM clock
                           WHERE state = 'running' AND lapse_handled_at IS NULL AND due_on < $1
                             AND time_limit_code = ANY($2::text[]))
                       SELECT c.id, c.reference, c.division_code, c.current_proceeding_id FROM case_file c
                       WHERE c.id = ANY(ARRAY(SELECT DISTINCT case_id FROM due ORDER BY case_id LIMIT $3))
                       ORDER BY c.id FOR UPDATE OF c""",
                    today, special, batch_cases)
                if not cases:
                    return settled
                done = await settle_lapses(conn, cases, today)
        if not done:  # cannot happen (each lapse found is settled); never loop on it
            return settled
        settled += done


async def backlog_housekeeping(today: dt.date | None = None) -> dict[str, Any]:
    """The backlog tally's daily and weekly upkeep, run after each sweep
    (its own step: it is not deadline work, and the benchmark times it
    apart). Folds the tally rows whose due date has passed into the
    overdue row (docs/backlog.md), which keeps the summary reading few
    rows; once a week purges rows whose count came back to zero (they only
    take space)."""
    today = today or timeutil.today()
    async with connection() as conn:
        folded = await conn.fetchval("SELECT backlog_compact($1)", today)
        purged = None
        if await conn.fetchval(
            """INSERT INTO maintenance_run AS m (task, last_on) VALUES ('backlog_purge_zero', $1)
               ON CONFLICT (task) DO UPDATE SET last_on = $1 WHERE m.last_on <= $1 - 7
               RETURNING true""", today):
            purged = await conn.fetchval("SELECT backlog_purge_zero()")
    return {"backlog_rows_folded": folded, "backlog_zero_rows_purged": purged}


async def sweep_and_upkeep(today: dt.date | None = None) -> SweepResult:
    """What runs on the interval, from ``casework sweep`` and from the API:
    the sweep, then the backlog upkeep."""
    result = await sweep(today)
    if "skipped" not in result:
        result = {**result, **await backlog_housekeeping(today)}
    return msgspec.convert(result, SweepResult)
