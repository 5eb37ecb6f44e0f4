"""Health, readiness, the schema and its docs page, request ids, auth."""

from __future__ import annotations

import os
import re


async def test_health_and_ready_are_open(anon):
    assert (await anon.get("/health")).json() == {"status": "ok"}
    ready = await anon.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_the_schema_and_its_docs_page_need_no_internet(anon):
    schema = await anon.get("/schema/openapi.json")
    assert schema.status_code == 200 and "/api/v1/cases" in schema.json()["paths"]
    page = await anon.get("/schema/swagger")
    assert page.status_code == 200
    assert "https://" not in page.text.split("<body")[0].replace("https://casework", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert f"/static/swagger/{asset}" in page.text
        assert (await anon.get(f"/static/swagger/{asset}")).status_code == 200


async def test_api_routes_need_a_token(anon):
    response = await anon.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    bad = await anon.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


async def test_wrong_password_is_a_401_problem(anon):
    response = await anon.post("/api/v1/auth/token", json={"username": "clerk", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("invalid-credentials")


async def test_the_request_id_goes_in_and_out(users):
    response = await users["clerk"].get("/api/v1/reference", headers={"X-Request-ID": "station-42.abc"})
    assert response.headers["x-request-id"] == "station-42.abc"
    generated = await users["clerk"].get("/api/v1/reference")
    again = await users["clerk"].get("/api/v1/reference")
    ids = {generated.headers["x-request-id"], again.headers["x-request-id"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    refused = await users["clerk"].get("/api/v1/reference", headers={"X-Request-ID": "bad id with spaces"})
    assert refused.headers["x-request-id"] not in ids | {"bad id with spaces"}


def test_a_forked_worker_draws_request_ids_of_its_own():
    """Ids are a per-process random prefix and a counter: a child forked from
    a process that already drew ids must not repeat them."""
    from casework.middleware import _request_ids

    before = _request_ids.new()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its first id, then out without running pytest's teardown
        os.write(write, _request_ids.new().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    in_child = os.read(read, 64).decode()
    os.close(read)
    after = _request_ids.new()
    assert before[:20] == after[:20] and int(after[20:], 16) == int(before[20:], 16) + 1
    assert in_child[:20] != before[:20] and len(in_child) == 32


async def test_logs_carry_no_personal_data(users, capfd):
    from tests.support import dispute, person

    applicant = person(name="王秘密", phone="13900001111")
    await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, person("respondent")]))
    await users["clerk"].post("/api/v1/cases", json=dispute(parties=[{**applicant, "phone": "1"},
                                                                       person("respondent")]))
    out, err = capfd.readouterr()
    logs = out + err
    for secret in ("王秘密", "13900001111", applicant["id_number"]):
        assert secret not in logs


async def test_reference_data_is_readable(users):
    ref = (await users["clerk"].get("/api/v1/reference")).json()
    assert {c["code"] for c in ref["categories"]} >= {"rural_land_acquisition", "neighbour", "other"}
    limits = {t["code"]: t for t in ref["time_limits"]}
    assert limits["reconsideration.acceptance_review"]["unit"] == "working_days"
    assert "art. 30" in limits["reconsideration.acceptance_review"]["source"]
    divisions = (await users["clerk"].get("/api/v1/divisions", params={"prefix": "1404"})).json()["items"]
    assert {"140403000000", "140431000000"} <= {d["code"] for d in divisions}
    bodies = (await users["clerk"].get("/api/v1/bodies", params={"kind": "court"})).json()["items"]
    assert any(b["code"] == "140403-COURT" for b in bodies)
