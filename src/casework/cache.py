"""A tiny time-limited cache for reference data read on every request.

Reference tables are small and change rarely; each process keeps a copy for
``ttl`` seconds, and an administrator's change clears it at once in the
process that made it (others pick it up within ``ttl``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

_entries: dict[str, tuple[float, Any]] = {}


async def cached(name: str, load: Callable[[], Awaitable[Any]], ttl: float = 30.0) -> Any:
    hit = _entries.get(name)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = await load()
    _entries[name] = (now + ttl, value)
    return value


def invalidate(*names: str) -> None:
    if not names:
        _entries.clear()
    for name in names:
        _entries.pop(name, None)
