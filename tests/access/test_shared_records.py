"""A record shared by cases (a lawsuit by its court case number, a legal-aid
application by the centre's number) never carries one jurisdiction's data
into another: linking the same number elsewhere makes that scope's own
record and names nothing; a write lands only where its writer may see."""

from __future__ import annotations

from tests.integrations.test_inbound import push
from tests.records.support import case_number, days_ago, new_dispute, write
from tests.support_access import ensure_user

COURT = "长治市潞州区人民法院"


async def _case_in(client, division: str) -> dict:
    return await new_dispute(client, division_code=division)


async def test_a_suit_linked_in_another_county_is_that_county_s_own_record(users, db):
    luzhou, shangdang = users["clerk"], users["clerk_other"]
    ours = await _case_in(luzhou, "140403100201")
    theirs = await _case_in(shangdang, "140404100000")
    number = case_number()
    first = await write(luzhou, ours["reference"], "lawsuits", {
        "case_number": number, "court": COURT, "case_type": "civil",
        "cause": "相邻关系纠纷，原告张三身份证140403198001010011", "filed_on": days_ago(5)})
    assert first.status_code == 201, first.text
    suit = first.json()
    hearing = await write(luzhou, ours["reference"], f"lawsuits/{suit['id']}/hearings",
                          {"held_on": days_ago(2), "kind": "hearing", "notes": "张三到庭，电话13812345678"})
    assert hearing.status_code == 201, hearing.text
    events_before = len((await luzhou.get(f"/api/v1/cases/{ours['reference']}/events")).json()["items"])

    # The other county's clerk links the same number: no 409, nothing of ours.
    linked = await write(shangdang, theirs["reference"], "lawsuits", {
        "case_number": number, "court": "长治市上党区人民法院", "case_type": "civil",
        "cause": "他们自己的案由", "filed_on": days_ago(4)})
    assert linked.status_code == 201, linked.text
    own = linked.json()
    assert own["id"] != suit["id"]
    assert own["cause"] == "他们自己的案由" and own["hearings"] == []
    assert own["linked_cases"] == [theirs["reference"]]
    assert ours["reference"] not in linked.text and "张三" not in linked.text
    # Our record by its id, through their case: not there.
    assert (await shangdang.get(f"/api/v1/cases/{theirs['reference']}/lawsuits/{suit['id']}")).status_code == 404
    progress = await write(shangdang, theirs["reference"], f"lawsuits/{suit['id']}/progress",
                           {"stage": "first_instance"})
    assert progress.status_code == 404
    # Their own progress changes their record only; our timeline is untouched.
    mine = await write(shangdang, theirs["reference"], f"lawsuits/{own['id']}/progress", {"stage": "first_instance"})
    assert mine.status_code == 200, mine.text
    assert await db.fetchval("SELECT stage FROM lawsuit WHERE id = $1", suit["id"]) == "filed"
    events_after = (await luzhou.get(f"/api/v1/cases/{ours['reference']}/events")).json()["items"]
    assert len(events_after) == events_before


async def test_a_city_user_may_share_a_suit_then_only_users_who_see_every_case_write_it(users, db):
    luzhou, shangdang = users["clerk"], users["clerk_other"]
    city = await ensure_user(users, "city_officer_records", "officer", "1404")
    ours = await _case_in(luzhou, "140403100201")
    theirs = await _case_in(shangdang, "140404100000")
    number = case_number()
    first = await write(luzhou, ours["reference"], "lawsuits", {
        "case_number": number, "court": COURT, "case_type": "civil", "filed_on": days_ago(5)})
    suit = first.json()
    # The city officer sees both cases, so their link joins the one record.
    joined = await write(city, theirs["reference"], "lawsuits", {
        "case_number": number, "court": COURT, "case_type": "civil", "filed_on": days_ago(5)})
    assert joined.status_code == 201 and joined.json()["id"] == suit["id"], joined.text
    assert sorted(joined.json()["linked_cases"]) == sorted([ours["reference"], theirs["reference"]])
    # Each county's clerk reads it through their own case, naming only their own case.
    seen = (await luzhou.get(f"/api/v1/cases/{ours['reference']}/lawsuits/{suit['id']}")).json()
    assert seen["linked_cases"] == [ours["reference"]]
    # A county clerk's write would land in the other county's timeline: refused.
    refused = await write(luzhou, ours["reference"], f"lawsuits/{suit['id']}/progress", {"stage": "first_instance"})
    assert refused.status_code == 403 and refused.json()["type"].endswith("shared-record-out-of-scope")
    assert theirs["reference"] not in refused.text
    assert await db.fetchval("SELECT stage FROM lawsuit WHERE id = $1", suit["id"]) == "filed"
    # The city officer may; both cases get the event.
    done = await write(city, ours["reference"], f"lawsuits/{suit['id']}/progress", {"stage": "first_instance"})
    assert done.status_code == 200, done.text
    for client, ref in ((luzhou, ours["reference"]), (shangdang, theirs["reference"])):
        types = [e["type"] for e in (await client.get(f"/api/v1/cases/{ref}/events")).json()["items"]]
        assert "litigation_updated" in types


async def test_the_court_s_push_reaches_every_record_of_the_number(users):
    luzhou, shangdang = users["clerk"], users["clerk_other"]
    ours = await _case_in(luzhou, "140403100201")
    theirs = await _case_in(shangdang, "140404100000")
    number = case_number()
    for client, case in ((luzhou, ours), (shangdang, theirs)):
        made = await write(client, case["reference"], "lawsuits", {
            "case_number": number, "court": COURT, "case_type": "civil", "filed_on": days_ago(5)})
        assert made.status_code == 201, made.text
    pushed = await push("court", {"event_id": f"shared-{number}", "type": "litigation.updated",
                                  "data": {"case_number": number, "stage": "first_instance"}}, users)
    assert pushed.status_code == 200, pushed.text
    assert len(pushed.json()["applied"]["lawsuit_ids"]) == 2
    for client, case in ((luzhou, ours), (shangdang, theirs)):
        detail = (await client.get(f"/api/v1/cases/{case['reference']}")).json()
        assert detail["lawsuits"][0]["stage"] == "first_instance"


async def test_a_legal_aid_number_recorded_elsewhere_is_not_revealed(users):
    luzhou, shangdang = users["clerk"], users["clerk_other"]
    ours = await _case_in(luzhou, "140403100201")
    theirs = await _case_in(shangdang, "140404100000")
    external = f"LA-{case_number()}"
    body = {"party_position": 1, "centre": "法律援助中心", "applied_on": days_ago(2),
            "aid_type": "legal_advice", "external_id": external}
    assert (await write(luzhou, ours["reference"], "legal-aid", body)).status_code == 201
    elsewhere = await write(shangdang, theirs["reference"], "legal-aid", body)
    assert elsewhere.status_code == 201, elsewhere.text
    # Within one scope the number is still a duplicate.
    again = await _case_in(luzhou, "140403100201")
    assert (await write(luzhou, again["reference"], "legal-aid", body)).status_code == 409
