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

In the law's words (法律援助法, data/legal_aid.json): the centre gives aid
(给予, ``granted``) or does not (不予, ``refused``), assigns a legal-aid
worker (法律援助人员: a lawyer, a grassroots legal-service worker, a
volunteer or its own qualified staff), and may terminate the aid (终止,
art. 48, with its reason). An application is handled first (art. 44) when
one of the case's windows to sue, appeal, arbitrate or apply for
reconsideration ends in under 7 days (found from the clocks), or on the
centre's own finding (urgent preservation, another rule): it may then be
granted before its papers are in. The means test is waived on the grounds
of arts. 32 and 42 (e.g. a migrant worker's wage arrears). The applicant's
objection to a refusal or a termination goes to the justice bureau (art.
49), which has 5 days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.problems import invalid, not_found
from casework.records import legal_aid_schemas as s
from casework.records import read
from casework.records import service as records
from casework.records.legal_aid_law import law
from casework.records.service import case_write, check_not_future, conflict

RECORD = "legal_aid"


async def apply(reference: str, data: s.LegalAidCreate, *,
                actor: Principal, if_match: str | None) -> tuple[s.LegalAidRead, str]:
    today = timeutil.today()
    check_not_future("applied_on", data.applied_on, today)
    _check_means_test(data)
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
        urgent = await _urgent_window(conn, case["id"], data.applied_on)
        ground = "deadline_within_7_days" if urgent else data.priority_ground
        record_id = await conn.fetchval(
            """INSERT INTO legal_aid_record (case_id, proceeding_id, party_id, lawsuit_id, centre, external_id,
                   applied_on, aid_type, recorded_by, means_test_waived, means_test_ground, priority,
                   priority_ground, priority_time_limit, priority_due_on)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id""",
            case["id"], proceeding["id"], party["id"], data.lawsuit_id, data.centre.strip(), data.external_id,
            data.applied_on, data.aid_type, actor.id, data.means_test_waived, data.means_test_ground,
            ground is not None, ground, urgent["time_limit_code"] if urgent else None,
            urgent["due_on"] if urgent else None,
        )
        await records.log(conn, case, "legal_aid_applied", {
            "legal_aid_id": record_id, "party_position": data.party_position, "centre": data.centre.strip(),
            "aid_type": data.aid_type, "applied_on": str(data.applied_on), "lawsuit_id": data.lawsuit_id,
            "means_test_waived": data.means_test_waived, "means_test_ground": data.means_test_ground,
            "priority": ground is not None}, actor)
        if ground is not None:
            # Why it is handled first: the ground, and the period that ends in under 7 days.
            await records.log(conn, case, "legal_aid_priority", {
                "legal_aid_id": record_id, "ground": ground,
                "article": law().priority_grounds[ground].article,
                "time_limit": urgent["time_limit_code"] if urgent else None,
                "clock_id": urgent["id"] if urgent else None,
                "due_on": str(urgent["due_on"]) if urgent else None,
                "days_left": (urgent["due_on"] - data.applied_on).days if urgent else None}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="open", on=data.applied_on, actor=actor)
        return await records.answered(conn, case, read.legal_aid, record_id)


def _check_means_test(data: s.LegalAidCreate) -> None:
    if data.means_test_waived and data.means_test_ground not in law().means_test_waivers:
        raise invalid([{"field": "means_test_ground", "message": "a waived means test names its ground (法律援助法 "
                        f"arts. 32, 42): one of {', '.join(law().means_test_waivers)}"}])
    if not data.means_test_waived and data.means_test_ground is not None:
        raise invalid([{"field": "means_test_ground", "message": "only with means_test_waived"}])


async def _urgent_window(conn: Any, case_id: int, applied_on: dt.date) -> dict[str, Any] | None:
    """The case's window to sue, appeal, arbitrate or apply for
    reconsideration that was open on ``applied_on`` and ends in under 7 days
    from it (法律援助法 art. 44(1)); the soonest, or None."""
    rules = law()
    row = await conn.fetchrow(
        """SELECT id, time_limit_code, due_on FROM clock
           WHERE case_id = $1 AND whose = 'party' AND time_limit_code = ANY($2::text[])
             AND started_on <= $3 AND due_on >= $3 AND (state <> 'stopped' OR stopped_on > $3)
           ORDER BY due_on, id LIMIT 1""",
        case_id, list(rules.priority_windows), applied_on)
    if row is None or (row["due_on"] - applied_on).days >= rules.priority_within_days:
        return None
    return dict(row)


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
    ordered = _ordered_to_correct(record)
    if record["decision"] is not None and not ordered:
        raise conflict("already-decided", f"the centre already decided: {record['decision']}")
    check_not_future("decided_on", data.decided_on, timeutil.today())
    if ordered and data.decision != "granted":
        raise invalid([{"field": "decision", "message": "the justice bureau upheld the objection to the refusal: "
                                                        "the centre gives aid (法律援助法 art. 49)"}])
    if ordered and data.decided_on < record["objection_decided_on"]:
        raise invalid([{"field": "decided_on", "message": "must not be before the bureau's decision on the objection"}])
    if data.decided_on < record["applied_on"]:
        raise invalid([{"field": "decided_on", "message": "must not be before applied_on"}])
    if record["outcome"] is not None:
        raise conflict("invalid-transition", f"the application ended: {record['outcome']}")
    reason = (data.refusal_reason or "").strip() or None
    if data.decision == "refused" and reason is None:
        raise invalid([{"field": "refusal_reason", "message": "a refusal states its reason (Legal Aid Law art. 43)"}])
    if data.papers_pending and not (data.decision == "granted" and record["priority"]):
        raise invalid([{"field": "papers_pending", "message": "only a priority application (Legal Aid Law art. 44) "
                                                              "is granted before its papers are in"}])
    await conn.execute(
        """UPDATE legal_aid_record SET decision = $2, decided_on = $3, refusal_reason = $4, papers_pending = $5
           WHERE id = $1""",
        record["id"], data.decision, data.decided_on, reason if data.decision == "refused" else None,
        data.papers_pending)
    # The reason may describe the applicant's means: it stays in the record.
    await records.log(conn, case, "legal_aid_decided", {
        "legal_aid_id": record["id"], "decision": data.decision, "decided_on": str(data.decided_on),
        "papers_pending": data.papers_pending, "source": source,
        **({"after_objection": True, "refused_on": str(record["decided_on"])} if ordered else {})}, actor)
    step = "accept" if data.decision == "granted" else "decline"
    # A grant answers the 7 days and starts the 3 to assign a legal-aid worker.
    await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record["id"],
                               event=step, on=data.decided_on, actor=actor)
    await records.touch(conn, case)


