"""``casework serve`` as a real process: whom it believes about the client's
address, and how long it waits for a request to arrive.

Two services on the test database, each with a data folder of its own (so
their throttle keys are their own and nothing here counts against the
in-process tests' address): one as installed, trusting no proxy, and one told
that 127.0.0.1 is its reverse proxy. Requests are made on raw sockets where
half a request is the point.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from casework.settings import get_settings

SRC = Path(__file__).resolve().parents[1] / "src"


class Served:
    """``casework serve`` on a free loopback port (not the demo: no seeded users)."""

    def __init__(self, name: str, *args: str, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"casework-serve-{name}-"))
        self.log = self.data_dir / "serve.log"
        self.args = args
        self.env = {**{k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"},
                    "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
                    "CASEWORK_DATA_DIR": str(self.data_dir / "data"), "CASEWORK_BACKGROUND_TASKS": "0",
                    # The tests' own key: a service refuses a database whose personal data its key cannot open.
                    "CASEWORK_PERSONAL_DATA_KEY": get_settings().personal_data_key,
                    **env}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> Served:
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "casework.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 *self.args],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"casework serve exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"casework serve not up after {timeout}s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.stop_process()
        self.cleanup()

    def stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def cleanup(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SHORT = {"CASEWORK_LOGIN_FAILURES_PER_ADDRESS": "3", "CASEWORK_REQUEST_HEADER_TIMEOUT_SECONDS": "1",
         "CASEWORK_REQUEST_BODY_TIMEOUT_SECONDS": "1"}


@pytest.fixture(scope="module")
async def services(database):
    # These services see every client as this machine's 127.0.0.1, as the
    # browser and CLI tests' own servers did: failed sign-ins counted by
    # address before this file starts must not count here.
    conn = await asyncpg.connect(database)
    try:
        await conn.execute("DELETE FROM throttle_event WHERE bucket = 'login_address'")
    finally:
        await conn.close()
    as_installed = Served("default", **SHORT)
    behind_proxy = Served("proxied", "--forwarded-allow-ips", "127.0.0.1", **SHORT)
    try:
        await asyncio.gather(asyncio.to_thread(as_installed.start), asyncio.to_thread(behind_proxy.start))
        yield {"as_installed": as_installed, "behind_proxy": behind_proxy}
    finally:
        as_installed.stop()
        behind_proxy.stop()


async def _failed_sign_in(client: httpx.AsyncClient, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await client.post("/api/v1/auth/token", headers=headers,
                                 json={"username": f"nobody_{secrets.token_hex(4)}", "password": "guess-123"})
    return response.status_code


async def test_a_spoofed_forwarded_for_does_not_escape_the_per_address_limit(services):
    """A guesser on the same machine (or any peer not named as a proxy) sends
    a new X-Forwarded-For with every try: the service counts the peer it
    sees, so the fourth failure is refused like any other."""
    async with httpx.AsyncClient(base_url=services["as_installed"].url, timeout=10) as client:
        codes = [await _failed_sign_in(client, f"198.18.{n}.{n + 1}") for n in range(3)]
        assert codes == [401, 401, 401]
        refused = await client.post("/api/v1/auth/token", headers={"X-Forwarded-For": "198.18.99.1"},
                                    json={"username": "someone_else", "password": "guess-123"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


async def test_behind_a_configured_proxy_each_forwarded_client_is_counted_apart(services):
    """With --forwarded-allow-ips naming the reverse proxy, the address the
    proxy forwards is the client's: one guesser is stopped, a colleague
    behind the same proxy is not."""
    async with httpx.AsyncClient(base_url=services["behind_proxy"].url, timeout=10) as client:
        assert [await _failed_sign_in(client, "203.0.113.7") for _ in range(3)] == [401, 401, 401]
        assert await _failed_sign_in(client, "203.0.113.7") == 429
        assert await _failed_sign_in(client, "203.0.113.8") == 401


async def _read_until_closed(reader: asyncio.StreamReader, timeout: float) -> tuple[bytes, bool]:
    """What the server sends before it closes, and whether it closed within ``timeout``."""
    received = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        if left <= 0:
            return received, False
        try:
            chunk = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            return received, False
        except ConnectionError:
            return received, True
        if not chunk:
            return received, True
        received += chunk


async def test_a_request_whose_headers_never_finish_is_dropped(services):
    reader, writer = await asyncio.open_connection("127.0.0.1", services["as_installed"].port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: casework.test\r\nX-Slow: ")
        await writer.drain()
        started = time.monotonic()
        _received, closed = await _read_until_closed(reader, timeout=8)
        assert closed, "the service held a half-sent request head open"
        assert time.monotonic() - started < 5
    finally:
        writer.close()


async def test_a_connection_that_sends_nothing_is_dropped(services):
    reader, writer = await asyncio.open_connection("127.0.0.1", services["as_installed"].port)
    try:
        _received, closed = await _read_until_closed(reader, timeout=8)
        assert closed, "the service held an idle new connection open"
    finally:
        writer.close()


@pytest.mark.parametrize("framing, half_body", [
    (b"Content-Length: 200", b'{"username": "someone", "password": "'),
    # Announced by Transfer-Encoding rather than Content-Length: held to the
    # same deadline (a request with neither has no body to wait for).
    (b"Transfer-Encoding: chunked", b'10\r\n{"username": "so\r\n'),
], ids=["content-length", "chunked"])
async def test_a_body_that_stops_halfway_is_answered_408_and_closed(services, framing, half_body):
    reader, writer = await asyncio.open_connection("127.0.0.1", services["as_installed"].port)
    try:
        writer.write(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: casework.test\r\n"
                     b"Content-Type: application/json\r\n" + framing + b"\r\n\r\n" + half_body)
        await writer.drain()
        received, closed = await _read_until_closed(reader, timeout=8)
    finally:
        writer.close()
    assert closed, "the service held a half-sent body open"
    head, _, payload = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), received[:300]
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower()
    assert b"request-timeout" in payload


async def test_a_slow_but_steady_request_still_gets_through(services):
    """The deadlines bound a stalled request, not an ordinary one: a request
    sent in pieces well within them is answered normally."""
    reader, writer = await asyncio.open_connection("127.0.0.1", services["as_installed"].port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: casework.test\r\n")
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.write(b"Connection: close\r\n\r\n")
        await writer.drain()
        received, closed = await _read_until_closed(reader, timeout=8)
    finally:
        writer.close()
    assert closed and received.startswith(b"HTTP/1.1 200 "), received[:300]


async def test_a_request_head_over_the_limit_is_refused(services):
    """The parser uvicorn uses (httptools) takes a head of any size; the
    service refuses one over 32 KiB, as nginx would."""
    reader, writer = await asyncio.open_connection("127.0.0.1", services["as_installed"].port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: casework.test\r\nX-Padding: " + b"a" * 40_000 + b"\r\n\r\n")
        await writer.drain()
        received, closed = await _read_until_closed(reader, timeout=8)
    finally:
        writer.close()
    assert closed
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    async with httpx.AsyncClient(base_url=services["as_installed"].url, timeout=10) as client:
        ordinary = await client.get("/health", headers={"X-Padding": "a" * 4000})
    assert ordinary.status_code == 200
