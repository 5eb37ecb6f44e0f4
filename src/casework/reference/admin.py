"""Administrators' corrections of divisions, bodies and categories: each
checked, written with its before and after in ``admin_event`` in one
transaction, then the cached reference data cleared."""

from __future__ import annotations

import msgspec

from casework.access.service import Principal
from casework.admin_log import act_as
from casework.db import connection, transaction
from casework.problems import conflict, invalid
from casework.reference import service
from casework.reference.schemas import (
    BodyRead,
    BodyWrite,
    CategoryRead,
    CategoryWrite,
    DivisionRead,
    DivisionWrite,
)

# The significant prefix of a division's code, by level.
_PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
_BODY_COLUMNS = "id, code, name_zh, name_en, kind, division_code, level, remit, active, superior_code"
_CATEGORY_COLUMNS = "code, label_zh, label_en, civil, law_related, position, source, admin_id"


async def add_division(data: DivisionWrite, actor: Principal) -> DivisionRead:
    if data.level > 1 and data.parent_code is None:
        raise invalid([{"field": "parent_code", "message": "is required below province level"}])
    async with transaction():
        async with connection() as conn:
            if data.parent_code and not await conn.fetchval(
                "SELECT true FROM division WHERE code = $1", data.parent_code
            ):
                raise invalid([{"field": "parent_code", "message": "unknown division"}])
            await act_as(conn, actor)  # the division trigger records the change
            row = await conn.fetchrow(
                """INSERT INTO division (code, name_zh, name_en, level, parent_code, prefix)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING
                   RETURNING code, name_zh, name_en, level, parent_code, prefix""",
                data.code, data.name_zh, data.name_en, data.level, data.parent_code,
                data.code[: _PREFIX_LEN[data.level]],
            )
            if row is None:
                raise conflict("exists", f"division {data.code} exists")
    service.reference_changed()
    return msgspec.convert(dict(row), DivisionRead)


async def put_body(code: str, data: BodyWrite, actor: Principal) -> BodyRead:
    if not (0 < len(code) <= 64):
        raise invalid([{"field": "code", "message": "must have 1 to 64 characters"}])
    division = await service.division(data.division_code)
    if division is None:
        raise invalid([{"field": "division_code", "message": "unknown division"}])
    async with transaction():
        async with connection() as conn:
            if data.superior_code is not None and not await conn.fetchval(
                    "SELECT true FROM body WHERE code = $1", data.superior_code):
                raise invalid([{"field": "superior_code", "message": f"no body {data.superior_code}"}])
            await act_as(conn, actor)  # the body trigger records the change
            row = await conn.fetchrow(
                f"""INSERT INTO body (code, name_zh, name_en, kind, division_code, level, remit, active,
                                      superior_code)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,
                        name_en = EXCLUDED.name_en, kind = EXCLUDED.kind,
                        division_code = EXCLUDED.division_code, level = EXCLUDED.level,
                        remit = EXCLUDED.remit, active = EXCLUDED.active,
                        superior_code = coalesce(EXCLUDED.superior_code, body.superior_code)
                    RETURNING {_BODY_COLUMNS}""",
                code, data.name_zh, data.name_en, data.kind, data.division_code, division.level,
                data.remit, data.active, data.superior_code,
            )
    service.reference_changed()
    return msgspec.convert(dict(row), BodyRead)


async def put_category(code: str, data: CategoryWrite, actor: Principal) -> CategoryRead:
    service.check_code(code)
    async with transaction():
        async with connection() as conn:
            await act_as(conn, actor)  # the category trigger records the change
            row = await conn.fetchrow(
                f"""INSERT INTO category (code, label_zh, label_en, civil, law_related, position, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (code) DO UPDATE SET label_zh = EXCLUDED.label_zh,
                        label_en = EXCLUDED.label_en, civil = EXCLUDED.civil,
                        law_related = EXCLUDED.law_related, position = EXCLUDED.position,
                        source = EXCLUDED.source
                    RETURNING {_CATEGORY_COLUMNS}""",
                code, data.label_zh, data.label_en, data.civil, data.law_related, data.position,
                data.source,
            )
    service.reference_changed()
    return msgspec.convert(dict(row), CategoryRead)
