"""The benchmark's seed at smoke size, in a database of its own: it loads,
and the counters it rebuilds agree with a recount of the cases."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.backlog.recount import assert_counters_match
from tests.conftest import ADMIN_URL, _with_database


async def test_the_bench_seed_loads_a_consistent_city(database):
    name = f"casework_bench_smoke_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(ADMIN_URL, name)
    try:
        src = str(Path(__file__).resolve().parents[2] / "src")
        env = {**os.environ, "CASEWORK_DATABASE_URL": url,
               "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-m", "casework.cli", "seed-bench", "--cases", "3000"],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        # Progress on stderr, per batch and step; the summary stays the last line of stdout.
        assert "seed-bench: cases 3000/3000" in done.stderr and "seed-bench: analyze done" in done.stderr
        assert done.stdout.strip().splitlines()[-1].startswith("seeded 3000 cases: ")
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM case_file") == 3000
            assert await conn.fetchval("SELECT count(*) FROM party") == 6000
            assert await conn.fetchval("SELECT count(*) FROM backlog_case") == 3000
            assert 0 < await conn.fetchval("SELECT count(*) FROM backlog_case WHERE open") < 3000
            await assert_counters_match(conn)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
