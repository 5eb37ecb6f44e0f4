"""Users, passwords and the principal a request acts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog

from casework import reads
from casework.access import passwords
from casework.access.policy import ROLES
from casework.db import connection

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    body_id: int | None
    jurisdiction: str
    token_version: int

    def covers(self, division_code: str) -> bool:
        return division_code.startswith(self.jurisdiction)


_USER_COLUMNS = "id, username, role, body_id, jurisdiction, token_version, active"


# With read routing on (casework.reads), the same read brings the user's
# last write position: a standby serves this request only once it has
# replayed that far.
_READ_POSITION = ", (SELECT p.lsn FROM read_position p WHERE p.user_id = app_user.id) AS read_after"


async def principal_by_id(user_id: int, session_id: int | None = None) -> tuple[Principal, bool] | None:
    """The user and whether their token may act: active, and, for a token
    issued under a device session (``session_id``), that session not revoked
    (one round trip either way: this runs on every request)."""
    position = _READ_POSITION if reads.enabled() else ""
    async with connection() as conn:
        if session_id is None:
            row = await conn.fetchrow(f"SELECT {_USER_COLUMNS}{position} FROM app_user WHERE id = $1", user_id)
        else:
            row = await conn.fetchrow(
                f"""SELECT {_USER_COLUMNS}{position}, EXISTS (SELECT FROM device_session s WHERE s.id = $2
                           AND s.user_id = app_user.id AND s.revoked_at IS NULL) AS live
                    FROM app_user WHERE id = $1""", user_id, session_id)
    if row is None:
        return None
    data = dict(row)
    active = data.pop("active") and data.pop("live", True)
    data.pop("live", None)
    reads.require_position(data.pop("read_after", None))
    return Principal(**data), active


async def authenticate(username: str, password: str) -> Principal | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            f"SELECT {_USER_COLUMNS}, password_hash FROM app_user WHERE username = $1", username
        )
    ok = await passwords.verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["active"]:
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await _rehash(row["id"], row["password_hash"], password)
    data = dict(row)
    data.pop("password_hash")
    data.pop("active")
    return Principal(**data)


async def _rehash(user_id: int, old_hash: str, password: str) -> None:
    """Store the password under today's parameters (the sign-in has succeeded either way)."""
    try:
        new_hash = await passwords.hash_password(password)
    except passwords.SignInBusy:
        return  # busy now: the next sign-in tries again
    async with connection() as conn:
        # Only if unchanged since it was read: a password set meanwhile wins.
        await conn.execute("UPDATE app_user SET password_hash = $2 WHERE id = $1 AND password_hash = $3",
                           user_id, new_hash, old_hash)
    log.info("password_rehashed", user_id=user_id)


class UserError(ValueError):
    pass


def check_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("password must have at least 8 characters")


async def create_user(
    *, username: str, password: str, role: str, jurisdiction: str,
    body_code: str | None = None, display_name: str = "",
) -> int:
    """Create a user with no scope check: the bootstrap path (``casework users
    create`` on the server, the demo seed, tests). Through the API an admin
    creates users with ``create_user_as``, within their own jurisdiction."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[0-9]{0,12}", jurisdiction):
        raise UserError("jurisdiction must be a division-code prefix (digits, at most 12)")
    check_password(password)
    password_hash = await passwords.hash_password(password)
    async with connection() as conn:
        body_id = None
        if body_code:
            body_id = await conn.fetchval("SELECT id FROM body WHERE code = $1", body_code)
            if body_id is None:
                raise UserError(f"no body with code {body_code}")
        user_id = await conn.fetchval(
            """INSERT INTO app_user (username, password_hash, display_name, role, body_id, jurisdiction)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (username) DO NOTHING RETURNING id""",
            username, password_hash, display_name, role, body_id, jurisdiction,
        )
    if user_id is None:
        raise UserError(f"user {username} exists")
    return user_id


async def set_password(conn: Any, user_id: int, password: str) -> None:
    """A new password: the user's tokens end at once (token_version)."""
    check_password(password)
    password_hash = await passwords.hash_password(password)
    await conn.execute(
        "UPDATE app_user SET password_hash = $2, token_version = token_version + 1 WHERE id = $1",
        user_id, password_hash,
    )
