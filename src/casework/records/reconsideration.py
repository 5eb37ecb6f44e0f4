"""Reconsideration decisions.

One source of truth: the decision *type* is the reconsideration
proceeding's outcome (``proceeding.outcome``), set by the ``conclude``
action; the decision record adds what the proceeding does not hold, its
number and the days it was made and received. Recording the decision on an
accepted reconsideration performs ``conclude`` (transition table, roles,
events) on the decision date; on a reconsideration already concluded, the
type must match its outcome.

The decision is a notice to the party (行政复议决定书); its receipt is its
service, and the 15-day window to sue (Administrative Litigation Law art.
45) runs from that day: posted, from the day it was received, not posted.
"""

from __future__ import annotations

from casework import timeutil
from casework.access.service import Principal
from casework.deadlines.engine import Journal
from casework.notices import service as notices
from casework.notices.schemas import Served
from casework.problems import invalid
from casework.proceedings import service as proceedings
from casework.proceedings.schemas import Conclude
from casework.records import read
from casework.records import schemas as s
from casework.records import service as records
from casework.records.service import case_write, check_not_future, conflict


async def record_decision(reference: str, data: s.DecisionCreate, *,
                          actor: Principal, if_match: str | None) -> tuple[s.DecisionRead, str]:
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
                conn, case, "conclude",
                Conclude(outcome=data.decision_type, reason=data.reason, effective_on=data.decided_on,
                         backdate_reason=None if data.decided_on == today else "the decision's date"),
                actor=actor, today=today)
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
        notice_id = await conn.fetchval(
            """SELECT id FROM notice WHERE proceeding_id = $1 AND kind = 'reconsideration_decision'
               ORDER BY id DESC LIMIT 1""", proceeding["id"])
        journal = Journal()
        if notice_id is None:
            notice_id = await notices.issue(conn, case, proceeding, "reconsideration_decision", data.decided_on,
                                            journal, actor_id=actor.id, details={"outcome": data.decision_type})
        else:
            # The decision document carries its own date (recorded after a conclude typed in later).
            await conn.execute("UPDATE notice SET issued_on = least(issued_on, $2) WHERE id = $1", notice_id,
                               data.decided_on)
        if await notices.current_service(conn, notice_id) is None:
            await notices.serve_notice(conn, case, notice_id, Served(
                method=data.service_method, served_on=data.received_on, posted_on=data.posted_on,
                tracking_number=data.tracking_number), journal, actor_id=actor.id, today=today)
        await records.log_events(conn, case, journal, actor)
        return await records.answered(conn, case, read.decisions, decision_id)
