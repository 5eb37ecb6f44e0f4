"""Supervision items (督办): reading them, the handler's answer, closing.

Items are opened elsewhere: by a supervisor's ``supervise`` action
(proceedings) and by the deadline sweep on a body's breached clock
(deadlines.marks). Here they are read (a case's, or all in the caller's
scope), answered once by the case's handling body, and closed by a
supervisor. Each change locks the case (``core.lock_case``, If-Match),
writes its case event and bumps the case version in one transaction, after
what the law decided on the case is settled, as every write does.

Who may answer: the case's handling body (a user of ``case_file.body_id``),
its assignee, or an administrator; the supervisor who pressed the case
does not answer for the handler. Who may close: ``supervision.manage``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework import paging, timeutil
from casework.access.policy import allowed
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.backlog.labels import TRACK_ZH
from casework.cases import core
from casework.cases.events import log_case_event
from casework.db import connection, transaction
from casework.problems import Problem, conflict, invalid, not_found
from casework.proceedings import service as proceedings
from casework.supervision.schemas import ClockRef, SupervisionBody, SupervisionItem

_ITEMS = """
SELECT s.*, c.reference, c.summary, c.division_code, dv.name_zh AS division_name,
       c.body_id AS case_body_id, c.assignee_id AS case_assignee_id,
       hb.code AS handling_code, hb.name_zh AS handling_name,
       sb.code AS supervising_code, sb.name_zh AS supervising_name, p.track,
       k.time_limit_code, k.due_on AS clock_due_on, tl.step_zh,
       ou.username AS opened_by_name, ru.username AS responded_by_name, cu.username AS closed_by_name
FROM supervision s
JOIN case_file c ON c.id = s.case_id
LEFT JOIN division dv ON dv.code = c.division_code
LEFT JOIN body hb ON hb.id = c.body_id
LEFT JOIN body sb ON sb.id = s.body_id
LEFT JOIN proceeding p ON p.id = s.proceeding_id
LEFT JOIN clock k ON k.id = s.clock_id
LEFT JOIN time_limit tl ON tl.code = k.time_limit_code
LEFT JOIN app_user ou ON ou.id = s.opened_by
LEFT JOIN app_user ru ON ru.id = s.responded_by
LEFT JOIN app_user cu ON cu.id = s.closed_by
"""


def may_respond(actor: Principal, case: Any) -> bool:
    """The handling body answers: one of its users, the case's assignee, or an administrator."""
    if not allowed(actor.role, "case.act"):
        return False
    if actor.role == "admin":
        return True
    own_body = actor.body_id is not None and actor.body_id == case["body_id"]
    return own_body or (case["assignee_id"] is not None and case["assignee_id"] == actor.id)


def item_view(row: Any, actor: Principal, today: dt.date) -> SupervisionItem:
    is_open = row["state"] == "open"
    actions = []
    handler = {"body_id": row["case_body_id"], "assignee_id": row["case_assignee_id"]}
    if is_open and row["response"] is None and may_respond(actor, handler):
        actions.append("respond")
    if is_open and allowed(actor.role, "supervision.manage"):
        actions.append("close")
    return SupervisionItem(
        id=row["id"], reference=row["reference"], summary=row["summary"], division_code=row["division_code"],
        division_name=row["division_name"], proceeding_id=row["proceeding_id"], track=row["track"],
        track_zh=TRACK_ZH.get(row["track"]) if row["track"] else None,
        clock=ClockRef(row["clock_id"], row["time_limit_code"], row["step_zh"], row["clock_due_on"])
        if row["clock_id"] is not None else None,
        supervising_body=SupervisionBody(row["body_id"], row["supervising_code"], row["supervising_name"])
        if row["body_id"] is not None else None,
        handling_body=SupervisionBody(row["case_body_id"], row["handling_code"], row["handling_name"])
        if row["case_body_id"] is not None else None,
        automatic=row["clock_id"] is not None and row["opened_by"] is None,
        opened_at=row["opened_at"], opened_by=row["opened_by_name"], reason=row["reason"],
        respond_by=row["respond_by"],
        response_overdue=is_open and row["response"] is None and row["respond_by"] is not None
        and row["respond_by"] < today,
        state=row["state"], response=row["response"], responded_at=row["responded_at"],
        responded_by=row["responded_by_name"], closed_at=row["closed_at"], closed_by=row["closed_by_name"],
        closed_reason=row["closed_reason"], allowed_actions=actions,
    )


# ---------------------------------------------------------------- reading

async def for_case(reference: str, actor: Principal) -> list[SupervisionItem]:
    """A case's items, oldest first (404 outside the caller's scope)."""
    today = timeutil.today()
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        rows = await conn.fetch(_ITEMS + " WHERE s.case_id = $1 ORDER BY s.id", case["id"])
    return [item_view(r, actor, today) for r in rows]


