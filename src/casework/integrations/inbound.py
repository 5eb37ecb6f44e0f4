"""Status events pushed by courts and legal-aid centres.

``POST /api/v1/integrations/{system}/events`` is open to callers without a
token (access.auth OPEN_PATHS); only a valid signature gets through:

- ``X-Casework-Timestamp``: Unix seconds, within ``CASEWORK_INTEGRATION_TOLERANCE_SECONDS``
  (default 300) of our clock, so a captured request cannot be replayed later;
- ``X-Casework-Signature: sha256=<hex>``: HMAC-SHA256 with the system's shared
  secret over ``<timestamp>.<raw body>``.

Secrets come from ``CASEWORK_INTEGRATION_SECRETS='court=...,legal_aid=...'``,
read once. A system with no secret configured refuses everything (401).

The body is ``{"event_id": ..., "type": ..., "data": {...}}``. The sender's
event id makes it idempotent: its ``inbound_event`` row is inserted in the
transaction that applies the change, so a replay (same system and event id)
answers 200 with ``duplicate: true`` and changes nothing, and an event that
failed (unknown case number, say) leaves no row and may be sent again.
The change itself goes through the same record services a clerk's entry uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from casework import timeutil
from casework.cases import core
from casework.db import connection, transaction
from casework.integrations.schemas import InboundApplied, InboundResult
from casework.problems import Problem, invalid, not_found
from casework.records import legal_aid, litigation
from casework.records import legal_aid_schemas as aid
from casework.records import schemas as s

SYSTEMS = ("court", "legal_aid")
SIGNATURE_HEADER = "x-casework-signature"
TIMESTAMP_HEADER = "x-casework-timestamp"


@lru_cache(maxsize=1)
def integration_secrets() -> dict[str, bytes]:
    raw = os.environ.get("CASEWORK_INTEGRATION_SECRETS", "")
    secrets: dict[str, bytes] = {}
    for item in raw.split(","):
        name, _, secret = item.strip().partition("=")
        if name and secret:
            secrets[name.strip()] = secret.strip().encode()
    return secrets


def tolerance_seconds() -> int:
    return int(os.environ.get("CASEWORK_INTEGRATION_TOLERANCE_SECONDS") or 300)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value a sender computes (and we check)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "bad-signature", "Unauthorized", detail,
                   headers={"WWW-Authenticate": 'HMAC-SHA256 header="X-Casework-Signature"'})


def verify(system: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> None:
    secret = integration_secrets().get(system)
    if secret is None:
        raise _unauthorized(f"no shared secret is configured for {system}")
    if not timestamp or not signature:
        raise _unauthorized("X-Casework-Timestamp and X-Casework-Signature are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise _unauthorized("X-Casework-Timestamp must be Unix seconds") from None
    if abs((now or time.time()) - sent_at) > tolerance_seconds():
        raise _unauthorized("X-Casework-Timestamp is outside the allowed tolerance")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise _unauthorized("the signature does not match the body")


# ---------------------------------------------------------------- payloads

class Envelope(Struct, forbid_unknown_fields=True):
    event_id: Annotated[str, Meta(min_length=1, max_length=200)]
    type: Annotated[str, Meta(min_length=1, max_length=100)]
    data: dict[str, Any]


class LitigationUpdate(Struct, forbid_unknown_fields=True):
    case_number: Annotated[str, Meta(min_length=1, max_length=60)]
    stage: s.Stage | None = None
    result: s.LitigationResult | None = None
    result_on: dt.date | None = None
    head_appeared: bool | None = None
    hearing: s.HearingCreate | None = None


class LegalAidDecided(Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, Meta(min_length=1, max_length=100)]
    decision: s.AidDecision
    decided_on: dt.date
    refusal_reason: s.Notes | None = None


class LawyerAssigned(Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, Meta(min_length=1, max_length=100)]
    lawyer_name: s.Short
    assigned_on: dt.date
    law_firm: Annotated[str, Meta(max_length=200)] | None = None


async def _lock_cases(conn: Any, case_ids: list[int]) -> None:
    """Lock every case an event touches first, in id order (the one order every writer uses)."""
    for case_id in sorted(set(case_ids)):
        await core.lock_case_by_id(conn, case_id)


async def _litigation_updated(conn: Any, system: str, data: LitigationUpdate) -> dict[str, Any]:
    # The same suit may be recorded once per jurisdiction that linked it
    # (docs/access.md, shared records): the court's update reaches each.
    number = litigation.parse_number(data.case_number)
    suits = await conn.fetch(
        """SELECT l.id, array(SELECT x.case_id FROM lawsuit_case x WHERE x.lawsuit_id = l.id) AS case_ids
           FROM lawsuit l WHERE l.case_number = $1 ORDER BY l.id""", number.text)
    if not suits:
        raise not_found(f"lawsuit {number.text}")
    await _lock_cases(conn, [case_id for suit in suits for case_id in suit["case_ids"]])
    progress = s.LawsuitProgress(stage=data.stage, result=data.result, result_on=data.result_on,
                                 head_appeared=data.head_appeared)
    changed: set[str] = set()
    hearing_ids = []
    for suit in suits:
        changed |= set(await litigation.apply_progress(conn, suit["id"], progress, actor=None, source=system))
        if data.hearing is not None:
            hearing_ids.append(await litigation.add_hearing(conn, suit["id"], data.hearing, actor=None,
                                                            source=system))
    # lawsuit_id and hearing_id (the first record's) are kept for one version
    # beside the lists (docs/records.md).
    return {"lawsuit_id": suits[0]["id"], "lawsuit_ids": [suit["id"] for suit in suits],
            "changed": sorted(changed), "hearing_id": hearing_ids[0] if hearing_ids else None,
            "hearing_ids": hearing_ids}


async def _legal_aid_records(conn: Any, external_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every application recorded with the centre's number (one per jurisdiction
    that recorded it), each with its locked case: cases first, as a user's write does."""
    found = await conn.fetch("SELECT id, case_id FROM legal_aid_record WHERE external_id = $1 ORDER BY id",
                             external_id)
    if not found:
        raise not_found(f"legal-aid application {external_id}")
    await _lock_cases(conn, [r["case_id"] for r in found])
    result = []
    for row in found:
        case = await core.lock_case_by_id(conn, row["case_id"])
        record = dict(await conn.fetchrow("SELECT * FROM legal_aid_record WHERE id = $1 FOR UPDATE", row["id"]))
        result.append((case, record))
    return result


