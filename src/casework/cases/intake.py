"""Intake: a petition or dispute registered, routed and numbered.

One transaction, in named steps that keep their order (the lock order
matters): claim the Idempotency-Key; find possible repeats; insert the case
under a provisional reference; its parties; the first proceeding; the
routing decision; the statutory clocks; then, last, the county's reference
counter (a row lock held until commit), the final reference and the events.
Concurrent intakes in one county serialise only on those last statements.
The response is built from the rows the inserts return: no read-back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases.events import log_case_events
from casework.cases.identity import mask_id_number, mask_phone, normalize_id_number, normalize_phone
from casework.cases.read import assemble_detail, no_records
from casework.cases.repeats import find_repeats, shown_repeats
from casework.cases.schemas import CaseCreate, CaseCreated, request_fingerprint
from casework.cases.validation import route
from casework.db import connection, transaction
from casework.deadlines.engine import Journal, Subject, start, start_for
from casework.deadlines.service import time_limits
from casework.personal import crypto
from casework.problems import Problem, invalid
from casework.proceedings.handlers import application_window
from casework.proceedings.tracks import registry
from casework.routing import service as routing
from casework.settings import get_settings

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
RECEIPT_LENGTH = 8


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def online_fingerprint(data: CaseCreate) -> str | None:
    """The applicant's phone and the text, keyed: the same text sent again
    from the same phone has the same fingerprint (docs/public.md)."""
    phone = next((normalize_phone(p.phone) for p in data.parties if p.role == "applicant" and p.phone), None)
    if phone is None:
        return None
    text = " ".join(f"{data.summary}\n{data.description}".split())
    return crypto.keyed_hash(f"{phone}\x1f{text}", purpose="online_fingerprint")


def receipt_hash(reference: str, code: str) -> str:
    return crypto.keyed_hash(f"{reference}:{code.strip().upper()}", purpose="receipt")


class IdempotencyConflict(Problem):
    def __init__(self) -> None:
        super().__init__(
            422, "idempotency-key-reused", "Idempotency-Key reused",
            "this Idempotency-Key was used with a different request body",
        )


def _body_ref(body: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"id": body["id"], "code": body["code"], "name_zh": body["name_zh"]} if body else None


def _act_facts(data: CaseCreate) -> dict[str, Any]:
    """What the late-application rules read, as a case row would hold it."""
    return {"act_known_on": data.act_known_on, "act_on": data.act_on, "obstacle_days": data.obstacle_days,
            "not_informed_of_right": data.not_informed_of_right, "immovable_property": data.immovable_property}


@dataclass
class _Intake:
    """What the steps share: the request, its routing, and what each step wrote."""

    data: CaseCreate
    actor: Principal
    decision: routing.Decision
    received_at: Any
    received_on: Any
    county: str
    body_id: int | None
    body_columns: dict[str, Any]
    scope: Scope
    repeats_all: list[dict[str, Any]] = field(default_factory=list)
    repeats: list[dict[str, Any]] = field(default_factory=list)
    terminated_of: dict[str, Any] | None = None
    case_id: int = 0
    state: str = ""
    # Filed online by the party: awaiting a clerk's registration, no clocks yet.
    online: bool = False
    online_flags: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any], int | None]] = field(default_factory=list)


async def intake(
    data: CaseCreate, *, actor: Principal, idempotency_key: str | None, online: bool = False,
    online_flags: dict[str, Any] | None = None,
) -> tuple[CaseCreated, bool]:
    """Register a case (or, ``online``, take in an online application that
    awaits registration). Returns (response, created); a replay has created=False."""
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise invalid([{"field": "Idempotency-Key", "message": "must have 1 to 200 characters"}])
    request_hash = hashlib.sha256(request_fingerprint(data)).hexdigest()
    if idempotency_key:
        replay = await _replay(actor, idempotency_key, request_hash)
        if replay is not None:
            return replay, False
    decision, _draft = await route(data, actor)
    received_at = data.received_at or timeutil.now()
    it = _Intake(
        data=data, actor=actor, decision=decision, received_at=received_at,
        received_on=timeutil.local_date(received_at), county=data.division_code[:6],
        body_id=decision.body["id"] if decision.body else None,
        body_columns={"body_code": decision.body["code"], "body_name_zh": decision.body["name_zh"],
                      "body_name_en": decision.body["name_en"]} if decision.body else {
            "body_code": None, "body_name_zh": None, "body_name_en": None},
        scope=Scope.of(actor), online=online, online_flags=dict(online_flags or {}),
    )
    receipt_code = new_receipt_code()
    async with transaction():
        async with connection() as conn:
            if idempotency_key and not await _claim_key(conn, actor, idempotency_key, request_hash):
                response = None  # a concurrent twin committed first: replay it, below
            else:
                response = await _register(conn, it, receipt_code)
                if idempotency_key:
                    await conn.execute(
                        """UPDATE idempotency_record SET case_id = $3, response_enc = $4
                           WHERE user_id = $1 AND key = $2""",
                        actor.id, idempotency_key, it.case_id,
                        crypto.encrypt(msgspec.json.encode(response).decode()),
                    )
    if response is not None:
        return response, True
    replay = await _replay(actor, idempotency_key or "", request_hash)
    if replay is None:  # pragma: no cover - the twin committed, so its row is there
        raise Problem(409, "idempotency-in-progress", "Retry", "the same request is still being processed",
                      headers={"Retry-After": "1"})
    return replay, False


async def replayed(data: CaseCreate, *, actor: Principal, idempotency_key: str) -> CaseCreated | None:
    """The answer already given to this Idempotency-Key and body, if any (422 if the body differs)."""
    return await _replay(actor, idempotency_key, hashlib.sha256(request_fingerprint(data)).hexdigest())


async def _register(conn: Any, it: _Intake, receipt_code: str) -> CaseCreated:
    """The steps, in their order."""
    await _find_repeats(conn, it)
    await _insert_case(conn, it)
    parties = await _insert_parties(conn, it.case_id, it.data)
    proceeding = await _open_proceeding(conn, it)
    decision_row = await _record_decision(conn, it, proceeding["id"])
    clocks = await _start_clocks(conn, it, proceeding)
    next_due = min((c["due_on"] for c in clocks if c["whose"] == "body"), default=None)
    case_row = await _number(conn, it, receipt_code, proceeding["id"], next_due)
    await log_case_events(conn, case_id=it.case_id, reference=case_row["reference"], actor=it.actor,
                          events=it.events)
    # A new case: no one else can have added records or feedback yet.
    named = it.terminated_of is not None and it.scope.allows(it.terminated_of)
    detail = await assemble_detail(
        case_row, parties, [proceeding], clocks, decision_row,
        it.terminated_of["reference"] if named and it.terminated_of else None, it.repeats, it.actor,
        {**no_records(), "feedback": [], "attachments": []},
    )
    # The party is told whether it is accepted only after the officer's finding.
    return CaseCreated(**msgspec.structs.asdict(detail), receipt_code=receipt_code)


async def _claim_key(conn: Any, actor: Principal, key: str, request_hash: str) -> bool:
    return bool(await conn.fetchval(
        """INSERT INTO idempotency_record (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        actor.id, key, request_hash,
    ))


