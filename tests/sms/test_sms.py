"""Parties are told: an applicant who consented gets an SMS at each step the
law requires a notice, through a gateway on loopback that fails, times out
and then succeeds; each message goes once, and each sending is in the
case's timeline."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from casework.settings import get_settings
from casework.sms.dispatcher import dispatch_once, steps
from tests.http_server import HttpServer, Reply, Request
from tests.public.test_applications import application, file
from tests.records.support import AGENCY
from tests.support import act, dispute, id_number, on, person, phone
from tests.support_access import ensure_user

pytestmark = pytest.mark.asyncio


class Gateway:
    """Answers a phone's messages with the faults scripted for that phone
    first, then 200: messages that earlier tests left for other phones do
    not use up a test's script."""

    def __init__(self) -> None:
        self.server = HttpServer(self.handle)
        self.script: dict[str, list[str]] = {}  # phone -> "fail" | "slow" | "ok", consumed per request
        self.received: list[dict] = []

    async def handle(self, request: Request) -> Reply:
        body = request.json()
        self.received.append({**body, "authorization": request.headers.get("authorization")})
        faults = self.script.get(body["phone"])
        fault = faults.pop(0) if faults else "ok"
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


async def timeline(users, reference, who="village_mediator"):
    return (await users[who].get(f"/api/v1/cases/{reference}/events")).json()["items"]


async def test_a_registration_is_told_once_through_failures_and_a_timeout(app, users, db, gateway):
    await dispatch_once(settings(gateway))  # what earlier tests left in the outbox
    number = phone()
    receipt = (await file(app, application(applicant={"name": "郑短信", "phone": number}, sms_consent=True))).json()
    assert (await act(users["village_mediator"], receipt["reference"], "register_online")).status_code == 200
    gateway.script = {number: ["fail", "slow", "ok"]}
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
    gateway.script = {number: ["fail", "fail"]}
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


async def accepted_online(app, users, config, name: str):
    """A case filed online by ``name`` on a new phone, registered and accepted
    by the station (after the earlier tests' leftovers are sent)."""
    await dispatch_once(config)
    number = phone()
    receipt = (await file(app, application(applicant={"name": name, "phone": number}))).json()
    station = users["village_mediator"]
    await act(station, receipt["reference"], "register_online")
    accepted = await act(station, receipt["reference"], "accept")
    return number, receipt, station, accepted


async def test_acceptance_and_an_extension_are_told_with_the_new_due_date(app, users, db, gateway):
    config = settings(gateway)
    number, receipt, station, accepted = await accepted_online(app, users, config, "周")
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


async def test_a_phone_is_told_in_the_order_the_case_moved_even_when_the_first_message_fails(
        app, users, db, gateway):
    config = settings(gateway)
    number, receipt, _station, accepted = await accepted_online(app, users, config, "吴")
    assert accepted.status_code == 200, accepted.text
    gateway.script = {number: ["fail"]}  # the registration's first try
    await drain(config, db, receipt["reference"])
    received = [(m["template_id"], m["message_id"]) for m in gateway.to(number)]
    registered = received[0][1]
    assert received == [("SMS_0001", registered), ("SMS_0001", registered),
                        ("accepted", received[2][1])], received
    assert int(received[2][1].rsplit("-", 1)[1]) > int(registered.rsplit("-", 1)[1])


# ---------------------------------------------------------------- forwarded, concluded, the party's window

HRSS_NAME = "潞州区人力资源和社会保障局"
BUREAU_NAME = "潞州区信访局"
STEP_TEMPLATES = "registered=SMS_0001,forwarded=SMS_0003,concluded=SMS_0004,party_window=SMS_0005"


def template_params() -> dict[str, list[str]]:
    """Each step's parameters as sms_steps.json names them: all a message may carry."""
    return {step["code"]: step["params"] for step in steps().values()}


def online_petition(number: str, **applicant) -> dict:
    """An appeal about a pension, filed online from a Luzhou community with consent to SMS;
    the applicant gives everything personal the form takes."""
    return application(
        kind="petition", petition_type="appeal", category="social_security", division_code="140403001001",
        summary="养老保险待遇核定有误", description="本人冯短信，住英雄南路8号，养老金核定少算工龄三年。",
        applicant={"name": "冯短信", "phone": number, "id_number": id_number(),
                   "address": "长治市潞州区英雄南路8号", **applicant},
        respondent={"kind": "agency", "name": "潞州区社会保险中心"}, sms_consent=True)


def told(gateway: Gateway, number: str) -> list[tuple[str, dict]]:
    """(template id, params) of each message to ``number``, in the order they were made."""
    messages = {m["message_id"]: m for m in gateway.to(number)}  # retries carry the same id
    ordered = sorted(messages.values(), key=lambda m: int(m["message_id"].rsplit("-", 1)[1]))
    return [(m["template_id"], m["params"]) for m in ordered]


