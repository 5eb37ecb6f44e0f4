"""The records stories of the issue, end to end through the API."""

from __future__ import annotations

import datetime as dt

from casework import timeutil
from casework.deadlines.calendar import compute_due
from casework.deadlines.service import holiday_calendar
from tests.records.support import case_number, clocks_by_limit, days_ago, etag, new_dispute, write
from tests.support import act


async def due(start: str | dt.date, length: int, unit: str = "days") -> str:
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    return compute_due(await holiday_calendar(), start, length, unit).due_on.isoformat()


async def test_a_mediator_records_two_sessions_and_an_agreement_that_the_court_confirms(users):
    mediator = users["village_mediator"]
    case = await new_dispute(users["clerk"])
    ref = case["reference"]
    assert case["track"] == "people_mediation"
    assert (await act(mediator, ref, "accept")).status_code == 200

    # One code path: the action and the records route both record a session.
    first = await act(mediator, ref, "record_session", {"held_on": days_ago(6), "location": "村委会调解室",
                                                          "participants": ["张三", "李四"], "notes": "首次调解"})
    assert first.status_code == 200, first.text
    second = await write(mediator, ref, "sessions", {"held_on": days_ago(3), "location": "村委会调解室",
                                                     "participants": ["张三", "李四"], "notes": "达成初步意向"})
    assert second.status_code == 201, second.text
    assert second.json()["mediator"] == "village_mediator"
    sessions = (await mediator.get(f"/api/v1/cases/{ref}/sessions")).json()["items"]
    assert [s["held_on"] for s in sessions] == [days_ago(6), days_ago(3)]
    one = await mediator.get(f"/api/v1/cases/{ref}/sessions/{sessions[0]['id']}")
    assert one.status_code == 200 and one.json()["notes"] == "首次调解"

    signed = days_ago(2)
    agreement = await write(mediator, ref, "agreements", {"terms": "李四于十日内修建排水沟", "signed_on": signed})
    assert agreement.status_code == 201, agreement.text
    body = agreement.json()
    assert body["effective_on"] == signed and body["performance"] == "performing"
    window = clocks_by_limit(body)["judicial_confirmation.apply"]
    assert (window["state"], window["started_on"], window["due_on"]) == ("running", signed, await due(signed, 30))
    assert agreement.headers["etag"] == await etag(mediator, ref)

    detail = (await mediator.get(f"/api/v1/cases/{ref}")).json()
    assert (detail["status"], detail["proceeding"]["outcome"]) == ("concluded", "agreement")
    assert len(detail["sessions"]) == 2 and detail["agreements"][0]["id"] == body["id"]
    # The party's window is on the clocks; it does not make the case due for
    # a body (docs/proceedings.md), so a concluded case has no next due date.
    assert detail["next_due_on"] is None

    applied = await write(mediator, ref, "judicial-confirmations", {
        "agreement_id": body["id"], "court": "长治市潞州区人民法院", "applied_on": days_ago(1)})
    assert applied.status_code == 201, applied.text
    confirmation = applied.json()
    assert confirmation["late"] is False
    agreement_now = (await mediator.get(f"/api/v1/cases/{ref}/agreements/{body['id']}")).json()
    stopped = clocks_by_limit(agreement_now)["judicial_confirmation.apply"]
    assert (stopped["state"], stopped["status"]) == ("stopped", "met")

    today = timeutil.today().isoformat()
    accepted = await write(mediator, ref, f"judicial-confirmations/{confirmation['id']}/acceptance",
                           {"accepted_on": today})
    assert accepted.status_code == 200, accepted.text
    ruling_clock = clocks_by_limit(accepted.json())["judicial_confirmation.ruling"]
    assert (ruling_clock["state"], ruling_clock["due_on"], ruling_clock["length"]) == (
        "running", await due(today, 15), 15)

    number = case_number("民特")
    ruled = await write(mediator, ref, f"judicial-confirmations/{confirmation['id']}/ruling",
                        {"ruling_number": number, "ruled_on": today, "result": "confirmed"})
    assert ruled.status_code == 200, ruled.text
    assert (ruled.json()["ruling_number"], ruled.json()["result"]) == (number, "confirmed")
    assert clocks_by_limit(ruled.json())["judicial_confirmation.ruling"]["status"] == "met"

    performed = await write(mediator, ref, f"agreements/{body['id']}/performance", {"performance": "performed"})
    assert performed.status_code == 200 and performed.json()["performance"] == "performed"
    again = await write(mediator, ref, f"agreements/{body['id']}/performance", {"performance": "breached"})
    assert again.status_code == 409

    detail = (await mediator.get(f"/api/v1/cases/{ref}")).json()
    assert detail["judicial_confirmations"][0]["ruling_number"] == number
    events = (await mediator.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    types = [e["type"] for e in events]
    for needed in ("session_recorded", "concluded", "agreement_recorded", "confirmation_applied",
                   "confirmation_accepted", "confirmation_ruled", "agreement_performance_updated"):
        assert needed in types, needed
    recorded = next(e for e in events if e["type"] == "agreement_recorded")
    assert "terms" not in recorded["data"]  # the outbox feeds webhooks: no terms, names or notes
    assert all("participants" not in e["data"] for e in events)


async def test_a_failed_dispute_goes_to_court_with_legal_aid_and_the_courts_judgment_shows(users, db):
    mediator, clerk, officer = users["village_mediator"], users["clerk"], users["officer"]
    case = await new_dispute(clerk)
    ref = case["reference"]
    await act(mediator, ref, "accept")
    failed = await act(mediator, ref, "escalate", {"track": "litigation", "reason": "调解不成，申请人起诉",
                                                   "outcome": "failed", "channels_notified": ["litigation",
                                                                                              "legal_aid"]})
    assert failed.status_code == 200, failed.text
    assert failed.json()["track"] == "litigation"

    number = case_number("民初")
    printed = number.replace("(", "（").replace(")", "）")
    linked = await write(clerk, ref, "lawsuits", {"case_number": printed,
                                                  "court": "长治市潞州区人民法院", "case_type": "civil",
                                                  "cause": "相邻关系纠纷", "filed_on": days_ago(3)})
    assert linked.status_code == 201, linked.text
    suit = linked.json()
    # Stored as given, found by its key, shown as printed.
    assert (suit["case_number"], suit["case_number_key"], suit["case_number_as_given"], suit["type_code"]) == (
        printed, number, printed, "民初")
    assert suit["stage"] == "filed" and suit["linked_cases"] == [ref]

    # A second case about the same suit links the same record.
    other = await new_dispute(clerk)
    shared = await write(clerk, other["reference"], "lawsuits", {
        "case_number": number, "court": "长治市潞州区人民法院", "case_type": "civil", "filed_on": days_ago(3)})
    assert shared.status_code == 201, shared.text
    assert shared.json()["id"] == suit["id"]
    assert sorted(shared.json()["linked_cases"]) == sorted([ref, other["reference"]])
    twice = await write(clerk, other["reference"], "lawsuits", {
        "case_number": number, "court": "长治市潞州区人民法院", "case_type": "civil", "filed_on": days_ago(3)})
    assert twice.status_code == 409

    applied_on = days_ago(2)
    aid = await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": "潞州区法律援助中心",
                                                "applied_on": applied_on, "aid_type": "litigation_representation",
                                                "lawsuit_id": suit["id"], "external_id": f"LA-{number}"})
    assert aid.status_code == 201, aid.text
    record = aid.json()
    decide = clocks_by_limit(record)["legal_aid.decide"]
    assert (decide["state"], decide["due_on"]) == ("running", await due(applied_on, 7))

    # The court accepting the filing is a proceeding action: it leaves the record's clock alone.
    assert (await act(officer, ref, "accept")).status_code == 200
    record = (await clerk.get(f"/api/v1/cases/{ref}/legal-aid/{record['id']}")).json()
    assert clocks_by_limit(record)["legal_aid.decide"]["state"] == "running"

    today = timeutil.today().isoformat()
    granted = await write(clerk, ref, f"legal-aid/{record['id']}/decision",
                          {"decision": "granted", "decided_on": today})
    assert granted.status_code == 200, granted.text
    clocks = clocks_by_limit(granted.json())
    assert clocks["legal_aid.decide"]["status"] == "met"
    assert (clocks["legal_aid.assign"]["state"], clocks["legal_aid.assign"]["due_on"]) == (
        "running", await due(today, 3))
    lawyer = await write(clerk, ref, f"legal-aid/{record['id']}/lawyer",
                         {"lawyer_name": "王律师", "law_firm": "山西某律师事务所", "assigned_on": today})
    assert lawyer.status_code == 200, lawyer.text
    assert clocks_by_limit(lawyer.json())["legal_aid.assign"]["status"] == "met"

    # The court's system pushes that the judgment is in.
    from tests.integrations.test_inbound import push

    before = (await clerk.get(f"/api/v1/cases/{other['reference']}")).json()["version"]
    pushed = await push("court", {"event_id": f"judgment-{number}", "type": "litigation.updated",
                                  "data": {"case_number": number, "stage": "first_instance", "result": "judgment",
                                           "result_on": today}}, users)
    assert pushed.status_code == 200, pushed.text
    for reference in (ref, other["reference"]):
        detail = (await clerk.get(f"/api/v1/cases/{reference}")).json()
        shown = next(s for s in detail["lawsuits"] if s["case_number_key"] == number)
        assert (shown["result"], shown["result_on"], shown["stage"]) == ("judgment", today, "first_instance")
        events = (await clerk.get(f"/api/v1/cases/{reference}/events")).json()["items"]
        update = [e for e in events if e["type"] == "litigation_updated"][-1]
        assert update["data"]["source"] == "court" and update["data"]["changes"]["result"]["after"] == "judgment"
    assert (await clerk.get(f"/api/v1/cases/{other['reference']}")).json()["version"] > before
    detail = (await clerk.get(f"/api/v1/cases/{ref}")).json()
    assert detail["legal_aid"][0]["lawyer_name"] == "王律师"
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    assigned = next(e for e in events if e["type"] == "lawyer_assigned")
    assert "王律师" not in str(assigned["data"])


