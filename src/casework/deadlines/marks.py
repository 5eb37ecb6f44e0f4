"""Marking clocks due soon and breached, once each: the set-based
statements the sweep runs over batches of cases, and that settling a single
case before an action runs for that case (proceedings.service).

A breach is a body's or court's clock past its date: its first late day is
kept (``breached_on``), an event and its outbox row are written, and a body's
breach opens a supervision item for the body that supervises the handler.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.deadlines.calendar import HolidayCalendar
from casework.deadlines.service import holiday_calendar, time_limits
from casework.proceedings.tracks import registry
from casework.settings import get_settings

# Lapses settled by proceedings.lapses (what the law decides when a period ends).
LAPSES = ("deemed_accepted", "deemed_withdrawn", "close")


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
           jsonb_build_object('event_id', m.event_id, 'type', '{event}', 'case', m.reference, 'at', casework_rfc3339(casework_now()),
                              'data', m.data)
    FROM marked m ORDER BY m.event_id
){extra}
SELECT count(*) FROM marked
"""

# A breach of a body's clock goes to the body that supervises the handler
# (the registry's body kinds: people's mediation to the justice bureau,
# petitions to the petition bureau above, reconsideration to the office
# above; courts and tribunals never): $9, $10, $11 are the kinds, their
# supervisors' kinds and whether the supervisor is a level above. The body
# is looked up once per (division, handler) among the few active bodies of
# the kind, not once per clock (a per-clock prefix match cost 10 s for
# 60,000 breaches). MATERIALIZED (here and on ``marked``) keeps the
# planner, which cannot estimate the rows of ``marked``, from inlining the
# lookup back into a per-row subplan.
_SUPERVISE = """, handlers AS MATERIALIZED (
    SELECT m.id AS clock_id, m.case_id, m.proceeding_id, m.due_on, m.time_limit_code, m.division_code,
           coalesce(h.kind, 'triage') AS handler_kind, coalesce(h.level, 99) AS handler_level
    FROM marked m JOIN proceeding p ON p.id = m.proceeding_id LEFT JOIN body h ON h.id = p.body_id
    WHERE m.whose = 'body'  -- a court's clock is tracked, never supervised here
), routes AS (
    SELECT * FROM unnest($9::text[], $10::text[], $11::boolean[]) AS r(handler_kind, supervisor_kind, above)
), candidates AS MATERIALIZED (
    SELECT b.id, b.kind, b.level, d.prefix FROM body b JOIN division d ON d.code = b.division_code
    WHERE b.active AND b.kind IN (SELECT supervisor_kind FROM routes)
), chosen AS MATERIALIZED (
    SELECT x.division_code, x.handler_kind, x.handler_level,
           (SELECT c.id FROM candidates c
            WHERE c.kind = r.supervisor_kind AND starts_with(x.division_code, c.prefix)
              AND (NOT r.above OR c.level < x.handler_level)
            ORDER BY c.level DESC LIMIT 1) AS body_id
    FROM (SELECT DISTINCT division_code, handler_kind, handler_level FROM handlers) x
    JOIN routes r ON r.handler_kind = x.handler_kind
), supervised AS (
    INSERT INTO supervision (case_id, proceeding_id, clock_id, body_id, reason)
    SELECT h.case_id, h.proceeding_id, h.clock_id, c.body_id,
           'time limit ' || h.time_limit_code || ' breached (due ' || h.due_on || ')'
    FROM handlers h JOIN chosen c USING (division_code, handler_kind, handler_level)
    WHERE c.body_id IS NOT NULL
    ON CONFLICT (clock_id) WHERE clock_id IS NOT NULL DO NOTHING
)"""


_MARK_DUE_SOON = _MARK.format(column="due_soon_marked_at", event="clock_due_soon", extra="", also="",
                              condition="k.due_on >= $1 AND k.due_on <= $2")
# A breach: a body's or court's clock past its date ($7: the limits whose
# lapse is a breach). The first late day is kept (breached_on); the lapse
# is handled unless the limit starts something on it ($8: settled by
# proceedings.lapses, perhaps already: a clock a lapse started may be
# settled before it is marked, and stays settled).
_MARK_BREACHED = _MARK.format(
    column="breached_marked_at", event="clock_breached", extra=_SUPERVISE,
    also=(", breached_on = coalesce(k.breached_on, k.due_on + 1), lapse_handled_at = coalesce(k.lapse_handled_at, "
          "CASE WHEN k.time_limit_code = ANY($8::text[]) THEN NULL ELSE casework_now() END)"),
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


async def lapse_codes() -> tuple[list[str], list[str]]:
    """(limits whose lapse is a breach, limits whose lapse is settled by proceedings.lapses)."""
    limits = await time_limits()
    breaches = [c for c, lim in limits.items() if lim.on_lapse == "breach"]
    special = [c for c, lim in limits.items() if lim.on_lapse in LAPSES or lim.then_starts]
    return breaches, special


async def mark(conn: Any, today: dt.date, cases: list[Any], soon_until: dt.date | None = None) -> tuple[int, int]:
    """Mark the clocks of ``cases`` (locked rows with id, reference, division
    code) due soon and breached as of ``today``: (due soon, breached)."""
    if not cases:
        return 0, 0
    if soon_until is None:
        soon_until = nth_working_day(await holiday_calendar(), today, get_settings().due_soon_working_days)
    of_cases = ([r["id"] for r in cases], [r["reference"] for r in cases], [r["division_code"] for r in cases])
    due_soon = await _once(conn, _MARK_DUE_SOON, today, soon_until, today, *of_cases)
    breaches, special = await lapse_codes()
    routes = [k for k in registry().body_kinds.values() if k.supervised_by]
    breached = await _once(conn, _MARK_BREACHED, today, soon_until, today, *of_cases, breaches, special,
                           [k.code for k in routes], [k.supervised_by for k in routes], [k.above for k in routes])
    return due_soon, breached
