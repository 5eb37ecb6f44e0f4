"""Legal aid as the Legal Aid Law names it, on statutory dates: priority when
a period of the case ends in under 7 days (art. 44: aid first, papers
later), the means test waived (arts. 32, 42), aid given / not given /
terminated (给予 / 不予 / 终止, arts. 43, 48), a legal-aid worker who need not
be a lawyer, and the objection to the justice bureau (art. 49), against a
termination too. 2026 dates: no holiday after National Day."""

from __future__ import annotations

from tests.records.support import agency_reconsideration, case_number, clocks_by_limit, write
from tests.support import dispute, on, person

CENTRE = "潞州区法律援助中心"


async def _decision_received_on_11_03(users, number: int) -> dict:
    """A reconsideration whose decision the applicant received by post on
    2026-11-03: the 15 days to sue end on 11-18 (Administrative Litigation
    Law art. 45)."""
    with on("2026-09-04"):
        case = await agency_reconsideration(users, received="2026-09-03")
    with on("2026-11-05"):
        recorded = await write(users["reconsideration"], case["reference"], "reconsideration-decisions", {
            "decision_type": "upheld", "decision_number": f"潞政复决〔2026〕{number}号",
            "decided_on": "2026-10-30", "received_on": "2026-11-03", "service_method": "post",
            "posted_on": "2026-10-31"})
        assert recorded.status_code == 201, recorded.text
    assert recorded.json()["litigation_window"]["due_on"] == "2026-11-18"
    return case


async def test_an_application_six_days_before_the_window_to_sue_ends_is_handled_first(users):
    """Applied 2026-11-12, six days before the 15 days to sue end (11-18):
    priority (art. 44(1)). Aid is given on 11-13 before the papers are in,
    a lawyer is assigned that day, the suit is filed on 11-16 in time and
    the papers follow on 11-20."""
    clerk = users["clerk"]
    case = await _decision_received_on_11_03(users, 61)
    ref = case["reference"]
    with on("2026-11-12"):
        applied = await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-12",
                                                        "aid_type": "litigation_representation"})
        assert applied.status_code == 201, applied.text
    record = applied.json()
    assert record["priority"] == {
        "ground": "deadline_within_7_days",
        "ground_zh": "距法定时效或者期限届满不足七日，需要及时提起诉讼或者申请仲裁、行政复议",
        "time_limit": "litigation.after_reconsideration", "due_on": "2026-11-18", "days_left": 6,
        "papers_pending": False, "papers_completed_on": None}
    assert clocks_by_limit(record)["legal_aid.decide"]["due_on"] == "2026-11-19"
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    why = next(e["data"] for e in events if e["type"] == "legal_aid_priority")
    assert (why["ground"], why["article"], why["time_limit"], why["due_on"], why["days_left"]) == (
        "deadline_within_7_days", "44(1)", "litigation.after_reconsideration", "2026-11-18", 6)

    with on("2026-11-13"):
        granted = await write(clerk, ref, f"legal-aid/{record['id']}/decision",
                              {"decision": "granted", "decided_on": "2026-11-13", "papers_pending": True})
        assert granted.status_code == 200, granted.text
        assert (granted.json()["decision"], granted.json()["decision_zh"]) == ("granted", "给予法律援助")
        assert granted.json()["priority"]["papers_pending"] is True
        assigned = await write(clerk, ref, f"legal-aid/{record['id']}/worker", {
            "worker_name": "王律师", "worker_kind": "lawyer", "organisation": "山西某律师事务所",
            "assigned_on": "2026-11-13"})
        assert assigned.status_code == 200, assigned.text
    clocks = clocks_by_limit(assigned.json())
    assert (clocks["legal_aid.decide"]["status"], clocks["legal_aid.assign"]["status"]) == ("met", "met")
    worker = assigned.json()["worker"]
    assert (worker["kind"], worker["kind_zh"], worker["organisation"]) == ("lawyer", "律师", "山西某律师事务所")
    assert assigned.json()["lawyer_name"] == "王律师"  # the old field, kept for one version

    with on("2026-11-16"):
        suit = await write(clerk, ref, "lawsuits", {"case_number": case_number("行初"), "court": "长治市潞州区人民法院",
                                                    "case_type": "administrative", "filed_on": "2026-11-16"})
        assert suit.status_code == 201, suit.text
    with on("2026-11-20"):
        papers = await write(clerk, ref, f"legal-aid/{record['id']}/papers", {"received_on": "2026-11-20"})
        assert papers.status_code == 200, papers.text
        again = await write(clerk, ref, f"legal-aid/{record['id']}/papers", {"received_on": "2026-11-20"})
        assert again.status_code == 409
        window = (await clerk.get(f"/api/v1/cases/{ref}/reconsideration-decisions")).json()["items"][0]
    assert papers.json()["priority"]["papers_completed_on"] == "2026-11-20"
    assert (window["litigation_window"]["status"], window["litigation_window"]["stopped_on"]) == (
        "met", "2026-11-16")
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    types = [e["type"] for e in events]
    assert "legal_aid_papers_completed" in types
    assigned_event = next(e["data"] for e in events if e["type"] == "lawyer_assigned")
    assert assigned_event["worker_kind"] == "lawyer" and "王律师" not in str(assigned_event)


