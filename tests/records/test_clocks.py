"""Record clocks: judicial confirmation, legal-aid decision and assignment,
the litigation window after a reconsideration decision; on time and late."""

from __future__ import annotations

import datetime as dt

from tests.records.support import (
    agency_reconsideration, case_number, clocks_by_limit, days_ago, new_dispute, write,
)
from tests.support import act


async def test_a_late_application_for_judicial_confirmation_needs_a_justification_and_is_flagged(users, db):
    mediator = users["village_mediator"]
    case = await new_dispute(users["clerk"])
    ref = case["reference"]
    await act(mediator, ref, "accept")
    agreement = (await write(mediator, ref, "agreements", {"terms": "赔偿500元", "signed_on": days_ago(40),
                                                           "effective_on": days_ago(35)})).json()
    # Time passing, set up directly: the 30-day window ran out yesterday.
    await db.execute("""UPDATE clock SET due_on = current_date - 1
                        WHERE record_kind = 'agreement' AND record_id = $1""", agreement["id"])
    body = {"agreement_id": agreement["id"], "court": "长治市潞州区人民法院", "applied_on": dt.date.today().isoformat()}
    refused = await write(mediator, ref, "judicial-confirmations", body)
    assert refused.status_code == 422 and refused.json()["type"].endswith("window-closed")
    late = await write(mediator, ref, "judicial-confirmations", {**body, "late_justification": "当事人外出务工"})
    assert late.status_code == 201, late.text
    assert late.json()["late"] is True
    window = clocks_by_limit((await mediator.get(f"/api/v1/cases/{ref}/agreements/{agreement['id']}")).json())
    assert (window["judicial_confirmation.apply"]["state"], window["judicial_confirmation.apply"]["status"]) == (
        "stopped", "late")


async def test_an_agreement_needs_an_open_or_agreed_mediation(users):
    case = await new_dispute(users["clerk"])
    refused = await write(users["village_mediator"], case["reference"], "agreements",
                          {"terms": "x", "signed_on": days_ago(1)})
    assert refused.status_code == 409  # still pending acceptance
    await act(users["village_mediator"], case["reference"], "accept")
    clerk_try = await write(users["clerk"], case["reference"], "agreements", {"terms": "x", "signed_on": days_ago(1)})
    assert clerk_try.status_code == 403  # concluding a mediation is the mediator's (transition table)


async def test_legal_aid_decided_and_assigned_late_is_recorded_as_late(users, db):
    clerk = users["clerk"]
    case = await new_dispute(clerk)
    ref = case["reference"]
    record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": "潞州区法律援助中心",
                                                    "applied_on": days_ago(9), "aid_type": "legal_advice"})).json()
    assert clocks_by_limit(record)["legal_aid.decide"]["status"] == "breached"  # 7 days from 9 days ago
    today = dt.date.today().isoformat()
    granted = await write(clerk, ref, f"legal-aid/{record['id']}/decision", {"decision": "granted",
                                                                             "decided_on": today})
    clocks = clocks_by_limit(granted.json())
    assert clocks["legal_aid.decide"]["status"] == "late"
    # Time passing, set up directly: the 3-day assignment window ran out yesterday.
    await db.execute("""UPDATE clock SET due_on = current_date - 1
                        WHERE record_kind = 'legal_aid' AND record_id = $1 AND time_limit_code = 'legal_aid.assign'""",
                     record["id"])
    assigned = await write(clerk, ref, f"legal-aid/{record['id']}/lawyer",
                           {"lawyer_name": "赵律师", "assigned_on": today})
    assert clocks_by_limit(assigned.json())["legal_aid.assign"]["status"] == "late"
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    stops = [e["data"] for e in events if e["type"] == "clock_stopped" and e["data"].get("record") == "legal_aid"]
    assert [(s["time_limit"], s["met"]) for s in stops] == [("legal_aid.decide", False), ("legal_aid.assign", False)]


async def test_a_refusal_gives_its_reason_and_starts_no_assignment_clock(users):
    clerk = users["clerk"]
    case = await new_dispute(clerk)
    ref = case["reference"]
    record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": "潞州区法律援助中心",
                                                    "applied_on": days_ago(1), "aid_type": "legal_advice"})).json()
    no_reason = await write(clerk, ref, f"legal-aid/{record['id']}/decision",
                            {"decision": "refused", "decided_on": days_ago(0)})
    assert no_reason.status_code == 422
    refused = await write(clerk, ref, f"legal-aid/{record['id']}/decision",
                          {"decision": "refused", "decided_on": days_ago(0), "refusal_reason": "经济状况不符合条件"})
    assert refused.status_code == 200, refused.text
    assert set(clocks_by_limit(refused.json())) == {"legal_aid.decide"}
    assert (await write(clerk, ref, f"legal-aid/{record['id']}/lawyer",
                        {"lawyer_name": "x", "assigned_on": days_ago(0)})).status_code == 409
    organisation = await write(clerk, ref, "legal-aid", {"party_position": 3, "centre": "c",
                                                         "applied_on": days_ago(0), "aid_type": "legal_advice"})
    assert organisation.status_code == 422


async def test_no_legal_aid_record_beside_a_legal_aid_proceeding(users):
    draft_case = await users["officer"].post("/api/v1/cases", json={
        **__import__("tests.support", fromlist=["dispute"]).dispute(),
        "requested_track": "legal_aid", "override_reason": "申请人直接申请法律援助"})
    case = draft_case.json()
    assert case["track"] == "legal_aid", case
    assert "legal_aid.decide" in [c["time_limit"] for c in case["proceeding"]["clocks"]]
    refused = await write(users["clerk"], case["reference"], "legal-aid", {
        "party_position": 1, "centre": "潞州区法律援助中心", "applied_on": days_ago(0), "aid_type": "legal_advice"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("legal-aid-is-a-proceeding")


async def test_a_suit_filed_after_the_15_day_window_stops_it_as_late(users, db):
    case = await agency_reconsideration(users)
    ref = case["reference"]
    recorded = await write(users["reconsideration"], ref, "reconsideration-decisions", {
        "decision_type": "dismissed", "decision_number": "潞政复决〔2026〕20号", "decided_on": days_ago(1),
        "received_on": days_ago(1)})
    assert recorded.status_code == 201, recorded.text
    # Time passing, set up directly: the 15-day window ran out yesterday.
    await db.execute("""UPDATE clock SET due_on = current_date - 1
                        WHERE case_id = $1 AND time_limit_code = 'litigation.after_reconsideration'""", case["id"])
    linked = await write(users["clerk"], ref, "lawsuits", {
        "case_number": case_number("行初"), "court": "长治市潞州区人民法院", "case_type": "administrative",
        "filed_on": dt.date.today().isoformat()})
    assert linked.status_code == 201, linked.text
    decision = (await users["clerk"].get(f"/api/v1/cases/{ref}/reconsideration-decisions")).json()["items"][0]
    assert (decision["litigation_window"]["state"], decision["litigation_window"]["status"]) == ("stopped", "late")
    events = (await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]
    stop = next(e for e in events if e["type"] == "clock_stopped" and e["data"]["by"] == "lawsuit_linked")
    assert stop["data"]["met"] is False
