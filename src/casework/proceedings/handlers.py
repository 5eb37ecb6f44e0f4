"""What each action does to the current proceeding, on its effective date.

Every handler takes the ``Act`` and the action's struct, changes the
proceeding, names the legal events for the clock engine (which stops and
starts the clocks the time-limit data ties to them), issues the notices
the step gives a party, and leaves the state to the transition table
unless it says otherwise (``act.new_state``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from casework import timeutil
from casework.deadlines.calendar import compute_due
from casework.deadlines.engine import (
    Subject,
    extend,
    pause,
    resume,
    start,
    start_for,
    stop,
    stop_all,
    stop_for,
)
from casework.deadlines.service import holiday_calendar, time_limits
from casework.problems import Problem, invalid
from casework.proceedings import schemas as s
from casework.proceedings import transitions as tt
from casework.proceedings.act import Act, details_of, moment
from casework.proceedings.tracks import registry
from casework.reference import service as reference
from casework.routing.service import find_body

# The written opinion or decision a conclusion gives the party, by track.
DECISION_NOTICES = {
    "petition": "petition_opinion", "petition_review": "review_opinion", "petition_re_review": "re_review_opinion",
    "reconsideration": "reconsideration_decision",
}
# Windows a guidance notice makes visible that run from the day the party
# knew of the administrative act (not from the guidance).
FROM_ACT_KNOWN = frozenset({"reconsideration.apply", "litigation.direct"})


# ---------------------------------------------------------------- helpers

async def body_by_code(conn: Any, code: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT id, code, name_zh, kind, level, division_code FROM body WHERE code = $1 AND active", code)
    if row is None:
        raise invalid([{"field": "body_code", "message": f"no active body {code}"}])
    return dict(row)


async def application_window(case: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
    """Whether a reconsideration application made on ``on`` is late: 60 days
    from knowing of the act (the seeded ``reconsideration.apply`` limit),
    obstacle days not counted (art. 20(2)), one year when the applicant was
    not told of the right or the period (art. 20(3)), and never more than 5
    years from the act, 20 for immovable property (art. 21). The evidence
    for the officer's decision, or None when it is in time or unknown."""
    known = case.get("act_known_on")
    if known is None:
        return None
    limit = (await time_limits()).get("reconsideration.apply")
    if limit is None:
        return None
    cal = await holiday_calendar()
    not_told = bool(case.get("not_informed_of_right"))
    obstacle = int(case.get("obstacle_days") or 0)
    if not_told:
        due = compute_due(cal, known, 1, "years", extra_days=obstacle).due_on
        rule = "one year: the applicant was not told of the right or the period (art. 20(3))"
    else:
        due = compute_due(cal, known, limit.length, limit.unit, extra_days=obstacle).due_on
        rule = f"{limit.length} {limit.unit} from knowing of the act (art. 20)"
    evidence: dict[str, Any] = {"act_known_on": str(known), "window_ended_on": str(due), "rule": rule,
                                "obstacle_days": obstacle, "source": limit.source}
    act_on = case.get("act_on")
    if act_on is not None:
        years = 20 if case.get("immovable_property") else 5
        absolute = compute_due(cal, act_on, years, "years").due_on
        evidence["absolute_limit_on"] = str(absolute)
        if on > absolute:
            return {"late_application": True, **evidence,
                    "rule": f"at most {years} years from the act (art. 21)"}
    if on > due:
        return {"late_application": True, **evidence}
    return None


async def open_proceeding(
    act: Act, *, track: str, body: dict[str, Any] | None, reason: str, state: str | None = None,
    received_on: dt.date | None = None,
) -> dict[str, Any]:
    """The next proceeding of the case, received by its body on ``received_on``
    (the action's date): the previous one is marked escalated, and the new
    body's clocks start from its receipt."""
    conn, case = act.conn, act.case
    seq = await conn.fetchval("SELECT coalesce(max(seq), 0) + 1 FROM proceeding WHERE case_id = $1", case["id"])
    on = received_on or act.on
    details: dict[str, Any] = {}
    if track == "reconsideration":
        late = await application_window(case, on)
        if late:
            details.update(late)
    state = state or registry().track(track).initial_state
    row = dict(await conn.fetchrow(
        """INSERT INTO proceeding (case_id, seq, track, body_id, state, previous_id, opened_at, opened_reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING *""",
        case["id"], seq, track, body["id"] if body else None, state, act.proceeding["id"], moment(on, act.today),
        reason, json.dumps(details)))
    act.new_proceeding_id = row["id"]
    await conn.execute("UPDATE proceeding SET state = 'escalated' WHERE id = $1", act.proceeding["id"])
    if registry().track(track).handled == "internal":
        await act.event("open", on, proceeding=row)
    if details.get("late_application"):
        act.add("late_application_flagged", details, row["id"])
    return row


