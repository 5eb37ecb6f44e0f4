"""Encryption at rest and keyed hashes for personal identifiers.

ID-card numbers, phones and addresses are stored Fernet-encrypted
(``cryptography``), and ID numbers and phones also as an HMAC-SHA256 under a
key derived from the same secret, so repeat detection matches without
plaintext. Rotation: set the new secret in ``CASEWORK_PERSONAL_DATA_KEY``, the
old ones in ``CASEWORK_PERSONAL_DATA_OLD_KEYS``, then run
``casework rotate-keys``, which re-encrypts and re-hashes every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from casework.settings import get_settings


def _derive(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"casework:{purpose}:{secret}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(current: str, old: tuple[str, ...]) -> MultiFernet:
    keys = [Fernet(base64.urlsafe_b64encode(_derive(k, "encrypt"))) for k in (current, *old)]
    return MultiFernet(keys)


def _keys() -> tuple[str, tuple[str, ...]]:
    settings = get_settings()
    return settings.personal_data_key, settings.personal_data_old_keys


def encrypt(value: str | None) -> str | None:
    if value is None:
        return None
    return _fernet(*_keys()).encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return _fernet(*_keys()).decrypt(token.encode()).decode()
    except InvalidToken:  # pragma: no cover - only with a lost key
        return None


def rotate(token: str) -> str:
    return _fernet(*_keys()).rotate(token.encode()).decode()


def reencrypt(token: str) -> tuple[str, str]:
    """(token under the current key, plaintext); raises InvalidToken if no configured key opens it."""
    fernet = _fernet(*_keys())
    plaintext = fernet.decrypt(token.encode()).decode()
    return fernet.encrypt(plaintext.encode()).decode(), plaintext


def _hmac(secret: str, value: str, purpose: str) -> str:
    return hmac.new(_derive(secret, purpose), value.encode(), hashlib.sha256).hexdigest()


def keyed_hash(value: str, purpose: str = "match") -> str:
    return _hmac(get_settings().personal_data_key, value, purpose)


def keyed_hashes(value: str, purpose: str = "match") -> list[str]:
    """The hash under the current key first, then under each old key.

    For values whose plaintext is not kept (receipt codes): ``rotate-keys``
    cannot re-hash them, so they are verified against every key still
    configured and re-hashed under the current key when next verified.
    """
    current, old = _keys()
    return [_hmac(secret, value, purpose) for secret in (current, *old)]
