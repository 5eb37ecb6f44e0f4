"""One cursor format for every paged list.

A cursor is the sort key of the last row a page showed, as a JSON array,
base64url-encoded without padding: opaque to clients, stable across
releases. Every page answers ``next_cursor`` and ``has_more``; a client
passes ``next_cursor`` back while ``has_more`` is true.

Cursors issued by the previous release (each list had its own format) are
still read, through the ``legacy`` parser each list passes, for one
release: mobile devices keep a sync cursor across an upgrade.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

from casework.problems import invalid

T = TypeVar("T")


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def encode(*key: Any) -> str:
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _unbase64(cursor: str) -> str:
    return base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()


def decode(
    cursor: str, convert: Callable[[list[Any]], T], *, field: str = "cursor",
    legacy: Callable[[str], T] | None = None,
) -> T:
    """The key ``encode`` wrote, passed through ``convert`` (which raises
    ValueError/TypeError/KeyError on a key of the wrong shape). A cursor that
    is not one of ours is a 422 naming ``field``."""
    try:
        raw = _unbase64(cursor)
        key = json.loads(raw)
        if isinstance(key, list):
            return convert(key)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error):
        pass
    if legacy is not None:
        try:
            return legacy(cursor)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error):
            pass
    raise invalid([{"field": field, "message": "is not a cursor this service issued"}])


def unbase64(cursor: str) -> str:
    """For legacy parsers: the text an old base64 cursor carried."""
    return _unbase64(cursor)


def page(items: list[T], rows: int, limit: int, key: Callable[[T], tuple[Any, ...]]) -> dict[str, Any]:
    """``items`` (at most ``limit``) from a query that asked for ``limit + 1``
    and got ``rows``: the page's ``next_cursor`` and ``has_more``."""
    more = rows > limit and bool(items)
    return {"items": items, "next_cursor": encode(*key(items[-1])) if more else None, "has_more": more}
