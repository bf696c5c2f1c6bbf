#!/usr/bin/env python3
"""Object Storage benchmark: pocketstack side by side with a real Swift 2.38.3 on this machine.

    .venv/bin/python bench/object_store.py                  # pocketstack and real Swift, full sizes
    .venv/bin/python bench/object_store.py --no-swift       # pocketstack only
    .venv/bin/python bench/object_store.py --requests 200 --large-mb 32 --listing 1000   # quick

Measures 4 KiB PUT and GET at concurrency 1 and 16 (req/s, p50/p99 ms) after a warm-up, a large
object's PUT, GET and GET with its pages dropped from the page cache (MB/s, streamed, median of
--rounds, compared with the disk's sequential limits) and a JSON listing of a container holding
--listing objects. Each measurement runs against Swift and then pocketstack before the next one
starts, so background load hits both alike. Real Swift (bench/swift_cluster.py) is installed
from PyPI into ~/.cache/pocketstack/swift-2.38.3 and run as one node, one replica, 2 workers per
server, memcached, tempauth and the full proxy pipeline; pocketstack starts on a fresh data dir.
Every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from swift_cluster import SwiftCluster, free_port  # noqa: E402

PASSWORD = "bench-admin-pw"
SMALL = os.urandom(4096)
DISK_WRITE_MB_S = 450.0     # sequential write with fsync on this machine (dd, measured 400-470)
DISK_READ_MB_S = 1200.0     # sequential read


@dataclass
class Target:
    """One object store under test: its account URL and token, one keep-alive connection per thread."""
    name: str
    account_url: str
    token: str
    data_dir: Path | None = None     # where its object files live (to drop them from the page cache)

    def __post_init__(self) -> None:
        parts = urlsplit(self.account_url)
        self.host, self.port, self.base = parts.hostname or "", parts.port or 80, parts.path.rstrip("/")
        self.local = threading.local()

    def conn(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        return c

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                sink: bool = False) -> tuple[int, bytes, int]:
        """(status, body, length); with sink the body is read and counted, not kept."""
        hdrs = {"X-Auth-Token": self.token, **(headers or {})}
        if not (body is None or isinstance(body, bytes)) and getattr(self.local, "conn", None):
            self.local.conn.close()     # a streamed body cannot be resent: start on a fresh connection
            self.local.conn = None
        for attempt in (0, 1):
            c = self.conn()
            try:
                where, _, query = path.partition("?")
                c.request(method, self.base + quote(where) + ("?" + query if query else ""), body=body,
                          headers=hdrs)
                resp = c.getresponse()
                if sink:
                    got, buf = 0, bytearray(1 << 20)
                    view = memoryview(buf)
                    while n := resp.readinto(view):
                        got += n
                    return resp.status, b"", got
                data = resp.read()
                return resp.status, data, len(data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                c.close()
                self.local.conn = None
                if attempt or not (body is None or isinstance(body, bytes)):
                    raise
        raise AssertionError("unreachable")


# --- servers ---------------------------------------------------------------------
def start_pocketstack(tmp: Path, extra_args: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "pocketstack", "serve", "--port", str(port), "--data-dir",
                             str(tmp / "data"), "--admin-password", PASSWORD, "--log-level", "warning",
                             *(extra_args or [])],
                            stdout=open(tmp / "pocketstack.log", "ab"), stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthcheck")
            if c.getresponse().status == 200:
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"pocketstack did not start; see {tmp / 'pocketstack.log'}")


def pocketstack_login(url: str) -> tuple[str, str]:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    parts = urlsplit(url)
    c = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=30)
    c.request("POST", "/identity/v3/auth/tokens", body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = c.getresponse()
    data = json.loads(resp.read())
    assert resp.status == 201, data
    return resp.headers["X-Subject-Token"], f"{url}/object-store/v1/AUTH_{data['token']['project']['id']}"


# --- measurements ----------------------------------------------------------------
def timed(fn: Callable[[int], None], n: int, concurrency: int) -> dict[str, float]:
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
            "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000}


def small_put(t: Target, c: int, n: int) -> dict[str, float]:
    def put(i: int) -> None:
        status, data, _ = t.request("PUT", f"/bench-small/small-{c}-{i}", SMALL)
        assert status == 201, (status, data)
    return timed(put, n, c)


def small_get(t: Target, c: int, n: int) -> dict[str, float]:
    def get(i: int) -> None:
        status, _, got = t.request("GET", f"/bench-small/small-{c}-{i}")
        assert status == 200 and got == 4096, status
    return timed(get, n, c)


def large_put(t: Target, mb: int) -> dict[str, float]:
    block = os.urandom(1 << 20)

    def body() -> Iterator[bytes]:
        for _ in range(mb):
            yield block
    t0 = time.perf_counter()
    status, data, _ = t.request("PUT", "/bench-large/large", body(), {"Content-Length": str(mb << 20)})
    assert status == 201, (status, data)
    return {"MB_s": mb / (time.perf_counter() - t0)}


def drop_cache(root: Path) -> None:
    """Evict the (clean, fsynced) object files under root from the page cache, so a GET reads the disk."""
    for _ in range(2):    # twice: pages still on a per-CPU LRU list are dropped on the second try
        for path in root.rglob("*"):
            if path.is_file():
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
        time.sleep(0.2)


def large_get(t: Target, mb: int, cold: bool = False) -> dict[str, float]:
    if cold and t.data_dir is not None:
        drop_cache(t.data_dir)
    t0 = time.perf_counter()
    status, _, got = t.request("GET", "/bench-large/large", sink=True)
    assert status == 200 and got == mb << 20, (status, got)
    return {"MB_s": mb / (time.perf_counter() - t0)}


def fill_listing(t: Target, n: int) -> None:
    def put(i: int) -> None:
        assert t.request("PUT", f"/bench-list/obj-{i:06d}", b"x")[0] == 201
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(n)))


def json_listing(t: Target, n: int, repeat: int = 3) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        status, data, _ = t.request("GET", f"/bench-list?format=json&limit={n}")
        times.append(time.perf_counter() - t0)
        assert status == 200 and len(json.loads(data)) == n, status
    return {"ms": statistics.median(times) * 1000}


# --- table -----------------------------------------------------------------------
def run(targets: list[Target], args: argparse.Namespace) -> list[tuple[str, str, list[float]]]:
    """Rows of (measurement, unit, one value per target)."""
    for t in targets:
        for name in ("bench-small", "bench-large", "bench-list"):
            assert t.request("PUT", f"/{name}")[0] in (201, 202), name
        for c in (16, 1):   # warm up: connections, worker threads and pools of both sides
            timed(lambda i, t=t, c=c: t.request("PUT", f"/bench-small/warm-{c}-{i}", SMALL), 64, c)
            timed(lambda i, t=t, c=c: t.request("GET", f"/bench-small/warm-{c}-{i}"), 64, c)
    rows: list[tuple[str, str, list[float]]] = []

    def each(label: str, unit: str, key: str, fn: Callable[[Target], dict[str, float]],
             extra: str | None = None, rounds: int = 1) -> None:
        runs: list[list[dict[str, float]]] = [[] for _ in targets]
        for _ in range(rounds):     # targets alternate, so a burst of load hits both alike
            for t, out in zip(targets, runs):
                out.append(fn(t))
                print(f"  {label:28s} {t.name:12s} " + "  ".join(f"{k}={v:.1f}" for k, v in out[-1].items()),
                      file=sys.stderr, flush=True)
        results = [{k: statistics.median(r[k] for r in out) for k in out[0]} for out in runs]
        rows.append((label + (f" (median of {rounds})" if rounds > 1 else ""), unit, [r[key] for r in results]))
        if extra:
            rows.append((f"{label} {extra}", "ms", [r[extra + '_ms'] for r in results]))

    for c in (1, 16):
        each(f"4 KiB PUT c={c}", "req/s", "req_s", lambda t, c=c: small_put(t, c, args.requests), "p50")
        each(f"4 KiB GET c={c}", "req/s", "req_s", lambda t, c=c: small_get(t, c, args.requests), "p50")
    each(f"{args.large_mb} MiB PUT", "MB/s", "MB_s", lambda t: large_put(t, args.large_mb), rounds=args.rounds)
    each(f"{args.large_mb} MiB GET", "MB/s", "MB_s", lambda t: large_get(t, args.large_mb), rounds=args.rounds)
    each(f"{args.large_mb} MiB GET from disk", "MB/s", "MB_s", lambda t: large_get(t, args.large_mb, cold=True),
         rounds=args.rounds)
    for t in targets:
        t0 = time.perf_counter()
        fill_listing(t, args.listing)
        print(f"  filled {args.listing} objects  {t.name:12s} {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
    each(f"JSON listing {args.listing} objects", "ms", "ms", lambda t: json_listing(t, args.listing))
    return rows


def table(targets: list[Target], rows: list[tuple[str, str, list[float]]]) -> str:
    names = [t.name for t in targets]
    head = f"| measurement | unit | {' | '.join(names)} |" + (" pocketstack / swift |" if len(names) == 2 else "")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for label, unit, values in rows:
        line = f"| {label} | {unit} | " + " | ".join(f"{v:,.1f}" for v in values) + " |"
        if len(values) == 2 and values[0]:
            lower_better = unit == "ms"
            ratio = values[0] / values[1] if lower_better else values[1] / values[0]
            line += f" {ratio:.2f}x {'faster' if ratio >= 1 else 'slower'} |"
        lines.append(line)
    for label, unit, values in rows:
        if unit == "MB/s":
            limit = DISK_WRITE_MB_S if "PUT" in label else DISK_READ_MB_S
            what = "write+fsync" if "PUT" in label else "read" + ("" if "disk" in label else " (this GET is served "
                                                                   "from the page cache)")
            lines.append(f"\n{label}: " + ", ".join(f"{n} {v / limit:.0%}" for n, v in zip(names, values))
                         + f" of the disk's {limit:.0f} MB/s sequential {what}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=1000, help="small objects per measurement")
    p.add_argument("--large-mb", type=int, default=256, help="size of the large object in MiB")
    p.add_argument("--listing", type=int, default=10000, help="objects in the listed container")
    p.add_argument("--rounds", type=int, default=3, help="large-object rounds (the median is reported)")
    p.add_argument("--no-swift", action="store_true", help="measure pocketstack only")
    p.add_argument("--tmp", default=None, help="work directory (default: a new temp dir, removed at the end)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        swift = None if args.no_swift else SwiftCluster(tmp)
        proc = None
        try:
            targets = []
            if swift is not None:
                swift.start()
                targets.append(Target("swift 2.38.3", swift.storage_url, swift.token, tmp / "swift" / "srv"))
            proc, url = start_pocketstack(tmp)
            token, account_url = pocketstack_login(url)
            targets.append(Target("pocketstack", account_url, token, tmp / "data" / "blobs"))
            loads: list[float] = []
            done = threading.Event()

            def sample() -> None:
                while not done.wait(5):
                    loads.append(os.getloadavg()[0])
            threading.Thread(target=sample, daemon=True).start()
            started = time.time()
            try:
                rows = run(targets, args)
            finally:
                done.set()
            print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {time.time() - started:.0f} s; "
                  f"1-min load average during the run: mean {statistics.mean(loads or [0]):.1f}, "
                  f"max {max(loads or [0]):.1f} ({os.cpu_count()} CPUs)")
            print(table(targets, rows))
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if swift is not None:
                swift.stop()


if __name__ == "__main__":
    main()