async def _to_each_record(
    conn: Any, external_id: str, entered: Callable[[Any], bool], apply: Callable[[Any, Any], Awaitable[None]],
) -> list[int]:
    """Apply a pushed legal-aid step to every record it names (one centre's
    record may be shared by cases), skipping those already entered by hand."""
    applied = []
    for case, record in await _legal_aid_records(conn, external_id):
        if not entered(record):
            await apply(case, record)
            applied.append(record["id"])
    return applied


async def _legal_aid_decided(conn: Any, system: str, data: LegalAidDecided) -> dict[str, Any]:
    decision = aid.LegalAidDecision(decision=data.decision, decided_on=data.decided_on,
                                    refusal_reason=data.refusal_reason)
    applied = await _to_each_record(
        conn, data.external_id,
        lambda record: record["decision"] == data.decision and record["decided_on"] == data.decided_on,
        lambda case, record: legal_aid.apply_decision(conn, case, record, decision, actor=None, source=system))
    if not applied:
        return {"legal_aid_ids": [], "unchanged": True}
    return {"legal_aid_id": applied[0], "legal_aid_ids": applied, "decision": data.decision}


async def _lawyer_assigned(conn: Any, system: str, data: LawyerAssigned) -> dict[str, Any]:
    assignment = aid.LawyerAssignment(lawyer_name=data.lawyer_name, assigned_on=data.assigned_on,
                                      law_firm=data.law_firm)
    applied = await _to_each_record(
        conn, data.external_id,
        lambda record: record["assigned_on"] == data.assigned_on and record["lawyer_name"] == data.lawyer_name.strip(),
        lambda case, record: legal_aid.apply_assignment(conn, case, record, assignment, actor=None, source=system))
    if not applied:
        return {"legal_aid_ids": [], "unchanged": True}
    return {"legal_aid_id": applied[0], "legal_aid_ids": applied, "assigned_on": str(data.assigned_on)}


# (system, type) -> (payload shape, handler)
KINDS: dict[tuple[str, str], tuple[type, Any]] = {
    ("court", "litigation.updated"): (LitigationUpdate, _litigation_updated),
    ("legal_aid", "legal_aid.decided"): (LegalAidDecided, _legal_aid_decided),
    ("legal_aid", "legal_aid.lawyer_assigned"): (LawyerAssigned, _lawyer_assigned),
}


async def receive(system: str, body: bytes, *, timestamp: str | None, signature: str | None) -> InboundResult:
    if system not in SYSTEMS:
        raise not_found("integration")
    verify(system, timestamp, signature, body)
    try:
        envelope = msgspec.json.decode(body, type=Envelope)
    except msgspec.ValidationError as exc:
        raise invalid([{"field": "body", "message": str(exc)}]) from None
    except msgspec.DecodeError:
        raise Problem(400, "bad-request", "Bad request", "the body is not JSON") from None
    kind = KINDS.get((system, envelope.type))
    if kind is None:
        raise invalid([{"field": "type", "message": f"{system} may send "
                        f"{', '.join(t for (sy, t) in KINDS if sy == system)}"}])
    shape, handler = kind
    try:
        payload = msgspec.convert(envelope.data, shape, strict=False)
    except msgspec.ValidationError as exc:
        raise invalid([{"field": "data", "message": str(exc)}]) from None
    async with transaction():
        async with connection() as conn:
            inbound_id = await conn.fetchval(
                """INSERT INTO inbound_event (system, event_id, type, payload) VALUES ($1, $2, $3, $4::jsonb)
                   ON CONFLICT (system, event_id) DO NOTHING RETURNING id""",
                system, envelope.event_id, envelope.type, body.decode(),
            )
            if inbound_id is None:
                return InboundResult(event_id=envelope.event_id, duplicate=True)
            applied = await handler(conn, system, payload)
            await conn.execute("UPDATE inbound_event SET applied = $2::jsonb WHERE id = $1", inbound_id,
                               json.dumps(applied, default=timeutil.json_default))
    return InboundResult(event_id=envelope.event_id, duplicate=False,
                         applied=msgspec.convert(applied, InboundApplied))