async def guidance_windows(act: Act, channels: list[str], proceeding: dict[str, Any]) -> None:
    """The party's windows a guidance notice names, visible from now on: a
    window that runs from knowing of the act starts on that day (and only
    when it is known); the others from the guidance."""
    limits = await time_limits()
    known = act.case.get("act_known_on")
    respondent_is_agency = await act.conn.fetchval(
        "SELECT true FROM party WHERE case_id = $1 AND role = 'respondent' AND kind = 'agency' LIMIT 1",
        act.case["id"])
    for channel in channels:
        event = f"guidance:{channel}"
        wanted = [lim for lim in limits.values() if event in lim.starts_on]
        for limit in wanted:
            if limit.code in FROM_ACT_KNOWN:
                if known is None or not respondent_is_agency:
                    act.add("window_not_counted", {"time_limit": limit.code, "channel": channel,
                                                   "why": "the day the party knew of the administrative act is not "
                                                          "recorded (act_known_on), or the respondent is no agency"},
                            proceeding["id"])
                    continue
                start_on = known
            else:
                start_on = act.on
            running = await act.conn.fetchval(
                "SELECT true FROM clock WHERE case_id = $1 AND time_limit_code = $2 AND state <> 'stopped' LIMIT 1",
                act.case["id"], limit.code)
            if running:
                continue
            await start(act.conn, Subject(act.case["id"], proceeding["id"], limit.track), limit, start_on,
                        act.journal, by=event)


# ---------------------------------------------------------------- acceptance

async def accept(act: Act, data: s.Accept) -> None:
    event = "accept"
    if data.procedure == "simplified":
        if act.track != "reconsideration":
            raise invalid([{"field": "procedure", "message": "the simplified procedure is for reconsideration"}])
        event = "accept_simplified"
    recorded: dict[str, Any] = {"procedure": data.procedure or "ordinary"}
    if act.track == "reconsideration":
        received_on = timeutil.local_date(act.proceeding["opened_at"])
        late = await application_window(act.case, received_on)
        if late:
            if not (data.late_accepted_reason or "").strip():
                raise Problem(422, "late-application", "The application may be late: decide with a reason",
                              "the application looks late; accept it with late_accepted_reason, or decline it "
                              "(reason_code out_of_time)", evidence=late,
                              errors=[{"field": "late_accepted_reason", "message": "required: the application "
                                                                                   "looks late"}])
            recorded.update(late, late_accepted_reason=data.late_accepted_reason)
            act.add("late_application_accepted", {**late, "reason": data.late_accepted_reason})
    await act.conn.execute("UPDATE proceeding SET accepted_at = $2 WHERE id = $1", act.proceeding["id"],
                           moment(act.on, act.today))
    act.add("accepted", recorded)
    await act.event(event)


async def decline(act: Act, data: s.Decline) -> None:
    code = data.reason_code or "other"
    if code not in await reference.public_reasons():
        raise invalid([{"field": "reason_code", "message": f"unknown reason {code!r} (GET /api/v1/reference: "
                                                           "public_reasons)"}])
    public_note = (data.public_note or "").strip() or None
    details = {**details_of(act.proceeding), "not_accepted": {
        "reason": data.reason, "reason_code": code, "public_note": public_note, "directed_to": data.directed_to}}
    await act.set_details(details)
    await act.conn.execute("UPDATE proceeding SET concluded_at = $2 WHERE id = $1", act.proceeding["id"],
                           moment(act.on, act.today))
    await act.conn.execute("UPDATE case_file SET not_accepted_reason = $2, not_accepted_note = $3 WHERE id = $1",
                           act.case["id"], code, public_note)
    act.add("not_accepted", {"reason": data.reason, "reason_code": code, "directed_to": data.directed_to})
    await act.event("decline")
    await stop_all(act.conn, act.proceeding["id"], act.on, act.journal, by="decline")
    await act.notice("not_accepted_notice", served=data.served, details={"reason_code": code,
                                                                          "directed_to": data.directed_to})


