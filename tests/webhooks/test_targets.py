"""Webhooks go to outside systems, not into the service's own network: an
internal target is refused when subscribed and again when connecting, unless
an operator names it in CASEWORK_WEBHOOK_ALLOWED_HOSTS; and a failed delivery
says what kind of failure it was, never what the remote said."""

from __future__ import annotations

import pytest

from casework.webhooks.dispatcher import dispatch_once
from tests.http_server import HttpServer, Reply
from tests.support import dispute
from tests.support_settings import settings_from_env
from tests.webhooks.conftest import drain, fast_settings

INTERNAL = [
    "http://127.0.0.1:{port}/hooks/internal",
    "http://localhost:{port}/hooks/internal",  # a name that resolves to loopback
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0:{port}/hook",
    "http://224.0.0.1/hook",
    "http://[::1]:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "http://2130706433:{port}/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f.1:{port}/hook",  # 127.0.0.1 in hex, short form
    "http://0x7f000001:{port}/hook",
    "http://127.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",  # octal
]


@pytest.mark.parametrize("template", INTERNAL)
async def test_an_internal_target_is_refused_when_subscribing(users, template):
    url = template.format(port=9)
    response = await users["admin"].post("/api/v1/webhooks/subscriptions", json={"url": url})
    assert response.status_code == 422, f"{url}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["url"]


async def test_changing_a_subscription_to_an_internal_target_is_refused(users, receiver, subscribe):
    subscription = await subscribe("moving", division_prefix="140403")
    with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS=""):
        response = await users["admin"].patch(f"/api/v1/webhooks/subscriptions/{subscription['id']}",
                                              json={"url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["url"]


async def test_a_target_allowed_then_internal_at_connection_time_is_not_contacted(
    users, db, receiver, subscribe,
):
    """The receiver's name resolved to an allowed address when subscribed;
    by the time of delivery the allowance is gone (as if the name now
    pointed inside): the dispatcher refuses to connect, and says so."""
    with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS="localhost"):
        response = await users["admin"].post("/api/v1/webhooks/subscriptions", json={
            "url": f"http://localhost:{receiver.server.port}/hooks/rebound", "division_prefix": "140403",
            "event_types": ["case_registered"]})
        assert response.status_code == 201, response.text
    subscription = response.json()
    receiver.secrets["/hooks/rebound"] = [subscription["signing_secret"]]
    try:
        await users["clerk"].post("/api/v1/cases", json=dispute())
        with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS=""):
            settings = fast_settings()
            for _ in range(3):
                await dispatch_once(settings)
        assert receiver.requests_to("/hooks/rebound") == []
        row = await db.fetchrow("SELECT state, attempts, last_error FROM webhook_delivery WHERE subscription_id = $1",
                                subscription["id"])
        assert row["attempts"] >= 1 and row["last_error"] == "target_not_allowed"

        # Allowed again by the operator: it goes out.
        with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS="localhost"):
            await drain(fast_settings(), lambda: len(receiver.event_ids("/hooks/rebound")) == 1)
    finally:
        await users["admin"].post(f"/api/v1/webhooks/subscriptions/{subscription['id']}/deactivate")


async def test_an_allowed_host_name_does_not_open_its_address_to_other_names(users, receiver):
    with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS="localhost"):
        by_address = await users["admin"].post("/api/v1/webhooks/subscriptions",
                                               json={"url": f"{receiver.url}/hooks/by-address"})
    assert by_address.status_code == 422, by_address.text


async def test_delivery_failures_are_recorded_as_codes_not_the_remote_s_words(users, db, receiver, subscribe):
    """What the admin API shows of a failure says what kind it was; the
    receiver's error text, or the operating system's, is not repeated."""

    async def chatty(_request) -> Reply:
        return Reply(500, "db01.internal:5432 refused: password authentication failed for user svc")

    chatty_receiver = HttpServer(chatty)
    await chatty_receiver.start()
    refused_port = HttpServer(chatty).port  # nothing listens there
    made = []
    try:
        for url in (f"{chatty_receiver.url}/hooks/chatty", f"http://127.0.0.1:{refused_port}/hooks/closed"):
            response = await users["admin"].post("/api/v1/webhooks/subscriptions", json={
                "url": url, "division_prefix": "140403", "event_types": ["case_registered"]})
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
        await users["clerk"].post("/api/v1/cases", json=dispute())
        settings = fast_settings()
        for _ in range(3):
            await dispatch_once(settings)
        reasons = {}
        for subscription_id in made:
            [item] = (await users["admin"].get("/api/v1/webhooks/deliveries",
                                               params={"subscription_id": subscription_id})).json()["items"]
            reasons[subscription_id] = item["last_error"]
        assert reasons == {made[0]: "http_500", made[1]: "connect_refused"}
    finally:
        await chatty_receiver.stop()
        for subscription_id in made:
            await users["admin"].post(f"/api/v1/webhooks/subscriptions/{subscription_id}/deactivate")


async def test_failures_stored_as_text_by_an_earlier_version_become_codes(users, db, receiver, subscribe):
    import importlib

    subscription = await subscribe("legacy", division_prefix="140403", event_types=["case_registered"])
    receiver.failing[subscription["path"]] = 502
    await users["clerk"].post("/api/v1/cases", json=dispute())
    await dispatch_once(fast_settings())
    delivery_id = await db.fetchval("SELECT id FROM webhook_delivery WHERE subscription_id = $1",
                                    subscription["id"])
    migration = importlib.import_module("migrations.casework.casework_2026_11_28t09_00_00_000000")
    for old, code in (("ConnectError: [Errno 111] Connect call failed ('10.0.0.5', 8080)", "connect_failed"),
                      ("ReadTimeout: ", "timeout"), ("HTTP 502", "http_502"),
                      ("payload carries personal data; held back", "personal_data_held_back"),
                      ("timeout", "timeout")):
        await db.execute("UPDATE webhook_delivery SET last_error = $2 WHERE id = $1", delivery_id, old)
        await db.execute(migration.SQL)
        assert await db.fetchval("SELECT last_error FROM webhook_delivery WHERE id = $1", delivery_id) == code
