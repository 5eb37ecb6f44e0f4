"""Who is falling behind in Huguan county (壶关县 140427): townships, bodies
and categories ranked by overdue rate and by on-time conclusion, with the
counts behind each rate, the previous period beside it, and the same numbers
as the summary and the metrics. Only this module writes to 140427.

| case | where | received | then | today |
|---|---|---|---|---|
| V1 | village 140427100201 (龙泉镇) | 30 days ago | — | open, overdue |
| V2 | village 140427100201 | today | — | open, not overdue |
| C1 | the county itself | today | — | open, not overdue |
| B1 | township 140427101000 (百尺镇) | 30 days ago | accepted 29, concluded 28 days ago | on time |
| B2 | township 140427101000 | 40 days ago | accepted 20 (late), concluded 10 days ago | late |
"""

from __future__ import annotations

import datetime as dt

import pytest

from casework import timeutil
from tests.support import act, dispute, on, petition
from tests.support_access import ensure_user

COUNTY = "140427"


def days_ago(n: int) -> str:
    return (timeutil.today() - dt.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
async def huguan(users):
    admin = users["admin"]
    for code, name, level, parent in (("140427100000", "龙泉镇", 4, "140427000000"),
                                      ("140427101000", "百尺镇", 4, "140427000000"),
                                      ("140427100201", "城关村", 5, "140427100000")):
        added = await admin.post("/api/v1/divisions", json={"code": code, "name_zh": name, "level": level,
                                                            "parent_code": parent})
        assert added.status_code in (200, 201), added.text
    clerk = await ensure_user(users, "rank_clerk_hg", "clerk", COUNTY, "140427-ROL")
    bureau = await ensure_user(users, "rank_supervisor_hg", "supervisor", COUNTY, "140427-PB")

    async def register(division: str, summary: str) -> dict:
        created = await clerk.post("/api/v1/cases", json=dispute(division_code=division, summary=summary,
                                                              occurred_on=days_ago(45)))
        assert created.status_code == 201, created.text
        return created.json()

    cases = {}
    with on(days_ago(40)):
        cases["B2"] = await register("140427101000", "百尺镇纠纷乙")
    with on(days_ago(30)):
        cases["V1"] = await register("140427100201", "城关村纠纷甲")
        cases["B1"] = await register("140427101000", "百尺镇纠纷甲")
    cases["V2"] = await register("140427100201", "城关村纠纷乙")
    cases["C1"] = await register("140427000000", "县级纠纷")
    body = cases["B1"]["proceeding"]["body"]["code"]
    mediator = await ensure_user(users, "rank_mediator_hg", "mediator", COUNTY, body)
    for name, accepted, concluded in (("B1", 29, 28), ("B2", 20, 10)):
        with on(days_ago(accepted)):
            assert (await act(mediator, cases[name]["reference"], "accept")).status_code == 200
        with on(days_ago(concluded)):
            done = await act(mediator, cases[name]["reference"], "conclude", {"outcome": "agreement"})
            assert done.status_code == 200, done.text
    return {"cases": cases, "bureau": bureau}


def rows_by_key(body: dict) -> dict:
    return {r["key"]: r for r in body["rows"]}


async def test_townships_ranked_by_overdue_rate_worst_first(huguan):
    body = (await huguan["bureau"].get("/api/v1/backlog/rankings")).json()
    assert (body["scope"], body["by"], body["depth"], body["sort"]) == (COUNTY, "division", 9, "overdue_rate")
    assert [c["name"] for c in body["scope_path"]] == ["山西省", "长治市", "壶关县"]
    shown = [(r["key"], r["label"], r["rank"], r["open"], r["overdue"], r["overdue_rate"]) for r in body["rows"]]
    assert shown == [
        ("140427100", "龙泉镇", 1, 2, 1, 0.5),
        ("140427000", "壶关县（本级）", 2, 1, 0, 0.0),
        ("140427101", "百尺镇", None, 0, 0, None),  # nothing open: not ranked, still listed
    ]
    rows = rows_by_key(body)
    assert rows["140427100"]["drill_down"] == "140427100" and rows["140427000"]["drill_down"] is None
    assert (body["totals"]["open"], body["totals"]["overdue"]) == (3, 1)


async def test_on_time_conclusion_ranked_with_the_previous_period_beside_it(huguan):
    params = {"sort": "on_time_rate", "from": days_ago(15), "to": days_ago(0)}
    body = (await huguan["bureau"].get("/api/v1/backlog/rankings", params=params)).json()
    assert body["period"] == {"from": days_ago(15), "to": days_ago(0)}
    assert body["previous"] == {"from": days_ago(31), "to": days_ago(16)}  # the same 16 days just before
    baichi = body["rows"][0]
    assert (baichi["label"], baichi["rank"], baichi["concluded"], baichi["on_time"], baichi["on_time_rate"]) == (
        "百尺镇", 1, 1, 0, 0.0)  # B2, late
    assert (baichi["previous_concluded"], baichi["previous_on_time"], baichi["previous_on_time_rate"]) == (1, 1, 1.0)
    assert [r["rank"] for r in body["rows"][1:]] == [None, None]
    chosen = (await huguan["bureau"].get("/api/v1/backlog/rankings", params={
        **params, "previous_from": days_ago(365), "previous_to": days_ago(16)})).json()
    assert chosen["previous"] == {"from": days_ago(365), "to": days_ago(16)}


async def test_the_numbers_are_the_summarys_and_the_metrics(huguan):
    client = huguan["bureau"]
    period = {"from": days_ago(60), "to": days_ago(0)}
    metrics = (await client.get("/api/v1/backlog/metrics", params=period)).json()["on_time_conclusion_rate"]
    for by in ("division", "body", "category"):
        ranked = (await client.get("/api/v1/backlog/rankings", params={"by": by, **period})).json()
        summary = (await client.get("/api/v1/backlog/summary", params={"group_by": by})).json()
        expected = {str(g["key"][by]) if g["key"][by] is not None else None:
                    (g["open"], g["overdue"], g["due_soon"]) for g in summary["groups"]}
        shown = {r["key"]: (r["open"], r["overdue"], r["due_soon"]) for r in ranked["rows"] if r["open"]}
        assert shown == expected, by
        assert (ranked["totals"]["concluded"], ranked["totals"]["on_time"]) == (
            metrics["concluded"], metrics["on_time"]) == (2, 1), by
    villages = rows_by_key((await client.get("/api/v1/backlog/rankings", params={"depth": 12})).json())
    assert (villages["140427100201"]["label"], villages["140427100201"]["open"]) == ("城关村", 2)
    assert villages["140427101000"]["label"] == "百尺镇（本级）"
    assert villages["140427000000"]["label"] == "壶关县（本级）"


async def test_the_city_sees_every_county_and_can_rank_townships_across_it(users, huguan):
    city = users["city_supervisor"]
    counties = (await city.get("/api/v1/backlog/rankings")).json()
    keys = {r["key"] for r in counties["rows"]}
    assert {"140403", "140404", "140405", "140406", "140423", "140425", "140426", "140427", "140428", "140429",
            "140430", "140431"} <= keys
    huguan_row = rows_by_key(counties)["140427"]
    assert (huguan_row["label"], huguan_row["open"], huguan_row["overdue"], huguan_row["drill_down"]) == (
        "壶关县", 3, 1, "140427")
    townships = (await city.get("/api/v1/backlog/rankings", params={"depth": 9})).json()
    assert rows_by_key(townships)["140427000"]["label"] == "壶关县（本级）"
    assert rows_by_key(townships)["140427100"]["open"] == 2


async def test_a_mediator_ranks_only_the_cases_of_their_body(users, huguan):
    mediator = users["rank_mediator_hg"]  # the committee that handles every Huguan case here
    ranked = (await mediator.get("/api/v1/backlog/rankings", params={"from": days_ago(60), "to": days_ago(0)})).json()
    summary = (await mediator.get("/api/v1/backlog/summary", params={"group_by": "track"})).json()
    assert (ranked["totals"]["open"], ranked["totals"]["overdue"]) == (
        summary["totals"]["open"], summary["totals"]["overdue"]) == (3, 1)
    assert (ranked["totals"]["concluded"], ranked["totals"]["on_time"]) == (2, 1)
    other = await ensure_user(users, "rank_mediator_other_hg", "mediator", COUNTY, "140427-NRB")
    theirs = (await other.get("/api/v1/backlog/rankings", params={"from": days_ago(60), "to": days_ago(0)})).json()
    assert (theirs["totals"]["open"], theirs["totals"]["concluded"]) == (0, 0)


async def test_rankings_stay_in_scope_and_refuse_nonsense(users, huguan):
    other = await ensure_user(users, "rank_supervisor_sd", "supervisor", "140404", "140404-PB")
    outside = (await other.get("/api/v1/backlog/rankings", params={"division": COUNTY})).json()
    assert outside["rows"] == [] and outside["totals"]["open"] == 0
    assert COUNTY not in {r["key"][:6] for r in (await other.get(
        "/api/v1/backlog/rankings", params={"depth": 12})).json()["rows"]}
    assert (await users["clerk"].get("/api/v1/backlog/rankings")).status_code == 403
    client = huguan["bureau"]
    for params in ({"depth": 6}, {"depth": 7}, {"division": "140427100201"}, {"previous_from": "2026-01-01"},
                   {"by": "stage"}, {"from": "2026-02-01", "to": "2026-01-01"}):
        response = await client.get("/api/v1/backlog/rankings", params=params)
        assert response.status_code in (400, 422), (params, response.text)


async def test_a_party_letting_its_window_lapse_does_not_make_the_body_late(users):
    """A petition in Xijie (西街社区, only this test) answered on time in March
    2025; the petitioner lets the 30 days to ask for review run out. The
    body concluded on time, and stays on time in the rate."""
    officer, place = users["officer"], "140403001002"
    with on("2025-03-03"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition(
            division_code=place, occurred_on="2025-02-20"))).json()
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    with on("2025-03-20"):
        concluded = await act(officer, case["reference"], "conclude", {
            "outcome": "opinion_issued", "served": {"method": "in_person", "served_on": "2025-03-20"}})
        assert concluded.status_code == 200, concluded.text
    with on("2025-05-10"):  # acting on the case settles it: the window has lapsed
        assert (await act(users["supervisor"], case["reference"], "supervise", {"reason": "回访"})).status_code == 200
    detail = (await officer.get(f"/api/v1/cases/{case['reference']}")).json()
    window = next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == "petition.request_review")
    assert (window["whose"], window["status"]) == ("party", "lapsed")
    period = {"from": "2025-03-01", "to": "2025-03-31", "division": place}
    metric = (await officer.get("/api/v1/backlog/metrics", params=period)).json()["on_time_conclusion_rate"]
    assert (metric["concluded"], metric["on_time"]) == (1, 1)
    ranked = (await users["supervisor"].get("/api/v1/backlog/rankings", params={
        **period, "division": "140403001", "depth": 12})).json()
    row = next(r for r in ranked["rows"] if r["key"] == place)
    assert (row["label"], row["concluded"], row["on_time"], row["on_time_rate"]) == ("西街社区", 1, 1, 1.0)
