"""Webhooks under faults: deliveries pending at a crash are made after the
restart, and a receiver that is slow, down or answering 500 gets every event
once it recovers.

Written against the dispatcher's expected interface (casework.webhooks, being
built in parallel): an admin creates a subscription with
``POST /api/v1/webhooks/subscriptions`` {url, secret, event_types,
division_prefix}; each delivery is a POST carrying ``X-Casework-Event-Id``.
Both checks skip until ``casework.webhooks`` can be imported.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time

import asyncpg
import pytest
import uvicorn

from tests.reliability import harness
from tests.reliability.load import client, draft

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(importlib.util.find_spec("casework.webhooks") is None,
                       reason="casework.webhooks (the webhook dispatcher) is not in this tree yet"),
]

DELIVERY_DEADLINE = harness.size(90, 180)  # seconds for every event to arrive once the receiver is well


class Receiver:
    """A webhook receiver on 127.0.0.1 whose behaviour the check sets:
    ``ok``, ``slow`` (answers after 20 s), ``error`` (500), or stopped (down)."""

    def __init__(self) -> None:
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.mode = "ok"
        self.received: dict[str, int] = {}  # event id -> deliveries answered 2xx
        self.attempts = 0
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task | None = None

    async def app(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.attempts += 1
        event_id = dict(scope["headers"]).get(b"x-casework-event-id", b"").decode()
        status = 200
        if self.mode == "slow":
            await asyncio.sleep(20)
        elif self.mode == "error":
            status = 500
        if status == 200 and event_id:
            self.received[event_id] = self.received.get(event_id, 0) + 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def start(self) -> None:
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off", interface="asgi3"))
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.server:
            self.server.should_exit = True
            await self.task
            self.server = None


# The receiver listens on 127.0.0.1, which webhooks reach only when the
# operator allows it (docs/webhooks.md, "Allowed targets").
LOOPBACK_RECEIVER = {"CASEWORK_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


async def _subscribe(service, receiver: Receiver) -> int:
    """Subscribe the receiver; returns the subscription's starting point (the
    last outbox row before it): a subscription receives the events recorded
    after it was made. Read from the subscription itself, not before making
    it: the service's own sweeper marks the demo's mediation clocks due soon
    just as the service starts, and events committed between a read taken
    before and the subscription were expected here but, rightly, not sent."""
    async with client(service.base_url, service.token("admin")) as admin:
        response = await admin.post("/api/v1/webhooks/subscriptions", json={
            "url": receiver.url, "secret": "reliability-secret-0123456789", "event_types": [],
            "division_prefix": "1404"})
        assert response.status_code in (200, 201), response.text
    return response.json()["starts_after_outbox_id"]


async def _event_ids(service, after: int) -> set[str]:
    """The events the subscription covers: those whose outbox row comes after its start."""
    conn = await asyncpg.connect(service.database_url)
    try:
        return {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM outbox WHERE id > $1", after)}
    finally:
        await conn.close()


async def _wait_for_all(service, receiver: Receiver, after: int) -> tuple[set[str], float]:
    started = time.monotonic()
    while time.monotonic() - started < DELIVERY_DEADLINE:
        missing = await _event_ids(service, after) - set(receiver.received)
        if not missing:
            return set(), round(time.monotonic() - started, 1)
        await asyncio.sleep(1)
    return await _event_ids(service, after) - set(receiver.received), round(time.monotonic() - started, 1)


async def test_webhooks_pending_at_a_crash_are_delivered_after_the_restart(service_factory, request):
    receiver = Receiver()
    await receiver.start()
    service = await service_factory("webhook_crash", LOOPBACK_RECEIVER)
    try:
        baseline = await _subscribe(service, receiver)
        receiver.mode = "error"  # hold deliveries back so some are pending at the kill
        async with client(service.base_url, service.token("clerk")) as clerk:
            for n in range(harness.size(30, 150)):
                assert (await clerk.post("/api/v1/cases", json=draft(f"webhook crash {n}"))).status_code == 201
        service.kill()
        receiver.mode = "ok"
        await asyncio.to_thread(service.start)
        missing, seconds = await _wait_for_all(service, receiver, baseline)
    finally:
        await receiver.stop()
    events = len(await _event_ids(service, baseline))
    harness.record(harness.Row(
        check="Webhooks: crash with deliveries pending",
        tried="receiver answering 500 while cases were registered, service SIGKILLed, restarted, receiver well",
        amount=f"{events} events, {receiver.attempts} delivery attempts",
        held=f"every event delivered {seconds}s after the restart: {not missing}",
        lost=f"{len(missing)} events", ok=not missing,
        figures={"nodeid": request.node.nodeid, "missing": sorted(missing)[:20]},
    ))
    assert not missing, f"{len(missing)} events never delivered"


async def test_a_slow_down_or_failing_receiver_gets_every_event_once_it_recovers(service_factory, request):
    receiver = Receiver()
    await receiver.start()
    service = await service_factory("webhook_receiver", LOOPBACK_RECEIVER)
    phases = []
    try:
        baseline = await _subscribe(service, receiver)
        async with client(service.base_url, service.token("clerk")) as clerk:
            for mode in ("slow", "down", "error"):
                if mode == "down":
                    await receiver.stop()
                else:
                    receiver.mode = mode
                for n in range(harness.size(10, 50)):
                    response = await clerk.post("/api/v1/cases", json=draft(f"webhook {mode} {n}"))
                    assert response.status_code == 201, response.text
                await asyncio.sleep(harness.size(10, 30))
                if mode == "down":
                    await receiver.start()
                phases.append(mode)
        receiver.mode = "ok"
        missing, seconds = await _wait_for_all(service, receiver, baseline)
    finally:
        await receiver.stop()
    events = len(await _event_ids(service, baseline))
    harness.record(harness.Row(
        check="Webhooks: slow, down, 500 receiver",
        tried=f"receiver {', then '.join(phases)} while cases were registered, then well again",
        amount=f"{events} events, {receiver.attempts} delivery attempts",
        held=f"every event delivered within {seconds}s of the receiver recovering: {not missing}",
        lost=f"{len(missing)} events", ok=not missing,
        figures={"nodeid": request.node.nodeid, "missing": sorted(missing)[:20]},
    ))
    assert not missing, f"{len(missing)} events never delivered"
