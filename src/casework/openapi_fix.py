"""Make the served OpenAPI document say what errors really are.

Litestar documents every error response (its generated 400 for validation)
as ``application/json``; this service answers errors as RFC 9457
``application/problem+json`` (casework.errors). schemathesis flagged the
mismatch (tests/reliability/test_schemathesis.py). Litestar has no setting
for an error media type, so the built document is corrected once, here.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

PROBLEM_JSON = "application/problem+json"


def problem_schema() -> Any:
    """RFC 9457 problem details as casework.errors renders them."""
    from litestar.openapi.spec import OpenAPIType, Schema

    text = Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["type", "title", "status"],
        properties={
            "type": text, "title": text, "status": Schema(type=OpenAPIType.INTEGER), "detail": text,
            "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(
                type=OpenAPIType.OBJECT, properties={"field": text, "message": text})),
        },
    )


def _correct(openapi: Any) -> Any:
    from litestar.openapi.spec import OpenAPIMediaType

    for path_item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            operation = getattr(path_item, method, None)
            if operation is None or not operation.responses:
                continue
            for status, response in operation.responses.items():
                content = getattr(response, "content", None)
                if str(status)[:1] in ("4", "5") and content is not None:
                    response.content = {PROBLEM_JSON: OpenAPIMediaType(schema=problem_schema())}
    return openapi


def document_problem_responses(_app: Litestar) -> None:
    # Litestar's OpenAPI plugin is internal and slotted, so its builder is
    # wrapped on the class, once; the rest of the document stays Litestar's.
    from litestar._openapi.plugin import OpenAPIPlugin

    build = OpenAPIPlugin._build_openapi
    if getattr(build, "_casework_problem_json", False):
        return

    def build_corrected(self: Any) -> Any:
        return _correct(build(self))

    build_corrected._casework_problem_json = True  # type: ignore[attr-defined]
    OpenAPIPlugin._build_openapi = build_corrected  # type: ignore[method-assign]
