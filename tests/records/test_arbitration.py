"""Labour disputes: mediation with its 15 days, then arbitration as a linked
external record (劳动争议调解仲裁法 arts. 14, 27, 29, 43, 48, 50), on
statutory dates. 2026 has no holiday after National Day; 2027 is not in
the calendar yet, so dates reaching it are provisional (weekends only)."""

from __future__ import annotations

from tests.records.support import case_number, clocks_by_limit, write
from tests.support import act, dispute, on, person

COMMISSION = "长治市潞州区劳动人事争议仲裁委员会"
COMPANY = {"role": "respondent", "kind": "organization", "name": "某建筑公司"}


def clock(detail: dict, code: str) -> dict:
    return next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == code)


async def _failed_labour_mediation(users) -> dict:
    """Wage arrears received 2026-11-02 by the village's labour mediation
    (15 days to 11-17); the mediation fails on 11-12 and goes to arbitration:
    the worker's year to apply runs from 11-12."""
    mediator = users["village_mediator"]
    with on("2026-11-02"):
        case = (await users["clerk"].post("/api/v1/cases", json=dispute(
            category="labour_wage", parties=[person(), COMPANY], occurred_on="2026-10-15", summary="拖欠工资",
            received_at="2026-11-02T09:00:00+08:00"))).json()
        assert case["track"] == "labour_mediation", case
        assert clock(case, "labour_mediation.settle")["due_on"] == "2026-11-17"
        assert (await act(mediator, case["reference"], "accept")).status_code == 200
    with on("2026-11-12"):
        escalated = await act(mediator, case["reference"], "escalate", {
            "track": "arbitration", "outcome": "failed", "reason": "调解不成，申请劳动仲裁",
            "channels_notified": ["labour_arbitration"]})
        assert escalated.status_code == 200, escalated.text
    now = escalated.json()
    assert (now["track"], now["stage"]) == ("arbitration", "awaiting_filing")
    window = clock(now, "labour_arbitration.apply")
    assert (window["whose"], window["started_on"], window["state"]) == ("party", "2026-11-12", "running")
    return now


