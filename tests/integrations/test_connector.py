"""The case tracker pushes linked records to a court and a legal-aid centre
and reads their status back, and says plainly when the other side is down
or refuses."""

from __future__ import annotations

import asyncio
import base64
import dataclasses

import pytest

from casework.integrations.connector import (
    Connector,
    ExternalSystemNotConfigured,
    ExternalSystemRejected,
    ExternalSystemUnavailable,
    fetch_status,
    push_record,
)
from casework.settings import ExternalSystem, get_settings
from tests.http_server import HttpServer, Reply, free_port


def settings_for(*systems: ExternalSystem):
    return dataclasses.replace(get_settings(), external_systems=systems)


def court(url: str, **extra) -> ExternalSystem:
    values = {"name": "court", "base_url": url + "/api", "token": "court-token-123", "timeout_seconds": 0.5,
                  "max_attempts": 3, "backoff_base_seconds": 0.01}
    values.update(extra)
    return ExternalSystem(**values)


class FakeCourt:
    """A court case-filing system: records by id, busy now and then."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.busy_for = 0  # answer 503 to this many requests first
        self.slow_seconds = 0.0
        self.server = HttpServer(self.handle)

    async def handle(self, request) -> Reply:
        if self.slow_seconds:
            await asyncio.sleep(self.slow_seconds)
        if self.busy_for > 0:
            self.busy_for -= 1
            return Reply(503, {"title": "busy"})
        if request.method == "POST" and request.path == "/api/records":
            record = request.json()
            if not record.get("case_number"):
                return Reply(422, {"type": "about:blank", "title": "Invalid record",
                                   "detail": "case_number is required"},
                             headers={"Content-Type": "application/problem+json"})
            key = request.headers["idempotency-key"]
            self.records.setdefault(key, {"external_id": f"EXT-{len(self.records) + 1}",
                                          "status": "filed", **record})
            return Reply(201, self.records[key])
        if request.method == "GET" and request.path.startswith("/api/records/"):
            wanted = request.path.rsplit("/", 1)[1]
            for record in self.records.values():
                if record["external_id"] == wanted:
                    return Reply(200, {"external_id": wanted, "status": record["status"]})
            return Reply(404, {"title": "Not found", "detail": f"no record {wanted}"})
        return Reply(404, "no such route")


@pytest.fixture
async def fake_court():
    fake = FakeCourt()
    await fake.server.start()
    yield fake
    await fake.server.stop()


async def test_a_record_pushed_to_the_court_comes_back_with_its_status(fake_court):
    settings = settings_for(court(fake_court.server.url))
    pushed = await push_record("court", {"case_number": "(2026)晋0403民初123号", "reference": "140403-2026-000001"},
                               settings=settings)
    assert pushed["external_id"] == "EXT-1" and pushed["status"] == "filed"
    status = await fetch_status("court", pushed["external_id"], settings=settings)
    assert status == {"external_id": "EXT-1", "status": "filed"}
    request = fake_court.server.requests[0]
    assert request.headers["authorization"] == "Bearer court-token-123"
    assert request.json()["case_number"] == "(2026)晋0403民初123号"


async def test_a_busy_court_is_retried_and_a_retried_push_makes_one_record(fake_court):
    settings = settings_for(court(fake_court.server.url))
    fake_court.busy_for = 2
    pushed = await push_record("court", {"case_number": "(2026)晋0403民初124号"}, settings=settings)
    assert pushed["external_id"] == "EXT-1"
    posts = fake_court.server.requests
    assert len(posts) == 3
    assert len({r.headers["idempotency-key"] for r in posts}) == 1  # same key on every try
    assert len(fake_court.records) == 1


async def test_a_court_that_keeps_failing_is_reported_unavailable_after_bounded_tries(fake_court):
    settings = settings_for(court(fake_court.server.url, max_attempts=3))
    fake_court.busy_for = 100
    with pytest.raises(ExternalSystemUnavailable) as caught:
        await fetch_status("court", "EXT-9", settings=settings)
    assert caught.value.system == "court" and caught.value.attempts == 3
    assert "HTTP 503" in caught.value.cause
    assert len(fake_court.server.requests) == 3


async def test_a_court_that_is_down_is_reported_unavailable_with_its_cause():
    settings = settings_for(court(f"http://127.0.0.1:{free_port()}", max_attempts=2))
    with pytest.raises(ExternalSystemUnavailable) as caught:
        await push_record("court", {"case_number": "x"}, settings=settings)
    assert caught.value.system == "court"
    assert "ConnectError" in caught.value.cause
    assert "court" in str(caught.value)


async def test_a_court_that_does_not_answer_in_time_is_unavailable(fake_court):
    settings = settings_for(court(fake_court.server.url, timeout_seconds=0.1, max_attempts=2))
    fake_court.slow_seconds = 0.5
    with pytest.raises(ExternalSystemUnavailable) as caught:
        await fetch_status("court", "EXT-1", settings=settings)
    assert "Timeout" in caught.value.cause


async def test_a_refused_record_is_rejected_at_once_with_the_courts_reason(fake_court):
    settings = settings_for(court(fake_court.server.url))
    with pytest.raises(ExternalSystemRejected) as caught:
        await push_record("court", {"reference": "140403-2026-000009"}, settings=settings)
    assert caught.value.status == 422
    assert caught.value.problem == "Invalid record: case_number is required"
    assert len(fake_court.server.requests) == 1  # a 4xx is not retried
    with pytest.raises(ExternalSystemRejected) as missing:
        await fetch_status("court", "EXT-404", settings=settings)
    assert missing.value.status == 404


async def test_the_legal_aid_centre_is_reached_with_basic_credentials(fake_court):
    legal_aid = ExternalSystem(name="legal_aid", base_url=fake_court.server.url + "/api",
                               username="casework", password="s3cret", timeout_seconds=1.0)
    async with Connector(settings_for(legal_aid)) as connector:
        pushed = await connector.push_record("legal_aid", {"case_number": "LA-2026-7"})
        assert (await connector.fetch_status("legal_aid", pushed["external_id"]))["status"] == "filed"
        with pytest.raises(ExternalSystemNotConfigured):
            await connector.fetch_status("court", "EXT-1")
    expected = "Basic " + base64.b64encode(b"casework:s3cret").decode()
    assert {r.headers["authorization"] for r in fake_court.server.requests} == {expected}
