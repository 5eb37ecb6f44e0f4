"""Reconsideration decisions.

One source of truth: the decision *type* is the reconsideration
proceeding's outcome (``proceeding.outcome``), set by the ``conclude``
action; the decision record adds what the proceeding does not hold, its
number and the days it was made and received. Recording the decision on an
accepted reconsideration performs ``conclude`` (transition table, roles,
events) with outcome = the decision type, counted from the decision date;
on a reconsideration already concluded, the type must match its outcome.

``conclude`` starts the seeded ``litigation.after_reconsideration`` window
(Administrative Litigation Law art. 45: 15 days from receipt of the
decision); the record moves its start to the day of receipt.
"""

from __future__ import annotations

from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.deadlines.calendar import compute_due
from casework.deadlines.service import holiday_calendar, limits_started_by
from casework.problems import invalid
from casework.proceedings import service as proceedings
from casework.proceedings.schemas import ActionRequest
from casework.records import schemas as s
from casework.records import service as records
from casework.records.service import case_write, check_not_future, conflict


async def litigation_window_codes() -> list[str]:
    """The windows a reconsideration's conclusion opens (seeded data)."""
    return [limit.code for limit in await limits_started_by("reconsideration", "conclude")]


async def record_decision(reference: str, data: s.DecisionCreate, *, actor: Principal, if_match: str | None):
    today = timeutil.today()
    check_not_future("decided_on", data.decided_on, today)
    check_not_future("received_on", data.received_on, today)
    if data.received_on < data.decided_on:
        raise invalid([{"field": "received_on", "message": "must not be before decided_on"}])
    async with case_write(reference, actor, if_match) as (conn, case):
        proceeding = await records.current_proceeding(conn, case)
        if proceeding["track"] != "reconsideration":
            raise conflict("not-a-reconsideration",
                           f"the current proceeding is on track {proceeding['track']}, not reconsideration")
        if await conn.fetchval("SELECT true FROM reconsideration_decision WHERE proceeding_id = $1", proceeding["id"]):
            raise conflict("already-decided", "this reconsideration's decision is already recorded")
        if proceeding["state"] == "accepted":
            await proceedings.apply_action(
                conn, case, "conclude", ActionRequest(outcome=data.decision_type, reason=data.reason),
                actor=actor, today=data.decided_on)
        elif proceeding["state"] == "concluded":
            if proceeding["outcome"] != data.decision_type:
                raise conflict("decision-mismatch", f"the reconsideration was concluded as {proceeding['outcome']}, "
                                                    f"not {data.decision_type}")
        else:
            raise conflict("invalid-transition", f"a decision is recorded on an accepted or concluded "
                                                 f"reconsideration (state {proceeding['state']})")
        decision_id = await conn.fetchval(
            """INSERT INTO reconsideration_decision (case_id, proceeding_id, decision_number, decided_on,
                   received_on, recorded_by)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            case["id"], proceeding["id"], data.decision_number.strip(), data.decided_on, data.received_on, actor.id,
        )
        await records.log(conn, case, "reconsideration_decision_recorded", {
            "decision_id": decision_id, "decision_type": data.decision_type,
            "decision_number": data.decision_number.strip(), "decided_on": str(data.decided_on),
            "received_on": str(data.received_on)}, actor)
        await _count_window_from_receipt(conn, case, proceeding["id"], data.received_on, actor)
        etag = await records.touch(conn, case)
        return (await records.decisions(conn, case["id"], decision_id))[0], etag


async def _count_window_from_receipt(conn: Any, case: dict[str, Any], proceeding_id: int, received_on, actor) -> None:
    cal = await holiday_calendar()
    for limit in await limits_started_by("reconsideration", "conclude"):
        clock = await conn.fetchrow(
            """SELECT * FROM clock WHERE proceeding_id = $1 AND time_limit_code = $2 AND record_kind IS NULL
               AND state = 'running' ORDER BY id DESC LIMIT 1 FOR UPDATE""", proceeding_id, limit.code)
        if clock is None or clock["started_on"] == received_on:
            continue
        due = compute_due(cal, received_on, limit.length, limit.unit)
        await conn.execute(
            """UPDATE clock SET started_on = $2, due_on = $3, calendar_incomplete = $4, due_soon_marked_at = NULL,
                   breached_marked_at = NULL WHERE id = $1""",
            clock["id"], received_on, due.due_on, due.calendar_incomplete)
        await records.log(conn, case, "clock_restarted", {
            "time_limit": limit.code, "started_on_before": str(clock["started_on"]), "started_on": str(received_on),
            "due_before": str(clock["due_on"]), "due_on": str(due.due_on), "reason": "counted from receipt of the "
            "decision (" + limit.source + ")"}, actor)
