"""Parties are told: an applicant who consented gets an SMS at each step the
law requires a notice, through a gateway on loopback that fails, times out
and then succeeds; each message goes once, and each sending is in the
case's timeline."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from casework.settings import get_settings
from casework.sms.dispatcher import dispatch_once
from tests.http_server import HttpServer, Reply, Request
from tests.public.test_applications import application, file
from tests.support import act, phone

pytestmark = pytest.mark.asyncio


class Gateway:
    """Answers each message id with the scripted faults first, then 200."""

    def __init__(self) -> None:
        self.server = HttpServer(self.handle)
        self.script: list[str] = []  # "fail" | "slow", consumed per request
        self.received: list[dict] = []

    async def handle(self, request: Request) -> Reply:
        body = request.json()
        self.received.append({**body, "authorization": request.headers.get("authorization")})
        fault = self.script.pop(0) if self.script else "ok"
        if fault == "fail":
            return Reply(503, {"error": "busy"})
        if fault == "slow":
            await asyncio.sleep(1.0)
        return Reply(200, {"code": "OK"})

    def to(self, number: str) -> list[dict]:
        return [m for m in self.received if m["phone"] == number]


@pytest.fixture
async def gateway():
    gw = Gateway()
    await gw.server.start()
    yield gw
    await gw.server.stop()


def settings(gw: Gateway, **overrides):
    values = {"sms_gateway_url": gw.server.url + "/sms/send", "sms_gateway_token": "gw-token",
                  "sms_template_ids": "registered=SMS_0001,not_accepted=SMS_0002", "sms_timeout_seconds": 0.3,
                  "webhook_backoff_base_seconds": 0.02, "webhook_backoff_max_seconds": 0.1, "sms_max_attempts": 5}
    values.update(overrides)
    return dataclasses.replace(get_settings(), **values)


async def drain(config, db, reference: str, timeout: float = 15.0) -> None:
    """Dispatch rounds until every message of the case is sent, dead or skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await dispatch_once(config)  # makes the case's messages from the outbox
    while await db.fetchval(
            """SELECT count(*) FROM sms_message m JOIN case_file c ON c.id = m.case_id
               WHERE c.reference = $1 AND m.state = 'pending'""", reference):
        assert loop.time() < deadline, "the messages did not settle"
        await dispatch_once(config)
        await asyncio.sleep(0.03)


async def timeline(users, reference):
    return (await users["village_mediator"].get(f"/api/v1/cases/{reference}/events")).json()["items"]


async def test_a_registration_is_told_once_through_failures_and_a_timeout(app, users, db, gateway):
    await dispatch_once(settings(gateway))  # what earlier tests left in the outbox
    number = phone()
    receipt = (await file(app, application(applicant={"name": "郑短信", "phone": number}, sms_consent=True))).json()
    assert (await act(users["village_mediator"], receipt["reference"], "register_online")).status_code == 200
    gateway.script = ["fail", "slow", "ok"]
    config = settings(gateway)
    await drain(config, db, receipt["reference"])
    sent = gateway.to(number)
    assert len(sent) == 3 and len({m["message_id"] for m in sent}) == 1  # one message, tried three times
    message = sent[-1]
    assert message["template_id"] == "SMS_0001" and message["authorization"] == "Bearer gw-token"
    assert message["params"]["reference"] == receipt["reference"] and message["params"]["body"]
    assert "郑短信" not in str(message)
    for _ in range(3):
        await dispatch_once(config)
    assert len(gateway.to(number)) == 3  # sent, never again
    events = await timeline(users, receipt["reference"])
    told = [e for e in events if e["type"] == "sms_sent"]
    assert len(told) == 1 and told[0]["data"]["step"] == "registered" and told[0]["data"]["attempts"] == 3
    assert number not in str(events)




async def test_no_consent_no_message(app, users, db, gateway):
    config = settings(gateway)
    await dispatch_once(config)
    number = phone()
    receipt = (await file(app, application(applicant={"name": "钱", "phone": number}, sms_consent=False))).json()
    await act(users["village_mediator"], receipt["reference"], "register_online")
    await dispatch_once(config)
    await dispatch_once(config)
    assert gateway.to(number) == []
    assert not [e for e in await timeline(users, receipt["reference"]) if e["type"].startswith("sms_")]


async def test_a_refusal_is_told_with_the_standard_reason_and_a_dead_gateway_is_given_up_on(app, users, db, gateway):
    config = settings(gateway, sms_max_attempts=2)
    await dispatch_once(config)
    number = phone()
    receipt = (await file(app, application(applicant={"name": "孙", "phone": number}))).json()
    await act(users["village_mediator"], receipt["reference"], "refuse_online",
              {"reason": "内部：广告", "reason_code": "not_a_matter"})
    gateway.script = ["fail", "fail"]
    await drain(config, db, receipt["reference"])
    sent = gateway.to(number)
    assert len(sent) == 2 and sent[0]["template_id"] == "SMS_0002"
    assert sent[0]["params"] == {"reference": receipt["reference"], "reason": "不属于信访或纠纷事项"}
    failed = [e for e in await timeline(users, receipt["reference"]) if e["type"] == "sms_failed"]
    assert len(failed) == 1 and failed[0]["data"]["error"] == "http_503"


async def test_one_phone_gets_at_most_its_daily_messages(app, users, db, gateway):
    config = settings(gateway, sms_per_phone_per_day=1)
    await dispatch_once(config)
    number = phone()
    receipt = (await file(app, application(applicant={"name": "李", "phone": number}))).json()
    station = users["village_mediator"]
    await act(station, receipt["reference"], "request_supplement", {"missing": "对方住址"})
    await act(station, receipt["reference"], "supplement_received")
    await act(station, receipt["reference"], "register_online")
    await drain(config, db, receipt["reference"])
    assert [m["params"]["reference"] for m in gateway.to(number)] == [receipt["reference"]]
    events = await timeline(users, receipt["reference"])
    assert [e["data"]["step"] for e in events if e["type"] == "sms_sent"] == ["supplement"]
    assert [e["data"]["why"] for e in events if e["type"] == "sms_not_sent"] == ["throttled_per_phone"]


async def test_acceptance_and_an_extension_are_told_with_the_new_due_date(app, users, db, gateway):
    config = settings(gateway)
    await dispatch_once(config)
    number = phone()
    receipt = (await file(app, application(applicant={"name": "周", "phone": number}))).json()
    station = users["village_mediator"]
    await act(station, receipt["reference"], "register_online")
    accepted = await act(station, receipt["reference"], "accept")
    assert accepted.status_code == 200, accepted.text
    running = [c for c in accepted.json()["proceeding"]["clocks"] if c["state"] == "running" and c["whose"] == "body"]
    extended = await act(station, receipt["reference"], "extend_deadline", {
        "clock": running[0]["time_limit"], "days": 1,  # in the limit's unit (months here)
        "approver": "调委会主任", "reason": "双方同意延长",
        "party_informed": True})
    assert extended.status_code == 200, extended.text
    due_after = next(c for c in extended.json()["proceeding"]["clocks"]
                     if c["time_limit"] == running[0]["time_limit"])["due_on"]
    await drain(config, db, receipt["reference"])
    steps = [(m["template_id"], m["params"]) for m in gateway.to(number)]
    assert steps == [("SMS_0001", {"reference": receipt["reference"], "body": steps[0][1]["body"]}),
                     ("accepted", {"reference": receipt["reference"]}),
                     ("extended", {"reference": receipt["reference"], "due_on": due_after})]