async def request_supplement(act: Act, data: s.RequestSupplement) -> None:
    """补正: the notice says what is missing; for reconsideration the
    acceptance review stops (the notice came within it) and the applicant's
    10 working days run from receipt of the notice, then a fresh review
    (art. 31); for legal aid the decision clock is paused, supplementing is
    not counted (art. 43)."""
    details = {**details_of(act.proceeding),
               "supplement": {"missing": data.missing, "from_state": act.proceeding["state"],
                              "requested_on": str(act.on)}}
    await act.set_details(details)
    act.add("supplement_requested", {"missing": data.missing, "from_state": act.proceeding["state"]})
    if act.track == "legal_aid":
        await pause(act.conn, act.proceeding["id"], "legal_aid.decide", act.on, "supplement", act.journal)
    await act.event("request_supplement")
    await act.notice("supplement_notice", served=data.served, details={"missing": data.missing})


async def supplement_received(act: Act, data: s.SupplementReceived) -> None:
    details = details_of(act.proceeding)
    supplement = details.get("supplement") or {}
    supplement["received_on"] = str(act.on)
    await act.set_details({**details, "supplement": supplement})
    act.new_state = supplement.get("from_state") or registry().track(act.track).initial_state
    act.add("supplement_received", {"on": str(act.on)})
    if act.track == "legal_aid":
        await resume(act.conn, act.proceeding["id"], "legal_aid.decide", act.on, "supplement received", act.journal)
    await act.event("supplement_received")


async def withdraw(act: Act, data: s.Withdraw) -> None:
    """The applicant withdraws (撤回): reconsideration ends (终止, 行政复议法 art.
    41), legal aid ends (terminated); the body's clocks stop, and so do the
    party's windows this proceeding opened: they no longer apply."""
    await act.conn.execute("UPDATE proceeding SET concluded_at = $2, outcome = 'withdrawn' WHERE id = $1",
                           act.proceeding["id"], moment(act.on, act.today))
    act.add("withdrawn", {"reason": data.reason, "from_state": act.proceeding["state"]})
    await act.event("withdraw")
    await stop_all(act.conn, act.proceeding["id"], act.on, act.journal, by="withdraw")
    rows = await act.conn.fetch(
        "SELECT * FROM clock WHERE proceeding_id = $1 AND state <> 'stopped' ORDER BY id FOR UPDATE",
        act.proceeding["id"])
    for row in rows:
        await stop(act.conn, dict(row), act.on, act.journal, by="withdraw", outcome="not_applicable")
    if act.track in ("reconsideration", "legal_aid"):
        await act.notice("withdrawal_notice", details={"reason": data.reason})


async def find_same_matter(act: Act, data: s.FindSameMatter) -> None:
    """The same facts and reasons as a matter terminated after re-review: not
    accepted again (信访工作条例 art. 36), and the petitioner is told so in
    writing now, not before the finding."""
    await decline(act, s.Decline(reason=data.reason, directed_to="（同一事项已复核终结）",
                                 reason_code="terminated_matter", public_note=data.public_note,
                                 served=data.served, effective_on=data.effective_on,
                                 backdate_reason=data.backdate_reason))
    act.journal.events.insert(0, ("finding_made", {"question": "same_matter_as_terminated", "same_matter": True,
                                                   "reason": data.reason}, act.proceeding["id"]))


async def find_new_matter(act: Act, data: s.FindNewMatter) -> None:
    act.add("finding_made", {"question": "same_matter_as_terminated", "same_matter": False, "reason": data.reason})


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


# ---------------------------------------------------------------- moving on