def nothing_personal(messages: list[tuple[str, dict]], draft: dict) -> None:
    secrets_ = [draft["applicant"][k] for k in ("name", "phone", "id_number", "address")]
    secrets_.append(draft["description"])
    for _template, params in messages:
        text = json.dumps(params, ensure_ascii=False)
        assert not [s for s in secrets_ if s in text], params


async def test_a_forwarded_petition_tells_the_department_then_the_opinion_and_the_30_days_to_ask_for_review(
        app, users, db, gateway):
    """Filed online on Monday 2026-11-02, registered on 11-03 by the district
    petition bureau, forwarded (转送) on 11-04 to the social-security bureau,
    which accepts on 11-05 and gives its opinion on 11-30, handed over the
    same day: the petitioner has 30 days from receiving it to ask for a review
    (信访工作条例 art. 35), to 12-30. The dispatcher runs after each step, as
    the service's does every few seconds. The clocks the bodies start are
    not the party's window: one window message, for the review."""
    config = settings(gateway, sms_template_ids=STEP_TEMPLATES)
    await dispatch_once(config)
    number = phone()
    draft = online_petition(number)
    officer = users["officer"]
    hrss = await ensure_user(users, "hrss_officer", "officer", "140403", "140403-HRSS")
    with on("2026-11-02"):
        receipt = (await file(app, draft)).json()
    reference = receipt["reference"]
    with on("2026-11-03"):
        assert (await act(officer, reference, "register_online")).status_code == 200
        await drain(config, db, reference)
    with on("2026-11-04"):
        forwarded = await act(officer, reference, "forward", {"body_code": "140403-HRSS", "reason": "属人社部门职责"})
        assert forwarded.status_code == 200, forwarded.text
        await drain(config, db, reference)
    assert told(gateway, number)[-1] == ("SMS_0003", {"reference": reference, "body": HRSS_NAME})
    with on("2026-11-05"):
        assert (await act(hrss, reference, "accept")).status_code == 200
        await drain(config, db, reference)
    with on("2026-11-30"):
        concluded = await act(hrss, reference, "conclude", {
            "outcome": "opinion_issued", "opinion": "partly_supported",
            "served": {"method": "in_person", "served_on": "2026-11-30"}})
        assert concluded.status_code == 200, concluded.text
        await drain(config, db, reference)
    window = next(c for c in concluded.json()["proceeding"]["clocks"] if c["whose"] == "party")
    assert (window["time_limit"], window["started_on"], window["due_on"]) == (
        "petition.request_review", "2026-11-30", "2026-12-30")

    messages = told(gateway, number)
    assert messages == [
        ("SMS_0001", {"reference": reference, "body": BUREAU_NAME}),
        ("SMS_0003", {"reference": reference, "body": HRSS_NAME}),
        ("accepted", {"reference": reference}),
        ("SMS_0004", {"reference": reference}),
        ("SMS_0005", {"reference": reference, "step": "请求复查", "due_on": "2026-12-30"}),
    ]
    params = template_params()
    codes = ["registered", "forwarded", "accepted", "concluded", "party_window"]
    for code, (_template, sent) in zip(codes, messages):
        assert set(sent) == set(params[code])  # what the template takes, nothing more
    nothing_personal(messages, draft)
    events = await timeline(users, reference, "officer")
    # One sms_sent each, in the order the messages were made (a round sends its messages at once).
    sent_events = sorted((e["data"] for e in events if e["type"] == "sms_sent"), key=lambda d: d["message_id"])
    assert [d["step"] for d in sent_events] == codes
    assert number not in json.dumps(events, ensure_ascii=False)
    for _ in range(2):  # each step is told once
        await dispatch_once(config)
    assert told(gateway, number) == messages


async def test_a_forward_names_the_department_it_went_to_even_if_returned_before_the_message_is_made(
        app, users, db, gateway):
    """Forwarded on 2026-11-04 and returned by the department on 11-05, within
    its 5 working days, while the dispatcher was not running (a restart, a
    backlog): the forwarded message still names the department the matter
    was forwarded to, not the bureau that has it back."""
    config = settings(gateway, sms_template_ids=STEP_TEMPLATES)
    await dispatch_once(config)
    number = phone()
    officer = users["officer"]
    hrss = await ensure_user(users, "hrss_officer", "officer", "140403", "140403-HRSS")
    with on("2026-11-02"):
        reference = (await file(app, online_petition(number))).json()["reference"]
    with on("2026-11-03"):
        assert (await act(officer, reference, "register_online")).status_code == 200
        await drain(config, db, reference)
    with on("2026-11-04"):
        assert (await act(officer, reference, "forward", {"body_code": "140403-HRSS"})).status_code == 200
    with on("2026-11-05"):
        returned = await act(hrss, reference, "return_matter", {"reason": "不属于本部门职责"})
        assert returned.status_code == 200, returned.text
        assert returned.json()["proceeding"]["body"]["code"] == "140403-PB"
        await drain(config, db, reference)
    assert told(gateway, number)[1:] == [("SMS_0003", {"reference": reference, "body": HRSS_NAME})]


