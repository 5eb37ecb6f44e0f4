"""What the cluster checks look at after a fault: references gapless per
county, and the first write acknowledged after a moment."""

from __future__ import annotations

import asyncio
import itertools
import time

from tests.reliability.load import Tally


async def reference_gaps(conn) -> dict[str, int]:
    """Per county and year, numbers that are missing or doubled in 1..max."""
    rows = await conn.fetch(
        """SELECT split_part(reference, '-', 1) || '-' || split_part(reference, '-', 2) AS series,
                  count(*) AS n, count(DISTINCT split_part(reference, '-', 3)::int) AS distinct_n,
                  max(split_part(reference, '-', 3)::int) AS highest
           FROM case_file GROUP BY 1""")
    return {r["series"]: r["highest"] - r["distinct_n"] + (r["n"] - r["distinct_n"])
            for r in rows if r["highest"] != r["distinct_n"] or r["n"] != r["distinct_n"]}


async def first_write_after(tally: Tally, moment: float, timeout: float = 120) -> float:
    """Seconds from ``moment`` to the end of the first intake or action
    acknowledged that started after it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [o.ended for o in tally.outcomes if o.started >= moment and o.op != "read"
                and o.status in (200, 201)]
        if done:
            return round(min(done) - moment, 2)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no write acknowledged within {timeout}s of the fault")


def longest_write_gap(tally: Tally, since: float) -> float:
    """The longest stretch after ``since`` with no intake or action acknowledged:
    how long writes stopped while the primary changed."""
    ends = sorted(o.ended for o in tally.outcomes if o.op != "read" and o.status in (200, 201) and o.ended >= since)
    moments = [since, *ends]
    return round(max((b - a for a, b in itertools.pairwise(moments)), default=0.0), 2)


async def subscribe(service, receiver) -> int:
    """Subscribe a loopback webhook receiver to the city's events; returns
    the last outbox row before the subscription (it gets those after)."""
    from tests.reliability.load import client

    async with client(service.base_url, service.token("admin")) as admin:
        response = await admin.post("/api/v1/webhooks/subscriptions", json={
            "url": receiver.url, "secret": "cluster-secret-0123456789abcdef", "event_types": [],
            "division_prefix": "1404"})
        assert response.status_code in (200, 201), response.text
    return response.json()["starts_after_outbox_id"]


async def wait_for_deliveries(conn, receiver, after: int, timeout: float) -> tuple[set[str], float]:
    """Events of the subscription the receiver has not had yet, once all
    arrived or the time ran out; and the seconds waited."""
    started = time.monotonic()
    while True:
        expected = {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM outbox WHERE id > $1", after)}
        missing = expected - set(receiver.received)
        if not missing or time.monotonic() - started > timeout:
            return missing, round(time.monotonic() - started, 1)
        await asyncio.sleep(1)
