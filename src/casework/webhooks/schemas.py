"""API shapes for webhook subscriptions and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

DeliveryState = Literal["pending", "delivered", "dead"]

Url = Annotated[str, Meta(min_length=8, max_length=2000)]
Secret = Annotated[str, Meta(min_length=16, max_length=200)]
EventType = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
EventTypes = Annotated[list[EventType], Meta(max_length=100)]
DivisionPrefix = Annotated[str, Meta(pattern=r"^[0-9]{0,12}$")]
Description = Annotated[str, Meta(max_length=500)]


class SubscriptionCreate(Struct, forbid_unknown_fields=True):
    url: Url
    # Omitted: the service generates one and returns it once.
    secret: Secret | None = None
    # Empty: every event type.
    event_types: EventTypes = []
    # Omitted: the administrator's own jurisdiction.
    division_prefix: DivisionPrefix | None = None
    description: Description = ""


class SubscriptionUpdate(Struct, forbid_unknown_fields=True):
    url: Url | None = None
    # rotate, as POST .../rotate-secret does: the previous secret signs too
    # for CASEWORK_WEBHOOK_SECRET_OVERLAP_SECONDS
    secret: Secret | None = None
    event_types: EventTypes | None = None
    division_prefix: DivisionPrefix | None = None
    description: Description | None = None
    active: bool | None = None  # true re-activates; deactivate has its own route


class WebhookSubscription(Struct):
    """A subscription as an administrator sees it; its secret is never shown again."""

    id: int
    url: str
    event_types: list[str]
    division_prefix: str
    description: str
    active: bool
    starts_after_outbox_id: int
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    secret_rotated_at: dt.datetime | None  # null: never rotated
    previous_secret_until: dt.datetime | None  # the previous secret signs too until then


class WebhookSubscriptionListed(WebhookSubscription):
    pending: int  # deliveries waiting to be sent
    dead: int  # deliveries that ran out of tries


class WebhookSubscriptionList(Struct):
    items: list[WebhookSubscriptionListed]


class WebhookSubscriptionCreated(WebhookSubscription):
    secret: str  # shown this once: it signs every delivery
    signing_secret: str  # the Standard Webhooks form (whsec_<base64>) of the same secret


class WebhookDelivery(Struct):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    case_id: int
    case: str  # the case's reference
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    dead_at: dt.datetime | None
    created_at: dt.datetime
    claimed_until: dt.datetime | None


class WebhookDeliveryPage(Struct):
    """Newest first; pass ``next_cursor`` back as ``cursor`` while ``has_more``.
    ``next_before_id`` is the previous release's cursor, kept for one release."""

    items: list[WebhookDelivery]
    next_cursor: str | None
    has_more: bool
    next_before_id: int | None


OverlapSeconds = Annotated[int, Meta(ge=0, le=7 * 86400)]


class SecretRotation(Struct, forbid_unknown_fields=True):
    # Omitted: a new whsec_ secret is generated.
    secret: Secret | None = None
    # How long the previous secret keeps signing; omitted: CASEWORK_WEBHOOK_SECRET_OVERLAP_SECONDS.
    previous_valid_seconds: OverlapSeconds | None = None


class RotatedSecret(Struct):
    """The new secret, shown this once."""

    id: int
    secret: str  # as given, or generated (whsec_<base64>)
    signing_secret: str  # the Standard Webhooks form (whsec_<base64>) of the same secret
    rotated_at: dt.datetime
    # Until then deliveries carry a signature with the previous secret too; null: none.
    previous_secret_valid_until: dt.datetime | None
