"""The clocks follow the law, told on statutory dates over HTTP.

Every date is hand-computed from the rules (start day not counted, a last
day on a rest day moves to the next working day; 2026 holidays from the
State Council notice via chinese-calendar; 2027 onwards unknown, so
provisional). Time moves with ``tests.support.on``; no clock row is edited.
"""

from __future__ import annotations

import pytest

from casework.cache import invalidate
from tests.records.support import AGENCY, agency_reconsideration, case_number, write
from tests.support import act, dispute, on, person, petition
from tests.support_access import client_from, ensure_user


def clock(detail: dict, code: str) -> dict:
    """The named clock on any proceeding of the case detail."""
    return next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == code)


async def lookup(app, case: dict) -> dict:
    async with client_from(app) as party:
        response = await party.post("/api/v1/public/lookup",
                                    json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
    assert response.status_code == 200, response.text
    return response.json()


def public_clock(view: dict, code: str) -> dict:
    return next(t for p in view["proceedings"] for t in p["time_limits"] if t["time_limit"] == code)


async def detail(client, reference: str) -> dict:
    return (await client.get(f"/api/v1/cases/{reference}")).json()


async def test_a_reply_received_by_post_four_days_after_issue_leaves_a_review_request_on_time(app, users):
    """Opinion issued and posted 2026-10-30, received 11-03: the 30 days run
    to 12-03, so the request of 12-01 is on time (it was refused as late,
    counted from 10-30, before)."""
    officer, clerk = users["officer"], users["clerk"]
    with on("2026-09-01"):
        case = (await clerk.post("/api/v1/cases", json=petition(occurred_on="2026-08-20"))).json()
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    with on("2026-10-30"):
        concluded = await act(officer, case["reference"], "conclude",
                              {"outcome": "opinion_issued", "opinion": "explained"})
        assert concluded.status_code == 200, concluded.text
    notice = next(n for n in concluded.json()["notices"] if n["kind"] == "petition_opinion")
    with on("2026-11-05"):
        served = await officer.post(
            f"/api/v1/cases/{case['reference']}/notices/{notice['id']}/service",
            headers={"If-Match": concluded.headers["etag"]},
            json={"method": "post", "posted_on": "2026-10-30", "served_on": "2026-11-03", "tracking_number": "EA1"})
        assert served.status_code == 200, served.text
    with on("2026-12-01"):
        window = public_clock(await lookup(app, case), "petition.request_review")
        assert (window["whose"], window["started_on"], window["due_on"], window["status"]) == (
            "party", "2026-11-03", "2026-12-03", "due_soon")
        requested = await act(clerk, case["reference"], "request_review", {"reason": "不服处理意见"})
        assert requested.status_code == 200, requested.text
        window = public_clock(await lookup(app, case), "petition.request_review")
    assert (window["status"], window["stopped_on"]) == ("met", "2026-12-01")
    assert requested.json()["track"] == "petition_review"


async def test_a_late_filing_posted_in_time_counts_on_its_postmark(users):
    """A review request posted on 12-02 and entered on 12-07: the postmark
    decides, within the window ending 12-03."""
    officer, clerk = users["officer"], users["clerk"]
    with on("2026-09-01"):
        case = (await clerk.post("/api/v1/cases", json=petition(occurred_on="2026-08-20"))).json()
        await act(officer, case["reference"], "accept")
    with on("2026-11-03"):
        concluded = await act(officer, case["reference"], "conclude", {
            "outcome": "opinion_issued", "served": {"method": "in_person", "served_on": "2026-11-03"}})
        assert concluded.status_code == 200, concluded.text
    with on("2026-12-07"):
        requested = await act(clerk, case["reference"], "request_review", {
            "effective_on": "2026-12-02", "backdate_reason": "邮寄申请，邮戳日期12月2日", "posted": True})
        assert requested.status_code == 200, requested.text
    window = clock(requested.json(), "petition.request_review")
    assert (window["due_on"], window["status"]) == ("2026-12-03", "met")


async def test_acceptance_review_lapses_into_deemed_acceptance_and_a_late_decision_is_late(users):
    """Received Monday 2026-11-02; 5 working days end 11-09. Not decided: it
    is accepted by law on 11-09 and the 60 days run to 2027-01-08
    (provisional). The decision of 2027-01-26 is late, and meanwhile the
    applicant's 15 days to sue over non-decision ran from 2027-01-08 (to
    Saturday 01-23, so Monday 01-25)."""
    office = users["reconsideration"]
    with on("2026-11-02"):
        draft = dispute(category="urban_management", parties=[person(), AGENCY], act_known_on="2026-10-20",
                        occurred_on="2026-10-20", requested_track="reconsideration",
                        override_reason="申请人申请行政复议")
        case = (await users["officer"].post("/api/v1/cases", json=draft)).json()
        assert case["track"] == "reconsideration"
        review = clock(case, "reconsideration.acceptance_review")
        assert (review["unit"], review["due_on"]) == ("working_days", "2026-11-09")
    with on("2026-11-10"):
        refused = await act(office, case["reference"], "accept")
        assert refused.status_code == 409 and refused.json()["state"] == "accepted"
        now = await detail(office, case["reference"])
    review = clock(now, "reconsideration.acceptance_review")
    assert (review["state"], review["outcome"], review["stopped_on"]) == ("stopped", "deemed", "2026-11-09")
    decision = clock(now, "reconsideration.decision")
    assert (decision["started_on"], decision["due_on"], decision["provisional"]) == (
        "2026-11-09", "2027-01-08", True)
    events = (await office.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    deemed = next(e for e in events if e["type"] == "deemed_accepted")
    assert deemed["data"]["on"] == "2026-11-09" and "30(3)" in deemed["data"]["basis"]
    with on("2027-01-26"):
        recorded = await write(office, case["reference"], "reconsideration-decisions", {
            "decision_type": "upheld", "decision_number": "潞政复决〔2027〕3号", "decided_on": "2027-01-25",
            "received_on": "2027-01-26"})
        assert recorded.status_code == 201, recorded.text
        now = await detail(office, case["reference"])
    decision = clock(now, "reconsideration.decision")
    assert (decision["outcome"], decision["breached_on"]) == ("late", "2027-01-09")
    no_decision = clock(now, "litigation.after_no_decision")
    assert (no_decision["whose"], no_decision["started_on"], no_decision["due_on"]) == (
        "party", "2027-01-08", "2027-01-25")


async def test_guidance_after_a_failed_mediation_keeps_the_window_visible_until_the_suit_is_linked(app, users):
    """Mediation with an agency fails on 2026-11-03; the parties are told they
    may sue. Knowing of the act on 2026-07-10, the six months to sue run to
    2027-01-10, a Sunday, so 01-11 (provisional): visible to the party, no
    court's clock, until the suit the court received on 11-16 is linked;
    then the court's 7 days run."""
    umb = await ensure_user(users, "umb_mediator_law", "mediator", "140403", "140403-UMB")
    with on("2026-10-12"):
        case = (await users["clerk"].post("/api/v1/cases", json=dispute(
            category="urban_management", parties=[person(), AGENCY], act_known_on="2026-07-10",
            occurred_on="2026-07-10", summary="占道处罚调解"))).json()
        assert case["track"] == "administrative_mediation", case
        assert (await act(umb, case["reference"], "accept")).status_code == 200
    with on("2026-11-03"):
        failed = await act(umb, case["reference"], "conclude", {
            "outcome": "failed", "channels_notified": ["litigation"],
            "served": {"method": "in_person", "served_on": "2026-11-03"}})
        assert failed.status_code == 200, failed.text
    assert [n["kind"] for n in failed.json()["notices"] if n["served"]] == ["guidance_notice"]
    with on("2026-11-10"):
        window = public_clock(await lookup(app, case), "litigation.direct")
    assert (window["whose"], window["started_on"], window["due_on"], window["status"]) == (
        "party", "2026-07-10", "2027-01-11", "running")
    assert not any(c["whose"] == "court" for p in failed.json()["proceedings"] for c in p["clocks"])
    with on("2026-11-20"):
        linked = await write(users["clerk"], case["reference"], "lawsuits", {
            "case_number": case_number("行初"), "court": "长治市潞州区人民法院", "case_type": "administrative",
            "filed_on": "2026-11-16"})
        assert linked.status_code == 201, linked.text
        now = await detail(users["clerk"], case["reference"])
    window = clock(now, "litigation.direct")
    assert (window["state"], window["status"], window["stopped_on"]) == ("stopped", "met", "2026-11-16")
    court = clock(now, "litigation.filing_review")
    assert (court["whose"], court["started_on"], court["due_on"]) == ("court", "2026-11-16", "2026-11-23")


async def test_a_decision_received_by_post_opens_15_days_to_sue_that_a_suit_answers(app, users):
    """Decision posted 10-31 and received 11-03: 15 days to 11-18."""
    with on("2026-09-04"):
        case = await agency_reconsideration(users, received="2026-09-03")
    with on("2026-11-05"):
        recorded = await write(users["reconsideration"], case["reference"], "reconsideration-decisions", {
            "decision_type": "claims_dismissed", "decision_number": "潞政复决〔2026〕31号",
            "decided_on": "2026-10-30", "received_on": "2026-11-03", "service_method": "post",
            "posted_on": "2026-10-31"})
        assert recorded.status_code == 201, recorded.text
    window = recorded.json()["litigation_window"]
    assert (window["whose"], window["started_on"], window["due_on"]) == ("party", "2026-11-03", "2026-11-18")
    with on("2026-11-17"):
        linked = await write(users["clerk"], case["reference"], "lawsuits", {
            "case_number": case_number("行初"), "court": "长治市潞州区人民法院", "case_type": "administrative",
            "filed_on": "2026-11-16"})
        assert linked.status_code == 201, linked.text
        window = public_clock(await lookup(app, case), "litigation.after_reconsideration")
    assert (window["status"], window["stopped_on"]) == ("met", "2026-11-16")


async def test_labour_mediation_ends_its_15_days_with_notice_that_arbitration_may_be_applied_for(users):
    """Received 2026-11-02: the 15 days end 11-17. On 11-18 the mediation
    may go on, but the worker is told of arbitration, and the one year to
    apply runs from 11-17."""
    mediator = users["village_mediator"]
    company = {"role": "respondent", "kind": "organization", "name": "某建筑公司"}
    with on("2026-11-02"):
        case = (await users["clerk"].post("/api/v1/cases", json=dispute(
            category="labour_wage", parties=[person(), company], occurred_on="2026-10-15",
            summary="拖欠工资"))).json()
        assert case["track"] == "labour_mediation", case
        settle = clock(case, "labour_mediation.settle")
        assert (settle["due_on"], settle["whose"]) == ("2026-11-17", "body")
        assert (await act(mediator, case["reference"], "accept")).status_code == 200
    with on("2026-11-18"):
        session = await act(mediator, case["reference"], "record_session", {"held_on": "2026-11-18"})
        assert session.status_code == 200, session.text
    now = session.json()
    settle = clock(now, "labour_mediation.settle")
    assert (settle["state"], settle["outcome"], settle["breached"]) == ("stopped", "lapsed", False)
    window = clock(now, "labour_arbitration.apply")
    assert (window["whose"], window["started_on"], window["due_on"]) == ("party", "2026-11-17", "2027-11-17")
    assert [n["kind"] for n in now["notices"]] == ["arbitration_notice"]


async def test_a_clock_paused_past_its_date_is_not_breached(users):
    """Accepted 2026-09-04: 60 days to 11-03. Paused on 10-20 for an
    appraisal; on 11-10 it is paused, not breached, and off the overdue
    list; resumed on 11-10 it is due 11-24."""
    office = users["reconsideration"]
    with on("2026-09-04"):
        case = await agency_reconsideration(users, received="2026-09-03")
    assert clock(case, "reconsideration.decision")["due_on"] == "2026-11-03"
    with on("2026-10-20"):
        paused = await act(office, case["reference"], "pause_clock",
                           {"reason": "鉴定", "clock": "reconsideration.decision"})
        assert paused.status_code == 200, paused.text
    with on("2026-11-10"):
        now = await detail(office, case["reference"])
        decision = clock(now, "reconsideration.decision")
        assert (decision["status"], decision["breached"], decision["pause_reason"]) == ("paused", False, "鉴定")
        overdue = (await users["supervisor"].get("/api/v1/backlog/overdue", params={"limit": 200})).json()
        assert case["reference"] not in [i["reference"] for i in overdue["items"]]
        resumed = await act(office, case["reference"], "resume_clock", {"reason": "鉴定结束"})
        assert resumed.status_code == 200, resumed.text
    decision = clock(resumed.json(), "reconsideration.decision")
    assert (decision["status"], decision["due_on"], decision["paused_days"]) == ("running", "2026-11-24", 21)
    events = (await office.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    assert "clock_breached" not in [e["type"] for e in events]


async def test_an_extension_after_the_date_is_recorded_and_the_breach_stands(users):
    """Accepted 2026-09-03: 60 days to 11-02. Extended on 11-05: recorded,
    the date stays 11-02, the case stays overdue, and the opinion of 11-20
    is late."""
    officer = users["officer"]
    with on("2026-09-03"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2026-08-20"))).json()
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    with on("2026-11-05"):
        extended = await act(officer, case["reference"], "extend_deadline", {
            "clock": "petition.opinion", "days": 30, "approver": "局长", "reason": "情况复杂", "party_informed": True})
        assert extended.status_code == 200, extended.text
        opinion = clock(extended.json(), "petition.opinion")
        assert (opinion["due_on"], opinion["breached"], opinion["extension"]["within_period"]) == (
            "2026-11-02", True, False)
        overdue = (await users["supervisor"].get("/api/v1/backlog/overdue", params={"limit": 500})).json()
        assert case["reference"] in [i["reference"] for i in overdue["items"]]
    with on("2026-11-20"):
        concluded = await act(officer, case["reference"], "conclude", {"outcome": "opinion_issued"})
    opinion = clock(concluded.json(), "petition.opinion")
    assert (opinion["status"], opinion["breached_on"]) == ("late", "2026-11-03")


async def test_adding_a_holiday_year_turns_a_provisional_breach_into_time_kept(users, db):
    """Received Wednesday 2029-01-24: 15 days to forward end, on weekends
    alone, on Thursday 02-08 (provisional), and the forwarding on 02-12 is
    marked a breach with a supervision item. When the year's holidays are
    added (02-08 to 02-12), the period ends on Tuesday 02-13: it was kept;
    the breach is withdrawn and the supervision item closed, saying why."""
    officer = users["officer"]
    with on("2029-01-24"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2029-01-20"))).json()
    forward = clock(case, "petition.register_forward")
    assert (forward["due_on"], forward["provisional"]) == ("2029-02-08", True)
    try:
        with on("2029-02-12"):
            forwarded = await act(officer, case["reference"], "assign", {"body_code": "140403-PB"})
            assert forwarded.status_code == 200, forwarded.text
        forward = clock(forwarded.json(), "petition.register_forward")
        assert (forward["status"], forward["breached_on"]) == ("late", "2029-02-09")
        item = await db.fetchrow("SELECT * FROM supervision WHERE case_id = $1", case["id"])
        assert item is not None and item["state"] == "open"
        holidays = {"source": "国务院办公厅关于2029年部分节假日安排的通知 (test data)", "days": [
            {"day": f"2029-02-{d:02d}", "kind": "holiday", "name": "春节"} for d in range(8, 13)]}
        added = await users["admin"].put("/api/v1/calendar/2029", json=holidays)
        assert added.status_code == 200, added.text
        now = await detail(officer, case["reference"])
        forward = clock(now, "petition.register_forward")
        assert (forward["due_on"], forward["status"], forward["breached"], forward["provisional"]) == (
            "2029-02-13", "met", False, False)
        item = await db.fetchrow("SELECT * FROM supervision WHERE case_id = $1", case["id"])
        assert item["state"] == "closed" and "calendar for 2029" in item["closed_reason"]
        events = (await officer.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
        withdrawn = next(e for e in events if e["type"] == "breach_withdrawn")
        assert withdrawn["data"]["supervision_closed"] == [item["id"]]
        again = await users["admin"].put("/api/v1/calendar/2029", json=holidays)
        assert again.json()["recomputed_clocks"] == 0  # idempotent
    finally:
        await db.execute("DELETE FROM calendar_day WHERE day >= '2029-01-01' AND day < '2030-01-01'")
        await db.execute("DELETE FROM calendar_year WHERE year = 2029")
        invalidate("calendar")


@pytest.mark.parametrize("days_to_supplement, outcome", [(9, "met"), (11, "lapsed")])
async def test_a_reconsideration_supplement_restarts_the_review_or_withdraws_the_application(
        users, days_to_supplement, outcome):
    """Received 2026-11-02; the supplement notice of 11-04 (within the 5 working
    days) is received on 11-05: 10 working days to 11-19. Supplied on 11-17
    (within), the review starts afresh: 5 working days to 11-24. Not
    supplied by 11-19: the application is treated as abandoned."""
    office = users["reconsideration"]
    with on("2026-11-02"):
        case = (await users["officer"].post("/api/v1/cases", json=dispute(
            category="urban_management", parties=[person(), AGENCY], act_known_on="2026-10-20",
            occurred_on="2026-10-20", requested_track="reconsideration", override_reason="申请复议"))).json()
    with on("2026-11-04"):
        asked = await act(office, case["reference"], "request_supplement", {"missing": "行政处罚决定书复印件"})
        assert asked.status_code == 200, asked.text
    notice = next(n for n in asked.json()["notices"] if n["kind"] == "supplement_notice")
    with on("2026-11-05"):
        served = await office.post(f"/api/v1/cases/{case['reference']}/notices/{notice['id']}/service",
                                   headers={"If-Match": asked.headers["etag"]},
                                   json={"method": "in_person", "served_on": "2026-11-05"})
        assert served.status_code == 200, served.text
    review = clock(await detail(office, case["reference"]), "reconsideration.acceptance_review")
    assert (review["outcome"], review["stopped_on"]) == ("met", "2026-11-04")
    window = clock(await detail(office, case["reference"]), "reconsideration.supplement")
    assert (window["whose"], window["started_on"], window["due_on"]) == ("party", "2026-11-05", "2026-11-19")
    if outcome == "met":
        with on("2026-11-17"):
            supplied = await act(users["officer"], case["reference"], "supplement_received")
            assert supplied.status_code == 200, supplied.text
        now = supplied.json()
        assert now["stage"] == "pending_acceptance"
        fresh = [c for c in now["proceeding"]["clocks"] if c["time_limit"] == "reconsideration.acceptance_review"]
        assert [(c["started_on"], c["due_on"]) for c in fresh if c["state"] == "running"] == [
            ("2026-11-17", "2026-11-24")]
    else:
        with on("2026-11-20"):
            late = await act(office, case["reference"], "accept")
            assert late.status_code == 409
            now = await detail(office, case["reference"])
        assert (now["stage"], now["status"]) == ("withdrawn", "withdrawn")
        events = (await office.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
        assert next(e for e in events if e["type"] == "deemed_withdrawn")["data"]["on"] == "2026-11-19"
