"""Database: the Piccolo engine's pool, connections and transactions.

The embedded PostgreSQL that stands in when no ``CASEWORK_DATABASE_URL`` is
set is started by ``casework.embedded``, before anything here runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from piccolo.engine.postgres import PostgresTransaction

from casework import metrics, timeutil
from casework.settings import get_settings

if TYPE_CHECKING:
    from piccolo.engine.postgres import PostgresEngine

def migrations_folder() -> Path:
    """The migrations: the repository's top-level migrations/ (the package is
    installed editable; see README), else a copy inside the package. Here,
    not only in ``piccolo_app``, so /ready can list them without importing
    Piccolo's app machinery (and black) into every worker."""
    repo = Path(__file__).resolve().parents[2] / "migrations" / "casework"
    return repo if repo.exists() else Path(__file__).parent / "_migrations"


def engine() -> PostgresEngine:
    """The one Piccolo engine (``casework.piccolo_engine``, which
    ``piccolo_conf`` names too). Imported from there, not found through
    Piccolo's ``engine_finder``: that imports ``piccolo.conf.apps`` and with
    it black and the migration machinery, some 10 MB in every worker."""
    from casework.piccolo_engine import DB

    return DB


# What asyncpg raises when the server is down, restarting, refusing
# connections or not answering within the timeouts (TimeoutError is an
# OSError). Requests that meet one are answered 503 (casework.errors).
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    # A pooled connection left mid-operation by a server that went away
    # ("cannot switch to state 12; another operation is in progress"): it is
    # dropped (see connection() and BoundedTransaction) and the pool opens a
    # fresh one.
    asyncpg.exceptions.InternalClientError,
    # A pooled connection to a server that is no longer the primary (a
    # switchover demoted it to a standby): dropped like the others, and the
    # pool's next connection goes to the new primary (target_session_attrs=
    # read-write in the URL, deploy/casework.env.example). With no primary
    # yet, asyncpg raises TargetServerAttributeNotMatched, an
    # InternalClientError.
    asyncpg.exceptions.ReadOnlySQLTransactionError,
)


def database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE)


async def keep_session(_conn: Any) -> None:
    """The pool's reset on release: nothing beyond asyncpg's own (which
    rolls back a transaction left open). The default also sends
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every
    release, a round trip each time (two per request). The service leaves
    no session state on pooled connections: settings are ``SET LOCAL`` /
    ``set_config(..., true)``, advisory locks are transaction-level,
    cursors live in transactions, and nothing LISTENs on a pooled
    connection."""


@asynccontextmanager
async def pool_lifespan(_app: Any = None) -> AsyncIterator[None]:
    """Open the connection pool for the life of the app (Litestar lifespan).

    Dead connections (the server restarted) are replaced on the next
    acquire by asyncpg itself; the timeouts bound how long a request can
    wait on a server that does not answer at all."""
    settings = get_settings()
    db = engine()
    await db.start_connection_pool(
        min_size=settings.pool_min, max_size=settings.pool_max,
        timeout=settings.db_connect_timeout_seconds, command_timeout=settings.db_command_timeout_seconds,
        reset=keep_session,
    )
    metrics.POOL.pool = db.pool
    try:
        yield
    finally:
        metrics.POOL.pool = None
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


# The pooled connection the running task holds through connection(): a
# connection() opened inside another one (a reference-data cache filled
# while a case is read) shares it instead of waiting for a second one. A
# task that holds one connection and waits for another deadlocks with its
# peers once as many of them as the pool has connections do it at once
# (every cache is cold after a restart): each waited out the acquire timeout
# and was answered 503. Only the task that acquired it shares it; a task it
# starts (which inherits the variable) takes its own, as asyncpg allows one
# operation at a time per connection.
_held_connection: ContextVar[tuple[asyncio.Task | None, Any] | None] = ContextVar(
    "casework_held_connection", default=None)


def holds_connection() -> bool:
    """Whether the running task is inside a transaction or holds a pooled
    connection through connection(): what it reads next shares that one."""
    if engine().current_transaction.get() is not None:
        return True
    held = _held_connection.get()
    return held is not None and held[0] is asyncio.current_task()


