"""Actions of handling: assignment, forwarding and return, the report back,
return visits, a leader in charge, sessions, conclusion, guidance, and the
clock actions."""


import datetime as dt
from typing import Any

from casework import timeutil
from casework.deadlines.engine import (
    extend,
    pause,
    resume,
    start_for,
    stop,
    stop_for,
)
from casework.problems import Problem, invalid
from casework.proceedings import schemas as s
from casework.proceedings import transitions as tt
from casework.proceedings.act import Act, details_of, moment
from casework.proceedings.steps import DECISION_NOTICES, body_by_code, guidance_windows
from casework.proceedings.tracks import registry

# ---------------------------------------------------------------- handling

async def assign(act: Act, data: s.Assign) -> None:
    if not data.body_code and not data.assignee:
        raise invalid([{"field": "body_code", "message": "give body_code, assignee or both"}])
    conn, proceeding = act.conn, act.proceeding
    before = {"body_id": proceeding["body_id"], "assignee_id": proceeding["assignee_id"]}
    body_id, assignee_id = proceeding["body_id"], proceeding["assignee_id"]
    after: dict[str, Any] = {}
    if data.body_code:
        body = await body_by_code(conn, data.body_code)
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
    details = details_of(proceeding)
    if data.report_by is not None:
        if data.report_by < act.on:
            raise invalid([{"field": "report_by", "message": "must not be before the assignment"}])
        details["assignment"] = {"report_by": str(data.report_by), "assigned_on": str(act.on),
                                 "by_body_id": proceeding["body_id"]}
        after["report_by"] = str(data.report_by)
    if data.joint_bodies:
        contributors = [await body_by_code(conn, code) for code in data.joint_bodies]
        details["joint"] = {"lead_body_id": body_id, "contributors": [b["code"] for b in contributors]}
        after["joint_bodies"] = [b["code"] for b in contributors]
    if data.report_by is not None or data.joint_bodies:
        await act.set_details(details)
    act.add("assigned", {"before": before, "after": {"body_id": body_id, "assignee_id": assignee_id, **after},
                         "reason": data.reason})
    if proceeding["state"] == "registered":  # the petition is forwarded now: the handler received it
        await act.event("assign")
    else:
        await stop_for(conn, act.subject(), "assign", act.on, act.journal)


async def forward(act: Act, data: s.Forward) -> None:
    """转送 to the competent body: it received the matter today; its 15 days to
    tell the petitioner whether it is accepted and its 5 working days to
    return a matter that is not its own start."""
    body = await body_by_code(act.conn, data.body_code)
    if body["id"] == act.proceeding["body_id"]:
        raise invalid([{"field": "body_code", "message": "is the body that has the matter already"}])
    details = details_of(act.proceeding)
    details["forwarded"] = {"from_body_id": act.proceeding["body_id"], "to": body["code"], "on": str(act.on)}
    await act.set_details(details)
    await act.conn.execute("UPDATE proceeding SET body_id = $2, assignee_id = NULL WHERE id = $1",
                           act.proceeding["id"], body["id"])
    act.add("forwarded", {"to": body["code"], "reason": data.reason})
    await act.event("forward")


async def return_matter(act: Act, data: s.ReturnMatter) -> None:
    """退回: the receiving body returns a matter that is not its own, within its
    5 working days (信访工作条例 art. 23(3)); after them it handles it."""
    if act.actor is not None and act.actor.role not in tt.SUPERVISORS and act.actor.body_id != act.proceeding["body_id"]:
        raise Problem(403, "forbidden", "Forbidden", "only the receiving body returns a matter it was sent")
    forwarded = details_of(act.proceeding).get("forwarded")
    if not forwarded:
        raise Problem(409, "not-forwarded", "Nothing to return", "this matter was not forwarded (转送) here")
    window = await act.conn.fetchrow(
        """SELECT * FROM clock WHERE proceeding_id = $1 AND time_limit_code = 'petition.return_misdirected'
           ORDER BY id DESC LIMIT 1""", act.proceeding["id"])
    if window is None or window["due_on"] < act.on or window["outcome"] == "lapsed":
        ended = window["due_on"] if window else None
        raise Problem(409, "return-window-closed", "Too late to return",
                      f"the 5 working days to return the matter ended on {ended}: the receiving body handles it")
    await act.conn.execute("UPDATE proceeding SET body_id = $2, assignee_id = NULL WHERE id = $1",
                           act.proceeding["id"], forwarded["from_body_id"])
    details = details_of(act.proceeding)
    details["returned"] = {"on": str(act.on), "reason": data.reason, "by": forwarded["to"]}
    await act.set_details(details)
    act.add("returned", {"by": forwarded["to"], "reason": data.reason})
    await act.event("return")