async def _find_repeats(conn: Any, it: _Intake) -> None:
    """Repeats are searched everywhere (a terminated matter is refused wherever
    it was decided) but named only within the caller's scope. A petition like
    one terminated after re-review is registered and put to an officer: only
    the same facts and reasons are barred (信访工作条例 art. 36), and whether
    they are is the officer's finding."""
    it.repeats_all = await find_repeats(conn, it.data, received_at=it.received_at, exclude_id=None)
    if it.data.kind == "petition" and it.decision.track == "petition":
        it.terminated_of = next((r for r in it.repeats_all if r["terminated"]), None)
    # As stored and as the detail route reads them back (JSON, dates as text).
    it.repeats = shown_repeats(json.loads(json.dumps(it.repeats_all, default=timeutil.json_default)), it.scope)
    if it.online:
        it.state = "submitted_online"  # the finding, if one is needed, follows registration
        window = dt.timedelta(hours=get_settings().filing_duplicate_window_hours)
        it.online_flags["possible_duplicates"] = await conn.fetchval(
            """SELECT count(*) FROM case_file WHERE online_fingerprint = $1 AND received_at > $2""",
            online_fingerprint(it.data), it.received_at - window)
    else:
        it.state = "pending_finding" if it.terminated_of else registry().track(it.decision.track).initial_state


