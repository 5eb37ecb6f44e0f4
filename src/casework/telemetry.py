"""OpenTelemetry traces, off unless an endpoint is configured.

``CASEWORK_OTEL_ENDPOINT`` (or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT``)
names an OTLP/HTTP collector's base URL; spans go to ``<it>/v1/traces``
in batches. Traced: every request (Litestar's OpenTelemetry plugin, in
app.py) and every asyncpg query under it (opentelemetry-instrumentation-
asyncpg). Every log line made inside a span carries its ``trace_id`` and
``span_id`` (``add_trace_ids``), so a log line leads to its trace.

The packages are the ``otel`` extra; without them, and without an
endpoint, nothing here does anything. The other ``OTEL_*`` variables
(``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_BSP_*``,
``OTEL_EXPORTER_OTLP_HEADERS``) are read by the SDK as usual.
"""

from __future__ import annotations

from typing import Any

_provider: Any = None  # one per process: the OpenTelemetry API allows setting it once


def configure_tracing(endpoint: str) -> Any:
    """Set up the tracer provider and the asyncpg instrumentation once; returns the provider or None."""
    global _provider
    if not endpoint:
        return None
    if _provider is not None:
        return _provider
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "casework"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Send what is batched (the lifespan's end)."""
    if _provider is not None:
        _provider.force_flush()


def current_ids() -> dict[str, str]:
    """The current span's trace and span ids, when tracing is on and there is one."""
    if _provider is None:
        return {}
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}


def add_trace_ids(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the current span's trace and span ids, when there is one."""
    for key, value in current_ids().items():
        event.setdefault(key, value)
    return event
