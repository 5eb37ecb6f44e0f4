"""The intake floor: a plain asyncpg program writing the rows intake writes.

Per case, in one transaction over a TCP (or the same Unix-socket)
connection to the same server: the case (under a provisional reference),
2 parties, the proceeding, the routing decision, the clock, then the
county's gapless reference counter (taken last, as intake does, so the row
lock is held only for the last statements), the final reference and
current proceeding, and the 3 events with their 3 outbox rows (one
statement, the same as ``casework.cases.events``). The database triggers
(backlog counters at commit, append-only events) fire as for intake.

The rows are copies of cases the service itself registered (templates
taken after the intake measurement: same tracks, bodies, rules, clocks,
encrypted phone, event payloads), with a new summary and names each time,
spread over the same divisions. What the floor leaves out is everything
that is not a write: HTTP, JSON, validation, routing, repeat search, the
response.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import asyncpg

CASE = """
WITH new_id AS (SELECT nextval(pg_get_serial_sequence('case_file', 'id')) AS id)
INSERT INTO case_file (id, reference, county_code, year, seq, kind, channel, petition_type, category_code,
    summary, description, division_code, received_at, headcount, collective, risk_level, status, track, stage,
    body_id, receipt_code_hash, created_by, possible_repeats)
SELECT new_id.id, 'pending-' || new_id.id, $1, $2, -new_id.id, $3, $4, $5, $6, $7, '', $8, now(), $9, $10,
       $11, 'open', $12, $13, $14, 'pending', $15, '[]'::jsonb
FROM new_id RETURNING id
"""
PARTIES = """
INSERT INTO party (case_id, position, role, kind, name, phone_enc, phone_hash, phone_masked)
SELECT $1, x.position, x.role, x.kind, x.name, x.phone_enc, x.phone_hash, x.phone_masked
FROM unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
     AS x(position, role, kind, name, phone_enc, phone_hash, phone_masked)
