"""Scope: jurisdiction for everyone, and a mediator's own body's cases only."""

from __future__ import annotations

from casework.access.scope import Scope
from casework.access.service import Principal
from tests.support import dispute
from tests.support_access import ensure_user


async def test_a_mediator_lists_and_reads_only_their_body_s_cases(users, db):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(summary="调解范围"))).json()
    body_code = case["proceeding"]["body"]["code"]
    own = await ensure_user(users, f"mediator_of_{body_code}", "mediator", "140403", body_code)
    other = await ensure_user(users, "mediator_other_body", "mediator", "140403", "140403-NRB")

    assert (await own.get(f"/api/v1/cases/{case['reference']}")).status_code == 200
    assert case["reference"] in [c["reference"] for c in (await own.get("/api/v1/cases")).json()["items"]]
    assert (await other.get(f"/api/v1/cases/{case['reference']}")).status_code == 404
    listed = (await other.get("/api/v1/cases", params={"limit": 200})).json()["items"]
    assert case["reference"] not in [c["reference"] for c in listed]

    # Assigning the case to the other body's mediator brings it into their view.
    await db.execute("UPDATE case_file SET assignee_id = $2 WHERE id = $1", case["id"], users.ids["mediator_other_body"])
    assert (await other.get(f"/api/v1/cases/{case['reference']}")).status_code == 200
    listed = (await other.get("/api/v1/cases", params={"limit": 200})).json()["items"]
    assert case["reference"] in [c["reference"] for c in listed]


async def test_a_clerk_lists_nothing_from_another_district(users):
    foreign = (await users["clerk_other"].get("/api/v1/cases", params={"limit": 200})).json()["items"]
    assert all(c["division_code"].startswith("140404") for c in foreign)
    mine = (await users["clerk"].get("/api/v1/cases", params={"division": "140404"})).json()["items"]
    assert mine == []


async def test_the_row_rule_and_the_sql_rule_agree(users, db):
    """Scope.allows and Scope.sql are the same rule: checked over every case and several principals."""
    await users["clerk"].post("/api/v1/cases", json=dispute())
    principals = [
        Principal(id=users.ids["mediator"], username="m", role="mediator", body_id=None, jurisdiction="140403",
                  token_version=0),
        Principal(id=1, username="c", role="clerk", body_id=None, jurisdiction="140404", token_version=0),
        Principal(id=1, username="s", role="supervisor", body_id=None, jurisdiction="1404", token_version=0),
    ]
    body_ids = [r["body_id"] for r in await db.fetch("SELECT DISTINCT body_id FROM case_file WHERE body_id IS NOT NULL")]
    principals += [Principal(id=999999, username="m", role="mediator", body_id=b, jurisdiction="140403",
                             token_version=0) for b in body_ids]
    rows = await db.fetch("SELECT id, division_code, body_id, assignee_id FROM case_file")
    for principal in principals:
        args: list = []
        sql_ids = {r["id"] for r in await db.fetch(
            f"SELECT c.id FROM case_file c WHERE {Scope.of(principal).sql('c', args)}", *args)}
        assert sql_ids == {r["id"] for r in rows if Scope.of(principal).allows(r)}, principal
