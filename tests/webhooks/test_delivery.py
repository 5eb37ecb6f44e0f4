"""A court's or a county system's receiver gets every case event: signed,
in order per case, once, through outages, restarts and competing instances."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from casework.webhooks.dispatcher import claim_due, dispatch_once, fan_out
from tests.support import dispute, person, petition
from tests.webhooks.conftest import drain, fast_settings


async def new_cases(client, count: int, **overrides) -> list[dict]:
    cases = []
    for index in range(count):
        response = await client.post("/api/v1/cases", json=dispute(summary=f"webhook {index}", **overrides))
        assert response.status_code == 201, response.text
        cases.append(response.json())
    return cases


async def events_of(db, cases: list[dict]) -> list[dict]:
    rows = await db.fetch(
        "SELECT id, case_id, type FROM case_event WHERE case_id = ANY($1::bigint[]) ORDER BY id",
        [c["id"] for c in cases],
    )
    return [dict(r) for r in rows]


def assert_in_order_per_case(payloads: list[dict]) -> None:
    by_case: dict[str, list[int]] = {}
    for payload in payloads:
        by_case.setdefault(payload["case"], []).append(payload["event_id"])
    for reference, ids in by_case.items():
        assert ids == sorted(ids), f"case {reference} delivered out of order: {ids}"


async def test_a_receiver_down_for_a_while_gets_every_event_in_order_once_it_is_back(
    users, db, receiver, subscribe,
):
    settings = fast_settings()
    subscription = await subscribe("county", division_prefix="140403")
    await receiver.server.stop()  # the county system is down
    cases = await new_cases(users["clerk"], 3)
    expected = await events_of(db, cases)
    assert len(expected) >= 9

    for _ in range(5):  # it keeps failing while the receiver is down
        await dispatch_once(settings)
        await asyncio.sleep(0.05)
    rows = await db.fetch(
        "SELECT state, attempts, last_error FROM webhook_delivery WHERE subscription_id = $1",
        subscription["id"],
    )
    assert len(rows) == len(expected)
    assert {r["state"] for r in rows} == {"pending"}
    tried = [r for r in rows if r["attempts"] > 0]
    # Only the first event of each case is tried: the others wait their turn.
    assert len(tried) == len(cases)
    assert all(r["last_error"] == "connect_refused" for r in tried)

    # It comes back, busy at first.
    receiver.fail_next[subscription["path"]] = 4
    await receiver.server.start()
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == len(expected))

    payloads = receiver.accepted[subscription["path"]]
    assert sorted(receiver.event_ids(subscription["path"])) == [e["id"] for e in expected]
    assert_in_order_per_case(payloads)
    assert receiver.bad_signatures == []
    states = await db.fetch(
        "SELECT DISTINCT state FROM webhook_delivery WHERE subscription_id = $1", subscription["id"]
    )
    assert [r["state"] for r in states] == ["delivered"]


async def test_every_delivery_is_signed_with_the_subscription_secret_and_carries_no_personal_data(
    users, db, receiver, subscribe,
):
    settings = fast_settings()
    subscription = await subscribe("signed", division_prefix="140403100201", event_types=["case_registered"])
    assert subscription["secret"].startswith("whsec_") and subscription["signing_secret"] == subscription["secret"]
    assert len(base64.b64decode(subscription["secret"].removeprefix("whsec_"))) == 32
    applicant = person("applicant", phone="13912345678")
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, person("respondent")]))).json()
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == 1)

    [request] = receiver.requests_to(subscription["path"])
    # Standard Webhooks: verified by the reference library, refused with another secret.
    payload = Webhook(subscription["secret"]).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == str(payload["event_id"])
    assert request.headers["webhook-signature"].startswith("v1,") and " " not in request.headers["webhook-signature"]
    other = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)
    # The release before's headers, kept for one release, as docs/webhooks.md describes them.
    timestamp = request.headers["x-casework-timestamp"]
    assert timestamp == request.headers["webhook-timestamp"]
    secret = subscription["secret"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-casework-signature"] == f"sha256={expected}"
    wrong = hmac.new(b"not-the-secret-at-all", f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["x-casework-signature"] != f"sha256={wrong.hexdigest()}"
    # The body is the outbox payload as stored.
    stored = await db.fetchval("SELECT payload FROM outbox WHERE case_id = $1 AND type = 'case_registered'",
                               case["id"])
    assert request.json() == json.loads(stored)
    assert request.json()["case"] == case["reference"]
    assert request.headers["x-casework-event-id"] == str(request.json()["event_id"])
    assert request.headers["x-casework-event-type"] == "case_registered"
    body = request.body.decode()
    for secret_value in (applicant["phone"], applicant["id_number"], applicant["address"]):
        assert secret_value not in body

    # A secret of plain text (as the release before took them) set by PATCH signs
    # from then on; its Standard Webhooks form is whsec_ + base64 of its bytes.
    rotated = "rotated-secret-0123456789abcdef"
    response = await users["admin"].patch(f"/api/v1/webhooks/subscriptions/{subscription['id']}",
                                          json={"secret": rotated})
    assert response.status_code == 200, response.text
    assert "secret" not in response.json()
    receiver.secrets[subscription["path"]] = ["whsec_" + base64.b64encode(rotated.encode()).decode()]
    await users["clerk"].post("/api/v1/cases", json=dispute())
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == 2)
    assert receiver.bad_signatures == []
    latest = receiver.requests_to(subscription["path"])[-1]
    legacy = hmac.new(rotated.encode(), latest.headers["x-casework-timestamp"].encode() + b"." + latest.body,
                      hashlib.sha256).hexdigest()
    assert latest.headers["x-casework-signature"] == f"sha256={legacy}"


async def test_a_rotated_secret_and_the_previous_one_both_verify_until_the_overlap_ends(
    users, db, receiver, subscribe,
):
    settings = fast_settings()
    subscription = await subscribe("rotating", division_prefix="140403100201", event_types=["case_registered"])
    path, old = subscription["path"], subscription["signing_secret"]
    url = f"/api/v1/webhooks/subscriptions/{subscription['id']}/rotate-secret"

    assert (await users["supervisor"].post(url, json={})).status_code == 403
    refused = await users["admin"].post(url, json={"secret": "whsec_not*base64*at*all"})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["secret"]

    response = await users["admin"].post(url, json={"previous_valid_seconds": 2})
    assert response.status_code == 200, response.text
    rotated = response.json()
    new = rotated["signing_secret"]
    assert new.startswith("whsec_") and new != old and rotated["secret"] == new
    assert rotated["previous_secret_valid_until"] is not None
    listed = (await users["admin"].get("/api/v1/webhooks/subscriptions")).json()["items"]
    mine = next(s for s in listed if s["id"] == subscription["id"])
    assert mine["previous_secret_until"] is not None and "secret" not in mine

    # Within the overlap a receiver that still holds only the old secret verifies,
    # and so does one that already switched: two v1 signatures, space-separated.
    receiver.secrets[path] = [old]
    await users["clerk"].post("/api/v1/cases", json=dispute())
    await drain(settings, lambda: len(receiver.event_ids(path)) == 1)
    request = receiver.requests_to(path)[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(request.body, request.headers)
    Webhook(old).verify(request.body, request.headers)
    assert receiver.bad_signatures == []

    # After the overlap only the new secret signs: the old one is refused.
    await asyncio.sleep(2.1)
    await users["clerk"].post("/api/v1/cases", json=dispute())
    await drain(settings, lambda: len(receiver.bad_signatures) >= 1)
    late = receiver.bad_signatures[-1]
    assert len(late.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(late.body, late.headers)
    receiver.secrets[path] = [new]
    await drain(settings, lambda: len(receiver.event_ids(path)) == 2)

    logged = await db.fetch(
        "SELECT action, after FROM admin_event WHERE entity = 'webhook_subscription' AND key = $1 ORDER BY id",
        str(subscription["id"]))
    assert [r["action"] for r in logged] == ["create", "rotate_secret"]
    assert new not in logged[-1]["after"] and old not in logged[-1]["after"]


async def test_a_restart_mid_delivery_loses_nothing_once_the_lease_runs_out(users, db, receiver, subscribe):
    settings = fast_settings(webhook_lease_seconds=0.5)
    subscription = await subscribe("restart", division_prefix="140403")
    cases = await new_cases(users["clerk"], 2)
    expected = await events_of(db, cases)

    # An instance claims the first event of each case, then dies.
    await fan_out(settings)
    abandoned = await claim_due(settings, instance="crashed-instance")
    mine = [c for c in abandoned if c.case_id in {case["id"] for case in cases}]
    assert len(mine) == 2
    # While its lease holds, nobody else sends those cases' events.
    await dispatch_once(settings, instance="survivor")
    assert receiver.requests_to(subscription["path"]) == []
    claimed = await db.fetch(
        "SELECT claimed_by FROM webhook_delivery WHERE id = ANY($1::bigint[])", [c.delivery_id for c in mine]
    )
    assert {r["claimed_by"] for r in claimed} == {"crashed-instance"}

    await asyncio.sleep(0.6)  # the lease expires
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == len(expected),
                instance="survivor")
    assert sorted(receiver.event_ids(subscription["path"])) == [e["id"] for e in expected]
    assert_in_order_per_case(receiver.accepted[subscription["path"]])
    assert receiver.duplicates.get(subscription["path"], 0) == 0


async def test_a_delivery_dies_after_the_configured_tries_and_an_admin_retry_sends_it(
    users, db, receiver, subscribe,
):
    settings = fast_settings(webhook_max_attempts=3)
    subscription = await subscribe("broken", division_prefix="140403", event_types=["case_registered"])
    receiver.failing[subscription["path"]] = 500
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()

    async def dead() -> list[dict]:
        response = await users["admin"].get(
            "/api/v1/webhooks/deliveries", params={"subscription_id": subscription["id"], "state": "dead"}
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    for _ in range(200):
        await dispatch_once(settings)
        if await dead():
            break
        await asyncio.sleep(0.02)
    [delivery] = await dead()
    assert delivery["attempts"] == 3 and delivery["last_status"] == 500 and delivery["last_error"] == "http_500"
    assert delivery["case"] == case["reference"] and delivery["event_type"] == "case_registered"
    assert len(receiver.requests_to(subscription["path"])) == 3
    for _ in range(3):  # dead stays dead: no more tries
        await dispatch_once(settings)
    assert len(receiver.requests_to(subscription["path"])) == 3

    # Only admins may look or retry; only a dead delivery is retried.
    assert (await users["supervisor"].get("/api/v1/webhooks/deliveries")).status_code == 403
    assert (await users["clerk"].post(f"/api/v1/webhooks/deliveries/{delivery['id']}/retry")).status_code == 403
    del receiver.failing[subscription["path"]]
    response = await users["admin"].post(f"/api/v1/webhooks/deliveries/{delivery['id']}/retry")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "pending" and response.json()["attempts"] == 0
    again = await users["admin"].post(f"/api/v1/webhooks/deliveries/{delivery['id']}/retry")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == 1)
    state = await db.fetchval("SELECT state FROM webhook_delivery WHERE id = $1", delivery["id"])
    assert state == "delivered"
    logged = await db.fetchval(
        "SELECT count(*) FROM admin_event WHERE entity = 'webhook_delivery' AND key = $1 AND action = 'retry'",
        str(delivery["id"]),
    )
    assert logged == 1
    assert (await users["admin"].post("/api/v1/webhooks/deliveries/999999999/retry")).status_code == 404


async def test_a_dead_event_does_not_hold_back_the_later_events_of_its_case(users, db, receiver, subscribe):
    settings = fast_settings(webhook_max_attempts=2)
    subscription = await subscribe("poisoned", division_prefix="140403")
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    expected = await events_of(db, [case])
    first = expected[0]["id"]
    original = receiver.handle

    async def refuse_first(request):  # the receiver chokes on one event only
        if request.json()["event_id"] == first:
            from tests.http_server import Reply

            return Reply(422, {"title": "cannot process"})
        return await original(request)

    receiver.server.handler = refuse_first
    await drain(settings, lambda: len(receiver.event_ids(subscription["path"])) == len(expected) - 1)
    assert receiver.event_ids(subscription["path"]) == [e["id"] for e in expected[1:]]
    assert await db.fetchval(
        "SELECT state FROM webhook_delivery WHERE subscription_id = $1 AND event_id = $2",
        subscription["id"], first,
    ) == "dead"


async def test_two_dispatchers_at_once_never_send_the_same_event_twice(users, db, receiver, subscribe):
    settings = fast_settings(webhook_batch_size=2)
    subscription = await subscribe("contended", division_prefix="140403")
    receiver.delay = 0.03  # deliveries overlap in time
    cases = await new_cases(users["clerk"], 5)
    expected = await events_of(db, cases)
    done = lambda: len(receiver.event_ids(subscription["path"])) == len(expected)

    first, second = await asyncio.gather(
        drain(settings, done, instance="instance-a"), drain(settings, done, instance="instance-b"),
    )
    assert sorted(receiver.event_ids(subscription["path"])) == [e["id"] for e in expected]
    # Not deduped by the receiver: never sent twice at all.
    assert len(receiver.requests_to(subscription["path"])) == len(expected)
    assert receiver.duplicates.get(subscription["path"], 0) == 0
    assert_in_order_per_case(receiver.accepted[subscription["path"]])
    assert sum(r["delivered"] for r in first) > 0 and sum(r["delivered"] for r in second) > 0


async def test_an_event_that_would_carry_personal_data_is_held_back(users, db, receiver, subscribe):
    from casework.cases.events import log_case_event
    from casework.db import connection, transaction

    settings = fast_settings()
    subscription = await subscribe("leak", division_prefix="140403", event_types=["party_contacted"])
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    async with transaction():
        async with connection() as conn:
            await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="party_contacted",
                                 data={"party": 1, "phone": "13912340000"}, actor=None)
    await drain(settings, lambda: True)
    row = await db.fetchrow("SELECT state, last_error FROM webhook_delivery WHERE subscription_id = $1",
                            subscription["id"])
    assert row["state"] == "dead" and row["last_error"] == "personal_data_held_back"
    assert receiver.requests_to(subscription["path"]) == []


async def test_the_service_dispatches_in_the_background_when_background_tasks_are_on(
    users, db, receiver, subscribe,
):
    from casework.webhooks.dispatcher import background

    settings = dataclasses.replace(fast_settings(), run_background_tasks=True)
    subscription = await subscribe("background", division_prefix="140403001", event_types=["case_registered"])
    async with background(settings):
        await users["clerk"].post("/api/v1/cases", json=petition())
        for _ in range(200):
            if receiver.event_ids(subscription["path"]):
                break
            await asyncio.sleep(0.02)
    assert len(receiver.event_ids(subscription["path"])) == 1


async def test_casework_dispatch_once_delivers_from_a_separate_process(users, db, receiver, subscribe):
    subscription = await subscribe("cli", division_prefix="140403", event_types=["case_registered"])
    await users["clerk"].post("/api/v1/cases", json=dispute())
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "casework.cli", "dispatch", "--once", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert "delivered=" in out.decode()
    assert len(receiver.event_ids(subscription["path"])) == 1


async def test_the_log_never_carries_a_receiver_s_path_or_query(users, db, receiver, subscribe, caplog):
    """httpx logs every request it makes ("HTTP Request: POST <url>"); a
    receiver's URL may hold its token in the query or the path, so only the
    scheme and host reach the log."""
    subscription = await subscribe("logged-s3cret-path?token=s3cret-query-token", division_prefix="140403",
                                   event_types=["case_registered"])
    await users["clerk"].post("/api/v1/cases", json=dispute())
    with caplog.at_level(logging.INFO):
        await drain(fast_settings(), lambda: len(receiver.event_ids(subscription["path"])) == 1)
    logged = [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert any("HTTP Request: POST" in r.getMessage() for r in logged)  # httpx did log the request
    assert "s3cret" not in caplog.text
    assert f"HTTP Request: POST {receiver.url} " in caplog.text
