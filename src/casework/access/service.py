"""Users, passwords and the principal a request acts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.access.policy import ROLES
from casework.db import connection

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing alike.
_DUMMY_HASH = _hasher.hash("casework-no-such-user")


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


_USER_COLUMNS = "id, username, role, body_id, jurisdiction, token_version, active"


async def principal_by_id(user_id: int) -> tuple[Principal, bool] | None:
    async with connection() as conn:
        row = await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM app_user WHERE id = $1", user_id)
    if row is None:
        return None
    data = dict(row)
    active = data.pop("active")
    return Principal(**data), active


async def authenticate(username: str, password: str) -> Principal | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            f"SELECT {_USER_COLUMNS}, password_hash FROM app_user WHERE username = $1", username
        )
    ok = await verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["active"]:
        return None
    data = dict(row)
    data.pop("password_hash")
    data.pop("active")
    return Principal(**data)


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
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
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
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    await conn.execute(
        "UPDATE app_user SET password_hash = $2, token_version = token_version + 1 WHERE id = $1",
        user_id, password_hash,
    )
