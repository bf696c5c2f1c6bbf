#!/usr/bin/env python3
"""QEMU compute driver benchmark (needs root, QEMU, the linux dataplane's tools):

    .venv/bin/python bench/qemu.py                  # 1 guest, then 10 at once
    .venv/bin/python bench/qemu.py --guests 5       # quicker

A pocketstack with `--dataplane linux --compute-driver qemu` starts on a fresh data dir under its own
cloud name, with the project's cirros-like guest image (flavor m1.nano: 1 vCPU, 128 MB, 1 GiB root).
It measures boot-to-SSH (from the POST /servers to the first `ssh cirros@<fixed ip> hostname` that
answers, from the router's namespace) for one guest and for N started at once, the RSS of an idle guest's
QEMU process, the snapshot (createImage) time of a 1 GiB root disk, and GET /servers/detail latency with
the N guests running. Everything it made is removed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services.compute.test_qemu_driver import QemuCloud, boot, missing, prepare, ssh, wait  # noqa: E402


def rss_mb(pid: int | None) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def boot_to_ssh(qc: QemuCloud, name: str) -> tuple[float, dict]:
    started = time.monotonic()
    server = boot(qc, name)
    ssh(qc, server, "hostname", timeout=600)
    return time.monotonic() - started, server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=10)
    args = parser.parse_args()
    if reason := missing():
        print(reason)
        return 1
    qc = QemuCloud(Path(tempfile.mkdtemp(prefix="bench-qemu-")))
    try:
        prepare(qc)
        print(f"accelerator: {(qc.root / 'accel.json').read_text()}")
        one, first = boot_to_ssh(qc, "one")
        print(f"boot to SSH, 1 guest: {one:.1f} s")
        time.sleep(20)
        print(f"RSS of an idle guest (128 MB flavor), 20 s after SSH answered: {rss_mb(qc.pid(first['id'])):.0f} MB")
        nova = qc.api()
        started = time.monotonic()
        image_id = nova.post(f"/servers/{first['id']}/action", json={"createImage": {"name": "snap"}},
                             headers={"OpenStack-API-Version": "compute 2.45"}).json()["image_id"]
        glance = qc.api("image/v2")
        while glance.get(f"/images/{image_id}").json()["status"] != "active":
            time.sleep(0.2)
        size = glance.get(f"/images/{image_id}").json()["size"]
        print(f"snapshot of a 1 GiB root disk (qcow2 upload of {size / 1e6:.0f} MB): {time.monotonic() - started:.1f} s")
        wait(qc, first["id"], "ACTIVE")
        nova.delete(f"/servers/{first['id']}")
        started = time.monotonic()
        with ThreadPoolExecutor(args.guests) as pool:
            times = list(pool.map(lambda i: boot_to_ssh(qc, f"g{i}")[0], range(args.guests)))
        print(f"boot to SSH, {args.guests} guests at once: p50 {statistics.median(times):.1f} s, "
              f"max {max(times):.1f} s (all answered {time.monotonic() - started:.1f} s after the first POST)")
        pids = [qc.pid(p.parent.name) for p in qc.root.glob("*/pid")]
        print(f"RSS with {args.guests} guests: total {sum(rss_mb(p) for p in pids if p):.0f} MB")
        lat = []
        for _ in range(20):
            t0 = time.monotonic()
            assert nova.get("/servers/detail").status_code == 200
            lat.append(time.monotonic() - t0)
        print(f"GET /servers/detail with {args.guests} running guests: p50 {statistics.median(lat) * 1000:.0f} ms, "
              f"max {max(lat) * 1000:.0f} ms")
        for server in nova.get("/servers").json()["servers"]:
            nova.delete(f"/servers/{server['id']}")
        return 0
    finally:
        qc.close()


if __name__ == "__main__":
    sys.exit(main())
