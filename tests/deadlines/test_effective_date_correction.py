"""An action entered with the wrong effective date is corrected: the clocks
it stopped and started are counted again from the right day, a breach that
no longer holds is withdrawn, and the timeline says so.

Registered 2026-09-01: 15 days to register and forward or assign run to
09-16. The acceptance, decided on paper on 09-15, was typed in on 09-20 as
of that day: the first period read late (breached 09-17) and the 60 days
to an opinion ran from 09-20 to 11-19. Corrected to 09-15: the first
period was met, and the 60 days run to 11-14, a Saturday, so Monday 11-16.
"""

from __future__ import annotations

import pytest

from tests.support import act, on, petition

pytestmark = pytest.mark.asyncio


def clock(detail: dict, code: str) -> dict:
    return next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == code)


async def _accepted_late(users) -> tuple[dict, dict, dict]:
    officer, clerk = users["officer"], users["clerk"]
    with on("2026-09-01"):
        case = (await clerk.post("/api/v1/cases", json=petition(occurred_on="2026-08-20"))).json()
    with on("2026-09-20"):
        accepted = await act(officer, case["reference"], "accept")
        assert accepted.status_code == 200, accepted.text
    events = (await officer.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    accept_event = next(e for e in events if e["type"] == "accepted")
    return case, accepted, accept_event


async def test_a_corrected_acceptance_date_moves_the_clocks_and_withdraws_the_breach(users):
    officer = users["officer"]
    case, accepted, accept_event = await _accepted_late(users)
    before = accepted.json()
    assert (clock(before, "petition.register_forward")["status"], clock(before, "petition.opinion")["due_on"]) == (
        "late", "2026-11-19")
    with on("2026-09-22"):
        corrected = await officer.post(
            f"/api/v1/cases/{case['reference']}/events/{accept_event['id']}/effective-date",
            headers={"If-Match": accepted.headers["etag"]},
            json={"effective_on": "2026-09-15", "reason": "受理决定书落款日期为9月15日，录入有误"})
        assert corrected.status_code == 200, corrected.text
        detail = corrected.json()
        forward, opinion = clock(detail, "petition.register_forward"), clock(detail, "petition.opinion")
        assert (forward["status"], forward["stopped_on"], forward["breached_on"]) == ("met", "2026-09-15", None)
        assert (opinion["started_on"], opinion["due_on"], opinion["status"]) == ("2026-09-15", "2026-11-16", "running")
    assert corrected.headers["etag"] != accepted.headers["etag"]
    events = (await officer.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    correction = next(e for e in events if e["type"] == "effective_on_corrected")
    assert correction["data"]["event_id"] == accept_event["id"]
    assert (correction["data"]["effective_on_before"], correction["data"]["effective_on"]) == (
        "2026-09-20", "2026-09-15")
    assert {c["time_limit"] for c in correction["data"]["clocks"]} == {"petition.register_forward", "petition.opinion"}
    assert any(e["type"] == "breach_withdrawn" for e in events)
    # The action's own event is as it was written.
    assert next(e for e in events if e["id"] == accept_event["id"]) == accept_event


async def test_a_correction_is_refused_for_a_non_action_a_future_day_and_without_a_reason(users):
    officer = users["officer"]
    case, accepted, accept_event = await _accepted_late(users)
    events = (await officer.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    registered = next(e for e in events if e["type"] == "case_registered")
    url = f"/api/v1/cases/{case['reference']}/events/{{}}/effective-date"
    headers = {"If-Match": accepted.headers["etag"]}
    with on("2026-09-22"):
        not_action = await officer.post(url.format(registered["id"]), headers=headers,
                                        json={"effective_on": "2026-09-15", "reason": "x"})
        assert not_action.status_code == 409 and not_action.json()["type"].endswith("not-an-action")
        future = await officer.post(url.format(accept_event["id"]), headers=headers,
                                    json={"effective_on": "2026-09-23", "reason": "x"})
        assert future.status_code == 422 and "future" in future.text
        no_reason = await officer.post(url.format(accept_event["id"]), headers=headers,
                                       json={"effective_on": "2026-09-15", "reason": "  "})
        assert no_reason.status_code == 422 and "reason" in no_reason.text
        before_opened = await officer.post(url.format(accept_event["id"]), headers=headers,
                                           json={"effective_on": "2026-08-31", "reason": "x"})
        assert before_opened.status_code == 422 and "opened" in before_opened.text
        missing = await officer.post(url.format(10**12), headers=headers,
                                     json={"effective_on": "2026-09-15", "reason": "x"})
        assert missing.status_code == 404
        stale = await officer.post(url.format(accept_event["id"]), headers={"If-Match": '"stale"'},
                                   json={"effective_on": "2026-09-15", "reason": "x"})
        assert stale.status_code == 412
        outsider = await users["clerk_other"].post(url.format(accept_event["id"]), headers=headers,
                                                   json={"effective_on": "2026-09-15", "reason": "x"})
        assert outsider.status_code == 404
    after = (await officer.get(f"/api/v1/cases/{case['reference']}")).json()
    assert clock(after, "petition.opinion")["started_on"] == "2026-09-20"  # nothing half-written


async def test_a_second_correction_moves_the_clocks_from_where_the_first_left_them(users):
    officer = users["officer"]
    case, accepted, accept_event = await _accepted_late(users)
    url = f"/api/v1/cases/{case['reference']}/events/{accept_event['id']}/effective-date"
    with on("2026-09-22"):
        first = await officer.post(url, headers={"If-Match": accepted.headers["etag"]},
                                   json={"effective_on": "2026-09-15", "reason": "按决定书日期"})
        assert first.status_code == 200, first.text
        second = await officer.post(url, headers={"If-Match": first.headers["etag"]},
                                    json={"effective_on": "2026-09-14", "reason": "决定书实为9月14日签发"})
        assert second.status_code == 200, second.text
        # 60 days from 09-14 end on 11-13, a Friday.
        assert clock(second.json(), "petition.opinion")["due_on"] == "2026-11-13"
        same = await officer.post(url, headers={"If-Match": second.headers["etag"]},
                                  json={"effective_on": "2026-09-14", "reason": "x"})
        assert same.status_code == 422


async def test_a_deemed_acceptance_is_replaced_by_the_bodys_own_acceptance_in_time(users):
    """Received Monday 2026-11-02; the 5 working days of acceptance review end
    11-09 and the law deems the application accepted then (the 60 days to
    2027-01-08). The office had in fact accepted it on paper on 11-06 and
    enters it on 11-12: the review was met on 11-06 and the 60 days run to
    2027-01-05 (provisional: 2027's holidays are not known)."""
    from tests.records.support import AGENCY
    from tests.support import dispute, person

    office = users["reconsideration"]
    with on("2026-11-02"):
        draft = dispute(category="urban_management", parties=[person(), AGENCY], act_known_on="2026-10-20",
                        occurred_on="2026-10-20", requested_track="reconsideration",
                        override_reason="申请人申请行政复议")
        case = (await users["officer"].post("/api/v1/cases", json=draft)).json()
    with on("2026-11-12"):
        # Entering the acceptance now meets the law's own: accepted on 11-09.
        refused = await act(office, case["reference"], "accept")
        assert refused.status_code == 409 and refused.json()["state"] == "accepted"
        now = (await office.get(f"/api/v1/cases/{case['reference']}"))
        events = (await office.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
        deemed = next(e for e in events if e["type"] == "deemed_accepted")
        url = f"/api/v1/cases/{case['reference']}/events/{deemed['id']}/effective-date"
        after_the_day = await office.post(url, headers={"If-Match": now.headers["etag"]},
                                          json={"effective_on": "2026-11-10", "reason": "x"})
        assert after_the_day.status_code == 422 and "deemed day" in after_the_day.text
        replaced = await office.post(url, headers={"If-Match": now.headers["etag"]},
                                     json={"effective_on": "2026-11-06", "reason": "受理通知书11月6日已作出，补录"})
        assert replaced.status_code == 200, replaced.text
    detail = replaced.json()
    review, decision = clock(detail, "reconsideration.acceptance_review"), clock(detail, "reconsideration.decision")
    assert (review["outcome"], review["stopped_on"]) == ("met", "2026-11-06")
    assert (decision["started_on"], decision["due_on"], decision["provisional"]) == ("2026-11-06", "2027-01-05", True)
    events = (await office.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    corrected = next(e for e in events if e["type"] == "effective_on_corrected")
    assert corrected["data"]["accepted_by_the_body"] is True and corrected["data"]["event_type"] == "deemed_accepted"
