"""Proceeding actions: one entry point (``perform``) that locks the case,
checks the ETag and the transition table, applies the action and writes its
events in the same transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec

from casework import timeutil
from casework.access.scope import Scope
from casework.cases import core
from casework.access.service import Principal
from casework.cases import service as cases
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.calendar import compute_due, units_between
from casework.deadlines.service import holiday_calendar, start_clocks, stop_clocks, time_limits
from casework.problems import Problem, invalid, not_found
from casework.proceedings import transitions as tt
from casework.proceedings.schemas import ActionRequest
from casework.proceedings.tracks import registry
from casework.reference import service as reference
from casework.routing.service import find_body

SESSION_FLOOR_YEAR = 1990


class Outcome:
    """What an action did: its events (type, data) and the state it leaves."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], int | None]] = []
        self.proceeding_id: int | None = None

    def add(self, type_: str, data: dict[str, Any], proceeding_id: int | None = None) -> None:
        self.events.append((type_, data, proceeding_id))


def conflict_state(action: str, track: str, state: str) -> Problem:
    return Problem(409, "invalid-transition", "Action not allowed now",
                   f"{action} is not allowed on a {track} proceeding in state {state}",
                   action=action, track=track, state=state)


async def perform(
    reference: str, action: str, data: ActionRequest, *, actor: Principal, if_match: str | None,
) -> dict[str, Any]:
    if action not in tt.ACTIONS:
        raise not_found("action")
    today = timeutil.today()
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, if_match)
            await apply_action(conn, case, action, data, actor=actor, today=today)
            return await cases.case_detail(conn, case["id"], actor)


async def apply_action(
    conn: Any, case: dict[str, Any], action: str, data: ActionRequest, *, actor: Principal, today: dt.date,
) -> None:
    """Check ``action`` against the track's transition table and apply it to
    the (locked) case's current proceeding, with its events; bumps the version.
    ``today`` is the day the action counts from (a record may give an earlier one)."""
    proceeding = dict(await conn.fetchrow(
        "SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"]
    ))
    track, state = proceeding["track"], proceeding["state"]
    row = tt.find(track, state, action)
    if row is None:
        raise conflict_state(action, track, state)
    if actor.role not in row.roles:
        raise Problem(403, "forbidden", "Forbidden", f"role {actor.role} may not {action} here")
    payload = msgspec.to_builtins(data)
    missing = [f for f in row.required if payload.get(f) in (None, "", [])]
    if missing:
        raise invalid([{"field": f, "message": f"is required for {action}"} for f in missing])
    handler = HANDLERS[action]
    outcome = Outcome()
    new_state = await handler(conn, case, proceeding, data, actor, today, outcome)
    target_state = new_state or row.to_state
    if target_state and target_state != state and outcome.proceeding_id is None:
        await conn.execute("UPDATE proceeding SET state = $2 WHERE id = $1", proceeding["id"], target_state)
    await core.sync_case(conn, case["id"], outcome.proceeding_id or proceeding["id"])
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor, events=[
        (type_, event_data, proceeding_id or proceeding["id"])
        for type_, event_data, proceeding_id in outcome.events])


# ---------------------------------------------------------------- helpers

def _clock_event(clock: dict[str, Any]) -> dict[str, Any]:
    return {"time_limit": clock["time_limit_code"], "started_on": str(clock["started_on"]),
            "due_on": str(clock["due_on"]), "calendar_incomplete": clock["calendar_incomplete"]}


async def _start(conn, case, proceeding_id, track, action, on, out: Outcome) -> list[dict[str, Any]]:
    clocks = await start_clocks(conn, case_id=case["id"], proceeding_id=proceeding_id, track=track,
                                action=action, on=on)
    for clock in clocks:
        out.add("clock_started", _clock_event(clock), proceeding_id)
    return clocks


async def _stop(conn, proceeding_id, action, on, out: Outcome) -> None:
    for clock in await stop_clocks(conn, proceeding_id=proceeding_id, action=action, on=on):
        out.add("clock_stopped", {"time_limit": clock["time_limit_code"], "due_on": str(clock["due_on"]),
                                  "stopped_on": str(on), "met": clock["met"], "by": action}, proceeding_id)