async def report_back(act: Act, data: s.ReportBack) -> None:
    assignment = details_of(act.proceeding).get("assignment")
    if not assignment:
        raise Problem(409, "not-assigned", "Nothing to report on",
                      "a completion report answers an assignment (交办) with report_by")
    due = dt.date.fromisoformat(assignment["report_by"])
    details = details_of(act.proceeding)
    details["assignment"] = {**assignment, "reported_on": str(act.on), "report": data.report}
    await act.set_details(details)
    act.add("completion_reported", {"report_by": assignment["report_by"], "on": str(act.on),
                                    "late": act.on > due})


async def record_return_visit(act: Act, data: s.ReturnVisit) -> None:
    if data.visited_on > act.today:
        raise invalid([{"field": "visited_on", "message": "must not be in the future"}])
    details = details_of(act.proceeding)
    visit = {"visited_on": str(data.visited_on), "method": data.method,
             "agreement_performed": data.agreement_performed, "satisfied": data.satisfied}
    details.setdefault("return_visits", []).append({**visit, "notes": data.notes or ""})
    await act.set_details(details)
    act.add("return_visit_recorded", visit)  # notes stay in the proceeding, out of the event


async def assign_leader(act: Act, data: s.AssignLeader) -> None:
    details = details_of(act.proceeding)
    details["leader"] = {"leader": data.leader, "title": data.title, "since": str(act.on), "reason": data.reason,
                         "actions": details.get("leader", {}).get("actions", [])}
    await act.set_details(details)
    act.add("leader_assigned", {"title": data.title, "since": str(act.on)})


async def record_leader_action(act: Act, data: s.LeaderAction) -> None:
    details = details_of(act.proceeding)
    if "leader" not in details:
        raise Problem(409, "no-leader", "No leader in charge", "assign a leader first (assign_leader)")
    details["leader"].setdefault("actions", []).append({"done_on": str(data.done_on), "what": data.what})
    await act.set_details(details)
    act.add("leader_action_recorded", {"done_on": str(data.done_on)})


