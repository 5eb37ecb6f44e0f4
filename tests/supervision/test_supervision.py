"""Supervision (督办) from opening to closing: the city bureau presses an
overdue mediation, the village committee answers, the bureau closes the
item; the overdue list says which cases are under supervision throughout."""

from __future__ import annotations

import datetime as dt

import pytest

from casework import timeutil
from tests.support import act, dispute, on
from tests.support_access import ensure_user


def days_ago(n: int) -> str:
    return (timeutil.today() - dt.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
async def overdue_case(users):
    """A neighbour dispute in Guancun received 20 days ago: the committee's 5
    days to decide on acceptance ran out 15 days ago."""
    with on(days_ago(20)):
        created = await users["clerk"].post("/api/v1/cases", json=dispute(summary="督办测试：排水纠纷",
                                                                       occurred_on=days_ago(25)))
    assert created.status_code == 201, created.text
    return created.json()


async def items_of(client, reference: str) -> list[dict]:
    response = await client.get(f"/api/v1/cases/{reference}/supervision")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def overdue_item(client, reference: str) -> dict:
    items = (await client.get("/api/v1/backlog/overdue", params={"division": "140403100201", "limit": 500})).json()
    return next(i for i in items["items"] if i["reference"] == reference)


async def test_the_bureau_presses_the_handler_answers_and_the_bureau_closes(users, db, overdue_case):
    ref = overdue_case["reference"]
    bureau, committee = users["city_supervisor"], users["village_mediator"]
    assert await items_of(bureau, ref) == []
    assert (await overdue_item(bureau, ref))["supervised"] is False

    respond_by = (timeutil.today() + dt.timedelta(days=5)).isoformat()
    pressed = await act(bureau, ref, "supervise", {"reason": "超期未受理，请说明原因", "respond_by": respond_by})
    assert pressed.status_code == 200, pressed.text

    # Acting on the case first settled it as of today: its breached clock got
    # the sweep's own item, to the body that supervises a people's mediation
    # committee (the district justice bureau, docs/proceedings.md), then the city's.
    automatic, pressed_item = await items_of(bureau, ref)
    assert automatic["automatic"] is True and automatic["clock"]["time_limit"] == "people_mediation.accept"
    assert automatic["supervising_body"]["code"] == "140403-JUS" and automatic["opened_by"] is None
    assert pressed_item["automatic"] is False and pressed_item["opened_by"] == "city_supervisor"
    assert (pressed_item["reason"], pressed_item["respond_by"], pressed_item["state"]) == (
        "超期未受理，请说明原因", respond_by, "open")
    assert pressed_item["supervising_body"]["code"] == "CZ-PB"
    assert pressed_item["handling_body"]["code"] == "140403100201-PMC"
    assert pressed_item["allowed_actions"] == ["close"]
    shown = await overdue_item(bureau, ref)
    assert (shown["supervised"], shown["supervision_open"], shown["supervision_respond_by"]) == (True, 2, respond_by)

    # The handling committee sees what it may do; the district bureau's officer does not answer for it.
    mine = {i["id"]: i for i in await items_of(committee, ref)}
    assert mine[pressed_item["id"]]["allowed_actions"] == ["respond"]
    path = f"/api/v1/cases/{ref}/supervision/{pressed_item['id']}"
    etag = (await committee.get(f"/api/v1/cases/{ref}")).headers["etag"]
    answer = {"response": "已约双方于下周调解，受理决定当日作出"}
    assert (await committee.post(path + "/response", json=answer)).status_code == 428
    assert (await committee.post(path + "/response", json=answer, headers={"If-Match": '"1.1"'})).status_code == 412
    not_handler = await users["officer"].post(path + "/response", json=answer, headers={"If-Match": etag})
    assert not_handler.status_code == 403 and not_handler.json()["type"].endswith("not-the-handler")
    blank = await committee.post(path + "/response", json={"response": "   "}, headers={"If-Match": etag})
    assert blank.status_code == 422

    answered = await committee.post(path + "/response", json=answer, headers={"If-Match": etag})
    assert answered.status_code == 200, answered.text
    assert answered.headers["etag"] != etag
    body = answered.json()
    assert (body["response"], body["responded_by"], body["state"]) == (answer["response"], "village_mediator", "open")
    assert body["allowed_actions"] == []  # answered once; closing is the bureau's
    again = await committee.post(path + "/response", json=answer, headers={"If-Match": answered.headers["etag"]})
    assert again.status_code == 409

    # Closing is the supervisor's.
    refused = await committee.post(path + "/close", json={"reason": "x"}, headers={"If-Match": answered.headers["etag"]})
    assert refused.status_code == 403 and refused.json()["permission"] == "supervision.manage"
    closed = await bureau.post(path + "/close", json={"reason": "回复属实，督促按期受理"},
                               headers={"If-Match": answered.headers["etag"]})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["closed_by"], closed.json()["closed_reason"]) == (
        "closed", "city_supervisor", "回复属实，督促按期受理")
    assert (await bureau.post(path + "/close", json={"reason": "再次"},
                              headers={"If-Match": closed.headers["etag"]})).status_code == 409

    # Every change is an event on the case, in order, the answer's text kept out of the event.
    events = (await bureau.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    tail = [(e["type"], e["actor"]) for e in events if e["type"].startswith("supervis")]
    assert tail == [("supervised", "city_supervisor"), ("supervision_responded", "village_mediator"),
                    ("supervision_closed", "city_supervisor")]
    responded = next(e for e in events if e["type"] == "supervision_responded")
    assert responded["data"] == {"supervision_id": pressed_item["id"], "respond_by": respond_by, "late": False}
    assert answer["response"] not in str(events)

    # The overdue list follows the open items: the sweep's item is still open.
    shown = await overdue_item(bureau, ref)
    assert (shown["supervised"], shown["supervision_open"]) == (True, 1)
    auto_path = f"/api/v1/cases/{ref}/supervision/{automatic['id']}/close"
    closed_auto = await bureau.post(auto_path, json={"reason": "已督促"}, headers={"If-Match": closed.headers["etag"]})
    assert closed_auto.status_code == 200
    shown = await overdue_item(bureau, ref)
    assert (shown["supervised"], shown["supervision_open"], shown["supervision_respond_by"]) == (False, 0, None)


async def test_the_list_of_items_stays_in_the_callers_scope(users, overdue_case):
    ref = overdue_case["reference"]
    city = (await users["city_supervisor"].get("/api/v1/supervision")).json()
    assert ref in {i["reference"] for i in city["items"]} and city["total"] >= 2
    closed = (await users["supervisor"].get("/api/v1/supervision", params={"state": "closed"})).json()
    assert ref in {i["reference"] for i in closed["items"]}
    assert all(i["state"] == "closed" for i in closed["items"])
    other = await ensure_user(users, "supervision_shangdang", "supervisor", "140404", "140404-PB")
    theirs = (await other.get("/api/v1/supervision")).json()
    assert ref not in {i["reference"] for i in theirs["items"]}
    narrowed = (await users["supervisor"].get("/api/v1/supervision", params={"division": "140404"})).json()
    assert narrowed["items"] == [] and narrowed["total"] == 0
    # A mediator of another body does not see the case's items at all.
    stranger = await ensure_user(users, "supervision_other_pmc", "mediator", "140403", "140403001-PMC")
    assert (await stranger.get(f"/api/v1/cases/{ref}/supervision")).status_code == 404


async def test_the_list_pages_with_a_cursor(users, overdue_case):
    client = users["city_supervisor"]
    first = (await client.get("/api/v1/supervision", params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"] and first["has_more"] is True
    second = (await client.get("/api/v1/supervision", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert second["items"][0]["id"] < first["items"][0]["id"]
    for wrong in ("x", "WzBd", "WyJhIl0"):  # not base64 JSON; [0]; ["a"]
        assert (await client.get("/api/v1/supervision", params={"cursor": wrong})).status_code == 422


async def test_an_item_of_another_case_is_not_found_on_this_one(users, overdue_case):
    other = (await users["clerk"].post("/api/v1/cases", json=dispute(summary="另一件"))).json()
    pressed = await act(users["supervisor"], other["reference"], "supervise", {"reason": "催办"})
    item = (await items_of(users["supervisor"], other["reference"]))[-1]
    etag = (await users["supervisor"].get(f"/api/v1/cases/{overdue_case['reference']}")).headers["etag"]
    wrong = await users["supervisor"].post(
        f"/api/v1/cases/{overdue_case['reference']}/supervision/{item['id']}/close",
        json={"reason": "x"}, headers={"If-Match": etag})
    assert pressed.status_code == 200 and wrong.status_code == 404

