"""An administrator subscribes outside systems to the events of their area."""

from __future__ import annotations

import json

from tests.support import dispute, petition
from tests.webhooks.conftest import drain, fast_settings


async def test_each_subscriber_gets_only_its_divisions_and_event_types(users, db, receiver, subscribe):
    settings = fast_settings()
    village = await subscribe("village", division_prefix="140403100201")
    town = await subscribe("town", division_prefix="140403001")
    registrations = await subscribe("registrations", division_prefix="1404", event_types=["case_registered"])
    shangdang = await subscribe("shangdang", division_prefix="140404")

    in_village = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    in_town = (await users["clerk"].post("/api/v1/cases", json=petition())).json()
    in_shangdang = (await users["clerk_other"].post(
        "/api/v1/cases", json=dispute(division_code="140404100201"))).json()
    events = {}
    for case in (in_village, in_town, in_shangdang):
        events[case["reference"]] = [r["id"] for r in await db.fetch(
            "SELECT id FROM case_event WHERE case_id = $1 ORDER BY id", case["id"])]
    registered = [r["id"] for r in await db.fetch(
        "SELECT id FROM case_event WHERE case_id = ANY($1::bigint[]) AND type = 'case_registered' ORDER BY id",
        [in_village["id"], in_town["id"], in_shangdang["id"]])]

    expected = {
        village["path"]: events[in_village["reference"]],
        town["path"]: events[in_town["reference"]],
        registrations["path"]: registered,
        shangdang["path"]: events[in_shangdang["reference"]],
    }
    await drain(settings, lambda: all(
        len(receiver.event_ids(path)) == len(ids) for path, ids in expected.items()))
    await drain(settings, lambda: True)  # one more round: nothing else arrives
    for path, ids in expected.items():
        assert sorted(receiver.event_ids(path)) == ids, path
        assert len(receiver.requests_to(path)) == len(ids), path
    assert {p["type"] for p in receiver.accepted[registrations["path"]]} == {"case_registered"}


async def test_an_admin_creates_changes_and_deactivates_a_subscription(users, db, receiver, subscribe):
    settings = fast_settings()
    subscription = await subscribe("managed", division_prefix="140403",
                                   event_types=["routing_decided", "case_registered", "case_registered"],
                                   description="county court intake")
    assert len(subscription["secret"]) >= 32  # generated, shown once
    assert subscription["event_types"] == ["case_registered", "routing_decided"]
    assert subscription["active"] is True

    listed = (await users["admin"].get("/api/v1/webhooks/subscriptions")).json()["items"]
    mine = next(s for s in listed if s["id"] == subscription["id"])
    assert "secret" not in mine and "secret_enc" not in mine
    assert mine["pending"] == 0 and mine["dead"] == 0
    stored = await db.fetchval("SELECT secret_enc FROM webhook_subscription WHERE id = $1", subscription["id"])
    assert subscription["secret"] not in stored  # encrypted at rest

    changed = await users["admin"].patch(f"/api/v1/webhooks/subscriptions/{subscription['id']}",
                                         json={"event_types": ["case_registered"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["case_registered"]

    await users["clerk"].post("/api/v1/cases", json=dispute())
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == 1)

    off = await users["admin"].post(f"/api/v1/webhooks/subscriptions/{subscription['id']}/deactivate")
    assert off.status_code == 200 and off.json()["active"] is False
    await users["clerk"].post("/api/v1/cases", json=dispute())
    await drain(settings, lambda: True)
    await drain(settings, lambda: True)
    assert len(receiver.requests_to(subscription["path"])) == 1

    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM admin_event WHERE entity = 'webhook_subscription' AND key = $1 ORDER BY id",
        str(subscription["id"]))]
    assert actions == ["create", "update", "deactivate"]
    assert (await users["admin"].patch("/api/v1/webhooks/subscriptions/999999",
                                       json={"description": "x"})).status_code == 404


async def test_bad_subscriptions_are_refused_with_every_reason(users, receiver):
    url = receiver.url + "/hooks/bad"
    cases = [
        ({"url": "ftp://example.org/hook"}, "url"),
        ({"url": "http://user:pw@example.org/hook"}, "url"),
        ({"url": url, "division_prefix": "15"}, "division_prefix"),  # outside the admin's province
    ]
    for body, field in cases:
        response = await users["admin"].post("/api/v1/webhooks/subscriptions", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field]
    short = await users["admin"].post("/api/v1/webhooks/subscriptions", json={"url": url, "secret": "short"})
    assert short.status_code == 400
    unknown = await users["admin"].post("/api/v1/webhooks/subscriptions",
                                        json={"url": url, "event_types": ["Case Registered"]})
    assert unknown.status_code == 400


async def test_only_administrators_manage_webhooks(users, receiver):
    for name in ("clerk", "officer", "supervisor", "auditor"):
        assert (await users[name].get("/api/v1/webhooks/subscriptions")).status_code == 403
        response = await users[name].post("/api/v1/webhooks/subscriptions", json={"url": receiver.url})
        assert response.status_code == 403
    assert (await users.anon.get("/api/v1/webhooks/subscriptions")).status_code == 401


async def test_the_audit_trail_shows_a_subscription_s_url_without_its_query(users, db, receiver, subscribe):
    """Receivers often authenticate with a token in the query string; the
    audit readers (supervisors, auditors) see which receiver, not its token."""
    subscription = await subscribe("audited?token=first-s3cret-token", division_prefix="140403")
    changed = await users["admin"].patch(f"/api/v1/webhooks/subscriptions/{subscription['id']}",
                                         json={"url": receiver.url + "/hooks/audited?token=second-s3cret-token"})
    assert changed.status_code == 200, changed.text
    # A row as an earlier version wrote it, with the query in full.
    await db.execute(
        """INSERT INTO admin_event (actor_id, actor_role, entity, key, action, before, after)
           VALUES ($1, 'admin', 'webhook_subscription', $2, 'update', NULL, $3::jsonb)""",
        users.ids["admin"], str(subscription["id"]),
        json.dumps({"url": receiver.url + "/hooks/audited?token=older-s3cret-token"}),
    )
    trail = await users["auditor"].get("/api/v1/audit/events", params={"source": "admin", "limit": 200})
    assert trail.status_code == 200
    mine = [e for e in trail.json()["items"]
            if e["entity"] == "webhook_subscription" and e["key"] == str(subscription["id"])]
    assert len(mine) == 3
    assert "s3cret" not in json.dumps(mine)
    shown = {e["after"]["url"] for e in mine}
    assert shown == {receiver.url + "/hooks/audited?[redacted]"}
