#!/usr/bin/env python3
"""Image upload/download throughput against the disk's own speed (dd with fsync).

    .venv/bin/python bench/image.py --size-mb 64                 # starts its own pocketstack
    .venv/bin/python bench/image.py --size-mb 1024 --os-cloud devstack-admin   # an existing cloud

Prints MB/s for: dd (write + fsync) into the data dir's filesystem, PUT /v2/images/{id}/file and
GET /v2/images/{id}/file (streamed, discarded), and the ratio of each to dd.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20


def dd_speed(directory: Path, size_mb: int) -> float:
    target = directory / "bench-dd.tmp"
    started = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={size_mb}", "conv=fsync"],
                   check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    target.unlink(missing_ok=True)
    return size_mb / elapsed


def chunks(size_mb: int) -> Iterator[bytes]:
    block = os.urandom(CHUNK)
    for _ in range(size_mb):
        yield block


def image_endpoint_and_token(args: argparse.Namespace) -> tuple[str, str, Any]:
    if args.os_cloud:
        import openstack
        conn = openstack.connect(cloud=args.os_cloud)
        return conn.image.get_endpoint().rstrip("/").removesuffix("/v2"), conn.auth_token, None
    sys.path.insert(0, str(ROOT))
    from tests.conftest import start_cloud
    tmp = Path(tempfile.mkdtemp(prefix="pocketstack-bench-"))
    cloud = start_cloud(tmp)
    return cloud.url + "/image", cloud.token("pocketstack-admin"), cloud


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--os-cloud", help="benchmark an existing cloud instead of starting one")
    args = parser.parse_args()
    endpoint, token, cloud = image_endpoint_and_token(args)
    try:
        data_dir = cloud.data_dir if cloud else Path(tempfile.gettempdir())
        disk = dd_speed(data_dir, args.size_mb)
        with httpx.Client(base_url=endpoint, headers={"X-Auth-Token": token}, timeout=None) as client:
            image = client.post("/v2/images", json={"name": "bench", "disk_format": "raw",
                                                    "container_format": "bare"}).json()
            started = time.perf_counter()
            r = client.put(f"/v2/images/{image['id']}/file", content=chunks(args.size_mb),
                           headers={"Content-Type": "application/octet-stream"})
            r.raise_for_status()
            upload = args.size_mb / (time.perf_counter() - started)
            started = time.perf_counter()
            with client.stream("GET", f"/v2/images/{image['id']}/file") as r:
                received = sum(len(c) for c in r.iter_bytes(CHUNK))
            download = args.size_mb / (time.perf_counter() - started)
            assert received == args.size_mb * CHUNK, received
            client.delete(f"/v2/images/{image['id']}")
        print(f"size            {args.size_mb} MiB")
        print(f"dd + fsync      {disk:8.1f} MB/s")
        print(f"image upload    {upload:8.1f} MB/s  ({upload / disk:.0%} of dd)")
        print(f"image download  {download:8.1f} MB/s  ({download / disk:.0%} of dd)")
    finally:
        if cloud is not None:
            from tests.conftest import stop_cloud
            stop_cloud(cloud)


if __name__ == "__main__":
    main()