def _ordered_to_correct(record: dict[str, Any]) -> bool:
    """The justice bureau upheld the applicant's objection to a refusal and
    ordered the centre to correct it (法律援助法 art. 49): the centre's new
    decision gives aid; the refusal stays in the timeline."""
    return (record["decision"] == "refused" and record["objection_against"] == "refusal"
            and record["objection_result"] == "upheld")


async def apply_assignment(conn: Any, case: dict[str, Any], record: dict[str, Any],
                           data: s.WorkerAssignment | s.LawyerAssignment, *, actor: Principal | None,
                           source: str) -> None:
    """The legal-aid worker (法律援助人员) assigned; the old lawyer shape is a lawyer."""
    if isinstance(data, s.LawyerAssignment):
        data = s.WorkerAssignment(worker_name=data.lawyer_name, worker_kind="lawyer", assigned_on=data.assigned_on,
                                  organisation=data.law_firm)
    if record["decision"] != "granted":
        raise conflict("not-granted", "a legal-aid worker is assigned after legal aid is given")
    if record["assigned_on"] is not None:
        raise conflict("already-assigned", "a legal-aid worker is already assigned")
    if record["outcome"] is not None:
        raise conflict("invalid-transition", f"the aid ended: {record['outcome']}")
    check_not_future("assigned_on", data.assigned_on, timeutil.today())
    if data.assigned_on < record["decided_on"]:
        raise invalid([{"field": "assigned_on", "message": "must not be before the decision"}])
    kind = law().worker_kinds[data.worker_kind]
    if kind.aid_types and record["aid_type"] not in kind.aid_types:
        raise invalid([{"field": "worker_kind", "message": f"{record['aid_type']} is given by a lawyer, not a "
                                                           f"{kind.name_en} (Legal Aid Law arts. 25, 30)"}])
    name = data.worker_name.strip()
    await conn.execute(
        """UPDATE legal_aid_record SET worker_name = $2, worker_kind = $3, law_firm = $4, assigned_on = $5,
               lawyer_name = $6 WHERE id = $1""",
        record["id"], name, data.worker_kind, (data.organisation or "").strip() or None, data.assigned_on,
        name if data.worker_kind == "lawyer" else None)
    # The event keeps its name for one version (webhook subscriptions filter
    # by it); worker_kind says who was assigned.
    await records.log(conn, case, "lawyer_assigned", {
        "legal_aid_id": record["id"], "assigned_on": str(data.assigned_on), "worker_kind": data.worker_kind,
        "source": source}, actor)
    await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record["id"],
                               event="assign_worker", on=data.assigned_on, actor=actor)
    await records.touch(conn, case)


