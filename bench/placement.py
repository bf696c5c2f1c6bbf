#!/usr/bin/env python3
"""Placement benchmark: allocation-candidate latency over many providers, and scheduling throughput.

    .venv/bin/python bench/placement.py                        # 1,000 providers, 100 servers
    .venv/bin/python bench/placement.py --providers 200 --servers 20

pocketstack starts on a fresh data dir (SQLite, one worker). It creates N compute-node-like resource providers
(VCPU 16 x 16.0, MEMORY_MB 64 GiB x 1.5, DISK_GB 1 TiB, a custom trait on every tenth, half of them in one
aggregate) through the Placement API, then times GET /allocation_candidates (all candidates, limit=50, a required
trait, member_of) and reports the median and p95 of 20 calls each. Then it lifts the admin project's compute
quotas, POSTs `--servers` servers (m1.nano, no network) as fast as it can, polls until every one is ACTIVE
and reports servers per second from the first POST to the last ACTIVE: each build asks Placement for candidates
and claims them with PUT /allocations, so the providers above are in every scheduling query.
"""

from __future__ import annotations

import argparse
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
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-placement-"))
    url, proc = start_pocketstack(tmp)
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
        q = "resources=VCPU:1,MEMORY_MB:512,DISK_GB:1"
        print(f"\n| GET /allocation_candidates ({args.providers} providers) | median ms | p95 ms | candidates |")
        print("|---|---|---|---|")
        for label, path in [("all candidates", f"/allocation_candidates?{q}"),
                            ("limit=50", f"/allocation_candidates?{q}&limit=50"),
                            ("required=CUSTOM_BENCH", f"/allocation_candidates?{q}&required=CUSTOM_BENCH"),
                            ("member_of=<agg>", f"/allocation_candidates?{q}&member_of={AGG}"),
                            ("granular, 2 groups, isolate", "/allocation_candidates?resources1=VCPU:1&"
                             "resources2=MEMORY_MB:512&group_policy=none&limit=50")]:
            med, p95, n = timed(pl, path)
            print(f"| {label} | {med:.1f} | {p95:.1f} | {n} |")
        # scheduling throughput
        headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"}
        nova = httpx.Client(base_url=url + "/compute/v2.1", timeout=120, headers=headers)
        project = httpx.get(url + "/identity/v3/auth/tokens", headers={
            "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
        nova.put(f"/os-quota-sets/{project}", json={"quota_set": {
            "instances": -1, "cores": -1, "ram": -1}}).raise_for_status()
        image = httpx.get(url + "/image/v2/images", headers={"X-Auth-Token": token}).json()["images"][0]["id"]
        t0 = time.perf_counter()
        ids = []
        for i in range(args.servers):
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
        print(f"\n{args.servers} servers: POSTs took {posted:.1f} s, all ACTIVE after {total:.1f} s "
              f"({args.servers / total:.1f} servers/s), {errors} in ERROR")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
