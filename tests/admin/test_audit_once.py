"""Every administrator's change is in ``admin_event`` exactly once, with
the actor who made it: by the table's trigger where it has one (the API
only names the actor), by the API otherwise."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.asyncio


async def test_the_trigger_audited_tables_are_the_ones_the_code_names(db):
    from casework.admin_log import AUDITED_BY_TRIGGER

    rows = await db.fetch("""SELECT DISTINCT encode(tgargs, 'escape') AS args FROM pg_trigger t
                             JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'admin_audit'""")
    entities = {row["args"].split("\\000")[0] for row in rows}
    assert entities == set(AUDITED_BY_TRIGGER)


async def test_a_calendar_year_put_through_the_api_records_each_day_and_the_year_once(users, db):
    year = {"source": "国务院办公厅关于2033年部分节假日安排的通知 (test data)", "days": [
        {"day": "2033-01-01", "kind": "holiday", "name": "元旦"},
        {"day": "2033-01-31", "kind": "holiday", "name": "春节"},
        {"day": "2033-02-01", "kind": "holiday", "name": "春节"},
        {"day": "2033-02-05", "kind": "workday", "name": "调休"}]}
    try:
        response = await users["admin"].put("/api/v1/calendar/2033", json=year)
        assert response.status_code == 200, response.text
        events = await db.fetch("SELECT entity, key, action, actor_id, actor_role FROM admin_event "
                                "WHERE (entity = 'calendar_year' AND key = '2033') "
                                "OR (entity = 'calendar_day' AND key LIKE '2033-%') ORDER BY id")
        assert [(e["entity"], e["key"], e["action"]) for e in events] == [
            ("calendar_day", "2033-01-01", "create"), ("calendar_day", "2033-01-31", "create"),
            ("calendar_day", "2033-02-01", "create"), ("calendar_day", "2033-02-05", "create"),
            ("calendar_year", "2033", "create")]
        assert {(e["actor_id"], e["actor_role"]) for e in events} == {(users.ids["admin"], "admin")}
    finally:
        await db.execute("DELETE FROM calendar_day WHERE day >= '2033-01-01' AND day < '2034-01-01'")
        await db.execute("DELETE FROM calendar_year WHERE year = 2033")
        from casework.cache import invalidate

        invalidate("calendar")


async def test_a_role_and_password_change_is_two_events_by_the_admin_and_a_rehash_none(users, db):
    from casework.access.service import create_user

    user_id = await create_user(username="audited_once", password="first-password-1", role="clerk",
                                jurisdiction="140403", body_code="140403-ROL")
    start = await db.fetchval("SELECT coalesce(max(id), 0) FROM admin_event")
    changed = await users["admin"].patch(f"/api/v1/users/{user_id}",
                                         json={"role": "auditor", "password": "second-password-2"})
    assert changed.status_code == 200, changed.text
    events = await db.fetch("SELECT * FROM admin_event WHERE id > $1 AND entity = 'user' AND key = 'audited_once' "
                            "ORDER BY id", start)
    assert [e["action"] for e in events] == ["update", "password"]
    assert all(e["actor_id"] == users.ids["admin"] for e in events)
    assert json.loads(events[0]["before"])["role"] == "clerk" and json.loads(events[0]["after"])["role"] == "auditor"
    assert json.loads(events[1]["after"]) == {"password_changed": True} and events[1]["before"] is None
    assert all("argon2" not in (e["before"] or "") + (e["after"] or "") for e in events)

    # A new hash of the same password (stronger parameters on sign-in) is no one's change.
    last = await db.fetchval("SELECT max(id) FROM admin_event")
    await db.execute("UPDATE app_user SET password_hash = password_hash || '' WHERE id = $1", user_id)
    await db.execute("UPDATE app_user SET password_hash = 'x' || password_hash WHERE id = $1", user_id)
    assert await db.fetchval("SELECT count(*) FROM admin_event WHERE id > $1 AND key = 'audited_once'", last) == 0
