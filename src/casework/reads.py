"""Read routing: heavy read-only routes on a standby, never back in time.

Off unless ``CASEWORK_READ_DATABASE_URL`` names a standby; then the routes
that read much or often (backlog figures and exports, the case list, the
work queue, the sync feed, the public lookup) run their queries through
``read()`` or ``read_connection()``, which take a connection from a pool
of that standby, or from the primary's pool when the standby may not
answer. The primary serves a read:

- inside a transaction, or while the task holds a primary connection
  (it shares that one, as connection() does);
- in a request that has opened a transaction (it wrote);
- while the standby is out of rotation: its replay is further behind the
  primary than ``CASEWORK_READ_MAX_LAG_SECONDS``, or its last check or
  use failed;
- when the standby has not yet replayed the caller's last write
  (read-your-writes, below);
- when the standby fails under the read: ``read()`` runs the work again on
  the primary (reads are safe to repeat), so a standby that dies is never
  an error; a streamed export (``read_connection()``) falls back only
  before its first row.

**Read-your-writes.** After a signed-in caller's write request (any method
but GET, HEAD and OPTIONS), before its answer leaves, the primary's WAL
position (``pg_current_wal_lsn()``, past every commit the request made) is
stored for that user in ``read_position`` on the primary. Every request
already reloads its user from the primary (access.service.principal_by_id);
that same query brings the position back, so a caller's next request, on
whichever instance, knows it at no extra round trip. A standby serves the
caller only once ``pg_last_wal_replay_lsn()`` has passed it (checked on the
connection that will run the read, one query on the standby, remembered
per connection). The public lookup has no user: it requires the primary's
position at the moment it checked the receipt code, so it reads nothing
older than that. Why not the insert position inside the write's
transaction: the commit record comes after it, and a standby replayed up
to there still does not show the write.

**Lag.** Every ``CASEWORK_READ_CHECK_SECONDS`` the instance notes the
primary's WAL position and asks the standby how far it has replayed; the
lag is the age of the newest noted primary position the standby has
passed. Measured on this instance's clock only (no clock skew between
hosts), zero when the primary is idle, and it counts a standby whose
replay is held back (``recovery_min_apply_delay``, a long query) as well as
one that stopped receiving.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import asyncpg
import structlog

from casework import db, metrics
from casework.settings import Settings, get_settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

# What pg_stat_activity shows for the read pool's connections.
APPLICATION_NAME = "casework-read"
PRIMARY_POSITION_SQL = "SELECT pg_current_wal_lsn()"
# A read node that is not in recovery is a primary: it is as current as
# can be.
REPLAYED = """CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0')
                   ELSE pg_current_wal_lsn() END"""
REPLAYED_SQL = f"SELECT {REPLAYED}"
CHECK_SQL = f"SELECT pg_is_in_recovery() AS standby, {REPLAYED} AS replayed"
# After the commits of a write request: the primary's position, kept per
# user. Flushed locally but not waited for by the synchronous standby: a
# failover loses at most the newest positions, and the new standby (the
# old primary, rewound) holds every acknowledged write already.
NOTE_WRITE_SQL = """
INSERT INTO read_position AS p (user_id, lsn, written_at)
SELECT $1, pg_current_wal_lsn(), now() FROM (SELECT set_config('synchronous_commit', 'local', true)) AS local_commit
ON CONFLICT (user_id) DO UPDATE SET lsn = greatest(p.lsn, excluded.lsn), written_at = excluded.written_at"""


def _session_attrs(url: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return (query.get("target_session_attrs") or [""])[0].lower()


def _standby_fault(exc: BaseException) -> bool:
    """A failure of the standby rather than of the read: the same read on the
    primary may well succeed. Recovery conflicts (a query cancelled because
    replay needed what it held) are SQLSTATE class 40."""
    return db.database_unavailable(exc) or isinstance(exc, asyncpg.exceptions.TransactionRollbackError)


class Standby:
    """The read pool and what this instance knows of the standby behind it."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.read_database_url
        # The URL asks for a standby and nothing else (the deployment's
        # way): a primary behind a pooled connection means a failover
        # promoted the standby under it.
        self.standby_only = _session_attrs(self.url) in ("standby", "read-only", "hot-standby")
        self.max_lag_seconds = settings.read_max_lag_seconds
        self.check_seconds = settings.read_check_seconds
        self.acquire_timeout = settings.db_acquire_timeout_seconds
        self.pool: Any = None
        # Out until the first check passes: reads start on the primary.
        self.in_rotation = False
        self.lag_seconds = math.inf
        # (monotonic time, primary's WAL position), oldest first, long
        # enough to measure any lag up to the setting and a little more.
        self.samples: collections.deque[tuple[float, int]] = collections.deque(
            maxlen=int((self.max_lag_seconds + 5) / max(self.check_seconds, 0.05)) + 2)
        # What each pooled connection's server has replayed, as last seen
        # (by backend pid): a caller whose write is older needs no new check.
        self.replayed: dict[int, int] = {}

    async def open(self, settings: Settings) -> None:
        # min_size 0: a standby that is down at start-up does not stop the
        # service; reads use the primary until a check passes.
        self.pool = await asyncpg.create_pool(
            self.url, min_size=0, max_size=settings.pool_max, timeout=settings.db_connect_timeout_seconds,
            command_timeout=settings.db_command_timeout_seconds, reset=db.keep_session,
            server_settings={"application_name": APPLICATION_NAME,
                             # a read connection that lands on a primary never writes there
                             "default_transaction_read_only": "on"})

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    def set_rotation(self, in_rotation: bool, lag_seconds: float, reason: str | None = None) -> None:
        if in_rotation != self.in_rotation:
            (log.info if in_rotation else log.warning)(
                "read_standby_in_rotation" if in_rotation else "read_standby_out_of_rotation",
                lag_seconds=None if math.isinf(lag_seconds) else round(lag_seconds, 2), reason=reason)
        self.in_rotation, self.lag_seconds = in_rotation, lag_seconds
        metrics.READ_STANDBY_IN_ROTATION.set(1 if in_rotation else 0)
        metrics.READ_STANDBY_LAG.set(-1 if math.isinf(lag_seconds) else lag_seconds)

    def failed(self, exc: BaseException) -> None:
        """The standby failed a check or a read: out until a check passes."""
        self.set_rotation(False, math.inf, reason=type(exc).__name__)

    async def check(self) -> None:
        """Note the primary's position, ask the standby what it has replayed,
        and put it in or out of rotation by the lag."""
        if len(self.replayed) > 1000:  # pids of connections long closed
            self.replayed.clear()
        async with db.separate_connection() as primary:
            self.samples.append((time.monotonic(), await primary.fetchval(PRIMARY_POSITION_SQL)))
        conn = await self.pool.acquire(timeout=self.acquire_timeout)
        failure: BaseException | None = None
        try:
            standby, replayed = await conn.fetchrow(CHECK_SQL)
            self.replayed[conn.get_server_pid()] = replayed
        except BaseException as exc:
            failure = exc
            raise
        finally:
            await _give_back(self, conn, failure)
        if not standby and self.standby_only:
            # Promoted under us: the pool's connections reach the new
            # primary; new ones (target_session_attrs) find the standby
            # once there is one again. Until a check finds it, the primary.
            await self.pool.expire_connections()
            self.set_rotation(False, math.inf, reason="read node promoted")
            return
        self.set_rotation(*self.lag(replayed))

    def lag(self, replayed: int) -> tuple[bool, float]:
        """(in rotation, lag in seconds) for a standby that has replayed up to ``replayed``."""
        now = time.monotonic()
        caught_up = [at for at, position in self.samples if position <= replayed]
        if not caught_up:
            # Behind every position noted: at least as old as the oldest,
            # perhaps much older (a standby just started). Out until it
            # has passed one.
            return False, now - self.samples[0][0]
        lag = now - caught_up[-1]
        return lag <= self.max_lag_seconds, lag

    async def keep_checking(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the standby is out until a check passes
                self.failed(exc)
            await asyncio.sleep(self.check_seconds)


_standby: Standby | None = None
# The standby connection the running task holds through read(): a read
# inside another one shares it.
_held_read: ContextVar[tuple[asyncio.Task | None, Any] | None] = ContextVar("casework_held_read", default=None)


def enabled() -> bool:
    return _standby is not None


def standby() -> Standby | None:
    return _standby


@asynccontextmanager
async def lifespan(settings: Settings | None = None, *, check: bool = True) -> AsyncIterator[Standby | None]:
    """Open the read pool and keep checking the standby, for the life of the
    app (inside db.pool_lifespan: the checks use the primary too). Nothing
    when no read URL is set. ``check=False`` (tests): no background checks;
    call ``Standby.check`` by hand."""
    global _standby
    settings = settings or get_settings()
    if not settings.read_database_url:
        yield None
        return
    routed = Standby(settings)
    await routed.open(settings)
    metrics.READ_POOL.pool = routed.pool
    _standby = routed
    checks = asyncio.create_task(routed.keep_checking(), name="read-standby-checks") if check else None
    try:
        yield routed
    finally:
        _standby = None
        metrics.READ_POOL.pool = None
        if checks is not None:
            checks.cancel()
            await asyncio.gather(checks, return_exceptions=True)
        await routed.close()


# ---------------------------------------------------------------- per request

@contextmanager
def request_scope() -> Iterator[db.ReadPosition]:
    """The read position of one request (set by middleware.ReadYourWritesMiddleware)."""
    position = db.ReadPosition()
    token = db.read_position.set(position)
    try:
        yield position
    finally:
        db.read_position.reset(token)


def require_position(lsn: int | None) -> None:
    """This request's reads may use a standby only once it has replayed ``lsn``."""
    position = db.read_position.get()
    if position is not None and lsn is not None:
        position.after_lsn = lsn if position.after_lsn is None else max(position.after_lsn, lsn)


async def note_write(user_id: int) -> None:
    """Remember, on the primary, that ``user_id`` has written up to now. A
    failure is logged, not raised: the write itself has committed and its
    answer must go out."""
    try:
        async with db.connection() as conn:
            await conn.execute(NOTE_WRITE_SQL, user_id)
    except Exception as exc:  # noqa: BLE001 - see above
        log.warning("read_position_not_noted", error=type(exc).__name__)


# ---------------------------------------------------------------- routing

async def _standby_connection() -> tuple[Any | None, str]:
    """A standby connection this read may use, or None and why the primary."""
    routed = _standby
    if routed is None:
        return None, "not_configured"
    if db.holds_connection():
        return None, "transaction"
    position = db.read_position.get()
    if position is not None and position.primary_only:
        return None, "after_write"
    if not routed.in_rotation:
        return None, "out_of_rotation"
    try:
        conn = await routed.pool.acquire(timeout=routed.acquire_timeout)
    except Exception as exc:
        if not db.database_unavailable(exc):
            raise
        routed.failed(exc)
        return None, "standby_failed"
    try:
        after = position.after_lsn if position is not None else None
        pid = conn.get_server_pid()
        if after is not None and routed.replayed.get(pid, 0) < after:
            routed.replayed[pid] = await conn.fetchval(REPLAYED_SQL)
            if routed.replayed[pid] < after:
                await routed.pool.release(conn)
                return None, "behind_caller"
        await db.carry_clock(conn, local=False)
    except BaseException as exc:
        await _give_back(routed, conn, exc)
        if not _standby_fault(exc):
            raise
        return None, "standby_failed"
    return conn, "standby"


async def _give_back(routed: Standby, conn: Any, failure: BaseException | None) -> None:
    if failure is not None and db.database_unavailable(failure):
        routed.failed(failure)
        try:
            conn.terminate()  # resetting it would wait on the same silent server
        except asyncpg.exceptions.InterfaceError:
            pass  # it closed under us, and the pool has taken it back already
    await routed.pool.release(conn)


def _shared() -> Any | None:
    held = _held_read.get()
    return held[1] if held is not None and held[0] is asyncio.current_task() else None


async def read(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(conn)``, a read only, on the standby when it may serve
    this request, otherwise on the primary; a standby failing under it runs
    it again on the primary."""
    shared = _shared()
    if shared is not None:
        return await work(shared)
    conn, reason = await _standby_connection()
    if conn is None:
        metrics.READS.labels(target="primary", reason=reason).inc()
        async with db.connection() as primary:
            return await work(primary)
    routed = _standby
    assert routed is not None
    token = _held_read.set((asyncio.current_task(), conn))
    try:
        try:
            result = await work(conn)
        finally:
            _held_read.reset(token)
    except BaseException as exc:
        await _give_back(routed, conn, exc)
        if not _standby_fault(exc):
            raise
        log.warning("read_standby_failed_read_repeated_on_primary", error=type(exc).__name__)
        metrics.READS.labels(target="primary", reason="standby_failed").inc()
        async with db.connection() as primary:
            return await work(primary)
    await routed.pool.release(conn)
    metrics.READS.labels(target="standby", reason="in_rotation").inc()
    return result


@asynccontextmanager
async def read_connection() -> AsyncIterator[Any]:
    """A connection for a read that cannot be repeated (a streamed export):
    the standby when it may serve this request, else the primary. Once rows
    have gone out, a standby failing under it ends the read, as the primary
    failing would."""
    shared = _shared()
    if shared is not None:
        yield shared
        return
    conn, reason = await _standby_connection()
    if conn is None:
        metrics.READS.labels(target="primary", reason=reason).inc()
        async with db.connection() as primary:
            yield primary
        return
    routed = _standby
    assert routed is not None
    metrics.READS.labels(target="standby", reason="in_rotation").inc()
    token = _held_read.set((asyncio.current_task(), conn))
    failure: BaseException | None = None
    try:
        yield conn
    except BaseException as exc:
        failure = exc
        raise
    finally:
        _held_read.reset(token)
        await _give_back(routed, conn, failure)