async def escalate(act: Act, data: s.Escalate) -> None:
    track, target = act.track, data.track
    if act.proceeding["state"] == "accepted":
        # Mediation failed and goes on elsewhere in one action: conclude first.
        if data.outcome not in tt.FAILED_MEDIATION | {"withdrawn"}:
            raise invalid([{"field": "outcome", "message": "escalating an open mediation needs its outcome "
                                                           "(failed, party_refused or withdrawn)"}])
        await conclude(act, s.Conclude(outcome=data.outcome, channels_notified=data.channels_notified,
                                       reason=data.reason, effective_on=data.effective_on,
                                       backdate_reason=data.backdate_reason))
        act.proceeding = {**act.proceeding, "outcome": data.outcome}
    targets = registry().track(track).escalates_to
    if target not in targets:
        raise invalid([{"field": "track", "message": f"{track} may escalate to {', '.join(sorted(targets)) or 'nothing'}"}])
    details = details_of(act.proceeding)
    channels = data.channels_notified or details.get("channels_notified")
    if track in registry().mediation_tracks and act.proceeding["outcome"] in tt.FAILED_MEDIATION and not channels:
        raise invalid([{"field": "channels_notified", "message": "record which other channels the parties were told of"}])
    if target == "reconsideration":
        agency = await act.conn.fetchval(
            "SELECT true FROM party WHERE case_id = $1 AND role = 'respondent' AND kind = 'agency' LIMIT 1",
            act.case["id"])
        if not agency:
            raise invalid([{"field": "track", "message": "reconsideration reviews an administrative act: "
                                                        "the respondent must be an administrative agency"}])
    if data.body_code:
        body = await body_by_code(act.conn, data.body_code)
    else:
        body = await find_body(registry().track(target).body_kind, act.case["division_code"],
                               act.case["category_code"])
    await act.event("escalate")
    await stop_all(act.conn, act.proceeding["id"], act.on, act.journal, by="escalate")
    new = await open_proceeding(act, track=target, body=body, reason=data.reason)
    if registry().track(target).handled == "external":
        # Into court or arbitration: the party files there; no court's clock
        # runs until it receives the complaint (a linked lawsuit).
        channel = "litigation" if target == "litigation" else "labour_arbitration"
        await act.notice("guidance_notice", details={"channels": [channel]}, proceeding=new)
        await guidance_windows(act, [channel], new)
    act.journal.events.insert(0, ("escalated", {
        "from_track": track, "to_track": target, "reason": data.reason, "channels_notified": channels,
        "body": body["code"] if body else None, "new_proceeding_id": new["id"]}, act.proceeding["id"]))


async def superior_bureau(conn: Any, case: dict[str, Any], handler_body_id: int | None) -> dict[str, Any] | None:
    """The body a review of the handler's opinion goes to: the handler's
    superior (reference data, ``body.superior_code``), else the nearest
    petition bureau above the handler's level covering the case."""
    superior = await conn.fetchrow(
        """SELECT s.id, s.code, s.name_zh FROM body h JOIN body s ON s.code = h.superior_code AND s.active
           WHERE h.id = $1""", handler_body_id)
    if superior is not None:
        return dict(superior)
    handler_level = await conn.fetchval("SELECT level FROM body WHERE id = $1", handler_body_id) or 3
    row = await conn.fetchrow(
        """SELECT b.id, b.code, b.name_zh FROM body b JOIN division d ON d.code = b.division_code
           WHERE b.kind = 'petition_bureau' AND b.active AND starts_with($1, d.prefix) AND b.level < $2
           ORDER BY b.level DESC LIMIT 1""",
        case["division_code"], handler_level)
    return dict(row) if row else None


