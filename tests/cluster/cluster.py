"""The casework cluster on loopback: etcd, two Patroni-managed PostgreSQL
nodes (strict synchronous replication), two ``casework serve`` instances
following the primary through a multi-host DSN, and HAProxy in front of them,
all on 127.0.0.1 ports, run with the files in deploy/ (patroni.yml,
haproxy.cfg) and per-node values from the environment, as in production.

By hand (as root; PostgreSQL runs as the Debian ``postgres`` user)::

    PYTHONPATH=src .venv/bin/python -m tests.cluster.cluster

prints the addresses, runs until Ctrl+C, then tears everything down. The
tests in this folder use :class:`Cluster` the same way.

Needs Debian's ``etcd-server``, ``haproxy`` and a PostgreSQL under
/usr/lib/postgresql (.ci/run installs the first two), and Patroni from the
``test`` extra (``patroni[etcd3]``, ``psycopg2-binary``).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.reliability import harness

DEPLOY = harness.REPO_DIR / "deploy"
NODES = ("db1", "db2")


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql")
    return found[-1].parent


def _python_for_postgres_user() -> list[str]:
    """An interpreter the postgres user may execute, with this environment's packages.

    Patroni starts the postmaster through a multiprocessing "spawn" child,
    which executes ``sys.executable`` again as the postgres user. A venv's
    python is often a link into root's home (pyenv under /root, mode 700):
    the first exec passes under setpriv, the spawned one is refused and
    Patroni waits for the postmaster for ever. Debian's python of the same
    minor version runs the venv's packages (same ABI) through PYTHONPATH;
    ``-S`` keeps Debian's own dist-packages (an older pyOpenSSL) out.
    """
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    return [str(system), "-S", "-m"] if system.exists() else [sys.executable, "-m"]


def _let_others_through(path: Path) -> None:
    """The postgres user runs Patroni from this environment's packages and
    reads its configuration from this checkout: a checkout or a venv below a
    directory others may not enter (a home of mode 700) would stop it. Each
    directory above ``path`` gets the search bit for others (not the read
    bit: nothing is listed), as a deployment's install directory has."""
    for directory in reversed(path.resolve().parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(directory, mode | stat.S_IXOTH)


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise RuntimeError(f"{name} not found: apt-get install {'etcd-server' if name == 'etcd' else name}")
    return found


@dataclass
class Node:
    name: str
    pg_port: int
    rest_port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@dataclass
class Cluster:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="casework-cluster-", dir="/var/tmp")))
    password: str = field(default_factory=lambda: secrets.token_hex(16))
    personal_data_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    service_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if os.geteuid() != 0:
            raise RuntimeError("run as root: PostgreSQL is started as the postgres user")
        self.user = pwd.getpwnam("postgres")
        os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        for path in (*(sysconfig.get_paths()[k] for k in ("purelib", "platlib")), DEPLOY / "patroni"):
            _let_others_through(Path(path))
        self.etcd_port, self.etcd_peer_port = harness.free_port(), harness.free_port()
        self.nodes = {name: Node(name, harness.free_port(), harness.free_port(), self.root / name / "data",
                                 self.root / f"{name}.log") for name in NODES}
        self.lb_port = harness.free_port()
        self.base_url = f"http://127.0.0.1:{self.lb_port}"
        self.services: list[harness.ServiceProcess] = []
        self.etcd: subprocess.Popen | None = None
        self.haproxy: subprocess.Popen | None = None

    # ------------------------------------------------------------ addresses

    def dsn(self, database: str = "casework", **query: str) -> str:
        """The service's URL: both nodes, connections go to the one that takes writes."""
        hosts = ",".join(f"127.0.0.1:{node.pg_port}" for node in self.nodes.values())
        params = "&".join(f"{k}={v}" for k, v in {"target_session_attrs": "read-write", **query}.items())
        return f"postgresql://postgres:{self.password}@{hosts}/{database}?{params}"

    def node_dsn(self, name: str, database: str = "casework") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.nodes[name].pg_port}/{database}"

    def read_dsn(self, database: str = "casework") -> str:
        """For CASEWORK_READ_DATABASE_URL: both nodes, connections go to whichever is a standby."""
        return self.dsn(database, target_session_attrs="standby")

    def standby(self) -> str | None:
        return next((m["name"] for m in self.members() if m["role"] in ("sync_standby", "replica")), None)

    # ------------------------------------------------------------ start

    def start(self, services: int = 2) -> None:
        try:
            self.start_database()
            self.start_services(services)
        except BaseException:
            self.stop()
            raise

    def start_database(self) -> None:
        """etcd and both Patroni nodes, until a leader and a streaming
        synchronous standby; then the (empty) casework database."""
        self.start_etcd()
        for name in NODES:
            self.start_node(name)
        self.wait_healthy()
        self._create_database()

    def start_services(self, count: int = 2) -> None:
        """``count`` instances and HAProxy in front of the first two."""
        for index in range(count):
            self.start_service(f"app{index + 1}")
        self.start_haproxy()
        self.wait_for_balancer()

    def start_etcd(self) -> None:
        # The member's settings as /etc/default/etcd names them (deploy/etcd/etcd.env).
        client, peer = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{self.etcd_peer_port}"
        env = {**os.environ, "ETCD_NAME": "etcd1", "ETCD_DATA_DIR": str(self.root / "etcd"),
               "ETCD_LISTEN_CLIENT_URLS": client, "ETCD_ADVERTISE_CLIENT_URLS": client,
               "ETCD_LISTEN_PEER_URLS": peer, "ETCD_INITIAL_ADVERTISE_PEER_URLS": peer,
               "ETCD_INITIAL_CLUSTER": f"etcd1={peer}", "ETCD_INITIAL_CLUSTER_TOKEN": "casework-etcd",
               "ETCD_INITIAL_CLUSTER_STATE": "new"}
        log = open(self.root / "etcd.log", "w")
        self.etcd = subprocess.Popen([_tool("etcd")], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        self._wait(lambda: httpx.get(client + "/health", timeout=1).json().get("health") == "true", 30, "etcd")

    def node_env(self, node: Node) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PATRONI_", "CASEWORK_"))}
        env.update({
            "PATRONI_NAME": node.name,
            "PATRONI_RESTAPI_LISTEN": f"127.0.0.1:{node.rest_port}",
            "PATRONI_RESTAPI_CONNECT_ADDRESS": f"127.0.0.1:{node.rest_port}",
            "PATRONI_POSTGRESQL_LISTEN": f"127.0.0.1:{node.pg_port}",
            "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"127.0.0.1:{node.pg_port}",
            "PATRONI_POSTGRESQL_DATA_DIR": str(node.data_dir),
            "PATRONI_POSTGRESQL_BIN_DIR": str(_postgres_bin()),
            "PATRONI_POSTGRESQL_PGPASS": str(node.data_dir.parent / "pgpass"),
            "PATRONI_ETCD3_HOSTS": f"127.0.0.1:{self.etcd_port}",
            "PATRONI_SUPERUSER_USERNAME": "postgres", "PATRONI_SUPERUSER_PASSWORD": self.password,
            "PATRONI_REPLICATION_USERNAME": "replicator", "PATRONI_REPLICATION_PASSWORD": self.password,
            "PATRONI_REWIND_USERNAME": "postgres", "PATRONI_REWIND_PASSWORD": self.password,
            "HOME": str(node.data_dir.parent),
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))),
        })
        return env

    def start_node(self, name: str) -> None:
        """Start (or restart, as systemd's Restart=always would) a node's Patroni."""
        node = self.nodes[name]
        node.data_dir.parent.mkdir(exist_ok=True)
        os.chown(node.data_dir.parent, self.user.pw_uid, self.user.pw_gid)
        log = open(node.log_path, "a")
        # setpriv keeps the PID (runuser would record a wrapper's).
        node.process = subprocess.Popen(
            ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--init-groups",
             *_python_for_postgres_user(), "patroni", str(DEPLOY / "patroni" / "patroni.yml")],
            env=self.node_env(node), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=node.data_dir.parent)
        log.close()

    def members(self) -> list[dict]:
        for node in self.nodes.values():
            try:
                return httpx.get(node.rest_url + "/cluster", timeout=2).json()["members"]
            except (httpx.HTTPError, ValueError, KeyError):
                continue
        return []

    def leader(self) -> str | None:
        return next((m["name"] for m in self.members() if m["role"] == "leader"), None)

    def healthy(self) -> bool:
        """A leader running and a synchronous standby streaming from it."""
        members = self.members()
        return (any(m["role"] == "leader" and m["state"] == "running" for m in members)
                and any(m["role"] == "sync_standby" and m["state"] == "streaming" for m in members))

    def wait_healthy(self, timeout: float = 90) -> float:
        return self._wait(self.healthy, timeout, "leader and streaming synchronous standby")

    def _create_database(self) -> None:
        import psycopg2

        leader = self.leader()
        conn = psycopg2.connect(self.node_dsn(leader, "postgres"))
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE DATABASE casework")
        conn.close()

    def start_service(self, name: str, env: dict[str, str] | None = None) -> harness.ServiceProcess:
        """Start an instance; ``env`` adds to (or, empty values, takes back) the settings every instance gets."""
        service = harness.ServiceProcess(self.dsn(), f"cluster-{name}", {
            # Each instance is its own process; one worker each, like one pod each.
            "CASEWORK_WORKERS": "1",
            # Every instance needs the same key: one that generates its own
            # (in its data folder) cannot read what the others encrypted
            # (idempotent replays, personal data). The JWT secret the harness
            # sets is the same for all already.
            "CASEWORK_PERSONAL_DATA_KEY": self.personal_data_key,
            # Heavy reads on the standby (casework.reads), as deploy/casework.env.example says.
            "CASEWORK_READ_DATABASE_URL": self.read_dsn(),
            "CASEWORK_METRICS_TOKEN": self.metrics_token,
            **self.service_env, **(env or {})})
        self.services.append(service)
        service.start()
        return service

    def start_haproxy(self) -> None:
        env = {**os.environ, "CASEWORK_LB_BIND": f"127.0.0.1:{self.lb_port}"}
        for index, service in enumerate(self.services[:2]):
            env[f"CASEWORK_APP{index + 1}"] = f"127.0.0.1:{service.port}"
        log = open(self.root / "haproxy.log", "w")
        self.haproxy = subprocess.Popen([_tool("haproxy"), "-db", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")],
                                        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_for_balancer(self, timeout: float = 30) -> float:
        return self._wait(lambda: httpx.get(self.base_url + "/ready", timeout=2).status_code == 200, timeout,
                          "HAProxy answering /ready")

    # ------------------------------------------------------------ faults

    def kill_postgres(self, name: str) -> None:
        """SIGKILL the node's postmaster (Patroni lives on and restarts it in place)."""
        pid = self.nodes[name].postmaster_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)

    def kill_node(self, name: str) -> None:
        """SIGKILL the node's Patroni and postmaster: the node is gone; the
        standby is promoted once the leader key expires."""
        node = self.nodes[name]
        if node.process and node.process.poll() is None:
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait(10)
        self.kill_postgres(name)

    def switchover(self, candidate: str) -> None:
        """A planned switchover with patronictl, as an operator would run it."""
        leader = self.leader()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "patronictl"), "-c", str(DEPLOY / "patroni" / "patroni.yml"),
             "switchover", "--leader", leader, "--candidate", candidate, "--force"],
            env=self.node_env(self.nodes[leader]), capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"patronictl switchover failed: {done.stdout}{done.stderr}")

    def edit_config(self, *options: str) -> None:
        """Change the dynamic configuration (``patronictl edit-config``, e.g.
        ``-s synchronous_mode=false`` or ``-p work_mem=8MB``), as an operator
        would; each node applies it at its next loop (a reload, no restart)."""
        leader = self.leader() or next(iter(self.nodes))
        done = subprocess.run(
            [str(Path(sys.executable).parent / "patronictl"), "-c", str(DEPLOY / "patroni" / "patroni.yml"),
             "edit-config", *options, "--force"],
            env=self.node_env(self.nodes[leader]), capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"patronictl edit-config failed: {done.stdout}{done.stderr}")

    def set_parameter(self, name: str, value: str) -> None:
        """A PostgreSQL setting on every node, through Patroni."""
        self.edit_config("-p", f"{name}={value}")

    # ------------------------------------------------------------ stop

    def stop(self) -> None:
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
        for service in self.services:
            service.cleanup()
        for node in self.nodes.values():
            if node.process and node.process.poll() is None:
                os.kill(node.process.pid, signal.SIGKILL)
                node.process.wait(10)
            pid = node.postmaster_pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.etcd and self.etcd.poll() is None:
            self.etcd.kill()
            self.etcd.wait(10)
        time.sleep(0.5)  # the killed postmasters' children leave
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        parts = []
        for path in [self.root / "etcd.log", *(n.log_path for n in self.nodes.values()), self.root / "haproxy.log"]:
            try:
                parts.append(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
            except OSError:
                pass
        return "\n".join(parts + [f"--- {s.log_path.name}\n{s.tail()}" for s in self.services])

    @staticmethod
    def _wait(condition, timeout: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if condition():
                    return time.monotonic() - started
            except (httpx.HTTPError, ValueError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"no {what} after {timeout}s")


def main() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    cluster = Cluster()
    started = time.monotonic()
    try:
        cluster.start()
        print(json.dumps({
            "started_in_seconds": round(time.monotonic() - started, 1),
            "haproxy": cluster.base_url,
            "services": [s.base_url for s in cluster.services],
            "database_url": cluster.dsn(),
            "read_database_url": cluster.read_dsn(),
            "metrics_token": cluster.metrics_token,
            "patroni": {name: node.rest_url for name, node in cluster.nodes.items()},
            "leader": cluster.leader(),
            "etcd": f"http://127.0.0.1:{cluster.etcd_port}",
            "folder": str(cluster.root),
        }, indent=2), flush=True)
        print("running; Ctrl+C tears it down", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})  # blocked below, so they arrive here
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
