"""Turning every exception into RFC 9457 problem+json.

- Litestar's validation errors (bad JSON, wrong types, unknown fields,
  out-of-range values) become 400 with ``errors: [{field, message}]``.
- Other HTTP exceptions keep their status.
- The database being unreachable becomes 503 with Retry-After.
- Anything else is a 500 that is logged with its traceback and tells the
  client only the request id: no stack traces leave the service.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import structlog
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from casework.db import database_unavailable
from casework.problems import TYPE_BASE

log = structlog.get_logger(__name__)

_STATUS_KIND = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 412: "precondition-failed", 413: "request-too-large", 415: "unsupported-media-type",
    428: "precondition-required", 429: "too-many-requests", 503: "unavailable",
}


def _field_of(key: str | None) -> str:
    if not key:
        return "body"
    return key.removeprefix("$.").removeprefix("$") or "body"


_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<name>[^`]+)`")


def _located(key: str | None, message: str) -> dict[str, str]:
    """msgspec names the place in its message (``... - at `$.parties[0].name```);
    Litestar reports the parameter (``data``). Name the field itself."""
    field = _field_of(key)
    if field == "data":
        field = "body"
    found = _AT_PATH.match(message)
    if found:
        message = found["message"]
        field = found["path"].lstrip(".") or field
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        field = f"{field}.{unknown['name']}" if field not in ("body", "") else unknown["name"]
    return {"field": field, "message": message}


def validation_problem(exc: ValidationException) -> ProblemDetailsException:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            errors.append(_located(item.get("key"), str(item.get("message", ""))))
    detail = exc.detail or "invalid request"
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ProblemDetailsException(
        status_code=400, type_=TYPE_BASE + "validation", title="Invalid request",
        detail=detail, extra={"errors": errors or [{"field": "body", "message": detail}]},
    )


def http_problem(exc: HTTPException) -> ProblemDetailsException:
    status = exc.status_code
    kind = _STATUS_KIND.get(status, "error")
    detail = exc.detail
    if isinstance(exc, NotAuthorizedException):
        detail = "a valid bearer token is required"
    return ProblemDetailsException(
        status_code=status, type_=TYPE_BASE + kind, title=kind.replace("-", " ").capitalize(),
        detail=detail, headers=exc.headers,
    )


def _raised_decoding_the_body(exc: Exception) -> bool:
    """Litestar lets RecursionError (JSON nested too deep) and UnicodeDecodeError
    (a body that is not UTF-8) out of its JSON decoder: the client's fault,
    told apart from our own bugs by where it was raised."""
    if not isinstance(exc, (RecursionError, UnicodeDecodeError)):
        return False
    frame = exc.__traceback__
    while frame is not None:
        code = frame.tb_frame.f_code
        if code.co_name in ("decode_json", "json_extractor") and "litestar" in code.co_filename:
            return True
        frame = frame.tb_next
    return False


def unexpected_problem(exc: Exception) -> ProblemDetailsException:
    if _raised_decoding_the_body(exc):
        why = "is nested too deeply" if isinstance(exc, RecursionError) else "is not valid UTF-8"
        return ProblemDetailsException(
            status_code=400, type_=TYPE_BASE + "validation", title="Invalid request",
            detail=f"the request body {why}", extra={"errors": [{"field": "body", "message": why}]},
        )
    if isinstance(exc, asyncpg.exceptions.DataError):
        # A value that passed the schema but that PostgreSQL cannot take: an
        # integer past its column's range, a NUL in text. The client's input,
        # refused before anything commits; the value itself is not echoed.
        log.info("unstorable_value", error=type(exc).__name__)
        message = "holds a value that cannot be stored (a number out of range, or a NUL character)"
        return ProblemDetailsException(
            status_code=422, type_=TYPE_BASE + "validation", title="Invalid request",
            detail=f"the request {message}", extra={"errors": [{"field": "request", "message": message}]},
        )
    if database_unavailable(exc):
        log.warning("database_unavailable", error=type(exc).__name__)
        return ProblemDetailsException(
            status_code=503, type_=TYPE_BASE + "unavailable", title="Service unavailable",
            detail="the database is unavailable; retry shortly", headers={"Retry-After": "5"},
        )
    log.exception("unhandled_error", error=type(exc).__name__)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return ProblemDetailsException(
        status_code=500, type_=TYPE_BASE + "internal", title="Internal error",
        detail=f"an unexpected error occurred; quote request id {request_id}",
        extra={"request_id": request_id},
    )


# Each kind of exception and how it becomes a problem (most specific first).
PROBLEM_OF: dict[type[Exception], Any] = {
    ValidationException: validation_problem,
    HTTPException: http_problem,
    Exception: unexpected_problem,
}


def problem_of(exc: Exception) -> ProblemDetailsException:
    """The problem an exception is answered with, as the plugin would: for
    routes whose contract has an error format of its own (Open311), which
    render the same status and detail their own way."""
    if isinstance(exc, ProblemDetailsException):
        return exc
    for kind, convert in PROBLEM_OF.items():
        if isinstance(exc, kind):
            return convert(exc)
    raise AssertionError("Exception is in PROBLEM_OF")  # pragma: no cover


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=dict(PROBLEM_OF)))
