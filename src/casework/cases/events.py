"""The case timeline: every change is an event, written with its outbox row
in the same transaction (the webhook dispatcher reads the outbox)."""

from __future__ import annotations

import json
from typing import Any

from casework.access.service import Principal


async def log_case_event(
    conn: Any,
    *,
    case_id: int,
    reference: str,
    type: str,
    data: dict[str, Any],
    actor: Principal | None,
    proceeding_id: int | None = None,
) -> int:
    """Append one event and its outbox row; returns the event id."""
    return await conn.fetchval(
        """WITH e AS (
               INSERT INTO case_event (case_id, proceeding_id, actor_id, actor_role, type, data)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb)
               RETURNING id, at
           ), o AS (
               INSERT INTO outbox (event_id, case_id, type, payload)
               SELECT e.id, $1, $5,
                      jsonb_build_object('event_id', e.id, 'type', $5::text, 'case', $7::text,
                                         'at', e.at, 'data', $6::jsonb)
               FROM e
           )
           SELECT id FROM e""",
        case_id, proceeding_id, actor.id if actor else None, actor.role if actor else None,
        type, json.dumps(data, default=str, ensure_ascii=False), reference,
    )
