"""Outbound connector to court and legal-aid systems, over httpx.

Each system (``court``, ``legal_aid``) has its base URL, credentials (a
bearer token, or a user name and password for HTTP Basic), a timeout and a
bounded number of tries in settings (``CASEWORK_<SYSTEM>_*``).

- ``push_record(system, record)``: ``POST <base>/records`` with the record as
  JSON and an ``Idempotency-Key`` that stays the same across retries, so a
  retried push after a lost answer does not create a second record.
- ``fetch_status(system, external_id)``: ``GET <base>/records/<id>``.

Connect errors, timeouts, 429 and 5xx are retried with exponential backoff
and jitter; when the tries run out the caller gets
``ExternalSystemUnavailable`` (system name and cause). Any other 4xx is
``ExternalSystemRejected`` (status and the other side's problem text) at
once: sending the same thing again would not help.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any, Self
from urllib.parse import quote

import httpx
import structlog

from casework.settings import ExternalSystem, Settings, get_settings

log = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({408, 429})  # and every 5xx


class ExternalSystemError(Exception):
    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system


class ExternalSystemNotConfigured(ExternalSystemError):
    pass


class ExternalSystemUnavailable(ExternalSystemError):
    """The other side could not be reached, timed out or kept failing (5xx)."""

    def __init__(self, system: str, cause: str, attempts: int) -> None:
        super().__init__(system, f"unavailable after {attempts} tries: {cause}")
        self.cause = cause
        self.attempts = attempts


class ExternalSystemRejected(ExternalSystemError):
    """The other side answered 4xx: it refuses this request as it is."""

    def __init__(self, system: str, status: int, problem: str) -> None:
        super().__init__(system, f"rejected with HTTP {status}: {problem}")
        self.status = status
        self.problem = problem


class ExternalSystemBadResponse(ExternalSystemError):
    """A 2xx answer that is not the JSON object we expect."""


def _problem_text(response: httpx.Response) -> str:
    """The other side's explanation: RFC 9457 title/detail when it sends them."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
        if parts:
            return ": ".join(parts)[:500]
    return str(body)[:500]


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


class Connector:
    """One httpx.AsyncClient per system, reused; close with ``aclose()`` or ``async with``."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or get_settings()
        self._systems = {s.name: s for s in settings.external_systems}
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def system(self, name: str) -> ExternalSystem:
        system = self._systems.get(name)
        if system is None or not system.base_url:
            raise ExternalSystemNotConfigured(name, f"set CASEWORK_{name.upper()}_BASE_URL")
        return system

    def _client(self, system: ExternalSystem) -> httpx.AsyncClient:
        client = self._clients.get(system.name)
        if client is None:
            headers = {"Accept": "application/json", "User-Agent": "casework-connector/1"}
            auth = None
            if system.token:
                headers["Authorization"] = f"Bearer {system.token}"
            elif system.username:
                auth = httpx.BasicAuth(system.username, system.password)
            client = httpx.AsyncClient(
                base_url=system.base_url.rstrip("/") + "/", headers=headers, auth=auth,
                timeout=system.timeout_seconds, follow_redirects=False,
            )
            self._clients[system.name] = client
        return client

    async def request(self, name: str, method: str, path: str, *, json: Any = None,
                      headers: dict[str, str] | None = None) -> Any:
        """Send with bounded retries; return the decoded JSON body."""
        system = self.system(name)
        client = self._client(system)
        attempts = max(1, system.max_attempts)
        cause = ""
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                response = await client.request(method, path, json=json, headers=headers)
            except httpx.TransportError as exc:  # connect errors, timeouts, dropped connections
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        return response.json() if response.content else None
                    except ValueError:
                        raise ExternalSystemBadResponse(name, f"HTTP {status} with a body that is not JSON") from None
                if status >= 500 or status in RETRY_STATUSES:
                    cause = f"HTTP {status}: {_problem_text(response)}"
                    retry_after = _retry_after(response)
                else:
                    raise ExternalSystemRejected(name, status, _problem_text(response))
            log.warning("external_system_retry", system=name, attempt=attempt, cause=cause[:200])
            if attempt < attempts:
                ceiling = system.backoff_base_seconds * 2 ** (attempt - 1)
                delay = ceiling / 2 + random.uniform(0, ceiling / 2)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, 30.0))
                await asyncio.sleep(delay)
        raise ExternalSystemUnavailable(name, cause, attempts)

    async def push_record(self, system: str, record: dict[str, Any], *,
                          idempotency_key: str | None = None) -> dict[str, Any]:
        """Send a linked record (e.g. a litigation filing or legal-aid application)."""
        key = idempotency_key or str(uuid.uuid4())
        result = await self.request(system, "POST", "records", json=record, headers={"Idempotency-Key": key})
        if not isinstance(result, dict):
            raise ExternalSystemBadResponse(system, "expected a JSON object for the pushed record")
        return result

    async def fetch_status(self, system: str, external_id: str) -> dict[str, Any]:
        """The other side's current status of a record it holds."""
        result = await self.request(system, "GET", f"records/{quote(external_id, safe='')}")
        if not isinstance(result, dict):
            raise ExternalSystemBadResponse(system, "expected a JSON object for the record status")
        return result


async def push_record(system: str, record: dict[str, Any], *, settings: Settings | None = None,
                      idempotency_key: str | None = None) -> dict[str, Any]:
    async with Connector(settings) as connector:
        return await connector.push_record(system, record, idempotency_key=idempotency_key)


async def fetch_status(system: str, external_id: str, *, settings: Settings | None = None) -> dict[str, Any]:
    async with Connector(settings) as connector:
        return await connector.fetch_status(system, external_id)
