"""``python -m bench --cluster``: what the PostgreSQL pair costs and buys,
measured on the loopback cluster (tests/cluster/cluster.py: etcd, two
Patroni nodes in strict synchronous mode, HAProxy), in one run:

- read throughput of the case list and the city backlog summary, one
  instance reading from the primary (read routing off) against two
  instances behind HAProxy reading from the standby (read routing on), the
  runs of the two set-ups taking turns;
- intake throughput through HAProxy with synchronous replication (every
  commit waits for the standby) against without it (Patroni's
  ``synchronous_mode`` off), taking turns likewise: the cost of zero loss.

Everything runs on this machine: the primary, the standby, the instances,
HAProxy and wrk share its cores, so the figures say what each set-up costs
here, not what separate hosts would gain. Writes ``<out>/cluster.json`` and
``cluster.md`` at the end of a complete run, nothing before; never the
README's table or ``latest.*`` (those are the single-server run's). Needs
root (PostgreSQL runs as the ``postgres`` user), etcd, HAProxy and wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.run import COUNTIES, log, machine, wrk

SIZES = {"cases": 20_000, "runs": 3, "seconds": 5, "connections": 8}
READS = {"case_list_city": "/api/v1/cases?limit=50", "backlog_summary_city": "/api/v1/backlog/summary?group_by=track"}
READ_SETUPS = ("one_instance_primary", "two_instances_standby")
INTAKE_MODES = ("synchronous", "asynchronous")


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"per_second": statistics.median(r["per_second"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "errors": sum(r["errors"] for r in runs), "runs": runs}


async def read_counts(cluster, services) -> dict[str, float]:
    """Routed reads by target and reason, summed over ``services`` (their /metrics)."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for service in services:
            response = await http.get(service.base_url + "/metrics",
                                      headers={"Authorization": f"Bearer {cluster.metrics_token}"})
            response.raise_for_status()
            for family in text_string_to_metric_families(response.text):
                for sample in family.samples:
                    if sample.name == "casework_db_reads_total":
                        key = f"{sample.labels['target']}/{sample.labels['reason']}"
                        counts[key] = counts.get(key, 0.0) + sample.value
    return counts


