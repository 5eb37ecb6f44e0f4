"""API shapes for webhook subscriptions and deliveries."""

from __future__ import annotations

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
    secret: Secret | None = None  # rotate: signs every delivery from now on
    event_types: EventTypes | None = None
    division_prefix: DivisionPrefix | None = None
    description: Description | None = None
    active: bool | None = None  # true re-activates; deactivate has its own route
