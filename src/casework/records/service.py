"""What every record write shares, and reading the records of a case.

A record write locks the case and checks its ETag (proceedings.service
``lock_case``), changes the record, starts or stops the record's clocks,
writes its case event and bumps the case version, all in one transaction.

Record clocks are ordinary ``clock`` rows on the case's current proceeding
(so the sweep, the case's ``next_due_on`` and the clock views see them) with
``record_kind``/``record_id`` set: proceeding actions do not stop them, the
record's own steps do. They still end with their proceeding when it is
escalated, declined or closed (``_stop_all``): a record's deadline belongs
to the handling it was started under.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_event, log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import Journal, Subject, apply_event, extend, stop_for
from casework.deadlines.service import clock_view
from casework.notices import service as notices
from casework.problems import Problem, invalid, not_found
from casework.proceedings import service as proceedings
from casework.records import numbers
from casework.records import schemas as s
from casework.records.legal_aid_law import law, zh


def conflict(kind: str, detail: str) -> Problem:
    return Problem(409, kind, "Conflict", detail)


# The party's window a reconsideration decision's service opens (seeded limit).
LITIGATION_WINDOWS = ("litigation.after_reconsideration",)

# Agreements a court may confirm (People's Mediation Law art. 33; Civil
# Procedure Law (2023) art. 205 for court-referred pre-filing mediation). A
# judicial mediation in litigation ends in the court's own mediation document
# instead, so a judicial mediation's agreement is confirmable only when it
# was pre-filing.
CONFIRMABLE_TRACKS = frozenset({"people_mediation", "administrative_mediation"})


def confirmable(track: str, pre_filing: bool | None) -> bool:
    return track in CONFIRMABLE_TRACKS or (track == "judicial_mediation" and pre_filing is True)


def shared_beyond_scope(kind: str) -> Problem:
    return Problem(403, "shared-record-out-of-scope", "Forbidden",
                   f"this {kind} is also linked to cases outside your scope; its changes are recorded by a user "
                   f"who may see every case it is linked to, or pushed by the court's or centre's system")


async def shared_record(conn: Any, actor: Principal, case_number: str) -> dict[str, Any] | None:
    """The lawsuit record with this case number whose every linked case the
    caller may see (the oldest, if several), locked; None when there is none.

    A record of the same suit linked only to cases outside the caller's
    scope is never returned, named or hinted at: the caller records their
    own (docs/access.md, "Records shared between cases")."""
    args: list[Any] = [case_number]
    visible = Scope.of(actor).sql("c", args)
    row = await conn.fetchrow(
        f"""SELECT l.* FROM lawsuit l
            WHERE l.case_number = $1 AND NOT EXISTS (
                SELECT 1 FROM lawsuit_case x JOIN case_file c ON c.id = x.case_id
                WHERE x.lawsuit_id = l.id AND NOT {visible})
            ORDER BY l.id LIMIT 1 FOR UPDATE OF l""",
        *args,
    )
    return dict(row) if row else None


async def record_within_scope(conn: Any, actor: Principal, lawsuit_id: int) -> bool:
    """Every case the lawsuit is linked to is one the caller may see."""
    args: list[Any] = [lawsuit_id]
    visible = Scope.of(actor).sql("c", args)
    return not await conn.fetchval(
        f"""SELECT true FROM lawsuit_case x JOIN case_file c ON c.id = x.case_id
            WHERE x.lawsuit_id = $1 AND NOT {visible} LIMIT 1""",
        *args,
    )


def check_not_future(field: str, value: dt.date, today: dt.date) -> None:
    if value > today:
        raise invalid([{"field": field, "message": "must not be in the future"}])
    if value.year < 1990:
        raise invalid([{"field": field, "message": "is implausibly old"}])


@asynccontextmanager
async def case_write(reference: str, actor: Principal, if_match: str | None) -> AsyncIterator[tuple[Any, dict]]:
    """One transaction with the case row locked and its ETag checked, after
    what the law already decided on the case is settled (lapsed periods)."""
    settled = await proceedings.settle_first(reference, actor, if_match, timeutil.today())
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, settled)
            yield conn, case


async def current_proceeding(conn: Any, case: dict[str, Any]) -> dict[str, Any]:
    return dict(await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"]))


async def log(conn: Any, case: dict[str, Any], type_: str, data: dict[str, Any], actor: Principal | None) -> None:
    """A record's case event. ``data`` carries codes, dates and ids only:
    the outbox feeds webhooks, so no names, terms or notes go in it."""
    await log_case_event(conn, case_id=case["id"], reference=case["reference"], type=type_, data=data,
                         actor=actor, proceeding_id=case["current_proceeding_id"])


async def touch(conn: Any, case: dict[str, Any]) -> str:
    """Bump the case version (and recompute next_due_on); the new ETag."""
    return await core.sync_case(conn, case["id"], case["current_proceeding_id"])


async def answered(
    conn: Any, case: dict[str, Any], read: Callable[[Any, int, int], Awaitable[list[Any]]], record_id: int,
) -> tuple[Any, str]:
    """A record write's answer: the case's version moved on (its new ETag)
    and the record as it now reads."""
    etag = await touch(conn, case)
    return (await read(conn, case["id"], record_id))[0], etag


async def extend_record_period(
    conn: Any, case: dict[str, Any], actor: Principal, *, record_kind: str, record_id: int, limit_code: str,
    data: Any, today: dt.date, not_running: tuple[str, str],
) -> None:
    """An extension granted on a record's running period (``data``: days,
    granted_on, approver, reason); 409 ``not_running`` when it is not running."""
    clock = await conn.fetchrow(
        """SELECT proceeding_id FROM clock WHERE record_kind = $1 AND record_id = $2
             AND time_limit_code = $3 AND state <> 'stopped'""", record_kind, record_id, limit_code)
    if clock is None:
        raise conflict(*not_running)
    journal = Journal()
    await extend(conn, clock["proceeding_id"], limit_code, data.days, data.granted_on or today,
                 {"days": data.days, "approver": data.approver, "reason": data.reason,
                  "granted_by": actor.username}, journal)
    await log_events(conn, case, journal, actor)


def lawsuit_reader(actor: Principal) -> Callable[[Any, int, int], Awaitable[list[Any]]]:
    async def read(conn: Any, case_id: int, lawsuit_id: int) -> list[Any]:
        return await lawsuits(conn, case_id, actor, lawsuit_id)
    return read


async def etag_of(conn: Any, case_id: int) -> str:
    return core.etag(case_id, await conn.fetchval("SELECT version FROM case_file WHERE id = $1", case_id))


async def log_events(conn: Any, case: dict[str, Any], journal: Journal, actor: Principal | None) -> None:
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor, events=journal.events)


async def record_event(
    conn: Any, case: dict[str, Any], *, track: str, record_kind: str, record_id: int, event: str, on: dt.date,
    actor: Principal | None, stop_only: bool = False,
) -> Journal:
    """An event on a record, on ``on``: the clock engine stops the record's
    clocks it answers and starts the ones it begins (on the case's current
    proceeding), and the case events are written."""
    journal = Journal()
    subject = Subject(case["id"], case["current_proceeding_id"], track, record_kind, record_id)
    if stop_only:
        await stop_for(conn, subject, event, on, journal)
    else:
        await apply_event(conn, subject, event, on, journal)
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor,
                          events=journal.events)
    return journal


# ---------------------------------------------------------------- reading

async def follow_external(conn: Any, case: dict[str, Any], track: str, state: str, on: dt.date, journal: Journal, *,
                          from_states: tuple[str, ...], outcome: str | None = None) -> None:
    """A proceeding on an external track (a court's, an arbitration
    commission's) follows the steps its record shows: the body's own record
    is outside this system, so there is no action to take here."""
    proceeding = await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"])
    if proceeding["track"] != track or proceeding["state"] not in from_states:
        return
    stamp = dt.datetime.combine(on, dt.time(12), timeutil.CHINA_TZ)
    await conn.execute(
        """UPDATE proceeding SET state = $2, outcome = coalesce($3, outcome),
               accepted_at = CASE WHEN $2 = 'accepted' THEN $4 ELSE accepted_at END,
               concluded_at = CASE WHEN $2 IN ('concluded', 'not_accepted') THEN $4 ELSE concluded_at END
           WHERE id = $1""", proceeding["id"], state, outcome, stamp)
    journal.add("court_step_recorded", {"track": track, "state": state, "on": str(on), "outcome": outcome},
                proceeding["id"])


async def _record_clocks(conn: Any, case_id: int, kinds: tuple[str, ...]) -> dict[tuple[str, int], list[dict]]:
    rows = await conn.fetch(
        "SELECT * FROM clock WHERE case_id = $1 AND record_kind = ANY($2::text[]) ORDER BY id", case_id, list(kinds)
    )
    today = timeutil.today()
    views: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        views.setdefault((row["record_kind"], row["record_id"]), []).append(await clock_view(dict(row), today))
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
    windows: dict[int, dict[str, Any]] = {}
    ids = [r["window_id"] for r in rows if r["window_id"]]
    if ids:
        today = timeutil.today()
        for clock in await conn.fetch("SELECT * FROM clock WHERE id = ANY($1::bigint[])", ids):
            windows[clock["id"]] = await clock_view(dict(clock), today)
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


async def legal_aid(conn: Any, case_id: int, record_id: int | None = None) -> list[s.LegalAidRead]:
    rows = await conn.fetch(
        """SELECT a.*, p.position AS party_position FROM legal_aid_record a JOIN party p ON p.id = a.party_id
           WHERE a.case_id = $1 AND ($2::bigint IS NULL OR a.id = $2) ORDER BY a.id""",
        case_id, record_id,
    )
    clocks = await _record_clocks(conn, case_id, ("legal_aid",)) if rows else {}
    return [_legal_aid_read(r, clocks.get(("legal_aid", r["id"]), [])) for r in rows]


def _legal_aid_read(r: Any, clocks: list[dict[str, Any]]) -> s.LegalAidRead:
    terms = law()
    priority = None
    if r["priority"]:
        priority = s.LegalAidPriority(
            ground=r["priority_ground"], ground_zh=zh(terms.priority_grounds, r["priority_ground"]) or "",
            time_limit=r["priority_time_limit"], due_on=r["priority_due_on"],
            days_left=(r["priority_due_on"] - r["applied_on"]).days if r["priority_due_on"] else None,
            papers_pending=r["papers_pending"], papers_completed_on=r["papers_completed_on"])
    waiver = None
    if r["means_test_waived"]:
        ground = terms.means_test_waivers.get(r["means_test_ground"])
        waiver = s.MeansTestWaiver(ground=r["means_test_ground"], ground_zh=ground.name_zh if ground else "",
                                   article=ground.article if ground else "")
    worker = None
    if r["worker_name"] is not None:
        worker = s.LegalAidWorker(name=r["worker_name"], kind=r["worker_kind"],
                                  kind_zh=zh(terms.worker_kinds, r["worker_kind"]) or "",  # type: ignore[arg-type]
                                  organisation=r["law_firm"], assigned_on=r["assigned_on"])
    return s.LegalAidRead(
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
        objection={"against": r["objection_against"], "bureau": r["objection_bureau"],
                   "received_on": r["objection_received_on"], "decided_on": r["objection_decided_on"],
                   "result": r["objection_result"]} if r["objection_received_on"] else None,
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


# The keys of records_for_case, in its order (intake answers them empty).
RECORD_KINDS = ("sessions", "agreements", "judicial_confirmations", "reconsideration_decisions", "lawsuits",
                "arbitrations", "legal_aid", "notices")


async def records_for_case(conn: Any, case_id: int, actor: Principal) -> dict[str, Any]:
    """The records block of the case detail: one query per kind."""
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


READERS = {
    "sessions": sessions, "agreements": agreements, "judicial_confirmations": confirmations,
    "reconsideration_decisions": decisions, "legal_aid": legal_aid, "arbitrations": arbitrations,
}


async def read(reference: str, kind: str, actor: Principal, record_id: int | None = None) -> Any:
    """List a case's records of one kind, or one of them (404 when not this case's)."""
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        if kind == "lawsuits":
            items = await lawsuits(conn, case["id"], actor, record_id)
        else:
            items = await READERS[kind](conn, case["id"], record_id)
    if record_id is None:
        return {"items": items}
    if not items:
        raise not_found(kind.rstrip("s").replace("_", " "))
    return items[0]