class ClusterBench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.sizes = dict(SIZES)
        for key in ("cases", "runs", "seconds", "connections"):
            if getattr(args, key, None) is not None:
                self.sizes[key] = getattr(args, key)
        self.tmp = Path(tempfile.mkdtemp(prefix="casework-bench-cluster-"))

    def seed(self, cluster) -> dict[str, Any]:
        log(f"seeding {self.sizes['cases']:,} cases on the primary (replicated synchronously)")
        started = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
        env.update({"CASEWORK_DATABASE_URL": cluster.dsn(), "CASEWORK_DATA_DIR": str(self.tmp / "seed"),
                    "CASEWORK_LOG_LEVEL": "WARNING", "PICCOLO_CONF": "casework.piccolo_conf",
                    "CASEWORK_PERSONAL_DATA_KEY": cluster.personal_data_key})
        done = subprocess.run([sys.executable, "-m", "casework.cli", "seed-bench", "--cases",
                               str(self.sizes["cases"])], env=env, capture_output=True, text=True, timeout=3600,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"seed failed: {done.stderr[-4000:]}")
        return {"cases": self.sizes["cases"], "seconds": round(time.perf_counter() - started, 1)}

    async def facts(self, cluster) -> dict[str, Any]:
        import asyncpg

        conn = await asyncpg.connect(cluster.dsn())
        try:
            rows = await conn.fetch(
                """SELECT code FROM division WHERE level >= 3 AND name_zh NOT LIKE '%模拟%'
                   AND left(code, 6) = ANY($1::text[])""", COUNTIES)
            (self.tmp / "divisions.txt").write_text("".join(f"{r['code']}\n" for r in rows))
            return {"cases": await conn.fetchval("SELECT count(*) FROM case_file"),
                    "postgresql": await conn.fetchval("SHOW server_version")}
        finally:
            await conn.close()

    def set_synchronous(self, cluster, on: bool) -> float:
        """Patroni's synchronous mode (strict) on or off; returns the seconds until the primary has it."""
        import psycopg2

        value = "true" if on else "false"
        started = time.monotonic()
        cluster.edit_config("-s", f"synchronous_mode={value}", "-s", f"synchronous_mode_strict={value}")

        def applied() -> bool:
            conn = psycopg2.connect(cluster.node_dsn(cluster.leader()))
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT current_setting('synchronous_standby_names'), "
                                   "(SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync')")
                    names, sync = cursor.fetchone()
            finally:
                conn.close()
            return (names != "" and sync > 0) if on else names == ""

        cluster._wait(applied, 60, f"synchronous mode {'on' if on else 'off'}")
        return round(time.monotonic() - started, 1)

    def run(self) -> dict[str, Any]:
        from tests.cluster.cluster import Cluster

        load_before = os.getloadavg()
        started = time.time()
        cluster = Cluster()
        try:
            log("starting etcd and two Patroni nodes")
            cluster.start_database()
            seeded = self.seed(cluster)
            log(f"seeded in {seeded['seconds']} s; starting two instances with read routing behind HAProxy, "
                "and a third reading from the primary only")
            cluster.start_services(2)
            primary_only = cluster.start_service("app3", env={"CASEWORK_READ_DATABASE_URL": ""})
            data = asyncio.run(self.facts(cluster))
            token = primary_only.token("bureau")  # the demo's city supervisor
            for name, path in READS.items():
                (self.tmp / f"{name}.txt").write_text(path + "\n")
            targets = {"one_instance_primary": primary_only.base_url, "two_instances_standby": cluster.base_url}
            measures: dict[str, Any] = {}
            routed = cluster.services[:2]
            before = asyncio.run(read_counts(cluster, routed))
            for name in READS:
                env = {"CASEWORK_BENCH_TOKEN": token, "CASEWORK_BENCH_PATHS": str(self.tmp / f"{name}.txt")}
                for target in targets.values():  # warm-up: caches, pools
                    wrk(target, "get.lua", connections=self.sizes["connections"], seconds=1, env=env)
                runs: dict[str, list[dict[str, Any]]] = {setup: [] for setup in READ_SETUPS}
                for i in range(self.sizes["runs"]):
                    for setup in READ_SETUPS:
                        runs[setup].append(wrk(targets[setup], "get.lua", connections=self.sizes["connections"],
                                               seconds=self.sizes["seconds"], env=env))
                        log(f"{name}, {setup}, run {i + 1}: {runs[setup][-1]['per_second']:.0f} req/s, "
                            f"p99 {runs[setup][-1]['p99_ms']:.1f} ms, {runs[setup][-1]['errors']} errors")
                out = {setup: summary(runs[setup]) for setup in READ_SETUPS}
                out["ratio"] = out["two_instances_standby"]["per_second"] / out["one_instance_primary"]["per_second"]
                measures[name] = out
            after = asyncio.run(read_counts(cluster, routed))
            measures["routed_reads"] = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after
                                        if after.get(k, 0.0) != before.get(k, 0.0)}

            env = {"CASEWORK_BENCH_TOKEN": token, "CASEWORK_BENCH_DIVISIONS": str(self.tmp / "divisions.txt")}
            wrk(cluster.base_url, "intake.lua", connections=self.sizes["connections"], seconds=1,
                env={**env, "CASEWORK_BENCH_RUN": "99"})
            # At full connections (throughput: commits overlap, so each
            # waits for the standby alongside others) and on one connection
            # (each intake waits for its own commit to reach the standby).
            loads = {"intake": self.sizes["connections"], "intake_one_connection": 1}
            intake: dict[str, dict[str, list[dict[str, Any]]]] = {
                name: {mode: [] for mode in INTAKE_MODES} for name in loads}
            switches = []
            for i in range(self.sizes["runs"]):
                for mode in INTAKE_MODES:
                    switches.append(self.set_synchronous(cluster, mode == "synchronous"))
                    for name, connections in loads.items():
                        run_id = str((i * 2 + INTAKE_MODES.index(mode)) * 2 + list(loads).index(name))
                        done = wrk(cluster.base_url, "intake.lua", connections=connections,
                                   seconds=self.sizes["seconds"], env={**env, "CASEWORK_BENCH_RUN": run_id})
                        intake[name][mode].append(done)
                        log(f"{name}, {mode}, run {i + 1}: {done['per_second']:.0f} cases/s, "
                            f"p50 {done['p50_ms']:.1f} ms, p99 {done['p99_ms']:.1f} ms, {done['errors']} errors")
            self.set_synchronous(cluster, True)  # as deployed
            for name, connections in loads.items():
                out = {mode: summary(intake[name][mode]) for mode in INTAKE_MODES}
                out["connections"] = connections
                out["cost"] = 1 - out["synchronous"]["per_second"] / out["asynchronous"]["per_second"]
                out["p50_added_ms"] = out["synchronous"]["p50_ms"] - out["asynchronous"]["p50_ms"]
                measures[name] = out
            measures["intake"]["mode_switch_seconds"] = switches
        finally:
            cluster.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)
        return {
            "mode": "cluster",
            "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
            "duration_seconds": round(time.time() - started),
            "command": "python -m bench --cluster" + "".join(
                f" --{k} {v}" for k, v in self.sizes.items() if v != SIZES[k]),
            "machine": {**machine(), "postgresql": data["postgresql"]},
            "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
            "config": {**self.sizes, "instances": "one on the primary (read routing off); two behind HAProxy "
                                                   "with read routing on the standby",
                       "cluster": "tests/cluster/cluster.py: etcd, two Patroni nodes (deploy/patroni/patroni.yml, "
                                  "strict synchronous mode), HAProxy (deploy/haproxy/haproxy.cfg), all on loopback"},
            "data": {**seeded, "cases_in_database": data["cases"]},
            "measures": measures,
        }


