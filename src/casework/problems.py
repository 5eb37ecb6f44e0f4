"""RFC 9457 problem details: the one shape every error takes.

Litestar's ProblemDetailsPlugin renders ``ProblemDetailsException``; the
helpers here give each kind of refusal a stable ``type`` and, for bad input,
an ``errors`` list naming each field.
"""

from __future__ import annotations

from typing import Any

from litestar.plugins.problem_details import ProblemDetailsException

TYPE_BASE = "https://casework.example/problems/"


class Problem(ProblemDetailsException):
    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            status_code=status,
            type_=TYPE_BASE + kind,
            title=title,
            detail=detail or title,
            headers=headers,
            extra=extra or None,
        )
        self.kind = kind


def invalid(errors: list[dict[str, str]], detail: str | None = None) -> Problem:
    """422 naming every bad field: ``[{"field": ..., "message": ...}]``."""
    names = ", ".join(e["field"] for e in errors)
    return Problem(422, "validation", "Invalid request", detail or f"invalid: {names}", errors=errors)


def not_found(what: str = "case") -> Problem:
    return Problem(404, "not-found", "Not found", f"{what} not found")


def conflict(kind: str, detail: str, **extra: Any) -> Problem:
    return Problem(409, kind, "Conflict", detail, **extra)
