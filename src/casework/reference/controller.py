"""Reference data over the API: read by every role, corrected by admins."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter
from msgspec import Meta, Struct

from casework.access.auth import requires
from casework.access.policy import ROLES
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.deadlines.service import time_limits
from casework.notices.service import kinds as notice_kinds
from casework.problems import conflict, invalid, not_found
from casework.proceedings.tracks import registry
from casework.reference import service
from casework.reference.service import reference_changed
from casework.routing.schemas import BodyKind

Code12 = Annotated[str, Meta(pattern=r"^[0-9]{12}$")]
Label = Annotated[str, Meta(min_length=1, max_length=200)]


class DivisionWrite(Struct, forbid_unknown_fields=True):
    code: Code12
    name_zh: Label
    level: Annotated[int, Meta(ge=1, le=5)]
    parent_code: Code12 | None = None
    name_en: Annotated[str, Meta(max_length=200)] = ""


class BodyWrite(Struct, forbid_unknown_fields=True):
    name_zh: Label
    kind: BodyKind
    division_code: Code12
    name_en: Annotated[str, Meta(max_length=200)] = ""
    remit: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)] = []
    active: bool = True
    # Where a review of this body's opinions goes (kept when omitted).
    superior_code: Annotated[str, Meta(max_length=64)] | None = None


class CategoryWrite(Struct, forbid_unknown_fields=True):
    label_zh: Label
    label_en: Label
    civil: bool = False
    law_related: bool = False
    position: Annotated[int, Meta(ge=0, le=10000)] = 0
    source: Annotated[str, Meta(max_length=500)] = ""


_PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


class ReferenceController(Controller):
    path = "/api/v1"
    tags = ["reference"]
    guards = [requires("reference.read")]

    @get("/reference", summary="Categories, channels, tracks, roles and time limits")
    async def reference(self) -> dict[str, Any]:
        limits = await time_limits()
        return {
            "categories": list((await service.categories()).values()),
            "channels": ["visit", "letter", "phone", "online", "mobile_app", "station", "grid_worker",
                         "referral", "hotline"],
            "petition_types": ["suggestion", "accusation", "appeal"],
            "risk_levels": ["low", "medium", "high", "critical"],
            "tracks": list(registry().tracks),
            # The words practitioners use for each code (data/tracks.json).
            "terms": {
                "tracks": [{"code": t.code, "label_zh": t.label_zh, "label_en": t.label_en, "body_kind": t.body_kind,
                            "outcomes": [vars(o) for o in t.outcomes]} for t in registry().tracks.values()],
                "stages": [vars(s) for s in registry().states.values()],
                "statuses": [vars(s) for s in registry().statuses.values()],
                "body_kinds": [vars(k) for k in registry().body_kinds.values()],
                **{name: [vars(w) for w in words.values()] for name, words in registry().words.items()},
                "time_limits": [{"code": lim.code, "label_zh": lim.step_zh, "label_en": lim.step_en,
                                 "whose": lim.whose} for lim in limits.values()],
                "notices": [{"code": k["code"], "label_zh": k["name_zh"], "label_en": k["name_en"]}
                            for k in notice_kinds().values()],
                "public_reasons": [{"code": r["code"], "label_zh": r["label_zh"], "label_en": r["label_en"]}
                                   for r in (await service.public_reasons()).values()],
            },
            "roles": list(ROLES),
            "time_limits": [vars(lim) for lim in limits.values()],
            # decline's reason_code: what a party is told, in standard words
            "public_reasons": [{k: r[k] for k in ("code", "label_zh", "label_en", "text_zh", "text_en", "source")}
                               for r in (await service.public_reasons()).values()],
        }

    @get("/divisions", summary="Administrative divisions, optionally under a prefix")
    async def list_divisions(
        self, prefix: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None
    ) -> dict[str, Any]:
        return {"items": await service.divisions(prefix)}

    @get("/bodies", summary="Handling bodies")
    async def list_bodies(
        self,
        kind: str | None = None,
        division: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None,
    ) -> dict[str, Any]:
        return {"items": await service.bodies(kind, division)}

    @get("/bodies/{body_id:int}")
    async def get_body(self, body_id: int) -> dict[str, Any]:
        body = await service.body_by_id(body_id)
        if body is None:
            raise not_found("body")
        return body

    @post("/divisions", guards=[requires("reference.write")], summary="Add a division (admin)")
    async def add_division(self, request: Request, data: DivisionWrite) -> dict[str, Any]:
        if data.level > 1 and data.parent_code is None:
            raise invalid([{"field": "parent_code", "message": "is required below province level"}])
        async with transaction():
            async with connection() as conn:
                if data.parent_code and not await conn.fetchval(
                    "SELECT true FROM division WHERE code = $1", data.parent_code
                ):
                    raise invalid([{"field": "parent_code", "message": "unknown division"}])
                row = await conn.fetchrow(
                    """INSERT INTO division (code, name_zh, name_en, level, parent_code, prefix)
                       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING
                       RETURNING code, name_zh, name_en, level, parent_code, prefix""",
                    data.code, data.name_zh, data.name_en, data.level, data.parent_code,
                    data.code[: _PREFIX_LEN[data.level]],
                )
                if row is None:
                    raise conflict("exists", f"division {data.code} exists")
                await record_admin_change(conn, actor=request.user, entity="division", key=data.code,
                                          before=None, after=dict(row))
        reference_changed()
        return dict(row)

    @put("/bodies/{code:str}", guards=[requires("reference.write")], summary="Create or correct a body (admin)")
    async def put_body(self, request: Request, code: str, data: BodyWrite) -> dict[str, Any]:
        if not (0 < len(code) <= 64):
            raise invalid([{"field": "code", "message": "must have 1 to 64 characters"}])
        division = await service.division(data.division_code)
        if division is None:
            raise invalid([{"field": "division_code", "message": "unknown division"}])
        columns = "id, code, name_zh, name_en, kind, division_code, level, remit, active, superior_code"
        async with transaction():
            async with connection() as conn:
                if data.superior_code is not None and not await conn.fetchval(
                        "SELECT true FROM body WHERE code = $1", data.superior_code):
                    raise invalid([{"field": "superior_code", "message": f"no body {data.superior_code}"}])
                before = await conn.fetchrow(f"SELECT {columns} FROM body WHERE code = $1", code)
                row = await conn.fetchrow(
                    f"""INSERT INTO body (code, name_zh, name_en, kind, division_code, level, remit, active,
                                          superior_code)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,
                            name_en = EXCLUDED.name_en, kind = EXCLUDED.kind,
                            division_code = EXCLUDED.division_code, level = EXCLUDED.level,
                            remit = EXCLUDED.remit, active = EXCLUDED.active,
                            superior_code = coalesce(EXCLUDED.superior_code, body.superior_code)
                        RETURNING {columns}""",
                    code, data.name_zh, data.name_en, data.kind, data.division_code, division["level"],
                    data.remit, data.active, data.superior_code,
                )
                await record_admin_change(conn, actor=request.user, entity="body", key=code,
                                          before=dict(before) if before else None, after=dict(row))
        reference_changed()
        return dict(row)

    @put("/categories/{code:str}", guards=[requires("reference.write")],
         summary="Create or correct a category (admin)")
    async def put_category(self, request: Request, code: str, data: CategoryWrite) -> dict[str, Any]:
        if not (0 < len(code) <= 64) or not code.replace("_", "").isalnum():
            raise invalid([{"field": "code", "message": "letters, digits and underscores, at most 64"}])
        async with transaction():
            async with connection() as conn:
                before = await conn.fetchrow("SELECT * FROM category WHERE code = $1", code)
                row = await conn.fetchrow(
                    """INSERT INTO category (code, label_zh, label_en, civil, law_related, position, source)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)
                       ON CONFLICT (code) DO UPDATE SET label_zh = EXCLUDED.label_zh,
                           label_en = EXCLUDED.label_en, civil = EXCLUDED.civil,
                           law_related = EXCLUDED.law_related, position = EXCLUDED.position,
                           source = EXCLUDED.source
                       RETURNING *""",
                    code, data.label_zh, data.label_en, data.civil, data.law_related, data.position,
                    data.source,
                )
                await record_admin_change(conn, actor=request.user, entity="category", key=code,
                                          before=dict(before) if before else None, after=dict(row))
        reference_changed()
        return dict(row)
