"""The OpenAPI document as a contract: what Litestar builds, completed.

Litestar documents each route's parameters, body and success answer from
the handler. What it cannot know is added here, once, to the built
document:

- errors: one shared ``Problem`` component (RFC 9457, as casework.errors
  answers) and, on every operation, the statuses it can answer: 401 and 403
  behind a bearer token, 404 on a path naming a resource, 409 and 422 on a
  write, 412 and 428 where If-Match is required (and If-Match marked
  required), 429 on throttled routes, 503 everywhere (a database that does
  not answer), with ``WWW-Authenticate`` and ``Retry-After`` where sent;
- 304 on every GET (``If-None-Match``, middleware.ConditionalGetMiddleware);
- the headers of success answers: ``ETag`` on a case's reads and writes,
  ``Location`` on a registration, and the 200 of an idempotent replay;
- open routes (``auth.OPEN_PATHS``) marked as needing no bearer token;
- short operation ids (``createCase``) from the handler's name;
- the bearer scheme made valid OpenAPI 3.1 (JWTAuth names a header on it).

Litestar offers no public hook over the whole built document, so its
builder is wrapped once (``document_problem_responses``);
tests/test_openapi_contract.py fails if the wrapping stops taking effect.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Parameter,
    Reference,
    Schema,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
WRITES = ("post", "put", "patch", "delete")

ERRORS = {
    400: "The request is malformed: a parameter or body field of the wrong type or shape (`errors` names each).",
    401: "No valid bearer token (sign in at POST /api/v1/auth/token).",
    403: "Your role may not do this (the permission is named).",
    404: "No such resource within your jurisdiction.",
    409: "The resource's state does not allow this now (the problem's `type` says why).",
    412: "The case changed since you read it: reload, then retry with the new ETag.",
    422: "The request is well formed but breaks a rule; `errors` names each field and what is wrong.",
    428: "This write needs If-Match with the ETag from your last read of the case.",
    429: "Too many attempts; wait for Retry-After seconds.",
    503: "The database or a worker is briefly unavailable; retry after Retry-After seconds.",
}
THROTTLED = ("/api/v1/auth/token", "/api/v1/public/")
# Open routes that check credentials of their own (a password, a refresh token).
SIGN_IN = ("/api/v1/auth/token", "/api/v1/auth/refresh")
# Routes that read or write one case answer its ETag.
CASE_PATH = re.compile(r"^/api/v1/cases/\{reference\}")


def problem_schema() -> Schema:
    """RFC 9457 problem details as casework.errors renders them."""
    text = Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.OBJECT,
        title="Problem",
        description="RFC 9457 problem details. `type` is a URI naming the kind of problem; extra members "
                    "(`errors`, `permission`, `etag`...) carry what a client acts on.",
        required=["type", "title", "status"],
        properties={
            "type": text, "title": text, "status": Schema(type=OpenAPIType.INTEGER), "detail": text,
            "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(
                type=OpenAPIType.OBJECT, required=["field", "message"],
                properties={"field": text, "message": text})),
        },
    )


def camel(name: str) -> str:
    head, *rest = name.strip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route_handler: Any, http_method: Any, _path_components: Any) -> str:
    """``create_case`` → ``createCase``; a handler serving several methods
    prefixes the others (``headGetCase``)."""
    name = camel(route_handler.handler_name)
    method = str(getattr(http_method, "value", http_method)).lower()
    if len(route_handler.http_methods) > 1 and method != "get":
        return method + name[:1].upper() + name[1:]
    return name


def _header(description: str, schema_type: OpenAPIType = OpenAPIType.STRING) -> OpenAPIHeader:
    return OpenAPIHeader(schema=Schema(type=schema_type), description=description)


def _error(status: int) -> OpenAPIResponse:
    headers: dict[str, Any] = {}
    if status == 401:
        headers["WWW-Authenticate"] = _header('`Bearer realm="casework"`, with `error="invalid_token"` when the '
                                              "token sent was refused (RFC 6750)")
    if status in (429, 503):
        headers["Retry-After"] = _header("seconds to wait", OpenAPIType.INTEGER)
    return OpenAPIResponse(description=ERRORS[status], headers=headers or None,
                           content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref=PROBLEM_REF))})


def _statuses(path: str, method: str, operation: Any, open_route: bool) -> set[int]:
    statuses = {503}
    if not open_route:
        statuses |= {401, 403}
    if path in SIGN_IN:
        statuses.add(401)
    if "{" in path:
        statuses.add(404)
    if method in WRITES:
        statuses |= {409, 422}
    if any(isinstance(p, Parameter) and p.name == "If-Match" for p in operation.parameters or ()):
        statuses |= {412, 428}
    if path.startswith(THROTTLED):
        statuses.add(429)
    return statuses


def _success_headers(path: str, method: str, operation: Any) -> None:
    for code, response in (operation.responses or {}).items():
        if not str(code).startswith("2") or not isinstance(response, OpenAPIResponse):
            continue
        headers = dict(response.headers or {})
        if CASE_PATH.match(path) or (path == "/api/v1/cases" and method == "post"):
            headers.setdefault("ETag", _header("the case's version; send it back in If-Match to write"))
        if path == "/api/v1/cases" and method == "post":
            headers.setdefault("Location", _header("the new case's URL"))
        response.headers = headers or None


def complete(openapi: Any, is_open: Any) -> Any:
    """Complete the built document (see the module's docstring)."""
    schemas = dict(openapi.components.schemas or {})
    schemas["Problem"] = problem_schema()
    openapi.components.schemas = schemas
    for scheme in (openapi.components.security_schemes or {}).values():
        if getattr(scheme, "type", None) == "http":
            # JWTAuth names its header on an http scheme, which OpenAPI 3.1 does not allow there.
            scheme.name = None
            scheme.description = "A bearer token from POST /api/v1/auth/token (or its refresh)."
    for path, item in (openapi.paths or {}).items():
        open_route = is_open(path)
        for method in METHODS:
            operation = getattr(item, method, None)
            if operation is None:
                continue
            if open_route:
                operation.security = []
            for parameter in operation.parameters or ():
                if isinstance(parameter, Parameter) and parameter.name == "If-Match":
                    parameter.required = True
                    parameter.description = "the ETag of your last read of the case (428 without it, 412 if stale)"
            responses = dict(operation.responses or {})
            for status in _statuses(path, method, operation, open_route):
                responses.setdefault(str(status), _error(status))
            for status, response in responses.items():
                if str(status)[:1] in "45" and isinstance(response, OpenAPIResponse):
                    if int(status) in ERRORS:
                        response.description = ERRORS[int(status)]
                    response.content = {PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref=PROBLEM_REF))}
            if path == "/api/v1/cases" and method == "post" and "201" in responses:
                created = responses["201"]
                responses["200"] = OpenAPIResponse(
                    description="A replay: the same Idempotency-Key and body as a registration already made "
                                "answer that registration again, nothing new is written.",
                    content=created.content, headers=created.headers)
            if method == "get":
                # middleware.ConditionalGetMiddleware: every whole JSON answer has an ETag.
                responses.setdefault("304", OpenAPIResponse(
                    description="Not modified: If-None-Match named the current ETag; no body.",
                    headers={"ETag": _header("the current ETag")}))
            operation.responses = dict(sorted(responses.items()))
            _success_headers(path, method, operation)
    return openapi


def document_problem_responses(_app: Litestar) -> None:
    # Litestar's OpenAPI plugin is internal and slotted, so its builder is
    # wrapped on the class, once; the rest of the document stays Litestar's.
    from litestar._openapi.plugin import OpenAPIPlugin

    from casework.access.matrix import is_open

    build = OpenAPIPlugin._build_openapi
    if getattr(build, "_casework_completed", False):
        return

    def build_completed(self: Any) -> Any:
        return complete(build(self), is_open)

    build_completed._casework_completed = True  # type: ignore[attr-defined]
    OpenAPIPlugin._build_openapi = build_completed  # type: ignore[method-assign]
