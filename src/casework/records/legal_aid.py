"""Legal-aid records: an application by one of the case's parties to a
legal-aid centre, optionally for a linked lawsuit.

Clocks come from the seeded legal_aid time limits, owned by the record:
the application starts ``legal_aid.decide`` (7 days, Legal Aid Law art. 43),
a grant stops it and starts ``legal_aid.assign`` (3 days), the lawyer's
assignment stops that. The record steps reuse the legal_aid track's action
names (open, accept = grant, decline = refuse, assign), so the limits'
``starts_on``/``stops_on`` data drive both.

No double clocks: when the case's current proceeding is itself on the
legal_aid track, its own open/accept/assign actions already run these
clocks, so a legal-aid record is refused there (409): that application is
handled as the proceeding. Escalating to a legal_aid proceeding ends the
previous proceeding's clocks, the record's included (``_stop_all``), so the
new proceeding's clocks are the only ones running.

Decisions and assignments entered by a user and those pushed by the
centre's system (integrations.inbound) go through ``apply_decision`` and
``apply_assignment``.
"""

from __future__ import annotations

from typing import Any

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.problems import invalid, not_found
from casework.records import schemas as s
from casework.records import service as records
from casework.records.service import case_write, check_not_future, conflict

RECORD = "legal_aid"


