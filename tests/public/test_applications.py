"""A citizen files online, a clerk registers it, asks for more, or refuses it;
the proof of work, the throttles and duplicates keep the door usable."""

from __future__ import annotations

import pytest
from altcha import v1 as altcha  # the ALTCHA v1 protocol, which the widget speaks

from tests.support import act, on, phone
from tests.support_access import client_from
from tests.support_settings import settings_from_env

pytestmark = pytest.mark.asyncio


def application(**overrides) -> dict:
    """A neighbour dispute filed online from Guancun, Luzhou district."""
    data = {
        "kind": "dispute",
        "category": "neighbour",
        "division_code": "140403100201",
        "summary": "邻居排水流入我家院子",
        "description": "雨季邻居家的排水流入我家院内，多次沟通未果，请求调解。",
        "applicant": {"name": "李网申", "phone": phone()},
        "respondent": {"kind": "person", "name": "张邻居"},
        "sms_consent": True,
    }
    data.update(overrides)
    return data


async def solved(party) -> str:
    """Solve the service's challenge with the ALTCHA library, as the widget would."""
    response = await party.get("/api/v1/public/challenge")
    assert response.status_code == 200 and "no-store" in response.headers["cache-control"]
    ch = response.json()
    solution = altcha.solve_challenge(ch["challenge"], ch["salt"], ch["algorithm"], ch["maxnumber"])
    return altcha.Payload(ch["algorithm"], ch["challenge"], solution.number, ch["salt"],
                          ch["signature"]).to_base64()


async def file(app, draft=None, *, headers=None, address=None, solve=True):
    async with client_from(app, address) as party:
        body = dict(draft or application())
        if solve and "altcha" not in body:
            body["altcha"] = await solved(party)
        response = await party.post("/api/v1/public/applications", json=body, headers=headers)
    return response


