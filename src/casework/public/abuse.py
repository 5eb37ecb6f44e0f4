"""Keeping online filing usable without outside services.

- A proof of work (ALTCHA, the ``altcha`` library): ``challenge`` issues an
  HMAC-signed puzzle; a filing carries the solved payload, verified and
  spent once (``altcha_spent``: a solution is not accepted twice). Expiry
  is checked against ``timeutil.now()`` here, not the library's wall clock.
- Throttles in PostgreSQL (``access.throttle``, shared by every worker):
  per client address and per division, answered 429 with Retry-After; per
  phone counted but never refused on the surface, since a 429 there would
  tell whether someone else had filed with that phone. Past the phone's
  limit a filing is taken in like any other, without SMS, and flagged for
  the clerk.
- Duplicates: the same text from the same phone within the window
  (``case_file.online_fingerprint``) is taken in like any other filing, so
  nothing on the surface differs, and flagged for the clerk, who refuses
  it with the standard reason ``duplicate_submission``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from altcha import v1 as altcha  # the ALTCHA v1 protocol, which the widget speaks

from casework import timeutil
from casework.access import throttle
from casework.cases.identity import normalize_phone
from casework.db import connection
from casework.problems import invalid
from casework.public.schemas import ApplicationCreate, Challenge
from casework.settings import get_settings

ALGORITHM = "SHA-256"
_THROTTLED = "too many applications from this address or for this place; wait and retry"


def challenge() -> Challenge:
    settings = get_settings()
    expires = timeutil.now() + dt.timedelta(minutes=settings.altcha_expires_minutes)
    made = altcha.create_challenge(algorithm=ALGORITHM, max_number=settings.altcha_max_number,
                                   hmac_key=settings.altcha_hmac_key, expires=expires)
    return Challenge(algorithm=made.algorithm, challenge=made.challenge, maxnumber=made.max_number,
                     salt=made.salt, signature=made.signature)


def _refused() -> Exception:
    return invalid([{"field": "altcha", "message": "the proof-of-work solution is missing, wrong, expired or "
                                                   "already used: solve a new challenge"}])


async def spend_solution(payload: str | None) -> None:
    """Verify the solved challenge and spend it; 422 naming ``altcha`` if it will not do."""
    if not payload:
        raise _refused()
    ok, _error = altcha.verify_solution(payload, get_settings().altcha_hmac_key, check_expires=False)
    if not ok:
        raise _refused()
    solved = altcha.Payload.from_base64(payload)
    _nonce, expires, _params = solved.parse_salt()
    if expires is None or expires < timeutil.now().timestamp():
        raise _refused()
    async with connection() as conn:
        if random.random() < 0.01:  # keep the table small without a scheduler
            await conn.execute("DELETE FROM altcha_spent WHERE expires_at < casework_now()")
        fresh = await conn.fetchval(
            """INSERT INTO altcha_spent (signature, expires_at) VALUES ($1, to_timestamp($2))
               ON CONFLICT DO NOTHING RETURNING true""",
            solved.signature, expires)
    if not fresh:
        raise _refused()


def _limits() -> dict[str, throttle.Limit]:
    settings = get_settings()
    window = dt.timedelta(hours=settings.filing_window_hours)
    return {"address": throttle.Limit("filing_address", settings.filings_per_address, window),
            "division": throttle.Limit("filing_division", settings.filings_per_division, window),
            "phone": throttle.Limit("filing_phone", settings.filings_per_phone, window),
            "app": throttle.Limit("filing_app", settings.filings_per_app, window)}


async def admit(
    data: ApplicationCreate, address: str, *, app_id: int | None = None,
) -> tuple[dict[str, Any], list[int]]:
    """Count the filing against its throttles (429 per address, or per
    registered app, and per division); returns what the clerk is told
    (whether the phone is past its limit) and the counted rows, for
    ``release`` if the filing is then refused as invalid."""
    limits = _limits()
    source = (limits["app"], str(app_id)) if app_id is not None else (limits["address"], address)
    async with connection() as conn:
        counted = await throttle.attempt(conn, [source, (limits["division"], data.division_code[:12])], _THROTTLED)
        phone_over, phone_row = await throttle.count(conn, limits["phone"], normalize_phone(data.applicant.phone))
    return {"phone_over_limit": phone_over}, [*counted, phone_row]


async def release(counted: list[int]) -> None:
    """Un-count a filing refused as invalid: a division's quota is for filings taken in."""
    async with connection() as conn:
        await throttle.forget(conn, counted)