async def record_session(act: Act, data: s.RecordSession) -> None:
    if data.held_on > act.today:
        raise invalid([{"field": "held_on", "message": "must not be in the future"}])
    if data.held_on.year < 1990:
        raise invalid([{"field": "held_on", "message": "is implausibly old (before 1990)"}])
    if data.held_on < timeutil.local_date(act.case["received_at"]):
        raise invalid([{"field": "held_on", "message": "is before the case was received"}])
    conn = act.conn
    session_id = await conn.fetchval(
        """INSERT INTO mediation_session (case_id, proceeding_id, held_on, location, mediator_id, participants, notes)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        act.case["id"], act.proceeding["id"], data.held_on, data.location or "", act.actor.id if act.actor else None,
        data.participants or [], data.notes or "")
    count = await conn.fetchval("SELECT count(*) FROM mediation_session WHERE proceeding_id = $1",
                                act.proceeding["id"])
    # Notes and participants' names stay in the session record, not the event.
    act.add("session_recorded", {"session_id": session_id, "session_no": count, "held_on": str(data.held_on),
                                 "location": data.location or ""})


async def conclude(act: Act, data: s.Conclude) -> None:
    track = act.track
    outcomes = registry().track(track).outcome_codes
    if data.outcome not in outcomes:
        raise invalid([{"field": "outcome", "message": f"must be one of {', '.join(sorted(outcomes))}"}])
    details = details_of(act.proceeding)
    event: dict[str, Any] = {"outcome": data.outcome}
    channels = list(data.channels_notified or [])
    if track in registry().mediation_tracks and data.outcome in tt.FAILED_MEDIATION:
        if not channels:
            raise invalid([{"field": "channels_notified",
                            "message": "when mediation fails the parties must be told of their other channels "
                                       "(People's Mediation Law art. 26)"}])
        details["channels_notified"] = channels
        event["channels_notified"] = channels
    if data.opinion:
        details["opinion"] = data.opinion
        event["opinion"] = data.opinion
    if data.reason:
        event["reason"] = data.reason
    await act.conn.execute("UPDATE proceeding SET outcome = $2, concluded_at = $3 WHERE id = $1",
                           act.proceeding["id"], data.outcome, moment(act.on, act.today))
    await act.set_details(details)
    act.add("concluded", event)
    await act.event("conclude")
    await act.event(f"conclude:{data.outcome}")
    if track in DECISION_NOTICES and data.outcome != "withdrawn":
        await act.notice(DECISION_NOTICES[track], served=data.served,
                         details={"outcome": data.outcome, "opinion": data.opinion})
    if channels:
        await act.notice("guidance_notice", served=data.served, details={"channels": channels})
        await guidance_windows(act, channels, act.proceeding)
    if track == "petition_re_review":
        act.add("terminated", {"explanation": "re-review concluded: the matter is terminated; the same facts and "
                                              "reasons are not accepted again"})


async def convert_to_ordinary(act: Act, data: s.ConvertToOrdinary) -> None:
    """Simplified to ordinary procedure (行政复议法 art. 55): the simplified
    period no longer applies; the ordinary one counts from the acceptance."""
    rows = await act.conn.fetch(
        """SELECT * FROM clock WHERE proceeding_id = $1 AND state <> 'stopped'
             AND time_limit_code = 'reconsideration.decision_simplified' FOR UPDATE""", act.proceeding["id"])
    if not rows:
        raise Problem(409, "not-simplified", "Not in the simplified procedure",
                      "this reconsideration is not running the simplified procedure")
    for row in rows:
        await stop(act.conn, dict(row), act.on, act.journal, by="convert_to_ordinary", outcome="not_applicable")
    accepted_on = timeutil.local_date(act.proceeding["accepted_at"] or act.proceeding["opened_at"])
    act.add("procedure_converted", {"to": "ordinary", "reason": data.reason, "counted_from": str(accepted_on)})
    await start_for(act.conn, act.subject(), "convert_to_ordinary", accepted_on, act.journal)


async def give_guidance(act: Act, data: s.GiveGuidance) -> None:
    """Telling the parties which other channels they have: a notice, not a
    proceeding. Their windows become visible and stay open until a suit, an
    application or an arbitration is recorded, or they end; no body's clock
    starts until that body receives something."""
    details = details_of(act.proceeding)
    details["channels_notified"] = sorted(set(details.get("channels_notified", [])) | set(data.channels))
    await act.set_details(details)
    act.add("guidance_given", {"channels": list(data.channels)})
    await act.notice("guidance_notice", served=data.served, details={"channels": list(data.channels)})
    await guidance_windows(act, list(data.channels), act.proceeding)


# ---------------------------------------------------------------- clocks

async def pause_clock(act: Act, data: s.PauseClock) -> None:
    await pause(act.conn, act.proceeding["id"], data.clock, act.on, data.reason, act.journal)


async def resume_clock(act: Act, data: s.ResumeClock) -> None:
    await resume(act.conn, act.proceeding["id"], data.clock, act.on, data.reason, act.journal)


async def extend_deadline(act: Act, data: s.ExtendDeadline) -> None:
    if data.party_informed is not True:
        raise invalid([{"field": "party_informed", "message": "the party must be told of the extension and why"}])
    grant = {"days": data.days, "approver": data.approver, "reason": data.reason, "party_informed": True,
             "granted_by": act.actor.username if act.actor else None}
    await extend(act.conn, act.proceeding["id"], data.clock, data.days, act.on, grant, act.journal)
    await act.notice("extension_notice", served=data.served, details={"clock": data.clock, "days": data.days})