async def apply(reference: str, data: s.LegalAidCreate, *, actor: Principal, if_match: str | None):
    today = timeutil.today()
    check_not_future("applied_on", data.applied_on, today)
    async with case_write(reference, actor, if_match) as (conn, case):
        proceeding = await records.current_proceeding(conn, case)
        if proceeding["track"] == "legal_aid":
            raise conflict("legal-aid-is-a-proceeding",
                           "the case's current proceeding is the legal-aid application itself: use its actions "
                           "(accept, decline, assign), which run the same clocks")
        party = await conn.fetchrow("SELECT id, kind FROM party WHERE case_id = $1 AND position = $2",
                                    case["id"], data.party_position)
        if party is None:
            raise invalid([{"field": "party_position", "message": "no such party on this case"}])
        if party["kind"] != "person":
            raise invalid([{"field": "party_position", "message": "legal aid is for persons (Legal Aid Law art. 2)"}])
        if data.lawsuit_id is not None and not await conn.fetchval(
                "SELECT true FROM lawsuit_case WHERE lawsuit_id = $1 AND case_id = $2", data.lawsuit_id, case["id"]):
            raise invalid([{"field": "lawsuit_id", "message": "no such lawsuit linked to this case"}])
        if data.external_id is not None and await _visible_external_id(conn, actor, data.external_id):
            # Only a record the caller may see is a duplicate: one in another
            # jurisdiction is neither named nor refused (docs/access.md).
            raise conflict("duplicate-external-id", f"application {data.external_id} is already recorded")
        record_id = await conn.fetchval(
            """INSERT INTO legal_aid_record (case_id, proceeding_id, party_id, lawsuit_id, centre, external_id,
                   applied_on, aid_type, recorded_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
            case["id"], proceeding["id"], party["id"], data.lawsuit_id, data.centre.strip(), data.external_id,
            data.applied_on, data.aid_type, actor.id,
        )
        await records.log(conn, case, "legal_aid_applied", {
            "legal_aid_id": record_id, "party_position": data.party_position, "centre": data.centre.strip(),
            "aid_type": data.aid_type, "applied_on": str(data.applied_on), "lawsuit_id": data.lawsuit_id}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="open", on=data.applied_on, actor=actor)
        etag = await records.touch(conn, case)
        return (await records.legal_aid(conn, case["id"], record_id))[0], etag


async def _visible_external_id(conn: Any, actor: Principal, external_id: str) -> bool:
    args: list[Any] = [external_id]
    visible = Scope.of(actor).sql("c", args)
    return bool(await conn.fetchval(
        f"""SELECT true FROM legal_aid_record a JOIN case_file c ON c.id = a.case_id
            WHERE a.external_id = $1 AND {visible} LIMIT 1""", *args))


async def _locked(conn: Any, case: dict[str, Any], record_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM legal_aid_record WHERE id = $1 AND case_id = $2 FOR UPDATE",
                              record_id, case["id"])
    if row is None:
        raise not_found("legal-aid record")
    return dict(row)


async def apply_decision(conn: Any, case: dict[str, Any], record: dict[str, Any], data: s.LegalAidDecision, *,
                         actor: Principal | None, source: str) -> None:
    if record["decision"] is not None:
        raise conflict("already-decided", f"the centre already decided: {record['decision']}")
    check_not_future("decided_on", data.decided_on, timeutil.today())
    if data.decided_on < record["applied_on"]:
        raise invalid([{"field": "decided_on", "message": "must not be before applied_on"}])
    reason = (data.refusal_reason or "").strip() or None
    if data.decision == "refused" and reason is None:
        raise invalid([{"field": "refusal_reason", "message": "a refusal states its reason (Legal Aid Law art. 44)"}])
    await conn.execute(
        "UPDATE legal_aid_record SET decision = $2, decided_on = $3, refusal_reason = $4 WHERE id = $1",
        record["id"], data.decision, data.decided_on, reason if data.decision == "refused" else None)
    # The reason may describe the applicant's means: it stays in the record.
    await records.log(conn, case, "legal_aid_decided", {
        "legal_aid_id": record["id"], "decision": data.decision, "decided_on": str(data.decided_on),
        "source": source}, actor)
    step = "accept" if data.decision == "granted" else "decline"
    # A grant answers the 7 days and starts the 3 to assign a legal-aid worker.
    await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record["id"],
                               event=step, on=data.decided_on, actor=actor)
    await records.touch(conn, case)


async def apply_assignment(conn: Any, case: dict[str, Any], record: dict[str, Any], data: s.LawyerAssignment, *,
                           actor: Principal | None, source: str) -> None:
    if record["decision"] != "granted":
        raise conflict("not-granted", "a lawyer is assigned after legal aid is granted")
    if record["assigned_on"] is not None:
        raise conflict("already-assigned", "a lawyer is already assigned")
    check_not_future("assigned_on", data.assigned_on, timeutil.today())
    if data.assigned_on < record["decided_on"]:
        raise invalid([{"field": "assigned_on", "message": "must not be before the decision"}])
    await conn.execute(
        "UPDATE legal_aid_record SET lawyer_name = $2, law_firm = $3, assigned_on = $4 WHERE id = $1",
        record["id"], data.lawyer_name.strip(), (data.law_firm or "").strip() or None, data.assigned_on)
    await records.log(conn, case, "lawyer_assigned", {
        "legal_aid_id": record["id"], "assigned_on": str(data.assigned_on), "source": source}, actor)
    await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record["id"],
                               event="assign_worker", on=data.assigned_on, actor=actor)
    await records.touch(conn, case)


async def decide(reference: str, record_id: int, data: s.LegalAidDecision, *, actor: Principal,
                 if_match: str | None):
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        await apply_decision(conn, case, record, data, actor=actor, source="user")
        return (await records.legal_aid(conn, case["id"], record_id))[0], await records.etag_of(conn, case["id"])


async def assign_lawyer(reference: str, record_id: int, data: s.LawyerAssignment, *, actor: Principal,
                        if_match: str | None):
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        await apply_assignment(conn, case, record, data, actor=actor, source="user")
        return (await records.legal_aid(conn, case["id"], record_id))[0], await records.etag_of(conn, case["id"])


async def conclude(reference: str, record_id: int, data: s.LegalAidOutcome, *, actor: Principal,
                   if_match: str | None):
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        if record["decision"] != "granted" or record["outcome"] is not None:
            raise conflict("invalid-transition", "an outcome is recorded once, on granted legal aid")
        await conn.execute("UPDATE legal_aid_record SET outcome = $2 WHERE id = $1", record_id, data.outcome)
        await records.log(conn, case, "legal_aid_concluded", {"legal_aid_id": record_id, "outcome": data.outcome},
                          actor)
        etag = await records.touch(conn, case)
        return (await records.legal_aid(conn, case["id"], record_id))[0], etag


async def object_to(reference: str, record_id: int, data: s.LegalAidObjection, *, actor: Principal,
                    if_match: str | None):
    """The applicant's objection to a refusal or termination reaches the justice
    bureau (法律援助法 art. 49): its 5 days to decide start on receipt."""
    check_not_future("received_on", data.received_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        against_ok = (data.against == "refusal" and record["decision"] == "refused") or (
            data.against == "termination" and record["outcome"] == "terminated")
        if not against_ok:
            raise conflict("nothing-to-object-to", f"there is no {data.against} on this application to object to")
        if record["objection_received_on"] is not None:
            raise conflict("already-objected", "an objection is already recorded")
        await conn.execute(
            """UPDATE legal_aid_record SET objection_received_on = $2, objection_against = $3, objection_bureau = $4
               WHERE id = $1""", record_id, data.received_on, data.against, data.bureau.strip())
        await records.log(conn, case, "legal_aid_objection_received", {
            "legal_aid_id": record_id, "against": data.against, "received_on": str(data.received_on)}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="objection_received", on=data.received_on, actor=actor)
        etag = await records.touch(conn, case)
        return (await records.legal_aid(conn, case["id"], record_id))[0], etag


async def decide_objection(reference: str, record_id: int, data: s.ObjectionDecision, *, actor: Principal,
                           if_match: str | None):
    check_not_future("decided_on", data.decided_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        if record["objection_received_on"] is None:
            raise conflict("no-objection", "no objection is recorded")
        if record["objection_decided_on"] is not None:
            raise conflict("already-decided", "the objection is already decided")
        if data.decided_on < record["objection_received_on"]:
            raise invalid([{"field": "decided_on", "message": "must not be before the objection was received"}])
        await conn.execute(
            "UPDATE legal_aid_record SET objection_decided_on = $2, objection_result = $3 WHERE id = $1",
            record_id, data.decided_on, data.result)
        await records.log(conn, case, "legal_aid_objection_decided", {
            "legal_aid_id": record_id, "result": data.result, "decided_on": str(data.decided_on)}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="objection_decided", on=data.decided_on, actor=actor)
        etag = await records.touch(conn, case)
        return (await records.legal_aid(conn, case["id"], record_id))[0], etag
