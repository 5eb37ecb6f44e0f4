"""Webhook subscriptions (admin-managed) and the delivery log.

A subscription names a URL, a signing secret, the event types it wants
(empty: all) and a division prefix (only cases whose division_code starts
with it). It receives events recorded after it was created; the dispatcher
(dispatcher.py) does the sending. Every change here is written to the
admin log in the same transaction.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from casework import paging
from casework.access.service import Principal
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.personal import crypto
from casework.problems import conflict, invalid, not_found
from casework.settings import get_settings
from casework.webhooks import signing, targets
from casework.webhooks.schemas import (
    RotatedSecret,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionUpdate,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookSubscription,
    WebhookSubscriptionCreated,
    WebhookSubscriptionList,
)

SUBSCRIPTION_COLUMNS = """s.id, s.url, s.event_types, s.division_prefix, s.description, s.active,
    s.starts_after_outbox_id, s.created_by, s.created_at, s.updated_at, s.secret_rotated_at,
    s.previous_secret_until"""

DELIVERY_COLUMNS = """d.id, d.subscription_id, d.event_id, d.event_type, d.case_id, c.reference AS case,
    d.state, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error,
    d.delivered_at, d.dead_at, d.created_at, d.claimed_until"""


async def _check_url(url: str) -> list[dict[str, str]]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return [{"field": "url", "message": "is not a URL"}]
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return [{"field": "url", "message": "must be an http(s) URL with a host"}]
    if parsed.userinfo:
        # Credentials in the URL would show in the admin views and logs; the
        # receiver authenticates us by the signature instead.
        return [{"field": "url", "message": "must not carry a user name or password"}]
    if parsed.fragment:
        return [{"field": "url", "message": "must not have a #fragment"}]
    refused = await targets.refusal(url, get_settings())
    return [{"field": "url", "message": refused}] if refused else []


def audited(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """A subscription as the audit trail keeps and shows it: the URL's query
    (where receivers often put a token) replaced by ``?[redacted]``."""
    if not state or not isinstance(state.get("url"), str):
        return state
    base, sep, _query = state["url"].partition("?")
    return {**state, "url": base + "?[redacted]"} if sep else state


def _check_secret(secret: str | None) -> list[dict[str, str]]:
    problem = signing.secret_problem(secret) if secret else None
    return [{"field": "secret", "message": problem}] if problem else []


def _check_prefix(prefix: str, actor: Principal) -> list[dict[str, str]]:
    # An administrator exports only what lies in their own jurisdiction.
    if not prefix.startswith(actor.jurisdiction):
        return [{"field": "division_prefix",
                 "message": f"must lie within your jurisdiction {actor.jurisdiction or '(all)'}"}]
    return []


def _view(row: Any) -> dict[str, Any]:
    view = dict(row)
    view["event_types"] = list(view["event_types"])
    return view


async def _subscription(conn: Any, subscription_id: int, *, lock: bool = False) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscription s WHERE s.id = $1"
        + (" FOR UPDATE" if lock else ""),
        subscription_id,
    )
    if row is None:
        raise not_found("webhook subscription")
    return _view(row)


async def list_subscriptions(*, actor: Principal) -> WebhookSubscriptionList:
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT {SUBSCRIPTION_COLUMNS},
                   (SELECT count(*) FROM webhook_delivery d
                     WHERE d.subscription_id = s.id AND d.state = 'pending') AS pending,
                   (SELECT count(*) FROM webhook_delivery d
                     WHERE d.subscription_id = s.id AND d.state = 'dead') AS dead
                FROM webhook_subscription s WHERE starts_with(s.division_prefix, $1) ORDER BY s.id""",
            actor.jurisdiction,
        )
    return msgspec.convert({"items": [_view(r) for r in rows]}, WebhookSubscriptionList)


