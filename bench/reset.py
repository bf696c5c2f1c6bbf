#!/usr/bin/env python3
"""Reset and snapshot benchmark: how long the pytest plugin's reset takes, and snapshots of a big cloud.

    python3 bench/reset.py [--iterations 20] [--resources 1000] [--gib 1] [--database-url URL]

1. A test's worth of changes (3 networks, a subnet, a port, a 1 MiB object), then
   POST /pocketstack/v1/reset: median and p90 over the iterations, as the server measured it and
   as the client saw it (round trip with the admin token).
2. A cloud with `--resources` networks and one object of `--gib` GiB: `pocketstack snapshot save`
   while it serves, a live restore of that snapshot, and a reset back to the first start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pocketstack.testing.cloud import PocketstackCloud

MiB = 1 << 20


def a_tests_worth(conn, i: int) -> None:
    nets = [conn.network.create_network(name=f"bench-{i}-{n}") for n in range(3)]
    subnet = conn.network.create_subnet(network_id=nets[0].id, ip_version=4, cidr="10.77.0.0/24")
    conn.network.create_port(network_id=nets[0].id, fixed_ips=[{"subnet_id": subnet.id}])
    conn.object_store.create_container(name="bench")
    conn.object_store.upload_object(container="bench", name=f"o{i}", data=os.urandom(MiB))


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        quotas = {"network": {"quotas": {"quota_network": args.resources + 100}}}
        cloud = PocketstackCloud(Path(tmp), database_url=args.database_url, config=quotas)
        try:
            run(cloud, args)
        finally:
            cloud.stop()


def run(cloud: PocketstackCloud, args: argparse.Namespace) -> None:
    conn = cloud.connection()
    server_side, round_trip = [], []
    for i in range(args.iterations):
        a_tests_worth(conn, i)
        seconds, server = timed(cloud.reset)
        round_trip.append(seconds)
        server_side.append(server)
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    print(f"reset after a test's worth of changes, {args.iterations} times: server median "
          f"{statistics.median(server_side) * 1000:.0f} ms (p90 {q(server_side, .9) * 1000:.0f}), "
          f"round trip median {statistics.median(round_trip) * 1000:.0f} ms (p90 {q(round_trip, .9) * 1000:.0f})")

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: conn.network.create_network(name=f"many-{n}"), range(args.resources)))
    print(f"made {args.resources} networks in {time.perf_counter() - started:.1f} s")
    size = int(args.gib * 1024) * MiB
    chunk = os.urandom(MiB)
    conn.object_store.create_container(name="big")
    url = f"{conn.object_store.get_endpoint()}/big/blob"
    seconds, r = timed(lambda: httpx.put(url, content=(chunk for _ in range(size // MiB)), timeout=600,
                                         headers={"X-Auth-Token": conn.auth_token}))
    r.raise_for_status()
    print(f"uploaded {size / (1 << 30):.2f} GiB in {seconds:.1f} s")
    cmd = [sys.executable, "-m", "pocketstack", "snapshot", "save", "big", "--data-dir", str(cloud.data_dir)]
    if args.database_url:
        cmd += ["--database-url", args.database_url]
    seconds, _ = timed(lambda: subprocess.run(cmd, check=True, capture_output=True))
    print(f"snapshot save (CLI, cloud serving): {seconds:.2f} s")
    seconds, server = timed(cloud.reset)
    print(f"reset to the first start: {server * 1000:.0f} ms on the server, {seconds * 1000:.0f} ms round trip")
    seconds, r = timed(lambda: cloud.control("POST", "/reset", json={"snapshot": "big"}))
    print(f"live restore of the big snapshot: {r.json()['reset']['seconds'] * 1000:.0f} ms on the server, "
          f"{seconds * 1000:.0f} ms round trip")
    assert len(list(conn.network.networks(name="many-0"))) == 1


if __name__ == "__main__":
    main()
