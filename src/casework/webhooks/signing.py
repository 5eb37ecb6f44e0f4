"""How a delivery is signed: Standard Webhooks (https://www.standardwebhooks.com).

``webhook-id``, ``webhook-timestamp`` and ``webhook-signature: v1,<base64
HMAC-SHA256 over "{id}.{timestamp}.{body}">``; during a secret rotation one
``v1,`` signature per valid secret, space-separated, so a receiver holding
either secret verifies. The signatures are made by the ``standardwebhooks``
library, the one receivers use to verify.

Secrets are shown as ``whsec_<base64 of the key>``. A subscription made
before this form has a secret of any text: its key is that text's UTF-8
bytes, and its Standard Webhooks form is ``whsec_`` + base64 of them
(``standard_form``). The ``X-Casework-*`` headers of the release before
(``sha256=`` + hex HMAC over ``<timestamp>.<body>`` with the secret as
given) are still sent, signed with the current secret, for one release.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"
KEY_BYTES = 32  # generated keys; given whsec_ keys may be 24 to 64 bytes, as the spec allows


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def signing_key(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        return base64.b64decode(secret[len(PREFIX):], validate=True)
    return secret.encode()


def standard_form(secret: str) -> str:
    """The secret as a Standard Webhooks receiver takes it."""
    return secret if secret.startswith(PREFIX) else PREFIX + base64.b64encode(secret.encode()).decode()


def secret_problem(secret: str) -> str | None:
    """Why a given secret cannot be used, or None. A ``whsec_`` secret must be
    base64 of a 24 to 64 byte key; any other text is taken as it is."""
    if not secret.startswith(PREFIX):
        return None
    try:
        key = signing_key(secret)
    except (binascii.Error, ValueError):
        return "a whsec_ secret must be whsec_ followed by standard base64"
    if not 24 <= len(key) <= 64:
        return "a whsec_ secret's key must be 24 to 64 bytes"
    return None


def legacy_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<raw body>`` (the release before's header)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def standard_headers(*, message_id: str, timestamp: int, body: bytes, secrets_in_use: list[str]) -> dict[str, str]:
    """The three Standard Webhooks headers; ``secrets_in_use`` current first."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    text = body.decode()
    signatures = " ".join(Webhook(signing_key(s)).sign(message_id, moment, text) for s in secrets_in_use)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
