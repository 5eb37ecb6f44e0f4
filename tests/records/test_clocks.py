"""Record clocks: judicial confirmation, legal-aid decision and assignment,
the litigation window after a reconsideration decision; on time and late."""

from __future__ import annotations

from casework import timeutil
from tests.records.support import (
    agency_reconsideration,
    case_number,
    clocks_by_limit,
    days_ago,
    new_dispute,
    write,
)
from tests.support import act, on


async def test_a_late_application_for_judicial_confirmation_needs_a_justification_and_is_flagged(users):
    """An agreement in effect from 2026-10-20: the parties' 30 days end on
    2026-11-19 (a Thursday); applying on 2026-11-20 is late."""
    mediator = users["village_mediator"]
    with on("2026-10-12"):
        case = await new_dispute(users["clerk"], received_at="2026-10-12T09:00:00+08:00", occurred_on="2026-10-01")
        ref = case["reference"]
        await act(mediator, ref, "accept")
    with on("2026-10-20"):
        agreement = (await write(mediator, ref, "agreements", {"terms": "赔偿500元", "signed_on": "2026-10-20"})).json()
    window = clocks_by_limit(agreement)["judicial_confirmation.apply"]
    assert (window["whose"], window["due_on"]) == ("party", "2026-11-19")
    with on("2026-11-20"):
        body = {"agreement_id": agreement["id"], "court": "长治市潞州区人民法院", "applied_on": "2026-11-20"}
        refused = await write(mediator, ref, "judicial-confirmations", body)
        assert refused.status_code == 422 and refused.json()["type"].endswith("window-closed")
        late = await write(mediator, ref, "judicial-confirmations", {**body, "late_justification": "当事人外出务工"})
        assert late.status_code == 201, late.text
        assert late.json()["late"] is True
        window = clocks_by_limit((await mediator.get(f"/api/v1/cases/{ref}/agreements/{agreement['id']}")).json())
    assert (window["judicial_confirmation.apply"]["state"], window["judicial_confirmation.apply"]["status"]) == (
        "stopped", "late")
    # The court's 3 days to decide on acceptance run from its receipt of the application.
    court = clocks_by_limit(late.json())["judicial_confirmation.accept"]
    assert (court["whose"], court["started_on"], court["due_on"]) == ("court", "2026-11-20", "2026-11-23")


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
    today = timeutil.today().isoformat()
    granted = await write(clerk, ref, f"legal-aid/{record['id']}/decision", {"decision": "granted",
                                                                             "decided_on": today})
    clocks = clocks_by_limit(granted.json())
    assert clocks["legal_aid.decide"]["status"] == "late"
    # Time passing, set up directly: the 3-day assignment window ran out yesterday.
    await db.execute("""UPDATE clock SET due_on = (casework_now() AT TIME ZONE 'Asia/Shanghai')::date - 1
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


async def test_a_suit_filed_after_the_15_day_window_stops_it_as_late(users):
    """A decision received on 2026-11-03: the 15 days to sue end on 2026-11-18;
    a suit the court receives on 2026-11-20 answers the window late."""
    with on("2026-09-04"):
        case = await agency_reconsideration(users, received="2026-09-03")
    ref = case["reference"]
    with on("2026-11-05"):
        recorded = await write(users["reconsideration"], ref, "reconsideration-decisions", {
            "decision_type": "claims_dismissed", "decision_number": "潞政复决〔2026〕20号",
            "decided_on": "2026-10-30", "received_on": "2026-11-03", "service_method": "post",
            "posted_on": "2026-10-31"})
        assert recorded.status_code == 201, recorded.text
    with on("2026-11-20"):
        linked = await write(users["clerk"], ref, "lawsuits", {
            "case_number": case_number("行初"), "court": "长治市潞州区人民法院", "case_type": "administrative",
            "filed_on": "2026-11-20"})
        assert linked.status_code == 201, linked.text
        decision = (await users["clerk"].get(f"/api/v1/cases/{ref}/reconsideration-decisions")).json()["items"][0]
    window = decision["litigation_window"]
    assert (window["due_on"], window["state"], window["status"]) == ("2026-11-18", "stopped", "late")
    events = (await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]
    stop = next(e for e in events if e["type"] == "clock_stopped" and e["data"]["by"] == "lawsuit_filed")
    assert stop["data"]["met"] is False and stop["data"]["outcome"] == "late"
