"""Sign-in (bearer tokens) and user management by admins."""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import CacheControlHeader
from msgspec import Meta, Struct

from casework.access import service
from casework.access.auth import issue_token, requires
from casework.access.login import sign_in
from casework.access.policy import ROLES
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.problems import Problem, conflict, invalid, not_found
from casework.settings import get_settings


class TokenRequest(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class UserCreate(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{3,50}$")]
    password: Annotated[str, Meta(min_length=8, max_length=200)]
    role: Annotated[str, Meta(max_length=20)]
    jurisdiction: Annotated[str, Meta(pattern=r"^[0-9]{0,12}$")]
    body_code: Annotated[str, Meta(max_length=64)] | None = None
    display_name: Annotated[str, Meta(max_length=100)] = ""


class UserUpdate(Struct, forbid_unknown_fields=True):
    role: Annotated[str, Meta(max_length=20)] | None = None
    active: bool | None = None
    jurisdiction: Annotated[str, Meta(pattern=r"^[0-9]{0,12}$")] | None = None


def _token_response(request: Request, principal: service.Principal, auth_time: int | None) -> dict[str, Any]:
    return {
        "access_token": issue_token(request.app.state.jwt_auth, principal, auth_time),
        "token_type": "bearer",
        "expires_in": get_settings().access_token_minutes * 60,
        "user": {"id": principal.id, "username": principal.username, "role": principal.role,
                 "jurisdiction": principal.jurisdiction, "body_id": principal.body_id},
    }


_USER_VIEW = "id, username, display_name, role, body_id, jurisdiction, active, created_at"


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]
    cache_control = CacheControlHeader(no_store=True)  # tokens stay out of browser and proxy caches

    @post("/token", summary="Exchange a username and password for a bearer token", status_code=200,
          description="Failed sign-ins are throttled per account and per address: 429 with Retry-After.")
    async def token(self, request: Request, data: TokenRequest) -> dict[str, Any]:
        address = request.client.host if request.client else "unknown"
        principal = await sign_in(data.username, data.password, address)
        if principal is None:
            raise Problem(401, "invalid-credentials", "Unauthorized", "wrong username or password")
        return _token_response(request, principal, auth_time=None)

    @post("/refresh", guards=[requires("session.use")], status_code=200,
          summary="A fresh access token for a still-valid one, up to the session's maximum age")
    async def refresh(self, request: Request) -> dict[str, Any]:
        auth_time = request.auth.extras.get("auth_time")
        max_age = get_settings().session_max_hours * 3600
        if not isinstance(auth_time, int) or time.time() - auth_time > max_age:
            raise Problem(401, "session-expired", "Unauthorized", "the session is too old: sign in again")
        return _token_response(request, request.user, auth_time=auth_time)

    @get("/me", guards=[requires("session.use")], summary="Who the token belongs to")
    async def me(self, request: Request) -> dict[str, Any]:
        user = request.user
        return {"id": user.id, "username": user.username, "role": user.role,
                "jurisdiction": user.jurisdiction, "body_id": user.body_id}


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]
    guards = [requires("users.manage")]

    @get("/")
    async def list_users(self) -> dict[str, Any]:
        async with connection() as conn:
            rows = await conn.fetch(f"SELECT {_USER_VIEW} FROM app_user ORDER BY id")
        return {"items": [dict(r) for r in rows]}

    @post("/", status_code=201)
    async def create_user(self, request: Request, data: UserCreate) -> dict[str, Any]:
        try:
            async with transaction():
                user_id = await service.create_user(
                    username=data.username, password=data.password, role=data.role,
                    jurisdiction=data.jurisdiction, body_code=data.body_code,
                    display_name=data.display_name,
                )
                async with connection() as conn:
                    row = await conn.fetchrow(f"SELECT {_USER_VIEW} FROM app_user WHERE id = $1", user_id)
                    await record_admin_change(conn, actor=request.user, entity="user", key=data.username,
                                              before=None, after=dict(row))
        except service.UserError as exc:
            if "exists" in str(exc):
                raise conflict("exists", str(exc)) from None
            raise invalid([{"field": "user", "message": str(exc)}]) from None
        return dict(row)

    @patch("/{user_id:int}", summary="Change a role, jurisdiction or deactivate; old tokens stop at once")
    async def update_user(self, request: Request, user_id: int, data: UserUpdate) -> dict[str, Any]:
        if data.role is not None and data.role not in ROLES:
            raise invalid([{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}])
        async with transaction():
            async with connection() as conn:
                before = await conn.fetchrow(f"SELECT {_USER_VIEW} FROM app_user WHERE id = $1 FOR UPDATE", user_id)
                if before is None:
                    raise not_found("user")
                row = await conn.fetchrow(
                    f"""UPDATE app_user SET role = coalesce($2, role), active = coalesce($3, active),
                               jurisdiction = coalesce($4, jurisdiction), token_version = token_version + 1
                        WHERE id = $1 RETURNING {_USER_VIEW}""",
                    user_id, data.role, data.active, data.jurisdiction,
                )
                await record_admin_change(conn, actor=request.user, entity="user", key=row["username"],
                                          before=dict(before), after=dict(row))
        return dict(row)
