"""The audit trail's answer: case events and administrators' changes in one list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import UNSET, Struct, UnsetType


class AuditEntry(Struct, omit_defaults=True):
    """One entry. ``source`` says which kind: a ``case`` event carries
    ``case`` (its reference) and ``data``; an ``admin`` change carries
    ``entity``, ``key``, ``before`` and ``after`` (null when created or
    deleted). The other kind's fields are absent."""

    source: str
    id: int
    at: dt.datetime
    action: str
    actor: str | None
    actor_role: str | None
    case: str | UnsetType = UNSET
    data: dict[str, Any] | UnsetType = UNSET
    entity: str | UnsetType = UNSET
    key: str | UnsetType = UNSET
    before: dict[str, Any] | None | UnsetType = UNSET
    after: dict[str, Any] | None | UnsetType = UNSET


class AuditPage(Struct):
    """Newest first; pass ``next_cursor`` back as ``cursor`` while ``has_more``."""

    items: list[AuditEntry]
    next_cursor: str | None
    has_more: bool
