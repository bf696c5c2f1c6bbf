#!/usr/bin/env python3
"""Sustained mixed load: N minutes at concurrency C, latency per operation, throughput, errors, RSS.

    nice -n 10 .venv/bin/python bench/load.py                  # 10 minutes, 16 threads, SQLite
    .venv/bin/python bench/load.py --minutes 1 --threads 4
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

A throwaway cloud (tests/conftest.py start_cloud: fake compute, no dataplane, bcrypt cost 4) takes
C client threads, each looping over a random mix of: token issue (password), image create +
upload + download + delete (16 KiB), object PUT + GET (4 KiB), volume create, wait, delete,
server create (fake driver), wait ACTIVE, delete, network + port create and delete, stack
create of a two-resource template, wait, delete. Every request is timed under its own label;
an error is any answer outside the expected status or a transport error. The server's RSS is
read from /proc at the start (after the first-start work), every 10 s and at the end.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crash import Client, fixtures, unlimited  # noqa: E402
from tests.conftest import _drop_postgres, _fresh_postgres, start_cloud, stop_cloud  # noqa: E402

TEMPLATE = {"heat_template_version": "2018-08-31",
            "resources": {"a": {"type": "OS::Heat::RandomString"}, "b": {"type": "OS::Heat::None"}}}


class Failed(Exception):
    pass


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.samples: list[str] = []

    def record(self, label: str, seconds: float) -> None:
        with self.lock:
            self.times[label].append(seconds)

    def error(self, label: str, what: str) -> None:
        with self.lock:
            self.errors[label] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{label}: {what}")


class Worker:
    def __init__(self, url: str, clouds: dict[str, Any], stats: Stats, fx: dict[str, str], seed: int,
                 stop: threading.Event) -> None:
        self.c, self.stats, self.fx, self.stop = Client(url, clouds), stats, fx, stop
        self.rng = random.Random(seed)
        self.c.login()

    def call(self, label: str, method: str, path: str, expect: tuple[int, ...], **kw: Any) -> httpx.Response:
        started = time.perf_counter()
        try:
            r = self.c.req(method, path, **kw)
        except httpx.HTTPError as err:
            self.stats.error(label, repr(err))
            raise Failed(label) from err
        self.stats.record(label, time.perf_counter() - started)
        if r.status_code not in expect:
            self.stats.error(label, f"{r.status_code} {r.text[:600]}")
            raise Failed(label)
        return r

    def wait(self, label: str, path: str, key: str, field: str, ready: str, gone_ok: bool = False) -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not self.stop.is_set():
            r = self.call(label, "GET", path, (200, 404) if gone_ok else (200,))
            if r.status_code == 404:
                return
            status = r.json()[key][field]
            if status == ready:
                return
            if "ERROR" in status.upper() or "FAILED" in status.upper():
                self.stats.error(label, f"{path}: {status}")
                raise Failed(label)
            time.sleep(0.2)
        if not self.stop.is_set():
            self.stats.error(label, f"{path}: not {ready} in 120 s")
        raise Failed(label)             # stopping: the operation ends here, not counted as an error

    # --- operations -------------------------------------------------------------
    def op_token(self) -> None:
        a = self.c.auth
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": a["username"], "domain": {"id": "default"}, "password": a["password"]}}},
            "scope": {"project": {"name": a["project_name"], "domain": {"id": "default"}}}}}
        self.call("token issue", "POST", "/identity/v3/auth/tokens", (201,), json=body)

    def op_image(self) -> None:
        r = self.call("image create", "POST", "/image/v2/images", (201,),
                      json={"name": "load", "disk_format": "raw", "container_format": "bare"})
        image, data = r.json()["id"], os.urandom(16384)
        self.call("image upload 16K", "PUT", f"/image/v2/images/{image}/file", (204,), content=data,
                  headers={"Content-Type": "application/octet-stream"})
        got = self.call("image download 16K", "GET", f"/image/v2/images/{image}/file", (200,))
        if got.content != data:
            self.stats.error("image download 16K", "bytes differ")
        self.call("image delete", "DELETE", f"/image/v2/images/{image}", (204,))

    def op_object(self) -> None:
        path = f"/object-store/v1/AUTH_{self.c.project}/crash/l-{uuid.uuid4().hex[:12]}"
        data = os.urandom(4096)
        self.call("object PUT 4K", "PUT", path, (201,), content=data)
        if self.call("object GET 4K", "GET", path, (200,)).content != data:
            self.stats.error("object GET 4K", "bytes differ")
        self.call("object DELETE", "DELETE", path, (204,))

    def op_volume(self) -> None:
        p = f"/volume/v3/{self.c.project}/volumes"
        r = self.call("volume create", "POST", p, (202,), json={"volume": {"size": 1, "name": "load"}})
        vol = r.json()["volume"]["id"]
        self.wait("volume show", f"{p}/{vol}", "volume", "status", "available")
        self.call("volume delete", "DELETE", f"{p}/{vol}", (202,))

    def op_server(self) -> None:
        r = self.call("server create", "POST", "/compute/v2.1/servers", (202,), json={"server": {
            "name": "load", "flavorRef": self.fx["flavor"], "imageRef": self.fx["image"],
            "networks": [{"uuid": self.fx["network"]}]}})
        server = r.json()["server"]["id"]
        self.wait("server show", f"/compute/v2.1/servers/{server}", "server", "status", "ACTIVE")
        self.call("server delete", "DELETE", f"/compute/v2.1/servers/{server}", (204,))

    def op_network(self) -> None:
        n = "/networking/v2.0"
        net = self.call("network create", "POST", f"{n}/networks", (201,),
                        json={"network": {"name": "load"}}).json()["network"]["id"]
        port = self.call("port create", "POST", f"{n}/ports", (201,), json={
            "port": {"network_id": self.fx["network"], "name": "load"}}).json()["port"]["id"]
        self.call("port delete", "DELETE", f"{n}/ports/{port}", (204,))
        self.call("network delete", "DELETE", f"{n}/networks/{net}", (204,))

    def op_stack(self) -> None:
        p = f"/heat-api/v1/{self.c.project}/stacks"
        name = f"l-{uuid.uuid4().hex[:8]}"
        stack = self.call("stack create", "POST", p, (201,),
                          json={"stack_name": name, "template": TEMPLATE}).json()["stack"]["id"]
        self.wait("stack show", f"{p}/{name}/{stack}", "stack", "stack_status", "CREATE_COMPLETE")
        self.call("stack delete", "DELETE", f"{p}/{name}/{stack}", (204,))

    OPS = ("op_token", "op_image", "op_object", "op_object", "op_volume", "op_server", "op_network",
           "op_stack")

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                getattr(self, self.rng.choice(self.OPS))()
            except (Failed, KeyError, ValueError):
                time.sleep(0.05)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(*, minutes: float, threads: int, database_url: str | None, seed: int,
        keep: bool = False) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ps-load-"))
    db_url = _fresh_postgres(database_url) if database_url else None
    cloud = start_cloud(tmp, db_url)
    try:
        clouds = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]
        first = Client(cloud.url, clouds)
        fx = fixtures(first)
        unlimited(Client(cloud.url, clouds, "devstack-admin"), first.project)
        stats, stop = Stats(), threading.Event()
        pid = cloud.process.pid
        rss = [(0.0, rss_kib(pid))]
        workers = [Worker(cloud.url, clouds, stats, fx, seed + i, stop) for i in range(threads)]
        pool = [threading.Thread(target=w.run, daemon=True) for w in workers]
        started = time.time()
        for t in pool:
            t.start()
        while time.time() - started < minutes * 60:
            time.sleep(min(10.0, max(0.1, minutes * 60 - (time.time() - started))))
            rss.append((time.time() - started, rss_kib(pid)))
        stop.set()
        for t in pool:
            t.join(timeout=150)
        elapsed = time.time() - started
        rss.append((elapsed, rss_kib(pid)))
        print(f"server.log in {tmp}" if keep else "", file=sys.stderr)
        return {"stats": stats, "elapsed": elapsed, "rss": rss, "load": os.getloadavg(), "threads": threads,
                "database": "PostgreSQL" if db_url else "SQLite"}
    finally:
        stop_cloud(cloud)
        if db_url:
            _drop_postgres(db_url)
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report(result: dict[str, Any]) -> str:
    stats: Stats = result["stats"]
    elapsed, rss = result["elapsed"], result["rss"]
    total = sum(len(v) for v in stats.times.values())
    lines = [f"{result['database']}, {result['threads']} threads, {elapsed / 60:.1f} min: {total} requests, "
             f"{total / elapsed:.1f} req/s, errors {sum(stats.errors.values())}",
             f"server RSS: start {rss[0][1] / 1024:.0f} MiB, end {rss[-1][1] / 1024:.0f} MiB, "
             f"max {max(r for _, r in rss) / 1024:.0f} MiB; by minute: "
             + " ".join(f"{r / 1024:.0f}" for t, r in rss if t == 0 or int(t) % 60 < 10),
             "load average at the end (1/5/15 min): " + " / ".join(f"{x:.2f}" for x in result["load"]),
             "", "| request | count | req/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for label in sorted(stats.times):
        v = stats.times[label]
        lines.append(f"| {label} | {len(v)} | {len(v) / elapsed:.2f} | {percentile(v, 0.5) * 1000:.1f} | "
                     f"{percentile(v, 0.99) * 1000:.1f} | {stats.errors[label]} |")
    if stats.samples:
        lines += ["", "first errors:", *stats.samples]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--database-url", default=None,
                    help="a PostgreSQL server; a fresh database is made on it")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--keep", action="store_true", help="keep the data dir and server.log")
    args = ap.parse_args()
    result = run(minutes=args.minutes, threads=max(1, min(args.threads, 64)), database_url=args.database_url,
                 seed=args.seed, keep=args.keep)
    print(report(result))
    return 1 if sum(result["stats"].errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
