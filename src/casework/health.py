"""Liveness and readiness probes (open, no token)."""

from __future__ import annotations

from litestar import Response, get
from msgspec import UNSET, Struct, UnsetType

from casework.db import connection, migrations_folder


class Health(Struct):
    status: str


class Readiness(Struct, omit_defaults=True):
    """``ready`` with the number of applied migrations; on a 503, ``unavailable``
    with the database error's name, or ``migrations pending`` with ``missing``."""

    status: str
    migrations: int | UnsetType = UNSET
    database: str | UnsetType = UNSET
    missing: list[str] | UnsetType = UNSET


def expected_migrations() -> set[str]:
    ids = set()
    for path in migrations_folder().glob("casework_*.py"):
        for line in path.read_text().splitlines():
            if line.startswith("ID = "):
                ids.add(line.split("=", 1)[1].strip().strip('"'))
    return ids


@get("/health", tags=["operations"], summary="The process is up")
async def health() -> Health:
    return Health(status="ok")


@get("/ready", tags=["operations"], summary="The database answers and every migration is applied")
async def ready() -> Response[Readiness]:
    try:
        async with connection() as conn:
            applied = {r["name"] for r in await conn.fetch("SELECT name FROM migration WHERE app_name = 'casework'")}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return Response(Readiness(status="unavailable", database=type(exc).__name__), status_code=503,
                        headers={"Retry-After": "5"})
    missing = sorted(expected_migrations() - applied)
    if missing:
        return Response(Readiness(status="migrations pending", missing=missing), status_code=503)
    return Response(Readiness(status="ready", migrations=len(applied)))
