"""Time is an input: a story runs on its statutory dates, in the test's own
process and in a real server process, and SQL sees the same day as Python."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from casework import timeutil
from tests.conftest import free_port
from tests.support import dispute


async def test_a_case_registered_on_a_moved_clock_carries_that_day_everywhere(users, db):
    with timeutil.travel_to("2027-01-04T09:30:00+08:00"):
        assert timeutil.today() == dt.date(2027, 1, 4)
        created = await users["clerk"].post("/api/v1/cases", json=dispute(summary="移动时钟"))
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["received_at"].startswith("2027-01-04T01:30")  # 09:30 in Beijing, in UTC
    clock = case["proceeding"]["clocks"][0]
    assert clock["started_on"] == "2027-01-04"
    row = await db.fetchrow("SELECT created_at, updated_at FROM case_file WHERE id = $1", case["id"])
    opened = await db.fetchval("SELECT opened_at FROM proceeding WHERE case_id = $1", case["id"])
    at = await db.fetchval("SELECT min(at) FROM case_event WHERE case_id = $1", case["id"])
    for moment in (row["created_at"], row["updated_at"], opened, at):
        assert timeutil.local_date(moment) == dt.date(2027, 1, 4), moment
    # Back on the wall clock, the connections say so too.
    assert timeutil.offset() is None
    later = (await users["clerk"].post("/api/v1/cases", json=dispute(summary="墙上时钟"))).json()
    created_at = await db.fetchval("SELECT created_at FROM case_file WHERE id = $1", later["id"])
    assert abs((created_at - timeutil.wall_now()).total_seconds()) < 120


async def test_a_real_server_lives_on_the_day_its_clock_file_says(app, users, tmp_path):
    from casework.access.service import create_user

    await create_user(username="clock_clerk", password="clock-clerk-pw", role="clerk", jurisdiction="140403",
                      body_code="140403-ROL")
    clock_file = tmp_path / "now"
    clock_file.write_text("2027-03-01T10:00:00+08:00")
    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src, "CASEWORK_BACKGROUND_TASKS": "0", "CASEWORK_CLOCK_FILE": str(clock_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "casework.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for _ in range(150):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            token = (await client.post("/api/v1/auth/token", json={"username": "clock_clerk",
                                                                    "password": "clock-clerk-pw"})).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            first = (await client.post("/api/v1/cases", json=dispute(summary="文件时钟"))).json()
            assert timeutil.local_date(dt.datetime.fromisoformat(first["received_at"])) == dt.date(2027, 3, 1)
            assert first["proceeding"]["clocks"][0]["started_on"] == "2027-03-01"
            # Writing the file again moves the running server.
            clock_file.write_text("2027-04-06T10:00:00+08:00")
            second = (await client.post("/api/v1/cases", json=dispute(summary="文件时钟二"))).json()
            assert second["proceeding"]["clocks"][0]["started_on"] == "2027-04-06"
            events = (await client.get(f"/api/v1/cases/{second['reference']}/events")).json()["items"]
            assert all(e["at"].startswith("2027-04-0") for e in events)
    finally:
        process.terminate()
        process.wait(timeout=10)