async def test_a_failed_labour_mediation_goes_to_arbitration_and_the_award_opens_15_days_to_sue(users):
    """The commission receives the application on 2026-11-19 (entered 11-20):
    the year to apply is met, and the commission has 5 days, to 11-24, to
    accept. Accepted 11-24: 45 days to the award, to 2027-01-08
    (provisional). The award of 12-18 is served on 12-21: 15 days to sue, to
    2027-01-05 (provisional); the suit filed 12-30 answers it."""
    clerk = users["clerk"]
    case = await _failed_labour_mediation(users)
    ref = case["reference"]
    with on("2026-11-20"):
        applied = await write(clerk, ref, "arbitrations", {
            "commission": COMMISSION, "applied_on": "2026-11-19", "case_number": "潞劳人仲案字〔2026〕第15号",
            "cause": "追索劳动报酬"})
        assert applied.status_code == 201, applied.text
        detail = (await clerk.get(f"/api/v1/cases/{ref}")).json()
        twice = await write(clerk, ref, "arbitrations", {"commission": COMMISSION, "applied_on": "2026-11-19",
                                                         "case_number": "潞劳人仲案字〔2026〕 第15号"})
        assert twice.status_code == 409
    record = applied.json()
    assert record["case_number"] == "潞劳人仲案字〔2026〕第15号"  # as given: the commission's own format
    accept = clocks_by_limit(record)["labour_arbitration.accept"]
    assert (accept["whose"], accept["started_on"], accept["due_on"]) == ("court", "2026-11-19", "2026-11-24")
    window = clock(detail, "labour_arbitration.apply")
    assert (window["state"], window["status"], window["stopped_on"]) == ("stopped", "met", "2026-11-19")
    assert (detail["stage"], detail["arbitrations"][0]["id"]) == ("pending_acceptance", record["id"])

    with on("2026-11-24"):
        accepted = await write(clerk, ref, f"arbitrations/{record['id']}/progress", {"accepted_on": "2026-11-24"})
        assert accepted.status_code == 200, accepted.text
    clocks = clocks_by_limit(accepted.json())
    assert clocks["labour_arbitration.accept"]["status"] == "met"
    award = clocks["labour_arbitration.award"]
    assert (award["whose"], award["due_on"], award["provisional"]) == ("court", "2027-01-08", True)
    assert (await clerk.get(f"/api/v1/cases/{ref}")).json()["stage"] == "accepted"

    with on("2026-12-18"):
        awarded = await write(clerk, ref, f"arbitrations/{record['id']}/progress", {
            "result": "award", "result_on": "2026-12-18", "final_award": False})
        assert awarded.status_code == 200, awarded.text
        detail = (await clerk.get(f"/api/v1/cases/{ref}")).json()
    assert clocks_by_limit(awarded.json())["labour_arbitration.award"]["status"] == "met"
    assert (detail["stage"], detail["proceeding"]["outcome"]) == ("concluded", "award")
    with on("2026-12-21"):
        served = await write(clerk, ref, f"arbitrations/{record['id']}/progress", {"served_on": "2026-12-21"})
        assert served.status_code == 200, served.text
    sue = clocks_by_limit(served.json())["labour_arbitration.sue_after_award"]
    assert (sue["whose"], sue["started_on"], sue["due_on"], sue["provisional"]) == (
        "party", "2026-12-21", "2027-01-05", True)

    with on("2026-12-30"):
        suit = await write(clerk, ref, "lawsuits", {"case_number": case_number("民初"), "court": "长治市潞州区人民法院",
                                                    "case_type": "civil", "cause": "劳动争议",
                                                    "filed_on": "2026-12-30"})
        assert suit.status_code == 201, suit.text
        record = (await clerk.get(f"/api/v1/cases/{ref}/arbitrations/{record['id']}")).json()
    sue = clocks_by_limit(record)["labour_arbitration.sue_after_award"]
    assert (sue["status"], sue["stopped_on"]) == ("met", "2026-12-30")

    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    types = [e["type"] for e in events]
    for needed in ("arbitration_applied", "arbitration_updated", "court_step_recorded"):
        assert needed in types, needed
    applied_event = next(e["data"] for e in events if e["type"] == "arbitration_applied")
    assert applied_event == {"arbitration_id": record["id"], "case_number": "潞劳人仲案字〔2026〕第15号",
                             "applied_on": "2026-11-19"}
    steps = [e["data"]["state"] for e in events if e["type"] == "court_step_recorded"
             and e["data"].get("track") == "arbitration"]
    assert steps == ["pending_acceptance", "accepted", "concluded"]


async def test_the_commissions_chair_extends_the_45_days_by_15(users):
    """Accepted 2026-11-24: due 2027-01-08. Extended by 15 days on 12-10:
    2027-01-23 is a Saturday, so Monday 01-25 (provisional)."""
    clerk = users["clerk"]
    case = await _failed_labour_mediation(users)
    ref = case["reference"]
    with on("2026-11-24"):
        record = (await write(clerk, ref, "arbitrations", {"commission": COMMISSION,
                                                           "applied_on": "2026-11-20"})).json()
        early = await write(clerk, ref, f"arbitrations/{record['id']}/extension",
                            {"days": 15, "approver": "仲裁委员会主任", "reason": "案情复杂"})
        assert early.status_code == 409  # not accepted yet: no period to extend
        accepted = await write(clerk, ref, f"arbitrations/{record['id']}/progress", {"accepted_on": "2026-11-24"})
        assert accepted.status_code == 200, accepted.text
    with on("2026-12-10"):
        too_long = await write(clerk, ref, f"arbitrations/{record['id']}/extension",
                               {"days": 16, "approver": "仲裁委员会主任", "reason": "案情复杂"})
        assert too_long.status_code == 400 or too_long.status_code == 422
        extended = await write(clerk, ref, f"arbitrations/{record['id']}/extension",
                               {"days": 15, "approver": "仲裁委员会主任", "reason": "案情复杂，需要鉴定"})
        assert extended.status_code == 200, extended.text
    award = clocks_by_limit(extended.json())["labour_arbitration.award"]
    assert (award["due_on"], award["provisional"], award["extended_by"]) == ("2027-01-25", True, 15)


