#!/usr/bin/env python3
"""Networking benchmark: port creation rate and paged port listing as the port count grows.

    .venv/bin/python bench/network.py                         # 100,000 ports, checkpoints 1k/10k/50k/100k
    .venv/bin/python bench/network.py --ports 20000 --checkpoints 1000,5000,20000   # quick

pocketstack starts on a fresh data dir (SQLite, one worker, port quota unlimited through the
`network.quotas` section of its YAML). Every port is created through the API: POST /v2.0/ports,
`--batch` ports per bulk request ({"ports": [...]}), `--concurrency` requests at a time, on
networks with one /16 IPv4 subnet each (50,000 ports per network), so every create runs the real
IPAM, MAC, security-group and quota paths. At each checkpoint it measures:

- create rate: ports/s over the creates since the previous checkpoint, and the p50/p99 latency of
  single-port creates (`--singles` of them, concurrency 1);
- paged listing: GET /v2.0/ports?limit=1000 following the `next` links for `--pages` pages, as is
  and with a `fixed_ips=subnet_id=...` filter: ms per page (p50 and p99).

The server process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-admin-pw"
PER_NETWORK = 50000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_pocketstack(tmp: Path, extra_config: str = "") -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    cfg = tmp / "ps.yaml"
    cfg.write_text("identity:\n  password_hash_rounds: 4\nnetwork:\n  quotas:\n    quota_port: -1\n"
                   "    quota_network: -1\n    quota_subnet: -1\n" + extra_config)
    proc = subprocess.Popen([str(ROOT / ".venv/bin/pocketstack"), "serve", "--port", str(port), "--data-dir",
                             str(tmp / "ps"), "--admin-password", PASSWORD, "--config", str(cfg),
                             "--log-level", "warning"], stdout=open(tmp / "server.log", "ab"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pocketstack exited; see {tmp / 'server.log'}")
        try:
            if httpx.get(url + "/healthcheck", timeout=2).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("pocketstack did not start")


def login(url: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(url + "/identity/v3/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    return r.headers["X-Subject-Token"]


class Api:
    """One keep-alive client per thread on /networking/v2.0."""

    def __init__(self, url: str, token: str) -> None:
        self.base, self.token, self.local = url + "/networking/v2.0", token, threading.local()

    def client(self) -> httpx.Client:
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = httpx.Client(base_url=self.base, headers={"X-Auth-Token": self.token}, timeout=600)
        return c

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.client().post(path, json=body)
        assert r.status_code == 201, r.text[:300]
        return r.json()

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        r = self.client().get(url, params=params or None)
        assert r.status_code == 200, r.text[:300]
        return r.json()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


class Topology:
    """Networks with one /16 each, filled in order."""

    def __init__(self, api: Api) -> None:
        self.api, self.nets = api, []     # (network id, subnet id)
        self.lock = threading.Lock()

    def network_for(self, index: int) -> tuple[str, str]:
        which = index // PER_NETWORK
        with self.lock:
            while len(self.nets) <= which:
                n = len(self.nets)
                net = self.api.post("/networks", {"network": {"name": f"bench-{n}"}})["network"]
                sub = self.api.post("/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                            "cidr": f"10.{100 + n}.0.0/16"}})["subnet"]
                self.nets.append((net["id"], sub["id"]))
            return self.nets[which]


def create_ports(api: Api, topo: Topology, start: int, stop: int, batch: int, concurrency: int) -> float:
    """Ports start..stop-1 in bulk requests; returns ports per second."""
    chunks = []
    i = start
    while i < stop:
        end = min(stop, i + batch, (i // PER_NETWORK + 1) * PER_NETWORK)   # a bulk request stays on one network
        chunks.append((i, end))
        i = end

    def one(chunk: tuple[int, int]) -> None:
        lo, hi = chunk
        network_id, _ = topo.network_for(lo)
        body = {"ports": [{"network_id": network_id, "name": f"p{k}"} for k in range(lo, hi)]}
        assert len(api.post("/ports", body)["ports"]) == hi - lo
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, chunks))
    return (stop - start) / (time.perf_counter() - t0)


def single_creates(api: Api, topo: Topology, start: int, n: int) -> tuple[float, float]:
    network_id, _ = topo.network_for(start)
    latencies = []
    for k in range(n):
        t0 = time.perf_counter()
        api.post("/ports", {"port": {"network_id": network_id, "name": f"single-{start}-{k}"}})
        latencies.append((time.perf_counter() - t0) * 1000)
    return statistics.median(latencies), percentile(latencies, 0.99)


def paged_listing(api: Api, pages: int, **params: Any) -> tuple[float, float, int]:
    """ms per page of 1,000 following next links; returns p50, p99 and pages read."""
    latencies, url, query = [], "/ports", {"limit": 1000, **params}
    for _ in range(pages):
        t0 = time.perf_counter()
        body = api.get(url, **query) if query else api.get(url)
        latencies.append((time.perf_counter() - t0) * 1000)
        nxt = [link["href"] for link in body.get("ports_links", []) if link["rel"] == "next"]
        if len(body["ports"]) < 1000 or not nxt:
            break
        url, query = nxt[0], {}
    return statistics.median(latencies), percentile(latencies, 0.99), len(latencies)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", type=int, default=100000)
    p.add_argument("--checkpoints", default="1000,10000,50000,100000")
    p.add_argument("--batch", type=int, default=100, help="ports per bulk create request")
    p.add_argument("--concurrency", type=int, default=4, help="bulk requests in flight")
    p.add_argument("--singles", type=int, default=50, help="single-port creates timed at each checkpoint")
    p.add_argument("--pages", type=int, default=10, help="pages of 1,000 read at each checkpoint")
    p.add_argument("--json", default=None, help="write the results here too")
    p.add_argument("--keep", default=None, help="keep the server's data dir here (a new directory)")
    args = p.parse_args()
    checkpoints = sorted({int(c) for c in args.checkpoints.split(",") if int(c) <= args.ports} | {args.ports})
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp:
        url, proc = start_pocketstack(Path(args.keep) if args.keep else Path(tmp))
        try:
            api = Api(url, login(url))
            topo = Topology(api)
            rows, done = [], 0
            for target in checkpoints:
                rate = create_ports(api, topo, done, target, args.batch, args.concurrency)
                single_p50, single_p99 = single_creates(api, topo, target - 1, args.singles)
                done = target
                _, subnet_id = topo.nets[0]
                plain = paged_listing(api, args.pages)
                filtered = paged_listing(api, args.pages, fixed_ips=f"subnet_id={subnet_id}")
                total = target + args.singles * (len(rows) + 1)
                row = {"ports": total, "bulk_create_ports_per_s": round(rate, 1),
                       "single_create_p50_ms": round(single_p50, 1), "single_create_p99_ms": round(single_p99, 1),
                       "page_ms_p50": round(plain[0], 1), "page_ms_p99": round(plain[1], 1),
                       "filtered_page_ms_p50": round(filtered[0], 1), "filtered_page_ms_p99": round(filtered[1], 1),
                       "pages_read": plain[2]}
                rows.append(row)
                print(json.dumps(row), flush=True)
            print("\n| ports | bulk create ports/s | single create p50/p99 ms | page of 1,000 p50/p99 ms "
                  "| page with fixed_ips filter p50/p99 ms |")
            print("|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['ports']:,} | {r['bulk_create_ports_per_s']} | {r['single_create_p50_ms']} / "
                      f"{r['single_create_p99_ms']} | {r['page_ms_p50']} / {r['page_ms_p99']} | "
                      f"{r['filtered_page_ms_p50']} / {r['filtered_page_ms_p99']} |")
            if args.json:
                Path(args.json).write_text(json.dumps(rows, indent=2))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
