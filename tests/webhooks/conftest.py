"""A real receiver on 127.0.0.1 (allowed as a webhook target, as an operator
would allow it), admin-made subscriptions, and fast settings.

The receiver checks every signature the way docs/webhooks.md tells a
receiver to: with the ``standardwebhooks`` library, never the project's
signing code. It accepts each event id once per subscription, as a real
receiver that dedupes would.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from casework.settings import get_settings
from casework.webhooks.dispatcher import dispatch_once
from tests.http_server import HttpServer, Reply, Request
from tests.support_settings import settings_from_env


def verify(secrets: list[str], request: Request) -> bool:
    """Standard Webhooks verification (id, timestamp within 5 minutes, a v1
    signature) with any of the receiver's whsec_ secrets."""
    for secret in secrets:
        try:
            Webhook(secret).verify(request.body, request.headers)
            return True
        except WebhookVerificationError:
            continue
    return False


class Receiver:
    def __init__(self) -> None:
        self.server = HttpServer(self.handle)
        self.secrets: dict[str, list[str]] = {}  # path -> the whsec_ secrets it accepts
        self.accepted: dict[str, list[dict]] = {}  # path -> payloads, in arrival order
        self.duplicates: dict[str, int] = {}
        self.bad_signatures: list[Request] = []
        self.failing: dict[str, int] = {}  # path -> status to answer with
        self.fail_next: dict[str, int] = {}  # path -> how many more 503s before answering
        self.delay = 0.0

    @property
    def url(self) -> str:
        return self.server.url

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.server.requests if r.path == path]

    def event_ids(self, path: str) -> list[int]:
        return [p["event_id"] for p in self.accepted.get(path, [])]

    async def handle(self, request: Request) -> Reply:
        if self.delay:
            await asyncio.sleep(self.delay)
        secret = self.secrets.get(request.path)
        if secret is None or not verify(secret, request):
            self.bad_signatures.append(request)
            return Reply(401, {"title": "bad signature"})
        if request.path in self.failing:
            return Reply(self.failing[request.path], "receiver broken")
        if self.fail_next.get(request.path, 0) > 0:
            self.fail_next[request.path] -= 1
            return Reply(503, "busy", headers={"Retry-After": "0"})
        payload = request.json()
        assert str(payload["event_id"]) == request.headers["webhook-id"] == request.headers["x-casework-event-id"]
        seen = self.accepted.setdefault(request.path, [])
        if any(p["event_id"] == payload["event_id"] for p in seen):
            self.duplicates[request.path] = self.duplicates.get(request.path, 0) + 1
        else:
            seen.append(payload)
        return Reply(200, {"ok": True})


@pytest.fixture
async def receiver():
    """A receiver on 127.0.0.1, which webhooks may reach only because the
    operator says so (CASEWORK_WEBHOOK_ALLOWED_HOSTS, docs/webhooks.md)."""
    with settings_from_env(CASEWORK_WEBHOOK_ALLOWED_HOSTS="127.0.0.1"):
        receiver = Receiver()
        await receiver.server.start()
        yield receiver
        await receiver.server.stop()


@pytest.fixture
async def subscribe(users, receiver):
    """Make subscriptions through the admin API; deactivate them afterwards so
    later tests' dispatch rounds leave them alone."""
    made: list[int] = []

    async def make(name: str, **fields) -> dict:
        path = f"/hooks/{name}"
        response = await users["admin"].post(
            "/api/v1/webhooks/subscriptions", json={"url": receiver.url + path, **fields}
        )
        assert response.status_code == 201, response.text
        subscription = response.json()
        receiver.secrets[path] = [subscription["signing_secret"]]
        made.append(subscription["id"])
        return {**subscription, "path": path}

    yield make
    for subscription_id in made:
        await users["admin"].post(f"/api/v1/webhooks/subscriptions/{subscription_id}/deactivate")


def fast_settings(**overrides):
    """Backoff in tens of milliseconds so a test with many retries runs in seconds."""
    values = {"webhook_backoff_base_seconds": 0.02, "webhook_backoff_max_seconds": 0.2,
                  "webhook_max_attempts": 100, "webhook_timeout_seconds": 2.0, "webhook_lease_seconds": 10.0,
                  "webhook_batch_size": 50, "webhook_poll_interval_seconds": 0.05}
    values.update(overrides)
    return dataclasses.replace(get_settings(), **values)


async def drain(settings, until, *, timeout: float = 15.0, instance: str | None = None) -> list[dict]:
    """Run dispatch rounds until ``until()`` holds; returns each round's counts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    rounds = []
    while True:
        rounds.append(await dispatch_once(settings, instance=instance))
        if until():
            return rounds
        assert loop.time() < deadline, f"gave up waiting after {len(rounds)} rounds: {rounds[-3:]}"
        await asyncio.sleep(0.02)
