#!/usr/bin/env python3
"""Object Storage benchmark: small-object req/s, large-object MB/s and a big listing.

    .venv/bin/python bench/object_store.py                      # starts its own pocketstack
    .venv/bin/python bench/object_store.py --requests 2000 --large-mb 256 --listing 10000
    .venv/bin/python bench/object_store.py --swift              # also real Swift 2.38.3 (SAIO-less)

Measures: 4 KiB PUT and GET at concurrency 1 and 16 (req/s, p50/p99 ms), one large PUT and GET
(MB/s, streamed), and the time of a JSON listing of a container holding --listing objects.
--swift installs swift==2.38.3 into ~/.cache/pocketstack/swift-2.38.3 and, when a proxy URL and
token are given with --swift-url/--swift-token, runs the same measurements against it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
SWIFT_VENV = Path.home() / ".cache" / "pocketstack" / "swift-2.38.3"
PASSWORD = "bench-admin-pw"
SMALL = os.urandom(4096)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pocketstack(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pocketstack", "serve", "--port", str(port), "--data-dir",
                             str(tmp / "data"), "--admin-password", PASSWORD],
                            stdout=open(tmp / "server.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthcheck", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("pocketstack did not start")


def login(url: str) -> tuple[str, str]:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(url + "/identity/v3/auth/tokens", json=body)
    r.raise_for_status()
    token = r.headers["X-Subject-Token"]
    project = r.json()["token"]["project"]["id"]
    return token, f"{url}/object-store/v1/AUTH_{project}"


def timed(fn: Any, n: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []

    def one(i: int) -> None:
        t0 = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - t0)
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"req_s": n / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def small_objects(client: httpx.Client, container: str, n: int) -> dict[str, Any]:
    out = {}
    for c in (1, 16):
        def put(i: int, c: int = c) -> None:
            assert client.put(f"/{container}/small-{c}-{i}", content=SMALL).status_code == 201

        def get(i: int, c: int = c) -> None:
            r = client.get(f"/{container}/small-{c}-{i}")
            assert r.status_code == 200 and len(r.content) == 4096
        out[f"put_4k_c{c}"] = timed(put, n, c)
        out[f"get_4k_c{c}"] = timed(get, n, c)
    return out


def large_object(client: httpx.Client, container: str, mb: int) -> dict[str, float]:
    block = os.urandom(1 << 20)

    def body() -> Iterator[bytes]:
        for _ in range(mb):
            yield block
    t0 = time.perf_counter()
    r = client.put(f"/{container}/large", content=body(), headers={"Content-Length": str(mb << 20)})
    assert r.status_code == 201, r.text
    put_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = 0
    with client.stream("GET", f"/{container}/large") as resp:
        for chunk in resp.iter_bytes(1 << 20):
            got += len(chunk)
    get_s = time.perf_counter() - t0
    assert got == mb << 20
    return {"put_MB_s": mb / put_s, "get_MB_s": mb / get_s}


def listing(client: httpx.Client, container: str, n: int) -> dict[str, float]:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: client.put(f"/{container}/obj-{i:06d}", content=b"x"), range(n)))
    t0 = time.perf_counter()
    r = client.get(f"/{container}", params={"format": "json", "limit": str(n)})
    elapsed = time.perf_counter() - t0
    assert r.status_code == 200 and len(r.json()) == n
    return {"objects": n, "json_listing_s": elapsed}


def run(account_url: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    with httpx.Client(base_url=account_url, headers={"X-Auth-Token": token}, timeout=600,
                      limits=httpx.Limits(max_connections=32)) as client:
        for name in ("bench-small", "bench-large", "bench-list"):
            client.put(f"/{name}")
        result: dict[str, Any] = small_objects(client, "bench-small", args.requests)
        result["large"] = large_object(client, "bench-large", args.large_mb)
        result["listing"] = listing(client, "bench-list", args.listing)
    return result


def install_swift() -> Path:
    python = SWIFT_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SWIFT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "swift==2.38.3"], check=True)
    return python


def show(title: str, result: dict[str, Any]) -> None:
    print(f"== {title}")
    for key, value in result.items():
        print(f"  {key:14s} " + "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in value.items()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=200, help="small objects per measurement")
    p.add_argument("--large-mb", type=int, default=32, help="size of the large object (256 for the full run)")
    p.add_argument("--listing", type=int, default=1000, help="objects in the listed container (10000 for full)")
    p.add_argument("--swift", action="store_true", help="install Swift 2.38.3 and measure it too")
    p.add_argument("--swift-url", help="a running Swift account URL (with --swift)")
    p.add_argument("--swift-token", help="a token for --swift-url")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_pocketstack(Path(tmp))
        try:
            token, account_url = login(url)
            show("pocketstack", run(account_url, token, args))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    if args.swift:
        python = install_swift()
        print(f"swift 2.38.3 installed in {python.parent.parent}")
        if args.swift_url and args.swift_token:
            show("swift 2.38.3", run(args.swift_url, args.swift_token, args))
        else:
            print("  (pass --swift-url and --swift-token of a running proxy to measure it; a SAIO needs "
                  "rings and storage devices, which this script does not build)")


if __name__ == "__main__":
    main()