async def _insert_case(conn: Any, it: _Intake) -> None:
    """The case under a provisional reference and seq (-id) until the counter is taken."""
    data = it.data
    related_id = None
    if it.terminated_of:
        related_id = await conn.fetchval("SELECT id FROM case_file WHERE reference = $1",
                                         it.terminated_of["reference"])
    it.case_id = await conn.fetchval(
        """WITH new_id AS (SELECT nextval(pg_get_serial_sequence('case_file', 'id')) AS id)
           INSERT INTO case_file (id, reference, county_code, year, seq, kind, channel, petition_type,
               category_code, summary, description, division_code, occurred_on, received_at,
               headcount, collective, amount_in_dispute, act_known_on, pending_litigation,
               risk_level, status, track, stage, body_id, receipt_code_hash, created_by,
               related_case_id, not_accepted_reason, possible_repeats, closed_at,
               act_on, obstacle_days, not_informed_of_right, immovable_property, online_fingerprint)
           SELECT new_id.id, 'pending-' || new_id.id, $1, $2, -new_id.id, $3, $4, $5, $6, $7, $8,
                  $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'pending', $22,
                  $23, $24, $25::jsonb, $26, $27, $28, $29, $30, $31
           FROM new_id
           RETURNING id""",
        it.county, it.received_on.year, data.kind, data.channel,
        data.petition_type, data.category, data.summary.strip(), data.description,
        data.division_code, data.occurred_on, it.received_at, data.headcount,
        data.headcount >= 5, data.amount_in_dispute, data.act_known_on,
        data.pending_litigation, data.risk_level, "open", it.decision.track, it.state, it.body_id,
        it.actor.id, related_id, None, json.dumps(it.repeats_all, default=timeutil.json_default), None,
        data.act_on, data.obstacle_days, data.not_informed_of_right, data.immovable_property,
        online_fingerprint(data) if it.online else None,
    )


async def _insert_parties(conn: Any, case_id: int, data: CaseCreate) -> list[Any]:
    """Insert the parties in one statement; returns the columns the detail
    view shows, in position order."""
    columns: list[list[Any]] = [[] for _ in range(12)]
    for position, party in enumerate(data.parties, start=1):
        id_number = normalize_id_number(party.id_number) if party.id_number else None
        phone = normalize_phone(party.phone) if party.phone else None
        for column, value in zip(columns, (
            position, party.role, party.kind, party.name.strip(),
            crypto.encrypt(id_number), crypto.keyed_hash(id_number) if id_number else None,
            mask_id_number(id_number) if id_number else None,
            crypto.encrypt(phone), crypto.keyed_hash(phone) if phone else None,
            mask_phone(phone) if phone else None, crypto.encrypt(party.address), party.sms_consent,
        )):
            column.append(value)
    rows = await conn.fetch(
        """INSERT INTO party (case_id, position, role, kind, name, id_number_enc, id_number_hash,
               id_number_masked, phone_enc, phone_hash, phone_masked, address_enc, sms_consent)
           SELECT $1, x.* FROM unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                                      $13::boolean[]) AS x
           RETURNING position, role, kind, name, id_number_masked, phone_masked,
                     address_enc IS NOT NULL AS has_address, sms_consent""",
        case_id, *columns,
    )
    return sorted(rows, key=lambda r: r["position"])


async def _open_proceeding(conn: Any, it: _Intake) -> dict[str, Any]:
    """The first proceeding, and the events that open the timeline."""
    data = it.data
    proceeding = {**dict(await conn.fetchrow(
        """INSERT INTO proceeding (case_id, seq, track, body_id, state, opened_at, opened_reason,
                                   outcome, concluded_at)
           VALUES ($1, 1, $2, $3, $4, $5, 'intake', $6, $7) RETURNING *""",
        it.case_id, it.decision.track, it.body_id, it.state, it.received_at, None, None,
    )), **it.body_columns}
    it.events.append(("application_submitted_online" if it.online else "case_registered", {
        "kind": data.kind, "channel": data.channel, "category": data.category,
        "division_code": data.division_code, "headcount": data.headcount,
        "risk_level": data.risk_level, "received_at": timeutil.rfc3339(it.received_at),
        "parties": [{"role": p.role, "kind": p.kind} for p in data.parties],
        # How many, not which: the timeline and its webhooks reach
        # readers whose scope the earlier cases may lie outside.
        "possible_repeat_count": len(it.repeats_all),
        **({"via": it.online_flags.get("via", "web")} if it.online else {}),
    }, proceeding["id"]))
    if it.online and (it.online_flags.get("possible_duplicates") or it.online_flags.get("phone_over_limit")):
        # For the clerk: the same text from the same phone lately (refuse it
        # as duplicate_submission), or a phone past its filing limit (no SMS).
        it.events.append(("online_submission_flagged", {
            "possible_duplicates": it.online_flags.get("possible_duplicates", 0),
            "phone_over_limit": bool(it.online_flags.get("phone_over_limit")),
        }, proceeding["id"]))
    return proceeding


