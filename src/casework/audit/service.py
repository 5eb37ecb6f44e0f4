"""The audit trail: case events (every change and every read of personal
identifiers) and administrators' changes, newest first, filtered.

Case events are scoped like cases (``access.scope``). An administrator's
change is shown when what it changed lies within the reader's jurisdiction:
a user by their jurisdiction, a body by its division, a division by its
code, a webhook subscription or delivery by its division prefix. Changes
to reference data every jurisdiction shares (categories, routing rules,
time limits, the holiday calendar) are shown to every audit reader.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec

from casework import paging, timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.audit.schemas import AuditPage
from casework.db import connection
from casework.webhooks.service import audited as audited_subscription

_SOURCE_RANK = {"case": 1, "admin": 0}
# Reference data every jurisdiction shares: its changes are every reader's business.
SHARED_ENTITIES = ("category", "routing_rule", "time_limit", "calendar_year", "calendar_day")
# Where an administrator's change lies; an entity not named here lies nowhere
# ("~" starts with no jurisdiction but the bootstrap account's "").
_ADMIN_EVENT_PLACE = """coalesce(CASE a.entity
    WHEN 'user' THEN coalesce(a.after->>'jurisdiction', a.before->>'jurisdiction')
    WHEN 'body' THEN coalesce(a.after->>'division_code', a.before->>'division_code')
    WHEN 'division' THEN coalesce(a.after->>'code', a.before->>'code')
    WHEN 'webhook_subscription' THEN coalesce(a.after->>'division_prefix', a.before->>'division_prefix',
        (SELECT s.division_prefix FROM webhook_subscription s WHERE s.id::text = a.key))
    WHEN 'webhook_delivery' THEN coalesce(a.after->>'division_prefix', a.before->>'division_prefix')
    WHEN 'notice_template' THEN a.after->>'division_code'
    WHEN 'document_numbering' THEN a.after->>'division_code'
    END, '~')"""


def _after(key: list) -> tuple[dt.datetime, int, int]:
    at, rank, row_id = key
    return dt.datetime.fromisoformat(at), int(rank), int(row_id)


async def events(
    reader: Principal, *, actor: str | None, case: str | None, action: str | None,
    since: dt.datetime | None, until: dt.datetime | None, source: str | None, limit: int, cursor: str | None,
) -> AuditPage:
    args: list[Any] = []

    def param(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    case_where = [Scope.of(reader).sql("c", args)]
    admin_where = [(f"(a.entity = ANY({param(list(SHARED_ENTITIES))}::text[]) "
                    f"OR starts_with({_ADMIN_EVENT_PLACE}, {param(reader.jurisdiction)}))")]
    if actor is not None:
        p = param(actor)
        case_where.append(f"u.username = {p}")
        admin_where.append(f"u.username = {p}")
    if case is not None:
        case_where.append(f"c.reference = {param(case)}")
        admin_where.append("false")
    if action is not None:
        p = param(action)
        case_where.append(f"e.type = {p}")
        admin_where.append(f"a.entity || '.' || a.action = {p}")
    for column_case, column_admin, value, op in (("e.at", "a.at", since, ">="), ("e.at", "a.at", until, "<")):
        if value is not None:
            p = param(value)
            case_where.append(f"{column_case} {op} {p}")
            admin_where.append(f"{column_admin} {op} {p}")
    # Both halves are always built, so every parameter is referenced; a
    # source filter turns one off with a constant false the planner prunes.
    if source == "admin":
        case_where.append("false")
    if source == "case":
        admin_where.append("false")
    parts = [
        f"""SELECT 1 AS rank, e.id, e.at, e.type AS action, u.username AS actor, e.actor_role,
                                c.reference AS case_reference, NULL::text AS entity, NULL::text AS entity_key,
                                e.data, NULL::jsonb AS before, NULL::jsonb AS after
                         FROM case_event e JOIN case_file c ON c.id = e.case_id
                         LEFT JOIN app_user u ON u.id = e.actor_id
                         WHERE {' AND '.join(case_where)}""",
        f"""SELECT 0 AS rank, a.id, a.at, a.entity || '.' || a.action AS action, u.username AS actor,
                                a.actor_role, NULL::text, a.entity, a.key, NULL::jsonb, a.before, a.after
                         FROM admin_event a LEFT JOIN app_user u ON u.id = a.actor_id
                         WHERE {' AND '.join(admin_where)}""",
    ]
    where = ""
    if cursor:
        at, rank, row_id = paging.decode(cursor, _after)
        where = f"WHERE (x.at, x.rank, x.id) < ({param(at)}::timestamptz, {param(rank)}::int, {param(row_id)}::bigint)"
    sql = (f"SELECT * FROM ({' UNION ALL '.join(parts)}) x {where} "
           f"ORDER BY x.at DESC, x.rank DESC, x.id DESC LIMIT {param(limit + 1)}")
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    items = []
    for row in rows[:limit]:
        source_name = "case" if row["rank"] == 1 else "admin"
        item: dict[str, Any] = {"source": source_name, "id": row["id"], "at": row["at"], "action": row["action"],
                                "actor": row["actor"], "actor_role": row["actor_role"]}
        if source_name == "case":
            item.update(case=row["case_reference"], data=timeutil.moments_as_rfc3339(json.loads(row["data"])))
        else:
            before = timeutil.moments_as_rfc3339(json.loads(row["before"])) if row["before"] else None
            after = timeutil.moments_as_rfc3339(json.loads(row["after"])) if row["after"] else None
            if row["entity"] == "webhook_subscription":  # rows written before URLs were redacted too
                before, after = audited_subscription(before), audited_subscription(after)
            item.update(entity=row["entity"], key=row["entity_key"], before=before, after=after)
        items.append(item)
    return msgspec.convert(
        paging.page(items, len(rows), limit, lambda i: (i["at"], _SOURCE_RANK[i["source"]], i["id"])), AuditPage)
