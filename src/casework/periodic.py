"""Work the service runs in the background: a job on an interval (the
deadline sweep, the file sweep), until cancelled, surviving its own
failures, each logged by name without its message (which may hold data);
and a loop for the life of the app (the webhook and SMS dispatchers),
stopped gently at its end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog

log = structlog.get_logger("casework.periodic")


async def every(interval_seconds: float, job: Callable[[], Awaitable[Any]], *, failed: str,
                on_failure: Callable[[], None] | None = None) -> None:
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep running; the failure is logged
            if on_failure is not None:
                on_failure()
            log.warning(failed, error=type(exc).__name__)
        await asyncio.sleep(interval_seconds)


async def rest(stop: asyncio.Event, seconds: float) -> None:
    """A loop's pause between rounds: ``seconds``, or less when ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


@asynccontextmanager
async def for_the_app(loop: Callable[[asyncio.Event], Awaitable[Any]], *, name: str,
                      grace_seconds: float, enabled: bool = True) -> AsyncIterator[None]:
    """Run ``loop(stop)`` while the block runs (when ``enabled``: background
    tasks may be off); at its end set ``stop`` and give the loop
    ``grace_seconds`` to finish what it holds (a delivery in flight keeps its
    lease and is retried by whoever runs next), then cancel it."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(loop(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=grace_seconds)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