async def create_subscription(data: SubscriptionCreate, *, actor: Principal) -> WebhookSubscriptionCreated:
    """Returns the subscription and, this once, its secret."""
    prefix = actor.jurisdiction if data.division_prefix is None else data.division_prefix
    errors = await _check_url(data.url) + _check_prefix(prefix, actor) + _check_secret(data.secret)
    if errors:
        raise invalid(errors)
    secret = data.secret or signing.new_secret()
    async with transaction():
        async with connection() as conn:
            # Only events recorded from now on: an older backlog is not replayed
            # to a new receiver.
            subscription_id = await conn.fetchval(
                """INSERT INTO webhook_subscription (url, secret_enc, event_types, division_prefix,
                       description, created_by, starts_after_outbox_id)
                   VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(id), 0) FROM outbox))
                   RETURNING id""",
                data.url, crypto.encrypt(secret), sorted(set(data.event_types)), prefix,
                data.description, actor.id,
            )
            view = await _subscription(conn, subscription_id)
            await record_admin_change(conn, actor=actor, entity="webhook_subscription",
                                      key=str(subscription_id), before=None, after=audited(view))
    return msgspec.convert({**view, "secret": secret, "signing_secret": signing.standard_form(secret)},
                           WebhookSubscriptionCreated)


async def update_subscription(
    subscription_id: int, data: SubscriptionUpdate, *, actor: Principal,
) -> WebhookSubscription:
    errors: list[dict[str, str]] = []
    if data.url is not None:
        errors += await _check_url(data.url)
    if data.division_prefix is not None:
        errors += _check_prefix(data.division_prefix, actor)
    errors += _check_secret(data.secret)
    if errors:
        raise invalid(errors)
    async with transaction():
        async with connection() as conn:
            before = await _subscription(conn, subscription_id, lock=True)
            if _check_prefix(before["division_prefix"], actor):
                raise not_found("webhook subscription")  # another jurisdiction's
            await conn.execute(
                """UPDATE webhook_subscription SET url = coalesce($2, url),
                       event_types = coalesce($3, event_types),
                       division_prefix = coalesce($4, division_prefix),
                       description = coalesce($5, description), active = coalesce($6, active),
                       updated_at = now()
                   WHERE id = $1""",
                subscription_id, data.url,
                sorted(set(data.event_types)) if data.event_types is not None else None,
                data.division_prefix, data.description, data.active,
            )
            if data.secret:
                await _rotate(conn, subscription_id, data.secret, get_settings().webhook_secret_overlap_seconds)
            after = await _subscription(conn, subscription_id)
            logged = {**after, "secret_rotated": True} if data.secret else after
            await record_admin_change(conn, actor=actor, entity="webhook_subscription",
                                      key=str(subscription_id), before=audited(before), after=audited(logged))
    return msgspec.convert(after, WebhookSubscription)


async def _rotate(conn: Any, subscription_id: int, secret: str, overlap_seconds: int) -> Any:
    """The one place a secret changes: the current one becomes the previous,
    valid ``overlap_seconds`` more (wall clock); an older previous is dropped."""
    return await conn.fetchrow(
        """UPDATE webhook_subscription
              SET previous_secret_enc = CASE WHEN $3 > 0 THEN secret_enc END,
                  previous_secret_until = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END,
                  secret_enc = $2, secret_rotated_at = now(), updated_at = now()
            WHERE id = $1
        RETURNING secret_rotated_at, previous_secret_until""",
        subscription_id, crypto.encrypt(secret), float(overlap_seconds),
    )


async def rotate_secret(subscription_id: int, data: SecretRotation, *, actor: Principal) -> RotatedSecret:
    """A new secret, shown this once; the previous one keeps signing for the overlap."""
    errors = _check_secret(data.secret)
    if errors:
        raise invalid(errors)
    secret = data.secret or signing.new_secret()
    overlap = (get_settings().webhook_secret_overlap_seconds if data.previous_valid_seconds is None
               else data.previous_valid_seconds)
    async with transaction():
        async with connection() as conn:
            before = await _subscription(conn, subscription_id, lock=True)
            if _check_prefix(before["division_prefix"], actor):
                raise not_found("webhook subscription")
            rotated = await _rotate(conn, subscription_id, secret, overlap)
            after = await _subscription(conn, subscription_id)
            await record_admin_change(conn, actor=actor, entity="webhook_subscription",
                                      key=str(subscription_id), before=audited(before),
                                      after=audited({**after, "secret_rotated": True}), action="rotate_secret")
    return RotatedSecret(id=subscription_id, secret=secret, signing_secret=signing.standard_form(secret),
                         rotated_at=rotated["secret_rotated_at"],
                         previous_secret_valid_until=rotated["previous_secret_until"])