async def test_seven_days_left_is_not_priority_and_only_priority_aid_comes_before_papers(users):
    """Applied 2026-11-11, seven days before the window ends on 11-18: not
    under 7 days, so no priority, and no grant before the papers."""
    clerk = users["clerk"]
    case = await _decision_received_on_11_03(users, 62)
    ref = case["reference"]
    with on("2026-11-11"):
        applied = await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-11", "aid_type": "legal_advice"})
        assert applied.status_code == 201, applied.text
        assert applied.json()["priority"] is None
        early = await write(clerk, ref, f"legal-aid/{applied.json()['id']}/decision",
                            {"decision": "granted", "decided_on": "2026-11-11", "papers_pending": True})
        assert early.status_code == 422 and early.json()["errors"][0]["field"] == "papers_pending"
        # The centre's own finding of urgency (art. 44(2)) is a priority too.
        urgent = await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                       "applied_on": "2026-11-11", "aid_type": "legal_advice",
                                                       "priority_ground": "urgent_preservation"})
        assert urgent.status_code == 201, urgent.text
    assert (urgent.json()["priority"]["ground"], urgent.json()["priority"]["time_limit"]) == (
        "urgent_preservation", None)


async def test_a_worker_owed_wages_is_spared_the_means_test_and_the_ground_is_shown(users):
    """A migrant worker's wage arrears (art. 42(3)): the means test is waived,
    with its ground; a waiver without a known ground is refused."""
    clerk = users["clerk"]
    company = {"role": "respondent", "kind": "organization", "name": "某建筑公司"}
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(
            category="labour_wage", parties=[person(), company], occurred_on="2026-10-15", summary="拖欠工资",
            received_at="2026-11-02T09:00:00+08:00"))).json()
        body = {"party_position": 1, "centre": CENTRE, "applied_on": "2026-11-02",
                "aid_type": "arbitration_representation", "means_test_waived": True}
        no_ground = await write(clerk, case["reference"], "legal-aid", body)
        assert no_ground.status_code == 422 and no_ground.json()["errors"][0]["field"] == "means_test_ground"
        unknown = await write(clerk, case["reference"], "legal-aid", {**body, "means_test_ground": "poor"})
        assert unknown.status_code == 422
        stray = await write(clerk, case["reference"], "legal-aid", {
            **body, "means_test_waived": False, "means_test_ground": "wage_arrears_or_work_injury"})
        assert stray.status_code == 422
        applied = await write(clerk, case["reference"], "legal-aid",
                              {**body, "means_test_ground": "wage_arrears_or_work_injury"})
        assert applied.status_code == 201, applied.text
    waiver = applied.json()["means_test_waiver"]
    assert (waiver["ground"], waiver["article"]) == ("wage_arrears_or_work_injury", "42(3)")
    assert "劳动报酬" in waiver["ground_zh"]
    events = (await clerk.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    applied_event = next(e["data"] for e in events if e["type"] == "legal_aid_applied")
    assert (applied_event["means_test_waived"], applied_event["means_test_ground"]) == (
        True, "wage_arrears_or_work_injury")


async def test_aid_given_to_a_legal_service_worker_then_terminated_and_the_objection_goes_to_the_justice_bureau(
        users):
    """Applied 2026-11-02, given 11-05 (3 days to assign: 11-08 is a Sunday,
    so 11-09); a grassroots legal-service worker is assigned 11-06. The aid
    is terminated on 12-01 because the recipient engaged a lawyer (art.
    48(6)); the recipient objects, the justice bureau receives it on 12-03
    and has 5 days, to 12-08; it decides on 12-07."""
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        ref = case["reference"]
        record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-02",
                                                        "aid_type": "litigation_representation"})).json()
    with on("2026-11-05"):
        granted = await write(clerk, ref, f"legal-aid/{record['id']}/decision",
                              {"decision": "granted", "decided_on": "2026-11-05"})
        assert granted.status_code == 200, granted.text
    assert clocks_by_limit(granted.json())["legal_aid.assign"]["due_on"] == "2026-11-09"
    with on("2026-11-06"):
        assigned = await write(clerk, ref, f"legal-aid/{record['id']}/worker", {
            "worker_name": "李某", "worker_kind": "grassroots_legal_worker", "organisation": "潞州区某法律服务所",
            "assigned_on": "2026-11-06"})
        assert assigned.status_code == 200, assigned.text
    worker = assigned.json()["worker"]
    assert (worker["kind_zh"], worker["name"]) == ("基层法律服务工作者", "李某")
    assert assigned.json()["lawyer_name"] is None  # not a lawyer

    with on("2026-12-01"):
        no_reason = await write(clerk, ref, f"legal-aid/{record['id']}/outcome", {"outcome": "terminated"})
        assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "termination_reason"
        terminated = await write(clerk, ref, f"legal-aid/{record['id']}/outcome", {
            "outcome": "terminated", "outcome_on": "2026-12-01", "termination_reason": "own_representative"})
        assert terminated.status_code == 200, terminated.text
    ended = terminated.json()
    assert (ended["outcome"], ended["outcome_zh"], ended["outcome_on"], ended["termination_reason"]) == (
        "terminated", "终止法律援助", "2026-12-01", "own_representative")
    assert ended["termination_reason_zh"] == "受援人自行委托律师或者其他代理人"

    with on("2026-12-03"):
        early = await write(clerk, ref, f"legal-aid/{record['id']}/objection", {
            "received_on": "2026-11-30", "against": "termination", "bureau": "长治市潞州区司法局"})
        assert early.status_code == 422  # before the termination it objects to
        wrong = await write(clerk, ref, f"legal-aid/{record['id']}/objection", {
            "received_on": "2026-12-03", "against": "refusal", "bureau": "长治市潞州区司法局"})
        assert wrong.status_code == 409
        objected = await write(clerk, ref, f"legal-aid/{record['id']}/objection", {
            "received_on": "2026-12-03", "against": "termination", "bureau": "长治市潞州区司法局"})
        assert objected.status_code == 200, objected.text
    bureau = clocks_by_limit(objected.json())["legal_aid.objection"]
    assert (bureau["started_on"], bureau["due_on"]) == ("2026-12-03", "2026-12-08")
    with on("2026-12-07"):
        decided = await write(clerk, ref, f"legal-aid/{record['id']}/objection/decision",
                              {"decided_on": "2026-12-07", "result": "rejected"})
        assert decided.status_code == 200, decided.text
    assert clocks_by_limit(decided.json())["legal_aid.objection"]["status"] == "met"
    assert decided.json()["objection"]["against"] == "termination"
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    concluded = next(e["data"] for e in events if e["type"] == "legal_aid_concluded")
    assert (concluded["outcome"], concluded["termination_reason"], concluded["article"]) == (
        "terminated", "own_representative", "48(6)")
    assert "李某" not in str([e["data"] for e in events])


