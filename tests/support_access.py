"""Helpers for access tests: extra users, clients from a given address."""

from __future__ import annotations

import itertools

import httpx

_addresses = itertools.count(1)


async def ensure_user(users, name: str, role: str, jurisdiction: str, body: str | None = None) -> httpx.AsyncClient:
    """A signed-in client for ``name``, created once per test session."""
    if name not in users.clients:
        await users.make(name, role, jurisdiction, body)
    return users[name]


def client_from(app, address: str | None = None, token: str | None = None) -> httpx.AsyncClient:
    """A client whose requests come from ``address`` (a fresh TEST-NET-2 address by default)."""
    n = next(_addresses)
    address = address or f"198.51.{n // 250}.{n % 250 + 1}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://casework.test", headers=headers)
