"""Read routing (casework.reads) on one PostgreSQL: the "standby" here is
the test database itself, reached through the read pool, so the routing,
the fallbacks and the bookkeeping are real and only replication is not
(tests/cluster/test_read_routing.py has a real standby). Its connections
say ``casework-read`` in pg_stat_activity, which is how these tests see
where a read ran."""

from __future__ import annotations

import dataclasses
import os
import socket
import time

import pytest
from prometheus_client import REGISTRY

from casework import reads
from casework.db import transaction
from casework.settings import get_settings
from tests.support import dispute, petition
from tests.support_access import client_from

WHERE = "SELECT current_setting('application_name')"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/nothing"  # nothing listens there now


def reads_counted(target: str, reason: str) -> float:
    return REGISTRY.get_sample_value("casework_db_reads_total", {"target": target, "reason": reason}) or 0.0


@pytest.fixture
async def routed(app):
    """Read routing on, its "standby" the test database, checked once by hand."""
    settings = dataclasses.replace(get_settings(), read_database_url=os.environ["CASEWORK_DATABASE_URL"],
                                   read_max_lag_seconds=5.0)
    async with reads.lifespan(settings, check=False) as standby:
        await standby.check()  # one position noted: the next check compares with it
        await standby.check()
        assert standby.in_rotation
        yield standby


async def test_without_a_read_url_every_read_is_on_the_primary_and_nothing_is_noted(users, db):
    assert not reads.enabled()
    before = reads_counted("primary", "not_configured")
    assert await reads.read(lambda conn: conn.fetchval(WHERE)) != reads.APPLICATION_NAME
    created = await users["clerk"].post("/api/v1/cases", json=dispute(summary="不分流"))
    assert created.status_code == 201, created.text
    assert (await users["clerk"].get("/api/v1/cases?limit=5")).status_code == 200
    assert reads_counted("primary", "not_configured") == before + 2
    assert await db.fetchval("SELECT count(*) FROM read_position WHERE user_id = $1", users.ids["clerk"]) == 0


async def test_heavy_reads_land_on_the_read_pool_and_show_as_casework_read(routed, users, db):
    before = reads_counted("standby", "in_rotation")
    supervisor = users["supervisor"]
    for path in ("/api/v1/backlog/summary?group_by=track", "/api/v1/backlog/overdue", "/api/v1/backlog/aging",
                 "/api/v1/backlog/trends", "/api/v1/backlog/metrics", "/api/v1/backlog/rankings",
                 "/api/v1/cases?limit=5", "/api/v1/queue", "/api/v1/sync/changes", "/api/v1/backlog/export.csv",
                 "/api/v1/cases/export.csv"):
        response = await supervisor.get(path)
        assert response.status_code == 200, (path, response.text)
    assert reads_counted("standby", "in_rotation") == before + 11
    assert await reads.read(lambda conn: conn.fetchval(WHERE)) == reads.APPLICATION_NAME
    seen = await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                             "AND datname = current_database()", reads.APPLICATION_NAME)
    assert seen >= 1


async def test_a_write_notes_the_callers_position_which_their_next_request_must_see(routed, users, db):
    clerk_id = users.ids["clerk"]
    before = await db.fetchval("SELECT pg_current_wal_lsn()")
    created = await users["clerk"].post("/api/v1/cases", json=petition(summary="读己之写"))
    assert created.status_code == 201, created.text
    noted = await db.fetchval("SELECT lsn FROM read_position WHERE user_id = $1", clerk_id)
    assert before < noted <= await db.fetchval("SELECT pg_current_wal_lsn()")
    # A standby that has not replayed it yet: the caller's reads go to the primary and see the case.
    await db.execute("UPDATE read_position SET lsn = '7FFFFFFF/0' WHERE user_id = $1", clerk_id)
    try:
        behind = reads_counted("primary", "behind_caller")
        listed = await users["clerk"].get("/api/v1/cases?limit=5")
        assert created.json()["reference"] in [c["reference"] for c in listed.json()["items"]]
        assert reads_counted("primary", "behind_caller") == behind + 1
        # Someone who did not write is served by the standby meanwhile.
        standby = reads_counted("standby", "in_rotation")
        assert (await users["officer"].get("/api/v1/cases?limit=5")).status_code == 200
        assert reads_counted("standby", "in_rotation") == standby + 1
    finally:
        await db.execute("UPDATE read_position SET lsn = pg_current_wal_lsn() WHERE user_id = $1", clerk_id)


