"""Sign-in with throttling per account and per client address.

Failed attempts are counted in PostgreSQL (``access.throttle``) so every
worker shares the count; a successful sign-in clears the account's count but
not the address's. Limits come from settings (docs/access.md).
"""

from __future__ import annotations

import datetime as dt

from casework.access import throttle
from casework.access.passwords import SignInBusy
from casework.access.service import Principal, authenticate
from casework.db import connection
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
