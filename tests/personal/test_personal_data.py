"""Identifiers are encrypted at rest, masked in answers, revealed only on the record."""

from __future__ import annotations

import json

from casework.personal import crypto
from tests.support import dispute, id_number, person


async def _case_with_secrets(users):
    applicant = person("applicant", id_number=id_number("140403", "19660708"), phone="13611112222",
                       address="潞州区英雄南路99号")
    draft = dispute(parties=[applicant, person("respondent")])
    response = await users["clerk"].post("/api/v1/cases", json=draft)
    assert response.status_code == 201
    return response.json(), applicant


async def test_encrypted_columns_hold_no_plaintext_and_decrypt_to_it(users, db):
    case, applicant = await _case_with_secrets(users)
    row = await db.fetchrow("SELECT * FROM party WHERE case_id = $1 AND position = 1", case["id"])
    raw = json.dumps({k: v for k, v in dict(row).items() if k.endswith(("_enc", "_hash"))})
    for secret in (applicant["id_number"], applicant["id_number"][6:14], "13611112222", "英雄南路"):
        assert secret not in raw
    assert crypto.decrypt(row["id_number_enc"]) == applicant["id_number"]
    assert crypto.decrypt(row["phone_enc"]) == "13611112222"
    assert crypto.decrypt(row["address_enc"]) == applicant["address"]
    assert row["id_number_hash"] == crypto.keyed_hash(applicant["id_number"])
    # The whole database, searched as text: the plaintext is nowhere.
    dump = await db.fetchval(
        """SELECT string_agg(t::text, ' ') FROM (
               SELECT row_to_json(p)::text AS t FROM party p WHERE case_id = $1
               UNION ALL SELECT row_to_json(e)::text FROM case_event e WHERE case_id = $1
               UNION ALL SELECT row_to_json(o)::text FROM outbox o WHERE case_id = $1
               UNION ALL SELECT row_to_json(c)::text FROM case_file c WHERE id = $1) x""",
        case["id"],
    )
    assert applicant["id_number"] not in dump and "13611112222" not in dump and "英雄南路" not in dump


async def test_an_officer_reveals_an_id_number_and_the_read_is_in_the_audit_trail(users, db):
    case, applicant = await _case_with_secrets(users)
    reason = "核实申请人身份以便电话回访"
    response = await users["officer"].post(f"/api/v1/cases/{case['reference']}/personal-data",
                                           json={"reason": reason, "parties": [1], "fields": ["id_number"]})
    assert response.status_code == 200, response.text
    shown = response.json()["parties"]
    assert shown == [{"position": 1, "role": "applicant", "kind": "person", "name": applicant["name"],
                      "id_number": applicant["id_number"], "phone": "136****2222", "address": "***"}]

    events = (await users["auditor"].get("/api/v1/audit/events", params={
        "action": "personal_data_revealed", "case": case["reference"]})).json()["items"]
    assert len(events) == 1
    event = events[0]
    assert event["actor"] == "officer" and event["actor_role"] == "officer"
    assert event["data"]["reason"] == reason
    assert event["data"]["parties"] == [{"position": 1, "role": "applicant", "fields": ["id_number"]}]
    assert event["at"]
    # The timeline shows it too; the webhook outbox carries who and what, not the reason, and no identifier.
    timeline = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    assert "personal_data_revealed" in [e["type"] for e in timeline]
    payload = await db.fetchval("SELECT payload::text FROM outbox WHERE case_id = $1 AND type = 'personal_data_revealed'",
                                case["id"])
    assert reason not in payload and applicant["id_number"] not in payload and '"position": 1' in payload


async def test_revealed_identifiers_are_not_stored_by_any_cache(users):
    case, applicant = await _case_with_secrets(users)
    response = await users["officer"].post(f"/api/v1/cases/{case['reference']}/personal-data",
                                           json={"reason": "核实申请人身份以便电话回访", "fields": ["id_number"]})
    assert response.status_code == 200 and applicant["id_number"] in response.text
    assert "no-store" in response.headers.get("cache-control", "")


async def test_revealing_needs_the_permission_and_a_reason(users):
    case, _applicant = await _case_with_secrets(users)
    path = f"/api/v1/cases/{case['reference']}/personal-data"
    refused = await users["clerk"].post(path, json={"reason": "想看看"})
    assert refused.status_code == 403
    assert (await users["officer"].post(path, json={})).status_code == 400
    assert (await users["officer"].post(path, json={"reason": "   "})).status_code == 422
    assert (await users["officer"].post(path, json={"reason": "核实身份信息", "parties": [9]})).status_code == 422


async def test_case_answers_mask_identifiers_by_default(users):
    case, applicant = await _case_with_secrets(users)
    for role in ("clerk", "officer", "supervisor", "auditor", "admin"):
        text = (await users[role].get(f"/api/v1/cases/{case['reference']}")).text
        assert applicant["id_number"] not in text and "13611112222" not in text and "英雄南路" not in text