async def _stop_all(conn, proceeding_id, on, out: Outcome, by: str) -> None:
    rows = await conn.fetch(
        """UPDATE clock SET state = 'stopped', stopped_on = $2, met = ($2 <= due_on), paused_since = NULL
           WHERE proceeding_id = $1 AND state <> 'stopped' RETURNING *""",
        proceeding_id, on,
    )
    for clock in rows:
        out.add("clock_stopped", {"time_limit": clock["time_limit_code"], "due_on": str(clock["due_on"]),
                                  "stopped_on": str(on), "met": clock["met"], "by": by}, proceeding_id)


async def _body_by_code(conn, code: str) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT id, code, name_zh, kind, level, division_code FROM body WHERE code = $1 AND active",
                              code)
    if row is None:
        raise invalid([{"field": "body_code", "message": f"no active body {code}"}])
    return dict(row)


async def late_application(act_known_on: dt.date | None, on: dt.date) -> dict[str, Any] | None:
    """Reconsideration applied for more than 60 days after the act was known
    (the window is the seeded ``reconsideration.apply`` time limit)."""
    if act_known_on is None:
        return None
    limit = (await time_limits()).get("reconsideration.apply")
    if limit is None:
        return None
    due = compute_due(await holiday_calendar(), act_known_on, limit.length, limit.unit).due_on
    if on > due:
        return {"late_application": True, "act_known_on": str(act_known_on), "window_ended_on": str(due),
                "source": limit.source}
    return None



async def _open_proceeding(
    conn, case, previous, *, track: str, body: dict[str, Any] | None, state: str, reason: str,
    today: dt.date, out: Outcome, accepted: bool = False,
) -> int:
    seq = await conn.fetchval("SELECT coalesce(max(seq), 0) + 1 FROM proceeding WHERE case_id = $1", case["id"])
    details: dict[str, Any] = {}
    if track == "reconsideration":
        late = await late_application(case["act_known_on"], today)
        if late:
            details.update(late)
    proceeding_id = await conn.fetchval(
        """INSERT INTO proceeding (case_id, seq, track, body_id, state, previous_id, opened_at, opened_reason,
                                   accepted_at, details)
           VALUES ($1, $2, $3, $4, $5, $6, casework_now(), $7, CASE WHEN $8 THEN casework_now() END, $9::jsonb) RETURNING id""",
        case["id"], seq, track, body["id"] if body else None, state, previous["id"], reason, accepted,
        json.dumps(details),
    )
    out.proceeding_id = proceeding_id
    await conn.execute("UPDATE proceeding SET state = 'escalated' WHERE id = $1", previous["id"])
    await _start(conn, case, proceeding_id, track, "open", today, out)
    if details.get("late_application"):
        out.add("late_application_flagged", details, proceeding_id)
    return proceeding_id


def _details(proceeding: dict[str, Any]) -> dict[str, Any]:
    raw = proceeding["details"]
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


# ---------------------------------------------------------------- actions

