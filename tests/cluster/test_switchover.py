"""A planned switchover (``patronictl switchover``) under the same load as
the failover check: nothing but successes, refused If-Match (412) and 503s
with Retry-After while the primary changes; nothing acknowledged lost."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.cluster.checks import first_write_after, longest_write_gap, reference_gaps
from tests.reliability import harness
from tests.reliability.load import Tally, Workers

pytestmark = pytest.mark.cluster


async def test_a_planned_switchover_under_load_answers_nothing_worse_than_503(healthy_cluster, request):
    cluster = healthy_cluster
    clients = harness.size(4, 12)
    service = cluster.services[1]
    tally = Tally()
    workers = Workers(cluster.base_url, service.token("clerk"), service.token("mediator"), tally, "switchover")
    until = asyncio.Event()
    load = [asyncio.create_task(workers.run_one(n, until=until)) for n in range(clients)]
    try:
        await asyncio.sleep(3)
        before = cluster.leader()
        candidate = next(name for name in cluster.nodes if name != before)
        started = time.monotonic()
        await asyncio.to_thread(cluster.switchover, candidate)
        await asyncio.to_thread(cluster._wait, lambda: cluster.leader() == candidate, 60, "the new leader")
        await first_write_after(tally, time.monotonic())
        await asyncio.to_thread(cluster.wait_healthy, 120)
        after = cluster.leader()
        await asyncio.sleep(2)
        writes_stopped = longest_write_gap(tally, started)
    finally:
        until.set()
        await asyncio.gather(*load, return_exceptions=True)
    for task in load:
        if task.exception():
            raise task.exception()
    await workers.retry_pending()
    conn = await asyncpg.connect(cluster.dsn())
    try:
        lost = await workers.check_acknowledged(conn)
        gaps = await reference_gaps(conn)
    finally:
        await conn.close()
    statuses = tally.statuses()
    errors = {s: n for s, n in statuses.items() if s not in (200, 201, 412, 503)}
    bad_503s = tally.bad_503s()
    ok = after == candidate and not errors and not bad_503s and not any(lost.values()) and not gaps
    harness.record(harness.Row(
        check="Cluster: planned switchover",
        tried=f"`patronictl switchover` from {before} to {candidate} while {clients} clients registered cases "
              f"and acted through HAProxy",
        amount=f"{len(tally.outcomes)} requests, {statuses.get(503, 0)} answered 503",
        held=f"errors other than 503: {sum(errors.values())}; 503s all problem+json with Retry-After: "
             f"{not bad_503s}; writes stopped for at most {writes_stopped}s; "
             f"references gapless per county: {not gaps}",
        lost=f"{lost['intakes_lost']} cases, {lost['actions_lost']} actions, {lost['duplicate_cases']} duplicates",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "statuses": {str(k): v for k, v in statuses.items()},
                 "primary_before": before, "primary_after": after, "writes_stopped_seconds": writes_stopped,
                 "lost": lost, "reference_gaps": gaps},
    ))
    assert after == candidate
    assert not errors, (errors, [(o.op, o.status, o.error, o.body) for o in tally.outcomes
                                 if o.status not in (200, 201, 412, 503)][:5])
    assert not bad_503s, [(o.op, o.content_type, o.retry_after) for o in bad_503s[:5]]
    assert not any(lost.values()), lost
    assert not gaps, gaps
