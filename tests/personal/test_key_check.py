"""An instance whose personal-data key does not open what is stored does not
start: with several instances, one left to generate its own key would
store what no other can read (the loopback cluster met it as a 500 on a
retried intake: the other instance's encrypted replay did not open)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from casework.settings import get_settings
from tests.support import dispute

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _migrate(**keys: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **keys, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "casework.cli", "migrate"], env=env, check=False,
                          capture_output=True, text=True, timeout=120)


async def test_start_up_is_refused_with_a_key_that_does_not_open_the_stored_personal_data(users):
    created = await users["clerk"].post("/api/v1/cases", json=dispute(summary="钥匙不同"))
    assert created.status_code == 201, created.text
    current = get_settings().personal_data_key  # generated in the test data folder, which the command shares

    other = _migrate(CASEWORK_PERSONAL_DATA_KEY="another-instance-generated-its-own-key",
                     CASEWORK_PERSONAL_DATA_OLD_KEYS="")
    assert other.returncode != 0
    assert "CASEWORK_PERSONAL_DATA_KEY does not open the personal data already in the database" in other.stderr

    assert _migrate().returncode == 0
    # Mid-rotation: the new key current, the old one still listed, opens it.
    rotating = _migrate(CASEWORK_PERSONAL_DATA_KEY="the-new-key-0123456789", CASEWORK_PERSONAL_DATA_OLD_KEYS=current)
    assert rotating.returncode == 0, rotating.stderr
