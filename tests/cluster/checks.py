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
