"""The pool skips asyncpg's reset query on release (db.keep_session): that
holds only while nothing leaves session state on a pooled connection. After
the busiest paths (intake, reading, an action, the sweep, the admin log),
every pooled connection must still be as a new one."""

from __future__ import annotations

import asyncio

from casework.db import engine
from tests.support import act, petition


async def test_pooled_connections_carry_no_session_state_after_real_work(users):
    case = (await users["clerk"].post("/api/v1/cases", json=petition(summary="会话状态"))).json()
    assert (await users["clerk"].get(f"/api/v1/cases/{case['reference']}")).status_code == 200
    assert (await act(users["officer"], case["reference"], "accept")).status_code == 200
    assert (await users["supervisor"].post("/api/v1/deadlines/sweep")).status_code == 200
    assert (await users["auditor"].get("/api/v1/audit/events")).status_code == 200

    pool = engine().pool
    held = [await pool.acquire() for _ in range(pool.get_size())]
    try:
        for conn in held:
            # What RESET ALL would change (asyncpg itself sets and restores
            # jit around type introspection: same value, so not listed).
            session_settings = await conn.fetch(
                "SELECT name, setting FROM pg_settings WHERE source = 'session' AND setting IS DISTINCT FROM reset_val")
            assert [dict(r) for r in session_settings] == []
            assert await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()") == 0
            assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
            # '' is this query's own (unnamed) portal
            assert await conn.fetchval("SELECT count(*) FROM pg_cursors WHERE name <> ''") == 0
            assert not conn.is_in_transaction()
    finally:
        await asyncio.gather(*(pool.release(conn) for conn in held))
