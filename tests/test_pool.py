"""The pool skips asyncpg's reset query on release (db.keep_session): that
holds only while nothing leaves session state on a pooled connection. After
the busiest paths (intake, reading, an action, the sweep, the admin log),
every pooled connection must still be as a new one."""

from __future__ import annotations

import asyncio

from casework.db import engine
from tests.support import act, dispute, petition
from tests.support_access import client_from


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


async def test_with_one_free_pooled_connection_every_step_is_answered_even_with_cold_reference_caches(app, users):
    """A request must never hold a pooled connection while it waits for
    another. The time limits and the holiday calendar are loaded into a cache
    on first use, and reading a case loaded them on a second connection while
    it held its first: after a restart (every cache cold) twelve clients'
    requests held the ten pooled connections, each waited for an eleventh,
    and all twelve were answered 503 when the 5 s acquire timeout ran out
    (the reliability suite's crash check at full size). Here every pooled
    connection but one is taken, and each step starts with the caches empty."""
    from casework.cache import invalidate

    clerk, mediator = users["clerk"], users["village_mediator"]
    case = (await clerk.post("/api/v1/cases", json=dispute(summary="只剩一个连接"))).json()
    reference = case["reference"]
    credentials = {"reference": reference, "receipt_code": case["receipt_code"]}
    pool = engine().pool
    taken = [await pool.acquire() for _ in range(pool.get_max_size() - 1)]
    try:
        async with client_from(app) as party:
            steps = {
                "intake": lambda: clerk.post("/api/v1/cases", json=dispute(summary="冷缓存登记")),
                "read": lambda: mediator.get(f"/api/v1/cases/{reference}"),
                "accept": lambda: act(mediator, reference, "accept"),
                "records": lambda: clerk.get(f"/api/v1/cases/{reference}/reconsideration-decisions"),
                "public lookup": lambda: party.post("/api/v1/public/lookup", json=credentials),
            }
            for step, call in steps.items():
                invalidate()
                response = await call()
                assert response.status_code in (200, 201), (step, response.status_code, response.text)
    finally:
        await asyncio.gather(*(pool.release(conn) for conn in taken))


async def test_a_pooled_connection_to_a_server_turned_read_only_is_answered_503_and_dropped(users):
    """After a switchover the old primary is a standby: a pooled connection
    that still points at it refuses writes ("cannot execute INSERT in a
    read-only transaction", 25006). That is the database being unavailable
    for writes, not a bug: 503 with Retry-After, and the connection is
    dropped so the next one goes to the new primary. Here every pooled
    connection is made read-only as a standby's sessions are."""
    clerk = users["clerk"]
    pool = engine().pool
    held = [await pool.acquire() for _ in range(pool.get_size())]
    for conn in held:
        await conn.execute("SET default_transaction_read_only = on")
    await asyncio.gather(*(pool.release(conn) for conn in held))
    try:
        refused = await clerk.post("/api/v1/cases", json=petition(summary="只读备库"))
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] and refused.json()["type"].endswith("/unavailable")
        answered = []
        for _ in range(len(held) + 1):  # each read-only connection is dropped on its first refusal
            answered.append((await clerk.post("/api/v1/cases", json=petition(summary="新主库"))).status_code)
            if answered[-1] == 201:
                break
        assert answered[-1] == 201 and set(answered[:-1]) <= {503}, answered
    finally:
        held = [await pool.acquire() for _ in range(pool.get_size())]
        for conn in held:
            await conn.execute("RESET default_transaction_read_only")
        await asyncio.gather(*(pool.release(conn) for conn in held))