async def test_a_reconsideration_decision_concludes_the_proceeding_and_the_litigation_window_counts_from_receipt(
        users, db):
    from tests.records.support import agency_reconsideration

    case = await agency_reconsideration(users)
    ref = case["reference"]
    office = users["reconsideration"]
    decided_on, received_on = days_ago(4), days_ago(2)
    recorded = await write(office, ref, "reconsideration-decisions", {
        "decision_type": "upheld", "decision_number": "潞政复决〔2026〕12号", "decided_on": decided_on,
        "received_on": received_on})
    assert recorded.status_code == 201, recorded.text
    decision = recorded.json()
    assert decision["decision_type"] == "upheld"
    window = decision["litigation_window"]
    assert (window["time_limit"], window["started_on"], window["due_on"]) == (
        "litigation.after_reconsideration", received_on, await due(received_on, 15))
    detail = (await office.get(f"/api/v1/cases/{ref}")).json()
    assert (detail["proceeding"]["state"], detail["proceeding"]["outcome"]) == ("concluded", "upheld")
    stopped = {c["time_limit"]: c for c in detail["proceeding"]["clocks"]}["reconsideration.decision"]
    assert (stopped["stopped_on"], stopped["status"]) == (decided_on, "met")
    assert detail["reconsideration_decisions"][0]["decision_number"] == "潞政复决〔2026〕12号"
    again = await write(office, ref, "reconsideration-decisions", {
        "decision_type": "upheld", "decision_number": "x", "decided_on": decided_on, "received_on": received_on})
    assert again.status_code == 409

    suit = await write(users["clerk"], ref, "lawsuits", {
        "case_number": case_number("行初"), "court": "长治市潞州区人民法院", "case_type": "administrative",
        "filed_on": timeutil.today().isoformat(), "head_appeared": True})
    assert suit.status_code == 201, suit.text
    assert suit.json()["head_appeared"] is True
    decision = (await office.get(f"/api/v1/cases/{ref}/reconsideration-decisions/{decision['id']}")).json()
    assert (decision["litigation_window"]["state"], decision["litigation_window"]["status"]) == ("stopped", "met")


