"""A small real HTTP/1.1 server on 127.0.0.1 for tests of outbound calls.

Written on ``asyncio.start_server`` so it runs on the test's own event loop
and can be stopped and started again on the same port (a receiver that is
down for a while). One request per connection (``Connection: close``):
enough for httpx, and it keeps the parser to a few lines.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable[Reply]]

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
           401: "Unauthorized", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HttpServer:
    def __init__(self, handler: Handler, port: int | None = None) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.requests: list[Request] = []
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> HttpServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def stop(self) -> None:
        """Stop listening and drop open connections: the port refuses connections."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Request(method, path, headers, body)
            self.requests.append(request)
            reply = await self.handler(request)
            payload = reply.body
            content_type = reply.headers.get("Content-Type", "application/json")
            if isinstance(payload, dict):
                payload = json.dumps(payload).encode()
            elif isinstance(payload, str):
                payload = payload.encode()
                content_type = reply.headers.get("Content-Type", "text/plain; charset=utf-8")
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items() if k != "Content-Type")
            writer.write(
                f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n{extra}\r\n".encode("latin-1") + payload
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
