"""With JSON logging on, every line a casework process writes is JSON:
its own log lines, uvicorn's, httpx's, Piccolo's migration banner; and
401, 405 and preflight answers have a request id and an access-log line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _env(database: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
            "CASEWORK_DATABASE_URL": database, "CASEWORK_LOG_JSON": "1", "CASEWORK_LOG_LEVEL": "INFO",
            "CASEWORK_BACKGROUND_TASKS": "0", "PYTHONUNBUFFERED": "1"}


def _json_lines(output: str, what: str) -> list[dict]:
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, f"{what} wrote nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"{what} wrote a line that is not JSON: {line!r}") from None
    return parsed


def test_migrate_writes_only_json_lines_piccolo_s_banner_included(database):
    done = subprocess.run([sys.executable, "-m", "casework.cli", "migrate"], env=_env(database),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = _json_lines(done.stdout, "migrate's stdout") if done.stdout.strip() else []
    lines += _json_lines(done.stderr, "migrate's stderr")
    assert any(line.get("source") == "piccolo" and "migration" in line["event"] for line in lines), lines
    assert any(line["event"] == "migrations applied, reference data seeded" for line in lines), lines


def test_a_served_request_and_its_refusals_write_only_json_lines(database):
    port = free_port()
    env = {**_env(database), "CASEWORK_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "casework.cli", "serve", "--host", "127.0.0.1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert server.poll() is None, server.stderr.read()[-2000:]
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        unauthorized = httpx.get(base + "/api/v1/cases", headers={"X-Request-ID": "probe-401"})
        assert unauthorized.status_code == 401 and unauthorized.headers["x-request-id"] == "probe-401"
        not_allowed = httpx.delete(base + "/health", headers={"X-Request-ID": "probe-405"})
        assert not_allowed.status_code == 405 and not_allowed.headers["x-request-id"] == "probe-405"
        preflight = httpx.options(base + "/api/v1/cases", headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET", "X-Request-ID": "probe-cors"})
        assert preflight.headers["x-request-id"] == "probe-cors"
        # httpx's own request line, in a process configured like the service.
        client = subprocess.run(
            [sys.executable, "-c", ("from casework.logging import configure_logging; configure_logging('INFO', True); "
                                    f"import httpx; httpx.get('{base}/health?token=s3cret-in-url')")],
            env=env, capture_output=True, text=True, timeout=60, check=False)
        assert client.returncode == 0, client.stderr
        httpx_lines = _json_lines(client.stderr, "httpx")
        assert any(line.get("logger") == "httpx" for line in httpx_lines), httpx_lines
        assert "s3cret" not in client.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    lines = _json_lines(out, "serve's stdout") if out.strip() else []
    lines += _json_lines(err, "serve's stderr")
    access = {line.get("request_id"): line for line in lines if line["event"] == "request"}
    assert access["probe-401"]["status"] == 401
    assert access["probe-405"]["status"] == 405
    assert "probe-cors" in access
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines), lines
    assert any("casework serving on" in line["event"] for line in lines)
