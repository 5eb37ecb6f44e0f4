"""What time it is for the service: the one place "now" is read.

Statutory periods count Beijing dates (``today``). Time is an input: a
test, a demo or a story on statutory dates sets it, and the service then
lives on that date, with time moving on from there:

- in the process: ``travel_to(moment)`` (``travel_to(None)`` returns to the
  wall clock);
- for a real server process: ``CASEWORK_CLOCK_FILE`` names a file holding an
  ISO 8601 moment; the service's "now" is that moment when the file was
  last written, plus the time since. Writing the file again moves every
  worker at once. Never set in production.

SQL reads the same time through ``casework_now()`` (migration
2026-11-28T02:00): when the clock is moved, every connection the service
takes carries it in the ``casework.now`` setting. Only the business time
moves (received, accepted, concluded, event times, the day the clocks
count); retry backoff, leases, throttle windows and token expiry keep
the wall clock, which they measure intervals on.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
CLOCK_FILE_ENV = "CASEWORK_CLOCK_FILE"

_offset: dt.timedelta | None = None  # travel_to() in this process
_file_cache: tuple[int, dt.timedelta] | None = None  # (mtime_ns, offset)
_moved_ever = False  # once the clock was moved, connections keep saying so


def wall_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _file_offset() -> dt.timedelta | None:
    global _file_cache
    path = os.environ.get(CLOCK_FILE_ENV)
    if not path:
        return None
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    if _file_cache is None or _file_cache[0] != stat.st_mtime_ns:
        with open(path, encoding="utf-8") as fh:
            text = fh.read().strip()
        if not text:
            return None
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TZ)
        written = dt.datetime.fromtimestamp(stat.st_mtime_ns / 1e9, dt.UTC)
        _file_cache = (stat.st_mtime_ns, moment - written)
    return _file_cache[1]


def offset() -> dt.timedelta | None:
    """How far the service's time is from the wall clock; None when it is not moved."""
    return _offset if _offset is not None else _file_offset()


def clock_moved() -> bool:
    """The clock was moved in this process at some point (connections then
    always carry ``casework.now``, so a return to the wall clock is seen too)."""
    return _moved_ever or bool(os.environ.get(CLOCK_FILE_ENV))


def now() -> dt.datetime:
    moved = offset()
    return wall_now() + moved if moved is not None else wall_now()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA_TZ).date()


def today() -> dt.date:
    return local_date(now())


def set_now(moment: dt.datetime | None) -> None:
    """Move this process's clock to ``moment`` (time runs on from there); None: the wall clock."""
    global _offset, _moved_ever
    if moment is None:
        _offset = None
        return
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    _offset = moment - wall_now()
    _moved_ever = True


@contextmanager
def travel_to(moment: dt.datetime | str) -> Iterator[None]:
    """``with travel_to("2026-12-01T09:00+08:00"):`` the service lives on that day."""
    global _offset
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    previous = _offset
    set_now(moment)
    try:
        yield
    finally:
        _offset = previous


def sql_now_setting() -> str:
    """The value of ``casework.now`` for a connection ('' when not moved)."""
    return now().isoformat() if offset() is not None else ""


def rfc3339(moment: dt.datetime) -> str:
    """The one timestamp format in every body: RFC 3339 in UTC with ``Z``
    (``2026-11-28T05:00:00.123456Z``), as msgspec writes a UTC datetime; a
    naive moment is taken as UTC. SQL writes the same through
    ``casework_rfc3339()`` (migration 2026-11-28T17:00)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def json_default(value: object) -> str:
    """``json.dumps(..., default=json_default)`` for JSON the service stores
    and sends (event data, stored answers): moments as :func:`rfc3339`,
    dates as ISO dates, anything else as its text."""
    if isinstance(value, dt.datetime):
        return rfc3339(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_STORED_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}$")


def moments_as_rfc3339(value: Any) -> Any:
    """JSON stored before one format was kept (``+00:00``, ``str(datetime)``'s
    space, an admin trigger's ``to_jsonb(row)``) read back with its moments
    as :func:`rfc3339`: so old event data and audit rows answer like new."""
    if isinstance(value, dict):
        return {key: moments_as_rfc3339(item) for key, item in value.items()}
    if isinstance(value, list):
        return [moments_as_rfc3339(item) for item in value]
    if isinstance(value, str) and _STORED_MOMENT.match(value):
        return rfc3339(dt.datetime.fromisoformat(value))
    return value
