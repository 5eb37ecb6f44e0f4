"""A party follows their case with the reference and receipt code, and nothing more."""

from __future__ import annotations

import json
import statistics
import time

from casework import timeutil
from tests import support_states
from tests.support import dispute, person, petition
from tests.support_access import client_from


async def _register(users, draft=None):
    response = await users["clerk"].post("/api/v1/cases", json=draft or dispute())
    assert response.status_code == 201, response.text
    return draft or None, response.json()


async def test_a_new_case_shows_received_its_body_and_its_time_limit(app, users):
    _draft, case = await _register(users)
    async with client_from(app) as party:
        response = await party.post("/api/v1/public/lookup",
                                    json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["reference"] == case["reference"]
    assert [s["stage"] for s in view["stages"]] == ["received"]
    assert view["handling_body"]["name_zh"] == case["proceeding"]["body"]["name_zh"]
    assert [t["time_limit"] for t in view["time_limits"]] == [c["time_limit"] for c in case["proceeding"]["clocks"]]
    assert view["time_limits"][0]["due_on"] and view["time_limits"][0]["status"] in ("running", "due_soon")
    assert view["outcome"] is None


async def test_the_lookup_never_shows_personal_data_or_internal_notes(app, users, db):
    applicant = person("applicant", name="王秘密", phone="13912345678", address="潞州区隐私路8号")
    draft = dispute(summary="王秘密与邻居的排水纠纷", description="内部备注：当事人情绪激动",
                    parties=[applicant, person("respondent", name="赵保密")])
    case = (await users["clerk"].post("/api/v1/cases", json=draft)).json()
    await db.execute("UPDATE proceeding SET details = $2::jsonb WHERE case_id = $1",
                     case["id"], json.dumps({"note": "内部意见：暂缓", "opinion": "supported"}))
    await support_states.conclude(users, case, outcome="agreement")
    async with client_from(app) as party:
        text = (await party.post("/api/v1/public/lookup",
                                 json={"reference": case["reference"], "receipt_code": case["receipt_code"]})).text
    secrets_ = ["王秘密", "赵保密", "13912345678", "1391", "5678", applicant["id_number"], applicant["id_number"][-4:],
                "隐私路", "内部", "情绪", "assignee", "clerk", "receipt_code"]
    leaked = [s for s in secrets_ if s in text]
    assert not leaked, leaked


async def test_a_petition_shows_forwarded_accepted_handling_then_concluded_with_its_outcome(app, users, db):
    _d, case = await _register(users, petition())
    query = {"reference": case["reference"], "receipt_code": case["receipt_code"].lower()}  # case-insensitive
    async with client_from(app) as party:
        await support_states.forward_petition(users, case)
        await support_states.accept(users, case)
        view = (await party.post("/api/v1/public/lookup", json=query)).json()
        assert [s["stage"] for s in view["stages"]] == ["received", "forwarded", "accepted", "handling"]
        await support_states.conclude(users, case, outcome="opinion_issued", opinion="partly_supported",
                                      served={"method": "in_person", "served_on": timeutil.today().isoformat()})
        view = (await party.post("/api/v1/public/lookup", json=query)).json()
    assert [s["stage"] for s in view["stages"]] == ["received", "forwarded", "accepted", "concluded"]
    assert view["outcome"] == {"code": "opinion_issued", "opinion": "partly_supported"}
    assert view["stages"][-1]["outcome"] == "opinion_issued"
    limits = view["time_limits"]
    handling = [t for t in limits if t["time_limit"] != "petition.request_review"]
    assert handling and all(t["status"] in ("met", "late") for t in handling)
    # The petitioner's own 30-day window to ask for review runs from receiving the opinion.
    assert [(t["status"], t["whose"]) for t in limits if t["time_limit"] == "petition.request_review"] == [
        ("running", "party")]
    assert limits[0]["status"] == "met"  # forwarded and accepted within 15 days of receipt
    assert view["proceedings"][0]["can_rate"] is True


async def test_a_wrong_code_and_an_unknown_reference_get_the_same_answer_in_the_same_time(app, users):
    _d, case = await _register(users)
    wrong = {"reference": case["reference"], "receipt_code": "ZZZZZZZZ" if case["receipt_code"] != "ZZZZZZZZ" else "YYYYYYYY"}
    answers, timings = {"wrong": [], "unknown": []}, {"wrong": [], "unknown": []}
    for n in range(8):  # under the per-reference limit of 10
        for kind, body in (("wrong", wrong), ("unknown", {"reference": f"140403-2026-9{n:05d}", "receipt_code": "ABCDEFGH"})):
            async with client_from(app) as party:
                started = time.perf_counter()
                response = await party.post("/api/v1/public/lookup", json=body)
                timings[kind].append(time.perf_counter() - started)
            answers[kind].append((response.status_code, response.headers["content-type"], response.json()))
    assert answers["wrong"][0][0] == 404
    assert {json.dumps(a, sort_keys=True) for a in answers["wrong"] + answers["unknown"]} == {
        json.dumps(answers["wrong"][0], sort_keys=True)}
    wrong_ms, unknown_ms = (statistics.median(timings[k]) * 1000 for k in ("wrong", "unknown"))
    assert abs(wrong_ms - unknown_ms) < max(15.0, 0.5 * min(wrong_ms, unknown_ms)), (wrong_ms, unknown_ms)


async def test_guessing_a_receipt_code_is_throttled_per_reference_even_for_the_right_code(app, users):
    _d, case = await _register(users)
    for n in range(10):  # each guess from a different address
        async with client_from(app) as guesser:
            response = await guesser.post("/api/v1/public/lookup",
                                          json={"reference": case["reference"], "receipt_code": f"WRONG{n:03d}"})
            assert response.status_code == 404
    async with client_from(app) as party:
        refused = await party.post("/api/v1/public/lookup",
                                   json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 0 < int(refused.headers["retry-after"]) <= 24 * 3600
        # Feedback goes through the same count.
        assert (await party.post("/api/v1/public/feedback", json={
            "reference": case["reference"], "receipt_code": case["receipt_code"], "rating": "satisfied"})).status_code == 429
        _d2, other = await _register(users)
        assert (await party.post("/api/v1/public/lookup", json={
            "reference": other["reference"], "receipt_code": other["receipt_code"]})).status_code == 200


async def test_guessing_across_references_is_throttled_per_address(app, users):
    _d, case = await _register(users)
    async with client_from(app, "203.0.113.99") as guesser:
        for n in range(30):
            response = await guesser.post("/api/v1/public/lookup",
                                          json={"reference": f"140403-2026-8{n:05d}", "receipt_code": "ABCDEFGH"})
            assert response.status_code == 404
        refused = await guesser.post("/api/v1/public/lookup",
                                     json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


async def test_a_successful_lookup_does_not_count_as_a_guess(app, users):
    _d, case = await _register(users)
    async with client_from(app) as party:
        for _ in range(15):
            response = await party.post("/api/v1/public/lookup",
                                        json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
            assert response.status_code == 200


async def test_a_party_is_told_why_in_standard_words_never_the_officer_s_own_note(app, users):
    from tests.support import act

    _d, case = await _register(users)
    declined = await act(users["village_mediator"], case["reference"], "decline", {
        "reason": "申请人张三情绪偏激，内部认为不宜调解", "directed_to": "潞州区人民法院",
        "reason_code": "already_in_court", "public_note": "请关注法院的立案通知。"})
    assert declined.status_code == 200, declined.text
    async with client_from(app) as party:
        view = (await party.post("/api/v1/public/lookup",
                                 json={"reference": case["reference"], "receipt_code": case["receipt_code"]})).json()
    assert "张三" not in json.dumps(view, ensure_ascii=False) and "内部" not in json.dumps(view, ensure_ascii=False)
    assert view["not_accepted_reason"] == "already_in_court"
    assert view["not_accepted"]["text_zh"] == "同一事项已向人民法院起诉或人民法院已经受理。"
    assert view["not_accepted"]["note"] == "请关注法院的立案通知。"
    # The staff see their own reason where it always was.
    detail = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}")).json()
    assert detail["proceeding"]["details"]["not_accepted"]["reason"].startswith("申请人张三")
    unknown = await act(users["village_mediator"], (await _register(users))[1]["reference"], "decline",
                        {"reason": "x", "directed_to": "y", "reason_code": "made_up"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason_code"
