"""Administrators' changes to reference data and users, kept append-only
in ``admin_event`` with before and after, like case events.

Each change is written once. A table with an ``admin_audit`` trigger
(``AUDITED_BY_TRIGGER``; a test compares it with the database) is recorded
by its trigger at commit: its writers only name the actor for their
transaction (``act_as``), the same way the /admin mount does. The other
administered things (webhook subscriptions and deliveries, notice
templates, document numbering, devices, Open311 apps) have no trigger and
are written here (``record_admin_change``)."""

from __future__ import annotations

import json
from typing import Any

from casework import timeutil
from casework.access.service import Principal

AUDITED_BY_TRIGGER = frozenset({
    "body", "calendar_day", "calendar_year", "category", "division", "public_reason", "routing_rule",
    "time_limit", "user",
})


async def act_as(conn: Any, actor: Principal | None, *, role: str | None = None) -> None:
    """Name who makes this transaction's changes, for the audit triggers."""
    await conn.execute(
        "SELECT set_config('casework.actor_id', $1, true), set_config('casework.actor_role', $2, true)",
        str(actor.id) if actor else "", role or (actor.role if actor else ""),
    )


async def record_admin_change(
    conn: Any, *, actor: Principal | None, entity: str, key: str,
    before: dict[str, Any] | None, after: dict[str, Any] | None, action: str | None = None,
) -> None:
    if entity in AUDITED_BY_TRIGGER:
        raise ValueError(f"{entity} is recorded by its trigger: call act_as, not record_admin_change")
    await conn.execute(
        """INSERT INTO admin_event (actor_id, actor_role, entity, key, action, before, after)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)""",
        actor.id if actor else None, actor.role if actor else None, entity, key,
        action or ("create" if before is None else "delete" if after is None else "update"),
        json.dumps(before, default=timeutil.json_default, ensure_ascii=False) if before is not None else None,
        json.dumps(after, default=timeutil.json_default, ensure_ascii=False) if after is not None else None,
    )
