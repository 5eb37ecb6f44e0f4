"""Sign-in (bearer tokens) and user management by admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter

from casework.access import devices, login, service, users
from casework.access.auth import bearer_principal_token, issue_token, requires, retrieve_user
from casework.access.schemas import (
    DeviceId,
    DeviceList,
    Me,
    PasswordChange,
    RefreshRequest,
    TokenAnswer,
    TokenRequest,
    UserCreate,
    UserList,
    UserRead,
    UserUpdate,
)
from casework.problems import Problem
from casework.settings import get_settings


def _me(principal: service.Principal) -> Me:
    return Me(id=principal.id, username=principal.username, role=principal.role,
              jurisdiction=principal.jurisdiction, body_id=principal.body_id)


def _token_response(request: Request, principal: service.Principal, auth_time: int | None,
                    refresh: devices.Refresh | None = None, session_id: int | None = None) -> TokenAnswer:
    session_id = refresh.session_id if refresh else session_id
    return TokenAnswer(access_token=issue_token(request.app.state.jwt_auth, principal, auth_time, session_id),
                       token_type="bearer", expires_in=get_settings().access_token_minutes * 60,
                       user=_me(principal), refresh_token=refresh.refresh_token if refresh else None,
                       refresh_expires_at=refresh.refresh_expires_at if refresh else None)


def _invalid_bearer() -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", "a valid bearer token or refresh token is required")


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]
    cache_control = CacheControlHeader(no_store=True)  # tokens stay out of browser and proxy caches

    @post("/token", summary="Exchange a username and password for a bearer token", status_code=200,
          description="Failed sign-ins are throttled per account and per address: 429 with Retry-After.")
    async def token(self, request: Request, data: TokenRequest) -> TokenAnswer:
        address = request.client.host if request.client else "unknown"
        principal = await login.sign_in_for_token(data.username, data.password, address)
        refresh = await devices.start(principal, data.device_id) if data.device_id else None
        return _token_response(request, principal, auth_time=None, refresh=refresh)

    @post("/refresh", status_code=200,
          summary="A new access token and a new refresh token for a refresh token (spent by this call)",
          description="With a body, the refresh token from sign-in (with a device_id) or from the last refresh: "
                      "it is good once, and presenting it again ends that device's session. Without a body, "
                      "the still-valid bearer token of a client that signed in without a device id is renewed, "
                      "up to CASEWORK_SESSION_MAX_HOURS after sign-in (kept for older clients).")
    async def refresh(self, request: Request, data: RefreshRequest | None = None) -> TokenAnswer:
        if data is not None:
            refresh = await devices.rotate(data.refresh_token)
            return _token_response(request, refresh.principal, auth_time=None, refresh=refresh)
        token = bearer_principal_token(request.app.state.jwt_auth, request.headers.get("authorization"))
        principal = await retrieve_user(token, request) if token is not None else None
        if token is None or principal is None:
            raise _invalid_bearer()
        auth_time = login.session_start(token.extras.get("auth_time"))
        sid = token.extras.get("sid")  # renewed under the same device session, if any
        return _token_response(request, principal, auth_time=auth_time,
                               session_id=sid if isinstance(sid, int) else None)

    @get("/devices", guards=[requires("session.use")], summary="Your devices signed in with a refresh token",
         description="An admin may name another user (user_id) within their jurisdiction.")
    async def list_devices(self, request: Request,
                           user_id: Annotated[int | None, Parameter(ge=1)] = None) -> DeviceList:
        sid = request.auth.extras.get("sid")
        return DeviceList(items=await devices.list_devices(request.user, user_id, sid if isinstance(sid, int) else None))

    @delete("/devices/{device_id:str}", guards=[requires("session.use")], status_code=204,
            summary="Sign a device out: its refresh token and access tokens stop at once",
            description="An admin may revoke another user's device (user_id) within their jurisdiction.")
    async def revoke_device(self, request: Request, device_id: DeviceId,
                            user_id: Annotated[int | None, Parameter(ge=1)] = None) -> None:
        await devices.revoke(request.user, device_id, user_id)

    @post("/password", guards=[requires("session.use")], status_code=204,
          summary="Change your own password with the current one; sign in again afterwards")
    async def change_password(self, request: Request, data: PasswordChange) -> None:
        address = request.client.host if request.client else "unknown"
        await users.change_own_password(request.user, data.current_password, data.new_password, address=address)

    @get("/me", guards=[requires("session.use")], summary="Who the token belongs to")
    async def me(self, request: Request) -> Me:
        return _me(request.user)


class UserController(Controller):
    """Users within the admin's own jurisdiction (access.users)."""

    path = "/api/v1/users"
    tags = ["users"]
    guards = [requires("users.manage")]

    @get("/", summary="Users within your jurisdiction")
    async def list_users(self, request: Request) -> UserList:
        return UserList(items=await users.list_users(request.user))

    @post("/", status_code=201, summary="Create a user within your jurisdiction")
    async def create_user(self, request: Request, data: UserCreate) -> UserRead:
        return await users.create(request.user, data)

    @patch("/{user_id:int}", summary="Change a role, jurisdiction or password, or deactivate; old tokens stop at once")
    async def update_user(self, request: Request, user_id: int, data: UserUpdate) -> UserRead:
        return await users.update(request.user, user_id, data)
