"""Request id and access log; HTTP conventions; the request body's deadline (ASGI middleware).

The request id comes from ``X-Request-ID`` when the client sends a sane one,
otherwise a new one; it is bound into structlog's context for every log
line of the request and returned in the response header. The access log
carries method, route, status and duration: never bodies or query strings
(they may hold personal data).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import time

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from casework import reads, telemetry
from casework.problems import TYPE_BASE, Problem

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class _RequestIds:
    """New request ids: 32 hex characters, like a UUID's, from a random
    per-process prefix (80 bits) and a counter. A uuid4 per request reads
    the kernel's random source each time, 3 of the microseconds a
    ``GET /health`` costs; the prefix is drawn again in a forked child, so
    two workers never share one."""

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = secrets.token_hex(10)
        self._count = itertools.count()

    def new(self) -> str:
        return f"{self._prefix}{next(self._count) & 0xFFFFFFFFFFFF:012x}"


_request_ids = _RequestIds()


class RequestContextMiddleware:
    """The request id (bound into structlog's context, returned in
    ``X-Request-ID``) and the access-log line, for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Bound now, after configure_logging: a module-level proxy would
        # resolve itself on every call. Fields are computed only when the
        # configured level writes the line (the bench and many deployments
        # run at WARNING).
        self.log = structlog.get_logger("casework.access").bind()
        self.log_requests = self.log.is_enabled_for(logging.INFO)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = supplied if supplied and _SANE_ID.match(supplied) else _request_ids.new()
        encoded_id = request_id.encode()
        method = scope["method"]  # before HeadAsGetMiddleware answers HEAD as GET
        # Reset, not cleared, at the end: uvicorn runs each request in a task
        # of its own, so there is nothing before it to clear; an in-process
        # client (the tests) gets its context back as it was.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        traced: dict[str, str] = {}

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # The request's span is current while its answer starts (the
                # tracing middleware runs inside this one): its ids go on the
                # access-log line written after it ended.
                if self.log_requests:
                    traced.update(telemetry.current_ids())
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", encoded_id)]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_requests:
                self.log.info("request", method=method, path=_route_of(scope), status=status,
                              ms=round((time.perf_counter() - started) * 1000, 1), **traced)
            structlog.contextvars.reset_contextvars(**tokens)


