"""Inbound status events: signed, idempotent by the sender's event id."""

from __future__ import annotations

import json
import os
import time

os.environ["CASEWORK_INTEGRATION_SECRETS"] = "court=court-test-secret,legal_aid=aid-test-secret"

from casework import timeutil
from casework.integrations import inbound
from tests.records.support import case_number, days_ago, new_dispute, write

inbound.integration_secrets.cache_clear()
SECRETS = {"court": b"court-test-secret", "legal_aid": b"aid-test-secret"}


async def push(system: str, event: dict, users, *, secret: bytes | None = None, timestamp: str | None = None,
               signature: str | None = None):
    body = json.dumps(event, ensure_ascii=False).encode()
    stamp = timestamp or str(int(time.time()))
    sig = signature or inbound.sign(secret or SECRETS[system], stamp, body)
    return await users.anon.post(f"/api/v1/integrations/{system}/events", content=body,
                                 headers={"X-Casework-Timestamp": stamp, "X-Casework-Signature": sig,
                                          "content-type": "application/json"})


async def _linked_suit(users) -> tuple[str, str]:
    case = await new_dispute(users["clerk"])
    number = case_number()
    linked = await write(users["clerk"], case["reference"], "lawsuits", {
        "case_number": number, "court": "长治市潞州区人民法院", "case_type": "civil", "filed_on": days_ago(5)})
    assert linked.status_code == 201, linked.text
    return case["reference"], number


async def test_a_replayed_event_changes_nothing(users, db):
    ref, number = await _linked_suit(users)
    event = {"event_id": f"c-{number}", "type": "litigation.updated",
             "data": {"case_number": number, "stage": "first_instance",
                      "hearing": {"held_on": days_ago(1), "kind": "hearing"}}}
    first = await push("court", event, users)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False and first.json()["applied"]["changed"] == ["stage"]
    detail = (await users["clerk"].get(f"/api/v1/cases/{ref}")).json()
    events = (await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]
    assert detail["lawsuits"][0]["stage"] == "first_instance" and len(detail["lawsuits"][0]["hearings"]) == 1

    replay = await push("court", event, users)
    assert replay.status_code == 200 and replay.json() == {"event_id": f"c-{number}", "duplicate": True}
    again = (await users["clerk"].get(f"/api/v1/cases/{ref}")).json()
    assert again["version"] == detail["version"] and len(again["lawsuits"][0]["hearings"]) == 1
    assert len((await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]) == len(events)
    assert await db.fetchval("SELECT count(*) FROM inbound_event WHERE system = 'court' AND event_id = $1",
                             f"c-{number}") == 1


async def test_bad_signatures_stale_timestamps_and_other_systems_secrets_get_401(users, db):
    ref, number = await _linked_suit(users)
    event = {"event_id": f"bad-{number}", "type": "litigation.updated",
             "data": {"case_number": number, "result": "judgment", "result_on": days_ago(0)}}
    assert (await push("court", event, users, signature="sha256=" + "0" * 64)).status_code == 401
    assert (await push("court", event, users, secret=SECRETS["legal_aid"])).status_code == 401
    old = str(int(time.time()) - 3600)
    assert (await push("court", event, users, timestamp=old)).status_code == 401
    unsigned = await users.anon.post("/api/v1/integrations/court/events", json=event)
    assert unsigned.status_code == 401 and unsigned.headers["content-type"].startswith("application/problem+json")
    # A body changed after signing fails too.
    stamp = str(int(time.time()))
    signed = inbound.sign(SECRETS["court"], stamp, json.dumps(event).encode())
    tampered = await users.anon.post("/api/v1/integrations/court/events",
                                     content=json.dumps({**event, "event_id": "other"}).encode(),
                                     headers={"X-Casework-Timestamp": stamp, "X-Casework-Signature": signed})
    assert tampered.status_code == 401
    assert (await push("unknown", event, users, secret=b"x")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM inbound_event WHERE event_id = $1", f"bad-{number}") == 0
    detail = (await users["clerk"].get(f"/api/v1/cases/{ref}")).json()
    assert detail["lawsuits"][0]["result"] is None


async def test_an_event_for_an_unknown_suit_is_refused_and_can_be_sent_again_later(users, db):
    number = case_number()
    event = {"event_id": f"early-{number}", "type": "litigation.updated",
             "data": {"case_number": number, "stage": "first_instance"}}
    early = await push("court", event, users)
    assert early.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM inbound_event WHERE event_id = $1", f"early-{number}") == 0
    case = await new_dispute(users["clerk"])
    await write(users["clerk"], case["reference"], "lawsuits", {
        "case_number": number, "court": "长治市潞州区人民法院", "case_type": "civil", "filed_on": days_ago(2)})
    later = await push("court", event, users)
    assert later.status_code == 200 and later.json()["duplicate"] is False
    wrong_kind = await push("legal_aid", {**event, "event_id": "k-" + number}, users)
    assert wrong_kind.status_code == 422


async def test_the_legal_aid_centre_pushes_its_decision_and_the_lawyer(users):
    clerk = users["clerk"]
    case = await new_dispute(clerk)
    ref = case["reference"]
    external = f"LA-{time.time_ns()}"
    record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": "潞州区法律援助中心",
                                                    "applied_on": days_ago(3), "aid_type": "legal_advice",
                                                    "external_id": external})).json()
    today = timeutil.today().isoformat()
    decided = await push("legal_aid", {"event_id": f"d-{external}", "type": "legal_aid.decided",
                                       "data": {"external_id": external, "decision": "granted",
                                                "decided_on": today}}, users)
    assert decided.status_code == 200, decided.text
    assigned = await push("legal_aid", {"event_id": f"a-{external}", "type": "legal_aid.lawyer_assigned",
                                        "data": {"external_id": external, "lawyer_name": "钱律师",
                                                 "assigned_on": today}}, users)
    assert assigned.status_code == 200, assigned.text
    shown = (await clerk.get(f"/api/v1/cases/{ref}/legal-aid/{record['id']}")).json()
    assert (shown["decision"], shown["lawyer_name"], shown["assigned_on"]) == ("granted", "钱律师", today)
    assert {c["time_limit"]: c["status"] for c in shown["clocks"]} == {"legal_aid.decide": "met",
                                                                       "legal_aid.assign": "met"}
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    decided_event = next(e for e in events if e["type"] == "legal_aid_decided")
    assert decided_event["actor"] is None and decided_event["data"]["source"] == "legal_aid"
