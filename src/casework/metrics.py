"""What the service counts for Prometheus (served at /metrics, metrics_controller.py).

Requests (count and latency by route template and status) are counted by
``RequestMetrics``; the other counters are bumped where the thing happens.
Each process keeps its own registry (prometheus_client's default): no
multiprocess mode, see README "Metrics".
"""

from __future__ import annotations

from functools import cache
from time import perf_counter
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
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


# Requests: the names and labels Litestar's PrometheusMiddleware gave them
# (PrometheusConfig(app_name="casework", prefix="casework", group_path=True)),
# which dashboards already read.
REQUEST_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS = Counter("casework_requests", "Total requests", REQUEST_LABELS)
REQUEST_ERRORS = Counter("casework_requests_error", "Total errors in requests", REQUEST_LABELS)
REQUEST_SECONDS = Histogram("casework_request_duration_seconds", "Request duration, in seconds", REQUEST_LABELS)
REQUESTS_IN_PROGRESS = Gauge("casework_requests_in_progress", "Total requests currently in progress", REQUEST_LABELS)
METRICS_PATH = "/metrics"  # served by metrics_controller
NOT_COUNTED = frozenset({METRICS_PATH})  # a scrape does not count itself


@cache
def _children(method: str, path: str, status: int) -> tuple[Any, Any, Any]:
    """The labelled children for one route and status, looked up once: each
    ``labels()`` takes a lock and checks its arguments."""
    values = (method, path, str(status), "casework")
    return (REQUESTS.labels(*values), REQUEST_SECONDS.labels(*values),
            REQUEST_ERRORS.labels(*values) if status >= 500 else None)


@cache
def _in_progress(method: str, path: str) -> Any:
    # Litestar labelled it with status 200, before there is one.
    return REQUESTS_IN_PROGRESS.labels(method, path, "200", "casework")


class RequestMetrics:
    """Each request counted and timed by route template (never the path
    itself, which would carry case references and grow without end) and
    status; in the route's middleware, so a path no route matched is not
    counted, and the status is the one the handler's exception became.

    In place of Litestar's PrometheusMiddleware, which builds a Request,
    labels four metrics and wraps ``send`` with ``functools.wraps`` on every
    request: 70 of the 200 microseconds a ``GET /health`` took in process."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path_template")
        if scope["type"] != "http" or path is None or path in NOT_COUNTED:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        progress = _in_progress(method, path)
        status = 200
        started = perf_counter()

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        progress.inc()
        try:
            await self.app(scope, receive, send_counted)
        finally:
            progress.dec()
            requests, seconds, errors = _children(method, path, status)
            requests.inc()
            seconds.observe(perf_counter() - started)
            if errors is not None:
                errors.inc()