async def test_a_decision_on_a_reconsideration_concluded_otherwise_is_refused(users):
    from tests.records.support import agency_reconsideration

    case = await agency_reconsideration(users)
    ref = case["reference"]
    assert (await act(users["reconsideration"], ref, "conclude", {"outcome": "revoked"})).status_code == 200
    mismatch = await write(users["reconsideration"], ref, "reconsideration-decisions", {
        "decision_type": "upheld", "decision_number": "潞政复决〔2026〕13号", "decided_on": days_ago(1),
        "received_on": days_ago(1)})
    assert mismatch.status_code == 409 and mismatch.json()["type"].endswith("decision-mismatch")
    matching = await write(users["reconsideration"], ref, "reconsideration-decisions", {
        "decision_type": "revoked", "decision_number": "潞政复决〔2026〕13号", "decided_on": days_ago(1),
        "received_on": days_ago(1)})
    assert matching.status_code == 201, matching.text


async def test_record_writes_need_the_current_etag_and_stay_inside_the_jurisdiction(users):
    clerk = users["clerk"]
    case = await new_dispute(clerk)
    ref = case["reference"]
    body = {"case_number": case_number(), "court": "长治市潞州区人民法院", "case_type": "civil",
            "filed_on": days_ago(1)}
    missing = await clerk.post(f"/api/v1/cases/{ref}/lawsuits", json=body)
    assert missing.status_code == 428
    stale = await write(clerk, ref, "lawsuits", body, if_match='"1.0"')
    assert stale.status_code == 412
    elsewhere = await write(users["clerk_other"], ref, "lawsuits", body, if_match='"x"')
    assert elsewhere.status_code == 404
    assert (await users["clerk_other"].get(f"/api/v1/cases/{ref}/lawsuits")).status_code == 404
    auditor = users["auditor"]
    assert (await auditor.get(f"/api/v1/cases/{ref}/lawsuits")).status_code == 200
    assert (await write(auditor, ref, "lawsuits", body)).status_code == 403
    wrong_type = await write(clerk, ref, "lawsuits", {**body, "case_type": "administrative"})
    assert wrong_type.status_code == 422
    assert (await write(clerk, ref, "lawsuits", {**body, "case_number": "2026晋0403民初1号"})).status_code == 422
    created = await write(clerk, ref, "lawsuits", body)
    assert created.status_code == 201
    assert (await clerk.get(f"/api/v1/cases/{ref}/lawsuits/{created.json()['id'] + 100000}")).status_code == 404
