"""Each transition allowed and refused: wrong state, wrong role, wrong
jurisdiction; optimistic concurrency; allowed_actions."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.support import act, dispute, petition

TODAY = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


async def _mediation_case(users):
    return (await users["clerk"].post("/api/v1/cases", json=dispute())).json()


async def test_missing_if_match_is_428_and_a_stale_one_412(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    missing = await users["village_mediator"].post(f"/api/v1/cases/{ref}/actions/accept", json={})
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    etag = (await users["village_mediator"].get(f"/api/v1/cases/{ref}")).headers["etag"]
    assert (await act(users["village_mediator"], ref, "accept", etag=etag)).status_code == 200
    stale = await act(users["village_mediator"], ref, "record_session", {"held_on": TODAY}, etag=etag)
    assert stale.status_code == 412
    assert stale.json()["etag"] != etag


async def test_a_hundred_concurrent_actions_on_one_case_one_wins_per_version(users, db):
    case = await _mediation_case(users)
    ref = case["reference"]
    mediator = users["village_mediator"]
    await act(mediator, ref, "accept")
    wins = 0
    for _round in range(2):
        etag = (await mediator.get(f"/api/v1/cases/{ref}")).headers["etag"]
        responses = await asyncio.gather(*[
            mediator.post(f"/api/v1/cases/{ref}/actions/record_session",
                          json={"held_on": TODAY, "location": f"村委会 {i}"}, headers={"If-Match": etag})
            for i in range(50)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [412] * 49, codes
        wins += 1
    sessions = await db.fetchval("SELECT count(*) FROM mediation_session WHERE case_id = $1", case["id"])
    recorded = await db.fetchval(
        "SELECT count(*) FROM case_event WHERE case_id = $1 AND type = 'session_recorded'", case["id"])
    assert sessions == recorded == wins
    version = await db.fetchval("SELECT version FROM case_file WHERE id = $1", case["id"])
    assert version == 1 + 1 + wins  # intake, accept, the sessions


async def test_actions_refused_from_the_wrong_state(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    for action, body in (("conclude", {"outcome": "agreement"}), ("record_session", {"held_on": TODAY}),
                         ("close", {}), ("request_review", {})):
        response = await act(users["village_mediator"], ref, action, body)
        assert response.status_code == 409, (action, response.text)
        assert response.json()["type"].endswith("invalid-transition")


async def test_actions_refused_for_the_wrong_role(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    assert (await act(users["clerk"], ref, "accept")).status_code == 403
    assert (await act(users["auditor"], ref, "accept")).status_code == 403
    assert (await act(users["village_mediator"], ref, "supervise", {"reason": "催办"})).status_code == 403


async def test_actions_refused_outside_the_jurisdiction_look_like_a_missing_case(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    hidden = await users["clerk_other"].post(f"/api/v1/cases/{ref}/actions/accept", json={},
                                             headers={"If-Match": '"1.1"'})
    missing = await users["clerk_other"].post("/api/v1/cases/140404-2026-999999/actions/accept", json={},
                                              headers={"If-Match": '"1.1"'})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


async def test_required_fields_are_named(users):
    case = await _mediation_case(users)
    response = await act(users["village_mediator"], case["reference"], "decline")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"reason", "directed_to"}
    mediator = users["village_mediator"]
    await act(mediator, case["reference"], "accept")
    failed = await act(mediator, case["reference"], "conclude", {"outcome": "failed"})
    assert failed.status_code == 422 and failed.json()["errors"][0]["field"] == "channels_notified"
    bad_outcome = await act(mediator, case["reference"], "conclude", {"outcome": "upheld"})
    assert bad_outcome.status_code == 422


async def test_decline_records_where_the_party_was_directed(users):
    case = await _mediation_case(users)
    response = await act(users["village_mediator"], case["reference"], "decline",
                         {"reason": "属于劳动争议", "directed_to": "区劳动人事争议仲裁委员会"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "not_accepted" and body["stage"] == "not_accepted"
    assert body["proceeding"]["details"]["not_accepted"]["directed_to"] == "区劳动人事争议仲裁委员会"
    assert all(c["state"] == "stopped" for c in body["proceeding"]["clocks"])


@pytest.mark.parametrize("who, expected", [
    # The acceptance clock of people's mediation may not be paused: no pause button.
    ("village_mediator", {"accept", "decline", "request_supplement", "withdraw"}),
    # A clerk records a party's withdrawal (撤回), nothing else here.
    ("clerk", {"withdraw"}),
    ("auditor", set()),
    ("supervisor", {"accept", "decline", "assign", "supervise", "request_supplement", "withdraw", "assign_leader",
                    "record_leader_action"}),
])
async def test_allowed_actions_show_only_the_buttons_that_work(users, who, expected):
    case = await _mediation_case(users)
    detail = (await users[who].get(f"/api/v1/cases/{case['reference']}")).json()
    assert set(detail["allowed_actions"]) == expected


async def test_close_and_reopen_with_a_reason(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    mediator = users["village_mediator"]
    await act(mediator, ref, "accept")
    await act(mediator, ref, "conclude", {"outcome": "agreement"})
    closed = await act(users["supervisor"], ref, "close", {"reason": "协议已履行"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (await act(users["officer"], ref, "reopen", {"reason": "x"})).status_code == 403
    reopened = await act(users["supervisor"], ref, "reopen", {"reason": "一方反悔，协议未履行"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open" and reopened.json()["closed_at"] is None


async def test_a_supervisor_presses_a_case(users, db):
    case = (await users["clerk"].post("/api/v1/cases", json=petition())).json()
    pressed = await act(users["supervisor"], case["reference"], "supervise",
                        {"reason": "逾期未转送", "respond_by": "2026-12-31"})
    assert pressed.status_code == 200
    row = await db.fetchrow("SELECT * FROM supervision WHERE case_id = $1", case["id"])
    assert row["reason"] == "逾期未转送" and row["state"] == "open"


async def test_the_queue_pages_with_a_cursor(users):
    for i in range(5):
        await users["clerk"].post("/api/v1/cases", json=dispute(summary=f"队列 {i}"))
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await users["village_mediator"].get("/api/v1/queue", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    keys = [(c["next_due_on"] or "9999-12-31", c["id"]) for c in seen]
    assert keys == sorted(keys) and len({c["id"] for c in seen}) == len(seen) >= 5


async def test_clock_buttons_appear_when_a_clock_can_take_them(users):
    case = await _mediation_case(users)
    ref = case["reference"]
    mediator = users["village_mediator"]
    accepted = (await act(mediator, ref, "accept")).json()
    assert {"pause_clock", "extend_deadline", "record_session", "conclude"} <= set(accepted["allowed_actions"])
    assert "resume_clock" not in accepted["allowed_actions"]
    paused = await act(mediator, ref, "pause_clock", {"reason": "等待鉴定结果"})
    assert paused.status_code == 200, paused.text
    actions = paused.json()["allowed_actions"]
    assert "resume_clock" in actions and "pause_clock" not in actions
    clock = paused.json()["proceeding"]["clocks"][-1]
    assert clock["state"] == "paused"
    resumed = await act(mediator, ref, "resume_clock", {"reason": "鉴定完成"})
    assert resumed.status_code == 200
    # People's mediation runs "one month", extended by the parties' agreement
    # in months too: ``days`` is the amount in the limit's extension unit.
    extended = await act(mediator, ref, "extend_deadline", {
        "clock": "people_mediation.target", "days": 1, "approver": "双方当事人", "reason": "双方同意延长",
        "party_informed": True})
    assert extended.status_code == 200, extended.text
    target = next(c for c in extended.json()["proceeding"]["clocks"] if c["time_limit"] == "people_mediation.target")
    assert target["extended_by"] in (28, 29, 30, 31) and target["extension"]["approver"] == "双方当事人"
    assert (target["extension"]["amount"], target["extension"]["unit"]) == (1, "months")
    assert "extend_deadline" not in extended.json()["allowed_actions"]
    twice = await act(mediator, ref, "extend_deadline", {
        "clock": "people_mediation.target", "days": 5, "approver": "x", "reason": "y", "party_informed": True})
    assert twice.status_code == 409
    too_long = await act(users["village_mediator"], (await _accepted(users))["reference"], "extend_deadline", {
        "clock": "people_mediation.target", "days": 2, "approver": "x", "reason": "y", "party_informed": True})
    assert too_long.status_code == 422


async def _accepted(users):
    case = await _mediation_case(users)
    await act(users["village_mediator"], case["reference"], "accept")
    return case


async def test_an_extension_requires_that_the_party_was_told(users):
    case = await _accepted(users)
    response = await act(users["village_mediator"], case["reference"], "extend_deadline", {
        "clock": "people_mediation.target", "days": 10, "approver": "双方", "reason": "延长",
        "party_informed": False})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "party_informed"


async def test_a_session_before_the_case_was_received_is_refused(users):
    case = await _accepted(users)
    response = await act(users["village_mediator"], case["reference"], "record_session", {"held_on": "2020-01-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "held_on"