"""
PROCEEDING = """
INSERT INTO proceeding (case_id, seq, track, body_id, state, opened_at, opened_reason)
VALUES ($1, 1, $2, $3, $4, now(), 'intake') RETURNING id
"""
DECISION = """
INSERT INTO routing_decision (case_id, rule_id, rule_code, track, body_id, reason, suggested_track, decided_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
CLOCK = """
INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on, state)
VALUES ($1, $2, $3, current_date, $4, 'running')
"""
COUNTER = """
INSERT INTO reference_counter (county_code, year, last_seq) VALUES ($1, $2, 1)
ON CONFLICT (county_code, year) DO UPDATE SET last_seq = reference_counter.last_seq + 1
RETURNING last_seq
"""
FINAL = """
UPDATE case_file SET reference = $2, seq = $3, receipt_code_hash = $4, current_proceeding_id = $5,
                     next_due_on = $6
WHERE id = $1
"""
EVENTS = """
WITH e AS (
    INSERT INTO case_event (case_id, proceeding_id, actor_id, actor_role, type, data)
    SELECT $1, x.proceeding_id, $2, $3, x.type, x.data::jsonb
    FROM unnest($4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY AS x(proceeding_id, type, data, n)
    ORDER BY x.n
    RETURNING id, type, at, data
), o AS (
    INSERT INTO outbox (event_id, case_id, type, payload)
    SELECT e.id, $1, e.type,
           jsonb_build_object('event_id', e.id, 'type', e.type, 'case', $7::text, 'at', e.at, 'data', e.data)
    FROM e ORDER BY e.id
)
SELECT id FROM e ORDER BY id
"""

TEMPLATES = """
SELECT c.id, c.county_code, c.year, c.kind, c.channel, c.petition_type, c.category_code, c.division_code,
       c.headcount, c.collective, c.risk_level, c.track, c.stage, c.body_id, c.created_by, c.next_due_on,
       d.rule_id, d.rule_code, d.reason, d.suggested_track,
       k.time_limit_code, k.due_on,
       u.role AS actor_role,
       (SELECT array_agg(p.phone_enc ORDER BY p.position) FROM party p WHERE p.case_id = c.id) AS phone_enc,
       (SELECT array_agg(p.phone_hash ORDER BY p.position) FROM party p WHERE p.case_id = c.id) AS phone_hash,
       (SELECT array_agg(p.phone_masked ORDER BY p.position) FROM party p WHERE p.case_id = c.id) AS phone_masked,
       (SELECT array_agg(e.type ORDER BY e.id) FROM case_event e WHERE e.case_id = c.id) AS event_types,
       (SELECT array_agg(e.data::text ORDER BY e.id) FROM case_event e WHERE e.case_id = c.id) AS event_data
FROM case_file c
JOIN routing_decision d ON d.case_id = c.id
JOIN clock k ON k.case_id = c.id
JOIN app_user u ON u.id = c.created_by
WHERE c.created_by = $1 AND c.status = 'open'
ORDER BY c.id DESC LIMIT $2
"""


async def templates(url: str, user_id: int, limit: int = 500) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        rows = [dict(r) for r in await conn.fetch(TEMPLATES, user_id, limit)]
    finally:
        await conn.close()
    # Intake's shape: 2 parties, 1 clock, 3 events. Keep only those.
    return [r for r in rows if len(r["event_types"] or []) == 3 and len(r["phone_enc"] or []) == 2]


async def write_case(conn: asyncpg.Connection, t: dict[str, Any], n: int) -> None:
    async with conn.transaction():
        case_id = await conn.fetchval(
            CASE, t["county_code"], t["year"], t["kind"], t["channel"], t["petition_type"], t["category_code"],
            f"底线纠纷 {n}", t["division_code"], t["headcount"], t["collective"], t["risk_level"], t["track"],
            t["stage"], t["body_id"], t["created_by"],
        )
        await conn.execute(
            PARTIES, case_id, [1, 2], ["applicant", "respondent"], ["person", "person"],
            [f"底线申请人{n}", f"底线被申请人{n}"], t["phone_enc"], t["phone_hash"], t["phone_masked"],
        )
        proceeding_id = await conn.fetchval(PROCEEDING, case_id, t["track"], t["body_id"], t["stage"])
        await conn.execute(DECISION, case_id, t["rule_id"], t["rule_code"], t["track"], t["body_id"], t["reason"],
                           t["suggested_track"], t["created_by"])
        await conn.execute(CLOCK, case_id, proceeding_id, t["time_limit_code"], t["due_on"])
        seq = await conn.fetchval(COUNTER, t["county_code"], t["year"])
        reference = f"{t['county_code']}-{t['year']}-{seq:06d}"
        await conn.execute(FINAL, case_id, reference, seq, f"floor-{n}", proceeding_id, t["next_due_on"])
        await conn.fetch(
            EVENTS, case_id, t["created_by"], t["actor_role"], [proceeding_id] * 3, t["event_types"],
            t["event_data"], reference,
        )


async def run_floor(url: str, tmpl: list[dict[str, Any]], *, connections: int, seconds: float,
                    run: int = 0) -> dict[str, Any]:
    """Cases per second and per-case latency with ``connections`` concurrent writers."""
    conns = [await asyncpg.connect(url) for _ in range(connections)]
    latencies: list[float] = []
    errors = 0
    stop_at = 0.0

    async def worker(index: int, conn: asyncpg.Connection) -> int:
        nonlocal errors
        rng = random.Random(run * 1000 + index)
        done = 0
        while time.perf_counter() < stop_at:
            n = (run * 64 + index) * 10_000_000 + done
            started = time.perf_counter()
            try:
                await write_case(conn, rng.choice(tmpl), n)
            except asyncpg.PostgresError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            done += 1
        return done

    try:
        started = time.perf_counter()
        stop_at = started + seconds
        counts = await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
        elapsed = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))] * 1000 if latencies else 0.0  # noqa: E731
    return {"cases": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed, "errors": errors,
            "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def decode(value: Any) -> Any:  # pragma: no cover - debugging aid
    return json.loads(value) if isinstance(value, str) else value
