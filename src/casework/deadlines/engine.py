"""The clock engine: statutory periods started and stopped by legal events.

An *event* is something that happened on a day with legal effect: a body
received a matter (``open``), accepted it (``accept``), a party received a
notice (``served:<kind>``), a lawsuit was filed (``lawsuit_filed``), a
period lapsed (``lapse:<limit>``)... Each time limit (reference data, see
``deadlines.service.Limit``) names the events that start and stop it, so
adding a limit is data, not code. ``apply_event`` does both for one event
on one subject (a proceeding, or a record on it): it stops the subject's
clocks the event answers, counting the outcome on the event's own date,
then starts the clocks the event begins, counting from that date.

Outcomes: a body's or court's clock stopped by its date is ``met``, after
it ``late``; a breach, once it happened (``breached_on``), stands even if
an extension is recorded afterwards. A party's window answered in time is
``met``, answered late ``late`` (an officer may still accept a late
request, with a reason), not answered ``lapsed``. Every change is a case
event in the caller's ``Journal``; nothing here opens a transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from casework import timeutil
from casework.deadlines.calendar import HolidayCalendar, add_months
from casework.deadlines.service import Limit, due_of, holiday_calendar, paused_so_far, time_limits
from casework.problems import Problem, invalid

ONE_DAY = dt.timedelta(days=1)

# Events that answer a window wherever on the case it was opened: a suit,
# an application or an arbitration is brought once, whichever proceeding's
# notice told the party of it.
CASE_WIDE_EVENTS = frozenset({"lawsuit_filed", "reconsideration_applied", "arbitration_applied"})

# Every event a time limit may name (tests/deadlines/test_limits_data.py
# checks the data against it with the proceeding actions).
RECORD_EVENTS = frozenset({
    "open",
    "agreement_effective", "confirmation_applied", "confirmation_accepted", "confirmation_ruled",
    "lawsuit_filed", "lawsuit_accepted", "lawsuit_not_accepted", "appeal_filed", "reconsideration_applied",
    "arbitration_applied", "objection_received", "objection_decided", "deemed_accepted", "supplement_received",
    "convert_to_ordinary", "assign_worker", "forward", "return", "request_supplement", "withdraw",
    "accept_simplified",
    # Labour arbitration (records.arbitration) and a termination of legal aid (records.legal_aid).
    "arbitration_accepted", "arbitration_not_accepted", "arbitration_concluded", "arbitration_award_served",
    "aid_terminated",
})
EVENT_PREFIXES = ("served:", "conclude:", "guidance:", "lapse:")


@dataclass
class Journal:
    """The case events an operation wrote, in order: (type, data, proceeding id)."""

    events: list[tuple[str, dict[str, Any], int | None]] = field(default_factory=list)

    def add(self, type_: str, data: dict[str, Any], proceeding_id: int | None = None) -> None:
        self.events.append((type_, data, proceeding_id))


@dataclass(frozen=True)
class Subject:
    """What clocks belong to: a proceeding, or one record on it."""

    case_id: int
    proceeding_id: int
    track: str
    record_kind: str | None = None
    record_id: int | None = None

    def matches(self, limit: Limit) -> bool:
        if limit.track != self.track:
            return False
        return limit.record is None or limit.record == self.record_kind


def _event_data(clock: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {"time_limit": clock["time_limit_code"], "whose": clock["whose"], "due_on": str(clock["due_on"])}
    if clock.get("record_kind"):
        data.update(record=clock["record_kind"], record_id=clock["record_id"])
    return {**data, **extra}


def new_clock(
    cal: HolidayCalendar, subject: Subject, limit: Limit, on: dt.date, *, by: str,
    start_ref: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row of a clock of ``limit`` started on ``on`` (not yet stored),
    and the data of its ``clock_started`` event."""
    due = due_of(cal, limit, on)
    row = {"case_id": subject.case_id, "proceeding_id": subject.proceeding_id, "time_limit_code": limit.code,
           "started_on": on, "due_on": due.due_on, "calendar_incomplete": due.calendar_incomplete,
           "record_kind": subject.record_kind, "record_id": subject.record_id, "whose": limit.whose,
           "start_ref": json.dumps({"event": by, **(start_ref or {})}, default=timeutil.json_default)}
    return row, _event_data(row, started_on=str(on), by=by, calendar_incomplete=due.calendar_incomplete)


