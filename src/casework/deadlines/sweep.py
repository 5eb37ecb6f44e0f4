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

import structlog

from casework import timeutil
from casework.db import connection, transaction
from casework.deadlines.calendar import HolidayCalendar
from casework.cases.core import lock_case_by_id
from casework.deadlines.service import holiday_calendar, time_limits
from casework.proceedings.service import LAPSES, settle_lapses
from casework.settings import get_settings

log = structlog.get_logger(__name__)
SWEEP_LOCK = 72140401
BATCH_CASES = 5000


def nth_working_day(cal: HolidayCalendar, today: dt.date, n: int) -> dt.date:
    day, left = today, n
    while left > 0:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day


# Each marked clock takes its event id from the events' sequence as it is
# marked, so the event and its outbox row are both written from ``marked``:
# the outbox used to find its event again by joining the inserted events to
# ``marked`` on the clock id inside the event's JSON, and with ``marked``
# estimated at one row the planner made that a nested loop (8 million
# comparisons for 2,900 marks: 1.5 s of a 1.8 s batch).
_MARK = """
WITH marked AS MATERIALIZED (
    UPDATE clock k SET {column} = casework_now(){also}
    FROM unnest($4::bigint[], $5::text[], $6::text[]) AS c(id, reference, division_code)
    WHERE k.state = 'running' AND k.{column} IS NULL AND {condition} AND k.case_id = ANY($4::bigint[])
      AND c.id = k.case_id
    RETURNING k.id, k.case_id, k.proceeding_id, k.time_limit_code, k.due_on, k.whose, c.reference, c.division_code,
              nextval('case_event_id_seq'::regclass) AS event_id,
              jsonb_build_object('clock_id', k.id, 'time_limit', k.time_limit_code, 'due_on', k.due_on,
                                 'days_late', greatest($3::date - k.due_on, 0),
                                 'calendar_incomplete', k.calendar_incomplete) AS data
), events AS (
    INSERT INTO case_event (id, case_id, proceeding_id, type, data)
    SELECT m.event_id, m.case_id, m.proceeding_id, '{event}', m.data FROM marked m ORDER BY m.event_id
), outboxed AS (
    INSERT INTO outbox (event_id, case_id, type, payload)
    SELECT m.event_id, m.case_id, '{event}',
           jsonb_build_object('event_id', m.event_id, 'type', '{event}', 'case', m.reference, 'at', casework_now(),
                              'data', m.data)
    FROM marked m ORDER BY m.event_id
){extra}
SELECT count(*) FROM marked
"""

# The bureau is looked up once per division among the few active bureaus,
# not once per clock over the whole division table (a prefix match), which
# cost 10 s for 60,000 breaches. MATERIALIZED (here and on ``marked``) keeps
# the planner, which cannot estimate the rows of ``marked``, from inlining
# the lookup back into a per-row subplan.
_SUPERVISE = """, bureaus AS MATERIALIZED (
    SELECT b.id, d.prefix, d.level FROM body b JOIN division d ON d.code = b.division_code
    WHERE b.kind = 'petition_bureau' AND b.active
), bureau AS MATERIALIZED (
    SELECT x.division_code,
           (SELECT p.id FROM bureaus p WHERE starts_with(x.division_code, p.prefix)
            ORDER BY p.level DESC LIMIT 1) AS body_id
    FROM (SELECT DISTINCT division_code FROM marked) x
), supervised AS (
    INSERT INTO supervision (case_id, proceeding_id, clock_id, body_id, reason)
    SELECT m.case_id, m.proceeding_id, m.id, u.body_id,
           'time limit ' || m.time_limit_code || ' breached (due ' || m.due_on || ')'
    FROM marked m JOIN bureau u ON u.division_code = m.division_code
    WHERE m.whose = 'body'  -- a court's clock is tracked, never supervised here
    ON CONFLICT (clock_id) WHERE clock_id IS NOT NULL DO NOTHING
)"""


_MARK_DUE_SOON = _MARK.format(column="due_soon_marked_at", event="clock_due_soon", extra="", also="",
                              condition="k.due_on >= $1 AND k.due_on <= $2")
