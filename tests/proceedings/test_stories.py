"""The stories of issue 3, end to end through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from casework import timeutil
from casework.deadlines.calendar import compute_due
from casework.deadlines.service import holiday_calendar
from tests.support import act, dispute, on, person, petition

AGENCY = {"role": "respondent", "kind": "agency", "name": "潞州区某街道办事处"}


@pytest.fixture(scope="module")
async def umb_mediator(users):
    if "umb_mediator" not in users.clients:
        await users.make("umb_mediator", "mediator", "140403", "140403-UMB")
    return users["umb_mediator"]


async def test_a_failed_mediation_escalates_to_reconsideration_and_the_clocks_follow(users, umb_mediator, db):
    created = await users["clerk"].post("/api/v1/cases", json=dispute(
        category="urban_management", summary="占道经营处罚争议", parties=[person(), AGENCY]))
    case = created.json()
    ref = case["reference"]
    assert case["track"] == "administrative_mediation"
    assert case["routing"]["body"]["code"] == "140403-UMB"

    queue = (await umb_mediator.get("/api/v1/queue")).json()["items"]
    assert ref in [c["reference"] for c in queue]
    dues = [c["next_due_on"] or "9999" for c in queue]
    assert dues == sorted(dues)

    accepted = await act(umb_mediator, ref, "accept")
    assert accepted.status_code == 200, accepted.text
    clocks = accepted.json()["proceeding"]["clocks"]
    assert {c["time_limit"]: c["state"] for c in clocks} == {
        "administrative_mediation.accept": "stopped", "administrative_mediation.target": "running"}

    escalated = await act(umb_mediator, ref, "escalate", {
        "track": "reconsideration", "reason": "调解不成，申请人对处罚决定申请复议",
        "outcome": "failed", "channels_notified": ["administrative_reconsideration", "litigation"]})
    assert escalated.status_code == 200, escalated.text
    after = escalated.json()
    assert after["track"] == "reconsideration" and after["stage"] == "pending_acceptance"
    first, second = after["proceedings"]
    assert (first["state"], first["outcome"]) == ("escalated", "failed")
    assert first["details"]["channels_notified"] == ["administrative_reconsideration", "litigation"]
    assert second["previous_id"] == first["id"] and second["body"]["code"] == "140403-RO"
    acceptance = second["clocks"][0]
    assert (acceptance["time_limit"], acceptance["unit"], acceptance["length"]) == (
        "reconsideration.acceptance_review", "working_days", 5)

    office_queue = (await users["reconsideration"].get("/api/v1/queue")).json()["items"]
    assert ref in [c["reference"] for c in office_queue]
    decided = await act(users["reconsideration"], ref, "accept")
    assert decided.status_code == 200, decided.text
    clocks = {c["time_limit"]: c for c in decided.json()["proceeding"]["clocks"]}
    assert clocks["reconsideration.acceptance_review"]["state"] == "stopped"
    decision = clocks["reconsideration.decision"]
    today = dt.date.fromisoformat(decision["started_on"])
    expected = compute_due(await holiday_calendar(), today, 60, "days").due_on
    assert decision["due_on"] == expected.isoformat()

    types = [e["type"] for e in (await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]]
    for needed in ("accepted", "concluded", "escalated", "clock_started", "clock_stopped"):
        assert needed in types


async def test_a_petition_goes_through_review_and_re_review_to_termination_and_a_repeat_is_put_to_an_officer(
        users, db):
    applicant = person()
    body = petition(category="social_security", parties=[applicant, {"role": "respondent", "kind": "agency",
                                                                      "name": "潞州区社会保险中心"}])
    case = (await users["clerk"].post("/api/v1/cases", json=body)).json()
    ref = case["reference"]
    officer = users["officer"]
    assert (await act(officer, ref, "assign", {"body_code": "140403-PB", "assignee": "officer"})).status_code == 200
    detail = (await officer.get(f"/api/v1/cases/{ref}")).json()
    assert detail["stage"] == "forwarded"
    assert "petition.notify_acceptance" in [c["time_limit"] for c in detail["proceeding"]["clocks"]]
    assert (await act(officer, ref, "accept")).status_code == 200
    opinion = await act(officer, ref, "conclude", {"outcome": "opinion_issued", "opinion": "not_supported"})
    assert opinion.status_code == 200, opinion.text
    # The petitioner's window runs from receiving the opinion, not from its issue.
    assert "petition.request_review" not in [c["time_limit"] for c in opinion.json()["proceeding"]["clocks"]]
    notice = next(n for n in opinion.json()["notices"] if n["kind"] == "petition_opinion")
    assert notice["served"] is False
    served = await officer.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/service",
                                headers={"If-Match": opinion.headers["etag"]},
                                json={"method": "in_person", "served_on": timeutil.today().isoformat()})
    assert served.status_code == 200, served.text
    detail = (await officer.get(f"/api/v1/cases/{ref}")).json()
    window = [c for c in detail["proceeding"]["clocks"] if c["time_limit"] == "petition.request_review"]
    assert window and (window[0]["state"], window[0]["whose"]) == ("running", "party")

    review = await act(users["clerk"], ref, "request_review", {"reason": "信访人不服，请求复查"})
    assert review.status_code == 200, review.text
    reviewed = review.json()
    assert reviewed["track"] == "petition_review"
    assert reviewed["proceeding"]["body"]["code"] == "CZ-PB"  # one level above the county bureau
    # The review body decides whether to accept the request first; the county clerk may not.
    assert reviewed["stage"] == "pending_acceptance"
    assert (await act(users["clerk"], ref, "accept")).status_code == 403
    await users.make("city_officer", "officer", "1404", "CZ-PB") if "city_officer" not in users.clients else None
    city_officer = users["city_officer"]
    assert (await act(city_officer, ref, "accept")).status_code == 200
    assert (await act(city_officer, ref, "conclude", {"outcome": "opinion_issued"})).status_code == 200
    re_review = await act(users["clerk"], ref, "request_re_review", {"reason": "请求复核"})
    assert re_review.status_code == 200, re_review.text
    assert re_review.json()["proceeding"]["body"]["code"] == "SX-PB"
    await users.make("province_officer", "officer", "14", "SX-PB") if "province_officer" not in users.clients else None
    assert (await act(users["province_officer"], ref, "accept")).status_code == 200
    final = await act(users["province_officer"], ref, "conclude", {"outcome": "opinion_issued"})
    assert final.status_code == 200, final.text
    ended = final.json()
    assert ended["status"] == "terminated" and ended["terminated"] is True
    assert [p["track"] for p in ended["proceedings"]] == ["petition", "petition_review", "petition_re_review"]

    # Termination is a finding, not a match: a new petition of the same
    # applicant in the same category is registered and put to an officer.
    respondent = {"role": "respondent", "kind": "agency", "name": "潞州区社会保险中心"}
    again = await users["clerk"].post("/api/v1/cases", json=petition(
        category="social_security", summary="同一事项再次信访", parties=[applicant, respondent]))
    assert again.status_code == 201, again.text
    repeat = again.json()
    assert (repeat["status"], repeat["stage"], repeat["related_case"]) == ("open", "pending_finding", ref)
    assert "receipt_note" not in repeat  # nothing is told the petitioner before the finding
    assert [r["reference"] for r in repeat["possible_repeats"]] == [ref]  # the officer's evidence
    assert [c["time_limit"] for c in repeat["proceeding"]["clocks"]] == ["petition.register_forward"]
    detail = (await users["clerk"].get(f"/api/v1/cases/{repeat['reference']}")).json()
    assert {k: v for k, v in repeat.items() if k != "receipt_code"} == detail
    assert set(detail["allowed_actions"]) == {"withdraw"}  # the clerk does not decide it
    officer_view = (await officer.get(f"/api/v1/cases/{repeat['reference']}")).json()
    assert {"find_same_matter", "find_new_matter"} <= set(officer_view["allowed_actions"])
    same = await act(officer, repeat["reference"], "find_same_matter", {
        "reason": "与已复核终结事项事实和理由相同", "served": {"method": "in_person", "served_on": str(timeutil.today())}})
    assert same.status_code == 200, same.text
    assert (same.json()["status"], same.json()["not_accepted_reason"]) == ("not_accepted", "terminated_matter")
    assert [n["kind"] for n in same.json()["notices"]] == ["not_accepted_notice"]
    # Another petition of the same applicant and category is a new matter: it proceeds.
    other = (await users["clerk"].post("/api/v1/cases", json=petition(
        category="social_security", summary="另一事项：医保报销", parties=[applicant, respondent]))).json()
    assert other["stage"] == "pending_finding"
    new = await act(officer, other["reference"], "find_new_matter", {"reason": "医保报销，与原事项不同"})
    assert new.status_code == 200 and new.json()["stage"] == "registered"
    events = (await officer.get(f"/api/v1/cases/{other['reference']}/events")).json()["items"]
    finding = next(e for e in events if e["type"] == "finding_made")
    assert finding["data"]["same_matter"] is False


async def test_a_late_review_request_is_refused_unless_an_officer_justifies_it(users):
    """The opinion reached the petitioner on 2026-11-03: the 30 days end on
    2026-12-03. A request on 2026-12-04 is late; an officer may accept it,
    saying why."""
    with on("2026-09-01"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition())).json()
        ref = case["reference"]
        await act(users["officer"], ref, "accept")
    with on("2026-10-30"):
        concluded = await act(users["officer"], ref, "conclude", {"outcome": "opinion_issued"})
        assert concluded.status_code == 200, concluded.text
    notice = next(n for n in concluded.json()["notices"] if n["kind"] == "petition_opinion")
    with on("2026-11-05"):
        served = await users["officer"].post(
            f"/api/v1/cases/{ref}/notices/{notice['id']}/service", headers={"If-Match": concluded.headers["etag"]},
            json={"method": "post", "posted_on": "2026-10-30", "served_on": "2026-11-03", "tracking_number": "XA1"})
        assert served.status_code == 200, served.text
    with on("2026-12-04"):
        refused = await act(users["clerk"], ref, "request_review")
        assert refused.status_code == 422 and refused.json()["type"].endswith("window-closed")
        assert "2026-12-03" in refused.json()["detail"]
        clerk_try = await act(users["clerk"], ref, "request_review", {"late_justification": "住院"})
        assert clerk_try.status_code == 403
        accepted = await act(users["officer"], ref, "request_review", {"late_justification": "信访人住院，有证明"})
        assert accepted.status_code == 200, accepted.text
    events = (await users["officer"].get(f"/api/v1/cases/{ref}/events")).json()["items"]
    requested = next(e for e in events if e["type"] == "review_requested")
    assert requested["data"]["late"]["justification"] == "信访人住院，有证明"
    assert requested["data"]["late"]["closed_on"] == "2026-12-03"


async def test_a_reconsideration_applied_for_after_60_days_is_put_to_the_officer_with_the_evidence(users):
    """Known of the act on 2026-05-04; the 60 days ended on 2026-07-03 (a
    Friday). An application received on 2026-11-02 is late: the officer sees
    the dates and accepts it only with a reason (or declines it)."""
    with on("2026-11-02"):
        draft = dispute(category="urban_management", parties=[person(), AGENCY], act_known_on="2026-05-04",
                        occurred_on="2026-05-01", requested_track="reconsideration", override_reason="申请人坚持申请复议")
        case = (await users["officer"].post("/api/v1/cases", json=draft)).json()
        assert case["track"] == "reconsideration"
        asked = await act(users["reconsideration"], case["reference"], "accept")
        assert asked.status_code == 422 and asked.json()["type"].endswith("late-application")
        assert asked.json()["evidence"]["window_ended_on"] == "2026-07-03"
        accepted = await act(users["reconsideration"], case["reference"], "accept",
                             {"late_accepted_reason": "申请人因住院耽误，提交了证明"})
        assert accepted.status_code == 200, accepted.text
    events = (await users["officer"].get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    flagged = [e for e in events if e["type"] == "late_application_flagged"]
    assert len(flagged) == 1 and flagged[0]["data"]["act_known_on"] == "2026-05-04"
    accepted_event = next(e for e in events if e["type"] == "accepted")
    assert accepted_event["data"]["late_application"] is True
    assert accepted_event["data"]["late_accepted_reason"] == "申请人因住院耽误，提交了证明"


async def test_an_applicant_not_told_of_the_right_has_a_year(users):
    """Not told of the right or the period (art. 20(3)): one year from knowing,
    so an application five months on is in time."""
    with on("2026-11-02"):
        draft = dispute(category="urban_management", parties=[person(), AGENCY], act_known_on="2026-06-01",
                        occurred_on="2026-05-01", not_informed_of_right=True,
                        requested_track="reconsideration", override_reason="申请人申请复议")
        case = (await users["officer"].post("/api/v1/cases", json=draft)).json()
        accepted = await act(users["reconsideration"], case["reference"], "accept")
        assert accepted.status_code == 200, accepted.text
