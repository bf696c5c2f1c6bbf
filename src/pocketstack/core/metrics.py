"""Prometheus metrics at /metrics: requests by service, route and status, latency histograms,
and the durable job queue (depth by state, age of the oldest runnable job), read at scrape time.

The route label is the route's template (`/v2.1/servers/{server_id}`), never the raw path, so the
number of series stays bounded whatever ids clients send. One process keeps its own counters;
with `--workers N` each worker answers for itself (prometheus_client's multiprocess mode would
need a shared directory; not wired yet).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

LABELS = ("service", "route", "method", "status")
BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)

# prometheus_client (about 80 ms of imports) is imported when the registry is first needed: the first
# scrape, or load() from the app's warm-up once the start's first requests are answered. Until then
# observe() keeps each request's figures as a plain tuple, replayed into the counters when they exist,
# so a scrape counts every request the server answered.
_lock = threading.Lock()
_pending: list[tuple[str, str, str, int, float]] = []
_metrics: Any = None      # (registry, requests counter, latency histogram) once loaded


def observe(service: str, route: str, method: str, status: int, seconds: float) -> None:
    metrics = _metrics
    if metrics is None:
        with _lock:
            if _metrics is None:
                _pending.append((service, route, method, status, seconds))
                return
            metrics = _metrics
    _, requests, latency = metrics
    requests.labels(service, route, method, str(status)).inc()
    latency.labels(service, route, method).observe(seconds)


def load() -> Any:
    """The registry with its request counters and the job queue collector (built once)."""
    global _metrics
    if _metrics is not None:
        return _metrics[0]
    from prometheus_client import CollectorRegistry, Counter, Histogram
    with _lock:
        if _metrics is None:
            registry = CollectorRegistry(auto_describe=True)
            requests = Counter("pocketstack_requests", "HTTP requests served", LABELS, registry=registry)
            latency = Histogram("pocketstack_request_duration_seconds", "Time to the response's first byte",
                                ("service", "route", "method"), registry=registry, buckets=BUCKETS)
            registry.register(JobQueue())
            for service, route, method, status, seconds in _pending:
                requests.labels(service, route, method, str(status)).inc()
                latency.labels(service, route, method).observe(seconds)
            _pending.clear()
            _metrics = (registry, requests, latency)
    return _metrics[0]


class JobQueue:
    """Depth of the durable job queue by state and kind, and how long the oldest runnable job waited."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from pocketstack.core import db, jobs
        depth = GaugeMetricFamily("pocketstack_jobs", "Durable jobs by state and kind", labels=["state", "kind"])
        age = GaugeMetricFamily("pocketstack_jobs_oldest_pending_seconds",
                                "Seconds since the oldest pending job became runnable")
        t = jobs.jobs
        try:
            with db.reader() as conn:
                rows = conn.execute(sa.select(t.c.state, t.c.kind, sa.func.count()).group_by(t.c.state, t.c.kind))
                for state, kind, count in rows:
                    depth.add_metric([state, kind], count)
                oldest = conn.execute(sa.select(sa.func.min(t.c.run_at)).where(t.c.state == "pending")).scalar()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is busy
            return
        from pocketstack.core.clock import utcnow
        now = utcnow()
        if oldest is not None:
            if oldest.tzinfo is None and now.tzinfo is not None:
                oldest = oldest.replace(tzinfo=dt.timezone.utc)
            age.add_metric([], max(0.0, (now - oldest).total_seconds()))
        else:
            age.add_metric([], 0.0)
        yield depth
        yield age

    def describe(self) -> list[Any]:
        return []


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    return generate_latest(load()), CONTENT_TYPE_LATEST
