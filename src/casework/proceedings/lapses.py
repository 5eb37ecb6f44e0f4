"""What the law decides when a period runs out, settled once per clock
(``lapse_handled_at``): a deemed acceptance or withdrawal, a party's window
closed, and the periods a lapse begins (``then_starts``).

One function for one case (before every action, so nobody acts on a state
the law has moved past) and for thousands (the sweep). Most lapses only
touch clocks: a window closes, a period begins. For those the stops, the
new clocks, the events and the cases' derived columns are each one
statement over every case of the batch, from rows computed by the clock
engine's own functions (``stopped_fields``, ``new_clock``): a case by case
pass cost 10 ms a lapse, three minutes for a city's first sweep. A case
with a lapse that moves its proceeding (deemed acceptance or withdrawal)
or issues a notice is settled clock by clock through the engine, as an
action would.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from casework.cases import core
from casework.cases.events import log_case_events, log_system_events
from casework.deadlines import engine
from casework.deadlines.engine import Journal, Subject
from casework.deadlines.marks import lapse_codes, mark
from casework.deadlines.service import Limit, holiday_calendar, time_limits
from casework.notices import service as notices
from casework.proceedings import transitions as tt
from casework.proceedings.act import moment

_BASIS = {
    "deemed_accepted": "行政复议法 (2023) art. 30(3): not decided within the acceptance review period, "
                       "the application is accepted",
    "deemed_withdrawn": "not supplemented in time: the application is treated as withdrawn "
                        "(行政复议法 (2023) art. 31; 法律援助法 art. 43)",
}

# 劳动争议调解仲裁法 art. 14: when labour mediation runs out the party may
# apply for arbitration, and is told so.
_NOTICE_ON_LAPSE = {"labour_mediation.settle": "arbitration_notice"}


def _moves_the_proceeding(limit: Limit) -> bool:
    """A lapse that is more than clocks: settled clock by clock."""
    return limit.on_lapse in ("deemed_accepted", "deemed_withdrawn") or limit.code in _NOTICE_ON_LAPSE


async def settle_lapses(conn: Any, cases: Sequence[Any], today: dt.date) -> int:
    """Settle every lapse of ``cases`` (locked rows with id, reference,
    division code and current proceeding, in id order) before ``today``;
    returns how many clocks were settled. The cases' clocks are first
    marked due soon and breached as of ``today``, as the sweep would (in
    the sweep, that finds the clocks an earlier batch's lapses started)."""
    if not cases:
        return 0
    await mark(conn, today, cases)
    limits = await time_limits()
    rows = await conn.fetch(
        """SELECT k.*, p.track FROM clock k JOIN proceeding p ON p.id = k.proceeding_id
           WHERE k.case_id = ANY($1::bigint[]) AND k.state = 'running' AND k.lapse_handled_at IS NULL
             AND k.due_on < $2 AND k.time_limit_code = ANY($3::text[])
           ORDER BY k.case_id, k.due_on, k.id FOR UPDATE OF k""",
        [c["id"] for c in cases], today, (await lapse_codes())[1])
    if not rows:
        return 0
    by_id = {c["id"]: c for c in cases}
    cal = await holiday_calendar()
    stops: list[dict[str, Any]] = []
    starts: list[dict[str, Any]] = []
    settled: list[tuple[int, str, list[Any]]] = []
    for case_id, group in itertools.groupby(rows, key=lambda r: r["case_id"]):
        clocks = [dict(r) for r in group]
        case = by_id[case_id]
        if any(_moves_the_proceeding(limits[c["time_limit_code"]]) for c in clocks):
            await _clock_by_clock(conn, case, clocks, limits, today)
            continue
        journal = Journal()
        for clock in clocks:
            limit = limits[clock["time_limit_code"]]
            if limit.on_lapse == "close":
                fields, event = engine.stopped_fields(cal, limit, clock, clock["due_on"], by=f"lapse:{limit.code}",
                                                      outcome="lapsed")
                stops.append(fields)
                journal.add("clock_stopped", event, clock["proceeding_id"])
            subject = Subject(case_id, clock["proceeding_id"], clock["track"], clock["record_kind"],
                              clock["record_id"])
            event_name = f"lapse:{limit.code}"
            for begun in engine.begun_by(limits, subject, event_name) if limit.then_starts else ():
                row, event = engine.new_clock(cal, subject, begun, clock["due_on"], by=event_name,
                                              start_ref={"lapse_of": clock["id"]})
                starts.append(row)
                journal.add("clock_started", event, clock["proceeding_id"])
        settled.append((case_id, case["reference"], journal.events))
    if settled:
        await _write(conn, rows, stops, starts, settled, by_id)
    return len(rows)


async def _write(conn: Any, rows: list[Any], stops: list[dict[str, Any]], starts: list[dict[str, Any]],
                 settled: list[tuple[int, str, list[Any]]], by_id: dict[int, Any]) -> None:
    """The clock-only lapses of the batch, one statement each."""
    ids = {case_id for case_id, _, _ in settled}
    if stops:
        await conn.execute(
            """UPDATE clock k SET state = 'stopped', stopped_on = s.stopped_on, outcome = s.outcome,
                   met = (s.outcome = 'met'), breached_on = s.breached_on, due_on = s.due_on,
                   paused_days = s.paused_days, paused_since = NULL
               FROM unnest($1::bigint[], $2::date[], $3::text[], $4::date[], $5::date[], $6::int[])
                    AS s(id, stopped_on, outcome, breached_on, due_on, paused_days)
               WHERE k.id = s.id""",
            *([s[k] for s in stops] for k in engine.STOPPED_COLUMNS))
    if starts:
        await conn.execute(
            """INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on, calendar_incomplete,
                                  record_kind, record_id, whose, start_ref, state)
               SELECT n.*, 'running' FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::date[], $5::date[],
                                                 $6::boolean[], $7::text[], $8::bigint[], $9::text[], $10::jsonb[]) AS n""",
            *([s[k] for s in starts] for k in engine.NEW_CLOCK_COLUMNS))
    await conn.execute("UPDATE clock SET lapse_handled_at = casework_now() WHERE id = ANY($1::bigint[])",
                       [r["id"] for r in rows if r["case_id"] in ids])
    await log_system_events(conn, settled)
    await core.sync_cases(conn, [(case_id, by_id[case_id]["current_proceeding_id"]) for case_id in sorted(ids)])


async def _clock_by_clock(conn: Any, case: Any, clocks: list[dict[str, Any]], limits: dict[str, Limit],
                          today: dt.date) -> None:
    """A case whose lapses move its proceeding: through the engine, clock by
    clock, with its events and the case's derived columns."""
    journal = Journal()
    for clock in clocks:
        limit = limits[clock["time_limit_code"]]
        lapsed_on = clock["due_on"]
        proceeding = dict(await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", clock["proceeding_id"]))
        subject = Subject(case["id"], proceeding["id"], proceeding["track"], clock["record_kind"], clock["record_id"])
        if limit.on_lapse == "deemed_accepted":
            await engine.stop(conn, clock, lapsed_on, journal, by=f"lapse:{limit.code}", outcome="deemed")
            if proceeding["state"] in ("pending_acceptance", "supplementing"):
                await conn.execute("UPDATE proceeding SET state = 'accepted', accepted_at = $2 WHERE id = $1",
                                   proceeding["id"], moment(lapsed_on, today))
                journal.add("deemed_accepted", {"on": str(lapsed_on), "basis": _BASIS["deemed_accepted"],
                                                "time_limit": limit.code}, proceeding["id"])
                await engine.apply_event(conn, subject, "deemed_accepted", lapsed_on, journal)
        elif limit.on_lapse == "deemed_withdrawn":
            await engine.stop(conn, clock, lapsed_on, journal, by=f"lapse:{limit.code}", outcome="lapsed")
            if proceeding["state"] in tt.OPEN_STATES:
                await conn.execute("UPDATE proceeding SET state = 'withdrawn', concluded_at = $2 WHERE id = $1",
                                   proceeding["id"], moment(lapsed_on, today))
                journal.add("deemed_withdrawn", {"on": str(lapsed_on), "basis": _BASIS["deemed_withdrawn"],
                                                 "time_limit": limit.code}, proceeding["id"])
                await engine.stop_all(conn, proceeding["id"], lapsed_on, journal, by="deemed_withdrawn")
        elif limit.on_lapse == "close":
            await engine.stop(conn, clock, lapsed_on, journal, by=f"lapse:{limit.code}", outcome="lapsed")
        if limit.then_starts:
            await engine.start_for(conn, subject, f"lapse:{limit.code}", lapsed_on, journal,
                            start_ref={"lapse_of": clock["id"]})
            if limit.code in _NOTICE_ON_LAPSE:
                await notices.issue(conn, case, proceeding, _NOTICE_ON_LAPSE[limit.code], lapsed_on, journal,
                                    actor_id=None, details={"basis": limit.source})
        await conn.execute("UPDATE clock SET lapse_handled_at = casework_now() WHERE id = $1", clock["id"])
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=None, events=journal.events)
    await core.sync_case(conn, case["id"], case["current_proceeding_id"])
