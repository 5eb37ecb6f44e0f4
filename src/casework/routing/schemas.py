"""Shapes the routing and reference routes share: the routing rules, a
routing decision as the preview shows it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from casework.proceedings.tracks import body_kind_codes, track_codes
from casework.routing.rules import Rule

# The registry's body kinds (proceedings/data/tracks.json), as a type for the API.
BodyKind = Literal.__getitem__(body_kind_codes())  # type: ignore[misc]
Track = Literal.__getitem__(track_codes())  # type: ignore[misc]


class RoutingRuleWrite(Struct, forbid_unknown_fields=True):
    position: Annotated[int, Meta(ge=0, le=1_000_000)]
    conditions: dict[str, Any]
    track: Track
    body_kind: BodyKind
    reason_zh: Annotated[str, Meta(min_length=1, max_length=500)]
    reason_en: Annotated[str, Meta(min_length=1, max_length=500)]
    source: Annotated[str, Meta(max_length=500)] = ""
    active: bool = True
    body_max_level: Annotated[int, Meta(ge=1, le=5)] | None = None


class RoutingRuleRead(Rule, frozen=True):
    """One rule: when its ``conditions`` (routing/rules.py) hold, a case
    goes to ``track`` and the nearest active body of ``body_kind``."""

    active: bool


class RoutingRuleList(Struct):
    """Every rule, in the order they are tried."""

    items: list[RoutingRuleRead]


class RoutedBody(Struct):
    """A handling body as a routing names it: who it is and where
    (reference/schemas.py's ``BodyRead`` adds its remit and standing)."""

    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    division_code: str


class RoutingPreview(Struct):
    """Where a draft case would go and why; ``body`` is null when no active
    body of the kind covers the division."""

    track: str
    body: RoutedBody | None
    rule: str | None
    reason: str
    reason_zh: str
    matched: list[str]
    suggested_track: str | None
    overridden: bool
    override_reason: str | None
