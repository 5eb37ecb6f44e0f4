"""Reading a case's records: one query per kind, answered as the typed
structs of records/schemas.py and records/legal_aid_schemas.py (a list of a
kind, one record, the records block of the case detail). Record writes
answer through the same readers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases import core
from casework.db import connection
from casework.deadlines.schemas import ClockRead
from casework.deadlines.service import clock_view
from casework.notices import service as notices
from casework.problems import not_found
from casework.records import legal_aid_schemas as aid
from casework.records import numbers
from casework.records import schemas as s
from casework.records.legal_aid_law import law, zh
from casework.records.service import LITIGATION_WINDOWS, confirmable

R = TypeVar("R")
# A kind's reader: (conn, case id, one record's id or None) -> the records.
Reader = Callable[[Any, int, int | None], Awaitable[list[R]]]


async def _clock(row: Any, today: dt.date) -> ClockRead:
    """A clock as the case detail shows it (the same ClockRead)."""
    return msgspec.convert(await clock_view(dict(row), today), ClockRead)


async def _record_clocks(
    conn: Any, case_id: int, kinds: tuple[str, ...],
) -> dict[tuple[str, int], list[ClockRead]]:
    rows = await conn.fetch(
        "SELECT * FROM clock WHERE case_id = $1 AND record_kind = ANY($2::text[]) ORDER BY id", case_id, list(kinds)
    )
    today = timeutil.today()
    views: dict[tuple[str, int], list[ClockRead]] = {}
    for row in rows:
        views.setdefault((row["record_kind"], row["record_id"]), []).append(await _clock(row, today))
    return views


async def sessions(conn: Any, case_id: int, session_id: int | None = None) -> list[s.SessionRead]:
    rows = await conn.fetch(
        """SELECT m.*, u.username AS mediator FROM mediation_session m LEFT JOIN app_user u ON u.id = m.mediator_id
           WHERE m.case_id = $1 AND ($2::bigint IS NULL OR m.id = $2) ORDER BY m.held_on, m.id""",
        case_id, session_id,
    )
    return [s.SessionRead(id=r["id"], proceeding_id=r["proceeding_id"], held_on=r["held_on"], location=r["location"],
                          mediator=r["mediator"], participants=list(r["participants"]), notes=r["notes"],
                          recorded_at=r["recorded_at"]) for r in rows]


async def agreements(conn: Any, case_id: int, agreement_id: int | None = None) -> list[s.AgreementRead]:
    rows = await conn.fetch(
        """SELECT a.*, p.track FROM mediation_agreement a JOIN proceeding p ON p.id = a.proceeding_id
           WHERE a.case_id = $1 AND ($2::bigint IS NULL OR a.id = $2) ORDER BY a.id""",
        case_id, agreement_id,
    )
    clocks = await _record_clocks(conn, case_id, ("agreement",)) if rows else {}
    return [s.AgreementRead(id=r["id"], proceeding_id=r["proceeding_id"], terms=r["terms"], signed_on=r["signed_on"],
                            effective_on=r["effective_on"], performance=r["performance"],
                            recorded_at=r["recorded_at"], clocks=clocks.get(("agreement", r["id"]), []),
                            track=r["track"], pre_filing=r["pre_filing"],
                            mediation_number=numbers.display(r["mediation_number_key"])
                            if r["mediation_number_key"] else None,
                            mediation_number_as_given=r["mediation_number"],
                            confirmable=confirmable(r["track"], r["pre_filing"]))
            for r in rows]


async def confirmations(conn: Any, case_id: int, confirmation_id: int | None = None) -> list[s.ConfirmationRead]:
    rows = await conn.fetch(
        "SELECT * FROM judicial_confirmation WHERE case_id = $1 AND ($2::bigint IS NULL OR id = $2) ORDER BY id",
        case_id, confirmation_id,
    )
    clocks = await _record_clocks(conn, case_id, ("judicial_confirmation",)) if rows else {}
    return [s.ConfirmationRead(id=r["id"], agreement_id=r["agreement_id"], court=r["court"],
                               applied_on=r["applied_on"], late=r["late"], accepted_on=r["accepted_on"],
                               ruling_number=r["ruling_number"], ruled_on=r["ruled_on"], result=r["result"],
                               recorded_at=r["recorded_at"],
                               clocks=clocks.get(("judicial_confirmation", r["id"]), []))
            for r in rows]


async def decisions(conn: Any, case_id: int, decision_id: int | None = None) -> list[s.DecisionRead]:
    rows = await conn.fetch(
        """SELECT d.*, p.outcome AS decision_type,
                  (SELECT k.id FROM clock k WHERE k.proceeding_id = d.proceeding_id AND k.record_kind IS NULL
                     AND k.time_limit_code = ANY($3::text[]) ORDER BY k.id DESC LIMIT 1) AS window_id
           FROM reconsideration_decision d JOIN proceeding p ON p.id = d.proceeding_id
           WHERE d.case_id = $1 AND ($2::bigint IS NULL OR d.id = $2) ORDER BY d.id""",
        case_id, decision_id, list(LITIGATION_WINDOWS),
    )
    windows: dict[int, ClockRead] = {}
    ids = [r["window_id"] for r in rows if r["window_id"]]
    if ids:
        today = timeutil.today()
        for clock in await conn.fetch("SELECT * FROM clock WHERE id = ANY($1::bigint[])", ids):
            windows[clock["id"]] = await _clock(clock, today)
    return [s.DecisionRead(id=r["id"], proceeding_id=r["proceeding_id"], decision_type=r["decision_type"],
                           decision_number=r["decision_number"], decided_on=r["decided_on"],
                           received_on=r["received_on"], recorded_at=r["recorded_at"],
                           litigation_window=windows.get(r["window_id"]))
            for r in rows]


async def lawsuits(conn: Any, case_id: int, actor: Principal, lawsuit_id: int | None = None) -> list[s.LawsuitRead]:
    rows = await conn.fetch(
        """SELECT l.*,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object('reference', c.reference, 'division_code', c.division_code,
                                                                'body_id', c.body_id, 'assignee_id', c.assignee_id)
                                             ORDER BY c.id), '[]')
                   FROM lawsuit_case x JOIN case_file c ON c.id = x.case_id WHERE x.lawsuit_id = l.id) AS cases,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', h.id, 'held_on', h.held_on, 'kind', h.kind,
                                                                'notes', h.notes) ORDER BY h.held_on, h.id), '[]')
                   FROM lawsuit_hearing h WHERE h.lawsuit_id = l.id) AS hearings
           FROM lawsuit l JOIN lawsuit_case lc ON lc.lawsuit_id = l.id
           WHERE lc.case_id = $1 AND ($2::bigint IS NULL OR l.id = $2) ORDER BY l.filed_on, l.id""",
        case_id, lawsuit_id,
    )
    result = []
    scope = Scope.of(actor)
    for r in rows:
        linked = json.loads(r["cases"])
        hearings = json.loads(r["hearings"])
        result.append(s.LawsuitRead(
            id=r["id"], case_number=numbers.display(r["case_number"]), case_number_key=r["case_number"],
            case_number_as_given=r["case_number_as_given"], type_code=numbers.type_code_of(r["case_number"]),
            court=r["court"], case_type=r["case_type"], cause=r["cause"],
            stage=r["stage"], filed_on=r["filed_on"], result=r["result"], result_on=r["result_on"],
            head_appeared=r["head_appeared"],
            linked_cases=[c["reference"] for c in linked if scope.allows(c)],
            hearings=[s.HearingRead(id=h["id"], held_on=dt.date.fromisoformat(h["held_on"]), kind=h["kind"],
                                    notes=h["notes"]) for h in hearings],
            updated_at=r["updated_at"],
        ))
    return result


async def legal_aid(conn: Any, case_id: int, record_id: int | None = None) -> list[aid.LegalAidRead]:
    rows = await conn.fetch(
        """SELECT a.*, p.position AS party_position FROM legal_aid_record a JOIN party p ON p.id = a.party_id
           WHERE a.case_id = $1 AND ($2::bigint IS NULL OR a.id = $2) ORDER BY a.id""",
        case_id, record_id,
    )
    clocks = await _record_clocks(conn, case_id, ("legal_aid",)) if rows else {}
    return [_legal_aid_read(r, clocks.get(("legal_aid", r["id"]), [])) for r in rows]


def _legal_aid_read(r: Any, clocks: list[ClockRead]) -> aid.LegalAidRead:
    terms = law()
    priority = None
    if r["priority"]:
        priority = aid.LegalAidPriority(
            ground=r["priority_ground"], ground_zh=zh(terms.priority_grounds, r["priority_ground"]) or "",
            time_limit=r["priority_time_limit"], due_on=r["priority_due_on"],
            days_left=(r["priority_due_on"] - r["applied_on"]).days if r["priority_due_on"] else None,
            papers_pending=r["papers_pending"], papers_completed_on=r["papers_completed_on"])
    waiver = None
    if r["means_test_waived"]:
        ground = terms.means_test_waivers.get(r["means_test_ground"])
        waiver = aid.MeansTestWaiver(ground=r["means_test_ground"], ground_zh=ground.name_zh if ground else "",
                                   article=ground.article if ground else "")
    worker = None
    if r["worker_name"] is not None:
        worker = aid.LegalAidWorker(name=r["worker_name"], kind=r["worker_kind"],
                                  kind_zh=zh(terms.worker_kinds, r["worker_kind"]) or "",  # type: ignore[arg-type]
                                  organisation=r["law_firm"], assigned_on=r["assigned_on"])
    return aid.LegalAidRead(
        id=r["id"], party_position=r["party_position"], centre=r["centre"], external_id=r["external_id"],
        applied_on=r["applied_on"], aid_type=r["aid_type"], lawsuit_id=r["lawsuit_id"], decision=r["decision"],
        decision_zh=zh(terms.decisions, r["decision"]), decided_on=r["decided_on"],
        refusal_reason=r["refusal_reason"], worker=worker,
        lawyer_name=r["worker_name"] if r["worker_kind"] == "lawyer" else None,
        law_firm=r["law_firm"], assigned_on=r["assigned_on"], outcome=r["outcome"],
        outcome_zh=zh(terms.outcomes, r["outcome"]), outcome_on=r["outcome_on"],
        termination_reason=r["termination_reason"],
        termination_reason_zh=zh(terms.termination_reasons, r["termination_reason"]),
        priority=priority, means_test_waiver=waiver, recorded_at=r["recorded_at"], clocks=clocks,
        objection=aid.LegalAidObjectionRead(
            against=r["objection_against"], bureau=r["objection_bureau"], received_on=r["objection_received_on"],
            decided_on=r["objection_decided_on"], result=r["objection_result"],
        ) if r["objection_received_on"] else None,
    )


async def arbitrations(conn: Any, case_id: int, arbitration_id: int | None = None) -> list[s.ArbitrationRead]:
    rows = await conn.fetch(
        "SELECT * FROM arbitration WHERE case_id = $1 AND ($2::bigint IS NULL OR id = $2) ORDER BY applied_on, id",
        case_id, arbitration_id,
    )
    clocks = await _record_clocks(conn, case_id, ("arbitration",)) if rows else {}
    return [s.ArbitrationRead(
        id=r["id"], proceeding_id=r["proceeding_id"], commission=r["commission"], case_number=r["case_number"],
        cause=r["cause"], applied_on=r["applied_on"], accepted_on=r["accepted_on"],
        not_accepted_on=r["not_accepted_on"], result=r["result"], result_on=r["result_on"],
        final_award=r["final_award"], served_on=r["served_on"], recorded_at=r["recorded_at"],
        updated_at=r["updated_at"], clocks=clocks.get(("arbitration", r["id"]), []),
    ) for r in rows]


def lawsuit_reader(actor: Principal) -> Reader[s.LawsuitRead]:
    """The lawsuits reader for this caller (linked cases shown within their scope)."""
    async def read(conn: Any, case_id: int, lawsuit_id: int | None = None) -> list[s.LawsuitRead]:
        return await lawsuits(conn, case_id, actor, lawsuit_id)
    return read


async def records_for_case(conn: Any, case_id: int, actor: Principal) -> dict[str, Any]:
    """The records block of the case detail: one query per kind (keyed as ``RECORD_KINDS``)."""
    return {
        "sessions": await sessions(conn, case_id),
        "agreements": await agreements(conn, case_id),
        "judicial_confirmations": await confirmations(conn, case_id),
        "reconsideration_decisions": await decisions(conn, case_id),
        "lawsuits": await lawsuits(conn, case_id, actor),
        "arbitrations": await arbitrations(conn, case_id),
        "legal_aid": await legal_aid(conn, case_id),
        "notices": await notices.notices_for_case(conn, case_id),
    }


# ---------------------------------------------------------------- the routes' answers

async def _of_case(reference: str, actor: Principal, reader: Reader[R], record_id: int | None) -> list[R]:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        return await reader(conn, case["id"], record_id)


async def _one(reference: str, actor: Principal, reader: Reader[R], record_id: int, what: str) -> R:
    """One record of the case; 404 naming ``what`` when it is not this case's."""
    items = await _of_case(reference, actor, reader, record_id)
    if not items:
        raise not_found(what)
    return items[0]