async def test_an_application_the_commission_does_not_accept_ends_the_arbitration(users):
    """Received 2026-11-19; not accepted on 11-23, within the 5 days."""
    clerk = users["clerk"]
    case = await _failed_labour_mediation(users)
    ref = case["reference"]
    with on("2026-11-23"):
        record = (await write(clerk, ref, "arbitrations", {"commission": COMMISSION,
                                                           "applied_on": "2026-11-19"})).json()
        refused = await write(clerk, ref, f"arbitrations/{record['id']}/progress",
                              {"not_accepted_on": "2026-11-23"})
        assert refused.status_code == 200, refused.text
        detail = (await clerk.get(f"/api/v1/cases/{ref}")).json()
        award = await write(clerk, ref, f"arbitrations/{record['id']}/progress",
                            {"result": "award", "result_on": "2026-11-23"})
        assert award.status_code == 409
    assert clocks_by_limit(refused.json())["labour_arbitration.accept"]["status"] == "met"
    assert (detail["stage"], detail["proceeding"]["outcome"]) == ("not_accepted", "not_accepted")


async def test_arbitration_routes_stay_inside_the_jurisdiction_and_need_the_etag(users):
    clerk = users["clerk"]
    case = await _failed_labour_mediation(users)
    ref = case["reference"]
    body = {"commission": COMMISSION, "applied_on": "2026-11-19"}
    with on("2026-11-20"):
        assert (await clerk.post(f"/api/v1/cases/{ref}/arbitrations", json=body)).status_code == 428
        assert (await write(clerk, ref, "arbitrations", body, if_match='"1.0"')).status_code == 412
        assert (await write(users["clerk_other"], ref, "arbitrations", body, if_match='"x"')).status_code == 404
        assert (await users["clerk_other"].get(f"/api/v1/cases/{ref}/arbitrations")).status_code == 404
        assert (await write(users["auditor"], ref, "arbitrations", body)).status_code == 403
        assert (await users["auditor"].get(f"/api/v1/cases/{ref}/arbitrations")).status_code == 200
        future = await write(clerk, ref, "arbitrations", {**body, "applied_on": "2026-11-21"})
        assert future.status_code == 422
        created = await write(clerk, ref, "arbitrations", body)
        assert created.status_code == 201, created.text
        missing = await clerk.get(f"/api/v1/cases/{ref}/arbitrations/{created.json()['id'] + 100000}")
        assert missing.status_code == 404


def test_the_arbitration_periods_are_data_with_their_articles():
    import json
    from importlib import resources

    limits = {lim["code"]: lim for lim in json.loads(resources.files("casework.reference").joinpath(
        "data", "time_limits.json").read_text("utf-8"))["time_limits"]}
    expected = {  # code: (length, unit, whose, article)
        "labour_arbitration.accept": (5, "days", "court", "art. 29"),
        "labour_arbitration.award": (45, "days", "court", "art. 43"),
        "labour_arbitration.sue_after_award": (15, "days", "party", "arts. 48, 50"),
    }
    for code, (length, unit, whose, article) in expected.items():
        lim = limits[code]
        assert (lim["length"], lim["unit"], lim["whose"], lim["track"], lim["record"]) == (
            length, unit, whose, "arbitration", "arbitration"), code
        assert "劳动争议调解仲裁法" in lim["source"] and lim["source"].endswith(article), code
    assert (limits["labour_arbitration.award"]["extension_length"],
            limits["labour_arbitration.award"]["extendable"]) == (15, True)
