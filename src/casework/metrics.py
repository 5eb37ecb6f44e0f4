"""What the service counts for Prometheus (served at /metrics, metrics_controller.py).

Requests (count and latency by route template and status) are counted by
Litestar's Prometheus middleware; the counters here are the service's own,
bumped where the thing happens. Each process keeps its own registry
(prometheus_client's default): no multiprocess mode, see README "Metrics".
"""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

SWEEP_RUNS = Counter("casework_sweep_runs", "Deadline sweep runs, by result", ["result"])
SWEEP_MARKS = Counter("casework_sweep_marks", "Clocks the deadline sweep marked, by mark", ["mark"])
WEBHOOK_FAILURES = Counter("casework_webhook_delivery_failures",
                           "Failed webhook tries, by reason (docs/webhooks.md codes)", ["reason"])
THROTTLE_REFUSALS = Counter("casework_throttle_refusals",
                            "Attempts refused 429 by a throttle (sign-in, public lookup), by limit", ["limit"])
# Set from the database when /metrics is read (metrics_controller.refresh_outbox).
OUTBOX_DEPTH = Gauge("casework_outbox_depth", "Outbox rows not yet fanned out to webhook deliveries")
OUTBOX_OLDEST_AGE = Gauge("casework_outbox_oldest_age_seconds",
                          "Age of the oldest outbox row not yet fanned out (0 when none)")
WEBHOOK_PENDING = Gauge("casework_webhook_deliveries_pending", "Webhook deliveries waiting to be sent")
# Read routing (casework.reads): where each routed read ran, and why the
# primary when it did; the standby's replay lag as last checked.
READS = Counter("casework_db_reads", "Routed reads, by where they ran (primary, standby) and why", ["target", "reason"])
READ_STANDBY_LAG = Gauge("casework_read_standby_lag_seconds",
                         "How far the read standby's replay was behind the primary at the last check")
READ_STANDBY_IN_ROTATION = Gauge("casework_read_standby_in_rotation",
                                 "1 while routed reads may use the standby, 0 while they all go to the primary")


class PoolCollector(Collector):
    """An asyncpg pool's connections in use and idle, read at scrape time."""

    def __init__(self, name: str = "casework_db_pool_connections",
                 documentation: str = "Connections of this process's database pool, by state") -> None:
        self.name, self.documentation = name, documentation
        self.pool: Any = None  # set by db.pool_lifespan (reads.lifespan) while the pool is open

    def collect(self):
        family = GaugeMetricFamily(self.name, self.documentation, labels=["state"])
        if self.pool is not None:
            size, idle = self.pool.get_size(), self.pool.get_idle_size()
            family.add_metric(["in_use"], size - idle)
            family.add_metric(["idle"], idle)
            family.add_metric(["max"], self.pool.get_max_size())
        yield family


POOL = PoolCollector()
REGISTRY.register(POOL)
READ_POOL = PoolCollector("casework_db_read_pool_connections",
                          "Connections of this process's pool to the read standby, by state")
REGISTRY.register(READ_POOL)
