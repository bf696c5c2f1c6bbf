"""Prometheus metrics at /metrics: requests by service, route and status, latency histograms,
and the durable job queue (depth by state, age of the oldest runnable job), read at scrape time.

The route label is the route's template (`/v2.1/servers/{server_id}`), never the raw path, so the
number of series stays bounded whatever ids clients send. One process keeps its own counters;
with `--workers N` each worker answers for itself (prometheus_client's multiprocess mode would
need a shared directory; not wired yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
LABELS = ("service", "route", "method", "status")
REQUESTS = Counter("pocketstack_requests", "HTTP requests served", LABELS, registry=REGISTRY)
LATENCY = Histogram("pocketstack_request_duration_seconds", "Time to the response's first byte",
                    ("service", "route", "method"), registry=REGISTRY,
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))


def observe(service: str, route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(service, route, method, str(status)).inc()
    LATENCY.labels(service, route, method).observe(seconds)


class JobQueue(Collector):
    """Depth of the durable job queue by state and kind, and how long the oldest runnable job waited."""

    def collect(self) -> Iterator[Any]:
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


REGISTRY.register(JobQueue())


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
