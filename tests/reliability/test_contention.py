"""Hundreds of concurrent actions on a handful of cases, mixed with intake
in the same county: no lost update, no duplicate reference, no deadlock
surfacing to a client, event logs that agree with the final states."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.reliability import harness
from tests.reliability.load import Tally, check_cases_complete, client, draft, today

pytestmark = pytest.mark.reliability


async def test_concurrent_actions_and_intake_lose_no_update_and_duplicate_no_reference(service_factory, request):
    service = await service_factory("contention")
    hot_cases = harness.size(5, 10)
    attempts = harness.size(400, 2000)
    intakes = harness.size(150, 600)
    concurrency = harness.size(60, 150)
    limits = httpx.Limits(max_connections=concurrency + 20, max_keepalive_connections=concurrency + 20)
    tally = Tally()
    async with client(service.base_url, service.token("clerk"), limits=limits) as clerk, \
            client(service.base_url, service.token("mediator"), limits=limits) as mediator:
        references = []
        for n in range(hot_cases):
            created = await tally.call(clerk, "intake", "POST", "/api/v1/cases", json=draft(f"hot {n}"))
            assert created.status == 201, created.body
            references.append(created.body["reference"])
            accepted = await tally.call(mediator, "accept", "POST", f"/api/v1/cases/{references[-1]}/actions/accept",
                                        json={}, headers={"If-Match": created.etag})
            assert accepted.status == 200, accepted.body
        wins: Counter = Counter()
        gate = asyncio.Semaphore(concurrency)

        async def one_action(n: int) -> None:
            reference = references[n % hot_cases]
            async with gate:
                read = await tally.call(mediator, "read", "GET", f"/api/v1/cases/{reference}")
                if read.status != 200:
                    return
                done = await tally.call(mediator, "record_session", "POST",
                                        f"/api/v1/cases/{reference}/actions/record_session",
                                        json={"held_on": today(), "location": f"调解室 {n}"},
                                        headers={"If-Match": read.etag})
                if done.status == 200:
                    wins[reference] += 1

        new_references: list[str] = []

        async def one_intake(n: int) -> None:
            async with gate:
                created = await tally.call(clerk, "intake", "POST", "/api/v1/cases", json=draft(f"busy {n}"))
                if created.status == 201:
                    new_references.append(created.body["reference"])

        jobs = [one_action(n) for n in range(attempts)] + [one_intake(n) for n in range(intakes)]
        jobs = [jobs[i] for i in sorted(range(len(jobs)), key=lambda i: (i * 7919) % len(jobs))]  # interleave
        await asyncio.gather(*jobs)

    conn = await asyncpg.connect(service.database_url)
    try:
        lost_updates = 0
        for reference in references:
            row = await conn.fetchrow(
                """SELECT c.version,
                          (SELECT count(*) FROM mediation_session s WHERE s.case_id = c.id) AS sessions,
                          (SELECT count(*) FROM case_event e WHERE e.case_id = c.id
                              AND e.type = 'session_recorded') AS session_events
                   FROM case_file c WHERE c.reference = $1""", reference)
            if not (row["sessions"] == row["session_events"] == wins[reference]
                    and row["version"] == 2 + wins[reference]):
                lost_updates += 1
        whole = await check_cases_complete(conn)
    finally:
        await conn.close()
    seqs = sorted(int(r.rsplit("-", 1)[1]) for r in references + new_references)
    duplicates = len(seqs) - len(set(seqs))
    gaps = (seqs[-1] - seqs[0] + 1 - len(set(seqs))) if seqs else 0
    statuses = tally.statuses()
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 201, 412)}
    deadlocks = sum(1 for line in service.log_errors() if "deadlock" in line.lower())
    incomplete = {k: v for k, v in whole.items() if k != "cases" and v}
    ok = not lost_updates and not duplicates and not gaps and not unexpected and not deadlocks and not incomplete \
        and len(new_references) == intakes
    harness.record(harness.Row(
        check="Contention",
        tried=f"{attempts} record_session actions (read ETag, act) on {hot_cases} cases, interleaved with "
              f"{intakes} intakes in the same county, {concurrency} at a time",
        amount=f"{len(tally.outcomes)} requests; {sum(wins.values())} actions won, {statuses.get(412, 0)} "
               f"refused 412 (stale ETag), {len(new_references)} cases registered",
        held=f"5xx {sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)}, deadlock errors "
             f"{deadlocks}, references unique and consecutive ({duplicates} duplicates, {gaps} gaps), each case's "
             f"sessions = its session events = the 200s it got, version = 2 + wins; slowest {tally.max_seconds()}s; "
             f"{tally.transport_retries} GETs retried once after a reused connection was closed",
        lost=f"{lost_updates} lost updates, {intakes - len(new_references)} intakes",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "statuses": {str(k): v for k, v in statuses.items()},
                 "wins": dict(wins), "incomplete": incomplete, "transport_retries": tally.transport_retries},
    ))
    assert not unexpected, (unexpected, [(o.op, o.status, o.body) for o in tally.outcomes
                                         if o.status not in (200, 201, 412)][:5])
    assert not deadlocks
    assert not lost_updates
    assert not duplicates and not gaps, (duplicates, gaps)
    assert not incomplete, incomplete
    assert len(new_references) == intakes
