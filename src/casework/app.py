"""create_app(): the one place where routers, plugins and middleware meet."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.cors import CORSConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from casework import metrics, reads
from casework.access.auth import build_jwt_auth
from casework.access.controller import AuthController, UserController
from casework.admin import admin_handler
from casework.audit.controller import AuditController
from casework.backlog.controller import BacklogController, CaseExportController
from casework.cases.controller import CaseController
from casework.dashboard.controller import dashboard_assets, dashboard_page
from casework.db import pool_lifespan
from casework.deadlines.controller import CalendarController
from casework.deadlines.sweep import sweep_and_upkeep
from casework.documents.controller import AttachmentController
from casework.documents.notice_controller import BodyDocumentController, NoticeDocumentController
from casework.documents.sweep import sweep_orphans
from casework.errors import problem_details_plugin
from casework.health import health, ready
from casework.integrations.inbound_controller import InboundEventController
from casework.logging import configure_logging
from casework.metrics_controller import MetricsController
from casework.middleware import (
    BearerChallengeMiddleware,
    BodyDeadlineMiddleware,
    ConditionalGetMiddleware,
    HeadAsGetMiddleware,
    ReadYourWritesMiddleware,
    RefusedPreflightMiddleware,
    RequestContextMiddleware,
)
from casework.notices.controller import NoticeController, ToServeController
from casework.open311.controller import Open311AppController, Open311Controller
from casework.openapi_doc import document_problem_responses, operation_id
from casework.periodic import every
from casework.personal.controller import PersonalDataController
from casework.proceedings.controller import ACTION_ROUTES, ActionController
from casework.public.controller import PublicController
from casework.public.page_controller import apply_assets, apply_page
from casework.records.arbitration_controller import ArbitrationController
from casework.records.legal_aid_controller import LegalAidController
from casework.records.litigation_controller import LawsuitController
from casework.records.mediation_controller import MediationRecordController
from casework.records.reconsideration_controller import ReconsiderationRecordController
from casework.reference.controller import ReferenceController
from casework.routing.controller import RoutingController
from casework.settings import Settings, get_settings
from casework.sms import dispatcher as sms_dispatcher
from casework.supervision.controller import CaseSupervisionController, SupervisionController
from casework.sync.controller import SyncController
from casework.telemetry import configure_tracing, shutdown_tracing
from casework.webhooks import dispatcher as webhook_dispatcher
from casework.webhooks.controller import WebhookController

# Swagger UI's assets, served locally; found without importing swagger_ui,
# whose package imports jinja2 and PyYAML that no worker otherwise needs.
SWAGGER_ASSETS = Path(importlib.util.find_spec("swagger_ui").origin).parent / "static"


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the origins in ``CASEWORK_CORS_ORIGINS``; none when it is empty
    (a browser on another origin then gets no CORS headers and stops)."""
    if not settings.cors_origins:
        return None
    return CORSConfig(allow_origins=list(settings.cors_origins),
                      allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                      allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match",
                                     "Idempotency-Key", "X-Request-ID"],
                      expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
                      allow_credentials=False, max_age=600)


def otel_plugins(tracing: bool) -> list[Any]:
    """Litestar's OpenTelemetry plugin when tracing is configured (the ``otel`` extra)."""
    if not tracing:
        return []
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    # No span per ASGI send/receive message: a request is one span with its queries under it.
    return [OpenTelemetryPlugin(OpenTelemetryConfig(exclude=["/metrics", "/health", "/ready"],
                                                    exclude_spans=["receive", "send"]))]


