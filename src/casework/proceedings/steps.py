"""What several actions share: opening a proceeding, a body by code, the
late-application rules, the windows a guidance notice makes visible."""


import datetime as dt
import json
from typing import Any

from casework.deadlines.calendar import compute_due
from casework.deadlines.engine import (
    Subject,
    start,
)
from casework.deadlines.service import holiday_calendar, time_limits
from casework.problems import invalid
from casework.proceedings.act import Act, moment
from casework.proceedings.tracks import registry

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
