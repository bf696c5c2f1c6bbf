#!/usr/bin/env python3
"""Dashboard and /metrics benchmark.

    python3 bench/dashboard.py [--servers 1000] [--requests 30]

Starts pocketstack (SQLite, fake compute with room for the servers), creates N servers for demo
in batches (min_count), logs in to the dashboard through its form, then measures:
- page render p50/p90 of Instances (first page of 50), Overview and Network Topology;
- the cost of one `metrics.observe` call in-process, against the p50 of a small API request
  (GET /compute/v2.1/flavors) over HTTP: the share of a request that /metrics bookkeeping takes.
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-admin-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp: Path, servers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = tmp / "pocketstack.yaml"
    config.write_text(yaml.safe_dump({"identity": {"password_hash_rounds": 4},
                                      "compute": {"vcpus": 4 * servers, "memory_mb": 1024 * servers,
                                                  "local_gb": 10 * servers}}))
    proc = subprocess.Popen([sys.executable, "-m", "pocketstack", "serve", "--port", str(port), "--data-dir",
                             str(tmp / "data"), "--admin-password", PASSWORD, "--config", str(config),
                             "--log-level", "warning", "--object-store-port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(url + "/healthcheck", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("pocketstack did not start")


def token(url: str, user: str, project: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    return httpx.post(url + "/identity/v3/auth/tokens", json=body).headers["X-Subject-Token"]


def create_servers(url: str, count: int) -> None:
    admin = {"X-Auth-Token": token(url, "admin", "admin")}
    demo_token = token(url, "demo", "demo")
    demo = {"X-Auth-Token": demo_token, "OpenStack-API-Version": "compute 2.79"}
    with httpx.Client(base_url=url, timeout=300) as c:
        pid = c.get("/identity/v3/auth/projects", headers=demo).json()["projects"][0]["id"]
        c.put(f"/compute/v2.1/os-quota-sets/{pid}", headers=admin,
              json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}}).raise_for_status()
        c.put(f"/networking/v2.0/quotas/{pid}", headers=admin, json={"quota": {"port": -1}}).raise_for_status()
        image = next(i["id"] for i in c.get("/image/v2/images", headers=demo).json()["images"]
                     if i["name"].startswith("cirros"))
        flavor = next(f["id"] for f in c.get("/compute/v2.1/flavors", headers=demo).json()["flavors"]
                      if f["name"] == "m1.nano")
        # the bootstrap `private` subnet is small: give the servers a /20 of their own
        net = c.post("/networking/v2.0/networks", headers=demo, json={"network": {"name": "bench"}}).json()["network"]
        c.post("/networking/v2.0/subnets", headers=demo, json={"subnet": {
            "network_id": net["id"], "cidr": "10.100.0.0/20", "ip_version": 4}}).raise_for_status()
        left = count
        while left:
            batch = min(100, left)
            c.post("/compute/v2.1/servers", headers=demo, json={"server": {
                "name": "bench", "imageRef": image, "flavorRef": flavor, "networks": [{"uuid": net["id"]}],
                "min_count": batch, "max_count": batch}}).raise_for_status()
            left -= batch
        deadline = time.time() + 1800
        while time.time() < deadline:
            servers = c.get("/compute/v2.1/servers/detail?limit=1000&status=ACTIVE", headers=demo).json()["servers"]
            if len(servers) >= count:
                return
            every = c.get("/compute/v2.1/servers/detail?limit=1000", headers=demo).json()["servers"]
            states: dict[str, int] = {}
            for server in every:
                states[server["status"]] = states.get(server["status"], 0) + 1
            print("  servers:", states, flush=True)
            if states.get("ERROR"):
                fault = next(s.get("fault") for s in every if s["status"] == "ERROR")
                raise SystemExit(f"a server went to ERROR: {fault}")
            time.sleep(2)
        raise SystemExit("servers did not all go ACTIVE")


def dashboard_client(url: str) -> httpx.Client:
    c = httpx.Client(base_url=url, follow_redirects=True, timeout=120)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', c.get("/dashboard/").text).group(1)  # type: ignore[union-attr]
    home = c.post("/dashboard/auth/login/", data={"username": "demo", "password": PASSWORD, "domain": "Default",
                                                  "region": "RegionOne", "csrfmiddlewaretoken": csrf})
    assert home.url.path == "/dashboard/project/", home.text[-500:]
    return c


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return sorted(out)


def pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start(Path(tmp), args.servers)
        try:
            t = time.perf_counter()
            create_servers(url, args.servers)
            print(f"{args.servers} servers ACTIVE in {time.perf_counter() - t:.1f} s")
            c = dashboard_client(url)
            for page in ("/dashboard/project/instances/", "/dashboard/project/", "/dashboard/project/network_topology/"):
                assert c.get(page).status_code == 200
                xs = timed(lambda: c.get(page).raise_for_status(), args.requests)
                print(f"{page:42s} p50 {pct(xs, .5):7.1f} ms  p90 {pct(xs, .9):7.1f} ms")
            api = {"X-Auth-Token": token(url, "demo", "demo")}
            xs = timed(lambda: httpx.get(url + "/compute/v2.1/flavors", headers=api).raise_for_status(),
                       args.requests * 5)
            sys.path.insert(0, str(ROOT / "src"))
            from pocketstack.core import metrics
            n = 100_000
            per_call = timeit.timeit(lambda: metrics.observe("compute", "/v2.1/flavors", "GET", 200, 0.001),
                                     number=n) / n
            print(f"GET /compute/v2.1/flavors p50 {pct(xs, .5):.2f} ms; metrics.observe {per_call * 1e6:.1f} us "
                  f"= {100 * per_call / (pct(xs, .5) / 1000):.2f} % of it")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
