"""The caller's work queue: open cases assigned to them, or to their body and
unassigned, earliest due first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases import service as cases
from casework.db import connection
from casework.problems import invalid


async def work_queue(actor: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Open cases assigned to the caller, or to the caller's body and unassigned,
    earliest due first (cases with no running clock last)."""
    after_due, after_id = None, None
    if cursor:
        raw = cases.decode_cursor_text(cursor)
        due_text, _, id_text = raw.partition("|")
        try:
            after_due = dt.date.fromisoformat(due_text) if due_text else dt.date.max
            after_id = int(id_text)
        except ValueError:
            raise invalid([{"field": "cursor", "message": "is not a cursor this service issued"}]) from None
    low, high = Scope.of(actor).bounds
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT {cases.LIST_COLUMNS}, c.assignee_id FROM case_file c
                WHERE c.status = 'open' AND c.division_code >= $1 AND c.division_code < $2
                  AND (c.assignee_id = $3 OR (c.body_id = $4 AND c.assignee_id IS NULL))
                  AND ($5::date IS NULL OR (coalesce(c.next_due_on, 'infinity'::date), c.id) > ($5, $6))
                ORDER BY coalesce(c.next_due_on, 'infinity'::date), c.id
                LIMIT $7""",
            low, high, actor.id, actor.body_id, after_due, after_id, limit + 1,
        )
    items = [dict(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = cases.encode_cursor_text(f"{last['next_due_on'] or ''}|{last['id']}")
    return {"items": items, "next_cursor": next_cursor}