async def deactivate_subscription(subscription_id: int, *, actor: Principal) -> WebhookSubscription:
    """Stop sending. Pending deliveries stay pending and resume on re-activation."""
    async with transaction():
        async with connection() as conn:
            before = await _subscription(conn, subscription_id, lock=True)
            if _check_prefix(before["division_prefix"], actor):
                raise not_found("webhook subscription")
            await conn.execute(
                "UPDATE webhook_subscription SET active = false, updated_at = now() WHERE id = $1",
                subscription_id,
            )
            after = await _subscription(conn, subscription_id)
            await record_admin_change(conn, actor=actor, entity="webhook_subscription",
                                      key=str(subscription_id), before=audited(before), after=audited(after),
                                      action="deactivate")
    return msgspec.convert(after, WebhookSubscription)


async def list_deliveries(
    *, actor: Principal, subscription_id: int | None, state: str | None, limit: int,
    cursor: str | None = None, before_id: int | None = None,
) -> WebhookDeliveryPage:
    """Newest first, keyset-paginated by id (``cursor``, or the previous
    release's ``before_id``); only subscriptions within the caller's jurisdiction."""
    if cursor:
        before_id = paging.decode(cursor, lambda key: int(key[0]))
    clauses = ["starts_with(s.division_prefix, $1)"]
    args: list[Any] = [actor.jurisdiction]
    for sql, value in (("d.subscription_id = {}", subscription_id), ("d.state = {}", state),
                       ("d.id < {}", before_id)):
        if value is not None:
            args.append(value)
            clauses.append(sql.format(f"${len(args)}"))
    args.append(limit + 1)
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT {DELIVERY_COLUMNS} FROM webhook_delivery d JOIN case_file c ON c.id = d.case_id
                JOIN webhook_subscription s ON s.id = d.subscription_id
                WHERE {' AND '.join(clauses)} ORDER BY d.id DESC LIMIT ${len(args)}""",
            *args,
        )
    items = [dict(r) for r in rows[:limit]]
    # next_before_id: the release before's field, kept for one release.
    return msgspec.convert({**paging.page(items, len(rows), limit, lambda d: (d["id"],)),
                            "next_before_id": items[-1]["id"] if len(rows) > limit else None}, WebhookDeliveryPage)


async def retry_delivery(delivery_id: int, *, actor: Principal) -> WebhookDelivery:
    """Give a dead delivery a fresh set of tries, due now.

    It is the earliest pending event of its case again, so later events of
    the same case for the same subscription wait for it, as they would have.
    """
    async with transaction():
        async with connection() as conn:
            before = await conn.fetchrow(
                f"""SELECT {DELIVERY_COLUMNS}, s.division_prefix FROM webhook_delivery d
                    JOIN case_file c ON c.id = d.case_id JOIN webhook_subscription s ON s.id = d.subscription_id
                    WHERE d.id = $1 AND starts_with(s.division_prefix, $2) FOR UPDATE OF d""",
                delivery_id, actor.jurisdiction,
            )
            if before is None:
                raise not_found("webhook delivery")
            if before["state"] != "dead":
                raise conflict("not-dead", f"delivery {delivery_id} is {before['state']}; only a dead one is retried",
                               state=before["state"])
            await conn.execute(
                """UPDATE webhook_delivery SET state = 'pending', dead_at = NULL, attempts = 0,
                       next_attempt_at = now(), claimed_by = NULL, claim_token = NULL, claimed_until = NULL
                   WHERE id = $1""",
                delivery_id,
            )
            after = await conn.fetchrow(
                f"SELECT {DELIVERY_COLUMNS} FROM webhook_delivery d JOIN case_file c ON c.id = d.case_id WHERE d.id = $1",
                delivery_id,
            )
            # The subscription's prefix places the change for the audit trail's readers.
            await record_admin_change(conn, actor=actor, entity="webhook_delivery", key=str(delivery_id),
                                      before=dict(before),
                                      after={**dict(after), "division_prefix": before["division_prefix"]},
                                      action="retry")
    return msgspec.convert(dict(after), WebhookDelivery)
