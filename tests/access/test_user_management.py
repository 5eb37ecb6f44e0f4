"""Administrators manage users within their own jurisdiction only; passwords
change through the API or the command line, audited, ending old tokens."""

from __future__ import annotations

import json

from tests.support_access import client_from, ensure_user


async def _sign_in(anon, username: str, password: str):
    return await anon.post("/api/v1/auth/token", json={"username": username, "password": password})


async def test_an_admin_cannot_create_users_wider_than_or_outside_their_jurisdiction(users):
    admin = await ensure_user(users, "county_admin_140403", "admin", "140403")
    base = {"password": "long-enough-pw", "role": "clerk"}
    for jurisdiction in ("", "11", "1404", "140404"):
        made = await admin.post("/api/v1/users", json={**base, "username": f"bad_{jurisdiction or 'all'}",
                                                       "jurisdiction": jurisdiction})
        assert made.status_code in (400, 422), (jurisdiction, made.text)
    # Even the province admin gives no one "everything".
    assert (await users["admin"].post("/api/v1/users", json={**base, "username": "everything",
                                                             "jurisdiction": ""})).status_code in (400, 422)
    # A body outside the admin's jurisdiction is refused without being named as existing.
    foreign_body = await admin.post("/api/v1/users", json={**base, "username": "body_elsewhere",
                                                           "jurisdiction": "140403", "body_code": "140404-ROL"})
    assert foreign_body.status_code == 422 and "140404-ROL" in foreign_body.text
    made = await admin.post("/api/v1/users", json={**base, "username": "county_made_clerk",
                                                   "jurisdiction": "14040310", "body_code": "140403-ROL"})
    assert made.status_code == 201, made.text


async def test_an_admin_lists_and_changes_only_users_within_their_jurisdiction(users):
    from casework.access.service import create_user

    admin = await ensure_user(users, "county_admin_list", "admin", "140403")
    elsewhere = await create_user(username="shangdang_clerk_x", password="pw-elsewhere-1", role="clerk",
                                  jurisdiction="140404", body_code="140404-ROL")
    listed = (await admin.get("/api/v1/users")).json()["items"]
    assert listed and all(u["jurisdiction"].startswith("140403") for u in listed)
    assert "shangdang_clerk_x" not in [u["username"] for u in listed]
    for change in ({"active": False}, {"role": "auditor"}, {"password": "taken-over-pw"}):
        assert (await admin.patch(f"/api/v1/users/{elsewhere}", json=change)).status_code == 404
    own = users.ids["clerk"]
    widened = await admin.patch(f"/api/v1/users/{own}", json={"jurisdiction": "14"})
    assert widened.status_code == 422
    # The province admin still manages both.
    assert "shangdang_clerk_x" in [u["username"] for u in (await users["admin"].get("/api/v1/users")).json()["items"]]


async def test_an_admin_sets_a_password_old_tokens_end_and_the_change_is_audited_without_the_hash(users, db):
    from casework.access.service import create_user

    user_id = await create_user(username="forgetful_clerk", password="first-password", role="clerk",
                                jurisdiction="140403", body_code="140403-ROL")
    token = (await _sign_in(users.anon, "forgetful_clerk", "first-password")).json()["access_token"]
    old = client_from(users.app, token=token)
    assert (await old.get("/api/v1/auth/me")).status_code == 200
    changed = await users["admin"].patch(f"/api/v1/users/{user_id}", json={"password": "second-password"})
    assert changed.status_code == 200, changed.text
    assert "password" not in changed.json() and "hash" not in changed.text
    assert (await old.get("/api/v1/auth/me")).status_code == 401
    assert (await _sign_in(client_from(users.app), "forgetful_clerk", "first-password")).status_code == 401
    assert (await _sign_in(client_from(users.app), "forgetful_clerk", "second-password")).status_code == 200
    event = await db.fetchrow("SELECT * FROM admin_event WHERE entity = 'user' AND key = 'forgetful_clerk' "
                              "AND after ? 'password_changed' ORDER BY id DESC LIMIT 1")
    assert event is not None and event["actor_id"] == users.ids["admin"]
    assert "argon2" not in (event["before"] or "") + (event["after"] or "")
    await old.aclose()


async def test_a_user_changes_their_own_password_with_the_current_one(users, db):
    from casework.access.service import create_user

    await create_user(username="careful_clerk", password="old-password-1", role="clerk", jurisdiction="140403")
    token = (await _sign_in(users.anon, "careful_clerk", "old-password-1")).json()["access_token"]
    me = client_from(users.app, token=token)
    wrong = await me.post("/api/v1/auth/password", json={"current_password": "guess", "new_password": "new-password-1"})
    assert wrong.status_code == 403
    done = await me.post("/api/v1/auth/password",
                         json={"current_password": "old-password-1", "new_password": "new-password-1"})
    assert done.status_code == 204, done.text
    assert (await me.get("/api/v1/auth/me")).status_code == 401  # sign in again
    assert (await _sign_in(client_from(users.app), "careful_clerk", "new-password-1")).status_code == 200
    row = await db.fetchrow("SELECT after FROM admin_event WHERE key = 'careful_clerk' AND action = 'password'")
    assert json.loads(row["after"]) == {"password_changed": True}
    await me.aclose()
