"""A rush of sign-ins (a shift change, a whole office after a restart) is
hashed a few at a time: memory stays bounded, the queue is bounded, and the
rest are told to come back shortly; old hashes move to today's parameters."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.support_access import client_from
from tests.support_settings import settings_from_env

SRC = Path(__file__).resolve().parents[2] / "src"
TODAYS_PARAMETERS = "$argon2id$v=19$m=19456,t=2,p=1$"


async def _new_user(name: str) -> str:
    from casework.access.service import create_user

    password = "pw-" + secrets.token_hex(8)
    await create_user(username=name, password=password, role="clerk", jurisdiction="140403",
                      body_code="140403-ROL")
    return password


async def _sign_in(app, username: str, password: str):
    async with client_from(app) as anon:  # each from an address of its own, like separate stations
        return await anon.post("/api/v1/auth/token", json={"username": username, "password": password})


async def test_a_rush_of_sign_ins_hashes_a_few_at_a_time_and_turns_the_rest_away_with_retry_after(app, db):
    names = [f"rush_{n}_{secrets.token_hex(3)}" for n in range(20)]
    credentials = {name: await _new_user(name) for name in names}
    counted_before = await db.fetchval("SELECT count(*) FROM throttle_event")
    with settings_from_env(CASEWORK_PASSWORD_HASH_CONCURRENCY="1", CASEWORK_PASSWORD_HASH_QUEUE="2",
                           CASEWORK_PASSWORD_HASH_WAIT_SECONDS="10"):
        responses = await asyncio.gather(*(_sign_in(app, name, credentials[name]) for name in names))
        codes = [r.status_code for r in responses]
        assert set(codes) <= {200, 503}, codes
        assert codes.count(200) >= 3, codes  # the one hashing and the two queued behind it
        assert codes.count(503) >= 1, codes

        from casework.access import passwords

        assert passwords.limiter().peak_running == 1  # never two argon2 hashes (two times 19 MiB) at once
    for refused in (r for r in responses if r.status_code == 503):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/sign-in-busy")
        assert int(refused.headers["retry-after"]) >= 1
    # Turned away is not a failed guess: nothing is left counted against the
    # accounts or the addresses, and each can sign in once the rush is over.
    assert await db.fetchval("SELECT count(*) FROM throttle_event") == counted_before
    for name in (n for n, r in zip(names, responses) if r.status_code == 503):
        assert (await _sign_in(app, name, credentials[name])).status_code == 200


async def test_a_sign_in_that_waits_past_the_limit_is_refused_and_the_queue_moves_on(app):
    from casework.access.passwords import HashLimiter, SignInBusy

    limiter = HashLimiter(concurrency=1, queue=8, wait_seconds=0.1)
    slow = asyncio.create_task(limiter.run(time.sleep, 0.5))  # a hash that takes half a second
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    with pytest.raises(SignInBusy) as refused:
        await limiter.run(time.sleep, 0)
    assert time.perf_counter() - started < 0.4
    assert refused.value.status_code == 503 and int(refused.value.headers["Retry-After"]) >= 1
    await slow
    assert limiter.running == 0 and limiter.waiting == 0
    assert await limiter.run(sum, [1, 2]) == 3


async def test_new_passwords_are_hashed_with_the_parameters_that_fit_the_memory_target(app, db):
    await _new_user("fresh_hash_clerk")
    stored = await db.fetchval("SELECT password_hash FROM app_user WHERE username = 'fresh_hash_clerk'")
    assert stored.startswith(TODAYS_PARAMETERS)


async def test_a_password_hashed_with_old_parameters_is_rehashed_at_the_next_sign_in(app, db):
    password = await _new_user("old_hash_clerk")
    old = PasswordHasher().hash(password)  # argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes
    assert not old.startswith(TODAYS_PARAMETERS)
    await db.execute("UPDATE app_user SET password_hash = $1 WHERE username = 'old_hash_clerk'", old)

    assert (await _sign_in(app, "old_hash_clerk", password)).status_code == 200
    stored = await db.fetchval("SELECT password_hash FROM app_user WHERE username = 'old_hash_clerk'")
    assert stored.startswith(TODAYS_PARAMETERS)
    assert (await _sign_in(app, "old_hash_clerk", password)).status_code == 200
    assert (await _sign_in(app, "old_hash_clerk", "not-the-password")).status_code == 401


def test_a_burst_of_hashes_leaves_no_memory_behind():
    """Each hash's 19 MiB goes back to the system when it ends, so a rush of
    sign-ins does not leave the workers larger for the rest of the day. In a
    fresh process, as a worker starts."""
    script = """
import asyncio, os, psutil
from casework.access import passwords

async def main():
    rss = lambda: psutil.Process().memory_info().rss / 2**20
    limiter = passwords.limiter()
    await passwords.hash_password("warm-up")
    before = rss()
    await asyncio.gather(*(passwords.hash_password(f"pw-{n}") for n in range(12)))
    print(limiter.peak_running, round(rss() - before, 1))

asyncio.run(main())
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "CASEWORK_PASSWORD_HASH_CONCURRENCY": "2"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    peak_running, grown_mb = done.stdout.split()
    assert int(peak_running) == 2
    assert float(grown_mb) < 10, f"{grown_mb} MB kept after the hashes ended"
