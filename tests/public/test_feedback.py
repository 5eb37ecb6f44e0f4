"""Once a proceeding concludes, the party rates it, once."""

from __future__ import annotations

import json

from tests import support_states
from tests.support import dispute
from tests.support_access import client_from


async def test_a_party_rates_a_concluded_mediation_once_and_staff_see_it(app, users, db):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    credentials = {"reference": case["reference"], "receipt_code": case["receipt_code"]}
    comment = "调解员很耐心，我的电话13700001111"
    async with client_from(app) as party:
        early = await party.post("/api/v1/public/feedback", json={**credentials, "rating": "satisfied"})
        assert early.status_code == 409 and early.json()["type"].endswith("not-concluded")

        await support_states.conclude(users, case, outcome="agreement")
        version_before = await db.fetchval("SELECT version FROM case_file WHERE id = $1", case["id"])
        rated = await party.post("/api/v1/public/feedback",
                                 json={**credentials, "rating": "basically_satisfied", "comment": comment})
        assert rated.status_code == 201, rated.text
        assert rated.json()["rating"] == "basically_satisfied" and rated.json()["proceeding"] == 1

        again = await party.post("/api/v1/public/feedback", json={**credentials, "rating": "dissatisfied"})
        assert again.status_code == 409 and again.json()["type"].endswith("feedback-exists")
        view = (await party.post("/api/v1/public/lookup", json=credentials)).json()
    assert view["proceedings"][0]["feedback"]["rating"] == "basically_satisfied"
    assert view["proceedings"][0]["can_rate"] is False
    assert comment not in json.dumps(view, ensure_ascii=False)

    assert await db.fetchval("SELECT count(*) FROM feedback WHERE case_id = $1", case["id"]) == 1
    assert await db.fetchval("SELECT version FROM case_file WHERE id = $1", case["id"]) == version_before + 1
    detail = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}")).json()
    assert [(f["proceeding"], f["rating"], f["comment"]) for f in detail["feedback"]] == [
        (1, "basically_satisfied", comment)]
    events = (await users["clerk"].get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    received = [e for e in events if e["type"] == "feedback_received"]
    assert len(received) == 1 and received[0]["data"]["rating"] == "basically_satisfied"
    assert received[0]["actor"] is None
    # The comment may carry personal data: never in events or the webhook outbox.
    outbox = await db.fetch("SELECT payload::text AS p FROM outbox WHERE case_id = $1", case["id"])
    assert all("13700001111" not in r["p"] and "耐心" not in r["p"] for r in outbox)
    assert all("耐心" not in json.dumps(e["data"], ensure_ascii=False) for e in events)


async def test_feedback_with_a_wrong_code_is_the_same_404_as_a_lookup(app, users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    async with client_from(app) as party:
        wrong = {"reference": case["reference"], "receipt_code": "WRONGCOD"}
        feedback = await party.post("/api/v1/public/feedback", json={**wrong, "rating": "satisfied"})
        lookup = await party.post("/api/v1/public/lookup", json=wrong)
    assert feedback.status_code == lookup.status_code == 404
    assert feedback.json() == lookup.json()


async def test_an_unknown_rating_is_refused(app, users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    async with client_from(app) as party:
        response = await party.post("/api/v1/public/feedback", json={
            "reference": case["reference"], "receipt_code": case["receipt_code"], "rating": "thrilled"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "rating"


async def test_each_proceeding_of_an_escalated_case_is_rated_once(app, users, db):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    await support_states.conclude(users, case, outcome="failed")
    credentials = {"reference": case["reference"], "receipt_code": case["receipt_code"]}
    async with client_from(app) as party:
        assert (await party.post("/api/v1/public/feedback",
                                 json={**credentials, "rating": "dissatisfied"})).status_code == 201
        await support_states.escalate_to_concluded_litigation(users, case)
        second = await party.post("/api/v1/public/feedback", json={**credentials, "rating": "satisfied"})
        assert second.status_code == 201 and second.json()["proceeding"] == 2
        again = await party.post("/api/v1/public/feedback",
                                 json={**credentials, "rating": "satisfied", "proceeding": 1})
        assert again.status_code == 409
    rows = await db.fetch("SELECT p.seq, f.rating FROM feedback f JOIN proceeding p ON p.id = f.proceeding_id "
                          "WHERE f.case_id = $1 ORDER BY p.seq", case["id"])
    assert [(r["seq"], r["rating"]) for r in rows] == [(1, "dissatisfied"), (2, "satisfied")]
