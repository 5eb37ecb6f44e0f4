"""An operator scrapes /metrics with the metrics token and sees the service
move: requests by route template and status, the pool, the sweep, the
outbox, failed webhook tries and throttle refusals."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from casework.deadlines.sweep import sweep
from casework.webhooks.dispatcher import dispatch_once
from tests.http_server import free_port
from tests.support import dispute
from tests.support_settings import settings_from_env

TOKEN = "metrics-token-for-the-test-0123456789"


async def scrape(anon) -> dict[tuple[str, tuple], float]:
    response = await anon.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    """The sum over the samples of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and all(dict(ls).get(k) == str(w) for k, w in labels.items()))


async def test_metrics_answer_only_the_metrics_token_and_are_off_without_one(anon, users):
    assert (await anon.get("/metrics")).status_code == 404  # no token configured: no metrics
    with settings_from_env(CASEWORK_METRICS_TOKEN=TOKEN):
        refused = await anon.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await anon.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        # A user's token is not the metrics token.
        assert (await users["admin"].get("/metrics")).status_code == 401
        await scrape(anon)


async def test_counters_move_with_requests_sweeps_webhook_failures_and_throttles(anon, users, db):
    with settings_from_env(CASEWORK_METRICS_TOKEN=TOKEN, CASEWORK_LOOKUP_FAILURES_PER_REFERENCE="2",
                           CASEWORK_WEBHOOK_ALLOWED_HOSTS="127.0.0.1"):
        before = await scrape(anon)
        created = await users["clerk"].post("/api/v1/cases", json=dispute())
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        for _ in range(3):
            assert (await users["clerk"].get(f"/api/v1/cases/{reference}")).status_code == 200
        assert (await users["clerk"].get("/api/v1/cases/140403-1999-999999")).status_code == 404

        # A subscription whose receiver is down: its tries fail.
        subscription = (await users["admin"].post("/api/v1/webhooks/subscriptions", json={
            "url": f"http://127.0.0.1:{free_port()}/down", "division_prefix": "140403100201",
            "event_types": ["case_registered"]})).json()
        try:
            await users["clerk"].post("/api/v1/cases", json=dispute())
            mid = await scrape(anon)
            assert value(mid, "casework_outbox_depth") >= 1
            assert value(mid, "casework_outbox_oldest_age_seconds") > 0
            await dispatch_once()
        finally:
            await users["admin"].post(f"/api/v1/webhooks/subscriptions/{subscription['id']}/deactivate")

        # The public lookup's throttle refuses the third wrong code for a reference.
        statuses = []
        for _ in range(4):
            statuses.append((await anon.post("/api/v1/public/lookup",
                                              json={"reference": reference, "receipt_code": "WRONG1"})).status_code)
        assert 429 in statuses, statuses
        summary = await sweep()
        after = await scrape(anon)

    route = "/api/v1/cases/{reference}"
    moved = value(after, "casework_requests_total", path=route, status_code=200, method="GET") - value(
        before, "casework_requests_total", path=route, status_code=200, method="GET")
    assert moved == 3
    assert value(after, "casework_requests_total", path=route, status_code=404) - value(
        before, "casework_requests_total", path=route, status_code=404) == 1
    assert value(after, "casework_requests_total", path="/api/v1/cases", method="POST", status_code=201) > value(
        before, "casework_requests_total", path="/api/v1/cases", method="POST", status_code=201)
    assert not any(reference in str(labels) for (_n, labels) in after)  # templates, never paths
    assert value(after, "casework_request_duration_seconds_count", path=route) - value(
        before, "casework_request_duration_seconds_count", path=route) == 4
    # The names and labels Litestar's Prometheus middleware used (dashboards read them);
    # nothing left in progress once the answers are out; a scrape does not count itself.
    assert {dict(labels).get("app_name") for (n, labels) in after if n == "casework_requests_total"} == {"casework"}
    assert value(after, "casework_requests_in_progress", path=route) == 0
    assert value(after, "casework_requests_total", path="/metrics") == 0

    assert value(after, "casework_db_pool_connections", state="idle") + value(
        after, "casework_db_pool_connections", state="in_use") >= 1
    assert value(after, "casework_db_pool_connections", state="max") >= 1
    assert value(after, "casework_sweep_runs_total", result="done") == value(
        before, "casework_sweep_runs_total", result="done") + 1
    marked = summary["marked_due_soon"] + summary["marked_breached"]
    assert value(after, "casework_sweep_marks_total") - value(before, "casework_sweep_marks_total") == marked
    assert value(after, "casework_webhook_delivery_failures_total", reason="connect_refused") > value(
        before, "casework_webhook_delivery_failures_total", reason="connect_refused")
    assert value(after, "casework_throttle_refusals_total", limit="lookup_reference") - value(
        before, "casework_throttle_refusals_total", limit="lookup_reference") == statuses.count(429)