async def test_an_assignment_to_a_department_is_told_as_a_forward_and_one_inside_the_bureau_is_not(
        app, users, db, gateway):
    """交办: the bureau assigns a petition to the social-security bureau with a
    report due; the petitioner is told, as for 转送 (信访工作条例 art. 22). A
    second petition handed to one of the bureau's own officers stays with
    the bureau: nothing to tell."""
    config = settings(gateway, sms_template_ids=STEP_TEMPLATES)
    await dispatch_once(config)
    officer = users["officer"]
    first, second = phone(), phone()
    with on("2026-11-02"):
        assigned_out = (await file(app, online_petition(first))).json()["reference"]
        kept_in = (await file(app, online_petition(second))).json()["reference"]
    with on("2026-11-03"):
        for reference in (assigned_out, kept_in):
            assert (await act(officer, reference, "register_online")).status_code == 200
        out = await act(officer, assigned_out, "assign", {"body_code": "140403-HRSS", "report_by": "2026-12-01"})
        assert out.status_code == 200, out.text
        inside = await act(officer, kept_in, "assign", {"assignee": "officer"})
        assert inside.status_code == 200 and inside.json()["stage"] == "forwarded", inside.text
        await drain(config, db, assigned_out)
        await drain(config, db, kept_in)
    assert told(gateway, first)[1:] == [("SMS_0003", {"reference": assigned_out, "body": HRSS_NAME})]
    assert [template for template, _ in told(gateway, second)] == ["SMS_0001"]  # registered only


async def test_a_mediation_agreement_is_told_as_concluded_with_the_reference_alone(app, users, db, gateway):
    """A neighbour dispute filed online on 2026-11-02, registered and accepted
    by the village's mediation committee on 11-03, settled by agreement on
    11-20: the applicant is told it is concluded, with the reference alone."""
    config = settings(gateway, sms_template_ids=STEP_TEMPLATES)
    await dispatch_once(config)
    number = phone()
    draft = application(applicant={"name": "褚调解", "phone": number, "id_number": id_number(),
                                   "address": "关村村东头三号"})
    station = users["village_mediator"]
    with on("2026-11-02"):
        reference = (await file(app, draft)).json()["reference"]
    with on("2026-11-03"):
        assert (await act(station, reference, "register_online")).status_code == 200
        assert (await act(station, reference, "accept")).status_code == 200
        await drain(config, db, reference)
    with on("2026-11-20"):
        concluded = await act(station, reference, "conclude", {"outcome": "agreement"})
        assert concluded.status_code == 200, concluded.text
        await drain(config, db, reference)
    messages = told(gateway, number)
    assert messages[2:] == [("SMS_0004", {"reference": reference})]
    nothing_personal(messages, draft)


async def test_a_supplement_window_is_told_as_a_supplement_not_as_a_right_to_challenge(app, users, db, gateway):
    """A reconsideration application taken at the counter with consent to SMS:
    the office asks for a document on 2026-11-04, the notice is handed over on
    11-05 and the applicant's 10 working days to supply it run to 11-19. The
    applicant is told a supplement is needed, once; that clock is the
    applicant's, but no window to challenge anything (\"如不服...\" would be
    wrong), so no party_window message."""
    config = settings(gateway, sms_template_ids=STEP_TEMPLATES)
    await dispatch_once(config)
    applicant = person(sms_consent=True)
    office = users["reconsideration"]
    with on("2026-11-02"):
        created = await users["officer"].post("/api/v1/cases", json=dispute(
            category="urban_management", parties=[applicant, AGENCY], act_known_on="2026-10-20",
            occurred_on="2026-10-20", requested_track="reconsideration", override_reason="申请复议"))
        assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    with on("2026-11-04"):
        asked = await act(office, reference, "request_supplement", {"missing": "行政处罚决定书复印件"})
        assert asked.status_code == 200, asked.text
    notice = next(n for n in asked.json()["notices"] if n["kind"] == "supplement_notice")
    with on("2026-11-05"):
        served = await office.post(f"/api/v1/cases/{reference}/notices/{notice['id']}/service",
                                   headers={"If-Match": asked.headers["etag"]},
                                   json={"method": "in_person", "served_on": "2026-11-05"})
        assert served.status_code == 200, served.text
        await drain(config, db, reference)
    case = (await office.get(f"/api/v1/cases/{reference}")).json()
    window = next(c for c in case["proceeding"]["clocks"] if c["whose"] == "party")
    assert (window["time_limit"], window["due_on"]) == ("reconsideration.supplement", "2026-11-19")
    assert told(gateway, applicant["phone"]) == [("supplement", {"reference": reference})]


async def test_the_party_window_step_names_only_real_windows_of_the_party_to_challenge():
    """The step's list is data: each entry a time limit that exists and runs
    against the party; the supplement windows are told by their own step."""
    from casework.deadlines.service import time_limits

    limits = await time_limits()
    window = next(step for step in steps().values() if step["code"] == "party_window")
    assert window["when_time_limit"] and all(limits[code].whose == "party" for code in window["when_time_limit"])
    assert not {"reconsideration.supplement", "legal_aid.supplement"} & set(window["when_time_limit"])
