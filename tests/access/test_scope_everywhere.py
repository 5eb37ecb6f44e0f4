"""One visibility rule on every list, feed, count, export and lookup: each
role is asked every list-like route, and sees exactly the cases the rule
(access.scope.Scope) gives it, bodies included, and counts no others.

Wuxiang county (140429) is this module's own: a neighbour dispute with the
village mediation committee and a petition with the county petition
bureau, registered on 2027-02-01 and read 100 days later (both overdue).
"""

from __future__ import annotations

import pytest

from casework import timeutil
from casework.access.scope import Scope
from tests.support import dispute, petition
from tests.support_access import ensure_user

COUNTY = "140429"
REGISTERED = "2027-02-01T10:00:00+08:00"
LATER = "2027-05-12T10:00:00+08:00"

PEOPLE = [
    ("scope_clerk_wx", "clerk", COUNTY, "140429-ROL"),
    ("scope_mediator_wx", "mediator", COUNTY, "140429-PMC"),
    ("scope_other_mediator_wx", "mediator", COUNTY, "140429-NRB"),
    ("scope_officer_wx", "officer", COUNTY, "140429-PB"),
    ("scope_supervisor_city", "supervisor", "1404", "CZ-PB"),
    ("scope_auditor_city", "auditor", "1404", None),
    ("scope_admin_province", "admin", "14", None),
    ("scope_clerk_elsewhere", "clerk", "140404", "140404-ROL"),
]


@pytest.fixture(scope="module")
async def wuxiang(users, db):
    for name, role, jurisdiction, body in PEOPLE:
        await ensure_user(users, name, role, jurisdiction, body)
    clerk = users["scope_clerk_wx"]
    with timeutil.travel_to(REGISTERED):
        made = [
            await clerk.post("/api/v1/cases", json=dispute(division_code="140429000000", summary="武乡邻里纠纷")),
            await clerk.post("/api/v1/cases", json=petition(division_code="140429000000", summary="武乡信访事项")),
        ]
    for response in made:
        assert response.status_code == 201, response.text
    rows = await db.fetch("SELECT id, reference, kind, division_code, body_id, assignee_id FROM case_file "
                          "WHERE division_code LIKE '140429%'")
    from casework.access.service import principal_by_id

    users.principals = {name: (await principal_by_id(users.ids[name]))[0] for name, *_ in PEOPLE}
    return {r["reference"]: dict(r) for r in rows}


def _visible(users, name: str, cases: dict) -> set[str]:
    """What the rule gives ``name``: their Scope over the module's cases."""
    return {ref for ref, row in cases.items() if Scope.of(users.principals[name]).allows(row)}


def _references(text: str, cases: dict) -> set[str]:
    return {ref for ref in cases if ref in text}


async def _drain_sync(client) -> str:
    seen, cursor = [], None
    while True:
        response = await client.get("/api/v1/sync/changes", params={"limit": 500} | ({"since": cursor} if cursor else {}))
        if response.status_code != 200:
            return response.text
        body = response.json()
        seen.append(response.text)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return "\n".join(seen)


LISTS = {
    "cases": ("GET", "/api/v1/cases", {"division": COUNTY, "limit": 200}),
    "cases_csv": ("GET", "/api/v1/cases/export.csv", {"division": COUNTY}),
    "overdue": ("GET", "/api/v1/backlog/overdue", {"division": COUNTY, "limit": 200}),
    "backlog_csv": ("GET", "/api/v1/backlog/export.csv", {"division": COUNTY, "list": "open"}),
    "audit": ("GET", "/api/v1/audit/events", {"limit": 500, "since": "2027-01-31T00:00:00Z"}),
}


@pytest.mark.parametrize("route", sorted(LISTS) + ["sync", "queue"])
@pytest.mark.parametrize("who", [p[0] for p in PEOPLE])
async def test_every_list_names_exactly_the_cases_in_scope(users, wuxiang, route, who):
    expected = _visible(users, who, wuxiang)
    client = users[who]
    with timeutil.travel_to(LATER):
        if route == "sync":
            text = await _drain_sync(client)
        elif route == "queue":
            response = await client.get("/api/v1/queue", params={"limit": 200})
            text = response.text if response.status_code == 200 else ""
        else:
            _, path, params = LISTS[route]
            response = await client.get(path, params=params)
            assert response.status_code in (200, 403), response.text
            text = response.text if response.status_code == 200 else None
    if text is None:
        return  # the role may not use this route at all
    named = _references(text, wuxiang)
    if route == "queue":
        assert named <= expected  # the queue is narrower still: assigned or the body's
    elif route == "audit":
        assert named == (expected if "audit" in _permissions(who) else set())
    else:
        assert named == expected, (route, who)


