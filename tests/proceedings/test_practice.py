"""Proceedings as practitioners run them: forwarding and returning, assigning
with a report due, reviews at the handler's superior, withdrawal, 补正 in
legal aid, return visits, a leader in charge, and who supervises a breach.
Stories on statutory dates over HTTP (2026 holidays from chinese-calendar)."""

from __future__ import annotations

from tests.records.support import AGENCY
from tests.support import act, dispute, on, person, petition
from tests.support_access import ensure_user


def clock(case: dict, code: str) -> dict:
    return [c for p in case["proceedings"] for c in p["clocks"] if c["time_limit"] == code][-1]


async def test_a_forwarded_matter_is_returned_within_5_working_days_and_not_after(users):
    """Forwarded on Tuesday 2026-11-03: the receiving department's 5 working
    days end on 11-10. Returned on 11-06, the bureau has it again and its
    15 days to forward run anew (to Saturday 11-21, so Monday 11-23). A
    second matter returned on 11-11 is too late."""
    officer = users["officer"]
    hrss = await ensure_user(users, "hrss_officer", "officer", "140403", "140403-HRSS")
    with on("2026-11-02"):
        first = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2026-10-20"))).json()
        second = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2026-10-20"))).json()
    with on("2026-11-03"):
        for case in (first, second):
            sent = await act(officer, case["reference"], "forward", {"body_code": "140403-HRSS"})
            assert sent.status_code == 200, sent.text
    window = clock(sent.json(), "petition.return_misdirected")
    assert (window["unit"], window["started_on"], window["due_on"]) == ("working_days", "2026-11-03", "2026-11-10")
    assert clock(sent.json(), "petition.register_forward")["status"] == "met"
    with on("2026-11-06"):
        assert (await act(officer, first["reference"], "return_matter", {"reason": "x"})).status_code == 403
        returned = await act(hrss, first["reference"], "return_matter", {"reason": "不属于本部门职责"})
        assert returned.status_code == 200, returned.text
    back = returned.json()
    assert (back["stage"], back["proceeding"]["body"]["code"]) == ("registered", "140403-PB")
    anew = clock(back, "petition.register_forward")
    assert (anew["state"], anew["started_on"], anew["due_on"]) == ("running", "2026-11-06", "2026-11-23")
    with on("2026-11-11"):
        late = await act(hrss, second["reference"], "return_matter", {"reason": "不属于本部门职责"})
    assert late.status_code == 409 and "2026-11-10" in late.json()["detail"]


