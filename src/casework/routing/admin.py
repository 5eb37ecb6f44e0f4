"""The routing rules as administrators read and correct them. A correction
is checked (known conditions, a code of letters, digits and underscores),
written with its before and after in ``admin_event`` in one transaction,
and clears the cached rules."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from casework.access.service import Principal
from casework.admin_log import act_as
from casework.db import connection, transaction
from casework.problems import invalid, not_found
from casework.reference.service import check_code, reference_changed
from casework.routing.rules import KNOWN_CONDITIONS
from casework.routing.schemas import RoutingRuleList, RoutingRuleRead, RoutingRuleWrite

_RULE_COLUMNS = (
    "id, code, position, conditions, track, body_kind, body_max_level, reason_zh, reason_en, source, active"
)


def _rule(row: Any) -> dict[str, Any]:
    return {**dict(row), "conditions": json.loads(row["conditions"])}


async def routing_rules() -> RoutingRuleList:
    async with connection() as conn:
        rows = await conn.fetch(f"SELECT {_RULE_COLUMNS} FROM routing_rule ORDER BY position")
    return msgspec.convert({"items": [_rule(r) for r in rows]}, RoutingRuleList)


async def routing_rule(code: str) -> RoutingRuleRead:
    async with connection() as conn:
        row = await conn.fetchrow(f"SELECT {_RULE_COLUMNS} FROM routing_rule WHERE code = $1", code)
    if row is None:
        raise not_found("routing rule")
    return msgspec.convert(_rule(row), RoutingRuleRead)


async def put_routing_rule(code: str, data: RoutingRuleWrite, actor: Principal) -> RoutingRuleRead:
    unknown = sorted(set(data.conditions) - KNOWN_CONDITIONS)
    if unknown:
        raise invalid([{"field": f"conditions.{k}", "message": "unknown condition"} for k in unknown])
    check_code(code)
    async with transaction():
        async with connection() as conn:
            await act_as(conn, actor)  # the routing_rule trigger records the change
            row = await conn.fetchrow(
                f"""INSERT INTO routing_rule (code, position, conditions, track, body_kind, reason_zh,
                                             reason_en, source, active, body_max_level)
                    VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (code) DO UPDATE SET position = EXCLUDED.position,
                        conditions = EXCLUDED.conditions, track = EXCLUDED.track,
                        body_kind = EXCLUDED.body_kind, body_max_level = EXCLUDED.body_max_level,
                        reason_zh = EXCLUDED.reason_zh,
                        reason_en = EXCLUDED.reason_en, source = EXCLUDED.source, active = EXCLUDED.active
                    RETURNING {_RULE_COLUMNS}""",
                code, data.position, json.dumps(data.conditions), data.track, data.body_kind,
                data.reason_zh, data.reason_en, data.source, data.active, data.body_max_level,
            )
    reference_changed()
    return msgspec.convert(_rule(row), RoutingRuleRead)
