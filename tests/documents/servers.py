"""Real servers on loopback for the documents tests: the service itself on
uvicorn (to measure its memory and to kill it mid-upload), and moto's
standalone S3 server (``moto[server]`` from the test extra)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _wait(process: subprocess.Popen, url: str, what: str) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: " + process.stderr.read().decode(errors="replace")[-2000:])
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@contextmanager
def service(**env: str):
    """``casework`` on uvicorn on a free port, on the test database, with ``env`` on top."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
                   "CASEWORK_BACKGROUND_TASKS": "0", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "casework.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(process, f"http://127.0.0.1:{port}/health", "uvicorn")
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def moto_s3(bucket: str):
    """moto's S3 server on a free loopback port with ``bucket`` made; yields its endpoint."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(process, endpoint + "/moto-api/", "moto_server")
        assert httpx.put(f"{endpoint}/{bucket}").status_code == 200
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {"CASEWORK_STORAGE": "s3", "CASEWORK_S3_BUCKET": bucket, "CASEWORK_S3_ENDPOINT": endpoint,
            "CASEWORK_S3_ACCESS_KEY_ID": "casework-test", "CASEWORK_S3_SECRET_ACCESS_KEY": "casework-test"}
