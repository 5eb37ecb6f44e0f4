"""``casework rotate-keys``: re-encrypt and re-hash every stored identifier
under the current key (docs/personal-data.md).

Each batch of party rows is locked, decrypted with whichever configured key
opens it (current or ``CASEWORK_PERSONAL_DATA_OLD_KEYS``), encrypted again
under the current key, and its ID-number and phone hashes recomputed from
the plaintext, in one transaction per batch: a crash leaves every row either
old or new, both readable while the old key is still configured, and a
second run finishes the job. Encrypted idempotency replays are re-encrypted
too. Receipt codes are stored only as keyed hashes of a code nobody keeps,
so they cannot be re-hashed here: they verify under any configured key and
are re-hashed when next used (public.service).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken

from casework.db import connection, transaction
from casework.personal import crypto


@dataclass
class RotationReport:
    parties: int = 0
    idempotency_records: int = 0
    unreadable: list[str] = field(default_factory=list)  # rows no configured key opens


def _reencrypt(token: str | None) -> tuple[str | None, str | None]:
    if token is None:
        return None, None
    return crypto.reencrypt(token)


async def rotate_keys(batch_size: int = 500) -> RotationReport:
    report = RotationReport()
    last_id = 0
    while True:
        async with transaction():
            async with connection() as conn:
                rows = await conn.fetch(
                    """SELECT id, id_number_enc, phone_enc, address_enc FROM party
                       WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE""",
                    last_id, batch_size,
                )
                updates = []
                for row in rows:
                    try:
                        id_enc, id_number = _reencrypt(row["id_number_enc"])
                        phone_enc, phone = _reencrypt(row["phone_enc"])
                        address_enc, _ = _reencrypt(row["address_enc"])
                    except InvalidToken:
                        report.unreadable.append(f"party {row['id']}")
                        continue
                    updates.append((
                        row["id"], id_enc, crypto.keyed_hash(id_number) if id_number else None,
                        phone_enc, crypto.keyed_hash(phone) if phone else None, address_enc,
                    ))
                if updates:
                    await conn.executemany(
                        """UPDATE party SET id_number_enc = $2, id_number_hash = $3, phone_enc = $4,
                                            phone_hash = $5, address_enc = $6 WHERE id = $1""",
                        updates,
                    )
                report.parties += len(updates)
        if len(rows) < batch_size:
            break
        last_id = rows[-1]["id"]

    async with transaction():
        async with connection() as conn:
            rows = await conn.fetch(
                "SELECT user_id, key, response_enc FROM idempotency_record WHERE response_enc IS NOT NULL FOR UPDATE"
            )
            updates = []
            for row in rows:
                try:
                    updates.append((row["user_id"], row["key"], crypto.reencrypt(row["response_enc"])[0]))
                except InvalidToken:
                    report.unreadable.append(f"idempotency record of user {row['user_id']}")
            if updates:
                await conn.executemany(
                    "UPDATE idempotency_record SET response_enc = $3 WHERE user_id = $1 AND key = $2", updates
                )
            report.idempotency_records = len(updates)
    return report


async def stored_data_opens() -> bool | None:
    """Whether the configured keys open the personal data already stored
    (the newest encrypted party field, else an idempotent replay); None when
    nothing is encrypted yet.

    Checked at start-up: an instance whose key differs from the others' (one
    left to generate its own in its data folder) would store what no other
    instance can read and fail on what they stored, so it must not start."""
    async with connection() as conn:
        token = await conn.fetchval(
            """SELECT coalesce(id_number_enc, phone_enc, address_enc) FROM party
               WHERE coalesce(id_number_enc, phone_enc, address_enc) IS NOT NULL ORDER BY id DESC LIMIT 1""")
        if token is None:
            token = await conn.fetchval(
                "SELECT response_enc FROM idempotency_record WHERE response_enc IS NOT NULL LIMIT 1")
    if token is None:
        return None
    try:
        crypto.reencrypt(token)
    except InvalidToken:
        return False
    return True
