"""Auditors read the trail: who did or saw what, when; filtered and scoped."""

from __future__ import annotations

import datetime as dt

from tests.support import dispute
from tests.support_access import ensure_user


async def test_filter_by_case_action_actor_and_time(users):
    started = dt.datetime.now(dt.UTC)
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    await users["supervisor"].post(f"/api/v1/cases/{case['reference']}/personal-data", json={"reason": "督办核实当事人"})
    audit = users["auditor"]

    by_case = (await audit.get("/api/v1/audit/events", params={"case": case["reference"]})).json()["items"]
    assert {e["case"] for e in by_case} == {case["reference"]}
    assert by_case[0]["action"] == "personal_data_revealed"  # newest first
    assert {"case_registered", "routing_decided"} <= {e["action"] for e in by_case}

    by_actor = (await audit.get("/api/v1/audit/events", params={"actor": "supervisor", "from": started.isoformat()})).json()["items"]
    assert by_actor and {e["actor"] for e in by_actor} == {"supervisor"}

    by_action = (await audit.get("/api/v1/audit/events", params={
        "action": "case_registered", "from": started.isoformat()})).json()["items"]
    assert case["reference"] in [e["case"] for e in by_action]
    assert {e["action"] for e in by_action} == {"case_registered"}

    before = (await audit.get("/api/v1/audit/events", params={
        "case": case["reference"], "to": started.isoformat()})).json()["items"]
    assert before == []


async def test_pages_follow_each_other_without_gaps(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    everything = (await users["auditor"].get("/api/v1/audit/events", params={"case": case["reference"]})).json()["items"]
    seen, cursor = [], None
    while True:
        params = {"case": case["reference"], "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await users["auditor"].get("/api/v1/audit/events", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [(e["source"], e["id"]) for e in seen] == [(e["source"], e["id"]) for e in everything]
    assert (await users["auditor"].get("/api/v1/audit/events", params={"cursor": "garbage!"})).status_code == 422


async def test_an_auditor_sees_only_their_jurisdiction(users):
    foreign = (await users["clerk_other"].post("/api/v1/cases", json=dispute(division_code="140404100201"))).json()
    luzhou_auditor = await ensure_user(users, "luzhou_auditor", "auditor", "140403")
    assert (await luzhou_auditor.get("/api/v1/audit/events", params={"case": foreign["reference"]})).json()["items"] == []
    city = (await users["auditor"].get("/api/v1/audit/events", params={"case": foreign["reference"]})).json()["items"]
    assert city


async def test_administrators_changes_to_users_are_in_the_trail(users):
    from casework.access.service import create_user

    user_id = await create_user(username="audited_clerk", password="pw-audited-1", role="clerk",
                                jurisdiction="140403", body_code="140403-ROL")
    assert (await users["admin"].patch(f"/api/v1/users/{user_id}", json={"active": False})).status_code == 200
    items = (await users["auditor"].get("/api/v1/audit/events", params={
        "source": "admin", "action": "user.update", "actor": "admin"})).json()["items"]
    change = next(e for e in items if e["key"] == "audited_clerk")
    assert change["before"]["active"] is True and change["after"]["active"] is False
    # A county auditor does not see accounts outside the county.
    elsewhere = await create_user(username="audited_other", password="pw-audited-2", role="clerk",
                                  jurisdiction="140404", body_code="140404-ROL")
    await users["admin"].patch(f"/api/v1/users/{elsewhere}", json={"active": False})
    luzhou_auditor = await ensure_user(users, "luzhou_auditor", "auditor", "140403")
    keys = [e["key"] for e in (await luzhou_auditor.get("/api/v1/audit/events", params={"source": "admin"})).json()["items"]]
    assert "audited_clerk" in keys and "audited_other" not in keys


async def test_only_audit_readers_get_the_trail(users):
    for role in ("clerk", "mediator", "officer"):
        assert (await users[role].get("/api/v1/audit/events")).status_code == 403