async def test_an_assignment_with_a_report_due_and_the_review_at_the_handlers_superior(users):
    """交办 to the social-security department with a report due 2026-12-01;
    the department reports on 12-03 (late). Its opinion is reviewed by its
    county government's petition bureau, not by the city's."""
    officer = users["officer"]
    hrss = await ensure_user(users, "hrss_officer", "officer", "140403", "140403-HRSS")
    with on("2026-11-02"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2026-10-20"))).json()
        ref = case["reference"]
        assigned = await act(officer, ref, "assign", {"body_code": "140403-HRSS", "report_by": "2026-12-01"})
        assert assigned.status_code == 200, assigned.text
        assert (await act(hrss, ref, "accept")).status_code == 200
    with on("2026-11-30"):
        concluded = await act(hrss, ref, "conclude", {"outcome": "opinion_issued", "opinion": "not_supported",
                                                     "served": {"method": "in_person", "served_on": "2026-11-30"}})
        assert concluded.status_code == 200, concluded.text
    with on("2026-12-03"):
        reported = await act(hrss, ref, "report_back", {"report": "已出具处理意见，信访人签收"})
        assert reported.status_code == 200, reported.text
        events = (await officer.get(f"/api/v1/cases/{ref}/events")).json()["items"]
        report = next(e for e in events if e["type"] == "completion_reported")
        assert (report["data"]["report_by"], report["data"]["late"]) == ("2026-12-01", True)
        review = await act(users["clerk"], ref, "request_review", {"reason": "不服"})
        assert review.status_code == 200, review.text
    assert (review.json()["track"], review.json()["proceeding"]["body"]["code"]) == ("petition_review", "140403-PB")


async def test_a_suggestion_is_answered_not_reviewed(users):
    case = (await users["clerk"].post("/api/v1/cases", json=petition(petition_type="suggestion"))).json()
    ref = case["reference"]
    await act(users["officer"], ref, "accept")
    await act(users["officer"], ref, "conclude", {"outcome": "opinion_issued", "opinion": "explained"})
    refused = await act(users["clerk"], ref, "request_review")
    assert refused.status_code == 409 and refused.json()["type"].endswith("no-review-for-this-petition-type")


async def test_an_applicant_withdraws_a_reconsideration_and_it_ends(users):
    """撤回: the reconsideration ends (终止, 行政复议法 art. 41); its clocks stop."""
    with on("2026-11-02"):
        case = (await users["officer"].post("/api/v1/cases", json=dispute(
            category="urban_management", parties=[person(), AGENCY], act_known_on="2026-10-20",
            occurred_on="2026-10-20", requested_track="reconsideration", override_reason="申请复议"))).json()
    with on("2026-11-04"):
        withdrawn = await act(users["clerk"], case["reference"], "withdraw", {"reason": "申请人书面撤回申请"})
        assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert (body["status"], body["stage"], body["proceeding"]["outcome"]) == ("withdrawn", "withdrawn", "withdrawn")
    review = clock(body, "reconsideration.acceptance_review")
    assert (review["state"], review["stopped_on"]) == ("stopped", "2026-11-04")
    assert [n["kind"] for n in body["notices"]] == ["withdrawal_notice"]


async def test_legal_aid_supplementing_is_not_counted(users):
    """An application received 2026-11-02 (7 days to decide, to 11-09): papers
    asked for on 11-03, supplied on 11-10; the 7 days resume with the 7
    paused days added: due 11-16."""
    lac = await ensure_user(users, "lac_officer", "officer", "140403", "140403-LAC")
    with on("2026-11-02"):
        case = (await users["officer"].post("/api/v1/cases", json=dispute(
            occurred_on="2026-10-20", requested_track="legal_aid", override_reason="申请法律援助"))).json()
        assert case["track"] == "legal_aid"
    with on("2026-11-03"):
        asked = await act(lac, case["reference"], "request_supplement", {"missing": "经济困难证明"})
        assert asked.status_code == 200, asked.text
        assert clock(asked.json(), "legal_aid.decide")["status"] == "paused"
    with on("2026-11-10"):
        supplied = await act(lac, case["reference"], "supplement_received")
        assert supplied.status_code == 200, supplied.text
    decide = clock(supplied.json(), "legal_aid.decide")
    assert (decide["status"], decide["due_on"], decide["paused_days"]) == ("running", "2026-11-16", 7)
    assert supplied.json()["stage"] == "pending_acceptance"


async def test_a_return_visit_after_an_agreement_and_a_leader_in_charge(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(headcount=6, summary="群体性排水纠纷",
                                                                       parties=[person() for _ in range(6)]
                                                                       + [person("respondent")]))).json()
    ref = case["reference"]
    body = case["proceeding"]["body"]["code"]
    mediator = await ensure_user(users, f"mediator_{body}", "mediator", "140403", body)
    led = await act(users["supervisor"], ref, "assign_leader", {"leader": "王副区长", "title": "副区长",
                                                                 "reason": "群体性纠纷，领导包案"})
    assert led.status_code == 200, led.text
    done = await act(users["supervisor"], ref, "record_leader_action", {"done_on": led.json()["received_at"][:10],
                                                                        "what": "召集双方座谈"})
    assert done.status_code == 200, done.text
    await act(mediator, ref, "accept")
    await act(mediator, ref, "conclude", {"outcome": "agreement"})
    visited = await act(mediator, ref, "record_return_visit", {
        "visited_on": led.json()["received_at"][:10], "method": "phone", "agreement_performed": "performed",
        "satisfied": "satisfied", "notes": "电话回访张某"})
    assert visited.status_code == 200, visited.text
    details = visited.json()["proceeding"]["details"]
    assert details["leader"]["title"] == "副区长" and details["leader"]["actions"][0]["what"] == "召集双方座谈"
    assert details["return_visits"][0]["agreement_performed"] == "performed"
    events = (await users["clerk"].get(f"/api/v1/cases/{ref}/events")).json()["items"]
    visit = next(e for e in events if e["type"] == "return_visit_recorded")
    assert "张某" not in str(visit["data"])  # notes stay out of the timeline and its webhooks


async def test_a_breached_mediation_is_supervised_by_the_justice_bureau(users, db):
    """People's mediation committees are supervised by the justice bureau of
    their government (人民调解法 art. 5), not by the petition bureau."""
    with on("2026-11-02"):
        case = (await users["clerk"].post("/api/v1/cases", json=dispute(occurred_on="2026-10-20"))).json()
    accept = clock(case, "people_mediation.accept")
    assert accept["due_on"] == "2026-11-09"  # 5 days to 11-07, a Saturday
    with on("2026-11-12"):
        pressed = await act(users["supervisor"], case["reference"], "supervise", {"reason": "逾期未受理"})
        assert pressed.status_code == 200
    item = await db.fetchrow("SELECT b.code FROM supervision s JOIN body b ON b.id = s.body_id "
                             "WHERE s.case_id = $1 AND s.clock_id IS NOT NULL", case["id"])
    assert item["code"] == "140403-JUS"


async def test_a_petition_goes_to_peoples_mediation(users):
    case = (await users["clerk"].post("/api/v1/cases", json=petition(category="neighbour", parties=[
        person(), person("respondent")]))).json()
    moved = await act(users["officer"], case["reference"], "escalate", {
        "track": "people_mediation", "reason": "邻里纠纷，转人民调解"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["track"], moved.json()["stage"]) == ("people_mediation", "pending_acceptance")