@dataclass(frozen=True)
class Kind:
    """A kind of record as its two read routes answer it."""

    what: str  # a missing record is a 404 naming it
    reader: Callable[[Principal], Reader[Any]]  # the kind's reader for this caller
    listing: type  # the list's struct: ``items``, oldest first
    record: type  # one record's struct


def _same_for_all(reader: Reader[Any]) -> Callable[[Principal], Reader[Any]]:
    return lambda _actor: reader


# By the path below the case (GET .../{kind}, GET .../{kind}/{record_id}).
KINDS: dict[str, Kind] = {
    "sessions": Kind("session", _same_for_all(sessions), s.SessionList, s.SessionRead),
    "agreements": Kind("agreement", _same_for_all(agreements), s.AgreementList, s.AgreementRead),
    "judicial-confirmations": Kind("judicial confirmation", _same_for_all(confirmations), s.ConfirmationList,
                                   s.ConfirmationRead),
    "reconsideration-decisions": Kind("reconsideration decision", _same_for_all(decisions), s.DecisionList,
                                      s.DecisionRead),
    "lawsuits": Kind("lawsuit", lawsuit_reader, s.LawsuitList, s.LawsuitRead),
    "arbitrations": Kind("arbitration", _same_for_all(arbitrations), s.ArbitrationList, s.ArbitrationRead),
    "legal-aid": Kind("legal aid", _same_for_all(legal_aid), aid.LegalAidList, aid.LegalAidRead),
}


async def listing(kind: Kind, reference: str, actor: Principal) -> Any:
    """The case's records of a kind, as the kind's list struct."""
    return kind.listing(items=await _of_case(reference, actor, kind.reader(actor), None))


async def one(kind: Kind, reference: str, actor: Principal, record_id: int) -> Any:
    return await _one(reference, actor, kind.reader(actor), record_id, kind.what)