async def test_aid_not_given_names_it_in_the_laws_words_and_a_volunteer_does_not_defend(users):
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        ref = case["reference"]
        refused = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                         "applied_on": "2026-11-02", "aid_type": "legal_advice"})).json()
        defence = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                         "applied_on": "2026-11-02",
                                                         "aid_type": "criminal_defence"})).json()
    with on("2026-11-04"):
        not_given = await write(clerk, ref, f"legal-aid/{refused['id']}/decision", {
            "decision": "refused", "decided_on": "2026-11-04", "refusal_reason": "经济状况不符合条件"})
        assert not_given.status_code == 200, not_given.text
        assert not_given.json()["decision_zh"] == "不予法律援助"
        # Aid not given is not terminated: nothing to terminate.
        assert (await write(clerk, ref, f"legal-aid/{refused['id']}/outcome", {
            "outcome": "terminated", "termination_reason": "recipient_request"})).status_code == 409
        await write(clerk, ref, f"legal-aid/{defence['id']}/decision",
                    {"decision": "granted", "decided_on": "2026-11-04"})
        volunteer = await write(clerk, ref, f"legal-aid/{defence['id']}/worker", {
            "worker_name": "赵某", "worker_kind": "volunteer", "assigned_on": "2026-11-04"})
        assert volunteer.status_code == 422 and volunteer.json()["errors"][0]["field"] == "worker_kind"
        # The old route still assigns a lawyer.
        lawyer = await write(clerk, ref, f"legal-aid/{defence['id']}/lawyer",
                             {"lawyer_name": "钱律师", "assigned_on": "2026-11-04"})
        assert lawyer.status_code == 200, lawyer.text
    assert (lawyer.json()["worker"]["kind"], lawyer.json()["lawyer_name"]) == ("lawyer", "钱律师")


