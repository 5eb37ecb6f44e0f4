"""Phones offline longer than a token: refresh tokens bound to a device,
rotated on use; a reused one ends the device's session; devices listed and
signed out by their user or an admin."""

from __future__ import annotations

import hashlib

from tests.support_access import client_from
from tests.support_settings import settings_from_env


async def _user(name: str, role: str = "clerk", jurisdiction: str = "140403") -> tuple[int, str]:
    from casework.access.service import create_user

    password = f"pw-{name}-secret"
    user_id = await create_user(username=name, password=password, role=role, jurisdiction=jurisdiction,
                                body_code="140403-ROL" if role == "clerk" else None)
    return user_id, password


async def _sign_in(app, username: str, password: str, device_id: str | None = None) -> dict:
    body = {"username": username, "password": password}
    if device_id:
        body["device_id"] = device_id
    async with client_from(app) as anon:
        response = await anon.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(app, refresh_token: str):
    async with client_from(app) as anon:
        return await anon.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


async def test_a_phone_back_online_refreshes_with_its_token_and_gets_a_new_one(app, db):
    user_id, password = await _user("field_clerk_1")
    signed_in = await _sign_in(app, "field_clerk_1", password, device_id="phone-a1")
    first = signed_in["refresh_token"]
    assert first and signed_in["refresh_expires_at"].endswith("Z")
    # Only the hash is kept.
    stored = await db.fetch("SELECT t.token_hash FROM refresh_token t JOIN device_session s ON s.id = t.session_id "
                            "WHERE s.user_id = $1", user_id)
    assert [bytes(r["token_hash"]) for r in stored] == [hashlib.sha256(first.encode()).digest()]
    refreshed = await _refresh(app, first)
    assert refreshed.status_code == 200, refreshed.text
    assert "no-store" in refreshed.headers["cache-control"]
    body = refreshed.json()
    assert body["refresh_token"] not in (None, first) and body["user"]["id"] == user_id
    async with client_from(app, token=body["access_token"]) as phone:
        assert (await phone.get("/api/v1/cases")).status_code == 200
    # The next refresh spends the new token.
    assert (await _refresh(app, body["refresh_token"])).status_code == 200


async def test_a_reused_refresh_token_ends_the_device_s_whole_session(app):
    _, password = await _user("field_clerk_2")
    first = (await _sign_in(app, "field_clerk_2", password, device_id="phone-b1"))["refresh_token"]
    legit = (await _refresh(app, first)).json()
    # A copy of the first token is presented again (a thief, or a replayed request).
    stolen = await _refresh(app, first)
    assert stolen.status_code == 401
    assert stolen.headers["content-type"].startswith("application/problem+json")
    assert 'error="invalid_token"' in stolen.headers["www-authenticate"]
    assert "used before" in stolen.json()["detail"]
    # The whole family is gone: the newer refresh token and the access token issued with it.
    assert (await _refresh(app, legit["refresh_token"])).status_code == 401
    async with client_from(app, token=legit["access_token"]) as phone:
        assert (await phone.get("/api/v1/cases")).status_code == 401


