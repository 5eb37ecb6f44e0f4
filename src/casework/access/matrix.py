"""Every route and the permission that guards it, read from the app itself.

A route's permission is the one its ``requires(...)`` guard names (or
``opt={"permission": ...}``); open routes are those the JWT middleware
excludes (``auth.OPEN_PATHS``). ``casework access-matrix`` prints the table
docs/access.md carries, and the tests check every cell against the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from casework.access.auth import OPEN_PATHS
from casework.access.policy import ROLES, matrix

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class RouteRule:
    method: str
    path: str  # Litestar's template, e.g. /api/v1/cases/{reference:str}
    permissions: tuple[str, ...]
    open: bool
    path_params: tuple[tuple[str, type], ...] = ()

    @property
    def case_scoped(self) -> bool:
        return "{reference" in self.path


def _permission_of(guard: Any) -> str | None:
    return getattr(guard, "permission", None) or getattr(getattr(guard, "func", None), "permission", None)


def is_open(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in OPEN_PATHS)


def api_routes(app: Litestar) -> list[RouteRule]:
    rules = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            continue
        for handler in route.route_handlers:
            permissions = [p for g in handler.resolve_guards() if (p := _permission_of(g))]
            if handler.opt.get("permission"):
                permissions.append(handler.opt["permission"])
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                params = tuple((name, p.type) for name, p in route.path_parameters.items())
                rules.append(RouteRule(method, route.path_format, tuple(dict.fromkeys(permissions)),
                                       is_open(route.path_format), params))
    return sorted(rules, key=lambda r: (r.path, r.method))


def role_table_markdown() -> str:
    header = "| permission | " + " | ".join(ROLES) + " |"
    lines = [header, "|---|" + "---|" * len(ROLES)]
    for permission, roles in matrix().items():
        lines.append(f"| `{permission}` | " + " | ".join("yes" if r in roles else "—" for r in ROLES) + " |")
    return "\n".join(lines)


def route_table_markdown(app: Litestar) -> str:
    lines = ["| method | route | permission |", "|---|---|---|"]
    for rule in api_routes(app):
        permission = ", ".join(f"`{p}`" for p in rule.permissions) or ("open" if rule.open else "**none**")
        lines.append(f"| {rule.method} | `{rule.path}` | {permission} |")
    return "\n".join(lines)