async def _review(act: Act, data: s.RequestReview, *, window_code: str, action: str, target: str) -> None:
    """The petitioner asks for review (or re-review): the request counts on the
    day made (a posted one on its postmark, given as effective_on). Within
    the window it is on time; after it an officer may accept it late, with a
    reason. The superior body receives it that day."""
    if act.case["petition_type"] in ("suggestion", "accusation"):
        raise Problem(409, "no-review-for-this-petition-type", "No review for this kind of petition",
                      "review and re-review are for appeal/demand petitions (申诉求决类, 信访工作条例 arts. 35-36); "
                      "a suggestion or an accusation is answered, not reviewed",
                      petition_type=act.case["petition_type"])
    window = await act.conn.fetchrow(
        """SELECT * FROM clock WHERE proceeding_id = $1 AND time_limit_code = $2 ORDER BY id DESC LIMIT 1""",
        act.proceeding["id"], window_code)
    late = None
    if window is not None and act.on > window["due_on"]:
        late = {"window": window_code, "closed_on": str(window["due_on"]), "made_on": str(act.on)}
        if not data.late_justification:
            raise Problem(422, "window-closed", "Request out of time",
                          f"the {window_code} window closed on {window['due_on']}; an officer may accept it late "
                          f"with late_justification",
                          errors=[{"field": "late_justification", "message": "required after the window closed"}])
        if act.actor is not None and act.actor.role not in tt.OFFICERS:
            raise Problem(403, "forbidden", "Forbidden", "only an officer may accept a late request")
        late["justification"] = data.late_justification
    await act.event(action)
    body = await superior_bureau(act.conn, act.case, act.proceeding["body_id"])
    new = await open_proceeding(act, track=target, body=body, reason=data.reason or action)
    act.journal.events.insert(0, (f"{action.removeprefix('request_')}_requested", {
        "to_track": target, "body": body["code"] if body else None, "late": late, "posted": data.posted,
        "new_proceeding_id": new["id"]}, act.proceeding["id"]))


async def request_review(act: Act, data: s.RequestReview) -> None:
    await _review(act, data, window_code="petition.request_review", action="request_review",
                  target="petition_review")


async def request_re_review(act: Act, data: s.RequestReview) -> None:
    await _review(act, data, window_code="petition_review.request_re_review", action="request_re_review",
                  target="petition_re_review")


# ---------------------------------------------------------------- oversight

async def supervise(act: Act, data: s.Supervise) -> None:
    supervision_id = await act.conn.fetchval(
        """INSERT INTO supervision (case_id, proceeding_id, body_id, opened_by, reason, respond_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        act.case["id"], act.proceeding["id"], act.actor.body_id if act.actor else None,
        act.actor.id if act.actor else None, data.reason, data.respond_by)
    act.add("supervised", {"supervision_id": supervision_id, "reason": data.reason,
                           "respond_by": str(data.respond_by) if data.respond_by else None})


async def close(act: Act, data: s.Close) -> None:
    await stop_all(act.conn, act.proceeding["id"], act.on, act.journal, by="close")
    await act.conn.execute(
        """UPDATE supervision SET state = 'closed', closed_at = casework_now(), closed_reason = 'case closed'
           WHERE case_id = $1 AND state = 'open'""", act.case["id"])
    act.add("closed", {"reason": data.reason, "from_state": act.proceeding["state"]})


async def reopen(act: Act, data: s.Reopen) -> None:
    await act.conn.execute("UPDATE proceeding SET concluded_at = NULL, outcome = NULL WHERE id = $1",
                           act.proceeding["id"])
    await act.conn.execute("UPDATE case_file SET closed_at = NULL WHERE id = $1", act.case["id"])
    act.add("reopened", {"reason": data.reason, "from_state": act.proceeding["state"],
                         "previous_outcome": act.proceeding["outcome"]})


HANDLERS = {
    "accept": accept, "decline": decline, "assign": assign, "record_session": record_session,
    "pause_clock": pause_clock, "resume_clock": resume_clock, "extend_deadline": extend_deadline,
    "conclude": conclude, "escalate": escalate, "request_review": request_review,
    "request_re_review": request_re_review, "supervise": supervise, "close": close, "reopen": reopen,
    "request_supplement": request_supplement, "supplement_received": supplement_received, "withdraw": withdraw,
    "give_guidance": give_guidance, "convert_to_ordinary": convert_to_ordinary,
    "find_same_matter": find_same_matter, "find_new_matter": find_new_matter,
    "forward": forward, "return_matter": return_matter, "report_back": report_back,
    "record_return_visit": record_return_visit, "assign_leader": assign_leader,
    "record_leader_action": record_leader_action,
}
