"""`casework rotate-keys` moves every identifier to a new key; matching keeps working."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from casework.settings import get_settings
from tests.support import dispute, person
from tests.support_access import client_from

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _fernet(secret: str) -> Fernet:  # the derivation personal/crypto.py documents
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"casework:encrypt:{secret}".encode()).digest()))


def _run_rotation(new: str, old: str) -> str:
    env = {**os.environ, "CASEWORK_PERSONAL_DATA_KEY": new, "CASEWORK_PERSONAL_DATA_OLD_KEYS": old,
           "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "casework.cli", "rotate-keys"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _use_keys(current: str, old: str) -> None:
    os.environ["CASEWORK_PERSONAL_DATA_KEY"] = current
    os.environ["CASEWORK_PERSONAL_DATA_OLD_KEYS"] = old
    get_settings.cache_clear()


async def test_rotation_reencrypts_rehashes_and_keeps_repeats_and_receipts_working(app, users, db):
    applicant = person("applicant", phone="13522223333")
    respondent = person("respondent")
    first = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, respondent]))).json()
    old_key = get_settings().personal_data_key
    new_key = "rotated-" + base64.urlsafe_b64encode(os.urandom(24)).decode()
    saved = {k: os.environ.get(k) for k in ("CASEWORK_PERSONAL_DATA_KEY", "CASEWORK_PERSONAL_DATA_OLD_KEYS")}
    try:
        output = _run_rotation(new_key, old_key)
        assert "re-encrypted and re-hashed" in output
        rows = await db.fetch("SELECT * FROM party WHERE id_number_enc IS NOT NULL")
        assert rows
        for row in rows:  # only the new key opens them now
            _fernet(new_key).decrypt(row["id_number_enc"].encode())
            try:
                _fernet(old_key).decrypt(row["id_number_enc"].encode())
                raise AssertionError("still readable with the old key")
            except InvalidToken:
                pass

        # The service restarted with the new key (old one kept for receipt codes).
        _use_keys(new_key, old_key)
        second = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, respondent]))).json()
        assert first["reference"] in [r["reference"] for r in second["possible_repeats"]]
        revealed = (await users["officer"].post(f"/api/v1/cases/{first['reference']}/personal-data",
                                                json={"reason": "密钥轮换后核对"})).json()
        assert revealed["parties"][0]["id_number"] == applicant["id_number"]
        async with client_from(app) as party:
            lookup = await party.post("/api/v1/public/lookup", json={"reference": first["reference"],
                                                                     "receipt_code": first["receipt_code"]})
        assert lookup.status_code == 200  # hashed under the old key, verified, then re-hashed
        from casework.public.service import receipt_hashes

        stored = await db.fetchval("SELECT receipt_code_hash FROM case_file WHERE id = $1", first["id"])
        assert stored == receipt_hashes(first["reference"], first["receipt_code"])[0]
    finally:
        # Rotate back so the rest of the session runs under the original key.
        _run_rotation(old_key, new_key)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
    assert get_settings().personal_data_key == old_key
    row = await db.fetchrow("SELECT id_number_enc FROM party WHERE case_id = $1 AND position = 1", first["id"])
    _fernet(old_key).decrypt(row["id_number_enc"].encode())


async def test_rotation_refuses_rows_no_configured_key_opens(db, users):
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    env = {**os.environ, "CASEWORK_PERSONAL_DATA_KEY": "some-unrelated-key", "CASEWORK_PERSONAL_DATA_OLD_KEYS": "",
           "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = await db.fetchval("SELECT id_number_enc FROM party WHERE case_id = $1 AND position = 1", case["id"])
    result = subprocess.run([sys.executable, "-m", "casework.cli", "rotate-keys"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "no configured key opens" in result.stderr
    after = await db.fetchval("SELECT id_number_enc FROM party WHERE case_id = $1 AND position = 1", case["id"])
    assert after == before  # nothing overwritten