async def test_a_read_inside_or_after_a_transaction_of_the_request_stays_on_the_primary(routed):
    with reads.request_scope():
        assert await reads.read(lambda conn: conn.fetchval(WHERE)) == reads.APPLICATION_NAME
        async with transaction():
            assert await reads.read(lambda conn: conn.fetchval(WHERE)) != reads.APPLICATION_NAME
        assert await reads.read(lambda conn: conn.fetchval(WHERE)) != reads.APPLICATION_NAME
    assert reads_counted("primary", "after_write") >= 1 and reads_counted("primary", "transaction") >= 1


async def test_a_standby_behind_the_lag_setting_is_taken_out_and_reads_go_to_the_primary(routed, monkeypatch, users):
    # replayed nothing noted since
    monkeypatch.setattr(reads, "CHECK_SQL", "SELECT pg_is_in_recovery() AS standby, '0/1'::pg_lsn AS replayed")
    await routed.check()
    assert not routed.in_rotation
    assert REGISTRY.get_sample_value("casework_read_standby_in_rotation") == 0
    out = reads_counted("primary", "out_of_rotation")
    assert (await users["supervisor"].get("/api/v1/backlog/summary")).status_code == 200
    assert reads_counted("primary", "out_of_rotation") == out + 1
    monkeypatch.undo()
    await routed.check()
    assert routed.in_rotation


def test_the_lag_is_the_age_of_the_newest_primary_position_the_standby_has_passed():
    standby = reads.Standby(dataclasses.replace(get_settings(), read_database_url="postgresql://x/y",
                                                read_max_lag_seconds=5.0))
    now = time.monotonic()
    standby.samples.extend([(now - 10, 100), (now - 3, 200), (now - 0.5, 300)])
    in_rotation, lag = standby.lag(250)
    assert in_rotation and 3 <= lag < 3.5
    in_rotation, lag = standby.lag(150)
    assert not in_rotation and 10 <= lag < 10.5
    assert standby.lag(300)[1] < 1
    assert standby.lag(50) == (False, pytest.approx(10, abs=0.5))  # behind every position noted


async def test_a_standby_that_refuses_connections_is_never_an_error(app, users):
    settings = dataclasses.replace(get_settings(), read_database_url=closed_port_url(), read_max_lag_seconds=5.0)
    async with reads.lifespan(settings, check=False) as standby:
        with pytest.raises(OSError):
            await standby.check()
        standby.set_rotation(True, 0.0)  # as if it had failed only after its last check
        failed = reads_counted("primary", "standby_failed")
        response = await users["supervisor"].get("/api/v1/backlog/summary")
        assert response.status_code == 200, response.text
        assert reads_counted("primary", "standby_failed") == failed + 1
        assert not standby.in_rotation


async def test_a_standby_connection_that_dies_under_a_read_is_read_again_on_the_primary(routed):
    async def read_where_the_standby_dies(conn):
        if await conn.fetchval(WHERE) == reads.APPLICATION_NAME:
            await conn.fetchval("SELECT pg_terminate_backend(pg_backend_pid())")
        return await conn.fetchval(WHERE)

    failed = reads_counted("primary", "standby_failed")
    assert await reads.read(read_where_the_standby_dies) != reads.APPLICATION_NAME
    assert reads_counted("primary", "standby_failed") == failed + 1
    assert not routed.in_rotation  # until the next check passes
    await routed.check()
    assert routed.in_rotation


async def test_the_public_lookup_reads_on_the_standby_once_it_has_what_the_primary_had(routed, app, users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(summary="公众查询分流"))).json()
    credentials = {"reference": case["reference"], "receipt_code": case["receipt_code"]}
    standby = reads_counted("standby", "in_rotation")
    async with client_from(app) as party:
        response = await party.post("/api/v1/public/lookup", json=credentials)
    assert response.status_code == 200, response.text
    assert reads_counted("standby", "in_rotation") == standby + 1


async def test_a_read_node_that_turns_out_a_primary_is_left_when_the_url_asked_for_a_standby(routed, users):
    """After a failover the pooled read connections reach the promoted node:
    with target_session_attrs=standby they are dropped and the reads go to
    the primary until a check finds a standby again."""
    assert reads.Standby(dataclasses.replace(
        get_settings(), read_database_url="postgresql://u:p@db1:5432,db2:5432/casework?target_session_attrs=standby",
    )).standby_only
    assert not routed.standby_only  # the test database: no attribute asked for, a primary serves
    routed.standby_only = True
    await routed.check()
    assert not routed.in_rotation
    out = reads_counted("primary", "out_of_rotation")
    assert (await users["supervisor"].get("/api/v1/cases?limit=5")).status_code == 200
    assert reads_counted("primary", "out_of_rotation") == out + 1
