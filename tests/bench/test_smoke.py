"""The benchmark's smoke mode (a thousand cases, one-second runs) end to
end: a real service, wrk, the asyncpg floor, the sweep; the JSON carries
every measure. The figures themselves are not checked: the benchmark
reports its targets, the tests do not assert them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[2]


def run_bench(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m bench`` in its own process group: past the timeout the
    whole group is killed (the service and PostgreSQL it started too), so a
    stuck run fails here instead of leaving a child that holds the output
    pipe open and the suite waiting on it."""
    process = subprocess.Popen([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the benchmark did not end within {timeout} s: {stderr[-4000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_smoke_mode_writes_every_measure(tmp_path):
    from bench.run import MEASURES

    # Without a test server: the benchmark's default, a PostgreSQL it starts
    # itself with deploy/postgresql.conf.
    server = os.environ.get("CASEWORK_TEST_DATABASE_URL") or "tuned"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    done = run_bench(["--smoke", "--server", server, "--out", str(tmp_path)], env)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads((tmp_path / "smoke.json").read_text(encoding="utf-8"))
    assert set(MEASURES) <= set(result["measures"])
    m = result["measures"]
    assert m["intake"]["per_second"] > 0 and m["intake"]["errors"] == 0
    # wrk stops counting at the end of a run; requests in flight then still create their case
    # (the warm-up's too, on a slow machine, hence runs + 1).
    in_flight = result["config"]["connections"] * (result["config"]["runs"] + 1)
    assert m["intake"]["requests_ok"] <= m["intake"]["cases_created"] <= m["intake"]["requests_ok"] + in_flight
    assert m["intake_floor"]["per_second"] > 0 and m["intake_floor"]["errors"] == 0
    # Online filings, each with a fresh challenge solved: every one filed, once.
    online = m["online_submissions"]
    assert online["per_second"] > 0 and online["errors"] == 0
    assert online["cases_created"] == online["requests_ok"] == result["config"]["online_filings"] * result["config"]["runs"]
    assert online["challenge"]["solve_seconds_mean"] > 0 and online["ratio_to_intake"] > 0
    for name in ("framework_floor", "case_detail", "case_list_city", "case_list_county",
                 "backlog_summary_city", "backlog_summary_county"):
        assert m[name]["errors"] == 0 and m[name]["p99_ms"] > 0, name
    for name in ("deadline_sweep", "deadline_sweep_at_scale"):
        sweep = m[name]
        assert sweep["open_clocks"] > 0 and sweep["daily_seconds"] >= 0, name
        assert sum(sweep["catch_up_marked"].values()) > 0, name
        assert sweep["again_marked"] == {"due_soon": 0, "breached": 0}, name  # nothing marked twice
    assert m["deadline_sweep_at_scale"]["open_clocks"] >= result["config"]["sweep_clocks"]
    assert m["deadline_sweep_at_scale"]["added_open_cases"] > 0  # more open clocks than the intake runs leave
    # What the intake runs left to mark is swept before the at-scale measures, and reported.
    assert set(m["deadline_sweep_at_scale"]["after_http_measures"]["marked"]) == {"due_soon", "breached"}
    assert m["memory"]["peak_total_mb"] > 0 and m["memory"]["processes"]
    # The sign-in burst ran during load, every sign-in was answered (signed in or told to retry),
    # a case was read meanwhile, and its memory is in the peak.
    burst = m["sign_in_burst"]
    assert burst["sign_ins"]["ok"] > 0 and burst["sign_ins"]["other"] == 0 and burst["sign_ins"]["throttled_429"] == 0
    assert burst["case_read_during_burst"]["count"] > 0 and burst["case_read_during_burst"]["errors"] == 0
    assert m["memory"]["peak_total_mb"] >= m["memory"]["peak_total_mb_sign_in_burst"] > 0
    assert result["machine"]["cores"] and result["machine"]["postgresql"]
    if server == "tuned":  # the settings were applied, and are reported
        assert result["machine"]["postgresql_settings"]["wal_buffers"] == "64MB"
        assert result["machine"]["postgresql_settings"]["max_wal_size"] == "8GB"
    assert len(result["load_average"]["before"]) == 3
    assert {t["name"] for t in result["targets"]} and all("met" in t for t in result["targets"])
    assert (tmp_path / "smoke.md").read_text(encoding="utf-8").count("|") > 20


def test_recommended_settings_come_from_the_deploy_file_scaled_to_memory():
    """The tuned server the benchmark starts has deploy/postgresql.conf's
    settings; on a machine with less memory than that file is written for,
    shared_buffers is a quarter of it and effective_cache_size two thirds."""
    from bench.run import recommended_settings

    big = recommended_settings(ram_bytes=64 * 1024**3)
    assert big["shared_buffers"] == "6144MB" and big["effective_cache_size"] == "16384MB"
    assert big["wal_buffers"] == "64MB" and big["max_wal_size"] == "8GB" and big["wal_compression"] == "lz4"
    small = recommended_settings(ram_bytes=8 * 1024**3)
    assert small["shared_buffers"] == "2048MB" and small["effective_cache_size"] == "5461MB"
    assert set(small) == set(big)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_one_measure_alone_is_printed_and_never_written_over_a_complete_run(tmp_path):
    """``--only online_submissions``: seed, serve, that measure; its table and
    JSON on stdout, nothing in --out (nor the README: a partial run)."""
    server = os.environ.get("CASEWORK_TEST_DATABASE_URL") or "tuned"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    done = run_bench(["--smoke", "--only", "online_submissions", "--server", server, "--out", str(tmp_path)], env)
    assert done.returncode == 0, done.stderr[-4000:]
    assert list(tmp_path.iterdir()) == []
    assert (ROOT / "README.md").read_text(encoding="utf-8") == readme
    result = json.loads(done.stdout[done.stdout.index("\n{") + 1:])
    assert set(result["measures"]) == {"seed", "online_submissions", "memory"}
    assert result["mode"] == "smoke, only online_submissions"
    assert result["measures"]["online_submissions"]["errors"] == 0
    assert "Online filing: POST /api/v1/public/applications" in done.stdout