# A breach: a body's or court's clock past its date ($7: the limits whose
# lapse is a breach). The first late day is kept (breached_on); the lapse
# is handled unless the limit starts something on it ($8: settled per case).
_MARK_BREACHED = _MARK.format(
    column="breached_marked_at", event="clock_breached", extra=_SUPERVISE,
    also=(", breached_on = coalesce(k.breached_on, k.due_on + 1), lapse_handled_at = CASE WHEN "
          "k.time_limit_code = ANY($8::text[]) THEN NULL ELSE casework_now() END"),
    condition="k.due_on < $1 AND $2::date IS NOT NULL AND k.time_limit_code = ANY($7::text[])")


async def _once(conn: Any, sql: str, *args: Any) -> Any:
    """Run ``sql`` as a statement prepared for this call only, so PostgreSQL
    plans it for these case ids. Through asyncpg's statement cache, the
    sixth batch onwards got a generic plan that cannot see how many ids
    ``ANY($4)`` holds: 2.1 s a batch instead of 0.5 s (bench, 60,000
    breaches). ``SET LOCAL plan_cache_mode = force_custom_plan`` is no
    cure: it also re-plans every foreign-key check of every inserted row,
    which made the batches slower still."""
    statement = await conn.prepare(sql)
    return await statement.fetchval(*args)


async def sweep(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timeutil.today()
    cal = await holiday_calendar()
    soon_until = nth_working_day(cal, today, get_settings().due_soon_working_days)
    parts = max(1, get_settings().sweep_connections)
    done = await asyncio.gather(*(_sweep_part(today, soon_until, part, parts) for part in range(parts)))
    if all(d is None for d in done):
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
                today, soon_until, BATCH_CASES, parts, part, (await _lapse_codes())[0],
            )
            if not cases:
                return 0, 0, 0
            # The marks take each case's reference and division from these
            # rows (as arrays), not from a second read of the cases: that
            # join was a sixth of a batch's time at a million open clocks.
            of_cases = ([r["id"] for r in cases], [r["reference"] for r in cases],
                        [r["division_code"] for r in cases])
            due_soon = await _once(conn, _MARK_DUE_SOON, today, soon_until, today, *of_cases)
            breaches, settled_per_case = await _lapse_codes()
            breached = await _once(conn, _MARK_BREACHED, today, soon_until, today, *of_cases, breaches,
                                   settled_per_case)
    return due_soon, breached, len(cases)


async def _lapse_codes() -> tuple[list[str], list[str]]:
    """(limits whose lapse is a breach, limits whose lapse is settled case by case)."""
    limits = await time_limits()
    breaches = [c for c, lim in limits.items() if lim.on_lapse == "breach"]
    special = [c for c, lim in limits.items() if lim.on_lapse in LAPSES or lim.then_starts]
    return breaches, special


async def settle_due_lapses(today: dt.date, batch_cases: int = 500) -> int:
    """Deemed acceptances and withdrawals, closed party windows, and what a
    lapse starts: few a day, settled case by case (proceedings.service)."""
    _, special = await _lapse_codes()
    settled = 0
    while True:
        async with transaction():
            async with connection() as conn:
                case_ids = [r["case_id"] for r in await conn.fetch(
                    """SELECT DISTINCT case_id FROM clock
                       WHERE state = 'running' AND lapse_handled_at IS NULL AND due_on < $1
                         AND time_limit_code = ANY($2::text[]) ORDER BY case_id LIMIT $3""",
                    today, special, batch_cases)]
                for case_id in case_ids:
                    case = await lock_case_by_id(conn, case_id)
                    settled += await settle_lapses(conn, case, today)
        if len(case_ids) < batch_cases:
            return settled


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


async def sweep_and_upkeep(today: dt.date | None = None) -> dict[str, Any]:
    """What runs on the interval, from ``casework sweep`` and from the API:
    the sweep, then the backlog upkeep."""
    result = await sweep(today)
    if "skipped" in result:
        return result
    return {**result, **await backlog_housekeeping(today)}


async def run_periodically(interval_seconds: float) -> None:
    """The in-service sweeper: runs until cancelled, survives failures."""
    while True:
        try:
            await sweep_and_upkeep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep sweeping; the error is logged
            log.warning("deadline_sweep_failed", error=type(exc).__name__)
        await asyncio.sleep(interval_seconds)
