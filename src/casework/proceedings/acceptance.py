"""Actions of acceptance: accept, decline, a supplement asked for and
received, withdrawal, the finding on a matter like a terminated one."""


import json
from typing import Any

from casework import timeutil
from casework.deadlines.engine import (
    pause,
    resume,
    start_for,
    stop,
    stop_all,
)
from casework.problems import Problem, invalid
from casework.proceedings import schemas as s
from casework.proceedings.act import Act, details_of, moment
from casework.proceedings.steps import application_window
from casework.proceedings.tracks import registry
from casework.reference import service as reference

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
    repeats = await _undecided_repeats(act)
    if repeats:
        why = (data.repeat_accepted_reason or "").strip()
        if not why:
            raise Problem(422, "possible-repeat", "A possible repeat: decide with a reason",
                          "the applicant has earlier cases of the same category against the same respondent; "
                          "accept it with repeat_accepted_reason (a new matter, or why it is handled again), or "
                          "decline it", evidence={"possible_repeats": repeats},
                          errors=[{"field": "repeat_accepted_reason",
                                   "message": "required: the case is a possible repeat"}])
        recorded["repeat_accepted_reason"] = why
        act.add("repeat_accepted", {"possible_repeats": [r["reference"] for r in repeats], "reason": why})
    await act.conn.execute("UPDATE proceeding SET accepted_at = $2 WHERE id = $1", act.proceeding["id"],
                           moment(act.on, act.today))
    act.add("accepted", recorded)
    await act.event(event)


async def _undecided_repeats(act: Act) -> list[dict[str, Any]]:
    """The earlier cases listed at intake as possible repeats, when nobody has
    yet decided on them: the case's first acceptance, with no finding on a
    terminated matter (find_new_matter already gave its reason)."""
    raw = act.case.get("possible_repeats")
    stored = json.loads(raw) if isinstance(raw, str) else (raw or [])
    if not stored or act.proceeding["id"] != await act.conn.fetchval(
            "SELECT min(id) FROM proceeding WHERE case_id = $1", act.case["id"]):
        return []
    if await act.conn.fetchval("SELECT true FROM case_event WHERE case_id = $1 AND type = 'finding_made' LIMIT 1",
                               act.case["id"]):
        return []
    return [{"reference": r["reference"], "received_at": r["received_at"], "status": r["status"],
             "terminated": r.get("terminated", False)} for r in stored]


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


# ---------------------------------------------------------------- online applications

ONLINE_BASIS = ("a body's periods run from the day it received the application (DOMAIN.md, time limits); "
                "an application filed online is received when it is submitted, not when it is registered")


async def register_online(act: Act, data: s.RegisterOnline) -> None:
    """The clerk registers an online application: the proceeding enters its
    track's first state (or the officer's finding, if it looks like a matter
    terminated after re-review), and its clocks start from the day it was
    submitted, not the day it was registered."""
    received_on = timeutil.local_date(act.case["received_at"])
    track = registry().track(act.track)
    act.new_state = ("pending_finding" if act.track == "petition" and act.case["related_case_id"]
                     else track.initial_state)
    act.add("online_registered", {"received_on": str(received_on), "registered_on": str(act.on),
                                  "state": act.new_state, "basis": ONLINE_BASIS})
    if act.track == "reconsideration":
        late = await application_window(act.case, received_on)
        if late:
            await act.set_details({**details_of(act.proceeding), **late})
            act.add("late_application_flagged", late)
    if track.handled == "internal" and act.new_state != "pending_finding":
        await start_for(act.conn, act.subject(), "open", received_on, act.journal)


async def refuse_online(act: Act, data: s.RefuseOnline) -> None:
    """Refused as not a matter (不予登记), with a standard reason the party sees."""
    details = details_of(act.proceeding)
    asked_from = (details.get("supplement") or {}).get("from_state")
    if act.proceeding["state"] == "supplementing" and asked_from != "submitted_online":
        raise Problem(409, "invalid-transition", "Action not allowed now",
                      "refuse_online is only for an online application not yet registered",
                      action="refuse_online", track=act.track, state=act.proceeding["state"])
    if data.reason_code not in await reference.public_reasons():
        raise invalid([{"field": "reason_code", "message": f"unknown reason {data.reason_code!r} "
                                                           "(GET /api/v1/reference: public_reasons)"}])
    public_note = (data.public_note or "").strip() or None
    await act.set_details({**details, "not_accepted": {"reason": data.reason, "reason_code": data.reason_code,
                                                       "public_note": public_note, "online": True}})
    await act.conn.execute("UPDATE proceeding SET concluded_at = $2 WHERE id = $1", act.proceeding["id"],
                           moment(act.on, act.today))
    await act.conn.execute("UPDATE case_file SET not_accepted_reason = $2, not_accepted_note = $3 WHERE id = $1",
                           act.case["id"], data.reason_code, public_note)
    act.add("online_refused", {"reason": data.reason, "reason_code": data.reason_code})
    await stop_all(act.conn, act.proceeding["id"], act.on, act.journal, by="refuse_online")
    await act.notice("not_accepted_notice", details={"reason_code": data.reason_code, "online": True})