def markdown(r: dict[str, Any]) -> str:
    m, mc, cfg = r["measures"], r["machine"], r["config"]

    def lat(x: dict[str, Any]) -> str:
        return f"p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms"

    lines = [
        "# Benchmark results: the loopback cluster",
        "",
        (f"Machine: {mc['cpu']}, {mc['cores']} cores, {mc['ram_gb']} GB RAM; PostgreSQL {mc['postgresql']}; "
        f"{cfg['cluster']}. Every process (both PostgreSQL nodes, the instances, HAProxy, wrk) shares these "
        f"cores. {r['data']['cases_in_database']:,} cases; wrk {cfg['connections']} connections; median of "
        f"{cfg['runs']} runs of {cfg['seconds']} s per set-up, the set-ups taking turns. Load average before "
        f"{r['load_average']['before'][0]:.2f}, after {r['load_average']['after'][0]:.2f}. Run {r['started_at']} "
        f"({r['duration_seconds']} s): `{r['command']}`."),
        "",
        "| measure | one instance, primary | two instances, standby | ratio |",
        "|---|---|---|---|",
    ]
    for name, label in (("case_list_city", "Case list, city (GET /api/v1/cases?limit=50)"),
                        ("backlog_summary_city", "Backlog summary, city (by track)")):
        one, two = m[name]["one_instance_primary"], m[name]["two_instances_standby"]
        lines.append(f"| {label} | {one['per_second']:,.0f} req/s ({lat(one)}) | "
                     f"{two['per_second']:,.0f} req/s ({lat(two)}) | {m[name]['ratio']:.2f} |")
    routed = m["routed_reads"]
    standby = sum(v for k, v in routed.items() if k.startswith("standby/"))
    total = sum(routed.values())
    lines += ["", f"Reads of the two instances that ran on the standby: {standby:,.0f} of {total:,.0f} "
                  f"({standby / total:.1%}); " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(routed.items())) + ".",
              "", "| measure | synchronous replication | without | cost of zero loss |", "|---|---|---|---|"]
    errors = {name: sum(x["errors"] for x in (m[name][k] for k in READ_SETUPS)) for name in READS}
    for name in ("intake", "intake_one_connection"):
        s, a = m[name]["synchronous"], m[name]["asynchronous"]
        lines.append(f"| Intake through HAProxy, two instances, {m[name]['connections']} connection(s) "
                     f"(POST /api/v1/cases) | {s['per_second']:,.0f} cases/s ({lat(s)}) | {a['per_second']:,.0f} "
                     f"cases/s ({lat(a)}) | {m[name]['cost']:.1%} fewer cases/s, "
                     f"{m[name]['p50_added_ms']:+.1f} ms at p50 |")
        errors[name] = s["errors"] + a["errors"]
    lines += ["", "Errors (non-2xx or socket): " + ", ".join(f"{k} {v}" for k, v in errors.items()) + "."]
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> None:
    if os.geteuid() != 0:
        sys.exit("the cluster mode runs PostgreSQL as the postgres user: run it as root")
    result = ClusterBench(args).run()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n",
                                      encoding="utf-8")
    table = markdown(result)
    (out / "cluster.md").write_text(table, encoding="utf-8")
    print(table)

