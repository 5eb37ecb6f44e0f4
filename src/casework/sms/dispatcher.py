"""SMS to the applicant, made from the outbox and sent through an HTTP SMS
gateway (template id + parameters, as Chinese SMS gateways take them).

1. **Make.** Outbox rows past ``sms_cursor`` whose event is a step the law
   requires a notice at (``data/sms_steps.json``) become one ``sms_message``
   per applicant who consented at intake (``party.sms_consent``), unless the
   filing was past its phone's limit. The parameters are only what the
   template needs (the reference, a body's name, a date, a standard
   reason): never a name. More than ``sms_per_phone_per_day`` to one phone
   are not sent (``skipped``). One instance at a time (advisory lock).
2. **Send.** Due messages are claimed with a lease (``FOR UPDATE SKIP
   LOCKED``), posted to the gateway with a ``message_id`` it dedupes on,
   retried with the webhooks' backoff, and dead after ``sms_max_attempts``.
   The phone is decrypted only for the request.
3. Each message that is sent, given up on or skipped is recorded in the
   case's timeline (``sms_sent``, ``sms_failed``, ``sms_not_sent``), without
   the phone.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AbstractAsyncContextManager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import structlog

from casework.cases.events import log_case_event
from casework.db import connection, transaction
from casework.deadlines.service import time_limits
from casework.periodic import for_the_app, rest
from casework.personal import crypto
from casework.reference import service as reference
from casework.settings import Settings, get_settings
from casework.webhooks.dispatcher import Answer, backoff_seconds, post_once

log = structlog.get_logger(__name__)

SMS_LOCK = 72140402  # pg advisory lock key: one maker at a time
BATCH = 200


@cache
def steps() -> dict[str, dict[str, Any]]:
    """Event type -> the step it is told at."""
    raw = json.loads((Path(__file__).parent / "data" / "sms_steps.json").read_text("utf-8"))
    return {event: step for step in raw["steps"] for event in step["events"]}


def template_ids(settings: Settings) -> dict[str, str]:
    pairs = (p.split("=", 1) for p in settings.sms_template_ids.split(",") if "=" in p)
    return {k.strip(): v.strip() for k, v in pairs}


def _moved_to(data: dict[str, Any]) -> tuple[str | None, int | None]:
    """The body an event sent the matter to: (code, id), either may be None.
    ``forwarded`` names it by code (``to``); ``assigned`` by id (``after``)."""
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    return data.get("to"), after.get("body_id")


def _stays_in_the_body(data: dict[str, Any]) -> bool:
    """An assignment inside the same body (to one of its own officers): no 转送 or 交办 to tell."""
    before = data.get("before") if isinstance(data.get("before"), dict) else None
    after = data.get("after") if isinstance(data.get("after"), dict) else None
    return before is not None and after is not None and before.get("body_id") == after.get("body_id")


async def _body_name(conn: Any, case: Any, data: dict[str, Any]) -> str:
    """The body the event sent the matter to, else the current proceeding's.
    Messages are made after the fact (every few seconds, or after a
    restart or a backlog): a matter forwarded and already returned is still
    told where it was forwarded."""
    code, body_id = _moved_to(data)
    if code:
        name = await conn.fetchval("SELECT name_zh FROM body WHERE code = $1", code)
    elif body_id is not None:
        name = await conn.fetchval("SELECT name_zh FROM body WHERE id = $1", body_id)
    else:
        name = await conn.fetchval(
            "SELECT b.name_zh FROM proceeding p JOIN body b ON b.id = p.body_id WHERE p.id = $1",
            case["current_proceeding_id"])
    return name or ""


async def _params(conn: Any, step: dict[str, Any], case: Any, data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {"reference": case["reference"]}
    if "body" in step["params"]:
        values["body"] = await _body_name(conn, case, data)
    if "reason" in step["params"]:
        code = data.get("reason_code") or case["not_accepted_reason"] or "other"
        reasons = await reference.public_reasons()
        values["reason"] = (reasons.get(code) or reasons.get("other") or {}).get("label_zh") or ""
    if "due_on" in step["params"]:
        values["due_on"] = str(data.get("due_after") or data.get("due_on") or "")
    if "step" in step["params"]:
        limit = (await time_limits()).get(data.get("time_limit") or "")
        values["step"] = limit.step_zh if limit else ""
    return {name: values.get(name, "") for name in step["params"]}


async def make_messages(settings: Settings | None = None) -> int:
    """Turn outbox rows past the cursor into messages; returns how many were made."""
    settings = settings or get_settings()
    made = 0
    while True:
        async with transaction():
            async with connection() as conn:
                if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SMS_LOCK):
                    return made
                after = await conn.fetchval("SELECT last_outbox_id FROM sms_cursor WHERE id = 1 FOR UPDATE")
                rows = await conn.fetch(
                    """SELECT id, case_id, type, payload->'data' AS data FROM outbox
                       WHERE id > $1 ORDER BY id LIMIT $2""", after, BATCH)
                if not rows:
                    return made
                if settings.sms_gateway_url:  # no gateway: the steps pass untold, not queued for later
                    for row in rows:
                        made += await _make_for(conn, row, settings)
                await conn.execute("UPDATE sms_cursor SET last_outbox_id = $1 WHERE id = 1", rows[-1]["id"])
        if len(rows) < BATCH:
            return made


async def _make_for(conn: Any, row: Any, settings: Settings) -> int:
    step = steps().get(row["type"])
    if step is None:
        return 0
    data = json.loads(row["data"]) if isinstance(row["data"], str) else (row["data"] or {})
    if step.get("when_whose") and data.get("whose") != step["when_whose"]:
        return 0
    if step.get("when_time_limit") and data.get("time_limit") not in step["when_time_limit"]:
        return 0
    if step.get("only_to_another_body") and _stays_in_the_body(data):
        return 0
    case = await conn.fetchrow("SELECT * FROM case_file WHERE id = $1", row["case_id"])
    parties = await conn.fetch(
        """SELECT p.id, p.phone_hash FROM party p
           WHERE p.case_id = $1 AND p.role = 'applicant' AND p.sms_consent AND p.phone_enc IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = p.case_id
                               AND e.type = 'online_submission_flagged'
                               AND (e.data->>'phone_over_limit')::boolean)""",
        row["case_id"])
    made = 0
    for party in parties:
        params = await _params(conn, step, case, data)
        recent = await conn.fetchval(
            """SELECT count(*) FROM sms_message WHERE phone_hash = $1 AND state <> 'skipped'
                 AND created_at > now() - interval '1 day'""", party["phone_hash"])
        state = "skipped" if recent >= settings.sms_per_phone_per_day else "pending"
        message_id = await conn.fetchval(
            """INSERT INTO sms_message (outbox_id, case_id, party_id, phone_hash, step, template_id, params, state,
                                        last_error)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
               ON CONFLICT (outbox_id, party_id) DO NOTHING RETURNING id""",
            row["id"], row["case_id"], party["id"], party["phone_hash"], step["code"],
            template_ids(settings).get(step["code"], step["code"]), json.dumps(params, ensure_ascii=False), state,
            "throttled_per_phone" if state == "skipped" else None)
        if message_id is None:
            continue
        made += 1
        if state == "skipped":
            await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="sms_not_sent",
                                 actor=None, outbox=False,
                                 data={"message_id": message_id, "step": step["code"], "why": "throttled_per_phone"})
    return made


async def claim_due(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    """Claims due messages, at most one a phone: the earliest one that phone
    still has pending. A citizen reads "accepted" after "registered", even
    when the first was held up by a failing gateway; a message given up on
    (dead) no longer holds back the next."""
    async with transaction():
        async with connection() as conn:
            rows = await conn.fetch(
                """WITH due AS (
                       SELECT s.id FROM sms_message s
                       WHERE s.state = 'pending' AND s.next_attempt_at <= now()
                         AND (s.claimed_until IS NULL OR s.claimed_until < now())
                         AND NOT EXISTS (SELECT 1 FROM sms_message e
                                         WHERE e.phone_hash = s.phone_hash AND e.state = 'pending' AND e.id < s.id)
                       ORDER BY s.next_attempt_at, s.id LIMIT $1 FOR UPDATE SKIP LOCKED)
                   UPDATE sms_message m SET claim_token = gen_random_uuid(),
                          claimed_until = now() + make_interval(secs => $2)
                   FROM due, party p WHERE m.id = due.id AND p.id = m.party_id
                   RETURNING m.id, m.claim_token, m.attempts, m.case_id, m.step, m.template_id,
                             m.params::text AS params, p.phone_enc""",
                limit, settings.sms_timeout_seconds * 3 + 30)
    return [dict(r) for r in sorted(rows, key=lambda r: r["id"])]


async def send(claim: dict[str, Any], client: httpx.AsyncClient, settings: Settings) -> str:
    phone = crypto.decrypt(claim["phone_enc"])
    if phone is None:
        return await _finish(claim, settings, Answer(ok=False, error="phone_unreadable"), give_up=True)
    body = {"message_id": f"casework-sms-{claim['id']}", "phone": phone, "template_id": claim["template_id"],
            "params": json.loads(claim["params"])}
    headers = {"Authorization": f"Bearer {settings.sms_gateway_token}"} if settings.sms_gateway_token else {}
    return await _finish(claim, settings, await post_once(client, settings.sms_gateway_url, json=body, headers=headers))


async def _finish(claim: dict[str, Any], settings: Settings, answer: Answer, *, give_up: bool = False) -> str:
    ok, status, error = answer.ok, answer.status, answer.error
    attempts = claim["attempts"] + 1
    state = "sent" if ok else "dead" if give_up or attempts >= settings.sms_max_attempts else "pending"
    delay = backoff_seconds(attempts, settings, answer.retry_after) if state == "pending" else 0.0
    async with transaction():
        async with connection() as conn:
            updated = await conn.fetchrow(
                """UPDATE sms_message SET state = $3, attempts = $4, last_status = $5, last_error = $6,
                          next_attempt_at = now() + make_interval(secs => $7),
                          sent_at = CASE WHEN $3 = 'sent' THEN now() END, claim_token = NULL, claimed_until = NULL
                   WHERE id = $1 AND claim_token = $2 RETURNING case_id""",
                claim["id"], claim["claim_token"], state, attempts, status,
                error, delay)
            if updated is None:
                log.warning("sms_claim_lost", message_id=claim["id"])
                return "lost"
            if state in ("sent", "dead"):
                reference_no = await conn.fetchval("SELECT reference FROM case_file WHERE id = $1", claim["case_id"])
                await log_case_event(
                    conn, case_id=claim["case_id"], reference=reference_no, actor=None, outbox=False,
                    type="sms_sent" if ok else "sms_failed",
                    data={"message_id": claim["id"], "step": claim["step"], "template_id": claim["template_id"],
                          "attempts": attempts, **({} if ok else {"error": error})})
    log.info("sms_attempt", message_id=claim["id"], state=state, attempts=attempts, status=status, error=error)
    return state


def http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.sms_timeout_seconds, follow_redirects=False, trust_env=False)


async def dispatch_once(settings: Settings | None = None, client: httpx.AsyncClient | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    counts = {"made": await make_messages(settings), "sent": 0, "pending": 0, "dead": 0, "lost": 0}
    if not settings.sms_gateway_url:
        return counts
    claims = await claim_due(settings)
    if not claims:
        return counts
    own = client is None
    client = client or http_client(settings)
    try:
        for state in await asyncio.gather(*(send(c, client, settings) for c in claims)):
            counts[state] += 1
    finally:
        if own:
            await client.aclose()
    return counts


async def run(stop: asyncio.Event, settings: Settings) -> None:
    async with http_client(settings) as client:
        while not stop.is_set():
            try:
                await dispatch_once(settings, client)
            except Exception:
                log.exception("sms_dispatch_failed")
            await rest(stop, settings.webhook_poll_interval_seconds)


def background(settings: Settings) -> AbstractAsyncContextManager[None]:
    return for_the_app(lambda stop: run(stop, settings), name="sms-dispatcher",
                       grace_seconds=settings.sms_timeout_seconds + 5, enabled=settings.run_background_tasks)



