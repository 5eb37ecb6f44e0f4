"""Sign-in with throttling per account and per client address.

Failed attempts are counted in PostgreSQL (``access.throttle``) so every
worker shares the count; a successful sign-in clears the account's count but
not the address's. Limits come from settings (docs/access.md).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from casework.access import throttle
from casework.access.passwords import SignInBusy
from casework.access.service import Principal, authenticate
from casework.db import connection
from casework.problems import Problem
from casework.settings import get_settings


def limits() -> tuple[throttle.Limit, throttle.Limit]:
    settings = get_settings()
    window = dt.timedelta(minutes=settings.login_window_minutes)
    return (
        throttle.Limit("login_account", settings.login_failures_per_account, window),
        throttle.Limit("login_address", settings.login_failures_per_address, window),
    )


async def sign_in(username: str, password: str, address: str) -> Principal | None:
    """The principal, or None for wrong credentials; raises 429 when throttled, 503 when hashing is busy."""
    per_account, per_address = limits()
    account = username.strip().lower()
    async with connection() as conn:
        counted = await throttle.attempt(
            conn, [(per_account, account), (per_address, address)],
            "too many failed sign-ins for this account or from this address; wait and retry",
        )
    try:
        principal = await authenticate(username, password)
    except SignInBusy:
        async with connection() as conn:  # turned away unchecked: not a failure
            await throttle.forget(conn, counted)
        raise
    if principal is not None:
        async with connection() as conn:
            await throttle.forget(conn, counted)
            await throttle.reset(conn, per_account, account)
    return principal


async def sign_in_for_token(username: str, password: str, address: str) -> Principal:
    """``sign_in`` for the token route: wrong credentials are a 401."""
    principal = await sign_in(username, password, address)
    if principal is None:
        raise Problem(401, "invalid-credentials", "Unauthorized", "wrong username or password")
    return principal


def session_start(auth_time: Any) -> int:
    """When the session of a token being refreshed began (its ``auth_time``),
    or a 401 when it is older than ``session_max_hours``."""
    max_age = get_settings().session_max_hours * 3600
    if not isinstance(auth_time, int) or time.time() - auth_time > max_age:
        raise Problem(401, "session-expired", "Unauthorized", "the session is too old: sign in again")
    return auth_time
