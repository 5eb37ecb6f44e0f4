"""Password hashes: argon2id sized to the memory target, and a bound on how
many run at once.

An argon2 hash holds its whole ``memory_cost`` for as long as it runs. With
argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) and nothing but anyio's
40-thread pool in the way, 120 concurrent sign-ins took the service to
2.3 GB and a case read to 7.8 s. So:

- **Parameters**: OWASP's argon2id minimum, 19 MiB, 2 passes, 1 lane (some
  70 ms a hash on the benchmark machine). A stored hash made with other
  parameters is replaced at the owner's next successful sign-in.
- **Bound**: at most ``CASEWORK_PASSWORD_HASH_CONCURRENCY`` hashes run at
  once in a process (so at most that many times 19 MiB); up to
  ``CASEWORK_PASSWORD_HASH_QUEUE`` more wait, each at most
  ``CASEWORK_PASSWORD_HASH_WAIT_SECONDS``; beyond that the caller gets 503
  problem+json with ``Retry-After`` (``SignInBusy``). Every hash goes through
  it: sign-ins (the unknown-user dummy too), re-hashes and new passwords.

Written by hand: the limiter is a semaphore with a counted queue in front;
nothing in Litestar or anyio refuses work once a queue is full.
"""

from __future__ import annotations

import asyncio
import ctypes
import math
import sys
import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.problems import Problem
from casework.settings import get_settings

MEMORY_COST_KIB = 19456  # 19 MiB
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)

T = TypeVar("T")


class SignInBusy(Problem):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503, "sign-in-busy", "Service Unavailable",
            "too many sign-ins at once; retry shortly",
            headers={"Retry-After": str(retry_after)}, retry_after=retry_after,
        )


class HashLimiter:
    """At most ``concurrency`` hashes at once, at most ``queue`` waiting, each for at most ``wait_seconds``."""

    def __init__(self, concurrency: int, queue: int, wait_seconds: float) -> None:
        self.sizes = (concurrency, queue, wait_seconds)
        self.loop = asyncio.get_running_loop()  # an asyncio semaphore serves one loop
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(self.concurrency)
        self.running = 0
        self.waiting = 0
        self.peak_running = 0  # the most hashes seen running at once (tests and the benchmark read it)
        self.refused = 0
        self._seconds_per_hash = 0.1  # a running estimate, for Retry-After

    def _busy(self) -> SignInBusy:
        self.refused += 1
        backlog = self.running + self.waiting
        return SignInBusy(max(1, math.ceil(backlog * self._seconds_per_hash / self.concurrency)))

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in a worker thread once a slot is free; ``SignInBusy`` if none frees in time."""
        if self._slots.locked() and self.waiting >= self.queue:
            raise self._busy()
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise self._busy() from None
        finally:
            self.waiting -= 1
        self.running += 1
        self.peak_running = max(self.peak_running, self.running)
        started = time.perf_counter()
        try:
            # Not abandoned on cancellation: the slot (and its memory) is
            # given back only when the hash has really finished.
            return await anyio.to_thread.run_sync(work, *args)
        finally:
            self._seconds_per_hash = 0.8 * self._seconds_per_hash + 0.2 * (time.perf_counter() - started)
            self.running -= 1
            self._slots.release()


_limiter: HashLimiter | None = None


def limiter() -> HashLimiter:
    """This process's limiter, sized from the settings (a new one if they or the event loop changed)."""
    global _limiter
    settings = get_settings()
    sizes = (settings.password_hash_concurrency, settings.password_hash_queue, settings.password_hash_wait_seconds)
    if _limiter is None or _limiter.sizes != sizes or _limiter.loop is not asyncio.get_running_loop():
        _give_hash_memory_back_when_freed()
        _limiter = HashLimiter(*sizes)
    return _limiter


MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024  # below a hash's 19 MiB, above the service's ordinary buffers


@cache
def _give_hash_memory_back_when_freed() -> None:
    """Make glibc return each hash's 19 MiB to the system when the hash ends.

    glibc serves a block that large with mmap, but the first time one is
    freed it raises its mmap threshold above that size, and from then on
    such blocks come from the heap and stay there: after a burst of
    sign-ins every worker kept some 40 MB (measured: 250 MB before a burst
    of 50, 333 MB after, for the rest of the run). A fixed threshold
    (``mallopt(M_MMAP_THRESHOLD)``, which also turns the raising off) keeps
    them mapped and unmapped. Nothing to do on other C libraries.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


_M_MMAP_THRESHOLD = -3  # malloc.h


@cache
def _dummy_hash() -> str:
    # Verifying against this when the user does not exist keeps the timing alike.
    return _hasher.hash("casework-no-such-user")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await limiter().run(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (no such user) a dummy is checked, and False returned."""
    return await limiter().run(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
