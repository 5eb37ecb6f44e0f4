"""Recount the backlog from case_file and clock, and compare with what the
triggers keep (backlog_case and backlog_tally): a case is due by its body's
running clocks (docs/proceedings.md). Due dates before today are
folded together on both sides, as backlog_compact() folds them."""

from __future__ import annotations

RECOUNT = """
WITH fresh AS (
    SELECT c.id AS case_id, c.status = 'open' AS open, c.division_code, c.kind, c.body_id, c.track, c.stage,
           c.category_code,
           (SELECT min(k.due_on) FROM clock k
            WHERE k.case_id = c.id AND k.state = 'running' AND k.whose = 'body') AS due_on,
           (c.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS received_on,
           NULL::timestamptz AS left_open_at
    FROM case_file c
)
SELECT k.scope, k.dim, k.value,
       CASE WHEN k.due_on < (casework_now() AT TIME ZONE 'Asia/Shanghai')::date THEN '-infinity'::date ELSE k.due_on END AS due_on, sum(k.n) AS n
FROM fresh f CROSS JOIN LATERAL backlog_keys(f::backlog_case, 1) k
GROUP BY 1, 2, 3, 4
"""

KEPT = """
SELECT scope, dim, value,
       CASE WHEN due_on < (casework_now() AT TIME ZONE 'Asia/Shanghai')::date THEN '-infinity'::date ELSE due_on END AS due_on, sum(n) AS n
FROM backlog_tally GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
"""


async def assert_counters_match(db) -> None:
    fresh = {tuple(r[:4]): r["n"] for r in await db.fetch(RECOUNT)}
    kept = {tuple(r[:4]): r["n"] for r in await db.fetch(KEPT)}
    missing = {k: v for k, v in fresh.items() if kept.get(k) != v}
    extra = {k: v for k, v in kept.items() if fresh.get(k) != v}
    assert not missing and not extra, (list(missing.items())[:5], list(extra.items())[:5])
    stale = await db.fetch(
        """SELECT c.id FROM case_file c LEFT JOIN backlog_case b ON b.case_id = c.id
           WHERE b.case_id IS NULL OR b.open <> (c.status = 'open') OR b.stage <> c.stage
              OR b.track <> c.track OR b.body_id IS DISTINCT FROM c.body_id
              OR b.due_on IS DISTINCT FROM (SELECT min(k.due_on) FROM clock k
                                            WHERE k.case_id = c.id AND k.state = 'running'
                                              AND k.whose = 'body')"""
    )
    assert not stale, [r["id"] for r in stale][:10]
