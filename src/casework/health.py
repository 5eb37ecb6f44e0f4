"""Liveness and readiness probes (open, no token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Response, get

from casework.db import connection


def expected_migrations() -> set[str]:
    from casework.piccolo_app import APP_CONFIG

    folder = Path(APP_CONFIG.migrations_folder_path)
    ids = set()
    for path in folder.glob("casework_*.py"):
        for line in path.read_text().splitlines():
            if line.startswith("ID = "):
                ids.add(line.split("=", 1)[1].strip().strip('"'))
    return ids


@get("/health", tags=["operations"], summary="The process is up")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", tags=["operations"], summary="The database answers and every migration is applied")
async def ready() -> Response[dict[str, Any]]:
    try:
        async with connection() as conn:
            applied = {r["name"] for r in await conn.fetch("SELECT name FROM migration WHERE app_name = 'casework'")}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return Response({"status": "unavailable", "database": type(exc).__name__}, status_code=503,
                        headers={"Retry-After": "5"})
    missing = sorted(expected_migrations() - applied)
    if missing:
        return Response({"status": "migrations pending", "missing": missing}, status_code=503)
    return Response({"status": "ready", "migrations": len(applied)})
