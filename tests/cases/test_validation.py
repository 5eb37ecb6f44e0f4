"""Bad input gets a problem+json naming each bad field, and nothing is stored."""

from __future__ import annotations

import pytest

from tests.support import dispute, id_number, person

VALID_ID = id_number()
BAD_CHECK = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")


def with_party(**changes):
    return dispute(parties=[person(**changes), person("respondent")])


BAD_INPUTS = [
    ("bad ID check character", with_party(id_number=BAD_CHECK), 422, "parties[0].id_number"),
    ("ID with an impossible birth date", with_party(id_number="140403198002300012"), 422, "parties[0].id_number"),
    ("ID of 15 characters", with_party(id_number="140403800101001"), 422, "parties[0].id_number"),
    ("bad phone", with_party(phone="12345"), 422, "parties[0].phone"),
    ("unknown division", dispute(division_code="140403999999"), 422, "division_code"),
    ("division not 12 digits", dispute(division_code="1404"), 422, "division_code"),
    ("division in another county", dispute(division_code="140404100201"), 422, "division_code"),
    ("headcount below applicant persons",
     dispute(headcount=1, parties=[person(), person(), person("respondent")]), 422, "headcount"),
    ("empty summary", dispute(summary="   "), 422, "summary"),
    ("no applicant", dispute(parties=[person("respondent")]), 422, "parties"),
    ("petition without type", dispute(kind="petition"), 422, "petition_type"),
    ("unknown category", dispute(category="alien_abduction"), 422, "category"),
    ("NUL byte in text", dispute(description="a\x00b"), 422, "description"),
    ("negative amount", dispute(amount_in_dispute="-5"), 422, "amount_in_dispute"),
    ("date in the future", dispute(occurred_on="2999-01-01"), 422, "occurred_on"),
    ("unknown field", {**dispute(), "colour": "red"}, 400, "colour"),
    ("wrong type", dispute(headcount="many"), 400, "headcount"),
    ("oversized summary", dispute(summary="长" * 201), 400, "summary"),
    ("oversized description", dispute(description="x" * 10001), 400, "description"),
    ("unknown channel", dispute(channel="carrier_pigeon"), 400, "channel"),
    ("zero headcount", dispute(headcount=0), 400, "headcount"),
]


@pytest.mark.parametrize("label, body, status, field", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
async def test_bad_input_is_refused_and_leaves_nothing(users, db, label, body, status, field):
    before = await db.fetchrow(
        "SELECT (SELECT count(*) FROM case_file) c, (SELECT count(*) FROM party) p, "
        "(SELECT count(*) FROM case_event) e, (SELECT coalesce(sum(last_seq), 0) FROM reference_counter) r"
    )
    response = await users["clerk"].post("/api/v1/cases", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["type"].endswith("validation")
    assert field in [e["field"] for e in problem["errors"]], problem
    after = await db.fetchrow(
        "SELECT (SELECT count(*) FROM case_file) c, (SELECT count(*) FROM party) p, "
        "(SELECT count(*) FROM case_event) e, (SELECT coalesce(sum(last_seq), 0) FROM reference_counter) r"
    )
    assert dict(after) == dict(before)


async def test_several_bad_fields_are_named_together(users):
    body = dispute(summary=" ", division_code="140403999999", parties=[person(phone="1"), person("respondent")])
    problem = (await users["clerk"].post("/api/v1/cases", json=body)).json()
    assert {"summary", "division_code", "parties[0].phone"} <= {e["field"] for e in problem["errors"]}


async def test_an_old_region_code_is_not_a_reason_to_refuse(users):
    # 140402 (城区) and 140411 (郊区) were abolished in 2018; people keep their numbers.
    old = id_number("140411", "19650704")
    response = await users["clerk"].post("/api/v1/cases", json=with_party(id_number=old))
    assert response.status_code == 201, response.text


async def test_malformed_json_is_a_problem_not_a_crash(users):
    response = await users["clerk"].post("/api/v1/cases", content=b"{not json",
                                         headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_oversized_request_is_refused(users):
    response = await users["clerk"].post("/api/v1/cases", json=dispute(description="x" * 400_000))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
