"""GET /metrics: Prometheus text, for a bearer of CASEWORK_METRICS_TOKEN only.

The registry (metrics.py, the request metrics included) rendered by prometheus_client, after
the outbox gauges are read from the database. (Litestar's own
PrometheusController cannot run a query first: its handler is final.) With no token configured the route answers
404, as if it did not exist: metrics name routes and volumes, which is
not for everyone on the network.
"""

from __future__ import annotations

import hmac

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from casework import metrics
from casework.db import connection
from casework.settings import get_settings


def metrics_token_guard(connection_: ASGIConnection, _handler: BaseRouteHandler) -> None:
    token = get_settings().metrics_token
    if not token:
        raise NotFoundException()
    scheme, _, given = connection_.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise NotAuthorizedException("GET /metrics needs Authorization: Bearer <CASEWORK_METRICS_TOKEN>",
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


async def refresh_outbox() -> None:
    async with connection() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) AS depth,
                      coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS oldest
               FROM outbox WHERE dispatched_at IS NULL"""
        )
        pending = await conn.fetchval("SELECT count(*) FROM webhook_delivery WHERE state = 'pending'")
    metrics.OUTBOX_DEPTH.set(row["depth"])
    metrics.OUTBOX_OLDEST_AGE.set(float(row["oldest"]))
    metrics.WEBHOOK_PENDING.set(pending)


class MetricsController(Controller):
    path = metrics.METRICS_PATH
    guards = [metrics_token_guard]
    include_in_schema = False
    opt = {"exclude_from_auth": True}  # its own token, not a user's

    @get()
    async def metrics(self) -> Response[bytes]:
        await refresh_outbox()
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
