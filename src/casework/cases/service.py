"""Cases: intake, reading, listing and the timeline.

Intake runs in one transaction: the reference number, the case, its
parties, the first proceeding, the routing decision, its clocks, the events
and their outbox rows commit together or not at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any

import msgspec

from casework import timeutil
from casework.access.policy import allowed
from casework.access.scope import Scope
from casework.cases import core
from casework.access.service import Principal
from casework.cases.events import log_case_events
from casework.cases.identity import (
    id_number_problem, mask_id_number, mask_phone, name_problem, normalize_id_number, normalize_phone,
    phone_problem,
)
from casework.cases.schemas import CaseCreate, request_fingerprint
from casework.db import connection, transaction
from casework.deadlines.engine import Journal, Subject, start, start_for
from casework.deadlines.service import clock_view, time_limits
from casework.proceedings.handlers import application_window
from casework.proceedings.transitions import allowed_actions
from casework.personal import crypto
from casework.public.feedback import feedback_for_case
from casework.problems import Problem, invalid
from casework.reference import service as reference
from casework.routing import service as routing
from casework.proceedings.tracks import registry
from casework.routing.rules import Draft
from casework.settings import get_settings

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
RECEIPT_LENGTH = 8

def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def receipt_hash(reference: str, code: str) -> str:
    return crypto.keyed_hash(f"{reference}:{code.strip().upper()}", purpose="receipt")


# ---------------------------------------------------------------- validation

def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


async def validate_draft(data: CaseCreate, actor: Principal) -> list[dict[str, str]]:
    """Every semantic problem with a draft case, each naming its field."""
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for path, text in _strings(msgspec.to_builtins(data), ""):
        if "\x00" in text:
            bad(path, "must not contain NUL characters")
    if not data.summary.strip():
        bad("summary", "must not be empty")
    if (data.kind == "petition") != (data.petition_type is not None):
        bad("petition_type", "is required for a petition and not allowed for a dispute")
    categories = await reference.categories()
    if data.category not in categories:
        bad("category", f"unknown category {data.category!r}")
    if not data.division_code.isdigit() or len(data.division_code) != 12:
        bad("division_code", "must be a 12-digit division code")
    elif not await reference.division_exists(data.division_code):
        bad("division_code", f"unknown division {data.division_code}")
    elif not actor.covers(data.division_code):
        bad("division_code", "is outside your jurisdiction")
    today = timeutil.today()
    now = timeutil.now()
    if data.received_at is not None:
        if data.received_at.tzinfo is None:
            bad("received_at", "must carry a time zone offset")
        elif data.received_at > now + dt.timedelta(minutes=5):
            bad("received_at", "must not be in the future")
        elif data.received_at.year < 1990:
            bad("received_at", "is implausibly old")
    for name in ("occurred_on", "act_known_on", "act_on"):
        value = getattr(data, name)
        if value is not None and (value > today or value.year < 1950):
            bad(name, "must be a date between 1950 and today")
    amount = data.amount_in_dispute
    if amount is not None and (not amount.is_finite() or amount < 0 or amount >= Decimal("1e14")
                               or amount != amount.quantize(Decimal("0.01"))):
        bad("amount_in_dispute", "must be between 0 and 10^14 yuan with at most two decimals")
    applicants = [p for p in data.parties if p.role == "applicant"]
    if not applicants:
        bad("parties", "at least one applicant is required")
    applicant_persons = sum(1 for p in applicants if p.kind == "person")
    if data.headcount < applicant_persons:
        bad("headcount", f"is below the number of applicant persons ({applicant_persons})")
    for index, party in enumerate(data.parties):
        if not party.name.strip():
            bad(f"parties[{index}].name", "must not be empty")
        elif "\x00" not in party.name and (why := name_problem(party.name.strip())) is not None:
            bad(f"parties[{index}].name", why)
        if party.id_number is not None:
            if party.kind != "person":
                bad(f"parties[{index}].id_number", "only a person has a resident identity number")
            elif (why := id_number_problem(party.id_number, today)) is not None:
                bad(f"parties[{index}].id_number", why)
        if party.phone is not None and (why := phone_problem(party.phone)) is not None:
            bad(f"parties[{index}].phone", why)
    if data.requested_track is not None:
        if not allowed(actor.role, "routing.override"):
            raise Problem(403, "forbidden", "Forbidden", f"role {actor.role} may not override routing")
        if not (data.override_reason or "").strip():
            bad("override_reason", "is required when requested_track is given")
    return errors


async def draft_of(data: CaseCreate) -> Draft:
    categories = await reference.categories()
    category = categories[data.category]
    received_at = data.received_at or timeutil.now()
    return Draft(
        kind=data.kind,
        petition_type=data.petition_type,
        category=data.category,
        civil=category["civil"],
        law_related=category["law_related"],
        respondent_kinds=tuple(p.kind for p in data.parties if p.role == "respondent"),
        headcount=data.headcount,
        amount=data.amount_in_dispute,
        division_code=data.division_code,
        pending_litigation=data.pending_litigation,
        act_known_on=data.act_known_on,
        received_on=timeutil.local_date(received_at),
    )


async def route(data: CaseCreate, actor: Principal) -> tuple[routing.Decision, Draft]:
    errors = await validate_draft(data, actor)
    if errors:
        raise invalid(errors)
    draft = await draft_of(data)
    decision = await routing.decide(draft)
    if data.requested_track is not None:
        decision = await routing.override(
            decision, track=data.requested_track, reason=data.override_reason or "", draft=draft
        )
    return decision, draft


# ---------------------------------------------------------------- repeats

def _party_keys(data: CaseCreate) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"id_hashes": [], "name_phone": [], "phone_hashes": [], "resp_names": [],
                                  "resp_hashes": []}
    for party in data.parties:
        id_hash = crypto.keyed_hash(normalize_id_number(party.id_number)) if party.id_number else None
        if party.role == "applicant":
            if id_hash:
                keys["id_hashes"].append(id_hash)
            if party.phone:
                phone_hash = crypto.keyed_hash(normalize_phone(party.phone))
                keys["phone_hashes"].append(phone_hash)
                keys["name_phone"].append(f"{party.name.strip()}\x1f{phone_hash}")
        elif party.role == "respondent":
            keys["resp_names"].append(party.name.strip())
            if id_hash:
                keys["resp_hashes"].append(id_hash)
    return keys


async def find_repeats(
    conn: Any, data: CaseCreate, *, received_at: dt.datetime, exclude_id: int | None,
) -> list[dict[str, Any]]:
    """Earlier cases of the same applicant (ID number, or name and phone)
    against the same respondent on the same category within the window."""
    keys = _party_keys(data)
    if not keys["id_hashes"] and not keys["name_phone"]:
        return []
    since = received_at - dt.timedelta(days=get_settings().repeat_window_days)
    rows = await conn.fetch(
        """SELECT DISTINCT c.id, c.reference, c.status, c.stage, c.track, c.received_at, c.terminated,
                  c.division_code, c.body_id, c.assignee_id
           FROM party a JOIN case_file c ON c.id = a.case_id
           WHERE a.role = 'applicant'
             AND (a.id_number_hash = ANY($1::text[])
                  -- phone_hash = ANY($8) lets party_phone_hash_idx find the
                  -- rows; the concatenation alone is a scan of every party
                  -- with a phone (all applicants, in a real city).
                  OR (a.phone_hash = ANY($8::text[])
                      AND (a.name || chr(31) || a.phone_hash) = ANY($2::text[])))
             AND c.category_code = $3
             AND (c.received_at >= $4 OR c.terminated)
             AND c.id IS DISTINCT FROM $5
             AND (cardinality($6::text[]) = 0 OR EXISTS (
                    SELECT 1 FROM party r WHERE r.case_id = c.id AND r.role = 'respondent'
                      AND (r.name = ANY($6::text[]) OR r.id_number_hash = ANY($7::text[]))))
           ORDER BY c.received_at DESC LIMIT 20""",
        keys["id_hashes"], keys["name_phone"], data.category, since, exclude_id,
        keys["resp_names"], keys["resp_hashes"], keys["phone_hashes"],
    )
    return [
        {"reference": r["reference"], "status": r["status"], "stage": r["stage"], "track": r["track"],
         "received_at": r["received_at"], "terminated": r["terminated"],
         "division_code": r["division_code"], "body_id": r["body_id"], "assignee_id": r["assignee_id"]}
        for r in rows
    ]


_REPEAT_KEYS = ("reference", "status", "stage", "track", "received_at", "terminated", "division_code")


def shown_repeats(repeats: list[dict[str, Any]], scope: Scope) -> list[dict[str, Any]]:
    """The earlier cases a reader may be told of: only those in their scope."""
    return [{k: r[k] for k in _REPEAT_KEYS} for r in repeats if scope.allows(r)]


# ---------------------------------------------------------------- intake

def _act_facts(data: CaseCreate) -> dict[str, Any]:
    """What the late-application rules read, as a case row would hold it."""
    return {"act_known_on": data.act_known_on, "act_on": data.act_on, "obstacle_days": data.obstacle_days,
            "not_informed_of_right": data.not_informed_of_right, "immovable_property": data.immovable_property}


async def _party_windows_at_intake(conn: Any, subject: Subject, data: CaseCreate, journal: Journal) -> list[dict]:
    """A case routed into litigation against an administrative act: the
    party's window to sue (from knowing of the act) is shown from intake."""
    agency = any(p.role == "respondent" and p.kind == "agency" for p in data.parties)
    if data.act_known_on is None or not agency:
        return []
    limits = await time_limits()
    return [await start(conn, subject, limit, data.act_known_on, journal, by="guidance:litigation")
            for limit in limits.values() if "guidance:litigation" in limit.starts_on and limit.track == subject.track]