async def _record_decision(conn: Any, it: _Intake, proceeding_id: int) -> dict[str, Any]:
    decision = it.decision
    row = {**dict(await conn.fetchrow(
        """INSERT INTO routing_decision (case_id, rule_id, rule_code, track, body_id, reason,
               suggested_track, overridden, override_reason, decided_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
        it.case_id, decision.rule_id, decision.rule_code, decision.track, it.body_id,
        decision.reason, decision.suggested_track, decision.overridden,
        decision.override_reason, it.actor.id,
    )), **it.body_columns}
    it.events.append(("routing_decided", {**decision.as_dict(), "body": _body_ref(decision.body)}, proceeding_id))
    if it.terminated_of:
        it.events.append(("finding_required", {
            "question": "same_matter_as_terminated",
            "basis": "信访工作条例 (2022) art. 36: the same facts and reasons are not accepted again after "
                     "re-review; an officer finds whether this is the same matter",
        }, proceeding_id))
    return row


async def _start_clocks(conn: Any, it: _Intake, proceeding: dict[str, Any]) -> list[dict[str, Any]]:
    """A late reconsideration application flagged; the body's clocks from the
    day the matter was received, or (into court or arbitration, where the
    party files) only the party's window to sue, from knowing of the act."""
    track = it.decision.track
    if it.online:  # from the submission day, when a clerk registers it (proceedings register_online)
        return []
    if track == "reconsideration":
        late = await application_window(_act_facts(it.data), it.received_on)
        if late:
            await conn.execute("UPDATE proceeding SET details = $2::jsonb WHERE id = $1",
                               proceeding["id"], json.dumps(late))
            proceeding["details"] = json.dumps(late)
            it.events.append(("late_application_flagged", late, proceeding["id"]))
    journal = Journal()
    subject = Subject(it.case_id, proceeding["id"], track)
    if registry().track(track).handled == "internal":
        clocks = await start_for(conn, subject, "open", it.received_on, journal)
    else:
        clocks = await _party_windows_at_intake(conn, subject, it.data, journal)
    it.events.extend(journal.events)
    return [c for c in clocks if c["whose"] == "body"] + [c for c in clocks if c["whose"] != "body"]


async def _party_windows_at_intake(conn: Any, subject: Subject, data: CaseCreate, journal: Journal) -> list[dict]:
    agency = any(p.role == "respondent" and p.kind == "agency" for p in data.parties)
    if data.act_known_on is None or not agency:
        return []
    limits = await time_limits()
    return [await start(conn, subject, limit, data.act_known_on, journal, by="guidance:litigation")
            for limit in limits.values() if "guidance:litigation" in limit.starts_on and limit.track == subject.track]


async def _number(conn: Any, it: _Intake, receipt_code: str, proceeding_id: int, next_due: Any) -> Any:
    """Last: the county's counter (a row lock until commit), then the final
    reference, with the current proceeding and the next due date."""
    seq = await conn.fetchval(
        """INSERT INTO reference_counter (county_code, year, last_seq) VALUES ($1, $2, 1)
           ON CONFLICT (county_code, year)
           DO UPDATE SET last_seq = reference_counter.last_seq + 1
           RETURNING last_seq""",
        it.county, it.received_on.year,
    )
    reference_no = f"{it.county}-{it.received_on.year}-{seq:06d}"
    return await conn.fetchrow(
        """UPDATE case_file SET reference = $2, seq = $3, receipt_code_hash = $4,
               current_proceeding_id = $5, next_due_on = $6
           WHERE id = $1 RETURNING *""",
        it.case_id, reference_no, seq, receipt_hash(reference_no, receipt_code), proceeding_id, next_due,
    )


async def _replay(actor: Principal, key: str, request_hash: str) -> CaseCreated | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT request_hash, response_enc FROM idempotency_record WHERE user_id = $1 AND key = $2",
            actor.id, key,
        )
    if row is None or row["response_enc"] is None:
        return None
    if row["request_hash"] != request_hash:
        raise IdempotencyConflict()
    return msgspec.json.decode(crypto.decrypt(row["response_enc"]) or "{}", type=CaseCreated)
