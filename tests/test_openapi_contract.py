"""The OpenAPI document is a contract a client can be generated from: it
validates, every operation documents its errors with the one Problem schema,
success answers are named schemas, and the docs page renders it."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.asyncio

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
async def document(anon):
    response = await anon.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


async def test_the_served_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_every_operation_documents_its_errors_with_the_one_problem_schema(document):
    """If the completion of the built document stopped taking effect (it wraps
    a Litestar internal), this fails."""
    assert "Problem" in document["components"]["schemas"]
    missing = []
    for path, method, operation in operations(document):
        codes = set(operation["responses"])
        expected = {"503"}
        if operation.get("security") != []:
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected |= {"409", "422"}
        if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
            expected |= {"412", "428"}
            assert all(p["required"] for p in operation["parameters"] if p["name"] == "If-Match"), path
        if not expected <= codes:
            missing.append(f"{method.upper()} {path}: {sorted(expected - codes)}")
        for code, response in operation["responses"].items():
            if code[0] in "45":
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (path, method, code)
    assert not missing, "\n".join(missing)


async def test_open_routes_need_no_token_and_others_a_bearer_token(document):
    assert document["security"] == [{"BearerToken": []}]
    by_path = {(p, m): op for p, m, op in operations(document)}
    for path, method in [("/health", "get"), ("/api/v1/auth/token", "post"), ("/ready", "get")]:
        assert by_path[(path, method)]["security"] == [], path
    assert "security" not in by_path[("/api/v1/cases", "post")]
    created = by_path[("/api/v1/cases", "post")]["responses"]
    assert {"ETag", "Location"} <= set(created["201"]["headers"]) and "200" in created
    assert "WWW-Authenticate" in by_path[("/api/v1/cases", "post")]["responses"]["401"]["headers"]
    assert "Retry-After" in by_path[("/api/v1/auth/token", "post")]["responses"]["429"]["headers"]


async def test_operation_ids_are_short_and_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert {"createCase", "getCase", "listCases", "acceptAction", "changes"} & set(ids) >= {
        "createCase", "getCase", "listCases", "acceptAction"}
    assert all(i[:1].islower() and "_" not in i for i in ids), [i for i in ids if "_" in i]


@pytest.mark.heavy
async def test_the_docs_page_renders_the_document_from_local_files(live_server, browser):
    """Swagger UI 5 (it reads OpenAPI 3.1) from /static/swagger: no internet."""
    browser.get(live_server + "/schema/swagger")
    deadline = time.monotonic() + 20
    operations_shown: list = []
    while time.monotonic() < deadline:
        operations_shown = browser.find_elements("css selector", ".opblock-summary-path")
        if len(operations_shown) > 20:
            break
        time.sleep(0.2)
    texts = {element.text.replace("\u200b", "") for element in operations_shown}
    assert "/api/v1/cases" in texts, browser.page_source[:2000]
    assert "/api/v1/cases/{reference}/actions/accept" in texts
    assert not browser.find_elements("css selector", ".errors-wrapper"), "Swagger UI reports errors"
    scripts = [e.get_attribute("src") for e in browser.find_elements("css selector", "script[src]")]
    assert scripts and all(s.startswith(live_server) for s in scripts), scripts