class CaseworkApp(Litestar):
    """Litestar without the integrations of libraries the service does not use.

    Litestar 2 adds its Pydantic plugins whenever pydantic is installed
    (Piccolo brings it) and imports its OpenTelemetry plugin whenever the
    otel extra is installed, tracing on or not: some 9 and 2 MB in every
    worker, for nothing, as every shape here is a msgspec Struct and
    tracing passes its plugin itself (``otel_plugins``). Both are private
    static methods of ``Litestar``; tests/test_worker_imports.py fails
    loudly if either is gone or the imports come back."""

    @staticmethod
    def _get_default_plugins(plugins: list[Any]) -> list[Any]:
        from litestar.plugins.core import MsgspecDIPlugin

        return [*plugins, MsgspecDIPlugin()]

    @staticmethod
    def _patch_opentelemetry_middleware(config: Any) -> Any:
        return config


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    tracing = configure_tracing(settings.otel_endpoint) is not None
    jwt_auth = build_jwt_auth()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with pool_lifespan(app), reads.lifespan(settings):
            tasks = []
            if settings.run_background_tasks:
                interval = settings.sweep_interval_seconds
                tasks.append(asyncio.create_task(every(
                    interval, sweep_and_upkeep, failed="deadline_sweep_failed",
                    on_failure=lambda: metrics.SWEEP_RUNS.labels(result="failed").inc())))
                tasks.append(asyncio.create_task(every(interval, sweep_orphans, failed="file_sweep_failed")))
            try:
                async with webhook_dispatcher.background(settings), sms_dispatcher.background(settings):
                    yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                shutdown_tracing()

    openapi = OpenAPIConfig(
        title="casework",
        version="0.1.0",
        description="Petition and dispute-resolution case tracker. Errors are RFC 9457 problem+json.",
        path="/schema",
        operation_id_creator=operation_id,
        render_plugins=[
            SwaggerRenderPlugin(
                js_url="/static/swagger/swagger-ui-bundle.js",
                css_url="/static/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' type='image/png' href='/static/swagger/favicon-32x32.png'>",
            )
        ],
    )
    app = CaseworkApp(
        route_handlers=[
            health, ready, MetricsController,
            AuthController, UserController, CaseController, *ACTION_ROUTES, ActionController, RoutingController,
            ReferenceController, CalendarController, WebhookController,
            MediationRecordController, ReconsiderationRecordController, LawsuitController, ArbitrationController,
            LegalAidController, NoticeController, InboundEventController,
            AttachmentController, NoticeDocumentController, BodyDocumentController, ToServeController,
            PersonalDataController, AuditController, PublicController,
            BacklogController, CaseExportController, SyncController, dashboard_page, dashboard_assets,
            CaseSupervisionController, SupervisionController, Open311Controller, Open311AppController,
            apply_page, apply_assets,
            admin_handler(),
            create_static_files_router(
                path="/static/swagger", directories=[SWAGGER_ASSETS],
                include_in_schema=False, opt={"exclude_from_auth": True},
            ),
        ],
        on_app_init=[jwt_auth.on_app_init],
        plugins=[problem_details_plugin(), *otel_plugins(tracing)],
        middleware=[metrics.RequestMetrics,
                    DefineMiddleware(BodyDeadlineMiddleware, seconds=settings.request_body_timeout_seconds,
                                     upload_seconds=settings.upload_body_timeout_seconds),
                    ConditionalGetMiddleware],
        lifespan=[lifespan],
        openapi_config=openapi,
        cors_config=cors_config(settings),
        # brotli where the client takes it, gzip otherwise
        compression_config=CompressionConfig(backend="brotli", brotli_gzip_fallback=True, minimum_size=2048,
                                             exclude_opt_key="skip_compression"),
        request_max_body_size=settings.max_request_body_bytes,
        debug=False,
        logging_config=None,  # casework.logging configures logging (structlog, stdlib routed through it)
    )
    document_problem_responses(app)
    # Ahead of routing, CORS and authentication (Litestar's own middleware
    # list runs after the route is found): so a 401, a 405 or a refused
    # preflight has its request id and access-log line too, HEAD reaches
    # every GET route, and every 401 carries its challenge.
    app.asgi_handler = RequestContextMiddleware(HeadAsGetMiddleware(BearerChallengeMiddleware(
        RefusedPreflightMiddleware(ReadYourWritesMiddleware(app.asgi_handler)))))
    app.state.jwt_auth = jwt_auth
    app.state.settings = settings
    return app