async def start(
    conn: Any, subject: Subject, limit: Limit, on: dt.date, journal: Journal, *, by: str,
    start_ref: dict[str, Any] | None = None,
) -> dict[str, Any]:
    new, event = new_clock(await holiday_calendar(), subject, limit, on, by=by, start_ref=start_ref)
    row = dict(await conn.fetchrow(
        """INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on, state, calendar_incomplete,
                              record_kind, record_id, whose, start_ref)
           VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10::jsonb) RETURNING *""",
        *(new[k] for k in NEW_CLOCK_COLUMNS)))
    journal.add("clock_started", event, subject.proceeding_id)
    return row


# The columns ``new_clock`` fills, in the order the inserts take them.
NEW_CLOCK_COLUMNS = ("case_id", "proceeding_id", "time_limit_code", "started_on", "due_on", "calendar_incomplete",
                     "record_kind", "record_id", "whose", "start_ref")


def begun_by(limits: dict[str, Limit], subject: Subject, event: str) -> list[Limit]:
    """The limits of the subject's track that ``event`` begins."""
    return [limit for limit in limits.values() if event in limit.starts_on and subject.matches(limit)]


async def start_for(
    conn: Any, subject: Subject, event: str, on: dt.date, journal: Journal, *,
    start_ref: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Start every limit of the subject's track that ``event`` begins, from ``on``."""
    return [await start(conn, subject, limit, on, journal, by=event, start_ref=start_ref)
            for limit in begun_by(await time_limits(), subject, event)]


def outcome_on(limit: Limit, row: dict[str, Any], on: dt.date, due_on: dt.date) -> tuple[str, dt.date | None]:
    """(outcome, breached_on) of a clock answered on ``on`` against ``due_on``."""
    if limit.whose == "party":
        return ("met" if on <= due_on else "late"), None
    breached_on = row["breached_on"]
    if breached_on is None and on > due_on:
        breached_on = due_on + ONE_DAY
    return ("late" if breached_on is not None else "met"), breached_on


async def stop(
    conn: Any, row: dict[str, Any], on: dt.date, journal: Journal, *, by: str, outcome: str | None = None,
) -> dict[str, Any]:
    """Stop one clock on ``on``: its outcome is counted against its due date
    (for a paused clock, the date its pause has moved it to)."""
    fields, event = stopped_fields(await holiday_calendar(), (await time_limits())[row["time_limit_code"]], row, on,
                                   by=by, outcome=outcome)
    stopped = dict(await conn.fetchrow(
        """UPDATE clock SET state = 'stopped', stopped_on = $2, outcome = $3, met = ($3 = 'met'), breached_on = $4,
               due_on = $5, paused_days = $6, paused_since = NULL
           WHERE id = $1 RETURNING *""",
        *(fields[k] for k in STOPPED_COLUMNS)))
    journal.add("clock_stopped", event, row["proceeding_id"])
    return stopped


# The columns ``stopped_fields`` gives, in the order the updates take them.
STOPPED_COLUMNS = ("id", "stopped_on", "outcome", "breached_on", "due_on", "paused_days")


def stopped_fields(
    cal: HolidayCalendar, limit: Limit, row: dict[str, Any], on: dt.date, *, by: str, outcome: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What stopping the clock ``row`` on ``on`` sets (its outcome counted
    against its due date; for a paused clock, the date its pause has moved
    it to), and the data of its ``clock_stopped`` event."""
    due_on = row["due_on"]
    paused_days = row["paused_days"]
    if row["state"] == "paused":
        paused_days = paused_so_far(cal, limit, row, on)
        due_on = due_of(cal, limit, row["started_on"], paused_days + row["extended_by"]).due_on
    counted, breached_on = outcome_on(limit, row, on, due_on)
    outcome = outcome or counted
    fields = {"id": row["id"], "stopped_on": on, "outcome": outcome,
              "breached_on": breached_on if outcome != "not_applicable" else row["breached_on"],
              "due_on": due_on, "paused_days": paused_days}
    event = _event_data({**row, "due_on": due_on}, stopped_on=str(on), outcome=outcome, met=outcome == "met", by=by)
    return fields, event


async def stop_for(
    conn: Any, subject: Subject, event: str, on: dt.date, journal: Journal,
) -> list[dict[str, Any]]:
    """Stop the subject's running or paused clocks that ``event`` answers
    (case-wide events: any on the case)."""
    limits = await time_limits()
    codes = [code for code, limit in limits.items() if event in limit.stops_on]
    if not codes:
        return []
    # Open clocks, and windows closed as lapsed: the party acted after all,
    # in time (it was only entered, or swept, later) or late.
    if event in CASE_WIDE_EVENTS:
        where, args = "case_id = $1", [subject.case_id]
    elif subject.record_kind is not None:
        # A record's clocks, on whichever proceeding was current when they started.
        where, args = "case_id = $1 AND record_kind = $2 AND record_id = $3", [
            subject.case_id, subject.record_kind, subject.record_id]
    else:
        where, args = "proceeding_id = $1 AND record_kind IS NULL", [subject.proceeding_id]
    n = len(args)
    rows = await conn.fetch(
        f"""SELECT * FROM clock WHERE {where} AND time_limit_code = ANY(${n + 1}::text[])
              AND (state <> 'stopped' OR outcome = 'lapsed')
            ORDER BY id FOR UPDATE""", *args, codes)
    stopped = []
    for row in rows:
        row = dict(row)
        if row["state"] == "stopped":  # the lapsed window is answered after all: met or late
            row = {**row, "state": "running", "outcome": None}
        stopped.append(await stop(conn, row, on, journal, by=event))
    return stopped


async def apply_event(
    conn: Any, subject: Subject, event: str, on: dt.date, journal: Journal, *,
    start_ref: dict[str, Any] | None = None,
) -> None:
    """An event on ``on``: stop what it answers, then start what it begins."""
    await stop_for(conn, subject, event, on, journal)
    await start_for(conn, subject, event, on, journal, start_ref=start_ref)


async def stop_all(conn: Any, proceeding_id: int, on: dt.date, journal: Journal, *, by: str) -> None:
    """A proceeding ends (declined, escalated, withdrawn, closed): its body's
    and court's clocks stop with it. A party's window stays open: it is the
    party's, and runs until they act or it ends (docs/proceedings.md)."""
    rows = await conn.fetch(
        """SELECT * FROM clock WHERE proceeding_id = $1 AND state <> 'stopped' AND whose <> 'party'
           ORDER BY id FOR UPDATE""", proceeding_id)
    for row in rows:
        await stop(conn, dict(row), on, journal, by=by)


async def running(conn: Any, proceeding_id: int, code: str | None, states: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM clock WHERE proceeding_id = $1 AND state = ANY($2::text[])
             AND ($3::text IS NULL OR time_limit_code = $3) ORDER BY id FOR UPDATE""",
        proceeding_id, list(states), code)
    return [dict(r) for r in rows]


async def pause(conn: Any, proceeding_id: int, code: str | None, on: dt.date, reason: str,
                journal: Journal) -> list[dict[str, Any]]:
    """Pause the proceeding's running clocks that may be paused (or the one
    named): the time from ``on`` is not counted, and a paused clock is not
    breached."""
    limits = await time_limits()
    clocks = [c for c in await running(conn, proceeding_id, code, ("running",))
              if limits[c["time_limit_code"]].pausable and c["whose"] == "body"]
    if not clocks:
        raise Problem(409, "no-pausable-clock", "Nothing to pause",
                      "no running clock of this proceeding may be paused" + (f" (clock {code})" if code else ""))
    for clock in clocks:
        if clock["due_on"] < on:
            raise Problem(409, "already-breached", "Already past its date",
                          f"{clock['time_limit_code']} ran out on {clock['due_on']}: a pause from {on} "
                          "cannot undo the breach", time_limit=clock["time_limit_code"])
        await conn.execute("UPDATE clock SET state = 'paused', paused_since = $2, pause_reason = $3 WHERE id = $1",
                           clock["id"], on, reason)
        journal.add("clock_paused", {"time_limit": clock["time_limit_code"], "since": str(on), "reason": reason},
                    proceeding_id)
    return clocks


async def resume(conn: Any, proceeding_id: int, code: str | None, on: dt.date, reason: str | None,
                 journal: Journal) -> list[dict[str, Any]]:
    clocks = await running(conn, proceeding_id, code, ("paused",))
    if not clocks:
        raise Problem(409, "no-paused-clock", "Nothing to resume", "no clock of this proceeding is paused")
    limits = await time_limits()
    cal = await holiday_calendar()
    for clock in clocks:
        limit = limits[clock["time_limit_code"]]
        total = paused_so_far(cal, limit, clock, on)
        due = due_of(cal, limit, clock["started_on"], total + clock["extended_by"])
        await conn.execute(
            """UPDATE clock SET state = 'running', paused_since = NULL, pause_reason = NULL, paused_days = $2,
                   due_on = $3, calendar_incomplete = $4, due_soon_marked_at = NULL
               WHERE id = $1""",
            clock["id"], total, due.due_on, due.calendar_incomplete)
        journal.add("clock_resumed", {"time_limit": limit.code, "paused_from": str(clock["paused_since"]),
                                      "paused_units": total - clock["paused_days"], "due_before": str(clock["due_on"]),
                                      "due_after": str(due.due_on), "reason": reason}, proceeding_id)
    return clocks


def extension_units(limit: Limit, due_on: dt.date, amount: int) -> int:
    """An extension in the limit's extension unit, as the units the clock counts in."""
    if limit.extension_unit in ("months", "years"):
        months = amount * (12 if limit.extension_unit == "years" else 1)
        return (add_months(due_on, months) - due_on).days
    return amount


async def extend(
    conn: Any, proceeding_id: int, code: str | None, amount: int, on: dt.date, grant: dict[str, Any],
    journal: Journal,
) -> dict[str, Any]:
    """Extend a clock once, within its period. An extension approved after
    the date is recorded, and the breach stands: the due date does not move
    and the case stays overdue (docs/proceedings.md)."""
    clocks = await running(conn, proceeding_id, code, ("running", "paused"))
    if not clocks:
        raise invalid([{"field": "clock", "message": f"no running clock {code or ''} on this proceeding".replace("  ", " ")}])
    clock = clocks[0]
    limit = (await time_limits())[clock["time_limit_code"]]
    if not limit.extendable:
        raise Problem(409, "not-extendable", "Not extendable", f"{limit.code} may not be extended ({limit.source})")
    if clock["extended_by"] or clock["extension"]:
        raise Problem(409, "already-extended", "Already extended", f"{limit.code} was already extended once")
    if amount > limit.extension_length:
        raise invalid([{"field": "days", "message": f"at most {limit.extension_length} {limit.extension_unit} "
                                                   f"({limit.source})"}])
    cal = await holiday_calendar()
    late = clock["breached_on"] is not None or (clock["state"] == "running" and on > clock["due_on"])
    extension = {**grant, "amount": amount, "unit": limit.extension_unit, "granted_on": str(on),
                 "required_approver": limit.extension_approver, "within_period": not late}
    if late:
        breached_on = clock["breached_on"] or clock["due_on"] + ONE_DAY
        await conn.execute("UPDATE clock SET extension = $2::jsonb, breached_on = $3 WHERE id = $1",
                           clock["id"], json.dumps(extension), breached_on)
        journal.add("late_extension_recorded", {
            "time_limit": limit.code, "due_on": str(clock["due_on"]), "breached_on": str(breached_on), **extension,
            "note": "an extension is granted within the period; after it the breach stands"}, proceeding_id)
        return clock
    units = extension_units(limit, clock["due_on"], amount)
    # A paused clock's current pause is added when it resumes; the date here is without it.
    due = due_of(cal, limit, clock["started_on"], clock["paused_days"] + units)
    await conn.execute(
        """UPDATE clock SET extended_by = $2, extension = $3::jsonb, due_on = $4, calendar_incomplete = $5,
               due_soon_marked_at = NULL WHERE id = $1""",
        clock["id"], units, json.dumps(extension), due.due_on, due.calendar_incomplete)
    journal.add("deadline_extended", {"time_limit": limit.code, "due_before": str(clock["due_on"]),
                                      "due_after": str(due.due_on), **extension}, proceeding_id)
    return clock