async def test_an_unknown_refresh_token_is_401_and_a_malformed_body_400(app):
    assert (await _refresh(app, "x" * 43)).status_code == 401
    async with client_from(app) as anon:
        bad = await anon.post("/api/v1/auth/refresh", json={"refresh_token": "short"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "refresh_token"


async def test_a_refresh_token_lapses_after_the_idle_lifetime(app, db):
    user_id, password = await _user("field_clerk_3")
    token = (await _sign_in(app, "field_clerk_3", password, device_id="phone-c1"))["refresh_token"]
    await db.execute("UPDATE device_session SET last_used_at = now() - interval '31 days' WHERE user_id = $1", user_id)
    lapsed = await _refresh(app, token)
    assert lapsed.status_code == 401
    assert await db.fetchval("SELECT revoked_reason FROM device_session WHERE user_id = $1", user_id) == "expired"


async def test_no_session_outlives_the_absolute_lifetime_however_often_it_refreshes(app, db):
    user_id, password = await _user("field_clerk_4")
    token = (await _sign_in(app, "field_clerk_4", password, device_id="phone-d1"))["refresh_token"]
    with settings_from_env(CASEWORK_REFRESH_ABSOLUTE_DAYS="90"):
        await db.execute("UPDATE device_session SET created_at = now() - interval '89 days' WHERE user_id = $1",
                         user_id)
        fresh = await _refresh(app, token)
        assert fresh.status_code == 200
        await db.execute("UPDATE device_session SET created_at = now() - interval '91 days' WHERE user_id = $1",
                         user_id)
        assert (await _refresh(app, fresh.json()["refresh_token"])).status_code == 401


async def test_a_role_change_ends_the_device_sessions(app, users):
    user_id, password = await _user("field_clerk_5")
    token = (await _sign_in(app, "field_clerk_5", password, device_id="phone-e1"))["refresh_token"]
    assert (await users["admin"].patch(f"/api/v1/users/{user_id}", json={"role": "auditor"})).status_code == 200
    assert (await _refresh(app, token)).status_code == 401


async def test_a_user_lists_and_signs_out_their_own_devices(app):
    _, password = await _user("field_clerk_6")
    phone = await _sign_in(app, "field_clerk_6", password, device_id="phone-f1")
    tablet = await _sign_in(app, "field_clerk_6", password, device_id="tablet-f2")
    async with client_from(app, token=phone["access_token"]) as client:
        listed = await client.get("/api/v1/auth/devices")
        assert listed.status_code == 200
        items = {d["device_id"]: d for d in listed.json()["items"]}
        assert set(items) == {"phone-f1", "tablet-f2"}
        assert items["phone-f1"]["current"] and not items["tablet-f2"]["current"]
        assert (await client.delete("/api/v1/auth/devices/tablet-f2")).status_code == 204
        assert (await client.delete("/api/v1/auth/devices/tablet-f2")).status_code == 404
        assert [d["device_id"] for d in (await client.get("/api/v1/auth/devices")).json()["items"]] == ["phone-f1"]
    assert (await _refresh(app, tablet["refresh_token"])).status_code == 401
    async with client_from(app, token=tablet["access_token"]) as revoked:
        assert (await revoked.get("/api/v1/cases")).status_code == 401


async def test_signing_in_again_on_a_device_replaces_its_session(app):
    _, password = await _user("field_clerk_7")
    old = await _sign_in(app, "field_clerk_7", password, device_id="phone-g1")
    new = await _sign_in(app, "field_clerk_7", password, device_id="phone-g1")
    assert (await _refresh(app, old["refresh_token"])).status_code == 401
    assert (await _refresh(app, new["refresh_token"])).status_code == 200


async def test_an_admin_revokes_a_user_s_device_within_their_jurisdiction_only(app, users, db):
    user_id, password = await _user("field_clerk_8")
    phone = await _sign_in(app, "field_clerk_8", password, device_id="phone-h1")
    _, other_password = await _user("field_clerk_9")
    await _sign_in(app, "field_clerk_9", other_password, device_id="phone-i1")
    # Another clerk may not touch them.
    async with client_from(app, token=(await _sign_in(app, "field_clerk_9", other_password))["access_token"]) as c:
        refused = await c.delete(f"/api/v1/auth/devices/phone-h1?user_id={user_id}")
        assert refused.status_code == 403 and refused.json()["permission"] == "users.manage"
    listed = await users["admin"].get(f"/api/v1/auth/devices?user_id={user_id}")
    assert [d["device_id"] for d in listed.json()["items"]] == ["phone-h1"]
    assert (await users["admin"].delete(f"/api/v1/auth/devices/phone-h1?user_id={user_id}")).status_code == 204
    assert (await _refresh(app, phone["refresh_token"])).status_code == 401
    assert await db.fetchval("SELECT count(*) FROM admin_event WHERE entity = 'device_session' AND action = 'revoke'") >= 1
    # A user outside the admin's jurisdiction is a missing one.
    outside_id, _ = await _user("far_clerk_1", jurisdiction="1301")
    assert (await users["admin"].get(f"/api/v1/auth/devices?user_id={outside_id}")).status_code == 404


async def test_clients_without_a_device_id_still_renew_their_bearer_token(app, users):
    _, password = await _user("desk_clerk_1")
    signed_in = await _sign_in(app, "desk_clerk_1", password)
    assert signed_in["refresh_token"] is None
    async with client_from(app, token=signed_in["access_token"]) as desk:
        renewed = await desk.post("/api/v1/auth/refresh")
    assert renewed.status_code == 200 and renewed.json()["refresh_token"] is None
    async with client_from(app) as anon:
        refused = await anon.post("/api/v1/auth/refresh")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == 'Bearer realm="casework"'
