"""structlog configuration: JSON lines with the request id, no personal data.

Request bodies are never logged (they carry ID numbers and phones); the
request-logging middleware logs method, path, status and duration only, and
outbound URLs (httpx's request lines) are cut to their scheme and host.
"""

from __future__ import annotations

import logging
import sys

import httpx
import structlog

from casework.personal.outbound import redact_log_event
from casework.telemetry import add_trace_ids


class OutboundUrlFilter(logging.Filter):
    """httpx logs each request as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"``
    at INFO (through the standard library, whose root logger Litestar sends
    to stderr). A webhook or connector URL may carry its token in the query
    or the path, so only its scheme, host and port are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(_origin(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


_OUTBOUND_URL_FILTER = OutboundUrlFilter()


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
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
