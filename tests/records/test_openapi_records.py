"""A client generated from the OpenAPI document knows what every record
route answers: each success answer of the case's records (sessions,
agreements, judicial confirmations, reconsideration decisions, labour
arbitrations, legal aid, lawsuits) is a named schema, not ``{}``."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.asyncio

METHODS = ("get", "put", "post", "delete", "patch")
RECORD_ROUTE = re.compile(
    r"^/api/v1/cases/\{reference\}/(agreements|judicial-confirmations|reconsideration-decisions|sessions|"
    r"arbitrations|legal-aid|lawsuits)(/|$)")


@pytest.fixture(scope="module")
async def document(anon):
    response = await anon.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def named(schema: dict, components: dict) -> str | None:
    """The component a schema names (itself, or the items of an array of it), or None."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    ref = schema.get("$ref", "")
    name = ref.removeprefix("#/components/schemas/")
    return name if ref.startswith("#/components/schemas/") and name in components else None


async def test_every_record_route_answers_a_named_schema(document):
    components = document["components"]["schemas"]
    checked, unnamed = [], []
    for path, item in document["paths"].items():
        if not RECORD_ROUTE.match(path):
            continue
        for method in METHODS:
            if method not in item:
                continue
            for code, response in item[method]["responses"].items():
                if not code.startswith("2"):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                name = named(schema or {}, components)
                checked.append((method, path, code))
                if name is None:
                    unnamed.append(f"{method.upper()} {path} {code}: {schema}")
                else:
                    # A named schema that is itself an open map would name nothing.
                    assert components[name].get("properties"), (path, name, components[name])
    assert len(checked) >= 36, checked  # the records controllers: 36 operations
    assert not unnamed, "\n".join(unnamed)


async def test_record_answers_name_their_parts(document):
    """The clocks and the objection inside a record answer are named too."""
    components = document["components"]["schemas"]
    agreement = components["AgreementRead"]["properties"]
    assert named(agreement["clocks"], components) == "ClockRead"
    decision = components["DecisionRead"]["properties"]["litigation_window"]
    assert any(named(option, components) == "ClockRead" for option in decision.get("oneOf", [decision]))
    objection = components["LegalAidRead"]["properties"]["objection"]
    assert any(named(option, components) == "LegalAidObjectionRead"
               for option in objection.get("oneOf", [objection]))
    assert named(components["SessionList"]["properties"]["items"], components) == "SessionRead"


async def test_every_kind_of_record_is_read_through_its_two_routes(document):
    """A kind in records.read.KINDS has its words and its list and one-record
    routes, each answering the kind's structs (a kind added to the table but
    given no controller line would have no route)."""
    from casework.records import read, read_routes

    assert set(read_routes._WORDS) == set(read.KINDS)
    components = document["components"]["schemas"]
    for path, kind in read.KINDS.items():
        for route, struct in ((f"/api/v1/cases/{{reference}}/{path}", kind.listing),
                              (f"/api/v1/cases/{{reference}}/{path}/{{record_id}}", kind.record)):
            assert route in document["paths"], route
            answer = document["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            assert named(answer, components) == struct.__name__, (route, answer)
