"""Request id and access log; the request body's deadline (ASGI middleware).

The request id comes from ``X-Request-ID`` when the client sends a sane one,
otherwise a new one; it is bound into structlog's context for every log
line of the request and returned in the response header. The access log
carries method, route, status and duration: never bodies or query strings
(they may hold personal data).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from casework.problems import Problem

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


class BodyDeadlineMiddleware:
    """A request's body must arrive whole within ``seconds`` of its head.

    uvicorn waits for a stalled body as long as the client keeps the
    connection open; here each ``receive`` is bounded by what is left of the
    deadline, and when it passes the handler reading the body gets a 408
    problem (rendered like any other, with ``Connection: close`` so the
    half-read connection is not reused). Once the last body chunk is in,
    ``receive`` is passed through untouched (it then only waits for a
    disconnect). The head's deadline is the server's (``casework.serving``).
    A file upload (a route with ``opt={"upload": True}``) has its own, longer
    deadline (``upload_seconds``).
    """

    def __init__(self, app: ASGIApp, seconds: float, upload_seconds: float | None = None) -> None:
        self.app = app
        self.seconds = seconds
        self.upload_seconds = upload_seconds if upload_seconds is not None else seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler") if scope["type"] == "http" else None
        seconds = self.upload_seconds if handler is not None and handler.opt.get("upload") else self.seconds
        if scope["type"] != "http" or seconds <= 0:
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + seconds
        body_complete = False

        async def receive_in_time() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise Problem(408, "request-timeout", "Request Timeout",
                              f"the request body did not arrive within {seconds:g} s",
                              headers={"Connection": "close"}) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        await self.app(scope, receive_in_time, send)
