"""Sign-in (bearer tokens) and user management by admins."""

from __future__ import annotations

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import CacheControlHeader

from casework.access import login, service, users
from casework.access.auth import issue_token, requires
from casework.access.schemas import (
    Me,
    PasswordChange,
    TokenAnswer,
    TokenRequest,
    UserCreate,
    UserList,
    UserRead,
    UserUpdate,
)
from casework.settings import get_settings


def _me(principal: service.Principal) -> Me:
    return Me(id=principal.id, username=principal.username, role=principal.role,
              jurisdiction=principal.jurisdiction, body_id=principal.body_id)


def _token_response(request: Request, principal: service.Principal, auth_time: int | None) -> TokenAnswer:
    return TokenAnswer(access_token=issue_token(request.app.state.jwt_auth, principal, auth_time),
                       token_type="bearer", expires_in=get_settings().access_token_minutes * 60,
                       user=_me(principal))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]
    cache_control = CacheControlHeader(no_store=True)  # tokens stay out of browser and proxy caches

    @post("/token", summary="Exchange a username and password for a bearer token", status_code=200,
          description="Failed sign-ins are throttled per account and per address: 429 with Retry-After.")
    async def token(self, request: Request, data: TokenRequest) -> TokenAnswer:
        address = request.client.host if request.client else "unknown"
        principal = await login.sign_in_for_token(data.username, data.password, address)
        return _token_response(request, principal, auth_time=None)

    @post("/refresh", guards=[requires("session.use")], status_code=200,
          summary="A fresh access token for a still-valid one, up to the session's maximum age")
    async def refresh(self, request: Request) -> TokenAnswer:
        auth_time = login.session_start(request.auth.extras.get("auth_time"))
        return _token_response(request, request.user, auth_time=auth_time)

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
