#!/usr/bin/env python3
"""Image upload/download throughput against the disk's own speed, and the server's memory meanwhile.

    .venv/bin/python bench/image.py --size-mb 2048               # starts its own pocketstack
    .venv/bin/python bench/image.py --size-mb 1024 --os-cloud devstack-admin --pid 1234   # an existing cloud

Measures, on the filesystem of the server's data dir:
  dd write   dd if=/dev/zero of=F bs=1M count=N conv=fsync        (data reaches the disk)
  dd read    dd if=F of=/dev/null bs=1M                           (right after the write: page cache)
  dd direct  dd if=F of=/dev/null bs=1M iflag=direct              (O_DIRECT: the disk, no cache)
  upload     PUT /v2/images/{id}/file, streamed by curl from a pipe (the server fsyncs before 204)
  download   GET /v2/images/{id}/file, streamed by curl into /dev/null
and prints each image figure as a ratio of the matching dd figure (upload : dd write, download :
dd read and dd direct). Meanwhile a thread samples the server process (and its children) every
20 ms from /proc/PID/status: VmRSS before the upload, the peak VmRSS seen during upload and
download, and VmHWM; the acceptance bar is a peak growth under 64 MiB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20
MIB = 1 << 20
RSS_BUDGET_MIB = 64


def dd(*args: str) -> float:
    """Run dd; its own MB/s figure (bytes / its elapsed time, 10^6)."""
    out = subprocess.run(["dd", *args], check=True, capture_output=True, text=True).stderr
    m = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", out)
    assert m, out
    return int(m.group(1)) / float(m.group(2)) / 1e6


def disk_speeds(directory: Path, size_mb: int) -> dict[str, float]:
    target = directory / "bench-dd.tmp"
    try:
        write = dd("if=/dev/zero", f"of={target}", "bs=1M", f"count={size_mb}", "conv=fsync")
        read = dd(f"if={target}", "of=/dev/null", "bs=1M")
        try:
            direct = dd(f"if={target}", "of=/dev/null", "bs=1M", "iflag=direct")
        except subprocess.CalledProcessError:
            direct = float("nan")
    finally:
        target.unlink(missing_ok=True)
    return {"write": write, "read": read, "direct": direct}


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children") if Path(f"/proc/{p}").exists() else []:
            todo += [int(c) for c in task.read_text().split()]
    return pids


class RssSampler(threading.Thread):
    """Peak of the summed VmRSS of a process tree, sampled until stopped."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop_event = threading.Event()

    def rss_kib(self) -> int:
        return sum(_status_kib(p, "VmRSS") for p in _tree(self.pid))

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, self.rss_kib())
            time.sleep(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kib


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


def curl_transfer(client: httpx.Client, url: str, size_mb: int, upload: bool) -> int:
    """curl as the client (a C client, so the figure is the server's): PUT from a pipe of zeros
    with a Content-Length, or GET into /dev/null; returns the bytes moved."""
    token, full = client.headers["X-Auth-Token"], str(client.base_url).rstrip("/") + url
    if upload:
        feeder = subprocess.Popen(["head", "-c", str(size_mb * MIB), "/dev/zero"], stdout=subprocess.PIPE)
        out = subprocess.run(["curl", "-sS", "-f", "-X", "PUT", "-T", "-", "-H", f"X-Auth-Token: {token}",
                              "-H", "Content-Type: application/octet-stream",
                              "-H", f"Content-Length: {size_mb * MIB}", "-H", "Transfer-Encoding:",
                              "-o", "/dev/null", "-w", "%{size_upload}", full], stdin=feeder.stdout,
                             capture_output=True, text=True, check=True)
        feeder.wait()
    else:
        out = subprocess.run(["curl", "-sS", "-f", "-H", f"X-Auth-Token: {token}", "-o", "/dev/null", "-w",
                              "%{size_download}", full], capture_output=True, text=True, check=True)
    return int(float(out.stdout))


def run(client: httpx.Client, size_mb: int, pid: int | None, use_curl: bool) -> dict[str, float]:
    image = client.post("/v2/images", json={"name": "bench", "disk_format": "raw", "container_format": "bare"}).json()
    sampler = RssSampler(pid) if pid else None
    before = sampler.rss_kib() if sampler else 0
    if sampler:
        sampler.start()
    try:
        url = f"/v2/images/{image['id']}/file"
        started = time.perf_counter()
        if use_curl:
            sent = curl_transfer(client, url, size_mb, upload=True)
        else:
            r = client.put(url, content=chunks(size_mb), headers={"Content-Type": "application/octet-stream"})
            r.raise_for_status()
            sent = size_mb * MIB
        upload = sent / (time.perf_counter() - started) / 1e6
        upload_peak = sampler.peak_kib if sampler else 0
        assert client.get(f"/v2/images/{image['id']}").json()["size"] == size_mb * MIB
        started = time.perf_counter()
        if use_curl:
            received = curl_transfer(client, url, size_mb, upload=False)
        else:
            with client.stream("GET", url) as r:
                received = sum(len(c) for c in r.iter_bytes(CHUNK))
        download = received / (time.perf_counter() - started) / 1e6
        assert received == size_mb * CHUNK, received
    finally:
        peak = sampler.stop() if sampler else 0
        client.delete(f"/v2/images/{image['id']}")
    hwm = _status_kib(pid, "VmHWM") if pid else 0
    return {"upload": upload, "download": download, "rss_before_mib": before / 1024,
            "rss_upload_peak_mib": upload_peak / 1024, "rss_peak_mib": peak / 1024, "hwm_mib": hwm / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--os-cloud", help="benchmark an existing cloud instead of starting one")
    parser.add_argument("--pid", type=int, help="server PID to sample (with --os-cloud)")
    parser.add_argument("--client", choices=["curl", "httpx"], default="curl",
                        help="what moves the bytes (default curl: measures the server, not a Python client)")
    args = parser.parse_args()
    endpoint, token, cloud = image_endpoint_and_token(args)
    pid = cloud.process.pid if cloud else args.pid
    try:
        data_dir = cloud.data_dir if cloud else Path(tempfile.gettempdir())
        disk = disk_speeds(data_dir, args.size_mb)
        with httpx.Client(base_url=endpoint, headers={"X-Auth-Token": token}, timeout=None) as client:
            got = run(client, args.size_mb, pid, args.client == "curl")
    finally:
        if cloud is not None:
            from tests.conftest import stop_cloud
            stop_cloud(cloud)
    print(f"size               {args.size_mb} MiB, client {args.client}")
    print(f"dd write + fsync   {disk['write']:8.1f} MB/s")
    print(f"dd read (cached)   {disk['read']:8.1f} MB/s")
    print(f"dd read (O_DIRECT) {disk['direct']:8.1f} MB/s")
    print(f"image upload       {got['upload']:8.1f} MB/s  ({got['upload'] / disk['write']:.2f} x dd write)")
    print(f"image download     {got['download']:8.1f} MB/s  ({got['download'] / disk['read']:.2f} x dd cached read, "
          f"{got['download'] / disk['direct']:.2f} x dd O_DIRECT read)")
    if pid:
        growth = got["rss_peak_mib"] - got["rss_before_mib"]
        print(f"server RSS         {got['rss_before_mib']:.1f} MiB before, {got['rss_upload_peak_mib']:.1f} MiB peak "
              f"in upload, {got['rss_peak_mib']:.1f} MiB peak overall (growth {growth:.1f} MiB, budget "
              f"{RSS_BUDGET_MIB}); VmHWM {got['hwm_mib']:.1f} MiB")
        if growth >= RSS_BUDGET_MIB:
            sys.exit(f"server RSS grew {growth:.1f} MiB (budget {RSS_BUDGET_MIB} MiB)")


if __name__ == "__main__":
    main()
