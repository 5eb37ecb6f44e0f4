"""Intake answers the case as the detail route shows it (it skips the
record and feedback queries for a case no one else can see yet)."""

from __future__ import annotations

from casework import timeutil
from casework.records.service import RECORD_KINDS
from tests.support import dispute


async def test_intake_response_has_the_detail_shape(users):
    created = await users["clerk"].post("/api/v1/cases", json=dispute(summary="形状一致"))
    assert created.status_code == 201, created.text
    body = created.json()
    detail = (await users["clerk"].get(f"/api/v1/cases/{body['reference']}")).json()
    for kind in RECORD_KINDS:
        assert body[kind] == [] and detail[kind] == []
    assert body["feedback"] == [] and detail["feedback"] == []
    assert set(body) - {"receipt_code", "receipt_note"} == set(detail)


def _without_receipt(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("receipt_code", "receipt_note")}


async def test_intake_answers_exactly_what_the_detail_route_shows(users):
    """Intake builds its answer from the rows its inserts return, not by
    reading the case back: every value must equal the detail route's."""
    import datetime as dt

    from tests.support import person, petition

    agency = {"role": "respondent", "kind": "agency", "name": "潞州区城市管理局"}
    applicant = person("applicant")
    drafts = [
        dispute(summary="逐项一致"),
        petition(),
        dispute(category="urban_management", parties=[person(), agency],
                act_known_on=(timeutil.today() - dt.timedelta(days=200)).isoformat(),
                requested_track="reconsideration", override_reason="申请人坚持申请复议"),
        dispute(summary="同一申请人第一次", parties=[applicant, person("respondent", name="李邻居")]),
        dispute(summary="同一申请人第二次", parties=[applicant, person("respondent", name="李邻居")]),
    ]
    for draft in drafts:
        client = users["officer"] if draft.get("requested_track") else users["clerk"]
        created = await client.post("/api/v1/cases", json=draft)
        assert created.status_code == 201, created.text
        body = created.json()
        detail = (await client.get(f"/api/v1/cases/{body['reference']}")).json()
        assert _without_receipt(body) == detail
    assert body["possible_repeats"], "the second case of the same applicant lists the first"
