"""The outbox dispatcher: fan-out, claim, deliver, back off, dead-letter.

All state is in PostgreSQL, so any number of service instances (or
``casework dispatch`` processes) can run it, and a restart resumes where
the last one stopped:

1. **Fan-out.** Outbox rows not yet dispatched become one ``webhook_delivery``
   per matching active subscription; the rows are marked in the same
   transaction. One instance at a time (a transaction-level advisory lock),
   so deliveries of one case are created in event order.
2. **Claim.** Due pending deliveries are claimed with ``FOR UPDATE SKIP
   LOCKED`` and a lease (``claimed_until``, a fresh ``claim_token``). Only the
   earliest pending delivery of a case for a subscription is claimable, so
   a later event of a case is never sent before an earlier one is delivered
   or dead. A crashed instance's claims expire with their lease.
3. **Deliver.** POST the outbox payload, signed as Standard Webhooks (docs/webhooks.md). A 2xx
   marks it delivered; anything else schedules the next try with
   exponential backoff and jitter, or marks it dead after
   ``webhook_max_attempts``. The result is written only while the claim
   token is still ours.

Delivery is at least once (a crash after the receiver answered but before
the result was written sends it again): receivers dedupe on
``webhook-id`` (the event id).
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import socket
import ssl
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from casework import metrics
from casework.db import connection, transaction
from casework.periodic import for_the_app, rest
from casework.personal import crypto
from casework.settings import Settings, get_settings
from casework.webhooks import signing, targets

log = structlog.get_logger(__name__)

FANOUT_LOCK = 72140401  # pg advisory lock key: one fan-out at a time
USER_AGENT = "casework-webhooks/1"
# Payloads carry no personal identifiers (cases/events.py); if one ever does,
# it is held back as dead rather than sent.
PERSONAL_KEYS = frozenset({"id_number", "phone", "address", "id_number_enc", "phone_enc", "address_enc"})


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


_INSTANCE = instance_name()


# ---------------------------------------------------------------- signing

def signed_headers(*, secret: str, body: bytes, event_id: int, event_type: str, delivery_id: int,
                   previous_secret: str | None = None, now: float | None = None) -> dict[str, str]:
    """Standard Webhooks headers (signing.py), signed with the current secret
    and, while a rotation's overlap lasts, the previous one too; and the
    X-Casework-* headers of the release before, kept for one release."""
    # The wall clock, not the business clock: the receiver compares the
    # timestamp with its own clock to refuse replays.
    timestamp = int(now if now is not None else time.time())
    in_use = [secret] + ([previous_secret] if previous_secret else [])
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.standard_headers(message_id=str(event_id), timestamp=timestamp, body=body,
                                   secrets_in_use=in_use),
        "X-Casework-Event-Id": str(event_id),
        "X-Casework-Event-Type": event_type,
        "X-Casework-Delivery-Id": str(delivery_id),
        "X-Casework-Timestamp": str(timestamp),
        "X-Casework-Signature": signing.legacy_signature(secret, str(timestamp), body),
    }


def carries_personal_data(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in PERSONAL_KEYS or carries_personal_data(v) for k, v in value.items())
    if isinstance(value, list):
        return any(carries_personal_data(v) for v in value)
    return False


def backoff_seconds(attempts: int, settings: Settings, retry_after: float | None = None) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random.

    ``attempts`` counts the tries made so far (>= 1).
    """
    ceiling = min(settings.webhook_backoff_max_seconds,
                  settings.webhook_backoff_base_seconds * 2 ** (attempts - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    if retry_after is not None:  # the receiver asked for more time (429/503)
        delay = max(delay, min(retry_after, settings.webhook_backoff_max_seconds))
    return delay


# ---------------------------------------------------------------- fan-out

async def fan_out(settings: Settings | None = None) -> int:
    """Turn undispatched outbox rows into deliveries; returns how many deliveries were made."""
    settings = settings or get_settings()
    batch = max(settings.webhook_batch_size * 10, 100)
    made = 0
    while True:
        async with transaction():
            async with connection() as conn:
                if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", FANOUT_LOCK):
                    return made  # another instance is fanning out right now
                ids = [r["id"] for r in await conn.fetch(
                    "SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1", batch,
                )]
                if not ids:
                    return made
                made += await conn.fetchval(
                    """WITH made AS (
                           INSERT INTO webhook_delivery (subscription_id, outbox_id, event_id, case_id, event_type)
                           SELECT s.id, o.id, o.event_id, o.case_id, o.type
                           FROM outbox o
                           JOIN case_file c ON c.id = o.case_id
                           JOIN webhook_subscription s
                             ON s.active AND o.id > s.starts_after_outbox_id
                            AND starts_with(c.division_code, s.division_prefix)
                            AND (cardinality(s.event_types) = 0 OR o.type = ANY(s.event_types))
                           WHERE o.id = ANY($1::bigint[])
                           ORDER BY o.id, s.id
                           ON CONFLICT (subscription_id, outbox_id) DO NOTHING
                           RETURNING 1)
                       SELECT count(*) FROM made""",
                    ids,
                )
                await conn.execute("UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])", ids)
        if len(ids) < batch:
            return made


# ---------------------------------------------------------------- claiming

@dataclass(frozen=True)
class Claim:
    delivery_id: int
    token: Any  # uuid.UUID: the claim is ours while this is the row's claim_token
    attempts: int  # tries made before this one
    event_id: int
    event_type: str
    case_id: int
    url: str
    secret_enc: str
    previous_secret_enc: str | None  # set while a rotation's overlap lasts
    body: bytes  # the outbox payload, exactly as signed and sent


async def claim_due(settings: Settings | None = None, *, instance: str | None = None,
                    limit: int | None = None) -> list[Claim]:
    """Claim due deliveries for ``webhook_lease_seconds`` (one per case and subscription)."""
    settings = settings or get_settings()
    async with transaction():
        async with connection() as conn:
            rows = await conn.fetch(
                """WITH due AS (
                       SELECT d.id FROM webhook_delivery d
                       JOIN webhook_subscription s ON s.id = d.subscription_id AND s.active
                       WHERE d.state = 'pending' AND d.next_attempt_at <= now()
                         AND (d.claimed_until IS NULL OR d.claimed_until < now())
                         AND NOT EXISTS (
                             SELECT 1 FROM webhook_delivery earlier
                             WHERE earlier.subscription_id = d.subscription_id
                               AND earlier.case_id = d.case_id
                               AND earlier.state = 'pending'
                               AND earlier.outbox_id < d.outbox_id)
                       ORDER BY d.next_attempt_at, d.id
                       LIMIT $1
                       FOR UPDATE OF d SKIP LOCKED)
                   UPDATE webhook_delivery w
                      SET claimed_by = $2, claim_token = gen_random_uuid(),
                          claimed_until = now() + make_interval(secs => $3)
                   FROM due, webhook_subscription s, outbox o
                   WHERE w.id = due.id AND s.id = w.subscription_id AND o.id = w.outbox_id
                   RETURNING w.id, w.claim_token, w.attempts, w.event_id, w.event_type, w.case_id,
                             s.url, s.secret_enc, o.payload::text AS body,
                             CASE WHEN s.previous_secret_until > now() THEN s.previous_secret_enc
                             END AS previous_secret_enc""",
                limit or settings.webhook_batch_size, instance or _INSTANCE,
                float(settings.webhook_lease_seconds),
            )
    return [
        Claim(delivery_id=r["id"], token=r["claim_token"], attempts=r["attempts"], event_id=r["event_id"],
              event_type=r["event_type"], case_id=r["case_id"], url=r["url"], secret_enc=r["secret_enc"],
              previous_secret_enc=r["previous_secret_enc"], body=r["body"].encode())
        for r in sorted(rows, key=lambda r: r["id"])
    ]


# ---------------------------------------------------------------- delivering

def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


async def deliver(claim: Claim, client: httpx.AsyncClient, settings: Settings | None = None) -> str:
    """Send one claimed delivery and record the result; returns the new state."""
    settings = settings or get_settings()
    secret = crypto.decrypt(claim.secret_enc)
    if secret is None:  # lost personal-data key?
        return await _finish(claim, settings, Answer(ok=False, error="secret_unreadable"))
    if carries_personal_data(json.loads(claim.body)):
        return await _finish(claim, settings, Answer(ok=False, error="personal_data_held_back"), give_up=True)
    # An unreadable previous secret only drops its signature: the current one signs.
    previous = crypto.decrypt(claim.previous_secret_enc) if claim.previous_secret_enc else None
    headers = signed_headers(secret=secret, body=claim.body, event_id=claim.event_id,
                             event_type=claim.event_type, delivery_id=claim.delivery_id,
                             previous_secret=previous)
    return await _finish(claim, settings, await post_once(client, claim.url, content=claim.body, headers=headers))


@dataclass(frozen=True)
class Answer:
    """How one POST went: ``error`` is a code, never the remote's words."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None


async def post_once(client: httpx.AsyncClient, url: str, **request: Any) -> Answer:
    """One POST (a webhook delivery, an SMS): a 2xx is ok; otherwise the
    failure as a code and the receiver's Retry-After, if it gave one."""
    try:
        response = await client.post(url, **request)
    except httpx.HTTPError as exc:
        return Answer(ok=False, error=failure_reason(exc))
    status = response.status_code
    if 200 <= status < 300:
        return Answer(ok=True, status=status)
    # The receiver's body is not kept: it could echo anything back.
    return Answer(ok=False, status=status, error=f"http_{status}", retry_after=_retry_after(response))


def failure_reason(exc: httpx.HTTPError) -> str:
    """A failed try as a code: what kind of failure, never the remote's or the
    system's words (they named internal hosts and told open ports from closed)."""
    causes = _causes(exc)
    if any(isinstance(c, targets.TargetNotAllowed) for c in causes):
        return "target_not_allowed"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(c, socket.gaierror) for c in causes):
            return "dns_failed"
        if any(isinstance(c, ssl.SSLError) for c in causes):
            return "tls_failed"
        if any(isinstance(c, ConnectionRefusedError) or getattr(c, "errno", None) == errno.ECONNREFUSED
               for c in causes):
            return "connect_refused"
        return "connect_failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol_error"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "connection_lost"
    return "request_failed"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what caused it, and what those grouped, all the way down."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is f for f in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__, *getattr(current, "exceptions", ())]
    return found


async def _finish(claim: Claim, settings: Settings, answer: Answer, *, give_up: bool = False) -> str:
    ok, status, error = answer.ok, answer.status, answer.error
    attempts = claim.attempts + 1
    if ok:
        state = "delivered"
    elif give_up or attempts >= settings.webhook_max_attempts:
        state = "dead"
    else:
        state = "pending"
    delay = backoff_seconds(attempts, settings, answer.retry_after) if state == "pending" else 0.0
    async with connection() as conn:
        updated = await conn.fetchval(
            """UPDATE webhook_delivery
                  SET state = $3, attempts = $4, last_attempt_at = now(), last_status = $5, last_error = $6,
                      next_attempt_at = now() + make_interval(secs => $7),
                      delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
                      dead_at = CASE WHEN $3 = 'dead' THEN now() END,
                      claimed_by = NULL, claim_token = NULL, claimed_until = NULL
                WHERE id = $1 AND claim_token = $2
                RETURNING true""",
            claim.delivery_id, claim.token, state, attempts, status, error, delay,
        )
    if not updated:
        # Our lease ran out and another instance took the delivery over: its
        # result counts, not ours (the receiver dedupes on the event id).
        log.warning("webhook_claim_lost", delivery_id=claim.delivery_id)
        return "lost"
    if not ok:
        metrics.WEBHOOK_FAILURES.labels(reason=error or "unknown").inc()
    log_method = log.info if state != "dead" else log.warning
    log_method("webhook_attempt", delivery_id=claim.delivery_id, event_id=claim.event_id, state=state,
               attempts=attempts, status=status, error=error)
    return state


def http_client(settings: Settings | None = None) -> httpx.AsyncClient:
    settings = settings or get_settings()
    # No redirects: a receiver that moved is a configuration change, not
    # something to follow with a signed body (nor a way round the target check).
    return httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False,
                             transport=targets.checked_transport(settings))


