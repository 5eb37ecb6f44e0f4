"""An administrator corrects a body and adds next year's holidays in /admin;
only casework admins get in, and every change is recorded with its actor."""

from __future__ import annotations

import json

import httpx
import pytest

PASSWORD = "admin-screen-pw"


async def admin_client(app, username: str, password: str, address: str = "127.0.0.1"
                       ) -> tuple[httpx.AsyncClient, httpx.Response]:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                               base_url="http://casework.test")
    page = await client.get("/admin/")
    assert page.status_code == 200, page.text[:300]
    csrf = client.cookies["csrftoken"]
    client.headers["X-CSRFToken"] = csrf
    login = await client.post("/admin/public/login/", json={"username": username, "password": password})
    return client, login


@pytest.fixture(scope="module")
async def people(app):
    from casework.access.service import create_user

    ids = {
        "root": await create_user(username="screen_admin", password=PASSWORD, role="admin", jurisdiction="14"),
        "boss": await create_user(username="screen_supervisor", password=PASSWORD, role="supervisor",
                                  jurisdiction="1404", body_code="CZ-PB"),
    }
    return ids


async def test_only_casework_admins_sign_in(app, people):
    client, login = await admin_client(app, "screen_supervisor", PASSWORD)
    assert login.status_code >= 400
    assert (await client.get("/admin/api/tables/")).status_code in (401, 403)
    await client.aclose()
    client, login = await admin_client(app, "screen_admin", "wrong-password")
    assert login.status_code >= 400
    await client.aclose()


async def test_an_admin_corrects_a_body_and_adds_a_holiday_and_both_are_recorded(app, people, db):
    client, login = await admin_client(app, "screen_admin", PASSWORD)
    assert login.status_code < 400, login.text
    tables = (await client.get("/admin/api/tables/")).json()
    assert {"body", "division", "category", "routing_rule", "time_limit", "calendar_day"} <= set(tables)
    body_id = await db.fetchval("SELECT id FROM body WHERE code = '140431-MAR'")
    patched = await client.patch(f"/admin/api/tables/body/{body_id}/", json={"name_zh": "沁源县市场监督管理局（更正）"})
    assert patched.status_code < 300, patched.text
    assert await db.fetchval("SELECT name_zh FROM body WHERE id = $1", body_id) == "沁源县市场监督管理局（更正）"
    event = await db.fetchrow("SELECT * FROM admin_event WHERE entity = 'body' AND key = '140431-MAR' ORDER BY id DESC")
    assert event["actor_id"] == people["root"] and event["action"] == "update"
    assert json.loads(event["before"])["name_zh"] == "沁源县市场监督管理局"
    assert json.loads(event["after"])["name_zh"] == "沁源县市场监督管理局（更正）"

    added = await client.post("/admin/api/tables/calendar_day/",
                              json={"day": "2031-10-01", "kind": "holiday", "name": "国庆节", "source": "国务院办公厅通知"})
    assert added.status_code < 300, added.text
    assert await db.fetchval("SELECT kind FROM calendar_day WHERE day = '2031-10-01'") == "holiday", added.text
    event = await db.fetchrow("SELECT * FROM admin_event WHERE entity = 'calendar_day' AND key = '2031-10-01'")
    assert event["actor_id"] == people["root"] and event["action"] == "create"
    await client.aclose()


async def test_a_change_through_the_api_is_recorded_once(users, db):
    body = (await users["admin"].get("/api/v1/bodies?division=140430")).json()["items"][0]
    payload = {"name_zh": body["name_zh"] + "（改）", "kind": body["kind"], "division_code": body["division_code"],
               "name_en": body["name_en"], "remit": body["remit"], "active": True}
    count = "SELECT count(*) FROM admin_event WHERE entity = 'body' AND key = $1"
    before = await db.fetchval(count, body["code"])  # the seed's own insert is recorded too
    response = await users["admin"].put(f"/api/v1/bodies/{body['code']}", json=payload)
    assert response.status_code == 200, response.text
    assert await db.fetchval(count, body["code"]) == before + 1


async def test_an_admin_demoted_elsewhere_loses_the_screen_at_once(app, users, people):
    client, login = await admin_client(app, "screen_admin", PASSWORD)
    assert login.status_code < 400
    assert (await client.get("/admin/api/tables/")).status_code == 200
    demoted = await users["admin"].patch(f"/api/v1/users/{people['root']}", json={"role": "supervisor"})
    assert demoted.status_code == 200, demoted.text
    assert (await client.get("/admin/api/tables/")).status_code in (401, 403)
    await client.aclose()


