"""Every success answer in the served OpenAPI document has a name: a JSON
answer is a component schema (a msgspec Struct), or a list of them; a file
or CSV answer says its media type and that it is a string. A client
generated from the document (tests/test_generated_client.py) then has a
model for every answer, and ``dict[str, Any]`` cannot come back unnoticed.
"""

from __future__ import annotations

from collections import Counter

import pytest

pytestmark = pytest.mark.asyncio

METHODS = ("get", "put", "post", "delete", "patch")



@pytest.fixture(scope="module")
async def document(anon):
    response = await anon.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def successes(document):
    """(path, method, status, media type, schema) of every 2xx body."""
    for path, item in document["paths"].items():
        for method in METHODS:
            for status, answer in item.get(method, {}).get("responses", {}).items():
                if status.startswith("2"):
                    for media_type, content in (answer.get("content") or {}).items():
                        yield path, method, status, media_type, content.get("schema") or {}


def named(schema: dict) -> bool:
    if "$ref" in schema:
        return True
    return schema.get("type") == "array" and "$ref" in schema.get("items", {})


async def test_every_json_success_answer_is_a_named_schema(document):
    anonymous = [
        f"{method.upper()} {path} {status}: {schema}"
        for path, method, status, media_type, schema in successes(document)
        if media_type == "application/json" and not named(schema)
    ]
    assert not anonymous, "answer these with a msgspec Struct:\n" + "\n".join(anonymous)


async def test_file_and_csv_answers_say_their_media_type_and_that_they_are_strings(document):
    vague = [
        f"{method.upper()} {path} {status} {media_type}: {schema}"
        for path, method, status, media_type, schema in successes(document)
        if media_type != "application/json" and schema.get("type") != "string"
    ]
    assert not vague, "document these with openapi_shapes.operation_with_file_answer:\n" + "\n".join(vague)
    types = {(path, media_type) for path, method, status, media_type, schema in successes(document)}
    assert ("/api/v1/backlog/export.csv", "text/csv; charset=utf-8") in types
    assert ("/api/v1/cases/{reference}/attachments/{attachment_id}/content", "application/octet-stream") in types


async def test_no_two_component_schemas_share_a_title(document):
    """Two structs of one name (cases' BodyRef and supervision's) become two
    components of one title, and a generator drops every answer that uses
    the second."""
    titles = Counter(schema.get("title", name) for name, schema in document["components"]["schemas"].items())
    assert [title for title, n in titles.items() if n > 1] == []
