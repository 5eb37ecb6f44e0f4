"""Tokens: deactivation and role changes bite at once; sessions slide, then end;
sign-in is throttled per account and per address."""

from __future__ import annotations

import time

from tests.support_access import client_from


async def _sign_in(client, username: str, password: str):
    return await client.post("/api/v1/auth/token", json={"username": username, "password": password})


async def _user_with_password(users, name: str, role: str = "clerk", jurisdiction: str = "140403"):
    from casework.access.service import create_user

    password = f"pw-{name}-secret"
    user_id = await create_user(username=name, password=password, role=role, jurisdiction=jurisdiction,
                                body_code="140403-ROL" if role == "clerk" else None)
    return user_id, password


async def test_a_deactivated_user_is_locked_out_on_the_next_request(app, users):
    user_id, password = await _user_with_password(users, "leaving_clerk")
    async with client_from(app) as anon:
        token = (await _sign_in(anon, "leaving_clerk", password)).json()["access_token"]
    async with client_from(app, token=token) as clerk:
        assert (await clerk.get("/api/v1/cases")).status_code == 200
        assert (await users["admin"].patch(f"/api/v1/users/{user_id}", json={"active": False})).status_code == 200
        for path in ("/api/v1/cases", "/api/v1/auth/me"):
            response = await clerk.get(path)
            assert response.status_code == 401
            assert response.headers["content-type"].startswith("application/problem+json")
        assert (await clerk.post("/api/v1/auth/refresh")).status_code == 401
    async with client_from(app) as anon:
        assert (await _sign_in(anon, "leaving_clerk", password)).status_code == 401


async def test_a_role_change_voids_tokens_issued_under_the_old_role(app, users):
    user_id, password = await _user_with_password(users, "promoted_clerk")
    async with client_from(app) as anon:
        token = (await _sign_in(anon, "promoted_clerk", password)).json()["access_token"]
    async with client_from(app, token=token) as old:
        assert (await users["admin"].patch(f"/api/v1/users/{user_id}", json={"role": "auditor"})).status_code == 200
        assert (await old.get("/api/v1/cases")).status_code == 401
    async with client_from(app) as anon:
        fresh = (await _sign_in(anon, "promoted_clerk", password)).json()
    assert fresh["user"]["role"] == "auditor"


async def test_a_token_is_refreshed_within_the_session_and_refused_after_it(app, users):
    from casework.access.auth import issue_token
    from casework.access.service import principal_by_id
    from casework.settings import get_settings

    refreshed = await users["clerk"].post("/api/v1/auth/refresh")
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    async with client_from(app, token=body["access_token"]) as again:
        assert (await again.get("/api/v1/auth/me")).json()["username"] == "clerk"

    principal, _active = await principal_by_id(users.ids["clerk"])
    too_old = int(time.time()) - get_settings().session_max_hours * 3600 - 60
    stale = issue_token(app.state.jwt_auth, principal, auth_time=too_old)
    async with client_from(app, token=stale) as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 200  # still a valid access token
        response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 401
    assert response.json()["type"].endswith("session-expired")


async def test_failed_sign_ins_are_throttled_per_account_with_retry_after(app, users):
    _user_id, password = await _user_with_password(users, "targeted_clerk")
    # Each attempt from a different address: only the account count applies.
    for _ in range(5):
        async with client_from(app) as anon:
            assert (await _sign_in(anon, "targeted_clerk", "wrong-password")).status_code == 401
    async with client_from(app) as anon:
        refused = await _sign_in(anon, "targeted_clerk", password)  # even the right password
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    retry_after = int(refused.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    assert refused.json()["retry_after"] == retry_after
    # Another account is not affected.
    _, other_password = await _user_with_password(users, "bystander_clerk")
    async with client_from(app) as anon:
        assert (await _sign_in(anon, "bystander_clerk", other_password)).status_code == 200


async def test_a_successful_sign_in_clears_the_account_count(app, users):
    _user_id, password = await _user_with_password(users, "clumsy_clerk")
    async with client_from(app) as anon:
        for _ in range(4):
            assert (await _sign_in(anon, "clumsy_clerk", "typo")).status_code == 401
        assert (await _sign_in(anon, "clumsy_clerk", password)).status_code == 200
        for _ in range(4):
            assert (await _sign_in(anon, "clumsy_clerk", "typo")).status_code == 401
        assert (await _sign_in(anon, "clumsy_clerk", password)).status_code == 200


async def test_failed_sign_ins_are_throttled_per_address(app, users):
    async with client_from(app, "203.0.113.66") as attacker, client_from(app, "203.0.113.67") as colleague:
        for n in range(20):
            assert (await _sign_in(attacker, f"guess_{n}", "password1")).status_code == 401
        refused = await _sign_in(attacker, "guess_x", "password1")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        _id, password = await _user_with_password(users, "unlucky_neighbour")
        assert (await _sign_in(attacker, "unlucky_neighbour", password)).status_code == 429
        assert (await _sign_in(colleague, "unlucky_neighbour", password)).status_code == 200


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(app, users):
    import asyncio

    await _user_with_password(users, "burst_target")

    async def guess(n: int):
        async with client_from(app) as anon:
            return (await _sign_in(anon, "burst_target", f"guess-{n}")).status_code

    codes = await asyncio.gather(*[guess(n) for n in range(15)])
    assert codes.count(401) <= 5
    assert codes.count(429) >= 10


async def test_admin_case_actions_are_recorded_like_anyone_s(users):
    from tests.support import dispute

    case = (await users["admin"].post("/api/v1/cases", json=dispute())).json()
    events = (await users["auditor"].get("/api/v1/audit/events",
                                         params={"case": case["reference"], "actor": "admin"})).json()["items"]
    assert {e["action"] for e in events} >= {"case_registered", "routing_decided"}
    assert {e["actor_role"] for e in events} == {"admin"}


async def test_tokens_are_answered_with_no_store(app, users):
    """A token in a shared station's browser cache, or a proxy's, would
    outlive the sign-out."""
    _user_id, password = await _user_with_password(users, "station_clerk")
    async with client_from(app) as anon:
        signed_in = await _sign_in(anon, "station_clerk", password)
    assert signed_in.status_code == 200
    assert "no-store" in signed_in.headers.get("cache-control", "")
    refreshed = await users["clerk"].post("/api/v1/auth/refresh")
    assert refreshed.status_code == 200
    assert "no-store" in refreshed.headers.get("cache-control", "")
