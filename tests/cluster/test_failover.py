"""The primary dies under load: first its postmaster alone (Patroni
restarts it in place), then its Patroni with it (the standby is promoted once
the leader key expires; the old primary comes back as the standby, as
systemd's Restart=always would bring it). Clients keep registering cases
with Idempotency-Keys and acting with If-Match through HAProxy, and retry
what got no answer. Nothing acknowledged may be lost or doubled,
references stay gapless per county, and a webhook receiver that was up all
along gets every event (at least once: a delivery made just before the
primary died may be made again; the receiver tells by X-Casework-Event-Id)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.cluster.checks import (
    first_write_after,
    longest_write_gap,
    reference_gaps,
    subscribe,
    wait_for_deliveries,
)
from tests.reliability import harness
from tests.reliability.load import Tally, Workers, check_cases_complete
from tests.reliability.test_webhooks import Receiver

pytestmark = pytest.mark.cluster


async def test_the_primary_killed_under_load_loses_nothing_acknowledged(healthy_cluster, request):
    cluster = healthy_cluster
    clients = harness.size(4, 12)
    service = cluster.services[0]
    receiver = Receiver()
    await receiver.start()
    subscribed_after = await subscribe(service, receiver)
    tally = Tally()
    workers = Workers(cluster.base_url, service.token("clerk"), service.token("mediator"), tally, "failover")
    until = asyncio.Event()
    load = [asyncio.create_task(workers.run_one(n, until=until)) for n in range(clients)]
    faults = []
    try:
        await asyncio.sleep(3)
        # 1. The leader's postmaster alone.
        leader = cluster.leader()
        killed = time.monotonic()
        cluster.kill_postgres(leader)
        writes_back = await first_write_after(tally, killed)
        await asyncio.to_thread(cluster.wait_healthy, 120)
        faults.append({"fault": "SIGKILL of the primary's postmaster", "primary_before": leader,
                       "primary_after": cluster.leader(), "writes_back_seconds": writes_back,
                       "writes_stopped_seconds": longest_write_gap(tally, killed)})
        await asyncio.sleep(2)

        # 2. The leader's Patroni and postmaster: a failover.
        leader = cluster.leader()
        killed = time.monotonic()
        cluster.kill_node(leader)
        await asyncio.to_thread(cluster._wait, lambda: cluster.leader() not in (None, leader), 60,
                                "a new leader")
        promoted = round(time.monotonic() - killed, 2)
        # The dead node's host comes back (systemd restarts Patroni): it
        # rejoins as the synchronous standby, and in strict synchronous mode
        # writes are acknowledged again once it has.
        cluster.start_node(leader)
        writes_back = await first_write_after(tally, killed)
        await asyncio.to_thread(cluster.wait_healthy, 120)
        faults.append({"fault": "SIGKILL of the primary's Patroni and postmaster", "primary_before": leader,
                       "primary_after": cluster.leader(), "promoted_seconds": promoted,
                       "writes_back_seconds": writes_back, "writes_stopped_seconds": longest_write_gap(tally, killed)})
        await asyncio.sleep(2)
    finally:
        until.set()
        await asyncio.gather(*load, return_exceptions=True)
    for task in load:
        if task.exception():
            raise task.exception()
    retried = workers.unacknowledged()
    await workers.retry_pending()

    conn = await asyncpg.connect(cluster.dsn())
    try:
        lost = await workers.check_acknowledged(conn)
        whole = await check_cases_complete(conn)
        gaps = await reference_gaps(conn)
        undelivered, delivery_wait = await wait_for_deliveries(conn, receiver, subscribed_after,
                                                               harness.size(90, 300))
    finally:
        await conn.close()
        await receiver.stop()
    redelivered = sum(1 for n in receiver.received.values() if n > 1)
    statuses = tally.statuses()
    incomplete = {k: v for k, v in whole.items() if k != "cases" and v}
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 201, 412, 503)}
    bad_503s = tally.bad_503s()
    ok = (not any(lost.values()) and not incomplete and not unexpected and not gaps and not bad_503s
          and workers.unacknowledged() == 0 and not undelivered)
    harness.record(harness.Row(
        check="Cluster: primary killed under load",
        tried=f"through HAProxy to 2 service instances, {clients} clients registered cases (Idempotency-Key) and "
              f"acted (If-Match) while the Patroni primary's postmaster was SIGKILLed, then its Patroni and "
              f"postmaster (failover; the old primary rejoined as synchronous standby)",
        amount=f"{len(tally.outcomes)} requests, {retried} intakes retried with their key afterwards, "
               f"{whole['cases']} cases in the database",
        held=f"2xx {tally.ok()}, 503 {statuses.get(503, 0)} (all problem+json with Retry-After: "
             f"{not bad_503s}), other 5xx 0 expected, got {sum(n for s, n in unexpected.items())}; "
             + "; ".join(f"{f['fault']}: writes acknowledged again after {f['writes_back_seconds']}s"
                         + (f" (standby promoted after {f['promoted_seconds']}s)" if "promoted_seconds" in f else "")
                         for f in faults)
             + f"; references gapless per county: {not gaps}; every case whole; every webhook event delivered "
               f"{delivery_wait}s after the load ended: {not undelivered} ({redelivered} delivered twice)",
        lost=f"{lost['intakes_lost']} cases, {lost['actions_lost']} actions, {lost['duplicate_cases']} duplicates, "
             f"{len(undelivered)} events",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "statuses": {str(k): v for k, v in statuses.items()},
                 "events": len(receiver.received), "undelivered": sorted(undelivered)[:20],
                 "redelivered": redelivered, "faults": faults, "lost": lost, "incomplete": incomplete, "reference_gaps": gaps,
                 "slowest_seconds": tally.max_seconds()},
    ))
    assert not unexpected, (unexpected, [(o.op, o.status, o.error, o.body) for o in tally.outcomes
                                         if o.status not in (200, 201, 412, 503)][:5])
    assert not bad_503s, [(o.op, o.content_type, o.retry_after) for o in bad_503s[:5]]
    assert not any(lost.values()), lost
    assert not incomplete, incomplete
    assert not gaps, gaps
    assert workers.unacknowledged() == 0
    assert not undelivered, f"{len(undelivered)} events never delivered"
