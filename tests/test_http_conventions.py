"""HTTP conventions a client can rely on: conditional GETs (304), HEAD on
every GET route, the Bearer challenge on every 401, CORS from a setting,
brotli next to gzip."""

from __future__ import annotations

import json
import re
import secrets

import brotli
import httpx
import pytest

from tests.support import act, dispute, on, person
from tests.support_settings import settings_from_env


@pytest.fixture(scope="module")
async def case(users):
    response = await users["clerk"].post("/api/v1/cases", json=dispute())
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_case_read_again_unchanged_is_answered_304_without_a_body(users, case):
    path = f"/api/v1/cases/{case['reference']}"
    first = await users["clerk"].get(path)
    etag = first.headers["etag"]
    again = await users["clerk"].get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers
    other = await users["clerk"].get(path, headers={"If-None-Match": '"0.0"'})
    assert other.status_code == 200 and other.json()["reference"] == case["reference"]


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/queue", "/api/v1/reference", "/health"])
async def test_lists_carry_an_etag_from_their_body_and_answer_304(users, case, path):
    first = await users["clerk"].get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert (await users["clerk"].get(path)).headers["etag"] == etag  # the same page, the same tag
    again = await users["clerk"].get(path, headers={"If-None-Match": f'"stale", {etag}'})
    assert again.status_code == 304 and again.content == b""


async def test_a_list_that_changed_is_sent_again_with_a_new_etag(users):
    etag = (await users["clerk"].get("/api/v1/cases")).headers["etag"]
    assert (await users["clerk"].post("/api/v1/cases", json=dispute())).status_code == 201
    changed = await users["clerk"].get("/api/v1/cases", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


@pytest.mark.parametrize("path", ["/health", "/ready", "/api/v1/cases", "/api/v1/reference"])
async def test_head_is_answered_on_get_routes_with_headers_and_no_body(users, path):
    got = await users["clerk"].get(path)
    head = await users["clerk"].head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["etag"] == got.headers["etag"]
    assert "x-request-id" in head.headers


async def test_head_on_a_case_needs_the_token_like_get(users, anon, case):
    path = f"/api/v1/cases/{case['reference']}"
    assert (await users["clerk"].head(path)).status_code == 200
    refused = await anon.head(path)
    assert refused.status_code == 401 and refused.content == b""
    assert refused.headers["www-authenticate"].startswith("Bearer")


async def test_every_401_carries_the_bearer_challenge(app, anon):
    missing = await anon.get("/api/v1/cases")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="casework"'
    forged = await anon.get("/api/v1/cases", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]
    wrong = await anon.post("/api/v1/auth/token", json={"username": "nobody-here", "password": "wrong-password"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")


async def test_cors_answers_only_the_configured_origins(database):
    from casework.app import create_app

    with settings_from_env(CASEWORK_CORS_ORIGINS="https://desk.example.gov.cn, https://m.example.gov.cn"):
        application = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://casework.test") as c:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type"}
        allowed = await c.options("/api/v1/cases", headers={"Origin": "https://m.example.gov.cn", **preflight})
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == "https://m.example.gov.cn"
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert "x-request-id" in allowed.headers
        refused = await c.options("/api/v1/cases", headers={"Origin": "https://evil.example.com", **preflight})
        assert "access-control-allow-origin" not in refused.headers
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/cors-origin-refused")
        simple = await c.get("/health", headers={"Origin": "https://desk.example.gov.cn"})
        assert simple.headers["access-control-allow-origin"] == "https://desk.example.gov.cn"
        assert "X-Request-ID" in simple.headers["access-control-expose-headers"]
        other = await c.get("/health", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers


async def test_no_cors_when_the_setting_is_empty(anon):
    answer = await anon.options("/api/v1/cases", headers={"Origin": "https://desk.example.gov.cn",
                                                           "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in answer.headers
    assert "x-request-id" in answer.headers


async def test_bodies_are_brotli_compressed_for_clients_that_take_it_and_gzip_for_others(users):
    raw = await users["clerk"].get("/api/v1/reference", headers={"Accept-Encoding": "identity"})
    assert len(raw.content) > 2048
    br = await users["clerk"].get("/api/v1/reference", headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    # httpx decodes br only with the brotli package; compare the decoded body either way
    body = br.content if br.content[:1] in (b"{", b"[") else brotli.decompress(br.content)
    assert body == raw.content
    gz = await users["clerk"].get("/api/v1/reference", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == raw.content


async def test_a_405_has_a_request_id(anon):
    answer = await anon.delete("/health")
    assert answer.status_code == 405
    assert "x-request-id" in answer.headers


# ------------------------------------------------------------------ one timestamp format

_LOOKS_LIKE_A_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def _moments(value, where: str = "$"):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _moments(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _moments(item, f"{where}[{n}]")
    elif isinstance(value, str) and _LOOKS_LIKE_A_MOMENT.match(value):
        yield where, value


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_timestamp_in_every_body_is_rfc3339_utc_with_z(users, db):
    applicant, respondent = person("applicant"), person("respondent")
    first = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, respondent]))).json()
    with on("2026-11-20", "21:30"):  # a moved clock, late in the Beijing day
        second = await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, respondent]))
        assert second.status_code == 201, second.text
        second = second.json()
        assert [r["reference"] for r in second["possible_repeats"]] == [first["reference"]]
        assert (await act(users["village_mediator"], second["reference"], "accept",
                          {"repeat_accepted_reason": "新的排水问题"})).status_code == 200
    # A row written before the format was kept (str(datetime)'s space and +00:00) answers like a new one.
    await db.execute("""INSERT INTO case_event (case_id, type, data) VALUES ($1, 'note_imported', $2::jsonb)""",
                     second["id"], json.dumps({"imported_at": "2026-11-01 02:00:00.5+00:00"}))
    # An admin change is audited by a trigger (to_jsonb of the row: +00:00).
    created = await users["admin"].post("/api/v1/users", json={
        "username": f"audited_{secrets.token_hex(3)}", "password": "pw-audited-clerk", "role": "clerk", "jurisdiction": "140403"})
    assert created.status_code == 201, created.text
    bodies = {
        "audit trail": _ok(await users["admin"].get("/api/v1/audit/events")),
        "detail": _ok(await users["clerk"].get(f"/api/v1/cases/{second['reference']}")),
        "intake answer": second,
        "events": _ok(await users["clerk"].get(f"/api/v1/cases/{second['reference']}/events")),
        "sync page": _ok(await users["clerk"].get("/api/v1/sync/changes")),
        "webhook payloads": [json.loads(p) for p in await db.fetchval(
            "SELECT array_agg(payload::text) FROM outbox WHERE case_id = $1", second["id"])],
    }
    seen = {name: list(_moments(body)) for name, body in bodies.items()}
    assert all(seen.values()), seen  # each body has timestamps to check
    wrong = {name: [(w, v) for w, v in found if not _RFC3339_UTC.match(v)] for name, found in seen.items()}
    assert wrong == {name: [] for name in bodies}