async def decide(reference: str, record_id: int, data: s.LegalAidDecision, *, actor: Principal,
                 if_match: str | None) -> tuple[s.LegalAidRead, str]:
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        await apply_decision(conn, case, record, data, actor=actor, source="user")
        return (await read.legal_aid(conn, case["id"], record_id))[0], await records.etag_of(conn, case["id"])


async def assign_worker(reference: str, record_id: int, data: s.WorkerAssignment | s.LawyerAssignment, *,
                        actor: Principal, if_match: str | None) -> tuple[s.LegalAidRead, str]:
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        await apply_assignment(conn, case, record, data, actor=actor, source="user")
        return (await read.legal_aid(conn, case["id"], record_id))[0], await records.etag_of(conn, case["id"])


async def papers_completed(reference: str, record_id: int, data: s.LegalAidPapers, *, actor: Principal,
                           if_match: str | None) -> tuple[s.LegalAidRead, str]:
    """The papers of an application granted before them (art. 44) are in."""
    check_not_future("received_on", data.received_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        if not record["papers_pending"] or record["papers_completed_on"] is not None:
            raise conflict("no-papers-pending", "no papers are awaited on this application")
        if data.received_on < record["decided_on"]:
            raise invalid([{"field": "received_on", "message": "must not be before the decision"}])
        await conn.execute("UPDATE legal_aid_record SET papers_completed_on = $2 WHERE id = $1", record_id,
                           data.received_on)
        await records.log(conn, case, "legal_aid_papers_completed", {
            "legal_aid_id": record_id, "received_on": str(data.received_on)}, actor)
        return await records.answered(conn, case, read.legal_aid, record_id)


# The record event each outcome is: it stops the clocks it answers.
OUTCOME_EVENTS = {"terminated": "aid_terminated", "withdrawn": "withdraw"}


async def conclude(reference: str, record_id: int, data: s.LegalAidOutcome, *, actor: Principal,
                   if_match: str | None) -> tuple[s.LegalAidRead, str]:
    """How the application or the aid ended: concluded (办结, after aid was
    given), terminated (终止, art. 48: after aid was given, with its reason),
    or withdrawn by the applicant (before or after the decision)."""
    today = timeutil.today()
    outcome_on = data.outcome_on or today
    check_not_future("outcome_on", outcome_on, today)
    reasons = law().termination_reasons
    if data.outcome == "terminated" and data.termination_reason not in reasons:
        raise invalid([{"field": "termination_reason", "message": "a termination names its reason (Legal Aid Law "
                                                                  f"art. 48): one of {', '.join(reasons)}"}])
    if data.outcome != "terminated" and data.termination_reason is not None:
        raise invalid([{"field": "termination_reason", "message": "only with outcome terminated"}])
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        if record["outcome"] is not None:
            raise conflict("invalid-transition", f"the application already ended: {record['outcome']}")
        allowed = (record["decision"] in (None, "granted")) if data.outcome == "withdrawn" else (
            record["decision"] == "granted")
        if not allowed:
            raise conflict("invalid-transition", f"{data.outcome} is recorded on "
                           + ("an application not refused" if data.outcome == "withdrawn" else "aid given"))
        if outcome_on < (record["decided_on"] or record["applied_on"]):
            raise invalid([{"field": "outcome_on", "message": "must not be before the decision (or application)"}])
        await conn.execute(
            "UPDATE legal_aid_record SET outcome = $2, outcome_on = $3, termination_reason = $4 WHERE id = $1",
            record_id, data.outcome, outcome_on, data.termination_reason)
        await records.log(conn, case, "legal_aid_concluded", {
            "legal_aid_id": record_id, "outcome": data.outcome, "outcome_on": str(outcome_on),
            "termination_reason": data.termination_reason,
            "article": reasons[data.termination_reason].article if data.termination_reason else None}, actor)
        if data.outcome in OUTCOME_EVENTS:
            await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                       event=OUTCOME_EVENTS[data.outcome], on=outcome_on, actor=actor)
        return await records.answered(conn, case, read.legal_aid, record_id)


