"""Benchmark: the city-wide backlog summary at a million cases, against a
naive GROUP BY over the case table measured in the same run.

    PYTHONPATH=src python bench/backlog_summary.py --cases 1000000 \
        --server postgresql://postgres@127.0.0.1:5432/postgres

Makes a fresh database ``casework_bench`` on the server, migrates it, seeds
it with ``casework seed-bench`` (COPY + set-based SQL), then times:

- the endpoint end to end (GET /api/v1/backlog/summary through the ASGI app,
  a city supervisor, jurisdiction 1404), for each grouping;
- the naive query: open cases of the city grouped by track, with overdue
  and due-soon counts from each case's earliest unstopped clock, straight
  from case_file and clock.

Writes bench/results/backlog_summary.md. Not a test: numbers depend on the
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
NAIVE = """
SELECT c.track, count(*) AS open,
       count(*) FILTER (WHERE d.due_on < $3) AS overdue,
       count(*) FILTER (WHERE d.due_on >= $3 AND d.due_on <= $4) AS due_soon
FROM case_file c
LEFT JOIN (SELECT case_id, min(due_on) AS due_on FROM clock WHERE state <> 'stopped' GROUP BY case_id) d
       ON d.case_id = c.id
WHERE c.status = 'open' AND c.division_code >= $1 AND c.division_code < $2
GROUP BY c.track
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(name: str, samples: list[float]) -> dict:
    return {"name": name, "runs": len(samples), "median": statistics.median(samples),
            "p99": pct(samples, 0.99), "min": min(samples), "max": max(samples)}


async def measure(url: str, runs: int, naive_runs: int) -> tuple[list[dict], dict]:
    os.environ["CASEWORK_DATABASE_URL"] = url
    os.environ["PICCOLO_CONF"] = "casework.piccolo_conf"
    os.environ.setdefault("CASEWORK_DATA_DIR", str(ROOT / "var" / "bench"))
    os.environ["CASEWORK_LOG_LEVEL"] = "WARNING"
    import asyncpg
    import httpx

    from casework.access.service import UserError, create_user
    from casework.app import create_app
    from casework.backlog import service
    from casework.db import pool_lifespan

    app = create_app()
    results = []
    async with pool_lifespan(app):
        try:
            await create_user(username="bench_bureau", password="bench-password", role="supervisor",
                              jurisdiction="1404", body_code="CZ-PB")
        except UserError:
            pass
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            token = (await client.post("/api/v1/auth/token", json={"username": "bench_bureau",
                                                                   "password": "bench-password"})).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            for dim in ("track", "division", "stage", "category", "body"):
                samples = []
                for i in range(runs + 5):
                    started = time.perf_counter()
                    response = await client.get("/api/v1/backlog/summary", params={"group_by": dim})
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, response.text
                    if i >= 5:  # warm-up
                        samples.append(elapsed)
                results.append(summarize(f"GET /api/v1/backlog/summary?group_by={dim} (city)", samples))
            body = (await client.get("/api/v1/backlog/summary", params={"group_by": "track"})).json()
        today, soon = await service.as_of()
        conn = await asyncpg.connect(url)
        try:
            naive_rows = None
            samples = []
            for i in range(naive_runs + 2):
                started = time.perf_counter()
                naive_rows = await conn.fetch(NAIVE, "1404", "1404:", today, soon)
                if i >= 2:
                    samples.append((time.perf_counter() - started) * 1000)
            results.append(summarize("naive GROUP BY over case_file + clock (city, by track)", samples))
            counts = {
                "cases": await conn.fetchval("SELECT count(*) FROM case_file"),
                "open": await conn.fetchval("SELECT count(*) FROM backlog_case WHERE open"),
                "tally_rows": await conn.fetchval("SELECT count(*) FROM backlog_tally"),
                "tally_rows_city_body": await conn.fetchval(
                    "SELECT count(*) FROM backlog_tally WHERE scope = '1404' AND dim = 'body'"),
                "clocks": await conn.fetchval("SELECT count(*) FROM clock"),
                "parties": await conn.fetchval("SELECT count(*) FROM party"),
                "events": await conn.fetchval("SELECT count(*) FROM case_event"),
            }
        finally:
            await conn.close()
    naive = {r["track"]: (r["open"], r["overdue"], r["due_soon"]) for r in naive_rows}
    api = {g["key"]["track"]: (g["open"], g["overdue"], g["due_soon"]) for g in body["groups"]}
    counts["api_equals_naive"] = naive == api
    return results, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="casework_bench")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--naive-runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded database")
    args = parser.parse_args()
    parts = urlsplit(args.server)
    url = urlunsplit(parts._replace(path=f"/{args.database}"))
    seed_output, seed_seconds = "(reused)", 0.0
    if not args.reuse:
        import asyncpg

        async def recreate() -> None:
            conn = await asyncpg.connect(args.server)
            await conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{args.database}"')
            await conn.close()

        asyncio.run(recreate())
        env = {**os.environ, "CASEWORK_DATABASE_URL": url,
               "CASEWORK_DATA_DIR": str(ROOT / "var" / "bench"), "PYTHONPATH": str(ROOT / "src")}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "casework.cli", "seed-bench", "--cases", str(args.cases)],
                              env=env, capture_output=True, text=True)
        seed_seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(done.stderr[-4000:])
        seed_output = done.stdout.strip().splitlines()[-1]
        print(seed_output, flush=True)
    results, counts = asyncio.run(measure(url, args.runs, args.naive_runs))
    lines = [
        "# Backlog summary benchmark", "",
        f"- server: {args.server.split('@')[-1]} ({args.database}); machine: {os.cpu_count()} cores",
        f"- seed: `casework seed-bench --cases {args.cases}`: {seed_output}; wall time with migrations "
        f"{seed_seconds:.1f} s",
        "- data: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        "", "| query | runs | median ms | p99 ms | min ms | max ms |", "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['name']} | {r['runs']} | {r['median']:.2f} | {r['p99']:.2f} | {r['min']:.2f} | "
                     f"{r['max']:.2f} |")
    report = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "backlog_summary.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
