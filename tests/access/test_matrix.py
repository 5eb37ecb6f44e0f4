"""The role x permission matrix, checked cell by cell against the live app.

Routes are read from the app (``access.matrix.api_routes``), so a route
added on any branch is covered here the moment it is merged: it must name a
permission of ``policy.json``, every role is tried on it, and if it is
case-scoped it is tried against a case in another jurisdiction.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.access.matrix import api_routes, role_table_markdown, route_table_markdown
from casework.access.policy import ROLES, allowed, matrix
from casework.app import create_app
from tests.support import dispute
from tests.support_access import ensure_user

ROUTES = api_routes(create_app())
GUARDED = [r for r in ROUTES if not r.open]
CASE_SCOPED = [r for r in GUARDED if r.case_scoped]
# One signed-in user per role, Luzhou district (140403) unless the role's standard user is wider.
ROLE_USER = {"clerk": "clerk", "mediator": "mediator", "officer": "officer", "supervisor": "supervisor",
             "admin": "admin", "auditor": "auditor"}
MISSING_REFERENCE = "140403-1999-999999"
PROBE_BODY = {"matrix_probe": True}  # refused by every Struct (forbid_unknown_fields): no side effects
DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def _path(route, reference: str = MISSING_REFERENCE) -> str:
    path = route.path
    for name, kind in route.path_params:
        value = reference if name == "reference" else ("999999999" if kind is int else "no-such-thing")
        path = path.replace("{" + name + "}", value)
    return path


async def _call(client, route, reference: str = MISSING_REFERENCE):
    kwargs = {"json": PROBE_BODY} if route.method in ("POST", "PUT", "PATCH") else {}
    return await client.request(route.method, _path(route, reference), **kwargs)


def _ids(route) -> str:
    return f"{route.method} {route.path}"


def test_every_api_route_names_a_permission_of_the_matrix():
    unguarded = [_ids(r) for r in GUARDED if not r.permissions]
    assert not unguarded, f"routes without requires(permission): {unguarded}"
    unknown = {p for r in GUARDED for p in r.permissions} - set(matrix())
    assert not unknown, f"permissions missing from access/data/policy.json: {unknown}"


def test_the_open_routes_are_exactly_sign_in_refresh_the_party_lookup_and_online_filing():
    # refresh: an offline phone's access token has expired; its refresh token is checked instead
    open_routes = {_ids(r) for r in ROUTES if r.open and not r.path.startswith("/api/v1/integrations/")}
    assert open_routes == {"POST /api/v1/auth/token", "POST /api/v1/auth/refresh", "POST /api/v1/public/lookup",
                           "POST /api/v1/public/feedback", "POST /api/v1/public/applications",
                           "GET /api/v1/public/challenge", "GET /api/v1/public/places"}


def test_the_policy_names_exactly_the_six_roles():
    import json
    from importlib import resources

    raw = json.loads(resources.files("casework.access").joinpath("data", "policy.json").read_text("utf-8"))
    assert tuple(raw["roles"]) == ROLES
    assert all(set(roles) <= set(ROLES) for roles in raw["permissions"].values())


def test_an_auditor_reads_and_changes_nothing():
    for permission, roles in matrix().items():
        if "auditor" in roles:
            # Exports are reads too (GET, nothing changes).
            assert permission.endswith((".read", ".export")) or permission in {"session.use", "case.reveal_personal"}, \
                permission


def test_docs_access_md_carries_the_matrix_and_every_route():
    text = DOC.read_text("utf-8")
    fix = "regenerate with `casework access-matrix` and paste into docs/access.md"
    assert role_table_markdown() in text, f"the role table in docs/access.md is stale: {fix}"
    assert route_table_markdown(create_app()) in text, f"the route table in docs/access.md is stale: {fix}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", GUARDED, ids=_ids)
async def test_matrix_cell(users, route, role):
    client = users[ROLE_USER[role]]
    response = await _call(client, route)
    holds = all(allowed(role, p) for p in route.permissions)
    if holds:
        assert response.status_code != 401, response.text
        refused_by_matrix = response.status_code == 403 and response.json().get("permission") in route.permissions
        assert not refused_by_matrix, f"{role} should be allowed {_ids(route)}: {response.text}"
    else:
        assert response.status_code == 403, f"{role} should be refused {_ids(route)}: {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["permission"] in route.permissions


@pytest.mark.parametrize("route", GUARDED, ids=_ids)
async def test_no_token_is_401(anon, route):
    response = await _call(anon, route)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


# ------------------------------------------------------------ out of scope

@pytest.fixture(scope="module")
async def foreign_case(users):
    """A case in Shangdang district (140404), outside every Luzhou (140403) user's jurisdiction."""
    response = await users["clerk_other"].post("/api/v1/cases", json=dispute(division_code="140404100201"))
    if response.status_code != 201:  # no sample village there: take the first 140404 division
        divisions = (await users["clerk_other"].get("/api/v1/divisions", params={"prefix": "140404"})).json()
        code = next(d["code"] for d in divisions["items"] if len(d["code"]) == 12 and d["level"] >= 4)
        response = await users["clerk_other"].post("/api/v1/cases", json=dispute(division_code=code))
    assert response.status_code == 201, response.text
    return response.json()


async def _luzhou_user(users, role: str):
    # The standard admin (14) and auditor (1404) cover Shangdang; these do not.
    if role in ("admin", "auditor"):
        return await ensure_user(users, f"luzhou_{role}", role, "140403")
    return users[ROLE_USER[role]]


# Roles the matrix refuses get 403 before scope is considered (test_matrix_cell).
SCOPED_CELLS = [(route, role) for route in CASE_SCOPED for role in ROLES
                if all(allowed(role, p) for p in route.permissions)]


@pytest.mark.parametrize(("route", "role"), SCOPED_CELLS, ids=[f"{_ids(r)}-{role}" for r, role in SCOPED_CELLS])
async def test_a_case_in_another_jurisdiction_is_a_missing_case(users, db, foreign_case, route, role):
    client = await _luzhou_user(users, role)
    before = await db.fetchrow(
        "SELECT version, (SELECT count(*) FROM case_event WHERE case_id = $1) AS events FROM case_file WHERE id = $1",
        foreign_case["id"],
    )
    foreign = await _call(client, route, foreign_case["reference"])
    missing = await _call(client, route, MISSING_REFERENCE)
    assert foreign.status_code == 404, foreign.text
    assert (foreign.status_code, foreign.json(), foreign.headers["content-type"]) == (
        missing.status_code, missing.json(), missing.headers["content-type"])
    after = await db.fetchrow(
        "SELECT version, (SELECT count(*) FROM case_event WHERE case_id = $1) AS events FROM case_file WHERE id = $1",
        foreign_case["id"],
    )
    assert dict(after) == dict(before), "an out-of-scope attempt changed the case"


@pytest.mark.parametrize("route", [r for r in CASE_SCOPED if all(allowed("mediator", p) for p in r.permissions)],
                         ids=_ids)
async def test_a_mediator_of_another_body_sees_a_case_as_missing(users, route):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    other = await ensure_user(users, "mediator_other_body", "mediator", "140403", "140403-NRB")
    assert case["proceeding"]["body"]["code"] != "140403-NRB"
    foreign = await _call(other, route, case["reference"])
    missing = await _call(other, route, MISSING_REFERENCE)
    assert foreign.status_code == 404
    assert foreign.json() == missing.json()
