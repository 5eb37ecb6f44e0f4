"""Bearer JWTs (Litestar's JWTAuth) and permission guards.

Each request reloads its user, so deactivating a user or changing their role
(which bumps ``token_version``) takes effect on the next request. Access
tokens are short-lived (``CASEWORK_ACCESS_TOKEN_MINUTES``) and renewed by
``POST /api/v1/auth/refresh``: with the refresh token a device got at
sign-in (``access.devices``: rotated on each use, bounded by idle and
absolute lifetimes), or, for clients that sign in without a device id, with
the still-valid access token itself, up to ``CASEWORK_SESSION_MAX_HOURS``
after sign-in (``auth_time``) (docs/access.md).

``requires(permission)`` is the guard on every /api/v1 route that needs a
token: it checks the role against ``data/policy.json`` and, on routes with a
``{reference}`` path parameter, that the case is in the caller's scope
(``access.scope``), answering 404 like a missing case before the request
body is even read.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from casework.access.policy import allowed, matrix
from casework.access.scope import visible_case_id
from casework.access.service import Principal, principal_by_id
from casework.db import connection
from casework.problems import Problem, not_found
from casework.settings import get_settings

OPEN_PATHS = [
    "^/api/v1/auth/token",
    # Open: an offline phone's access token has expired when it refreshes;
    # the refresh token (or, for token-only clients, the bearer) is checked there.
    "^/api/v1/auth/refresh",
    "^/api/v1/public/",
    "^/api/v1/integrations/",
    "^/open311/",
    "^/health",
    "^/ready",
    "^/schema",
    "^/static/",
    "^/dashboard",
    "^/apply",
    "^/admin",
]


async def retrieve_user(token: Token, _connection: ASGIConnection) -> Principal | None:
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    session_id = token.extras.get("sid")
    found = await principal_by_id(user_id, session_id if isinstance(session_id, int) else None)
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
        # Litestar lets HEAD through unauthenticated by default; HEAD runs the
        # GET handler here (middleware.HeadAsGetMiddleware), so it needs the token.
        exclude_http_methods=["OPTIONS"],
    )


def issue_token(auth: JWTAuth, principal: Principal, auth_time: int | None = None,
                session_id: int | None = None) -> str:
    """A short-lived access token; ``auth_time`` (sign-in, epoch seconds) bounds
    token-only refreshes; ``session_id``: the device session it was issued
    under (revoking the device ends it too)."""
    extras: dict[str, Any] = {"tv": principal.token_version, "role": principal.role,
                              "auth_time": auth_time if auth_time is not None else int(time.time())}
    if session_id is not None:
        extras["sid"] = session_id
    return auth.create_token(identifier=str(principal.id), token_extras=extras)


def bearer_principal_token(auth: JWTAuth, authorization: str | None) -> Token | None:
    """The decoded bearer token of an ``Authorization`` header (signature and
    expiry checked), for the one open route that also takes one
    (``/auth/refresh`` of a token-only client); None if absent or invalid."""
    if not authorization or authorization[:7].lower() != "bearer ":
        return None
    try:
        return auth.token_cls.decode(encoded_token=authorization[7:].strip(), secret=auth.token_secret,
                                     algorithm=auth.algorithm)
    except Exception:  # noqa: BLE001 - any decoding failure: no valid token
        return None


def requires(permission: str, *, case_read_by_handler: bool = False) -> Any:
    """A guard: the caller's role must hold ``permission`` in the policy matrix,
    and a case named by a ``{reference}`` path parameter must be in scope.
    ``case_read_by_handler``: the handler reads the case row through
    ``cases.core.case_by_reference`` (scope checked on that one read), so the
    guard does not read it too (the case detail, the hottest read)."""
    if permission not in matrix():
        raise LookupError(f"permission {permission!r} is not in access/data/policy.json")

    async def guard(conn: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user: Principal = conn.user
        if not allowed(user.role, permission):
            raise Problem(403, "forbidden", "Forbidden", f"role {user.role} may not {permission}",
                          permission=permission)
        reference = conn.path_params.get("reference")
        if reference is not None and not case_read_by_handler:
            async with connection() as db:
                if await visible_case_id(db, user, str(reference)) is None:
                    raise not_found()

    guard.__name__ = f"requires_{permission.replace('.', '_')}"
    guard.permission = permission  # type: ignore[attr-defined]  # read by access.matrix
    return guard
