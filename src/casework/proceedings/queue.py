"""The caller's work queue: open cases assigned to them, or to their body and
unassigned, earliest due first."""

from __future__ import annotations

import datetime as dt

import msgspec

from casework import paging, reads
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases.read import LIST_COLUMNS
from casework.proceedings.schemas import WorkQueue


async def work_queue(actor: Principal, limit: int, cursor: str | None) -> WorkQueue:
    """Open cases assigned to the caller, or to the caller's body and unassigned,
    earliest due first (cases with no running clock last)."""
    after_due, after_id = paging.decode(cursor, _after, legacy=_legacy_after) if cursor else (None, None)
    low, high = Scope.of(actor).bounds
    rows = await reads.read(lambda conn: conn.fetch(
        f"""SELECT {LIST_COLUMNS}, c.assignee_id FROM case_file c
            WHERE c.status = 'open' AND c.division_code >= $1 AND c.division_code < $2
              AND (c.assignee_id = $3 OR (c.body_id = $4 AND c.assignee_id IS NULL))
              AND ($5::date IS NULL OR (coalesce(c.next_due_on, 'infinity'::date), c.id) > ($5, $6))
            ORDER BY coalesce(c.next_due_on, 'infinity'::date), c.id
            LIMIT $7""",
        low, high, actor.id, actor.body_id, after_due, after_id, limit + 1,
    ))
    items = [dict(r) for r in rows[:limit]]
    return msgspec.convert(paging.page(items, len(rows), limit, lambda r: (r["next_due_on"], r["id"])), WorkQueue)


def _after(key: list) -> tuple[dt.date, int]:
    due, case_id = key  # no running clock: null, sorted last
    return (dt.date.fromisoformat(due) if due else dt.date.max), int(case_id)


def _legacy_after(cursor: str) -> tuple[dt.date, int]:
    due_text, _, id_text = paging.unbase64(cursor).partition("|")
    return (dt.date.fromisoformat(due_text) if due_text else dt.date.max), int(id_text)
