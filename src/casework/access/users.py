"""User management by administrators, within their own jurisdiction.

An administrator lists, creates, changes and deactivates only users whose
jurisdiction lies within their own prefix, never gives a user a wider one,
and never an empty one (that exists only for the bootstrap account made
with ``casework users create`` on the server). A user outside the admin's
jurisdiction is answered like a missing one (404). Every change is an
``admin_event`` with before and after (never the password hash); a role,
jurisdiction, activity or password change ends the user's tokens.
"""

from __future__ import annotations

from typing import Any

from casework.access import service
from casework.access.login import sign_in
from casework.access.policy import ROLES
from casework.access.schemas import UserCreate, UserRead, UserUpdate
from casework.access.scope import division_bounds
from casework.access.service import Principal
from casework.admin_log import act_as
from casework.db import connection, transaction
from casework.problems import Problem, conflict, invalid, not_found

_VIEW = "id, username, display_name, role, body_id, jurisdiction, active, created_at"


def _read(row: Any) -> UserRead:
    return UserRead(**dict(row))


def _within(admin: Principal, jurisdiction: str, field: str) -> None:
    if not jurisdiction.startswith(admin.jurisdiction):
        raise invalid([{"field": field, "message": f"must lie within your jurisdiction {admin.jurisdiction or '(all)'}"}])


async def _body_within(conn: Any, admin: Principal, body_code: str) -> int:
    row = await conn.fetchrow("SELECT id, division_code FROM body WHERE code = $1", body_code)
    if row is None or not row["division_code"].startswith(admin.jurisdiction):
        # A body outside the admin's jurisdiction is not named either.
        raise invalid([{"field": "body_code", "message": f"no body {body_code} within your jurisdiction"}])
    return row["id"]


async def list_users(admin: Principal) -> list[UserRead]:
    low, high = division_bounds(admin.jurisdiction)
    async with connection() as conn:
        rows = await conn.fetch(
            f"SELECT {_VIEW} FROM app_user WHERE jurisdiction >= $1 AND jurisdiction < $2 ORDER BY id", low, high,
        )
    return [_read(r) for r in rows]


async def create(admin: Principal, data: UserCreate) -> UserRead:
    if data.role not in ROLES:
        raise invalid([{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}])
    _within(admin, data.jurisdiction, "jurisdiction")
    async with transaction():
        async with connection() as conn:
            if data.body_code:
                await _body_within(conn, admin, data.body_code)
            try:
                user_id = await service.create_user(
                    username=data.username, password=data.password, role=data.role,
                    jurisdiction=data.jurisdiction, body_code=data.body_code, display_name=data.display_name,
                )
            except service.UserError as exc:
                if "exists" in str(exc):
                    raise conflict("exists", str(exc)) from None
                raise invalid([{"field": "user", "message": str(exc)}]) from None
            row = await conn.fetchrow(f"SELECT {_VIEW} FROM app_user WHERE id = $1", user_id)
            await act_as(conn, admin)  # the app_user trigger records the change
    return _read(row)


async def update(admin: Principal, user_id: int, data: UserUpdate) -> UserRead:
    if data.role is not None and data.role not in ROLES:
        raise invalid([{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}])
    if data.jurisdiction is not None:
        _within(admin, data.jurisdiction, "jurisdiction")
    async with transaction():
        async with connection() as conn:
            before = await conn.fetchrow(f"SELECT {_VIEW} FROM app_user WHERE id = $1 FOR UPDATE", user_id)
            if before is None or not before["jurisdiction"].startswith(admin.jurisdiction):
                raise not_found("user")
            if before["jurisdiction"] == "" and admin.jurisdiction != "":
                raise Problem(403, "forbidden", "Forbidden", "the bootstrap account is managed on the server")
            row = await conn.fetchrow(
                f"""UPDATE app_user SET role = coalesce($2, role), active = coalesce($3, active),
                           jurisdiction = coalesce($4, jurisdiction), token_version = token_version + 1
                    WHERE id = $1 RETURNING {_VIEW}""",
                user_id, data.role, data.active, data.jurisdiction,
            )
            if data.password is not None:
                await service.set_password(conn, user_id, data.password)
            await act_as(conn, admin)  # the app_user trigger records each change, a password without its hash
    return _read(row)


async def change_own_password(principal: Principal, current: str, new: str, *, address: str) -> None:
    """A user changes their own password with the current one; their tokens
    end (they sign in again). A wrong current password counts as a failed
    sign-in (the same throttle)."""
    if await sign_in(principal.username, current, address) is None:
        raise Problem(403, "invalid-credentials", "Forbidden", "the current password is wrong")
    async with transaction():
        async with connection() as conn:
            await service.set_password(conn, principal.id, new)
            await act_as(conn, principal)  # recorded by the app_user trigger as action "password"
