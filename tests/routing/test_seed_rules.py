"""Each seeded routing rule routes its example; no match goes to triage."""

from __future__ import annotations

import datetime as dt

import pytest

from casework import timeutil
from tests.support import dispute, person, petition

TODAY = timeutil.today()
AGENCY = {"role": "respondent", "kind": "agency", "name": "潞州区某行政执法局"}
COMPANY = {"role": "respondent", "kind": "organization", "name": "长治某置业有限公司"}

EXAMPLES = [
    ("pending_litigation", dispute(pending_litigation=True), "judicial_mediation", "140403-COURT"),
    ("administrative_act_within_window",
     dispute(category="urban_management", parties=[person(), AGENCY],
             act_known_on=str(TODAY - dt.timedelta(days=20))),
     "reconsideration", "140403-RO"),
    ("law_related_petition", petition(category="law_related_litigation"), "litigation", "140403-COURT"),
    ("appeal_against_agency_act",
     petition(category="urban_management", parties=[person(), AGENCY],
              act_known_on=str(TODAY - dt.timedelta(days=100))),
     "litigation", "140403-COURT"),
    ("labour_dispute", dispute(category="labour_wage", parties=[person(), COMPANY]),
     "labour_mediation", "140403100201-PMC"),
    ("land_acquisition_dispute", dispute(category="rural_land_acquisition", parties=[person(), COMPANY]),
     "administrative_mediation", "140403-NRB"),
    ("civil_dispute_collective",
     dispute(headcount=7, parties=[person() for _ in range(5)] + [person("respondent")]),
     "people_mediation", "140403100-PMC"),
    ("civil_dispute_between_persons", dispute(), "people_mediation", "140403100201-PMC"),
    ("dispute_with_agency", dispute(category="social_security", parties=[person(), AGENCY]),
     "administrative_mediation", "140403-HRSS"),
    ("civil_dispute_with_organization", dispute(category="contract", parties=[person(), COMPANY]),
     "people_mediation", "140403100201-PMC"),
    ("petition", petition(), "petition", "140403-PB"),
]


async def test_every_seed_rule_has_an_example(db):
    codes = {r["code"] for r in await db.fetch("SELECT code FROM routing_rule")}
    assert codes == {code for code, *_ in EXAMPLES}


@pytest.mark.parametrize("rule, draft, track, body", EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_seed_rule_routes_its_example(users, rule, draft, track, body):
    preview = await users["clerk"].post("/api/v1/routing/preview", json=draft)
    assert preview.status_code == 200, preview.text
    decision = preview.json()
    assert (decision["rule"], decision["track"], decision["body"]["code"]) == (rule, track, body)
    assert decision["reason"] and decision["reason_zh"]
    created = (await users["clerk"].post("/api/v1/cases", json=draft)).json()
    assert created["routing"]["rule"] == rule and created["track"] == track


async def test_no_match_goes_to_the_triage_queue(users):
    draft = dispute(category="other")
    decision = (await users["clerk"].post("/api/v1/routing/preview", json=draft)).json()
    assert decision["track"] == "triage" and decision["rule"] is None
    assert decision["body"]["code"] == "140403-ROL"


async def test_preview_saves_nothing(users, db):
    before = await db.fetchval("SELECT count(*) FROM case_file")
    await users["clerk"].post("/api/v1/routing/preview", json=dispute())
    assert await db.fetchval("SELECT count(*) FROM case_file") == before


async def test_an_officer_overrides_the_route_and_the_reason_is_recorded(users, db):
    draft = dispute(requested_track="administrative_mediation", override_reason="双方同意由镇司法所行政调解",
                    category="contract", parties=[person(), COMPANY])
    response = await users["officer"].post("/api/v1/cases", json=draft)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["track"] == "administrative_mediation"
    assert case["routing"]["overridden"] is True
    assert case["routing"]["override_reason"] == "双方同意由镇司法所行政调解"
    assert case["routing"]["suggested_track"] == "people_mediation"
    row = await db.fetchrow("SELECT overridden, override_reason, decided_by FROM routing_decision WHERE case_id = $1",
                            case["id"])
    assert row["overridden"] and row["override_reason"] == "双方同意由镇司法所行政调解"
    events = (await users["officer"].get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    routed = next(e for e in events if e["type"] == "routing_decided")
    assert routed["data"]["override_reason"] == "双方同意由镇司法所行政调解"


async def test_a_clerk_may_not_override_and_an_override_needs_a_reason(users):
    refused = await users["clerk"].post("/api/v1/cases", json=dispute(requested_track="litigation",
                                                                          override_reason="x"))
    assert refused.status_code == 403
    missing = await users["officer"].post("/api/v1/cases", json=dispute(requested_track="litigation"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "override_reason"


async def test_an_admin_corrects_a_rule_and_routing_follows(users):
    rules = (await users["admin"].get("/api/v1/routing-rules")).json()["items"]
    rule = next(r for r in rules if r["code"] == "labour_dispute")
    corrected = {k: rule[k] for k in ("position", "conditions", "track", "body_kind", "reason_zh",
                                      "reason_en", "source", "active", "body_max_level")}
    corrected["track"] = "administrative_mediation"
    corrected["body_kind"] = "administrative_department"
    response = await users["admin"].put("/api/v1/routing-rules/labour_dispute", json=corrected)
    assert response.status_code == 200, response.text
    try:
        decision = (await users["clerk"].post(
            "/api/v1/routing/preview", json=dispute(category="labour_wage", parties=[person(), COMPANY]))).json()
        assert (decision["track"], decision["body"]["code"]) == ("administrative_mediation", "140403-HRSS")
        assert (await users["clerk"].put("/api/v1/routing-rules/labour_dispute", json=corrected)).status_code == 403
    finally:
        restore = {**corrected, "track": rule["track"], "body_kind": rule["body_kind"]}
        assert (await users["admin"].put("/api/v1/routing-rules/labour_dispute", json=restore)).status_code == 200


async def test_a_rule_or_a_category_with_a_code_of_other_signs_is_refused_naming_the_code(users, db):
    rule = (await users["admin"].get("/api/v1/routing-rules")).json()["items"][0]
    body = {k: rule[k] for k in ("position", "conditions", "track", "body_kind", "reason_zh", "reason_en", "source",
                                 "active", "body_max_level")}
    category = {"label_zh": "测试", "label_en": "test", "civil": True, "law_related": False, "position": 999}
    for path, data in (("/api/v1/routing-rules/bad-code", body), ("/api/v1/categories/bad-code", category)):
        refused = await users["admin"].put(path, json=data)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == ["code"]
    assert await db.fetchval("SELECT count(*) FROM routing_rule WHERE code = 'bad-code'") == 0
    assert await db.fetchval("SELECT count(*) FROM category WHERE code = 'bad-code'") == 0