def test_the_admin_screen_is_built_on_its_first_request_not_at_start():
    """Workers that never serve /admin do not carry piccolo_admin (some
    15 MB each); the first request to /admin builds it."""
    import subprocess
    import sys
    import textwrap

    probe = textwrap.dedent("""
        import sys
        from casework.admin import AdminMount
        from casework.app import create_app
        create_app()
        assert "piccolo_admin" not in sys.modules, "imported at start"
        AdminMount().app
        assert "piccolo_admin" in sys.modules
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


async def _fresh_admin(name: str) -> str:
    from casework.access.service import create_user

    await create_user(username=name, password=PASSWORD, role="admin", jurisdiction="14")
    return name


async def test_users_are_not_managed_on_the_admin_screen_and_its_writes_cannot_touch_them(app, people, db):
    client, login = await admin_client(app, await _fresh_admin("screen_admin_users"), PASSWORD, "198.18.0.1")
    assert login.status_code < 400, login.text
    assert "app_user" not in (await client.get("/admin/api/tables/")).json()
    victim = await db.fetchrow("SELECT id, password_hash, token_version FROM app_user WHERE username = 'screen_supervisor'")
    tried = await client.patch(f"/admin/api/tables/app_user/{victim['id']}/",
                               json={"password_hash": "x", "token_version": 0, "username": "renamed"})
    assert tried.status_code >= 400
    after = await db.fetchrow("SELECT password_hash, token_version, username FROM app_user WHERE id = $1", victim["id"])
    assert (after["password_hash"], after["token_version"], after["username"]) == (
        victim["password_hash"], victim["token_version"], "screen_supervisor")
    # Whatever the screen offers, its write transactions cannot change a user.
    import asyncpg

    async with db.transaction():
        await db.execute("SELECT set_config('casework.admin_screen', 'on', true)")
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await db.execute("UPDATE app_user SET token_version = 0 WHERE id = $1", victim["id"])
    await client.aclose()


async def test_admin_sign_in_shares_the_api_s_throttle(app, db):
    await _fresh_admin("throttled_admin")
    anon = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.18.1.1", 40000)),
                             base_url="http://casework.test")
    for _ in range(5):
        client, login = await admin_client(app, "throttled_admin", "wrong", "198.18.1.2")
        assert login.status_code >= 400
        await client.aclose()
    # Five failures on /admin lock the account for the API as well...
    api = await anon.post("/api/v1/auth/token", json={"username": "throttled_admin", "password": PASSWORD})
    assert api.status_code == 429, api.text
    # ...and the right password does not open /admin while the API says 429.
    client, login = await admin_client(app, "throttled_admin", PASSWORD, "198.18.1.3")
    assert login.status_code >= 400
    assert (await client.get("/admin/api/tables/")).status_code in (401, 403)
    await client.aclose()
    await anon.aclose()


async def test_a_wrong_password_posted_for_an_admin_does_not_end_their_session(app, people):
    name = await _fresh_admin("screen_admin_victim")
    client, login = await admin_client(app, name, PASSWORD, "198.18.2.1")
    assert login.status_code < 400
    attacker, failed = await admin_client(app, name, "not-the-password", "198.18.2.2")
    assert failed.status_code >= 400
    assert (await client.get("/admin/api/tables/")).status_code == 200
    await attacker.aclose()
    await client.aclose()


async def test_the_admin_screen_bounds_bodies_frames_nothing_and_keeps_sessions_short(app, people):
    from casework.settings import get_settings

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.18.3.1", 40000)),
                               base_url="http://casework.test")
    page = await client.get("/admin/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    too_big = b"x" * (get_settings().max_request_body_bytes + 1)
    refused = await client.post("/admin/public/login/", content=too_big,
                                headers={"content-type": "application/json", "X-CSRFToken": client.cookies["csrftoken"]})
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
    signed, login = await admin_client(app, await _fresh_admin("screen_admin_cookie"), PASSWORD, "198.18.3.2")
    cookie = next(v for k, v in login.headers.multi_items() if k == "set-cookie" and v.startswith("id="))
    max_age = int(cookie.lower().split("max-age=")[1].split(";")[0])
    assert max_age <= get_settings().session_max_hours * 3600
    await signed.aclose()
    await client.aclose()