async def do_accept(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    await conn.execute("UPDATE proceeding SET accepted_at = casework_now() WHERE id = $1", proceeding["id"])
    await _stop(conn, proceeding["id"], "accept", today, out)
    start_action = "accept"
    if data.procedure == "simplified":
        if proceeding["track"] != "reconsideration":
            raise invalid([{"field": "procedure", "message": "the simplified procedure is for reconsideration"}])
        start_action = "accept_simplified"
    event: dict[str, Any] = {"procedure": data.procedure or "ordinary"}
    if proceeding["track"] == "reconsideration":
        late = await late_application(case["act_known_on"], timeutil.local_date(case["received_at"]))
        if late:
            event.update(late)
            out.add("late_application_flagged", late)
    out.add("accepted", event)
    await _start(conn, case, proceeding["id"], proceeding["track"], start_action, today, out)


async def do_decline(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    code = data.reason_code or "other"
    if code not in await reference.public_reasons():
        raise invalid([{"field": "reason_code", "message": f"unknown reason {code!r} (GET /api/v1/reference: "
                                                           "public_reasons)"}])
    public_note = (data.public_note or "").strip() or None
    details = {**_details(proceeding), "not_accepted": {
        "reason": data.reason, "reason_code": code, "public_note": public_note, "directed_to": data.directed_to}}
    await conn.execute("UPDATE proceeding SET details = $2::jsonb, concluded_at = casework_now() WHERE id = $1",
                       proceeding["id"], json.dumps(details))
    await conn.execute("UPDATE case_file SET not_accepted_reason = $2, not_accepted_note = $3 WHERE id = $1",
                       case["id"], code, public_note)
    await _stop_all(conn, proceeding["id"], today, out, "decline")
    out.add("not_accepted", {"reason": data.reason, "reason_code": code, "directed_to": data.directed_to})


async def do_assign(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    if not data.body_code and not data.assignee:
        raise invalid([{"field": "body_code", "message": "give body_code, assignee or both"}])
    before = {"body_id": proceeding["body_id"], "assignee_id": proceeding["assignee_id"]}
    body_id, assignee_id = proceeding["body_id"], proceeding["assignee_id"]
    after: dict[str, Any] = {}
    if data.body_code:
        body = await _body_by_code(conn, data.body_code)
        body_id = body["id"]
        after["body"] = body["code"]
        if body_id != proceeding["body_id"]:
            assignee_id = None
    if data.assignee:
        user = await conn.fetchrow("SELECT id, body_id, active FROM app_user WHERE username = $1", data.assignee)
        if user is None or not user["active"]:
            raise invalid([{"field": "assignee", "message": f"no active user {data.assignee}"}])
        if body_id is not None and user["body_id"] != body_id:
            raise invalid([{"field": "assignee", "message": "belongs to another body"}])
        assignee_id = user["id"]
        after["assignee"] = data.assignee
    await conn.execute("UPDATE proceeding SET body_id = $2, assignee_id = $3 WHERE id = $1",
                       proceeding["id"], body_id, assignee_id)
    out.add("assigned", {"before": before, "after": {"body_id": body_id, "assignee_id": assignee_id, **after},
                         "reason": data.reason})
    await _stop(conn, proceeding["id"], "assign", today, out)
    if proceeding["state"] == "registered":  # the petition is forwarded now
        await _start(conn, case, proceeding["id"], proceeding["track"], "assign", today, out)


async def do_record_session(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    if data.held_on > today:
        raise invalid([{"field": "held_on", "message": "must not be in the future"}])
    if data.held_on.year < SESSION_FLOOR_YEAR:
        # The same plausibility floor as intake's received_at: a session in
        # year 1 is a typing error, not history.
        raise invalid([{"field": "held_on", "message": f"is implausibly old (before {SESSION_FLOOR_YEAR})"}])
    if data.held_on < timeutil.local_date(case["received_at"]):
        raise invalid([{"field": "held_on", "message": "is before the case was received"}])
    session_id = await conn.fetchval(
        """INSERT INTO mediation_session (case_id, proceeding_id, held_on, location, mediator_id, participants, notes)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        case["id"], proceeding["id"], data.held_on, data.location or "", actor.id, data.participants or [],
        data.notes or "",
    )
    count = await conn.fetchval("SELECT count(*) FROM mediation_session WHERE proceeding_id = $1", proceeding["id"])
    # Notes and participants' names stay in the session record, not the event.
    out.add("session_recorded", {"session_id": session_id, "session_no": count, "held_on": str(data.held_on),
                                 "location": data.location or ""})


async def _pick_clocks(conn, proceeding, code: str | None, states: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT k.* FROM clock k WHERE k.proceeding_id = $1 AND k.state = ANY($2::text[])
             AND ($3::text IS NULL OR k.time_limit_code = $3) ORDER BY k.id""",
        proceeding["id"], list(states), code,
    )
    return [dict(r) for r in rows]


async def do_pause_clock(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    limits = await time_limits()
    clocks = [c for c in await _pick_clocks(conn, proceeding, data.clock, ("running",))
              if limits[c["time_limit_code"]].pausable]
    if not clocks:
        raise Problem(409, "no-pausable-clock", "Nothing to pause",
                      "no running clock of this proceeding may be paused" +
                      (f" (clock {data.clock})" if data.clock else ""))
    for clock in clocks:
        await conn.execute("UPDATE clock SET state = 'paused', paused_since = $2 WHERE id = $1", clock["id"], today)
        out.add("clock_paused", {"time_limit": clock["time_limit_code"], "since": str(today), "reason": data.reason})


async def _recompute(conn, clock: dict[str, Any], *, paused_units: int, extended_by: int) -> dict[str, Any]:
    limit = (await time_limits())[clock["time_limit_code"]]
    due = compute_due(await holiday_calendar(), clock["started_on"], limit.length, limit.unit,
                      extra_days=paused_units + extended_by)
    return {"due_on": due.due_on, "calendar_incomplete": due.calendar_incomplete}


async def do_resume_clock(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    clocks = await _pick_clocks(conn, proceeding, data.clock, ("paused",))
    if not clocks:
        raise Problem(409, "no-paused-clock", "Nothing to resume", "no clock of this proceeding is paused")
    cal = await holiday_calendar()
    limits = await time_limits()
    for clock in clocks:
        unit = limits[clock["time_limit_code"]].unit
        paused = units_between(cal, clock["paused_since"], today, "working_days" if unit == "working_days" else "days")
        total = clock["paused_days"] + paused
        new = await _recompute(conn, clock, paused_units=total, extended_by=clock["extended_by"])
        await conn.execute(
            """UPDATE clock SET state = 'running', paused_since = NULL, paused_days = $2, due_on = $3,
                   calendar_incomplete = $4, due_soon_marked_at = NULL
               WHERE id = $1""",
            clock["id"], total, new["due_on"], new["calendar_incomplete"],
        )
        out.add("clock_resumed", {"time_limit": clock["time_limit_code"], "paused_from": str(clock["paused_since"]),
                                  "paused_units": paused, "due_before": str(clock["due_on"]),
                                  "due_after": str(new["due_on"]), "reason": data.reason})


async def do_extend_deadline(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    if data.party_informed is not True:
        raise invalid([{"field": "party_informed", "message": "the party must be told of the extension and why"}])
    clocks = await _pick_clocks(conn, proceeding, data.clock, ("running", "paused"))
    if not clocks:
        raise invalid([{"field": "clock", "message": f"no running clock {data.clock} on this proceeding"}])
    clock = clocks[0]
    limit = (await time_limits())[clock["time_limit_code"]]
    if not limit.extendable:
        raise Problem(409, "not-extendable", "Not extendable", f"{limit.code} may not be extended ({limit.source})")
    if clock["extended_by"]:
        raise Problem(409, "already-extended", "Already extended", f"{limit.code} was already extended once")
    if data.days > limit.extension_length:
        raise invalid([{"field": "days", "message": f"at most {limit.extension_length} ({limit.source})"}])
    new = await _recompute(conn, clock, paused_units=clock["paused_days"], extended_by=data.days)
    extension = {"days": data.days, "approver": data.approver, "reason": data.reason, "party_informed": True,
                 "granted_on": str(today), "granted_by": actor.username, "required_approver": limit.extension_approver}
    await conn.execute(
        """UPDATE clock SET extended_by = $2, extension = $3::jsonb, due_on = $4::date, calendar_incomplete = $5,
               due_soon_marked_at = NULL,
               breached_marked_at = CASE WHEN $4::date >= $6::date THEN NULL ELSE breached_marked_at END
           WHERE id = $1""",
        clock["id"], data.days, json.dumps(extension), new["due_on"], new["calendar_incomplete"], today,
    )
    out.add("deadline_extended", {"time_limit": limit.code, "due_before": str(clock["due_on"]),
                                  "due_after": str(new["due_on"]), **extension})


async def do_conclude(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    track = proceeding["track"]
    outcomes = registry().track(track).outcome_codes
    if data.outcome not in outcomes:
        raise invalid([{"field": "outcome", "message": f"must be one of {', '.join(sorted(outcomes))}"}])
    details = _details(proceeding)
    event: dict[str, Any] = {"outcome": data.outcome}
    if track in registry().mediation_tracks and data.outcome in tt.FAILED_MEDIATION:
        channels = data.channels_notified or []
        if not channels:
            raise invalid([{"field": "channels_notified",
                            "message": "when mediation fails the parties must be told of their other channels "
                                       "(People's Mediation Law art. 26)"}])
        unknown = sorted(set(channels) - tt.CHANNELS)
        if unknown:
            raise invalid([{"field": "channels_notified", "message": f"unknown channels {unknown}"}])
        details["channels_notified"] = channels
        event["channels_notified"] = channels
    if data.opinion:
        details["opinion"] = data.opinion
        event["opinion"] = data.opinion
    if data.reason:
        event["reason"] = data.reason
    await conn.execute("UPDATE proceeding SET outcome = $2, concluded_at = casework_now(), details = $3::jsonb WHERE id = $1",
                       proceeding["id"], data.outcome, json.dumps(details))
    await _stop(conn, proceeding["id"], "conclude", today, out)
    out.add("concluded", event)
    await _start(conn, case, proceeding["id"], track, "conclude", today, out)
    if track == "petition_re_review":
        out.add("terminated", {"explanation": "re-review concluded: the matter is terminated; the same facts and "
                                              "reasons are not accepted again"})


async def do_escalate(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    track = proceeding["track"]
    target = data.track
    if proceeding["state"] == "accepted":
        # Mediation failed and goes on elsewhere in one action: conclude first.
        if data.outcome not in tt.FAILED_MEDIATION | {"withdrawn"}:
            raise invalid([{"field": "outcome", "message": "escalating an open mediation needs its outcome "
                            "(failed, party_refused or withdrawn)"}])
        await do_conclude(conn, case, proceeding, data, actor, today, out)
        proceeding = {**proceeding, "outcome": data.outcome,
                      "details": json.dumps({**_details(proceeding),
                                             "channels_notified": data.channels_notified})}
    targets = registry().track(track).escalates_to
    if target not in targets:
        raise invalid([{"field": "track", "message": f"{track} may escalate to {', '.join(sorted(targets)) or 'nothing'}"}])
    details = _details(proceeding)
    channels = data.channels_notified or details.get("channels_notified")
    if track in registry().mediation_tracks and proceeding["outcome"] in tt.FAILED_MEDIATION and not channels:
        raise invalid([{"field": "channels_notified",
                        "message": "record which other channels the parties were told of"}])
    if target == "reconsideration":
        agency = await conn.fetchval(
            "SELECT true FROM party WHERE case_id = $1 AND role = 'respondent' AND kind = 'agency' LIMIT 1", case["id"])
        if not agency:
            raise invalid([{"field": "track", "message": "reconsideration reviews an administrative act: "
                            "the respondent must be an administrative agency"}])
    if data.body_code:
        body = await _body_by_code(conn, data.body_code)
    else:
        body = await find_body(registry().track(target).body_kind, case["division_code"], case["category_code"])
    await _stop(conn, proceeding["id"], "escalate", today, out)
    await _stop_all(conn, proceeding["id"], today, out, "escalate")
    new_id = await _open_proceeding(conn, case, proceeding, track=target, body=body,
                                    state=registry().track(target).initial_state, reason=data.reason or "", today=today,
                                    out=out)
    out.events.insert(0, ("escalated", {"from_track": track, "to_track": target, "reason": data.reason,
                                        "channels_notified": channels, "body": body["code"] if body else None,
                                        "new_proceeding_id": new_id}, proceeding["id"]))


async def _review(conn, case, proceeding, data, actor, today, out: Outcome, *, window_code: str, action: str,
                  target: str):
    window = await conn.fetchrow(
        "SELECT * FROM clock WHERE proceeding_id = $1 AND time_limit_code = $2 ORDER BY id DESC LIMIT 1",
        proceeding["id"], window_code,
    )
    late = None
    if window is not None and today > window["due_on"]:
        late = {"window": window_code, "closed_on": str(window["due_on"])}
        if not data.late_justification:
            raise Problem(422, "window-closed", "Request out of time",
                          f"the {window_code} window closed on {window['due_on']}; an officer may accept it late "
                          f"with late_justification", errors=[{"field": "late_justification",
                                                               "message": "required after the window closed"}])
        if actor.role not in tt.OFFICERS:
            raise Problem(403, "forbidden", "Forbidden", "only an officer may accept a late request")
        late["justification"] = data.late_justification
    await _stop(conn, proceeding["id"], action, today, out)
    handler_level = await conn.fetchval("SELECT level FROM body WHERE id = $1", proceeding["body_id"]) or 3
    body_row = await conn.fetchrow(
        """SELECT b.id, b.code, b.name_zh FROM body b JOIN division d ON d.code = b.division_code
           WHERE b.kind = 'petition_bureau' AND b.active AND starts_with($1, d.prefix) AND b.level < $2
           ORDER BY b.level DESC LIMIT 1""",
        case["division_code"], handler_level,
    )
    body = dict(body_row) if body_row else None
    new_id = await _open_proceeding(conn, case, proceeding, track=target, body=body, state="accepted",
                                    reason=data.reason or action, today=today, out=out, accepted=True)
    out.events.insert(0, (f"{action.removeprefix('request_')}_requested",
                          {"to_track": target, "body": body["code"] if body else None, "late": late,
                           "new_proceeding_id": new_id}, proceeding["id"]))


async def do_request_review(conn, case, proceeding, data, actor, today, out: Outcome):
    await _review(conn, case, proceeding, data, actor, today, out, window_code="petition.request_review",
                  action="request_review", target="petition_review")


async def do_request_re_review(conn, case, proceeding, data, actor, today, out: Outcome):
    await _review(conn, case, proceeding, data, actor, today, out, window_code="petition_review.request_re_review",
                  action="request_re_review", target="petition_re_review")


async def do_supervise(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    supervision_id = await conn.fetchval(
        """INSERT INTO supervision (case_id, proceeding_id, body_id, opened_by, reason, respond_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        case["id"], proceeding["id"], actor.body_id, actor.id, data.reason, data.respond_by,
    )
    out.add("supervised", {"supervision_id": supervision_id, "reason": data.reason,
                           "respond_by": str(data.respond_by) if data.respond_by else None})


async def do_close(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    await _stop_all(conn, proceeding["id"], today, out, "close")
    await conn.execute("UPDATE supervision SET state = 'closed', closed_at = casework_now() WHERE case_id = $1 AND state = 'open'",
                       case["id"])
    out.add("closed", {"reason": data.reason, "from_state": proceeding["state"]})


async def do_reopen(conn, case, proceeding, data: ActionRequest, actor, today, out: Outcome):
    await conn.execute("UPDATE proceeding SET concluded_at = NULL, outcome = NULL WHERE id = $1", proceeding["id"])
    await conn.execute("UPDATE case_file SET closed_at = NULL WHERE id = $1", case["id"])
    out.add("reopened", {"reason": data.reason, "from_state": proceeding["state"],
                         "previous_outcome": proceeding["outcome"]})


HANDLERS = {
    "accept": do_accept, "decline": do_decline, "assign": do_assign, "record_session": do_record_session,
    "pause_clock": do_pause_clock, "resume_clock": do_resume_clock, "extend_deadline": do_extend_deadline,
    "conclude": do_conclude, "escalate": do_escalate, "request_review": do_request_review,
    "request_re_review": do_request_re_review, "supervise": do_supervise, "close": do_close, "reopen": do_reopen,
}


# ---------------------------------------------------------------- queue

async def work_queue(actor: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Open cases assigned to the caller, or to the caller's body and unassigned,
    earliest due first (cases with no running clock last)."""
    after_due, after_id = None, None
    if cursor:
        raw = cases.decode_cursor_text(cursor)
        due_text, _, id_text = raw.partition("|")
        try:
            after_due = dt.date.fromisoformat(due_text) if due_text else dt.date.max
            after_id = int(id_text)
        except ValueError:
            raise invalid([{"field": "cursor", "message": "is not a cursor this service issued"}]) from None
    low, high = Scope.of(actor).bounds
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT {cases.LIST_COLUMNS}, c.assignee_id FROM case_file c
                WHERE c.status = 'open' AND c.division_code >= $1 AND c.division_code < $2
                  AND (c.assignee_id = $3 OR (c.body_id = $4 AND c.assignee_id IS NULL))
                  AND ($5::date IS NULL OR (coalesce(c.next_due_on, 'infinity'::date), c.id) > ($5, $6))
                ORDER BY coalesce(c.next_due_on, 'infinity'::date), c.id
                LIMIT $7""",
            low, high, actor.id, actor.body_id, after_due, after_id, limit + 1,
        )
    items = [dict(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = cases.encode_cursor_text(f"{last['next_due_on'] or ''}|{last['id']}")
    return {"items": items, "next_cursor": next_cursor}