@asynccontextmanager
async def connection() -> AsyncIterator[Any]:
    """An asyncpg connection: the current Piccolo transaction's, the one this
    task already holds, or one from the pool.

    Hand-written SQL (``$1`` parameters, ``copy``, ``executemany``) runs
    through this, inside whatever ``engine().transaction()`` is open, so it
    commits or rolls back with the Piccolo queries around it. Opened inside
    another connection() of the same task, it is that one: a request never
    waits for a second pooled connection while it holds one.
    """
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        yield transaction.connection
        return
    held = _held_connection.get()
    if held is not None and held[0] is asyncio.current_task():
        yield held[1]
        return
    if db.pool is None:
        conn = await db.get_new_connection()
        try:
            await carry_clock(conn, local=False)
            yield conn
        finally:
            await conn.close()
        return
    conn = await db.pool.acquire(timeout=get_settings().db_acquire_timeout_seconds)
    token = _held_connection.set((asyncio.current_task(), conn))
    try:
        await carry_clock(conn, local=False)
        yield conn
    except BaseException as exc:
        if database_unavailable(exc):
            conn.terminate()  # resetting it would wait on the same silent server
        raise
    finally:
        _held_connection.reset(token)
        await db.pool.release(conn)


@asynccontextmanager
async def separate_connection() -> AsyncIterator[Any]:
    """A pooled connection of its own, outside any transaction the task has
    open: what it writes commits at once, whatever the transaction around
    does (documents.attachments marks an upload pending this way)."""
    db = engine()
    if db.pool is None:
        conn = await db.get_new_connection()
        try:
            yield conn
        finally:
            await conn.close()
        return
    conn = await db.pool.acquire(timeout=get_settings().db_acquire_timeout_seconds)
    try:
        yield conn
    except BaseException as exc:
        if database_unavailable(exc):
            conn.terminate()
        raise
    finally:
        await db.pool.release(conn)


@dataclass
class ReadPosition:
    """What the running request's reads may see, for read routing
    (casework.reads; one per request while routing is on).

    ``after_lsn``: a WAL position a standby must have replayed before it
    serves this request (the caller's last write, or a bound the request
    set itself). ``primary_only``: the request has opened a transaction (it
    writes), so its later reads stay on the primary too."""

    after_lsn: int | None = None
    primary_only: bool = False


read_position: ContextVar[ReadPosition | None] = ContextVar("casework_read_position", default=None)


class BoundedTransaction(PostgresTransaction):
    """Piccolo's transaction, made safe for a database that fails.

    - The wait for a pooled connection is bounded.
    - A connection on which the database stopped answering is dropped, not
      rolled back: a ROLLBACK would wait out another timeout, and
      PostgreSQL rolls back the transaction of a connection that goes away.
    - The connection goes back to the pool whatever fails (Piccolo's own
      ``__aexit__`` skips the release when BEGIN, COMMIT or ROLLBACK raises).
    """

    async def get_connection(self):
        if self.engine.pool:
            return await self.engine.pool.acquire(timeout=get_settings().db_acquire_timeout_seconds)
        return await self.engine.get_new_connection()

    async def _give_back(self, failure: BaseException | None) -> None:
        if failure is not None and database_unavailable(failure):
            self.connection.terminate()
        if self.engine.pool:
            await self.engine.pool.release(self.connection)
        else:
            await self.connection.close()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        position = read_position.get()
        if position is not None:
            position.primary_only = True
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
            await carry_clock(self.connection, local=True)
        except BaseException as exc:
            await self._give_back(exc)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        failure: BaseException | None = exception
        try:
            if exception is not None:
                if not self._rolled_back and not database_unavailable(exception):
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException as exc:
            failure = exc
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back(failure)
        return exception is None


async def carry_clock(conn: Any, *, local: bool) -> None:
    """Give SQL's ``casework_now()`` the service's time when the clock was
    moved (timeutil); costs nothing otherwise. A plain connection gets it
    for its session (it is set again on every acquire), a transaction for
    itself."""
    if timeutil.clock_moved():
        await conn.execute("SELECT set_config('casework.now', $1, $2)", timeutil.sql_now_setting(), local)


def transaction() -> Any:
    """Open (or join) a transaction; queries inside it, Piccolo or SQL, share it."""
    return BoundedTransaction(engine())
