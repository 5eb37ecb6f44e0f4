"""Routing preview and the routing rules (read by all, changed by admins)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from msgspec import Meta, Struct

from casework.access.auth import requires
from casework.admin_log import record_admin_change
from casework.cases import validation as cases
from casework.cases.schemas import CaseCreate, Track
from casework.db import connection, transaction
from casework.problems import invalid, not_found
from casework.reference.service import reference_changed
from casework.routing.rules import KNOWN_CONDITIONS
from casework.routing.schemas import BodyKind


class RoutingRuleWrite(Struct, forbid_unknown_fields=True):
    position: Annotated[int, Meta(ge=0, le=1_000_000)]
    conditions: dict[str, Any]
    track: Track
    body_kind: BodyKind
    reason_zh: Annotated[str, Meta(min_length=1, max_length=500)]
    reason_en: Annotated[str, Meta(min_length=1, max_length=500)]
    source: Annotated[str, Meta(max_length=500)] = ""
    active: bool = True
    body_max_level: Annotated[int, Meta(ge=1, le=5)] | None = None


_RULE_COLUMNS = (
    "id, code, position, conditions, track, body_kind, body_max_level, reason_zh, reason_en, source, active"
)


def _rule(row: Any) -> dict[str, Any]:
    import json

    return {**dict(row), "conditions": json.loads(row["conditions"])}


class RoutingController(Controller):
    path = "/api/v1"
    tags = ["routing"]

    @post("/routing/preview", guards=[requires("routing.preview")], status_code=200,
          summary="The routing decision for a draft case; nothing is saved")
    async def preview(self, request: Request, data: CaseCreate) -> dict[str, Any]:
        decision, _draft = await cases.route(data, request.user)
        return decision.as_dict()

    @get("/routing-rules", guards=[requires("reference.read")], summary="Routing rules in order")
    async def list_rules(self) -> dict[str, Any]:
        async with connection() as conn:
            rows = await conn.fetch(f"SELECT {_RULE_COLUMNS} FROM routing_rule ORDER BY position")
        return {"items": [_rule(r) for r in rows]}

    @put("/routing-rules/{code:str}", guards=[requires("reference.write")],
         summary="Create or correct a routing rule (admin)")
    async def put_rule(self, request: Request, code: str, data: RoutingRuleWrite) -> dict[str, Any]:
        import json

        unknown = sorted(set(data.conditions) - KNOWN_CONDITIONS)
        if unknown:
            raise invalid([{"field": f"conditions.{k}", "message": "unknown condition"} for k in unknown])
        if not (0 < len(code) <= 64) or not code.replace("_", "").isalnum():
            raise invalid([{"field": "code", "message": "letters, digits and underscores, at most 64"}])
        async with transaction():
            async with connection() as conn:
                before = await conn.fetchrow(f"SELECT {_RULE_COLUMNS} FROM routing_rule WHERE code = $1", code)
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
                await record_admin_change(
                    conn, actor=request.user, entity="routing_rule", key=code,
                    before=_rule(before) if before else None, after=_rule(row),
                )
        reference_changed()
        return _rule(row)

    @get("/routing-rules/{code:str}", guards=[requires("reference.read")])
    async def get_rule(self, code: str) -> dict[str, Any]:
        async with connection() as conn:
            row = await conn.fetchrow(f"SELECT {_RULE_COLUMNS} FROM routing_rule WHERE code = $1", code)
        if row is None:
            raise not_found("routing rule")
        return _rule(row)
