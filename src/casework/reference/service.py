"""Reading and correcting reference data (divisions, bodies, categories)."""

from __future__ import annotations

from typing import Any

import msgspec

from casework.cache import cached, invalidate
from casework.db import connection
from casework.problems import invalid, not_found
from casework.reference.schemas import BodyList, BodyRead, DivisionList, DivisionRead


async def _load_categories() -> dict[str, dict[str, Any]]:
    async with connection() as conn:
        rows = await conn.fetch("SELECT * FROM category ORDER BY position, code")
    return {r["code"]: dict(r) for r in rows}


async def categories() -> dict[str, dict[str, Any]]:
    return await cached("categories", _load_categories)


async def _load_division_codes() -> frozenset[str]:
    async with connection() as conn:
        rows = await conn.fetch("SELECT code FROM division")
    return frozenset(r["code"] for r in rows)


async def division_exists(code: str) -> bool:
    if code in await cached("division_codes", _load_division_codes):
        return True
    async with connection() as conn:  # added since the cache was filled?
        return bool(await conn.fetchval("SELECT true FROM division WHERE code = $1", code))


async def divisions(prefix: str | None = None) -> DivisionList:
    async with connection() as conn:
        rows = await conn.fetch(
            """SELECT code, name_zh, name_en, level, parent_code, prefix FROM division
               WHERE ($1::text IS NULL OR starts_with(code, $1)) ORDER BY code""",
            prefix,
        )
    return msgspec.convert({"items": [dict(r) for r in rows]}, DivisionList)


async def division(code: str) -> DivisionRead | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT code, name_zh, name_en, level, parent_code, prefix FROM division WHERE code = $1", code
        )
    return msgspec.convert(dict(row), DivisionRead) if row else None


async def bodies(kind: str | None = None, division_prefix: str | None = None) -> BodyList:
    async with connection() as conn:
        rows = await conn.fetch(
            """SELECT id, code, name_zh, name_en, kind, division_code, level, remit, active, superior_code FROM body
               WHERE ($1::text IS NULL OR kind = $1)
                 AND ($2::text IS NULL OR starts_with(division_code, $2))
               ORDER BY division_code, kind, code""",
            kind, division_prefix,
        )
    return msgspec.convert({"items": [dict(r) for r in rows]}, BodyList)


async def body_by_id(body_id: int) -> BodyRead:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, code, name_zh, name_en, kind, division_code, level, remit, active, superior_code FROM body WHERE id = $1",
            body_id,
        )
    if row is None:
        raise not_found("body")
    return msgspec.convert(dict(row), BodyRead)


async def _load_public_reasons() -> dict[str, dict[str, Any]]:
    async with connection() as conn:
        rows = await conn.fetch("SELECT * FROM public_reason WHERE active ORDER BY position, code")
    return {r["code"]: dict(r) for r in rows}


async def public_reasons() -> dict[str, dict[str, Any]]:
    """The standard wordings a party is told a matter was not accepted in."""
    return await cached("public_reasons", _load_public_reasons)


def reference_changed() -> None:
    invalidate()


def check_code(code: str) -> None:
    """The code an administrator gives a new category or routing rule."""
    if not (0 < len(code) <= 64) or not code.replace("_", "").isalnum():
        raise invalid([{"field": "code", "message": "letters, digits and underscores, at most 64"}])
