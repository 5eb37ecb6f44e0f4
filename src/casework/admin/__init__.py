"""piccolo_admin at /admin for reference data and users, for casework admins only.

Who may sign in: a thin auth bridge rather than copied accounts.
``CaseworkAdminUser.login`` checks the username and password against
casework's own ``app_user`` (argon2, active, role ``admin``) and only then
creates or refreshes the matching ``piccolo_user`` row (admin, active) that
piccolo_admin's session middleware needs. Copying accounts at start-up
cannot work (casework keeps argon2 hashes; piccolo_user wants its own PBKDF2
hash, so each admin would need a second password), and a copy goes stale:
here the casework account stays the only source of truth. When a user
stops being an active admin anywhere (API, /admin, SQL), the trigger
``app_user_guard`` clears their piccolo_user admin flag at once, so an open
admin session stops working on its next request; at start-up
``sync_admin_users`` does the same for any row that drifted.

What admins change is recorded like every other change: database triggers
on the reference tables write ``admin_event`` with before and after. To
name the actor, every request that may write (not GET/HEAD) runs inside one
transaction that first sets ``casework.actor_id`` and
``casework.actor_role`` (SET LOCAL) from the admin session.

Users are not managed here: the screen cannot scope its rows to an
admin's jurisdiction, and it could set a password hash or a token version
with no audit. They are managed through the API (``/api/v1/users``,
scoped, audited) and the ``casework users`` command; the write
transactions set ``casework.admin_screen`` and a trigger refuses any write
to ``app_user`` in them.

Sign-in goes through the service's one sign-in path (``access.login``:
the per-account and per-address throttle, the bounded password hashing);
a wrong password never touches the admin's own session. Request bodies are
bounded like the API's (``CASEWORK_MAX_REQUEST_BODY_BYTES``), sessions last
no longer than the API's (``CASEWORK_SESSION_MAX_HOURS``), and every answer
carries a CSP and frame protection.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

import structlog
from piccolo.apps.user.tables import BaseUser

from casework.access import login as sign_in_path
from casework.access.passwords import SignInBusy
from casework.access.throttle import TooManyAttempts
from casework.admin.tables import (
    Body,
    CalendarDayEntry,
    CalendarYearEntry,
    CategoryEntry,
    DivisionEntry,
    PublicReasonEntry,
    RoutingRule,
    TimeLimitEntry,
)
from casework.db import connection, engine
from casework.problems import TYPE_BASE
from casework.settings import get_settings

log = structlog.get_logger(__name__)
SESSION_COOKIE = "id"  # piccolo_api's default cookie name
# The client address of the request being served, for the sign-in throttle
# (piccolo's login() is given only the username and password).
_client_address: contextvars.ContextVar[str] = contextvars.ContextVar("admin_client_address", default="unknown")

# piccolo_admin is a Vue application served from its own files: scripts
# and styles from the same origin (its build uses inline styles), images
# as data: URIs, no framing anywhere.
SECURITY_HEADERS = [
    (b"content-security-policy",
     (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
      b"font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class CaseworkAdminUser(BaseUser, tablename="piccolo_user"):
    """piccolo_user, with sign-in answered by casework's own accounts."""

    @classmethod
    async def login(cls, username: str, password: str) -> int | None:
        """casework's own sign-in (throttle included); only active admins get a
        piccolo_user row. A failure changes nothing: it must not end the real
        admin's session (anyone can post a wrong password for a name)."""
        try:
            principal = await sign_in_path.sign_in(username, password, _client_address.get())
        except (TooManyAttempts, SignInBusy):  # throttled, or every hashing slot busy: not signed in
            return None
        if principal is None or principal.role != "admin":
            return None
        async with connection() as conn:
            # The stored password is random and unusable: sign-in never reads it.
            return await conn.fetchval(
                """INSERT INTO piccolo_user (username, password, email, active, admin, superuser, last_login)
                   VALUES ($1, $2, $3, true, true, false, now())
                   ON CONFLICT (username) DO UPDATE SET active = true, admin = true, superuser = false,
                       last_login = now()
                   RETURNING id""",
                username, "casework-bridge$0$" + secrets.token_hex(16) + "$x", f"{username}@casework.invalid",
            )


