"""Two service instances on one database race for the same work: the
deadline sweep marks each clock once, the webhook dispatcher delivers each
event once, and the sign-in throttle counts failures made on either."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import asyncpg
import httpx
import pytest

from tests.cluster.checks import subscribe
from tests.reliability import harness
from tests.reliability.load import client, draft
from tests.reliability.test_webhooks import Receiver

pytestmark = pytest.mark.cluster


async def test_failed_sign_ins_on_either_instance_count_toward_one_throttle(healthy_cluster):
    first, second = healthy_cluster.services[:2]
    answers = []
    async with httpx.AsyncClient(timeout=30) as http:
        for attempt in range(5):  # CASEWORK_LOGIN_FAILURES_PER_ACCOUNT
            service = (first, second)[attempt % 2]
            answer = await http.post(service.base_url + "/api/v1/auth/token",
                                     json={"username": "auditor", "password": "wrong-password"})
            answers.append(answer.status_code)
        # The sixth, with the right password, on the instance that saw only two failures.
        refused = await http.post(second.base_url + "/api/v1/auth/token",
                                  json={"username": "auditor", "password": harness.DEMO_PASSWORD})
    assert answers == [401] * 5
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"]


async def test_both_instances_sweep_and_dispatch_and_each_thing_happens_once(healthy_cluster, request):
    cluster = healthy_cluster
    receiver = Receiver()
    await receiver.start()
    try:
        after = await subscribe(cluster.services[0], receiver)
        # Cases registered through both instances, then the shared clock
        # moved past every statutory period: both sweeps find every clock breached.
        for service in cluster.services[:2]:
            async with client(service.base_url, service.token("clerk")) as clerk:
                for n in range(harness.size(10, 50)):
                    assert (await clerk.post("/api/v1/cases", json=draft(f"race {service.port} {n}"))).status_code == 201
        moved_to = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        (cluster.root / "clock").write_text(moved_to.isoformat())

        conn = await asyncpg.connect(cluster.dsn())
        try:
            started = time.monotonic()
            while time.monotonic() - started < 60:
                unmarked = await conn.fetchval(
                    "SELECT count(*) FROM clock WHERE state = 'running' "
                    "AND breached_marked_at IS NULL AND due_on < $1", moved_to.date())
                expected = {str(r["event_id"]) for r in await conn.fetch(
                    "SELECT event_id FROM outbox WHERE id > $1", after)}
                if not unmarked and expected <= set(receiver.received):
                    break
                await asyncio.sleep(1)
            doubled_marks = await conn.fetchval(
                """SELECT count(*) FROM (SELECT e.data->>'clock_id' FROM case_event e WHERE e.type = 'clock_breached'
                   GROUP BY 1 HAVING count(*) > 1) doubled""")
            breaches = await conn.fetchval("SELECT count(*) FROM case_event WHERE type = 'clock_breached'")
            expected = {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM outbox WHERE id > $1",
                                                                       after)}
        finally:
            await conn.close()
    finally:
        await receiver.stop()
    missing = expected - set(receiver.received)
    doubled_deliveries = {e: n for e, n in receiver.received.items() if n > 1}
    ok = not unmarked and not doubled_marks and not missing and not doubled_deliveries and breaches > 0
    harness.record(harness.Row(
        check="Cluster: two instances racing",
        tried="both instances sweeping every second and dispatching webhooks, cases registered through both, "
              "the shared clock moved 400 days on; sign-in failures alternated between the instances",
        amount=f"{breaches} clocks marked breached, {len(expected)} events for the subscription, "
               f"{receiver.attempts} delivery attempts",
        held=f"clocks marked twice: {doubled_marks}; clocks left unmarked: {unmarked}; events delivered twice: "
             f"{len(doubled_deliveries)}; the throttle counted across both (separate check)",
        lost=f"{len(missing)} events", ok=ok,
        figures={"nodeid": request.node.nodeid, "breaches": breaches, "doubled_marks": doubled_marks,
                 "unmarked": unmarked, "missing": sorted(missing)[:20],
                 "doubled_deliveries": dict(list(doubled_deliveries.items())[:20])},
    ))
    assert breaches > 0 and not unmarked, (breaches, unmarked)
    assert not doubled_marks, doubled_marks
    assert not missing, f"{len(missing)} events never delivered"
    assert not doubled_deliveries, doubled_deliveries
