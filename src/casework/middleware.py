"""Request id and access log (ASGI middleware).

The request id comes from ``X-Request-ID`` when the client sends a sane one,
otherwise a new one; it is bound into structlog's context for every log
line of the request and returned in the response header. The access log
carries method, route, status and duration: never bodies or query strings
(they may hold personal data).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("casework.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = supplied if supplied and _SANE_ID.match(supplied) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=_route_of(scope),
                status=status["code"],
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()


def _route_of(scope: Scope) -> str:
    # The route template (/api/v1/cases/{reference:str}), set by Litestar's
    # router: low cardinality, and nothing of the request's own values.
    return scope.get("path_template") or scope.get("path", "")