async def sync_admin_users() -> None:
    """Take the admin screen away from anyone who is no longer an active casework admin."""
    async with connection() as conn:
        if not await conn.fetchval("SELECT to_regclass('piccolo_user') IS NOT NULL"):
            return
        await conn.execute(
            """UPDATE piccolo_user p SET active = false, admin = false
               WHERE (p.active OR p.admin) AND NOT EXISTS (
                   SELECT 1 FROM app_user u WHERE u.username = p.username AND u.active AND u.role = 'admin')"""
        )


def _tables() -> list[Any]:
    from piccolo_admin.endpoints import TableConfig

    return [
        TableConfig(DivisionEntry, menu_group="参考数据"),
        TableConfig(Body, menu_group="参考数据"),
        TableConfig(CategoryEntry, menu_group="参考数据"),
        TableConfig(RoutingRule, menu_group="参考数据"),
        TableConfig(PublicReasonEntry, menu_group="参考数据"),
        TableConfig(TimeLimitEntry, menu_group="法定时限与节假日"),
        TableConfig(CalendarYearEntry, menu_group="法定时限与节假日"),
        TableConfig(CalendarDayEntry, menu_group="法定时限与节假日"),
        # No users here: see the module's docstring.
    ]


def _session_token(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie = SimpleCookie()
            cookie.load(value.decode("latin-1"))
            if SESSION_COOKIE in cookie:
                return cookie[SESSION_COOKIE].value
    return None


async def _actor(conn: Any, token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    row = await conn.fetchrow(
        """SELECT u.id, u.role FROM sessions s JOIN piccolo_user p ON p.id = s.user_id
           JOIN app_user u ON u.username = p.username
           WHERE s.token = $1 AND s.expiry_date > now() AND p.admin AND p.active""",
        token,
    )
    return (row["id"], row["role"]) if row else None


class AdminMount:
    """The piccolo_admin ASGI app, with writes run in one transaction that
    names the acting admin for the audit triggers.

    Built on its first request, not at start-up: piccolo_admin and the app
    it builds take some 15 MB of resident memory in every worker, and most
    workers never serve the admin screen (the benchmark's memory target is
    300 MB for the whole service under load)."""

    def __init__(self) -> None:
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:  # no await in between: one build per worker
            from piccolo_admin.endpoints import create_admin
            from piccolo_api.session_auth.tables import SessionsBase

            self._app = create_admin(
                tables=_tables(), auth_table=CaseworkAdminUser, session_table=SessionsBase,
                site_name="casework 管理", default_language_code="zh-CN",  # piccolo_admin's code for Simplified Chinese ("zh" is a 404)
                # production=True would mark cookies Secure (HTTPS only); set it
                # behind TLS. Local and intranet HTTP installs need it off.
                production=False,
                # No longer than an API session (piccolo's default is 7 days).
                session_expiry=dt.timedelta(hours=1),
                max_session_expiry=dt.timedelta(hours=get_settings().session_max_hours),
            )
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        client = scope.get("client")
        _client_address.set(client[0] if client else "unknown")
        body = await _bounded_body(scope, receive, get_settings().max_request_body_bytes)
        if body is None:
            await _problem(send, 413, "request-too-large", "Request too large",
                           f"the body exceeds {get_settings().max_request_body_bytes} bytes")
            return
        receive = _replay(body, receive)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        async with engine().transaction():
            async with connection() as conn:
                actor = await _actor(conn, _session_token(scope))
                await conn.execute("SELECT set_config('casework.admin_screen', 'on', true)")
                if actor is not None:
                    await conn.execute("SELECT set_config('casework.actor_id', $1, true), "
                                       "set_config('casework.actor_role', $2, true)", str(actor[0]), actor[1])
            await self.app(scope, receive, send)


def _with_security_headers(send: Any) -> Any:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _bounded_body(scope: dict[str, Any], receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None when it is larger than ``limit``.
    Litestar's body limit does not reach a mounted ASGI app; admin bodies
    are small forms and JSON, so reading them first costs nothing."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """The body read first, then the client's own messages (a disconnect
    when it really goes: Starlette's file responses listen for it while
    they stream, and a made-up one cuts them short)."""
    sent = False

    async def replaying() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying


async def _problem(send: Any, status: int, kind: str, title: str, detail: str) -> None:
    body = json.dumps({"type": f"{TYPE_BASE}{kind}", "title": title, "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def admin_handler() -> Any:
    """The /admin mount for create_app(); the admin app is built on its first request."""
    from litestar import asgi

    mount = AdminMount()

    @asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True})
    async def admin(scope: Any, receive: Any, send: Any) -> None:
        await mount(scope, receive, send)

    return admin
