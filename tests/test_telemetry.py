"""With an OTLP endpoint configured, a real ``casework serve`` sends a span
per request with its database queries under it, and the request's log line
names the trace. Without one, nothing is traced (the other tests)."""

from __future__ import annotations

import asyncio
import json

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.http_server import HttpServer, Reply, Request
from tests.test_serving import Served


async def test_a_request_is_traced_with_its_asyncpg_queries_and_its_log_line_names_the_trace(database):
    exports: list[ExportTraceServiceRequest] = []

    async def collector(request: Request) -> Reply:
        assert request.path == "/v1/traces" and request.headers["content-type"] == "application/x-protobuf"
        exports.append(ExportTraceServiceRequest.FromString(request.body))
        return Reply(200, b"", headers={"Content-Type": "application/x-protobuf"})

    receiver = await HttpServer(collector).start()
    served = Served("otel", CASEWORK_OTEL_ENDPOINT=receiver.url, OTEL_BSP_SCHEDULE_DELAY="100",
                    CASEWORK_LOG_LEVEL="INFO", CASEWORK_LOG_JSON="1")
    try:
        await asyncio.to_thread(served.start)
        async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
            refused = await client.post("/api/v1/auth/token", json={"username": "nobody-traced", "password": "x" * 12})
            assert refused.status_code == 401
        spans = []
        for _ in range(100):
            spans = [span for export in exports for resource in export.resource_spans
                     for scope in resource.scope_spans for span in scope.spans]
            if any(s.kind == s.SPAN_KIND_SERVER for s in spans) and any("asyncpg" in s.name.lower() or
                                                                        s.attributes and any(a.key == "db.system" for a in s.attributes)
                                                                        for s in spans):
                break
            await asyncio.sleep(0.1)
    finally:
        served.stop_process()
        await receiver.stop()

    server = [s for s in spans if s.kind == s.SPAN_KIND_SERVER and "/api/v1/auth/token" in s.name]
    assert server, [s.name for s in spans]
    trace_id = server[0].trace_id
    queries = [s for s in spans if s.trace_id == trace_id and s.kind == s.SPAN_KIND_CLIENT
               and any(a.key == "db.system" and a.value.string_value == "postgresql" for a in s.attributes)]
    assert queries, [(s.name, [a.key for a in s.attributes]) for s in spans if s.trace_id == trace_id]
    services = {a.value.string_value for export in exports for r in export.resource_spans
                for a in r.resource.attributes if a.key == "service.name"}
    assert services == {"casework"}

    logged = [json.loads(line) for line in served.log.read_text().splitlines() if line.startswith("{")]
    request_lines = [entry for entry in logged if entry.get("event") == "request"
                     and entry.get("path") == "/api/v1/auth/token"]
    assert request_lines, served.log.read_text()[-2000:]
    assert request_lines[0]["trace_id"] == trace_id.hex()
    served.cleanup()
