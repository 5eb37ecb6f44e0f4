"""Litigation records: lawsuits linked to cases by their court case number.

A lawsuit is shared: one suit can concern several cases and a case can have
several suits (``lawsuit_case``). A change to a suit (stage, result,
hearing), whether entered by a clerk or pushed by the court's system
(integrations.inbound), goes through ``apply_progress``/``add_hearing``,
which bump every linked case and write each its event.

Linking a suit is the court's receipt of the complaint (``filed_on``): it
answers the party's windows to sue (Administrative Litigation Law arts. 45,
46: met when filed by their date) and starts the court's 7 days to decide
on filing, which the court's acceptance (a stage past ``filed``) stops. A
judgment or ruling served on the party starts the appeal window (15 or 10
days); an appeal (``second_instance``) answers it.
"""

from __future__ import annotations

from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.cases import core
from casework.deadlines.engine import Journal, Subject, apply_event
from casework.notices import service as notices
from casework.notices.schemas import Served
from casework.problems import invalid, not_found
from casework.records import numbers, read
from casework.records import schemas as s
from casework.records import service as records
from casework.records.service import case_write, check_not_future, conflict

# Windows for bringing a suit that a linked suit answers (seeded time-limit codes).
SUIT_LOCK = 72140402  # advisory lock class: linking a case number


def parse_number(raw: str, case_type: str | None = None, *, field: str = "case_number") -> numbers.CaseNumber:
    try:
        number = numbers.parse(raw, max_year=timeutil.today().year)
    except ValueError as exc:
        raise invalid([{"field": field, "message": str(exc)}]) from None
    if case_type is not None and number.case_type != case_type:
        raise invalid([{"field": "case_type", "message": f"the case number's type code {number.type_code} is "
                                                         f"a {number.case_type} case"}])
    return number


def suit_number(raw: str, case_type: str | None = None) -> numbers.CaseNumber:
    """A number a lawsuit may carry: a pre-filing mediation (诉前调) is no suit."""
    number = parse_number(raw, case_type)
    if number.pre_filing_mediation:
        raise invalid([{"field": "case_number", "message": f"{number.display} is a court-referred pre-filing "
                                                           f"mediation, not a suit: record it on the mediation's "
                                                           f"agreement (mediation_number)"}])
    return number


