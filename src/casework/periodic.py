"""A job the service runs on an interval in the background (the deadline
sweep, the file sweep): until cancelled, surviving its own failures, each
logged by name without its message (which may hold data)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