async def dispatch_once(settings: Settings | None = None, *, instance: str | None = None,
                        client: httpx.AsyncClient | None = None) -> dict[str, int]:
    """One round: fan out, claim one batch, deliver it. Returns counts by outcome."""
    settings = settings or get_settings()
    counts = {"fanned_out": await fan_out(settings), "claimed": 0, "delivered": 0, "pending": 0,
              "dead": 0, "lost": 0}
    claims = await claim_due(settings, instance=instance)
    counts["claimed"] = len(claims)
    if not claims:
        return counts
    own_client = client is None
    client = client or http_client(settings)
    try:
        # One claim per case and subscription, so sending them together
        # keeps every case's order.
        states = await asyncio.gather(*(deliver(c, client, settings) for c in claims))
    finally:
        if own_client:
            await client.aclose()
    for state in states:
        counts[state] += 1
    return counts


async def run(stop: asyncio.Event, settings: Settings | None = None) -> None:
    """Dispatch until ``stop`` is set; errors are logged and the loop goes on."""
    settings = settings or get_settings()
    log.info("webhook_dispatcher_started", instance=_INSTANCE)
    async with http_client(settings) as client:
        while not stop.is_set():
            busy = False
            try:
                counts = await dispatch_once(settings, client=client)
                busy = counts["claimed"] >= settings.webhook_batch_size
            except Exception:
                log.exception("webhook_dispatch_failed")
            if not busy:
                await rest(stop, settings.webhook_poll_interval_seconds)
    log.info("webhook_dispatcher_stopped", instance=_INSTANCE)


def background(settings: Settings | None = None) -> AbstractAsyncContextManager[None]:
    """Run the dispatcher for the life of the app when background tasks are on."""
    settings = settings or get_settings()
    return for_the_app(lambda stop: run(stop, settings), name="webhook-dispatcher",
                       grace_seconds=settings.webhook_timeout_seconds + 5, enabled=settings.run_background_tasks)
