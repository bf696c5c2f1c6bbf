#!/usr/bin/env python3
"""Request throughput with 1, 2 and 3 hosts of one cloud on PostgreSQL.

    .venv/bin/python bench/hosts.py [--seconds 20] [--threads 8] [--database-url postgresql://...]

Starts `pocketstack serve --host-name alpha` on a fresh PostgreSQL database (tests/conftest.py
start_cloud, _fresh_postgres), then beta, then gamma, each with its own data dir. After each start it
runs the same bounded load for --seconds: --threads client threads, each spreading its requests over
the running hosts in turn, each request one of a token issue (POST /v3/auth/tokens), a server list,
a network list and an image list, with a token taken once per thread. Prints requests per second,
median and 95th percentile latency, errors, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_postgres, _fresh_postgres, start_cloud, stop_cloud  # noqa: E402

REQUESTS = [("POST", "/identity/v3/auth/tokens"), ("GET", "/compute/v2.1/servers"),
            ("GET", "/networking/v2.0/networks"), ("GET", "/image/v2/images")]


def _password_body(auth: dict[str, Any]) -> dict[str, Any]:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth["username"], "domain": {"id": "default"}, "password": auth["password"]}}},
        "scope": {"project": {"name": auth["project_name"], "domain": {"id": "default"}}}}}


def load(urls: list[str], auth: dict[str, Any], seconds: float, threads: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    body = _password_body(auth)

    def worker(offset: int) -> None:
        client = httpx.Client(timeout=60)
        token = client.post(urls[0] + "/identity/v3/auth/tokens", json=body).headers["X-Subject-Token"]
        mine, bad = [], 0
        for n in itertools.count(offset):
            if time.monotonic() >= stop:
                break
            url = urls[n % len(urls)]
            method, path = REQUESTS[n % len(REQUESTS)]
            started = time.perf_counter()
            try:
                if method == "POST":
                    r = client.post(url + path, json=body)
                else:
                    r = client.get(url + path, headers={"X-Auth-Token": token})
                ok = r.status_code < 400
            except httpx.HTTPError:
                ok = False
            mine.append(time.perf_counter() - started)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors[0],
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("POCKETSTACK_TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    import tempfile

    import yaml
    database_url = _fresh_postgres(args.database_url)
    clouds = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-hosts-") as tmp:
            for name in ("alpha", "beta", "gamma"):
                (Path(tmp) / name).mkdir()
                extra = ["--host-name", name] + (["--public-url", clouds[0].url] if clouds else [])
                clouds.append(start_cloud(Path(tmp) / name, database_url, extra_args=extra))
                auth = yaml.safe_load(clouds[0].clouds_yaml.read_text())["clouds"]["pocketstack"]["auth"]
                before = os.getloadavg()[0]
                result = load([c.url for c in clouds], auth, args.seconds, args.threads)
                print(f"{len(clouds)} host(s): {result['requests']} requests in {args.seconds:.0f} s, "
                      f"{result['rps']:.1f} req/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
                      f"{result['errors']} errors; load average {before:.1f} -> {os.getloadavg()[0]:.1f}",
                      flush=True)
            for cloud in clouds:
                stop_cloud(cloud)
    finally:
        _drop_postgres(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