def _permissions(who: str) -> set[str]:
    from casework.access.policy import matrix

    role = next(p[1] for p in PEOPLE if p[0] == who)
    return {perm.split(".")[0] for perm, roles in matrix().items() if role in roles}


@pytest.mark.parametrize("who", [p[0] for p in PEOPLE])
async def test_every_count_counts_exactly_the_cases_in_scope(users, wuxiang, who):
    expected = _visible(users, who, wuxiang)
    petitions = {ref for ref in expected if wuxiang[ref]["kind"] == "petition"}
    client = users[who]
    period = {"from": "2027-02-01", "to": "2027-02-28", "division": COUNTY}
    with timeutil.travel_to(LATER):
        summary = await client.get("/api/v1/backlog/summary", params={"group_by": "track", "division": COUNTY})
        if summary.status_code == 403:
            return
        assert summary.json()["totals"] == {"open": len(expected), "overdue": len(expected), "due_soon": 0}
        by_body = (await client.get("/api/v1/backlog/summary",
                                    params={"group_by": "body", "division": COUNTY})).json()
        assert sum(g["open"] for g in by_body["groups"]) == len(expected)
        aging = (await client.get("/api/v1/backlog/aging", params={"division": COUNTY})).json()
        assert sum(b["open"] for b in aging["buckets"]) == len(expected)
        trends = (await client.get("/api/v1/backlog/trends", params={**period, "interval": "month"})).json()
        assert sum(p["intake"]["total"] for p in trends["periods"]) == len(expected)
        metrics = (await client.get("/api/v1/backlog/metrics", params=period)).json()
        assert metrics["repeat_petition_rate"]["petitions"] == len(petitions)
        ranked = (await client.get("/api/v1/backlog/rankings", params={**period, "by": "body"})).json()
        assert (ranked["totals"]["open"], ranked["totals"]["overdue"]) == (len(expected), len(expected))


async def test_the_rule_gives_the_mediators_what_their_bodies_hold(users, wuxiang):
    """The expectations above are not vacuous: the village committee's mediator
    sees the dispute and not the petition; the other body's sees neither."""
    dispute_ref = next(r for r, row in wuxiang.items() if row["kind"] == "dispute")
    assert _visible(users, "scope_mediator_wx", wuxiang) == {dispute_ref}
    assert _visible(users, "scope_other_mediator_wx", wuxiang) == set()
    assert _visible(users, "scope_clerk_wx", wuxiang) == set(wuxiang)
    assert _visible(users, "scope_clerk_elsewhere", wuxiang) == set()


async def test_a_possible_repeat_with_another_body_is_named_to_nobody_outside_it(users):
    from tests.support import person

    applicant, respondent = person("applicant"), person("respondent")
    clerk = users["clerk"]
    first = (await clerk.post("/api/v1/cases", json=dispute(parties=[applicant, respondent],
                                                             summary="重复候选一"))).json()
    # The mediator of another body registers the same matter again.
    other_body = await ensure_user(users, "repeat_mediator_nrb", "mediator", "140403", "140403-NRB")
    second = await other_body.post("/api/v1/cases", json=dispute(parties=[applicant, respondent],
                                                                  summary="重复候选二",
                                                                  division_code="140403100202"))
    assert second.status_code == 201, second.text
    assert first["reference"] not in second.text  # not in the receipt, not in possible_repeats
    # The clerk, who sees both, is told of the first in the second's detail.
    detail = (await clerk.get(f"/api/v1/cases/{second.json()['reference']}")).json()
    assert [r["reference"] for r in detail["possible_repeats"]] == [first["reference"]]
    events = (await clerk.get(f"/api/v1/cases/{second.json()['reference']}/events")).json()["items"]
    registered = next(e for e in events if e["type"] == "case_registered")
    assert registered["data"]["possible_repeat_count"] == 1 and first["reference"] not in str(registered)


async def test_the_audit_trail_shows_an_admin_s_changes_only_where_they_lie(users):
    body = (await users["admin"].get("/api/v1/bodies", params={"division": "140404"})).json()["items"][0]
    payload = {"name_zh": body["name_zh"], "kind": body["kind"], "division_code": body["division_code"],
               "name_en": body["name_en"] + " ", "remit": body["remit"], "active": True}
    assert (await users["admin"].put(f"/api/v1/bodies/{body['code']}", json=payload)).status_code == 200
    luzhou_auditor = await ensure_user(users, "luzhou_auditor_scope", "auditor", "140403")
    shangdang_auditor = await ensure_user(users, "shangdang_auditor_scope", "auditor", "140404")
    params = {"source": "admin", "action": "body.update", "limit": 500}
    assert body["code"] not in (await luzhou_auditor.get("/api/v1/audit/events", params=params)).text
    assert body["code"] in (await shangdang_auditor.get("/api/v1/audit/events", params=params)).text