async def link_lawsuit(reference: str, data: s.LawsuitCreate, *,
                       actor: Principal, if_match: str | None) -> tuple[s.LawsuitRead, str]:
    today = timeutil.today()
    number = suit_number(data.case_number, data.case_type)
    check_not_future("filed_on", data.filed_on, today)
    if data.head_appeared is not None and data.case_type != "administrative":
        raise invalid([{"field": "head_appeared", "message": "only for administrative suits"}])
    async with case_write(reference, actor, if_match) as (conn, case):
        # One linker of a case number at a time, so two links of the same
        # suit from one scope join one record instead of making two.
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", SUIT_LOCK, number.key)
        suit = await records.shared_record(conn, actor, number.key)
        if suit is None:
            # No record of this suit that the caller may see whole: a record
            # of their own. A record in another jurisdiction stays unnamed.
            lawsuit_id = await conn.fetchval(
                """INSERT INTO lawsuit (court, case_number, case_number_as_given, case_type, cause, stage, filed_on,
                                        head_appeared)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
                data.court.strip(), number.key, number.given, data.case_type, data.cause.strip(), data.stage,
                data.filed_on, data.head_appeared,
            )
            created = True
        else:
            lawsuit_id, created = suit["id"], False
            if suit["court"] != data.court.strip() or suit["case_type"] != data.case_type:
                raise conflict("lawsuit-mismatch", f"{number.display} is already recorded as a {suit['case_type']} "
                                                   f"suit at {suit['court']}")
            if await conn.fetchval("SELECT true FROM lawsuit_case WHERE lawsuit_id = $1 AND case_id = $2",
                                   lawsuit_id, case["id"]):
                raise conflict("already-linked", f"{number.display} is already linked to this case")
        await conn.execute("INSERT INTO lawsuit_case (lawsuit_id, case_id, linked_by) VALUES ($1, $2, $3)",
                           lawsuit_id, case["id"], actor.id)
        await records.log(conn, case, "litigation_linked", {
            "lawsuit_id": lawsuit_id, "case_number": number.key, "type_code": number.type_code,
            "court": data.court.strip(),
            "case_type": data.case_type, "filed_on": str(data.filed_on), "new_record": created}, actor)
        await _court_received(conn, case, lawsuit_id, data.filed_on, actor, accepted=data.stage != "filed")
        return await records.answered(conn, case, read.lawsuit_reader(actor), lawsuit_id)


async def _court_received(conn: Any, case: dict[str, Any], lawsuit_id: int, filed_on, actor: Principal, *,
                          accepted: bool) -> None:
    """The court received the complaint on ``filed_on``: the party's windows to
    sue are answered (met when filed by their date), the court's 7 days to
    decide on filing start, and a litigation proceeding awaiting the filing
    moves on to the court's acceptance."""
    journal = Journal()
    subject = Subject(case["id"], case["current_proceeding_id"], "litigation", "lawsuit", lawsuit_id)
    await apply_event(conn, subject, "lawsuit_filed", filed_on, journal)
    await _follow_suit(conn, case, "pending_acceptance", filed_on, journal, from_states=("awaiting_filing",))
    if accepted:  # linked already past filing: the day of acceptance is not known, so the filing day stands in
        await apply_event(conn, subject, "lawsuit_accepted", filed_on, journal)
        await _follow_suit(conn, case, "accepted", filed_on, journal, from_states=("pending_acceptance",))
    await records.log_events(conn, case, journal, actor)


async def _follow_suit(conn: Any, case: dict[str, Any], state: str, on, journal: Journal, *,
                       from_states: tuple[str, ...], outcome: str | None = None) -> None:
    """A litigation proceeding tracks its court's steps (the court's record is external)."""
    await records.follow_external(conn, case, "litigation", state, on, journal, from_states=from_states,
                                  outcome=outcome)


async def _linked_suit(conn: Any, case: dict[str, Any], lawsuit_id: int, actor: Principal) -> None:
    """The suit must be linked to this case, and, for a write, every case it
    is linked to must be one the caller may see: a change to a suit writes
    an event into each linked case's timeline (docs/access.md, shared records)."""
    if not await conn.fetchval("SELECT true FROM lawsuit_case WHERE lawsuit_id = $1 AND case_id = $2",
                               lawsuit_id, case["id"]):
        raise not_found("lawsuit")
    if not await records.record_within_scope(conn, actor, lawsuit_id):
        raise records.shared_beyond_scope("lawsuit")


async def _lock_suit_and_cases(conn: Any, lawsuit_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Lock the linked cases (by id, the one order every writer uses), then the suit."""
    case_ids = [r["case_id"] for r in await conn.fetch(
        "SELECT case_id FROM lawsuit_case WHERE lawsuit_id = $1 ORDER BY case_id", lawsuit_id)]
    linked = [await core.lock_case_by_id(conn, case_id) for case_id in case_ids]
    suit = await conn.fetchrow("SELECT * FROM lawsuit WHERE id = $1 FOR UPDATE", lawsuit_id)
    return dict(suit), linked


async def apply_progress(
    conn: Any, lawsuit_id: int, data: s.LawsuitProgress, *, actor: Principal | None, source: str,
) -> dict[str, Any]:
    """Change a suit's stage, result or head_appeared; every linked case gets
    its event and a new version. Returns the changes ({field: [before, after]})."""
    suit, linked = await _lock_suit_and_cases(conn, lawsuit_id)
    today = timeutil.today()
    if data.result is not None and data.result_on is None:
        raise invalid([{"field": "result_on", "message": "is required with result"}])
    if data.result_on is not None:
        if data.result is None and suit["result"] is None:
            raise invalid([{"field": "result", "message": "is required with result_on"}])
        check_not_future("result_on", data.result_on, today)
        if data.result_on < suit["filed_on"]:
            raise invalid([{"field": "result_on", "message": "must not be before the suit was filed"}])
    if data.head_appeared is not None and suit["case_type"] != "administrative":
        raise invalid([{"field": "head_appeared", "message": "only for administrative suits"}])
    wanted = {"stage": data.stage, "result": data.result, "result_on": data.result_on,
              "head_appeared": data.head_appeared}
    changes = {k: [suit[k], v] for k, v in wanted.items() if v is not None and v != suit[k]}
    if not changes:
        return {}
    after = {k: v[1] for k, v in changes.items()}
    await conn.execute(
        """UPDATE lawsuit SET stage = coalesce($2, stage), result = coalesce($3, result),
               result_on = coalesce($4, result_on), head_appeared = coalesce($5, head_appeared), updated_at = casework_now()
           WHERE id = $1""",
        lawsuit_id, after.get("stage"), after.get("result"), after.get("result_on"), after.get("head_appeared"),
    )
    event = {"lawsuit_id": lawsuit_id, "case_number": suit["case_number"], "source": source,
             "changes": {k: {"before": _str(v[0]), "after": _str(v[1])} for k, v in changes.items()}}
    on = data.result_on or today
    for case in linked:
        await records.log(conn, case, "litigation_updated", event, actor)
        journal = Journal()
        subject = Subject(case["id"], case["current_proceeding_id"], "litigation", "lawsuit", lawsuit_id)
        stage = after.get("stage")
        if stage is not None and stage != "filed" and suit["stage"] == "filed":
            await apply_event(conn, subject, "lawsuit_accepted", on, journal)
            await _follow_suit(conn, case, "accepted", on, journal, from_states=("pending_acceptance",))
        if stage == "second_instance":
            await apply_event(conn, subject, "appeal_filed", on, journal)
        if "result" in after:
            await _follow_suit(conn, case, "concluded", after.get("result_on") or on, journal,
                               from_states=("pending_acceptance", "accepted"),
                               outcome=RESULT_OUTCOME[after["result"]])
        if data.result_document is not None and data.result_served_on is not None:
            await _serve_result(conn, case, lawsuit_id, data, journal, actor, today)
        await records.log_events(conn, case, journal, actor)
        await records.touch(conn, case)
    return changes


RESULT_OUTCOME = {"judgment": "judgment", "mediation": "mediation", "withdrawal": "withdrawal", "dismissed": "ruling"}


async def _serve_result(conn: Any, case: dict[str, Any], lawsuit_id: int, data: s.LawsuitProgress, journal: Journal,
                        actor: Principal | None, today) -> None:
    """The judgment or ruling reached the party: the appeal window (15 days
    against a judgment, 10 against a ruling) runs from that day."""
    proceeding = dict(await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"]))
    issued_on = data.result_on or data.result_served_on
    await notices.issue(conn, case, proceeding, data.result_document, issued_on, journal,
                        actor_id=actor.id if actor else None, record_kind="lawsuit", record_id=lawsuit_id,
                        served=Served(method=data.result_service_method, served_on=data.result_served_on,
                                      posted_on=data.result_posted_on))


async def add_hearing(
    conn: Any, lawsuit_id: int, data: s.HearingCreate, *, actor: Principal | None, source: str,
) -> int:
    suit, linked = await _lock_suit_and_cases(conn, lawsuit_id)
    if data.held_on < suit["filed_on"]:
        raise invalid([{"field": "held_on", "message": "must not be before the suit was filed"}])
    hearing_id = await conn.fetchval(
        "INSERT INTO lawsuit_hearing (lawsuit_id, held_on, kind, notes) VALUES ($1, $2, $3, $4) RETURNING id",
        lawsuit_id, data.held_on, data.kind, data.notes or "")
    await conn.execute("UPDATE lawsuit SET updated_at = casework_now() WHERE id = $1", lawsuit_id)
    for case in linked:
        await records.log(conn, case, "hearing_recorded", {
            "lawsuit_id": lawsuit_id, "case_number": suit["case_number"], "hearing_id": hearing_id,
            "held_on": str(data.held_on), "kind": data.kind, "source": source}, actor)
        await records.touch(conn, case)
    return hearing_id


def _str(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, (bool, str)) else value


async def record_progress(
    reference: str, lawsuit_id: int, data: s.LawsuitProgress, *, actor: Principal, if_match: str | None,
) -> tuple[s.LawsuitRead, str]:
    async with case_write(reference, actor, if_match) as (conn, case):
        await _linked_suit(conn, case, lawsuit_id, actor)
        changes = await apply_progress(conn, lawsuit_id, data, actor=actor, source="user")
        if not changes:
            raise invalid([{"field": "body", "message": "changes nothing"}])
        etag = await records.etag_of(conn, case["id"])
        return (await read.lawsuits(conn, case["id"], actor, lawsuit_id))[0], etag


async def record_hearing(
    reference: str, lawsuit_id: int, data: s.HearingCreate, *, actor: Principal, if_match: str | None,
) -> tuple[s.LawsuitRead, str]:
    check_not_future("held_on", data.held_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        await _linked_suit(conn, case, lawsuit_id, actor)
        await add_hearing(conn, lawsuit_id, data, actor=actor, source="user")
        etag = await records.etag_of(conn, case["id"])
        return (await read.lawsuits(conn, case["id"], actor, lawsuit_id))[0], etag
