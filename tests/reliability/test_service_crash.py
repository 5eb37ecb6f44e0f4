"""The service process is killed (SIGKILL) mid-load and started again:
no half-written case, no duplicate from clients that retry with their
Idempotency-Keys, nothing acknowledged lost."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.reliability import harness
from tests.reliability.load import Tally, Workers, check_cases_complete

pytestmark = pytest.mark.reliability


async def test_a_killed_service_leaves_no_half_written_case_and_no_duplicate(service_factory, request):
    service = await service_factory("crash")
    kills = harness.size(2, 5)
    clients = harness.size(6, 12)

    tally = Tally()
    workers = Workers(service.base_url, service.token("clerk"), service.token("mediator"), tally, "crash")
    until = asyncio.Event()
    load = [asyncio.create_task(workers.run_one(n, until=until)) for n in range(clients)]
    restarts = []
    try:
        for _ in range(kills):
            await asyncio.sleep(harness.size(4, 8))
            killed = time.monotonic()
            service.kill()
            await asyncio.to_thread(service.start)
            restarts.append(round(time.monotonic() - killed, 2))
        await asyncio.sleep(harness.size(4, 8))
    finally:
        until.set()
        await asyncio.gather(*load, return_exceptions=True)
    for task in load:
        if task.exception():
            raise task.exception()
    retried = workers.unacknowledged()
    await workers.retry_pending()

    conn = await asyncpg.connect(service.database_url)
    try:
        lost = await workers.check_acknowledged(conn)
        whole = await check_cases_complete(conn)
    finally:
        await conn.close()
    statuses = tally.statuses()
    incomplete = {k: v for k, v in whole.items() if k != "cases" and v}
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 201, "transport")}
    cut_off = statuses.get("transport", 0)
    ok = not any(lost.values()) and not incomplete and not unexpected and workers.unacknowledged() == 0
    harness.record(harness.Row(
        check="Service crash (SIGKILL)",
        tried=f"{kills} SIGKILLs of `casework serve` mid-load, each followed by a restart, while {clients} "
              f"clients registered cases (retrying with their Idempotency-Keys) and took actions",
        amount=f"{len(tally.outcomes)} requests, {cut_off} cut off by a kill or refused while down, "
               f"{retried} intakes retried with their key, {whole['cases']} cases in the database",
        held=f"2xx {tally.ok()}, 5xx {sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)}; "
             f"restart to ready in {', '.join(f'{r}s' for r in restarts)}; every case whole (parties, proceeding, "
             f"clock, events, outbox); no idempotency claim left without its case",
        lost=f"{lost['intakes_lost']} cases, {lost['actions_lost']} actions, {lost['duplicate_cases']} duplicates",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "statuses": {str(k): v for k, v in statuses.items()},
                 "restart_seconds": restarts, "lost": lost, "incomplete": incomplete},
    ))
    assert not unexpected, (unexpected, [(o.op, o.status, o.body) for o in tally.outcomes
                                         if o.status not in (None, 200, 201)][:5])
    assert not any(lost.values()), lost
    assert not incomplete, incomplete
    assert workers.unacknowledged() == 0
