"""Intake answers the case as the detail route shows it (it skips the
record and feedback queries for a case no one else can see yet)."""

from __future__ import annotations

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
