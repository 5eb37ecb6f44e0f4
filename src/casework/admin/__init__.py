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
on the reference tables and app_user write ``admin_event`` with before and
after. To name the actor, every request that may write (not GET/HEAD) runs
inside one transaction that first sets ``casework.actor_id`` and
``casework.actor_role`` (SET LOCAL) from the admin session.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

import structlog
from piccolo.apps.user.tables import BaseUser

from casework.access import service as access
from casework.access.tables import AppUser
from casework.admin.tables import (
    CalendarDayEntry, CalendarYearEntry, CategoryEntry, DivisionEntry, TimeLimitEntry,
)
from casework.db import connection, engine
from casework.reference.tables import Body
from casework.routing.tables import RoutingRule

log = structlog.get_logger(__name__)
SESSION_COOKIE = "id"  # piccolo_api's default cookie name


class CaseworkAdminUser(BaseUser, tablename="piccolo_user"):
    """piccolo_user, with sign-in answered by casework's own accounts."""

    @classmethod
    async def login(cls, username: str, password: str) -> int | None:
        principal = await access.authenticate(username, password)
        if principal is None or principal.role != "admin":
            await cls.update({cls.active: False, cls.admin: False}).where(cls.username == username)
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
        TableConfig(TimeLimitEntry, menu_group="法定时限与节假日"),
        TableConfig(CalendarYearEntry, menu_group="法定时限与节假日"),
        TableConfig(CalendarDayEntry, menu_group="法定时限与节假日"),
        # Passwords are set with `casework users create` or the API; here:
        # role, jurisdiction, body, active (the database ends old tokens).
        TableConfig(AppUser, menu_group="用户", exclude_visible_columns=[AppUser.password_hash]),
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
                site_name="casework 管理", default_language_code="zh",
                # production=True would mark cookies Secure (HTTPS only); set it
                # behind TLS. Local and intranet HTTP installs need it off.
                production=False,
            )
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        async with engine().transaction():
            async with connection() as conn:
                actor = await _actor(conn, _session_token(scope))
                if actor is not None:
                    await conn.execute("SELECT set_config('casework.actor_id', $1, true), "
                                       "set_config('casework.actor_role', $2, true)", str(actor[0]), actor[1])
            await self.app(scope, receive, send)


def admin_handler() -> Any:
    """The /admin mount for create_app(); the admin app is built on its first request."""
    from litestar import asgi

    mount = AdminMount()

    @asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True})
    async def admin(scope: Any, receive: Any, send: Any) -> None:
        await mount(scope, receive, send)

    return admin
