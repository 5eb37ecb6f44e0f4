"""Bearer JWTs (Litestar's JWTAuth) and permission guards.

Each request reloads its user, so deactivating a user or changing their role
(which bumps ``token_version``) takes effect on the next request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from casework.access.policy import allowed
from casework.access.service import Principal, principal_by_id
from casework.problems import Problem
from casework.settings import get_settings

OPEN_PATHS = [
    "^/api/v1/auth/token",
    "^/api/v1/public/",
    "^/api/v1/integrations/",
    "^/health",
    "^/ready",
    "^/schema",
    "^/static/",
    "^/dashboard",
    "^/admin",
]


async def retrieve_user(token: Token, _connection: ASGIConnection) -> Principal | None:
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    found = await principal_by_id(user_id)
    if found is None:
        return None
    principal, active = found
    if not active or token.extras.get("tv") != principal.token_version:
        return None
    return principal


def build_jwt_auth() -> JWTAuth[Principal, Token]:
    settings = get_settings()
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_user,
        token_secret=settings.jwt_secret,
        exclude=OPEN_PATHS,
        default_token_expiration=timedelta(minutes=settings.access_token_minutes),
    )


def issue_token(auth: JWTAuth, principal: Principal) -> str:
    return auth.create_token(
        identifier=str(principal.id),
        token_extras={"tv": principal.token_version, "role": principal.role},
    )


def requires(permission: str) -> Any:
    """A guard: the caller's role must hold ``permission`` in the policy matrix."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user: Principal = connection.user
        if not allowed(user.role, permission):
            raise Problem(403, "forbidden", "Forbidden", f"role {user.role} may not {permission}")

    guard.__name__ = f"requires_{permission.replace('.', '_')}"
    return guard