async def object_to(reference: str, record_id: int, data: s.LegalAidObjection, *, actor: Principal,
                    if_match: str | None) -> tuple[s.LegalAidRead, str]:
    """The applicant's objection to a refusal or termination reaches the justice
    bureau (法律援助法 art. 49): its 5 days to decide start on receipt."""
    check_not_future("received_on", data.received_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        record = await _locked(conn, case, record_id)
        against_ok = (data.against == "refusal" and record["decision"] == "refused") or (
            data.against == "termination" and record["outcome"] == "terminated")
        if not against_ok:
            raise conflict("nothing-to-object-to", f"there is no {data.against} on this application to object to")
        objected_to_on = record["decided_on"] if data.against == "refusal" else record["outcome_on"]
        if objected_to_on is not None and data.received_on < objected_to_on:
            raise invalid([{"field": "received_on", "message": f"must not be before the {data.against}"}])
        if record["objection_received_on"] is not None:
            raise conflict("already-objected", "an objection is already recorded")
        await conn.execute(
            """UPDATE legal_aid_record SET objection_received_on = $2, objection_against = $3, objection_bureau = $4
               WHERE id = $1""", record_id, data.received_on, data.against, data.bureau.strip())
        await records.log(conn, case, "legal_aid_objection_received", {
            "legal_aid_id": record_id, "against": data.against, "received_on": str(data.received_on)}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="objection_received", on=data.received_on, actor=actor)
        return await records.answered(conn, case, read.legal_aid, record_id)


async def decide_objection(reference: str, record_id: int, data: s.ObjectionDecision, *, actor: Principal,
                           if_match: str | None) -> tuple[s.LegalAidRead, str]:
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
        if data.result == "upheld" and record["objection_against"] == "termination":
            # The bureau orders the centre to correct the termination (art. 49):
            # the aid goes on; what was terminated stays in the timeline.
            await conn.execute("UPDATE legal_aid_record SET outcome = NULL, outcome_on = NULL, "
                               "termination_reason = NULL WHERE id = $1", record_id)
            await records.log(conn, case, "legal_aid_termination_set_aside", {
                "legal_aid_id": record_id, "terminated_on": str(record["outcome_on"]) if record["outcome_on"] else None,
                "termination_reason": record["termination_reason"], "ordered_on": str(data.decided_on)}, actor)
        await records.record_event(conn, case, track="legal_aid", record_kind=RECORD, record_id=record_id,
                                   event="objection_decided", on=data.decided_on, actor=actor)
        return await records.answered(conn, case, read.legal_aid, record_id)