class IdempotencyConflict(Problem):
    def __init__(self) -> None:
        super().__init__(
            422, "idempotency-key-reused", "Idempotency-Key reused",
            "this Idempotency-Key was used with a different request body",
        )


async def intake(
    data: CaseCreate, *, actor: Principal, idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """Register a case. Returns (response, created); a replay has created=False.

    The per-county reference counter is a row lock held until commit, so it
    is taken last: everything else (case under a provisional reference,
    parties, proceeding, routing decision, clocks, the response) is written
    first, then the counter, the final reference and the events (one
    statement) follow. Concurrent intakes in one county serialise only on
    those last few statements.
    """
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise invalid([{"field": "Idempotency-Key", "message": "must have 1 to 200 characters"}])
    request_hash = hashlib.sha256(request_fingerprint(data)).hexdigest()
    if idempotency_key:
        replay = await _replay(actor, idempotency_key, request_hash)
        if replay is not None:
            return replay, False
    decision, draft = await route(data, actor)
    received_at = data.received_at or timeutil.now()
    received_on = timeutil.local_date(received_at)
    county = data.division_code[:6]
    receipt_code = new_receipt_code()
    body_id = decision.body["id"] if decision.body else None

    async with transaction():
        async with connection() as conn:
            if idempotency_key:
                claimed = await conn.fetchval(
                    """INSERT INTO idempotency_record (user_id, key, request_hash) VALUES ($1, $2, $3)
                       ON CONFLICT DO NOTHING RETURNING true""",
                    actor.id, idempotency_key, request_hash,
                )
                if not claimed:  # a concurrent twin committed first: replay it
                    raise _ReplayNeeded()
            # Repeats are searched everywhere (a terminated matter is refused
            # wherever it was decided) but named only within the caller's
            # scope (access.scope): an out-of-scope case is named to nobody.
            scope = Scope.of(actor)
            repeats_all = await find_repeats(conn, data, received_at=received_at, exclude_id=None)
            # A petition like one terminated after re-review is registered and put
            # to an officer: only the same facts and reasons are barred (信访工作条例
            # art. 36), and whether they are is the officer's finding.
            terminated_of = next((r for r in repeats_all if r["terminated"]), None) if (
                data.kind == "petition" and decision.track == "petition") else None
            # As stored and as the detail route reads them back (JSON, dates as text).
            repeats = shown_repeats(json.loads(json.dumps(repeats_all, default=str)), scope)
            state = "pending_finding" if terminated_of else registry().track(decision.track).initial_state
            status = "open"
            related_id = None
            if terminated_of:
                related_id = await conn.fetchval(
                    "SELECT id FROM case_file WHERE reference = $1", terminated_of["reference"]
                )
            # A provisional reference and seq (-id) until the counter is taken.
            case_id = await conn.fetchval(
                """WITH new_id AS (SELECT nextval(pg_get_serial_sequence('case_file', 'id')) AS id)
                   INSERT INTO case_file (id, reference, county_code, year, seq, kind, channel, petition_type,
                       category_code, summary, description, division_code, occurred_on, received_at,
                       headcount, collective, amount_in_dispute, act_known_on, pending_litigation,
                       risk_level, status, track, stage, body_id, receipt_code_hash, created_by,
                       related_case_id, not_accepted_reason, possible_repeats, closed_at,
                       act_on, obstacle_days, not_informed_of_right, immovable_property)
                   SELECT new_id.id, 'pending-' || new_id.id, $1, $2, -new_id.id, $3, $4, $5, $6, $7, $8,
                          $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'pending', $22,
                          $23, $24, $25::jsonb, $26, $27, $28, $29, $30
                   FROM new_id
                   RETURNING id""",
                county, received_on.year, data.kind, data.channel,
                data.petition_type, data.category, data.summary.strip(), data.description,
                data.division_code, data.occurred_on, received_at, data.headcount,
                data.headcount >= 5, data.amount_in_dispute, data.act_known_on,
                data.pending_litigation, data.risk_level, status, decision.track, state, body_id,
                actor.id, related_id, None, json.dumps(repeats_all, default=str), None,
                data.act_on, data.obstacle_days, data.not_informed_of_right, data.immovable_property,
            )
            parties = await _insert_parties(conn, case_id, data)
            # The response is built from the rows these inserts return (the
            # detail route selects the same rows): no read-back queries.
            body_columns = {"body_code": decision.body["code"], "body_name_zh": decision.body["name_zh"],
                            "body_name_en": decision.body["name_en"]} if decision.body else {
                "body_code": None, "body_name_zh": None, "body_name_en": None}
            proceeding = {**dict(await conn.fetchrow(
                """INSERT INTO proceeding (case_id, seq, track, body_id, state, opened_at, opened_reason,
                                           outcome, concluded_at)
                   VALUES ($1, 1, $2, $3, $4, $5, 'intake', $6, $7) RETURNING *""",
                case_id, decision.track, body_id, state, received_at, None, None,
            )), **body_columns}
            proceeding_id = proceeding["id"]
            decision_row = {**dict(await conn.fetchrow(
                """INSERT INTO routing_decision (case_id, rule_id, rule_code, track, body_id, reason,
                       suggested_track, overridden, override_reason, decided_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
                case_id, decision.rule_id, decision.rule_code, decision.track, body_id,
                decision.reason, decision.suggested_track, decision.overridden,
                decision.override_reason, actor.id,
            )), **body_columns}
            events: list[tuple[str, dict[str, Any], int | None]] = [
                ("case_registered", {
                    "kind": data.kind, "channel": data.channel, "category": data.category,
                    "division_code": data.division_code, "headcount": data.headcount,
                    "risk_level": data.risk_level, "received_at": received_at.isoformat(),
                    "parties": [{"role": p.role, "kind": p.kind} for p in data.parties],
                    # How many, not which: the timeline and its webhooks reach
                    # readers whose scope the earlier cases may lie outside.
                    "possible_repeat_count": len(repeats_all),
                }, proceeding_id),
                ("routing_decided", {**decision.as_dict(), "body": _body_ref(decision.body)}, proceeding_id),
            ]
            next_due = None
            clocks: list[dict[str, Any]] = []
            if terminated_of:
                events.append(("finding_required", {
                    "question": "same_matter_as_terminated",
                    "basis": "信访工作条例 (2022) art. 36: the same facts and reasons are not accepted again after "
                             "re-review; an officer finds whether this is the same matter",
                }, proceeding_id))
            if decision.track == "reconsideration":
                late = await application_window(_act_facts(data), received_on)
                if late:
                    await conn.execute("UPDATE proceeding SET details = $2::jsonb WHERE id = $1",
                                       proceeding_id, json.dumps(late))
                    proceeding["details"] = json.dumps(late)
                    events.append(("late_application_flagged", late, proceeding_id))
            journal = Journal()
            subject = Subject(case_id, proceeding_id, decision.track)
            if registry().track(decision.track).handled == "internal":
                # The body received the matter on the day it was received.
                clocks = await start_for(conn, subject, "open", received_on, journal)
            else:
                # Into court or arbitration: the party files there; only the
                # party's window runs (from knowing of the act), no court's.
                clocks = await _party_windows_at_intake(conn, subject, data, journal)
            events.extend(journal.events)
            clocks = [c for c in clocks if c["whose"] == "body"] + [c for c in clocks if c["whose"] != "body"]
            next_due = min((c["due_on"] for c in clocks if c["whose"] == "body"), default=None)

            # Last: the county's counter (a row lock until commit), the final
            # reference (with the current proceeding and next due date), and
            # the events that carry it.
            seq = await conn.fetchval(
                """INSERT INTO reference_counter (county_code, year, last_seq) VALUES ($1, $2, 1)
                   ON CONFLICT (county_code, year)
                   DO UPDATE SET last_seq = reference_counter.last_seq + 1
                   RETURNING last_seq""",
                county, received_on.year,
            )
            reference_no = f"{county}-{received_on.year}-{seq:06d}"
            case_row = await conn.fetchrow(
                """UPDATE case_file SET reference = $2, seq = $3, receipt_code_hash = $4,
                       current_proceeding_id = $5, next_due_on = $6
                   WHERE id = $1 RETURNING *""",
                case_id, reference_no, seq, receipt_hash(reference_no, receipt_code), proceeding_id, next_due,
            )
            await log_case_events(conn, case_id=case_id, reference=reference_no, actor=actor, events=events)
            # A new case: no one else can have added records or feedback yet.
            named = terminated_of is not None and scope.allows(terminated_of)
            detail = await assemble_detail(
                case_row, parties, [proceeding], clocks, decision_row,
                terminated_of["reference"] if named else None, repeats, actor,
                {**_no_records(), "feedback": []},
            )
            # The party is told whether it is accepted only after the officer's finding.
            response = {**detail, "receipt_code": receipt_code}
            if idempotency_key:
                await conn.execute(
                    """UPDATE idempotency_record SET case_id = $3, response_enc = $4
                       WHERE user_id = $1 AND key = $2""",
                    actor.id, idempotency_key, case_id,
                    crypto.encrypt(msgspec.json.encode(response).decode()),
                )
    return response, True


class _ReplayNeeded(Exception):
    pass


async def intake_or_replay(data: CaseCreate, *, actor: Principal, idempotency_key: str | None):
    try:
        return await intake(data, actor=actor, idempotency_key=idempotency_key)
    except _ReplayNeeded:
        request_hash = hashlib.sha256(request_fingerprint(data)).hexdigest()
        replay = await _replay(actor, idempotency_key or "", request_hash)
        if replay is None:  # pragma: no cover - the twin committed, so its row is there
            raise Problem(409, "idempotency-in-progress", "Retry", "the same request is still being processed",
                          headers={"Retry-After": "1"})
        return replay, False


async def _replay(actor: Principal, key: str, request_hash: str) -> dict[str, Any] | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT request_hash, response_enc FROM idempotency_record WHERE user_id = $1 AND key = $2",
            actor.id, key,
        )
    if row is None or row["response_enc"] is None:
        return None
    if row["request_hash"] != request_hash:
        raise IdempotencyConflict()
    return json.loads(crypto.decrypt(row["response_enc"]) or "{}")


async def _insert_parties(conn: Any, case_id: int, data: CaseCreate) -> list[Any]:
    """Insert the parties in one statement; returns the columns the detail
    view shows, in position order."""
    columns: list[list[Any]] = [[] for _ in range(11)]
    for position, party in enumerate(data.parties, start=1):
        id_number = normalize_id_number(party.id_number) if party.id_number else None
        phone = normalize_phone(party.phone) if party.phone else None
        for column, value in zip(columns, (
            position, party.role, party.kind, party.name.strip(),
            crypto.encrypt(id_number), crypto.keyed_hash(id_number) if id_number else None,
            mask_id_number(id_number) if id_number else None,
            crypto.encrypt(phone), crypto.keyed_hash(phone) if phone else None,
            mask_phone(phone) if phone else None, crypto.encrypt(party.address),
        )):
            column.append(value)
    rows = await conn.fetch(
        """INSERT INTO party (case_id, position, role, kind, name, id_number_enc, id_number_hash,
               id_number_masked, phone_enc, phone_hash, phone_masked, address_enc)
           SELECT $1, x.* FROM unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) AS x
           RETURNING position, role, kind, name, id_number_masked, phone_masked,
                     address_enc IS NOT NULL AS has_address""",
        case_id, *columns,
    )
    return sorted(rows, key=lambda r: r["position"])


def _body_ref(body: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"id": body["id"], "code": body["code"], "name_zh": body["name_zh"]} if body else None


# ---------------------------------------------------------------- reading

async def case_detail(conn: Any, case_id: int, actor: Principal) -> dict[str, Any]:
    """The case as the API shows it."""
    case = dict(await conn.fetchrow("SELECT * FROM case_file WHERE id = $1", case_id))
    parties = await conn.fetch(
        """SELECT position, role, kind, name, id_number_masked, phone_masked, address_enc IS NOT NULL AS has_address
           FROM party WHERE case_id = $1 ORDER BY position""",
        case_id,
    )
    proceedings = await conn.fetch(
        """SELECT p.*, b.code AS body_code, b.name_zh AS body_name_zh, b.name_en AS body_name_en
           FROM proceeding p LEFT JOIN body b ON b.id = p.body_id
           WHERE p.case_id = $1 ORDER BY p.seq""",
        case_id,
    )
    clocks = await conn.fetch("SELECT * FROM clock WHERE case_id = $1 ORDER BY id", case_id)
    decision = await conn.fetchrow(
        """SELECT d.*, b.code AS body_code, b.name_zh AS body_name_zh, b.name_en AS body_name_en
           FROM routing_decision d LEFT JOIN body b ON b.id = d.body_id
           WHERE d.case_id = $1 ORDER BY d.id DESC LIMIT 1""",
        case_id,
    )
    scope = Scope.of(actor)
    related_reference = None
    if case["related_case_id"]:
        related = await conn.fetchrow(
            "SELECT reference, division_code, body_id, assignee_id FROM case_file WHERE id = $1",
            case["related_case_id"],
        )
        related_reference = related["reference"] if scope.allows(related) else None
    stored = json.loads(case["possible_repeats"])
    repeats: list[dict[str, Any]] = []
    if stored:
        # As they are now (a case may have moved since intake), in the reader's scope.
        now = {r["reference"]: dict(r) for r in await conn.fetch(
            "SELECT reference, division_code, body_id, assignee_id FROM case_file WHERE reference = ANY($1::text[])",
            [r["reference"] for r in stored])}
        repeats = shown_repeats([{**r, **now[r["reference"]]} for r in stored if r["reference"] in now], scope)
    extra = {**await _records(conn, case_id, actor), "feedback": await feedback_for_case(conn, case_id)}
    return await assemble_detail(case, parties, proceedings, clocks, decision, related_reference, repeats,
                                 actor, extra)


async def assemble_detail(
    case: Any, parties: Any, proceedings: Any, clocks: Any, decision: Any, related_reference: str | None,
    repeats: list[dict[str, Any]], actor: Principal, extra: dict[str, Any],
) -> dict[str, Any]:
    """The detail view from its rows: the case, its parties (in position
    order), proceedings (with body_code/body_name_zh/body_name_en), clocks
    (in id order), latest routing decision (with the same body columns),
    and ``extra`` (records and feedback). Intake builds it from the rows
    its inserts return; reading builds it from the rows it selects."""
    today = timeutil.today()
    clock_views: dict[int, list[dict[str, Any]]] = {}
    for clock in clocks:
        clock_views.setdefault(clock["proceeding_id"], []).append(await clock_view(dict(clock), today))
    proceeding_list = [
        {
            "id": p["id"], "seq": p["seq"], "track": p["track"], "state": p["state"],
            "outcome": p["outcome"], "previous_id": p["previous_id"],
            "body": {"id": p["body_id"], "code": p["body_code"], "name_zh": p["body_name_zh"],
                     "name_en": p["body_name_en"]} if p["body_id"] else None,
            "assignee_id": p["assignee_id"], "opened_at": p["opened_at"], "accepted_at": p["accepted_at"],
            "concluded_at": p["concluded_at"], "opened_reason": p["opened_reason"],
            "details": json.loads(p["details"]) if isinstance(p["details"], str) else p["details"],
            "clocks": clock_views.get(p["id"], []),
        }
        for p in proceedings
    ]
    current = next((p for p in proceeding_list if p["id"] == case["current_proceeding_id"]), None)
    actions = await _actions_that_work(current, actor) if current else []
    return {
        "id": case["id"],
        "reference": case["reference"],
        "allowed_actions": actions,
        "kind": case["kind"],
        "channel": case["channel"],
        "petition_type": case["petition_type"],
        "category": case["category_code"],
        "summary": case["summary"],
        "description": case["description"],
        "division_code": case["division_code"],
        "occurred_on": case["occurred_on"],
        "received_at": case["received_at"],
        "headcount": case["headcount"],
        "collective": case["collective"],
        "amount_in_dispute": str(case["amount_in_dispute"]) if case["amount_in_dispute"] is not None else None,
        "act_known_on": case["act_known_on"],
        "pending_litigation": case["pending_litigation"],
        "risk_level": case["risk_level"],
        "status": case["status"],
        "track": case["track"],
        "stage": case["stage"],
        "terminated": case["terminated"],
        "not_accepted_reason": case["not_accepted_reason"],
        "related_case": related_reference,
        "next_due_on": case["next_due_on"],
        "parties": [
            {"position": p["position"], "role": p["role"], "kind": p["kind"], "name": p["name"],
             "id_number": p["id_number_masked"], "phone": p["phone_masked"],
             "address": "***" if p["has_address"] else None}
            for p in parties
        ],
        "routing": {
            "track": decision["track"], "rule": decision["rule_code"], "reason": decision["reason"],
            "body": {"id": decision["body_id"], "code": decision["body_code"],
                     "name_zh": decision["body_name_zh"], "name_en": decision["body_name_en"]}
            if decision["body_id"] else None,
            "overridden": decision["overridden"], "override_reason": decision["override_reason"],
            "suggested_track": decision["suggested_track"],
        } if decision else None,
        "proceeding": current,
        "proceedings": proceeding_list,
        "possible_repeats": repeats,
        **extra,
        "created_at": case["created_at"],
        "updated_at": case["updated_at"],
        "closed_at": case["closed_at"],
        "version": case["version"],
    }


def _no_records() -> dict[str, Any]:
    from casework.records.service import RECORD_KINDS

    return {kind: [] for kind in RECORD_KINDS}


async def _records(conn: Any, case_id: int, actor: Principal) -> dict[str, Any]:
    from casework.records.service import records_for_case  # records builds on cases

    return await records_for_case(conn, case_id, actor)


async def _actions_that_work(current: dict[str, Any], actor: Principal) -> list[str]:
    """The transition table's actions for this role and state, less the clock
    actions that would find no clock to act on."""
    limits = await time_limits()
    clocks = current["clocks"]
    can = {
        "pause_clock": any(c["state"] == "running" and c["whose"] == "body" and limits[c["time_limit"]].pausable
                           and not c["breached"] for c in clocks),
        "resume_clock": any(c["state"] == "paused" for c in clocks),
        "extend_deadline": any(c["state"] in ("running", "paused") and limits[c["time_limit"]].extendable
                               and not c["extended_by"] and not c["extension"] for c in clocks),
        "convert_to_ordinary": any(c["time_limit"] == "reconsideration.decision_simplified"
                                   and c["state"] in ("running", "paused") for c in clocks),
    }
    return [a for a in allowed_actions(current["track"], current["state"], actor.role) if can.get(a, True)]


async def get_case(reference_no: str, actor: Principal) -> dict[str, Any]:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference_no, actor)
        return await case_detail(conn, case["id"], actor)


def encode_cursor_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor_text(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid([{"field": "cursor", "message": "is not a cursor this service issued"}]) from None


def encode_cursor(last_id: int) -> str:
    return encode_cursor_text(str(last_id))


def decode_cursor(cursor: str) -> int:
    try:
        return int(decode_cursor_text(cursor))
    except ValueError:
        raise invalid([{"field": "cursor", "message": "is not a cursor this service issued"}]) from None


LIST_COLUMNS = """c.id, c.reference, c.kind, c.petition_type, c.category_code AS category, c.summary,
    c.division_code, c.received_at, c.headcount, c.collective, c.risk_level, c.status, c.track,
    c.stage, c.body_id, c.next_due_on, c.version"""


async def list_cases(actor: Principal, filters: dict[str, Any], limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first, keyset-paginated by id (stable under concurrent intake)."""
    scope = Scope.of(actor).narrowed(filters.get("division"))
    if scope is None:
        return {"items": [], "next_cursor": None}
    args: list[Any] = []
    clauses = [scope.sql("c", args)]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    for key, column in (("status", "c.status"), ("track", "c.track"), ("category", "c.category_code"),
                        ("kind", "c.kind"), ("risk_level", "c.risk_level"), ("stage", "c.stage")):
        if filters.get(key) is not None:
            add(f"{column} = {{}}", filters[key])
    if filters.get("body_id") is not None:
        add("c.body_id = {}", filters["body_id"])
    if filters.get("collective") is not None:
        add("c.collective = {}", filters["collective"])
    if filters.get("received_from") is not None:
        add("c.received_at >= {}", filters["received_from"])
    if filters.get("received_to") is not None:
        add("c.received_at < {}", filters["received_to"])
    if cursor:
        add("c.id < {}", decode_cursor(cursor))
    args.append(limit + 1)
    sql = (
        f"SELECT {LIST_COLUMNS} FROM case_file c WHERE {' AND '.join(clauses)} "
        f"ORDER BY c.id DESC LIMIT ${len(args)}"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    items = [dict(r) for r in rows[:limit]]
    return {
        "items": items,
        "next_cursor": encode_cursor(items[-1]["id"]) if len(rows) > limit else None,
    }


async def case_events(reference_no: str, actor: Principal) -> list[dict[str, Any]]:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference_no, actor)
        rows = await conn.fetch(
            """SELECT e.id, e.at, e.type, e.data, e.proceeding_id, e.actor_id, e.actor_role,
                      u.username AS actor
               FROM case_event e LEFT JOIN app_user u ON u.id = e.actor_id
               WHERE e.case_id = $1 ORDER BY e.id""",
            case["id"],
        )
    return [{**dict(r), "data": json.loads(r["data"])} for r in rows]