async def lookup(app, receipt):
    async with client_from(app) as party:
        response = await party.post("/api/v1/public/lookup", json={"reference": receipt["reference"],
                                                                   "receipt_code": receipt["receipt_code"]})
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_application_filed_online_awaits_registration_in_the_village_station_queue(app, users):
    response = await file(app)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["reference"].startswith("140403-") and len(receipt["receipt_code"]) == 8
    assert receipt["state"] == "submitted_online" and receipt["state_zh"] == "网上提交待登记"
    assert receipt["receiving_body"]["name_zh"]
    view = await lookup(app, receipt)
    assert [s["stage"] for s in view["stages"]] == ["received", "submitted_online"]
    assert view["time_limits"] == []  # no clock before registration

    station = users["village_mediator"]
    queued, cursor = [], None
    for _ in range(50):  # no clock yet: after the cases that have one
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = (await station.get("/api/v1/queue", params=params)).json()
        queued += [c["reference"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert receipt["reference"] in queued
    waiting = (await station.get("/api/v1/cases", params={"stage": "submitted_online", "limit": 200})).json()
    assert receipt["reference"] in [c["reference"] for c in waiting["items"]]
    case = (await station.get(f"/api/v1/cases/{receipt['reference']}")).json()
    assert case["channel"] == "online" and case["proceeding"]["state"] == "submitted_online"
    assert case["proceeding"]["clocks"] == []
    assert set(case["allowed_actions"]) >= {"register_online", "request_supplement", "refuse_online"}
    events = (await station.get(f"/api/v1/cases/{receipt['reference']}/events")).json()["items"]
    assert [e["type"] for e in events][:2] == ["application_submitted_online", "routing_decided"]


async def test_registration_starts_the_clocks_from_the_submission_day_not_the_registration_day(app, users):
    with on("2026-11-02"):
        receipt = (await file(app)).json()
    station = users["village_mediator"]
    with on("2026-11-05"):
        response = await act(station, receipt["reference"], "register_online")
        assert response.status_code == 200, response.text
        case = response.json()
        assert case["proceeding"]["state"] == "pending_acceptance"
        assert case["proceeding"]["clocks"], "the acceptance clock runs once registered"
        assert {c["started_on"] for c in case["proceeding"]["clocks"]} == {"2026-11-02"}
        view = await lookup(app, receipt)
    assert [s["stage"] for s in view["stages"]] == ["received", "registered"]
    events = (await station.get(f"/api/v1/cases/{receipt['reference']}/events")).json()["items"]
    registered = next(e for e in events if e["type"] == "online_registered")
    assert registered["data"]["received_on"] == "2026-11-02" and registered["data"]["registered_on"] == "2026-11-05"


async def test_a_supplement_request_is_shown_to_the_party_and_returns_to_awaiting_registration(app, users):
    receipt = (await file(app)).json()
    station = users["village_mediator"]
    response = await act(station, receipt["reference"], "request_supplement",
                         {"missing": "请补充对方的具体住址和纠纷发生的时间"})
    assert response.status_code == 200, response.text
    view = await lookup(app, receipt)
    asked = view["stages"][-1]
    assert asked["stage"] == "supplement_requested" and asked["missing"].startswith("请补充对方")
    response = await act(station, receipt["reference"], "supplement_received")
    assert response.status_code == 200, response.text
    assert response.json()["proceeding"]["state"] == "submitted_online"
    assert (await act(station, receipt["reference"], "register_online")).status_code == 200


async def test_a_refusal_as_not_a_matter_tells_the_party_the_standard_reason(app, users):
    receipt = (await file(app)).json()
    station = users["village_mediator"]
    unknown = await act(station, receipt["reference"], "refuse_online",
                        {"reason": "广告内容", "reason_code": "no_such_reason"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason_code"
    response = await act(station, receipt["reference"], "refuse_online",
                         {"reason": "内容为商业广告", "reason_code": "not_a_matter"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "not_accepted"
    view = await lookup(app, receipt)
    assert view["not_accepted"]["code"] == "not_a_matter" and view["not_accepted"]["text_zh"]
    assert "广告" not in str(view)  # the staff's own reason stays inside
    events = (await station.get(f"/api/v1/cases/{receipt['reference']}/events")).json()["items"]
    assert "online_refused" in [e["type"] for e in events]


async def test_a_registered_case_cannot_be_refused_as_an_online_application(app, users):
    receipt = (await file(app)).json()
    station = users["village_mediator"]
    await act(station, receipt["reference"], "register_online")
    again = await act(station, receipt["reference"], "refuse_online", {"reason": "x", "reason_code": "not_a_matter"})
    assert again.status_code == 409
    assert (await act(station, receipt["reference"], "register_online")).status_code == 409


async def test_bad_input_names_the_online_form_fields_and_writes_nothing(app, users, db):
    before = await db.fetchval("SELECT count(*) FROM case_file")
    draft = application(category="no_such_category", applicant={"name": "李网申", "phone": "12345"})
    response = await file(app, draft)
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"category", "applicant.phone"} <= fields
    petition = application(kind="petition", category="social_security", division_code="140403001001")
    response = await file(app, petition)
    assert response.status_code == 422 and "petition_type" in {e["field"] for e in response.json()["errors"]}
    assert (await file(app, application(staff_only=True))).status_code == 400
    assert await db.fetchval("SELECT count(*) FROM case_file") == before


async def test_the_same_idempotency_key_and_body_answer_the_first_receipt(app, users, db):
    draft = application()
    key = {"Idempotency-Key": "apply-" + phone()}
    async with client_from(app) as party:
        draft["altcha"] = await solved(party)
    first = await file(app, draft, headers=key)
    again = await file(app, draft, headers=key)  # the same (spent) solution: a retry, not a new filing
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await file(app, application(), headers=key)
    assert other.status_code == 422


async def test_consent_to_sms_is_recorded_with_the_applicant(app, users, db):
    receipt = (await file(app, application(sms_consent=True))).json()
    consent = await db.fetchval(
        """SELECT p.sms_consent FROM party p JOIN case_file c ON c.id = p.case_id
           WHERE c.reference = $1 AND p.role = 'applicant'""", receipt["reference"])
    assert consent is True
    case = (await users["village_mediator"].get(f"/api/v1/cases/{receipt['reference']}")).json()
    assert case["parties"][0]["sms_consent"] is True and case["parties"][1]["sms_consent"] is None


async def test_without_a_solved_challenge_nothing_is_filed(app, users, db):
    before = await db.fetchval("SELECT count(*) FROM case_file")
    missing = await file(app, solve=False)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "altcha"
    async with client_from(app) as party:
        ch = (await party.get("/api/v1/public/challenge")).json()
    wrong = altcha.Payload(ch["algorithm"], ch["challenge"], 0, ch["salt"], ch["signature"]).to_base64()
    forged = altcha.Payload("SHA-256", "0" * 64, 1, "abc&", "0" * 64).to_base64()
    for payload in (wrong, forged, "not base64 at all"):
        response = await file(app, application(altcha=payload))
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "altcha", payload
    assert await db.fetchval("SELECT count(*) FROM case_file") == before


async def test_a_solution_files_once_and_an_expired_one_not_at_all(app, users):
    async with client_from(app) as party:
        payload = await solved(party)
    assert (await file(app, application(altcha=payload))).status_code == 201
    again = await file(app, application(altcha=payload))
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "altcha"
    with on("2026-11-02", "10:00"):
        async with client_from(app) as party:
            old = await solved(party)
    with on("2026-11-02", "10:30"):  # challenges last 20 minutes
        late = await file(app, application(altcha=old))
    assert late.status_code == 422


async def test_filings_are_throttled_per_address_with_retry_after(app, users):
    address = "203.0.113.77"
    with settings_from_env(CASEWORK_FILINGS_PER_ADDRESS="2"):
        assert (await file(app, address=address)).status_code == 201
        assert (await file(app, address=address)).status_code == 201
        third = await file(app, address=address)
        assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
        assert (await file(app)).status_code == 201  # another address is not held up


async def test_filings_are_throttled_per_division(app, users):
    other_village = "140403100202"
    with settings_from_env(CASEWORK_FILINGS_PER_DIVISION="1"):
        invalid = await file(app, application(division_code=other_village, category="no_such_category"))
        assert invalid.status_code == 422  # refused as invalid: not counted against the village
        assert (await file(app, application(division_code=other_village))).status_code == 201
        assert (await file(app, application(division_code=other_village))).status_code == 429
        assert (await file(app, application(division_code="140403001002"))).status_code == 201


async def test_a_duplicate_or_a_busy_phone_is_answered_like_any_filing_and_flagged_for_the_clerk(app, users):
    draft = application(applicant={"name": "周重复", "phone": phone()})
    first = await file(app, draft)
    second = await file(app, draft)
    assert (first.status_code, second.status_code) == (201, 201)
    assert set(first.json()) == set(second.json()) and first.json()["reference"] != second.json()["reference"]
    assert first.json()["state"] == second.json()["state"]
    station = users["village_mediator"]
    events = (await station.get(f"/api/v1/cases/{second.json()['reference']}/events")).json()["items"]
    flagged = next(e for e in events if e["type"] == "online_submission_flagged")
    assert flagged["data"] == {"possible_duplicates": 1, "phone_over_limit": False}
    events = (await station.get(f"/api/v1/cases/{first.json()['reference']}/events")).json()["items"]
    assert "online_submission_flagged" not in [e["type"] for e in events]
    refused = await act(station, second.json()["reference"], "refuse_online",
                        {"reason": "与先前提交相同", "reason_code": "duplicate_submission"})
    assert refused.status_code == 200, refused.text

    busy = phone()
    with settings_from_env(CASEWORK_FILINGS_PER_PHONE="1"):
        answers = [await file(app, application(applicant={"name": "吴", "phone": busy}, summary=f"第{n}件"))
                   for n in range(2)]
    assert [a.status_code for a in answers] == [201, 201]  # a 429 here would say someone used that phone
    events = (await station.get(f"/api/v1/cases/{answers[1].json()['reference']}/events")).json()["items"]
    assert next(e for e in events if e["type"] == "online_submission_flagged")["data"]["phone_over_limit"] is True


async def test_an_oversized_body_is_refused_before_it_is_read(app, users):
    response = await file(app, application(description="长" * 20_000))
    assert response.status_code == 413