async def test_an_application_withdrawn_before_the_decision_stops_the_centres_clock(users):
    """Applied 2026-11-02 (7 days to 11-09), withdrawn on 11-04."""
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        record = (await write(clerk, case["reference"], "legal-aid", {
            "party_position": 1, "centre": CENTRE, "applied_on": "2026-11-02", "aid_type": "legal_advice"})).json()
    with on("2026-11-04"):
        withdrawn = await write(clerk, case["reference"], f"legal-aid/{record['id']}/outcome",
                                {"outcome": "withdrawn"})
        assert withdrawn.status_code == 200, withdrawn.text
        late_decision = await write(clerk, case["reference"], f"legal-aid/{record['id']}/decision",
                                    {"decision": "granted", "decided_on": "2026-11-04"})
        assert late_decision.status_code == 409
    decide = clocks_by_limit(withdrawn.json())["legal_aid.decide"]
    assert (decide["state"], decide["stopped_on"], withdrawn.json()["outcome_zh"]) == (
        "stopped", "2026-11-04", "申请人撤回申请")


async def test_a_termination_recorded_before_reasons_were_kept_can_still_be_objected_to(users, db):
    """A termination the previous version stored (no reason, no date): the
    objection received on 2026-11-10 goes to the justice bureau as before;
    its 5 days end on Sunday 11-15, so Monday 11-16."""
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        ref = case["reference"]
        record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-02", "aid_type": "legal_advice"})).json()
        await write(clerk, ref, f"legal-aid/{record['id']}/decision", {"decision": "granted",
                                                                       "decided_on": "2026-11-02"})
    # What the previous version's outcome route stored.
    await db.execute("UPDATE legal_aid_record SET outcome = 'terminated' WHERE id = $1", record["id"])
    with on("2026-11-10"):
        objected = await write(clerk, ref, f"legal-aid/{record['id']}/objection", {
            "received_on": "2026-11-10", "against": "termination", "bureau": "长治市潞州区司法局"})
        assert objected.status_code == 200, objected.text
    shown = objected.json()
    assert (shown["outcome_zh"], shown["termination_reason"], shown["outcome_on"]) == ("终止法律援助", None, None)
    assert clocks_by_limit(shown)["legal_aid.objection"]["due_on"] == "2026-11-16"


