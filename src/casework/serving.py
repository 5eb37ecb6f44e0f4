"""How ``casework serve`` runs uvicorn: whom it believes about the client's
address, and how long a request may take to arrive.

- **Proxy headers.** uvicorn, left to itself, takes ``X-Forwarded-For`` from
  any peer on 127.0.0.1, so anything on the service's own machine could name
  any client address and walk past the per-address sign-in and lookup
  limits. Here the headers are read only from the peers named in
  ``CASEWORK_FORWARDED_ALLOW_IPS`` (or ``serve --forwarded-allow-ips``);
  with none named they are ignored and the client is the TCP peer
  (docs/access.md, "Behind a reverse proxy").
- **Header deadline.** uvicorn bounds the idle time between requests
  (``timeout_keep_alive``) but not the time a client takes to send a request
  head, so a connection that trickles (or never sends) its head is held for
  ever. The protocol classes below close such a connection after
  ``CASEWORK_REQUEST_HEADER_TIMEOUT_SECONDS``. The body's deadline is an
  ASGI middleware (``middleware.BodyDeadlineMiddleware``), which can answer 408.
- **Head size.** h11 refuses a head over ``h11_max_incomplete_event_size``;
  httptools, which uvicorn picks when it is installed, takes any size (a
  4 MB header was accepted). Both are held to ``REQUEST_HEAD_MAX_BYTES``
  (431 from httptools, 400 from h11).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from casework.settings import Settings, get_settings

try:  # what uvicorn's "auto" picks when it is installed (uvicorn[standard])
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - a plain uvicorn install
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


# Request line and headers together; nginx's default allows 4 x 8 KiB for headers.
REQUEST_HEAD_MAX_BYTES = 32 * 1024


def trusted_proxies(value: str | None) -> str:
    """The comma-separated addresses or networks whose proxy headers count ("" for none)."""
    return ",".join(part.strip() for part in (value or "").split(",") if part.strip())


def uvicorn_options(settings: Settings, *, forwarded_allow_ips: str | None = None) -> dict[str, Any]:
    """The keyword arguments ``casework serve`` gives ``uvicorn.run`` (besides app, host, port, workers)."""
    proxies = trusted_proxies(settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips)
    return {
        # With no proxy named the proxy-headers middleware is not installed at
        # all, so uvicorn's default (loopback) and FORWARDED_ALLOW_IPS play no part.
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "http": "casework.serving:" + ("HeaderDeadlineHttpToolsProtocol" if HttpToolsProtocol else
                                       "HeaderDeadlineH11Protocol"),
        # Longer than uvicorn's 5 s: phones and proxies reuse connections,
        # and a connection closed just as it is reused fails the request.
        "timeout_keep_alive": settings.keep_alive_seconds,
        "h11_max_incomplete_event_size": REQUEST_HEAD_MAX_BYTES,
        # uvicorn's own lines go to the root logger (casework.logging renders
        # them, as JSON when logs are); the access log is casework's own.
        "log_config": None, "log_level": settings.log_level.lower(), "access_log": False, "lifespan": "on",
    }


class _HeaderDeadline:
    """A timer that runs while a request head is awaited and drops the connection when it fires.

    Nothing is answered: until the head is complete there is no request to
    answer, and a client that sends nothing deserves no bytes back.
    """

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_deadline(self) -> None:
        seconds = get_settings().request_header_timeout_seconds
        if self._header_timer is None and seconds > 0:
            self._header_timer = self.loop.call_later(seconds, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline_passed(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class HeadTooLarge(Exception):
    pass


if HttpToolsProtocol is not None:
    class HeaderDeadlineHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        # The clock starts when the connection opens and again at the first
        # byte of each further request on it (between requests the keep-alive
        # timeout applies); it stops when the head is complete.
        _head_bytes = 0
        _head_too_large = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_deadline()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = 0
            self._arm_header_deadline()

        def _count_head(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > REQUEST_HEAD_MAX_BYTES:
                # Raised inside the parser's callback, it stops the parse;
                # uvicorn answers a parse error through send_400_response.
                self._head_too_large = True
                raise HeadTooLarge

        def on_url(self, url: bytes) -> None:
            self._count_head(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_head(len(name) + len(value) + 4)
            super().on_header(name, value)

        def send_400_response(self, msg: str) -> None:
            if not self._head_too_large:
                super().send_400_response(msg)
                return
            text = f"request head over {REQUEST_HEAD_MAX_BYTES} bytes".encode()
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                 b"content-type: text/plain; charset=utf-8\r\n"
                                 b"content-length: " + str(len(text)).encode() + b"\r\n"
                                 b"connection: close\r\n\r\n" + text)
            self.transport.close()

        def on_headers_complete(self) -> None:
            self._disarm_header_deadline()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)


class HeaderDeadlineH11Protocol(_HeaderDeadline, H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # these bytes start (or continue) a request head
            self._arm_header_deadline()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)
