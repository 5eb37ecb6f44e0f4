"""Accepting a possible repeat is an officer's decision with a reason, taken
with the evidence in front of them (信访工作条例 art. 36 bars only the same
facts and reasons after re-review; anything else is for a person to find)."""

from __future__ import annotations

import pytest

from tests.support import act, on, person, petition

pytestmark = pytest.mark.asyncio


async def test_a_possible_repeat_is_accepted_only_with_a_reason_and_the_evidence_is_shown(users):
    officer, clerk = users["officer"], users["clerk"]
    applicant = person()
    respondent = {"role": "respondent", "kind": "agency", "name": "潞州区劳动保障监察大队"}
    with on("2026-10-12"):
        first = (await clerk.post("/api/v1/cases", json=petition(
            category="labour_wage", summary="拖欠工资", parties=[applicant, respondent]))).json()
        assert first["possible_repeats"] == []
        assert (await act(officer, first["reference"], "accept")).status_code == 200
    with on("2026-10-19"):
        second = (await clerk.post("/api/v1/cases", json=petition(
            category="labour_wage", summary="拖欠工资（再次反映）", parties=[applicant, respondent]))).json()
        assert [r["reference"] for r in second["possible_repeats"]] == [first["reference"]]
        refused = await act(officer, second["reference"], "accept")
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["type"].endswith("possible-repeat")
        assert problem["errors"] == [{"field": "repeat_accepted_reason",
                                      "message": "required: the case is a possible repeat"}]
        assert [r["reference"] for r in problem["evidence"]["possible_repeats"]] == [first["reference"]]
        unchanged = (await officer.get(f"/api/v1/cases/{second['reference']}")).json()
        assert unchanged["stage"] == second["stage"]  # nothing half-written
        accepted = await act(officer, second["reference"], "accept",
                             {"repeat_accepted_reason": "新的欠薪期间（2026年9月），不是同一事项"})
        assert accepted.status_code == 200, accepted.text
    events = (await officer.get(f"/api/v1/cases/{second['reference']}/events")).json()["items"]
    decided = next(e for e in events if e["type"] == "repeat_accepted")
    assert decided["data"] == {"possible_repeats": [first["reference"]],
                               "reason": "新的欠薪期间（2026年9月），不是同一事项"}
    assert next(e for e in events if e["type"] == "accepted")["data"]["repeat_accepted_reason"]
