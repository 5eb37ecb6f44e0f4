"""Administrators' changes to reference data and users, kept append-only
in ``admin_event`` with before and after, like case events."""

from __future__ import annotations

import json
from typing import Any

from casework import timeutil
from casework.access.service import Principal


async def record_admin_change(
    conn: Any, *, actor: Principal | None, entity: str, key: str,
    before: dict[str, Any] | None, after: dict[str, Any] | None, action: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO admin_event (actor_id, actor_role, entity, key, action, before, after)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)""",
        actor.id if actor else None, actor.role if actor else None, entity, key,
        action or ("create" if before is None else "delete" if after is None else "update"),
        json.dumps(before, default=timeutil.json_default, ensure_ascii=False) if before is not None else None,
        json.dumps(after, default=timeutil.json_default, ensure_ascii=False) if after is not None else None,
    )
