#!/usr/bin/env python3
"""Blob backends: Swift objects and a Glance image on files against ceph, on this machine.

    .venv/bin/python bench/blobs.py                          # starts a throwaway Ceph (root)
    .venv/bin/python bench/blobs.py --ceph-conf FILE --ceph-pool NAME
    .venv/bin/python bench/blobs.py --requests 100 --large-mb 64 --image-mb 0   # quick

Two clouds on fresh data dirs, one with `--blob-backend files`, one with `--blob-backend ceph`
(one-node Ceph from Debian's packages: scripts/ceph-dev, BlueStore on a sparse file, one
replica). Measures 4 KiB object PUT and GET at concurrency 1 and 16 (req/s, p50 ms), a large
object's PUT and GET (MB/s, streamed, median of --rounds) and, with --image-mb, a Glance image
upload and download of that size, checked byte-exact by its sha512. Every process started here
is stopped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from object_store import (  # noqa: E402
    Target, large_get, large_put, pocketstack_login, small_get, small_put, start_pocketstack)

ROOT = Path(__file__).resolve().parent.parent


def image_round_trip(url: str, token: str, mb: int) -> dict[str, float]:
    """Create an image, upload mb MiB streamed, download it streamed; sha512 both ways."""
    host, port = url.split("//")[1].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=3600)
    hdrs = {"X-Auth-Token": token}
    c.request("POST", "/image/v2/images", body=json.dumps({"name": "bench", "disk_format": "raw",
                                                          "container_format": "bare"}),
              headers={**hdrs, "Content-Type": "application/json"})
    r = c.getresponse()
    image = json.loads(r.read())
    assert r.status == 201, image
    block = os.urandom(1 << 20)
    sent = hashlib.sha512()

    def body() -> Iterator[bytes]:
        for i in range(mb):
            piece = block[:-8] + i.to_bytes(8, "big")      # every MiB differs
            sent.update(piece)
            yield piece
    t0 = time.perf_counter()
    c.request("PUT", f"/image/v2/images/{image['id']}/file", body=body(),
              headers={**hdrs, "Content-Type": "application/octet-stream", "Content-Length": str(mb << 20)})
    r = c.getresponse()
    r.read()
    assert r.status == 204, r.status
    up = time.perf_counter() - t0
    t0 = time.perf_counter()
    c.request("GET", f"/image/v2/images/{image['id']}/file", headers=hdrs)
    r = c.getresponse()
    got, back = 0, hashlib.sha512()
    while chunk := r.read(1 << 20):
        got += len(chunk)
        back.update(chunk)
    down = time.perf_counter() - t0
    assert r.status == 200 and got == mb << 20 and back.hexdigest() == sent.hexdigest(), (r.status, got)
    c.request("DELETE", f"/image/v2/images/{image['id']}", headers=hdrs)
    c.getresponse().read()
    return {"up_MB_s": mb / up, "down_MB_s": mb / down}


def measure(name: str, tmp: Path, extra: list[str], args: argparse.Namespace) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    proc, url = start_pocketstack(tmp, extra)
    try:
        token, account = pocketstack_login(url)
        t = Target(name, account, token)
        for container in ("/bench-small", "/bench-large"):
            assert t.request("PUT", container)[0] in (201, 202)
        small_put(t, 1, 20)             # warm-up
        out: dict[str, str] = {}
        for c in (1, 16):
            put, get = small_put(t, c, args.requests), small_get(t, c, args.requests)
            out[f"4 KiB PUT c={c}"] = f"{put['req_s']:.0f} req/s (p50 {put['p50_ms']:.1f} ms)"
            out[f"4 KiB GET c={c}"] = f"{get['req_s']:.0f} req/s (p50 {get['p50_ms']:.1f} ms)"
        puts, gets = [], []
        for _ in range(args.rounds):
            puts.append(large_put(t, args.large_mb)["MB_s"])
            gets.append(large_get(t, args.large_mb)["MB_s"])
        out[f"{args.large_mb} MiB PUT"] = f"{statistics.median(puts):.0f} MB/s"
        out[f"{args.large_mb} MiB GET"] = f"{statistics.median(gets):.0f} MB/s"
        if args.image_mb:
            img = image_round_trip(url, token, args.image_mb)
            out[f"{args.image_mb} MiB image upload"] = f"{img['up_MB_s']:.0f} MB/s"
            out[f"{args.image_mb} MiB image download"] = f"{img['down_MB_s']:.0f} MB/s"
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ceph-conf", default=None, help="a running cluster (default: start a throwaway one)")
    p.add_argument("--ceph-pool", default="pocketstack")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--large-mb", type=int, default=256)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--image-mb", type=int, default=1024, help="Glance image size (0: none)")
    args = p.parse_args()
    ceph_dir = None
    conf = args.ceph_conf
    if conf is None:
        ceph_dir = Path(tempfile.mkdtemp(prefix="ps-bench-ceph-", dir="/tmp"))
        os.rmdir(ceph_dir)
        conf = subprocess.run([sys.executable, str(ROOT / "scripts" / "ceph-dev"), "start", str(ceph_dir), "--no-mgr",
                               "--pool", args.ceph_pool], check=True, capture_output=True, text=True).stdout.strip()
    results: dict[str, dict[str, str]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-blobs-") as tmp:
            results["files"] = measure("files", Path(tmp) / "files", ["--blob-backend", "files"], args)
            results["ceph"] = measure("ceph", Path(tmp) / "ceph", ["--blob-backend", "ceph", "--ceph-conf", conf,
                                                                   "--ceph-pool", args.ceph_pool], args)
    finally:
        if ceph_dir is not None:
            subprocess.run([sys.executable, str(ROOT / "scripts" / "ceph-dev"), "stop", str(ceph_dir)],
                           capture_output=True)
    print("| operation | files | ceph |")
    print("|---|---|---|")
    for op in results["files"]:
        print(f"| {op} | {results['files'][op]} | {results['ceph'][op]} |")


if __name__ == "__main__":
    main()