def _route_of(scope: Scope) -> str:
    # The route template (/api/v1/cases/{reference:str}), set by Litestar's
    # router: low cardinality, and nothing of the request's own values.
    return scope.get("path_template") or scope.get("path", "")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadYourWritesMiddleware:
    """Read routing's part of each request (casework.reads), while it is on:
    the request's read position (what its routed reads must see), and,
    after a signed-in caller's write request, the caller's new position
    noted on the primary before the answer starts, so the caller's next
    request, on any instance, reads nothing older than this write."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not reads.enabled():
            await self.app(scope, receive, send)
            return
        writes = scope["method"] not in SAFE_METHODS

        async def send_after_noting(message: Message) -> None:
            if writes and message["type"] == "http.response.start":
                user_id = getattr(scope.get("user"), "id", None)  # set by the JWT middleware
                if isinstance(user_id, int):
                    await reads.note_write(user_id)
            await send(message)

        with reads.request_scope():
            await self.app(scope, receive, send_after_noting)


class HeadAsGetMiddleware:
    """HEAD on every GET route: the GET's status and headers, no body.

    Litestar 2 answers HEAD only where a handler declares it (``@head``, which
    must return no body) and 405 elsewhere; declaring ``http_method=["GET",
    "HEAD"]`` on each handler would send the body on HEAD too. So HEAD is
    run as GET here, ahead of routing, and the body is dropped on the way
    out (Content-Length stays the GET's, as RFC 9110 9.3.2 allows). The
    scope is changed in place so that the guards and the JWT middleware
    (which lets HEAD through unauthenticated) treat it as the GET it is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"
        finished = False

        async def send_head(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                if finished:
                    return
                if message.get("more_body", False):
                    return  # a streamed body: nothing of it goes out
                finished = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_head)


class BearerChallengeMiddleware:
    """Every 401 says how to authenticate (RFC 6750 section 3): ``Bearer``,
    with ``error="invalid_token"`` when the request carried a bearer token
    that was refused (expired, revoked, forged), without an error code when
    it carried none. Here rather than in each place that answers 401 (the
    JWT middleware, sign-in, refresh) so none can forget it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        had_token = any(name == b"authorization" and value[:7].lower() == b"bearer "
                        for name, value in scope.get("headers", []))
        challenge = b'Bearer realm="casework", error="invalid_token"' if had_token else b'Bearer realm="casework"'

        async def send_with_challenge(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"www-authenticate" for name, _ in headers):
                    headers.append((b"www-authenticate", challenge))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_challenge)


class RefusedPreflightMiddleware:
    """Litestar answers a preflight from an origin not in ``CASEWORK_CORS_ORIGINS``
    with 400 ``text/plain`` ("Disallowed CORS Origin"); every error here is
    RFC 9457, so that one is rewritten as a problem naming the origin rule."""

    _BODY = json.dumps({"type": TYPE_BASE + "cors-origin-refused", "title": "Bad request", "status": 400,
                        "detail": "this origin may not call the API from a browser (CASEWORK_CORS_ORIGINS)"}).encode()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def send_problem(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 400:
                held = message
                return
            if held is not None and message["type"] == "http.response.body":
                start, held = held, None
                if message.get("body", b"") == b"Disallowed CORS Origin":
                    headers = [(n, v) for n, v in start.get("headers", [])
                               if n.lower() not in (b"content-type", b"content-length")]
                    headers += [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(self._BODY)).encode())]
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": self._BODY, "more_body": False})
                    return
                await send(start)
            await send(message)

        await self.app(scope, receive, send_problem)


_NOT_IN_304 = {b"content-length", b"content-type", b"content-encoding", b"transfer-encoding"}


def _tags(header: str) -> set[str]:
    # Weak comparison (RFC 9110 8.8.3.2): W/"x" and "x" match.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class ConditionalGetMiddleware:
    """ETag on every whole JSON answer to a GET, 304 for ``If-None-Match``.

    A route that sets its own ETag (the case detail: id and version) keeps
    it; any other JSON answer (lists, queues, reference data) gets a weak
    ETag from a hash of its body. Sits inside compression, so the tag is the
    content's whatever the encoding. Streamed answers (exports, downloads)
    pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        wanted = None
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                wanted = value.decode("latin-1")
        start: Message | None = None

        async def send_tagged(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                json_answer = any(n.lower() == b"content-type" and b"json" in v for n, v in headers)
                if message["status"] == 200 and json_answer:
                    start = message  # held until the body shows whether it is whole
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and start is not None:
                held, start = start, None
                if message.get("more_body", False):
                    await send(held)  # streamed: not tagged
                    await send(message)
                    return
                await self._answer(held, message, wanted, send)
                return
            await send(message)

        await self.app(scope, receive, send_tagged)

    @staticmethod
    async def _answer(start: Message, body: Message, wanted: str | None, send: Send) -> None:
        headers = list(start.get("headers", []))
        tag = next((v.decode("latin-1") for n, v in headers if n.lower() == b"etag"), None)
        if tag is None:
            tag = 'W/"' + hashlib.blake2b(body.get("body", b""), digest_size=16).hexdigest() + '"'
            headers.append((b"etag", tag.encode()))
        if wanted is not None and (wanted.strip() == "*" or tag.removeprefix("W/") in _tags(wanted)):
            kept = [(n, v) for n, v in headers if n.lower() not in _NOT_IN_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({**start, "headers": headers})
        await send(body)


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
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        seconds = self.upload_seconds if handler is not None and handler.opt.get("upload") else self.seconds
        if seconds <= 0:
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


def _has_body(scope: Scope) -> bool:
    """Whether the request's head announces a body (RFC 9112 6.3: with
    neither Content-Length nor Transfer-Encoding there is none, and
    ``receive`` answers at once)."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
