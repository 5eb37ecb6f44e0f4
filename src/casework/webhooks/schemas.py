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