def _after(key: list) -> int:
    (item_id,) = key
    if not isinstance(item_id, int) or not 0 < item_id < 2**63:
        raise ValueError(item_id)
    return item_id


async def in_scope(
    actor: Principal, *, state: str | None, division: str | None, limit: int, cursor: str | None,
) -> dict[str, Any]:
    """Items on cases in the caller's scope (narrowed by ``division``), newest first."""
    today = timeutil.today()
    scope = Scope.of(actor).narrowed(division)
    if scope is None:
        return {"as_of": today, "scope": division, "state": state, "total": 0, "items": [], "next_cursor": None,
                "has_more": False}
    args: list[Any] = []
    clauses = [scope.sql("c", args)]
    if state is not None:
        args.append(state)
        clauses.append(f"s.state = ${len(args)}")
    where = " AND ".join(clauses)
    count_args = list(args)
    if cursor:
        args.append(paging.decode(cursor, _after))
        where_page = f"{where} AND s.id < ${len(args)}"
    else:
        where_page = where
    args.append(limit + 1)
    async with connection() as conn:
        rows = await conn.fetch(f"{_ITEMS} WHERE {where_page} ORDER BY s.id DESC LIMIT ${len(args)}", *args)
        total = await conn.fetchval(
            f"SELECT count(*) FROM supervision s JOIN case_file c ON c.id = s.case_id WHERE {where}", *count_args)
    items = [item_view(r, actor, today) for r in rows[:limit]]
    return {"as_of": today, "scope": scope.prefix, "state": state, "total": total,
            **paging.page(items, len(rows), limit, lambda item: (item.id,))}


# ---------------------------------------------------------------- changing

async def _change(
    reference: str, item_id: int, actor: Principal, if_match: str | None, apply: Any,
) -> tuple[SupervisionItem, str]:
    """Lock the case (after settling it), find the item on it, ``apply`` the
    change and its event, bump the version: (the item as it is now, ETag)."""
    today = timeutil.today()
    settled = await proceedings.settle_first(reference, actor, if_match, today)
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, settled)
            item = await conn.fetchrow("SELECT * FROM supervision WHERE id = $1 AND case_id = $2 FOR UPDATE",
                                       item_id, case["id"])
            if item is None:
                raise not_found("supervision item")
            await apply(conn, case, dict(item), today)
            etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
            row = await conn.fetchrow(_ITEMS + " WHERE s.id = $1", item_id)
    return item_view(row, actor, today), etag


async def respond(reference: str, item_id: int, text: str, actor: Principal,
                  if_match: str | None) -> tuple[SupervisionItem, str]:
    """The handling body answers an open item, once."""
    if not text.strip():
        raise invalid([{"field": "response", "message": "must not be blank"}])

    async def apply(conn: Any, case: dict[str, Any], item: dict[str, Any], today: dt.date) -> None:
        if not may_respond(actor, case):
            raise Problem(403, "not-the-handler", "Forbidden",
                          "only the case's handling body (or its assignee) answers a supervision item")
        if item["state"] != "open":
            raise conflict("supervision-closed", "the supervision item is closed")
        if item["response"] is not None:
            raise conflict("supervision-answered", "the supervision item is answered already; "
                           "a supervisor closes it or opens a new one")
        await conn.execute(
            """UPDATE supervision SET response = $2, responded_at = casework_now(), responded_by = $3
               WHERE id = $1""", item["id"], text.strip(), actor.id)
        # Codes, dates and ids only: the event feeds webhooks (the text stays on the item).
        late = item["respond_by"] is not None and today > item["respond_by"]
        await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="supervision_responded",
                             data={"supervision_id": item["id"], "respond_by": item["respond_by"], "late": late},
                             actor=actor, proceeding_id=item["proceeding_id"] or case["current_proceeding_id"])

    return await _change(reference, item_id, actor, if_match, apply)


async def close(reference: str, item_id: int, reason: str, actor: Principal,
                if_match: str | None) -> tuple[SupervisionItem, str]:
    """A supervisor closes an open item, saying why."""
    if not reason.strip():
        raise invalid([{"field": "reason", "message": "must not be blank"}])

    async def apply(conn: Any, case: dict[str, Any], item: dict[str, Any], today: dt.date) -> None:
        if item["state"] != "open":
            raise conflict("supervision-closed", "the supervision item is closed already")
        await conn.execute(
            """UPDATE supervision SET state = 'closed', closed_at = casework_now(), closed_by = $2,
                      closed_reason = $3 WHERE id = $1""", item["id"], actor.id, reason.strip())
        await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="supervision_closed",
                             data={"supervision_id": item["id"], "responded": item["response"] is not None},
                             actor=actor, proceeding_id=item["proceeding_id"] or case["current_proceeding_id"])

    return await _change(reference, item_id, actor, if_match, apply)
