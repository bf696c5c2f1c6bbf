#!/usr/bin/env python3
"""Placement benchmark: allocation-candidate latency over many providers, and scheduling throughput.

    .venv/bin/python bench/placement.py                        # 1,000 providers, 100 servers
    .venv/bin/python bench/placement.py --providers 200 --servers 20
    .venv/bin/python bench/placement.py --providers 0 --servers 1000 --detail 1000,10000

pocketstack starts on a fresh data dir (SQLite, one worker). It creates N compute-node-like resource
providers (VCPU 16 x 16.0, MEMORY_MB 64 GiB x 1.5, DISK_GB 1 TiB, a custom trait on every tenth, half of
them in one aggregate) through the Placement API, then times GET /allocation_candidates (all candidates,
limit=50, a required trait, member_of) and reports the median and p95 of 20 calls each. Then it lifts
the admin project's compute quotas, POSTs `--servers` servers (m1.nano, no network) as fast as it can,
polls until every one is ACTIVE and reports servers per second from the first POST to the last ACTIVE:
each build asks Placement for candidates and claims them with PUT /allocations, so the providers above
are in every scheduling query. The fake host is given room for them
(`compute: {vcpus: 4096, memory_mb: 4194304, local_gb: 65536}`).

`--detail N,M`: GET /servers/detail?limit=1000 (median and max of 20 calls) with N, then M servers, and the
server process's CPU time per call (utime + stime from /proc/<pid>/stat around each call, 10 ms ticks: on a
shared machine the wall time says more about the neighbours than about the code), with the load average.
Servers past the ones built above are made by a BENCH-ONLY direct path: copies of an ACTIVE server's
row written straight into the running cloud's SQLite database (WAL; new id, name, instance name; same
flavor, image, host), because building 10,000 through the API takes hours on this machine. The API
never sees them being made, only listed, which is what this part measures.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import login, start_pocketstack  # noqa: E402

AGG = str(uuid.UUID(int=7))


def timed(client: httpx.Client, path: str, n: int = 20) -> tuple[float, float, int]:
    samples, count = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        count = len(r.json()["allocation_requests"])
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--providers", type=int, default=1000)
    ap.add_argument("--servers", type=int, default=100)
    ap.add_argument("--detail", default="",
                    help="server counts for the /servers/detail page timing, e.g. 1000,10000")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-placement-"))
    url, proc = start_pocketstack(tmp, "compute:\n  vcpus: 4096\n  memory_mb: 4194304\n  local_gb: 65536\n")
    try:
        token = login(url)
        pl = httpx.Client(base_url=url + "/placement", timeout=120, headers={
            "X-Auth-Token": token, "OpenStack-API-Version": "placement 1.39"})
        pl.put("/traits/CUSTOM_BENCH").raise_for_status()
        t0 = time.perf_counter()
        for i in range(args.providers):
            rp = pl.post("/resource_providers", json={"name": f"bench-cn-{i:05d}"}).json()
            gen = pl.put(f"/resource_providers/{rp['uuid']}/inventories", json={
                "resource_provider_generation": rp["generation"], "inventories": {
                    "VCPU": {"total": 16, "allocation_ratio": 16.0},
                    "MEMORY_MB": {"total": 65536, "allocation_ratio": 1.5, "reserved": 512},
                    "DISK_GB": {"total": 1024}}}).json()["resource_provider_generation"]
            if i % 10 == 0:
                gen = pl.put(f"/resource_providers/{rp['uuid']}/traits", json={
                    "resource_provider_generation": gen, "traits": ["CUSTOM_BENCH"]}).json()[
                    "resource_provider_generation"]
            if i % 2 == 0:
                pl.put(f"/resource_providers/{rp['uuid']}/aggregates", json={
                    "resource_provider_generation": gen, "aggregates": [AGG]}).raise_for_status()
        print(f"created {args.providers} providers in {time.perf_counter() - t0:.1f} s")
        if args.providers:
            candidates(pl, args.providers)
        nova, ids = schedule(url, token, args.servers)
        existing = len(ids)
        for count in [int(n) for n in args.detail.split(",") if n]:
            copy_servers(tmp / "ps" / "pocketstack.db", ids[0], count - existing)
            existing = max(existing, count)
            med, worst, cpu, n = timed_detail(nova, proc.pid)
            print(f"| GET /servers/detail?limit=1000, {count:,} servers | wall p50 {med:.0f} ms, max {worst:.0f} | "
                  f"server CPU p50 {cpu:.0f} ms | {n} | load {os.getloadavg()[0]:.1f} |")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def candidates(pl: httpx.Client, providers: int) -> None:
    q = "resources=VCPU:1,MEMORY_MB:512,DISK_GB:1"
    print(f"\n| GET /allocation_candidates ({providers} providers) | median ms | p95 ms | candidates |")
    print("|---|---|---|---|")
    for label, path in [("all candidates", f"/allocation_candidates?{q}"),
                        ("limit=50", f"/allocation_candidates?{q}&limit=50"),
                        ("required=CUSTOM_BENCH", f"/allocation_candidates?{q}&required=CUSTOM_BENCH"),
                        ("member_of=<agg>", f"/allocation_candidates?{q}&member_of={AGG}"),
                        ("granular, 2 groups, isolate", "/allocation_candidates?resources1=VCPU:1&"
                         "resources2=MEMORY_MB:512&group_policy=none&limit=50")]:
        med, p95, n = timed(pl, path)
        print(f"| {label} | {med:.1f} | {p95:.1f} | {n} |")


def schedule(url: str, token: str, servers: int) -> tuple[httpx.Client, list[str]]:
    """POST `servers` servers back to back; servers/s from the first POST to the last ACTIVE."""
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"}
    nova = httpx.Client(base_url=url + "/compute/v2.1", timeout=120, headers=headers)
    project = httpx.get(url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    nova.put(f"/os-quota-sets/{project}", json={"quota_set": {
        "instances": -1, "cores": -1, "ram": -1}}).raise_for_status()
    image = httpx.get(url + "/image/v2/images", headers={"X-Auth-Token": token}).json()["images"][0]["id"]
    t0 = time.perf_counter()
    ids = []
    for i in range(servers):
        r = nova.post("/servers", json={"server": {"name": f"bench-{i}", "imageRef": image, "flavorRef": "42",
                                                   "networks": "none"}})
        r.raise_for_status()
        ids.append(r.json()["server"]["id"])
    posted = time.perf_counter() - t0
    pending = set(ids)
    errors = 0
    while pending:
        for s in nova.get("/servers/detail?limit=1000").json()["servers"]:
            if s["id"] in pending and s["status"] in ("ACTIVE", "ERROR"):
                pending.discard(s["id"])
                errors += s["status"] == "ERROR"
        time.sleep(0.05)
    total = time.perf_counter() - t0
    print(f"\n{servers} servers: POSTs took {posted:.1f} s, all ACTIVE after {total:.1f} s "
          f"({servers / total:.1f} servers/s), {errors} in ERROR")
    return nova, ids


def copy_servers(db_path: Path, template_id: str, count: int) -> None:
    """BENCH-ONLY: `count` copies of one server's row, written straight into the database (see the
    module docstring); a running pocketstack sees them at its next read (SQLite WAL)."""
    if count <= 0:
        return
    conn = sqlite3.connect(db_path, timeout=60)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM compute_servers WHERE id = ?", (template_id,)).fetchone())
    cols = list(row)
    stmt = f"INSERT INTO compute_servers ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    t0 = time.perf_counter()
    batch = []
    for _ in range(count):
        new = str(uuid.uuid4())
        batch.append([{**row, "id": new, "name": f"copy-{new[:8]}", "hostname": f"copy-{new[:8]}",
                       "instance_name": f"instance-{new[:8]}"}[c] for c in cols])
    conn.executemany(stmt, batch)
    conn.commit()
    conn.close()
    print(f"(bench-only: {count} server rows copied into the database in {time.perf_counter() - t0:.1f} s)")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_detail(nova: httpx.Client, pid: int, n: int = 20) -> tuple[float, float, float, int]:
    """Median and max wall ms, median server CPU ms, servers on the page."""
    samples, cpus, count = [], [], 0
    nova.get("/servers/detail?limit=1000").raise_for_status()       # warm
    for _ in range(n):
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        r = nova.get("/servers/detail?limit=1000")
        samples.append((time.perf_counter() - t0) * 1000)
        cpus.append((cpu_seconds(pid) - c0) * 1000)
        r.raise_for_status()
        count = len(r.json()["servers"])
    return statistics.median(samples), max(samples), statistics.median(cpus), count


if __name__ == "__main__":
    main()
