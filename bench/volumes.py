#!/usr/bin/env python3
"""Volume creation on files against RBD: from a 1 GiB image (RBD: a copy-on-write clone of the
image's snapshot, Glance's data being an RBD image), from a snapshot (RBD: a copy-on-write clone)
and from a volume (RBD: a clone flattened at once).

    .venv/bin/python bench/volumes.py                          # starts a throwaway Ceph (root)
    .venv/bin/python bench/volumes.py --ceph-conf FILE --ceph-pool NAME --size-mb 256

Two clouds on fresh data dirs, one with the default file backend, one with `--blob-backend ceph`
(volumes as RBD images; one-node Ceph from Debian's packages: scripts/ceph-dev, BlueStore on a
sparse file, one replica). In each: a raw image of --size-mb MiB of non-zero bytes is uploaded,
then each volume is timed from the create request to `available` (polled every 50 ms): from the
image, from a snapshot of that volume, from the volume. The upload is timed too (on ceph it writes
the RBD image the volumes clone). Every process started here is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from object_store import PASSWORD, start_pocketstack  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GiB = 1 << 30


class Api:
    def __init__(self, url: str) -> None:
        self.host, port = url.split("//")[1].split(":")
        self.port = int(port)
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        r, data = self.call("POST", "/identity/v3/auth/tokens", body)
        self.token, self.project = r.getheader("X-Subject-Token"), data["token"]["project"]["id"]

    def call(self, method: str, path: str, body: Any = None, raw: Any = None,
             headers: dict[str, str] | None = None) -> tuple[Any, Any]:
        c = http.client.HTTPConnection(self.host, self.port, timeout=3600)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if getattr(self, "token", None):
            hdrs["X-Auth-Token"] = self.token
        c.request(method, path, body=raw if raw is not None else (json.dumps(body) if body is not None else None),
                  headers=hdrs)
        r = c.getresponse()
        text = r.read()
        assert r.status < 300, (method, path, r.status, text[:300])
        return r, json.loads(text) if text else None

    def volume_path(self, path: str = "") -> str:
        return f"/volume/v3/{self.project}{path}"

    def wait(self, kind: str, item_id: str) -> None:
        while True:
            _, data = self.call("GET", self.volume_path(f"/{kind}s/{item_id}"))
            status = data[kind]["status"]
            if status == "available":
                return
            assert not status.startswith("error"), data
            time.sleep(0.05)

    def timed_volume(self, **source: Any) -> tuple[float, str]:
        t0 = time.perf_counter()
        _, data = self.call("POST", self.volume_path("/volumes"), {"volume": {"size": 1, **source}})
        self.wait("volume", data["volume"]["id"])
        return time.perf_counter() - t0, data["volume"]["id"]


def upload_image(api: Api, mb: int) -> str:
    _, image = api.call("POST", "/image/v2/images", {"name": "bench", "disk_format": "raw",
                                                     "container_format": "bare"})
    block = os.urandom(1 << 20)

    def body() -> Iterator[bytes]:
        for i in range(mb):
            yield block[:-8] + i.to_bytes(8, "big")
    api.call("PUT", f"/image/v2/images/{image['id']}/file", raw=body(),
             headers={"Content-Type": "application/octet-stream", "Content-Length": str(mb << 20)})
    return str(image["id"])


def measure(url: str, mb: int) -> dict[str, float]:
    api = Api(url)
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    image = upload_image(api, mb)
    out["image upload"] = time.perf_counter() - t0
    out["from image"], vol = api.timed_volume(imageRef=image)
    t0 = time.perf_counter()
    _, snap = api.call("POST", api.volume_path("/snapshots"), {"snapshot": {"volume_id": vol}})
    api.wait("snapshot", snap["snapshot"]["id"])
    out["snapshot"] = time.perf_counter() - t0
    out["from snapshot"], _ = api.timed_volume(snapshot_id=snap["snapshot"]["id"])
    out["from volume"], _ = api.timed_volume(source_volid=vol)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ceph-conf", help="an existing cluster (else scripts/ceph-dev starts one)")
    parser.add_argument("--ceph-pool", default="pocketstack")
    parser.add_argument("--size-mb", type=int, default=1024, help="image size (at most 1024: a 1 GiB volume)")
    args = parser.parse_args()
    assert 0 < args.size_mb <= 1024
    ceph_dir = None
    conf = args.ceph_conf
    with tempfile.TemporaryDirectory(prefix="bench-volumes-") as tmp:
        if not conf:
            ceph_dir = Path(tempfile.mkdtemp(prefix="ps-ceph-", dir="/tmp"))
            ceph_dir.rmdir()
            conf = subprocess.run([sys.executable, str(ROOT / "scripts" / "ceph-dev"), "start", str(ceph_dir),
                                   "--no-mgr", "--pool", args.ceph_pool, "--osd-size-gb", "12"],
                                  check=True, capture_output=True, text=True).stdout.strip()
        results = {}
        try:
            for name, extra in (("files", []), ("rbd", ["--blob-backend", "ceph", "--ceph-conf", conf,
                                                        "--ceph-pool", args.ceph_pool])):
                (Path(tmp) / name).mkdir()
                proc, url = start_pocketstack(Path(tmp) / name, extra)
                try:
                    results[name] = measure(url, args.size_mb)
                finally:
                    proc.terminate()
                    proc.wait(30)
        finally:
            if ceph_dir:
                subprocess.run([sys.executable, str(ROOT / "scripts" / "ceph-dev"), "stop", str(ceph_dir)],
                               check=False)
    print(f"\n{args.size_mb} MiB image, 1 GiB volumes: seconds from the create request to available\n")
    print("| | files | rbd |\n|---|---|---|")
    for step in results["files"]:
        print(f"| {step} | {results['files'][step]:.2f} | {results['rbd'][step]:.2f} |")


if __name__ == "__main__":
    main()
