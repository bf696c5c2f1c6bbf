"""/metrics: Prometheus text with requests by service, route template and status, latency
histograms and the job queue."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Cloud


def samples(http: Any) -> dict[str, list[Any]]:
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def count(found: dict[str, list[Any]], **labels: str) -> float:
    return sum(s.value for s in found.get("pocketstack_requests_total", [])
               if all(s.labels.get(k) == v for k, v in labels.items()))


def test_requests_are_counted_by_route_template_and_status(cloud: Cloud, http: Any, demo_token: str) -> None:
    before = samples(http)
    h = {"X-Auth-Token": demo_token}
    for _ in range(3):
        assert http.get("/compute/v2.1/servers/00000000-0000-0000-0000-000000000000", headers=h).status_code == 404
    assert http.get("/compute/v2.1/flavors", headers=h).status_code == 200
    after = samples(http)
    route = {"service": "compute", "route": "/v2.1/servers/{server_id}", "method": "GET"}
    assert count(after, **route, status="404") - count(before, **route, status="404") == 3
    assert count(after, service="compute", route="/v2.1/flavors", status="200") >= 1
    buckets = [s for s in after["pocketstack_request_duration_seconds_bucket"]
               if s.labels.get("route") == "/v2.1/servers/{server_id}" and s.labels["le"] == "+Inf"]
    assert buckets and buckets[0].value >= 3
    assert "pocketstack_jobs_oldest_pending_seconds" in after
