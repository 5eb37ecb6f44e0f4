"""Keeping identifiers out of what leaves the service: webhooks, exports, logs.

``outbound(value)`` strips identifier fields (ID number, phone, address, in
clear or encrypted, and parties' free-text comments) from any JSON-like
value unless ``CASEWORK_PERSONAL_DATA_OUTBOUND`` is on; the webhook
dispatcher and exports pass their payloads through it, and the structlog
processor ``redact_log_event`` applies it to every log line regardless of the
setting (logs never need identifiers). Names are not stripped: a case is
not workable without them, and they are not identifiers under the
masking rule (docs/personal-data.md).
"""

from __future__ import annotations

from typing import Any

from casework.settings import get_settings

PERSONAL_KEYS = frozenset({
    "id_number", "id_number_enc", "phone", "phone_enc", "address", "address_enc", "comment", "receipt_code",
})
REDACTED = "[redacted]"


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k in PERSONAL_KEYS and v is not None else _strip(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strip(v) for v in value]
    return value


def outbound(value: Any) -> Any:
    """``value`` as it may leave the service under the current settings."""
    return value if get_settings().personal_data_outbound else _strip(value)


def redact_log_event(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: identifiers never reach a log line. A line with
    no such key and nothing nested (an access-log line) is passed on as it
    is, not copied: a third of a line's cost otherwise."""
    for key, value in event_dict.items():
        if key in PERSONAL_KEYS or isinstance(value, (dict, list, tuple)):
            return _strip(event_dict)
    return event_dict
