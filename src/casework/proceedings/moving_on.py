"""Actions that move a matter on or oversee it: escalation, review and
re-review, supervision, closing and reopening."""


from typing import Any

from casework.deadlines.engine import (
    stop_all,
)
from casework.problems import Problem, invalid
from casework.proceedings import schemas as s
from casework.proceedings import transitions as tt
from casework.proceedings.act import Act, details_of
from casework.proceedings.handling import conclude
from casework.proceedings.steps import body_by_code, guidance_windows, open_proceeding
from casework.proceedings.tracks import registry
from casework.routing.service import find_body

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
