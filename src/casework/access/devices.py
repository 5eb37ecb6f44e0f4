"""Refresh tokens bound to a device, rotated on every use.

A phone may be offline far longer than an access token lives; signing in
with a ``device_id`` opens a device session and returns a refresh token
with the access token. Each refresh spends its refresh token and returns a
new one; a spent token presented again means two holders (a stolen copy),
so the device's whole session ends at once, for both of them. Only the
SHA-256 of a token is stored (it is 256 random bits: no salt or slow hash
needed). Lifetimes (settings, docs/access.md): a session unused for
``refresh_idle_days`` lapses, and none outlives ``refresh_absolute_days``;
both are measured on the wall clock, like every token expiry.

Access tokens issued under a session carry its id (``sid``); revoking the
session ends them on their next request (``auth.retrieve_user``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import structlog

from casework.access.policy import allowed
from casework.access.schemas import DeviceRead
from casework.access.service import Principal, principal_by_id
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.problems import Problem, not_found
from casework.settings import get_settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Refresh:
    principal: Principal
    session_id: int
    refresh_token: str
    refresh_expires_at: dt.datetime


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _refused(detail: str) -> Problem:
    return Problem(401, "invalid-refresh-token", "Unauthorized", detail,
                   headers={"WWW-Authenticate": 'Bearer realm="casework", error="invalid_token"'})


async def _issue(conn: Any, session_id: int) -> tuple[str, dt.datetime]:
    """A new refresh token for the session; (token, when it lapses unused)."""
    token = secrets.token_urlsafe(32)
    issued_at = await conn.fetchval("INSERT INTO refresh_token (token_hash, session_id) VALUES ($1, $2) "
                                    "RETURNING issued_at", _hash(token), session_id)
    return token, await _lapses_at(conn, session_id, issued_at)


async def _lapses_at(conn: Any, session_id: int, used_at: dt.datetime) -> dt.datetime:
    settings = get_settings()
    created_at = await conn.fetchval("SELECT created_at FROM device_session WHERE id = $1", session_id)
    return min(used_at + dt.timedelta(days=settings.refresh_idle_days),
               created_at + dt.timedelta(days=settings.refresh_absolute_days))


async def start(principal: Principal, device_id: str) -> Refresh:
    """Sign-in on a device: a new session (the device's previous one ends) and its first refresh token."""
    async with transaction():
        async with connection() as conn:
            await conn.execute(
                """UPDATE device_session SET revoked_at = now(), revoked_reason = 'signed_in_again'
                   WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL""", principal.id, device_id)
            session_id = await conn.fetchval(
                "INSERT INTO device_session (user_id, device_id, token_version) VALUES ($1, $2, $3) RETURNING id",
                principal.id, device_id, principal.token_version)
            token, lapses = await _issue(conn, session_id)
    log.info("device_signed_in", user_id=principal.id, session_id=session_id)
    return Refresh(principal, session_id, token, lapses)


async def rotate(refresh_token: str) -> Refresh:
    """Spend a refresh token for a new one. 401 when it is unknown, spent
    (which also ends its session), or its session ended or lapsed."""
    settings = get_settings()
    ended: str | None = None
    async with transaction():
        async with connection() as conn:
            row = await conn.fetchrow(
                """SELECT t.session_id, t.used_at, s.user_id, s.token_version, s.revoked_at,
                          s.last_used_at < now() - make_interval(days => $2) AS idle,
                          s.created_at < now() - make_interval(days => $3) AS too_old
                   FROM refresh_token t JOIN device_session s ON s.id = t.session_id
                   WHERE t.token_hash = $1 FOR UPDATE OF t, s""",
                _hash(refresh_token), settings.refresh_idle_days, settings.refresh_absolute_days)
            if row is None:
                raise _refused("unknown refresh token: sign in again")
            if row["revoked_at"] is not None:
                raise _refused("this device's session has ended: sign in again")
            found = await principal_by_id(row["user_id"])
            if row["used_at"] is not None:
                ended = "reuse_detected"
            elif row["idle"] or row["too_old"]:
                ended = "expired"
            elif found is None or not found[1] or found[0].token_version != row["token_version"]:
                ended = "user_changed"
            if ended is not None:
                # Committed although the request is refused: the session stays ended.
                await conn.execute("UPDATE device_session SET revoked_at = now(), revoked_reason = $2 WHERE id = $1",
                                   row["session_id"], ended)
            else:
                await conn.execute("UPDATE refresh_token SET used_at = now() WHERE token_hash = $1",
                                   _hash(refresh_token))
                await conn.execute("UPDATE device_session SET last_used_at = now() WHERE id = $1", row["session_id"])
                token, lapses = await _issue(conn, row["session_id"])
    if ended == "reuse_detected":
        log.warning("refresh_token_reused", user_id=row["user_id"], session_id=row["session_id"])
        raise _refused("this refresh token was used before; the device's session is ended: sign in again")
    if ended is not None:
        raise _refused("this device's session has ended: sign in again")
    assert found is not None
    return Refresh(found[0], row["session_id"], token, lapses)


_LIVE = """s.revoked_at IS NULL AND s.last_used_at >= now() - make_interval(days => $2)
           AND s.created_at >= now() - make_interval(days => $3)"""


async def _owner(actor: Principal, user_id: int | None) -> int:
    """Whose devices: one's own, or (an admin) a user's within their jurisdiction (404 otherwise)."""
    if user_id is None or user_id == actor.id:
        return actor.id
    if not allowed(actor.role, "users.manage"):
        raise Problem(403, "forbidden", "Forbidden", f"role {actor.role} may not manage other users' devices",
                      permission="users.manage")
    async with connection() as conn:
        jurisdiction = await conn.fetchval("SELECT jurisdiction FROM app_user WHERE id = $1", user_id)
    if jurisdiction is None or not jurisdiction.startswith(actor.jurisdiction):
        raise not_found("user")
    return user_id


async def list_devices(actor: Principal, user_id: int | None, current_session: int | None) -> list[DeviceRead]:
    settings = get_settings()
    owner = await _owner(actor, user_id)
    async with connection() as conn:
        rows = await conn.fetch(
            f"""SELECT s.id, s.device_id, s.created_at, s.last_used_at,
                       least(s.last_used_at + make_interval(days => $2),
                             s.created_at + make_interval(days => $3)) AS lapses_at
                FROM device_session s WHERE s.user_id = $1 AND {_LIVE} ORDER BY s.last_used_at DESC""",
            owner, settings.refresh_idle_days, settings.refresh_absolute_days)
    return [DeviceRead(device_id=r["device_id"], signed_in_at=r["created_at"], last_used_at=r["last_used_at"],
                       lapses_at=r["lapses_at"], current=r["id"] == current_session) for r in rows]


async def revoke(actor: Principal, device_id: str, user_id: int | None) -> None:
    """End a device's session (its refresh token and the access tokens issued under it); 404 if none is live."""
    owner = await _owner(actor, user_id)
    async with transaction():
        async with connection() as conn:
            session_id = await conn.fetchval(
                """UPDATE device_session SET revoked_at = now(), revoked_reason = 'revoked', revoked_by = $3
                   WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING id""",
                owner, device_id, actor.id)
            if session_id is None:
                raise not_found("device")
            if owner != actor.id:
                await record_admin_change(conn, actor=actor, entity="device_session", key=str(session_id),
                                          before={"user_id": owner, "device_id": device_id, "live": True},
                                          after={"user_id": owner, "device_id": device_id, "live": False},
                                          action="revoke")
    log.info("device_revoked", user_id=owner, session_id=session_id, by=actor.id)
