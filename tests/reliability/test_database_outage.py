"""The PostgreSQL server stops and starts again while clients register cases
and take actions: nothing acknowledged is lost, the outage is answered with
503 problem+json and Retry-After (never a 500, never a hang), and the service
recovers by itself."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.reliability import harness
from tests.reliability.load import CLIENT_TIMEOUT, Tally, Workers, check_cases_complete

pytestmark = pytest.mark.reliability

RECOVERY_LIMIT = 10.0  # seconds from the database accepting connections to the first 2xx write


async def test_a_database_outage_loses_nothing_acknowledged_and_heals_by_itself(service_factory, postgres, request):
    service = await service_factory("outage")
    cycles = harness.size(2, 5)
    outage_seconds = harness.size(4, 8)
    steady_seconds = harness.size(4, 8)
    clients = harness.size(6, 12)

    tally = Tally()
    workers = Workers(service.base_url, service.token("clerk"), service.token("mediator"), tally, "outage")
    until = asyncio.Event()
    load = [asyncio.create_task(workers.run_one(n, until=until)) for n in range(clients)]
    windows: list[tuple[float, float, str]] = []
    try:
        for cycle in range(cycles):
            await asyncio.sleep(steady_seconds)
            mode = "fast" if cycle % 2 == 0 else "immediate"
            down = time.monotonic()
            await asyncio.to_thread(postgres.stop, mode)
            await asyncio.sleep(outage_seconds)
            await asyncio.to_thread(postgres.start)
            windows.append((down, time.monotonic(), mode))
        await asyncio.sleep(steady_seconds)
    finally:
        until.set()
        await asyncio.gather(*load, return_exceptions=True)
    for task in load:
        if task.exception():
            raise task.exception()
    await workers.retry_pending()

    writes = ("intake", "accept", "record_session")
    recovery = []
    for _down, up, _mode in windows:
        firsts = [o.ended for o in tally.outcomes
                  if o.op in writes and o.started >= up and o.status is not None and 200 <= o.status < 300]
        recovery.append(round(min(firsts) - up, 2) if firsts else None)
    during = [o for o in tally.outcomes if any(o.started < up and o.ended > down for down, up, _ in windows)]

    conn = await asyncpg.connect(service.database_url)
    try:
        lost = await workers.check_acknowledged(conn)
        whole = await check_cases_complete(conn)
    finally:
        await conn.close()
    statuses = tally.statuses()
    incomplete = {k: v for k, v in whole.items() if k != "cases" and v}
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 201, 503)}
    ok = (not any(lost.values()) and not incomplete and not tally.server_errors() and not tally.hangs()
          and not tally.bad_503s() and not unexpected and all(r is not None and r <= RECOVERY_LIMIT for r in recovery))
    harness.record(harness.Row(
        check="Database outage",
        tried=f"{cycles} PostgreSQL stops ({', '.join(m for *_, m in windows)}) of {outage_seconds}s each "
              f"while {clients} clients registered cases and took actions",
        amount=f"{len(tally.outcomes)} requests ({len(during)} during outages), "
               f"{len(workers.acknowledged)} cases and {len(workers.acknowledged_actions)} actions acknowledged",
        held=f"2xx {tally.ok()}, 503 {statuses.get(503, 0)} (all problem+json with Retry-After: "
             f"{not tally.bad_503s()}), 500s {len(tally.server_errors())}, hangs past {CLIENT_TIMEOUT:.0f}s "
             f"{len(tally.hangs())}, slowest answer {tally.max_seconds()}s, recovered in "
             f"{', '.join(f'{r}s' for r in recovery)} without a restart; every case whole",
        lost=f"{lost['intakes_lost']} cases, {lost['actions_lost']} actions, {lost['duplicate_cases']} duplicates",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "postgres": postgres.version(), "statuses": dict(statuses),
                 "recovery_seconds": recovery, "lost": lost, "incomplete": incomplete, "cases": whole["cases"],
                 "still_unacknowledged": workers.unacknowledged(), "unexpected_statuses": unexpected},
    ))
    assert not tally.server_errors(), [(o.op, o.status, o.body) for o in tally.server_errors()[:5]]
    assert not tally.hangs(), [(o.op, o.error) for o in tally.hangs()[:5]]
    assert not tally.bad_503s(), [(o.op, o.content_type, o.retry_after) for o in tally.bad_503s()[:5]]
    assert not unexpected, (unexpected, [(o.op, o.status, o.body) for o in tally.outcomes
                                         if o.status not in (200, 201, 503)][:5])
    assert not any(lost.values()), lost
    assert not incomplete, incomplete
    assert all(r is not None and r <= RECOVERY_LIMIT for r in recovery), recovery
    assert workers.unacknowledged() == 0, "an intake still refused after the database came back"


async def test_a_frozen_database_is_answered_with_503_before_the_client_gives_up(service_factory, postgres, request):
    """The server stops answering without closing anything (SIGSTOP: a paused
    VM, a network partition). Requests must not hang: they get 503 within the
    service's database timeouts, and the service recovers once it answers."""
    service = await service_factory("frozen")
    freezes = harness.size(1, 3)
    frozen_seconds = harness.size(12, 20)  # longer than the client's timeout
    clients = harness.size(6, 12)

    tally = Tally()
    workers = Workers(service.base_url, service.token("clerk"), service.token("mediator"), tally, "frozen")
    until = asyncio.Event()
    load = [asyncio.create_task(workers.run_one(n, until=until)) for n in range(clients)]
    windows = []
    try:
        for _ in range(freezes):
            await asyncio.sleep(3)
            down = time.monotonic()
            pids = postgres.freeze()
            try:
                await asyncio.sleep(frozen_seconds)
            finally:
                postgres.thaw(pids)
            windows.append((down, time.monotonic()))
        await asyncio.sleep(harness.size(6, 10))
    finally:
        until.set()
        await asyncio.gather(*load, return_exceptions=True)
    for task in load:
        if task.exception():
            raise task.exception()
    await workers.retry_pending()

    recovery = []
    for _down, up in windows:
        firsts = [o.ended for o in tally.outcomes if o.op == "intake" and o.started >= up
                  and o.status is not None and 200 <= o.status < 300]
        recovery.append(round(min(firsts) - up, 2) if firsts else None)
    conn = await asyncpg.connect(service.database_url)
    try:
        lost = await workers.check_acknowledged(conn)
        whole = await check_cases_complete(conn)
    finally:
        await conn.close()
    statuses = tally.statuses()
    incomplete = {k: v for k, v in whole.items() if k != "cases" and v}
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 201, 503)}
    ok = (not any(lost.values()) and not incomplete and not tally.server_errors() and not tally.hangs()
          and not tally.bad_503s() and not unexpected and all(r is not None and r <= RECOVERY_LIMIT for r in recovery))
    harness.record(harness.Row(
        check="Database frozen (SIGSTOP)",
        tried=f"{freezes} freezes of every PostgreSQL process for {frozen_seconds}s (longer than the "
              f"{CLIENT_TIMEOUT:.0f}s client timeout) while {clients} clients worked",
        amount=f"{len(tally.outcomes)} requests, {len(workers.acknowledged)} cases and "
               f"{len(workers.acknowledged_actions)} actions acknowledged",
        held=f"2xx {tally.ok()}, 503 {statuses.get(503, 0)} (problem+json with Retry-After: {not tally.bad_503s()}), "
             f"500s {len(tally.server_errors())}, hangs past {CLIENT_TIMEOUT:.0f}s {len(tally.hangs())}, slowest "
             f"answer {tally.max_seconds()}s, recovered in {', '.join(f'{r}s' for r in recovery)}",
        lost=f"{lost['intakes_lost']} cases, {lost['actions_lost']} actions, {lost['duplicate_cases']} duplicates",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "statuses": dict(statuses), "recovery_seconds": recovery,
                 "lost": lost, "incomplete": incomplete, "slowest_seconds": tally.max_seconds()},
    ))
    assert not tally.hangs(), f"{len(tally.hangs())} requests hung past {CLIENT_TIMEOUT}s"
    assert not tally.server_errors(), [(o.op, o.status, o.body) for o in tally.server_errors()[:5]]
    assert not tally.bad_503s(), [(o.op, o.content_type, o.retry_after) for o in tally.bad_503s()[:5]]
    assert not unexpected, unexpected
    assert not any(lost.values()), lost
    assert not incomplete, incomplete
    assert all(r is not None and r <= RECOVERY_LIMIT for r in recovery), recovery
