"""structlog configuration: JSON lines with the request id, no personal data.

Request bodies are never logged (they carry ID numbers and phones); the
request-logging middleware logs method, path, status and duration only.
"""

from __future__ import annotations

import logging
import sys

import structlog

from casework.personal.outbound import redact_log_event


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_log_event,
    ]
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
