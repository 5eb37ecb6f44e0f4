"""The petition bureau watches its backlog: every figure against a data set
whose right answers are known (tests/backlog/dataset.py), and every figure
scoped to the caller's jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backlog import dataset


@pytest.fixture(scope="module")
async def known(users, db):
    city_before = (await users["city_supervisor"].get("/api/v1/backlog/summary?group_by=division")).json()
    data = await dataset.build(users, db)
    city_after = (await users["city_supervisor"].get("/api/v1/backlog/summary?group_by=division")).json()
    return {**data, "city_before": city_before, "city_after": city_after}


def by_key(summary: dict, dim: str) -> dict:
    return {g["key"][dim]: g for g in summary["groups"]}


async def test_the_county_bureau_sees_its_open_overdue_and_due_soon_cases(users, known):
    summary = (await users["bl_supervisor_xy"].get("/api/v1/backlog/summary?group_by=track")).json()
    assert summary["scope"] == "140423" and summary["scope_name"] == "襄垣县"
    assert summary["source"] == "counters"
    assert summary["totals"] == {"open": 6, "overdue": 2, "due_soon": 1}
    tracks: dict[str, dict] = {}
    for name in "ABCFGH":
        tracks.setdefault(known["cases"][name]["track"], {"open": 0, "overdue": 0, "due_soon": 0})
        tracks[known["cases"][name]["track"]]["open"] += 1
    for name, flag in (("A", "overdue"), ("G", "overdue"), ("B", "due_soon")):
        tracks[known["cases"][name]["track"]][flag] += 1
    groups = by_key(summary, "track")
    assert {t: {k: g[k] for k in ("open", "overdue", "due_soon")} for t, g in groups.items()} == tracks
    assert groups["petition"]["label"] == "信访事项办理"


async def test_a_county_drills_down_to_townships_and_villages(users, known):
    county = (await users["bl_supervisor_xy"].get("/api/v1/backlog/summary?group_by=division")).json()
    groups = by_key(county, "division")
    assert set(groups) == {"140423100", "140423000"}
    assert (groups["140423100"]["open"], groups["140423100"]["overdue"], groups["140423100"]["due_soon"]) == (5, 2, 1)
    assert groups["140423100"]["label"] == "古韩镇" and groups["140423100"]["drill_down"] == "140423100"
    assert groups["140423000"]["open"] == 1 and groups["140423000"]["label"] == "襄垣县（本级）"
    assert "drill_down" not in groups["140423000"]
    town = (await users["bl_supervisor_xy"].get(
        "/api/v1/backlog/summary?group_by=division&division=140423100")).json()
    villages = by_key(town, "division")
    assert {k: (g["open"], g["overdue"], g["due_soon"]) for k, g in villages.items()} == {
        "140423100201": (3, 2, 0), "140423100202": (2, 0, 1)}
    assert villages["140423100201"]["label"] == "北关村"


async def test_the_city_sees_the_county_grow_by_exactly_the_new_cases(users, known):
    before = by_key(known["city_before"], "division").get("140423", {"open": 0, "overdue": 0, "due_soon": 0})
    after = by_key(known["city_after"], "division")["140423"]
    assert (after["open"] - before["open"], after["overdue"] - before["overdue"],
            after["due_soon"] - before["due_soon"]) == (6, 2, 1)
    assert known["city_after"]["scope"] == "1404"
    assert known["city_after"]["totals"]["open"] - known["city_before"]["totals"]["open"] == 6


async def test_every_figure_stays_inside_the_callers_jurisdiction(users, known):
    village = users["bl_village_xy"]
    summary = (await village.get("/api/v1/backlog/summary?group_by=category")).json()
    assert summary["totals"] == {"open": 2, "overdue": 0, "due_soon": 1}
    # Asking for the county does not widen a village user's view.
    widened = (await village.get("/api/v1/backlog/summary?group_by=track&division=140423")).json()
    assert widened["scope"] == "140423100202" and widened["totals"]["open"] == 2
    assert (await village.get("/api/v1/backlog/overdue")).json()["items"] == []
    assert [i["reference"] for i in (await village.get("/api/v1/backlog/due-soon")).json()["items"]] == [
        known["cases"]["B"]["reference"]]
    aging = (await village.get("/api/v1/backlog/aging")).json()
    assert sum(b["open"] for b in aging["buckets"]) == 2
    other = users["bl_supervisor_sd"]
    outside = (await other.get("/api/v1/backlog/summary?group_by=track&division=140423")).json()
    assert outside["totals"] == {"open": 0, "overdue": 0, "due_soon": 0} and outside["groups"] == []
    overdue = (await other.get("/api/v1/backlog/overdue?division=140423")).json()["items"]
    assert overdue == []
    refs = {c["reference"] for c in known["cases"].values()}
    own = (await other.get("/api/v1/backlog/overdue")).json()["items"]
    assert not refs & {i["reference"] for i in own}
    metrics = (await other.get("/api/v1/backlog/metrics?division=140423")).json()
    assert metrics["mediation_success_rate"]["concluded"] == 0
    assert metrics["satisfaction"]["total"] == 0
    trends = (await other.get("/api/v1/backlog/trends?division=140423")).json()
    assert sum(p["intake"]["total"] for p in trends["periods"]) == 0
    export = await other.get("/api/v1/backlog/export.csv?list=open&division=140423")
    assert export.content.decode("utf-8-sig").count("\r\n") == 1  # the header only


async def test_a_clerk_may_not_read_the_backlog(users, known):
    response = await users["bl_clerk_xy"].get("/api/v1/backlog/summary")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_overdue_list_names_the_late_clock_by_how_much_and_supervision(users, known):
    items = (await users["bl_supervisor_xy"].get("/api/v1/backlog/overdue")).json()["items"]
    assert [i["reference"] for i in items] == [known["cases"]["A"]["reference"], known["cases"]["G"]["reference"]]
    a, g = items
    assert (a["days_overdue"], g["days_overdue"]) == (10, 3)
    assert a["working_days_overdue"] >= 1 and g["working_days_overdue"] >= 1
    assert a["clock"]["due_on"] == (known["today"] - dt.timedelta(days=10)).isoformat()
    assert a["clock"]["time_limit"] and a["clock"]["step_zh"]
    assert (a["supervised"], g["supervised"]) == (False, True)
    assert a["division_name"] == "北关村" and a["track_zh"]


async def test_the_overdue_list_pages_with_a_cursor(users, known):
    client = users["bl_supervisor_xy"]
    first = (await client.get("/api/v1/backlog/overdue?limit=1")).json()
    second = (await client.get(f"/api/v1/backlog/overdue?limit=1&cursor={first['next_cursor']}")).json()
    assert [i["reference"] for i in first["items"] + second["items"]] == [
        known["cases"]["A"]["reference"], known["cases"]["G"]["reference"]]
    assert second["next_cursor"] is None


async def test_due_soon_lists_what_falls_due_within_the_window(users, known):
    body = (await users["bl_supervisor_xy"].get("/api/v1/backlog/due-soon")).json()
    assert [i["reference"] for i in body["items"]] == [known["cases"]["B"]["reference"]]
    assert body["items"][0]["working_days_left"] == 0
    assert body["due_soon_until"] >= body["as_of"]


async def test_aging_puts_open_cases_in_their_buckets(users, known):
    body = (await users["bl_supervisor_xy"].get("/api/v1/backlog/aging")).json()
    assert [(b["bucket"], b["open"]) for b in body["buckets"]] == [
        ("0-15", 2), ("16-30", 1), ("31-60", 1), ("61-90", 1), ("90+", 1)]
    # A non-level prefix reads the per-case table and agrees.
    town = (await users["bl_supervisor_xy"].get("/api/v1/backlog/aging?division=1404231")).json()
    assert [b["open"] for b in town["buckets"]] == [2, 1, 1, 0, 1]


async def test_trends_count_intake_and_closures_per_week(users, known):
    today = known["today"]
    start = (today - dt.timedelta(days=130)).isoformat()
    body = (await users["bl_supervisor_xy"].get(
        f"/api/v1/backlog/trends?from={start}&to={today.isoformat()}&interval=week")).json()
    periods = body["periods"]
    assert all(dt.date.fromisoformat(p["start"]).weekday() == 0 for p in periods)
    assert sum(p["intake"]["petition"] for p in periods) == 2
    assert sum(p["intake"]["dispute"] for p in periods) == 6
    assert periods[-1]["closed"] == {"petition": 0, "dispute": 2, "total": 2}
    week_of = {p["start"]: p for p in periods}
    a_week = (today - dt.timedelta(days=5 + (today - dt.timedelta(days=5)).weekday())).isoformat()
    assert week_of[a_week]["intake"]["total"] >= 1
    monthly = (await users["bl_supervisor_xy"].get(
        f"/api/v1/backlog/trends?from={start}&to={today.isoformat()}&interval=month")).json()
    assert sum(p["intake"]["total"] for p in monthly["periods"]) == 8
    assert all(p["start"].endswith("-01") for p in monthly["periods"])


async def test_metrics_match_their_definitions(users, known):
    body = (await users["bl_supervisor_xy"].get("/api/v1/backlog/metrics")).json()
    assert body["on_time_conclusion_rate"] == {"rate": 0.5, "on_time": 1, "concluded": 2}
    assert body["mediation_success_rate"] == {"rate": 0.5, "agreements": 1, "concluded": 2}
    assert body["repeat_petition_rate"] == {"rate": 0.5, "repeats": 1, "petitions": 2}
    durations = {d["track"]: d for d in body["days_to_conclusion"]}
    track = known["cases"]["D"]["track"]
    assert durations[track]["concluded"] == 2
    assert durations[track]["mean_days"] == 15.0 and durations[track]["median_days"] == 15.0
    assert body["satisfaction"]["counts"] == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 1}
    assert body["satisfaction"]["satisfied_share"] == 0.5
    for name in ("on_time_conclusion_rate", "mediation_success_rate", "repeat_petition_rate",
                 "days_to_conclusion", "satisfaction"):
        assert body["definitions"][name]["zh"] and body["definitions"][name]["en"]


async def test_grouping_by_two_dimensions_reads_the_case_table_and_agrees(users, known):
    client = users["bl_supervisor_xy"]
    pair = (await client.get("/api/v1/backlog/summary?group_by=track&group_by=stage")).json()
    assert pair["source"] == "cases"
    assert pair["totals"] == {"open": 6, "overdue": 2, "due_soon": 1}
    single = by_key((await client.get("/api/v1/backlog/summary?group_by=track")).json(), "track")
    for track, group in single.items():
        rows = [g for g in pair["groups"] if g["key"]["track"] == track]
        assert sum(g["open"] for g in rows) == group["open"]
        assert sum(g["overdue"] for g in rows) == group["overdue"]


async def test_counters_agree_with_a_recount_from_the_cases(users, known, db):
    from tests.backlog.recount import assert_counters_match

    await assert_counters_match(db)
    for scope in ("1404", "140423", "140423100"):
        for dim in ("body", "track", "stage", "category", "division"):
            counted = (await users["admin"].get(
                f"/api/v1/backlog/summary?group_by={dim}&division={scope}")).json()
            assert counted["source"] == "counters"
            from casework.access.service import Principal
            from casework.backlog import service

            admin = Principal(id=0, username="x", role="admin", body_id=None, jurisdiction="14", token_version=0)
            recount = await service.summary(admin, group_by=[dim], division=scope, use_counters=False)
            assert recount["source"] == "cases"
            assert {str(g["key"][dim]): (g["open"], g["overdue"], g["due_soon"]) for g in counted["groups"]} == {
                str(g["key"][dim]): (g["open"], g["overdue"], g["due_soon"]) for g in recount["groups"]}, (scope, dim)


async def test_bad_dimensions_are_refused(users, known):
    response = await users["bl_supervisor_xy"].get("/api/v1/backlog/summary?group_by=colour")
    assert response.status_code == 400
    village = await users["bl_village_xy"].get("/api/v1/backlog/summary?group_by=division")
    assert village.status_code == 422


@pytest.mark.parametrize("params", [
    {"from": "0001-01-01", "to": "9999-12-31"}, {"to": "0001-01-02"}, {"from": "2026-02-01", "to": "2026-01-01"},
    {"from": "1990-01-01", "to": "2100-01-01"},
])
async def test_absurd_periods_are_refused_not_a_crash(users, params):
    # schemathesis found dates near year 1 overflowing the metrics' date arithmetic.
    for path in ("/api/v1/backlog/metrics", "/api/v1/backlog/trends"):
        response = await users["city_supervisor"].get(path, params=params)
        assert response.status_code == 422, (path, params, response.text[:200])
        assert response.headers["content-type"].startswith("application/problem+json")