async def test_an_upheld_objection_to_a_refusal_has_the_centre_give_aid(users):
    """Aid refused on 2026-11-04; the applicant objects on 11-05; the justice
    bureau upholds the objection on 11-09 and orders the centre to correct
    its decision (art. 49). Only then may the centre decide again, and only
    to give aid, on or after the bureau's decision; the refusal stays in the
    timeline."""
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        ref = case["reference"]
        record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-02", "aid_type": "legal_advice"})).json()
    url = f"legal-aid/{record['id']}"
    with on("2026-11-04"):
        assert (await write(clerk, ref, f"{url}/decision", {
            "decision": "refused", "decided_on": "2026-11-04", "refusal_reason": "经济状况不符合条件"})).status_code == 200
    with on("2026-11-05"):
        assert (await write(clerk, ref, f"{url}/objection", {
            "received_on": "2026-11-05", "against": "refusal", "bureau": "长治市潞州区司法局"})).status_code == 200
        too_soon = await write(clerk, ref, f"{url}/decision", {"decision": "granted", "decided_on": "2026-11-05"})
        assert too_soon.status_code == 409, too_soon.text
    with on("2026-11-09"):
        upheld = await write(clerk, ref, f"{url}/objection/decision", {"decided_on": "2026-11-09", "result": "upheld"})
        assert upheld.status_code == 200, upheld.text
    with on("2026-11-10"):
        again_refused = await write(clerk, ref, f"{url}/decision", {
            "decision": "refused", "decided_on": "2026-11-10", "refusal_reason": "仍不符合条件"})
        assert again_refused.status_code == 422 and again_refused.json()["errors"][0]["field"] == "decision"
        backdated = await write(clerk, ref, f"{url}/decision", {"decision": "granted", "decided_on": "2026-11-06"})
        assert backdated.status_code == 422 and backdated.json()["errors"][0]["field"] == "decided_on"
        granted = await write(clerk, ref, f"{url}/decision", {"decision": "granted", "decided_on": "2026-11-10"})
        assert granted.status_code == 200, granted.text
        assert (granted.json()["decision"], granted.json()["decided_on"]) == ("granted", "2026-11-10")
        twice = await write(clerk, ref, f"{url}/decision", {"decision": "granted", "decided_on": "2026-11-10"})
        assert twice.status_code == 409
        events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    decided = [e["data"] for e in events if e["type"] == "legal_aid_decided"]
    assert [d["decision"] for d in decided] == ["refused", "granted"]
    assert decided[1]["after_objection"] is True and decided[1]["refused_on"] == "2026-11-04"


async def test_an_upheld_objection_to_a_termination_sets_it_aside_and_the_aid_goes_on(users):
    """Given 2026-11-02, terminated 11-16 (the recipient's means improved);
    the objection reaches the bureau on 11-17 and is upheld on 11-20: the
    termination is set aside, the aid goes on and is concluded on 12-10."""
    clerk = users["clerk"]
    with on("2026-11-02"):
        case = (await clerk.post("/api/v1/cases", json=dispute(received_at="2026-11-02T09:00:00+08:00"))).json()
        ref = case["reference"]
        record = (await write(clerk, ref, "legal-aid", {"party_position": 1, "centre": CENTRE,
                                                        "applied_on": "2026-11-02", "aid_type": "legal_advice"})).json()
        await write(clerk, ref, f"legal-aid/{record['id']}/decision", {"decision": "granted",
                                                                       "decided_on": "2026-11-02"})
    url = f"legal-aid/{record['id']}"
    with on("2026-11-16"):
        terminated = await write(clerk, ref, f"{url}/outcome", {
            "outcome": "terminated", "outcome_on": "2026-11-16", "termination_reason": "own_representative"})
        assert terminated.status_code == 200, terminated.text
    with on("2026-11-17"):
        assert (await write(clerk, ref, f"{url}/objection", {
            "received_on": "2026-11-17", "against": "termination", "bureau": "长治市潞州区司法局"})).status_code == 200
    with on("2026-11-20"):
        upheld = await write(clerk, ref, f"{url}/objection/decision", {"decided_on": "2026-11-20", "result": "upheld"})
        assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["outcome"], upheld.json()["termination_reason"]) == (None, None)
    assert upheld.json()["objection"]["result"] == "upheld"
    with on("2026-12-10"):
        done = await write(clerk, ref, f"{url}/outcome", {"outcome": "concluded", "outcome_on": "2026-12-10"})
        assert done.status_code == 200, done.text
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    set_aside = next(e["data"] for e in events if e["type"] == "legal_aid_termination_set_aside")
    assert set_aside == {"legal_aid_id": record["id"], "terminated_on": "2026-11-16",
                         "termination_reason": "own_representative", "ordered_on": "2026-11-20"}
    assert [e["data"]["outcome"] for e in events if e["type"] == "legal_aid_concluded"] == ["terminated", "concluded"]
