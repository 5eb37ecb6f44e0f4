"""Reading cases: jurisdiction, filters, pagination, ETags."""

from __future__ import annotations

from tests.support import dispute, petition


async def test_a_clerk_of_another_county_cannot_see_the_case_at_all(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    ref = case["reference"]
    for path in (f"/api/v1/cases/{ref}", f"/api/v1/cases/{ref}/events"):
        hidden = await users["clerk_other"].get(path)
        missing = await users["clerk_other"].get(path.replace(ref, "140404-2026-999999"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    listed = (await users["clerk_other"].get("/api/v1/cases", params={"limit": 200})).json()["items"]
    assert ref not in {c["reference"] for c in listed}


async def test_the_county_supervisor_and_the_city_see_it_in_their_lists(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(summary="县级可见"))).json()
    for who in ("supervisor", "city_supervisor"):
        items = (await users[who].get("/api/v1/cases", params={"division": "140403"})).json()["items"]
        assert case["reference"] in {c["reference"] for c in items}


async def test_filters_and_cursor_pagination_are_stable(users):
    made = []
    for i in range(7):
        made.append((await users["clerk"].post("/api/v1/cases", json=petition(summary=f"分页 {i}",
                                                                               risk_level="high"))).json())
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "kind": "petition", "risk_level": "high", "track": "petition"}
        if cursor:
            params["cursor"] = cursor
        page = (await users["supervisor"].get("/api/v1/cases", params=params)).json()
        seen += [c["reference"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert {c["reference"] for c in made} <= set(seen)
    ids = [int(r.rsplit("-", 1)[1]) for r in seen]
    assert ids == sorted(ids, reverse=True)


async def test_a_bad_cursor_is_a_clear_400(users):
    response = await users["clerk"].get("/api/v1/cases", params={"cursor": "!!!"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_case_detail_carries_an_etag(users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    response = await users["clerk"].get(f"/api/v1/cases/{case['reference']}")
    assert response.headers["etag"] == f'"{case["id"]}.1"'
    assert response.json()["version"] == 1
