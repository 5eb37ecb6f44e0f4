"""Notices issued and not yet served (送达): the caller's "to serve" list
(cases assigned to them, or to their body and unassigned, as the work
queue) and the backlog's (every case in scope). A notice leaves the list
when its service is recorded; tries that did not serve stay on it, counted.
Oldest issue first: the party's periods have not started while it waits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from casework import paging, timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.db import connection
from casework.notices.schemas import ToServePage
from casework.notices.service import kinds


def _after(key: list) -> tuple[dt.date, int]:
    return dt.date.fromisoformat(key[0]), int(key[1])


async def to_serve(actor: Principal, *, mine: bool, division: str | None, limit: int,
                   cursor: str | None) -> ToServePage:
    scope = Scope.of(actor).narrowed(division)
    if scope is None:
        return ToServePage(items=[], next_cursor=None, has_more=False)
    args: list[Any] = []
    clauses = [scope.sql("c", args), "NOT EXISTS (SELECT 1 FROM notice_service s WHERE s.notice_id = n.id)"]
    if mine:
        args.extend([actor.id, actor.body_id])
        clauses.append(f"(c.assignee_id = ${len(args) - 1} OR (c.body_id = ${len(args)} AND c.assignee_id IS NULL))")
    if cursor:
        args.extend(paging.decode(cursor, _after))
        clauses.append(f"(n.issued_on, n.id) > (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT c.reference, n.id AS notice_id, n.kind, n.issued_on, n.document_number, c.body_id,
                       c.division_code,
                       (SELECT count(*) FROM notice_service_attempt a WHERE a.notice_id = n.id) AS attempts,
                       (SELECT a.result FROM notice_service_attempt a WHERE a.notice_id = n.id
                        ORDER BY a.id DESC LIMIT 1) AS last_attempt
                FROM notice n JOIN case_file c ON c.id = n.case_id
                WHERE {' AND '.join(clauses)}
                ORDER BY n.issued_on, n.id LIMIT ${len(args)}""", *args)
    today = timeutil.today()
    items = [{**dict(r), "name_zh": kinds().get(r["kind"], {}).get("name_zh"),
              "days_waiting": (today - r["issued_on"]).days} for r in rows[:limit]]
    return msgspec.convert(paging.page(items, len(rows), limit, lambda r: (r["issued_on"], r["notice_id"])),
                           ToServePage)
