"""A clerk at a station logs a case and gets everything back at once."""

from __future__ import annotations

import asyncio
import re

from tests.support import dispute, id_number, person, petition


async def test_a_village_land_acquisition_dispute_is_registered_routed_and_clocked(users, db):
    draft = dispute(
        category="rural_land_acquisition",
        summary="征地补偿款分配争议",
        headcount=6,
        parties=[person("applicant") for _ in range(6)]
        + [{"role": "respondent", "kind": "organization", "name": "长治某置业有限公司"}],
    )
    response = await users["clerk"].post("/api/v1/cases", json=draft)
    assert response.status_code == 201, response.text
    case = response.json()
    assert re.fullmatch(r"140403-\d{4}-\d{6}", case["reference"])
    assert re.fullmatch(r"[2-9A-Z]{8}", case["receipt_code"])
    assert case["status"] == "open"
    assert case["collective"] is True
    assert case["routing"]["track"] == "administrative_mediation"
    assert case["routing"]["rule"] == "land_acquisition_dispute"
    assert case["routing"]["body"]["code"] == "140403-NRB"
    assert "remit" in case["routing"]["reason"] or "natural-resources" in case["routing"]["reason"]
    clocks = case["proceeding"]["clocks"]
    assert [c["time_limit"] for c in clocks] == ["administrative_mediation.accept"]
    assert clocks[0]["due_on"] and clocks[0]["source"]
    assert case["possible_repeats"] == []
    assert response.headers["etag"] == f'"{case["id"]}.{case["version"]}"'
    # The receipt code is stored hashed only.
    stored = await db.fetchval("SELECT receipt_code_hash FROM case_file WHERE id = $1", case["id"])
    assert case["receipt_code"] not in stored


async def test_personal_identifiers_are_masked_and_encrypted(users, db):
    number = id_number("140403", "19750315")
    draft = dispute(parties=[person("applicant", id_number=number, phone="13812345678"), person("respondent")])
    case = (await users["clerk"].post("/api/v1/cases", json=draft)).json()
    applicant = case["parties"][0]
    assert applicant["id_number"] == number[:6] + "********" + number[-4:]
    assert applicant["phone"] == "138****5678"
    row = await db.fetchrow(
        "SELECT * FROM party WHERE case_id = $1 AND position = 1", case["id"]
    )
    for column in ("id_number_enc", "id_number_hash", "phone_enc", "phone_hash", "address_enc"):
        assert number not in (row[column] or "") and "13812345678" not in (row[column] or "")
    detail = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}")).json()
    assert number not in str(detail) and "13812345678" not in str(detail)


async def test_the_timeline_of_a_new_case_holds_its_intake_and_routing_events(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    events = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    types = [e["type"] for e in events]
    assert types[:3] == ["case_registered", "routing_decided", "clock_started"]
    assert events[0]["actor"] == "clerk"
    assert events[1]["data"]["track"] == "people_mediation"


async def test_events_cannot_be_updated_or_deleted(users, db):
    import asyncpg
    import pytest

    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db.execute("UPDATE case_event SET type = 'x' WHERE case_id = $1", case["id"])
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db.execute("DELETE FROM case_event WHERE case_id = $1", case["id"])
    outbox = await db.fetchval("SELECT count(*) FROM outbox WHERE case_id = $1", case["id"])
    events = await db.fetchval("SELECT count(*) FROM case_event WHERE case_id = $1", case["id"])
    assert outbox == events >= 3


async def test_fifty_concurrent_intakes_in_one_county_get_fifty_consecutive_references(users):
    responses = await asyncio.gather(
        *[users["clerk"].post("/api/v1/cases", json=dispute(summary=f"并发 {i}")) for i in range(50)]
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    refs = sorted(r.json()["reference"] for r in responses)
    assert len(set(refs)) == 50
    seqs = [int(ref.rsplit("-", 1)[1]) for ref in refs]
    assert seqs == list(range(seqs[0], seqs[0] + 50))


async def test_an_idempotent_retry_returns_the_same_case(users, db):
    draft = dispute(summary="重试不应重复")
    headers = {"Idempotency-Key": "phone-7f3a-0001"}
    first = await users["clerk"].post("/api/v1/cases", json=draft, headers=headers)
    second = await users["clerk"].post("/api/v1/cases", json=draft, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["reference"] == second.json()["reference"]
    assert first.json()["receipt_code"] == second.json()["receipt_code"]
    assert await db.fetchval("SELECT count(*) FROM case_file WHERE summary = '重试不应重复'") == 1


async def test_concurrent_retries_with_one_key_make_one_case(users, db):
    draft = dispute(summary="并发重试")
    headers = {"Idempotency-Key": "phone-7f3a-0002"}
    responses = await asyncio.gather(
        *[users["clerk"].post("/api/v1/cases", json=draft, headers=headers) for _ in range(8)]
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["reference"] for r in responses}) == 1
    assert await db.fetchval("SELECT count(*) FROM case_file WHERE summary = '并发重试'") == 1


async def test_the_same_key_with_another_body_is_refused(users):
    headers = {"Idempotency-Key": "phone-7f3a-0003"}
    assert (await users["clerk"].post("/api/v1/cases", json=dispute(), headers=headers)).status_code == 201
    response = await users["clerk"].post("/api/v1/cases", json=dispute(summary="另一件事"), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("idempotency-key-reused")


async def test_possible_repeats_show_the_same_applicant_against_the_same_respondent(users):
    applicant = person("applicant")
    respondent = person("respondent")
    first = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, respondent]))).json()
    # Same person by name and phone (no ID number this time), same respondent.
    again = {k: v for k, v in applicant.items() if k != "id_number"}
    second = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[again, respondent]))).json()
    assert [r["reference"] for r in second["possible_repeats"]] == [first["reference"]]
    # Another respondent: not a repeat.
    third = (await users["clerk"].post(
        "/api/v1/cases", json=dispute(parties=[applicant, person("respondent")]))).json()
    assert third["possible_repeats"] == []


async def test_a_petition_goes_to_the_petition_bureau_with_the_15_day_clock(users):
    case = (await users["clerk"].post("/api/v1/cases", json=petition())).json()
    assert case["track"] == "petition"
    assert case["stage"] == "registered"
    assert case["routing"]["body"]["code"] == "140403-PB"
    assert case["proceeding"]["clocks"][0]["time_limit"] == "petition.register_forward"
