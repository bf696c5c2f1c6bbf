#!/usr/bin/env python3
"""Cold start benchmark: process start to the first token issued, and to the first server ACTIVE.

    .venv/bin/python bench/startup.py [--runs 5] [--hash-rounds N] [--no-server] [--importtime]
                                      [--no-warm-up] [--baseline OTHER_CHECKOUT/src]
                                      [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Each run starts `pocketstack serve` on a free port with a fresh temporary data dir (first start:
migrations and bootstrap), issues a token as soon as the port answers (POST
/identity/v3/auth/tokens polled until 201), then boots a server with the fake compute driver and
waits for ACTIVE; then stops it and starts it again on the same data dir (restart) and times the
first token the same way. Prints the median of the runs for each figure, the CPU time the server
had used when it issued the first token (what the start costs on a quiet machine), and the load
average of the machine along the runs. `--importtime` adds the top offenders of
`python -X importtime -c 'import pocketstack.app'`. `--postgres URL` runs each cloud on a fresh
database made on that server for the run (dropped after it) instead of SQLite.

The defaults are the cloud's own (bcrypt cost 12 for passwords); `--hash-rounds 4` is what the
pytest plugin uses. The services a request has not needed yet load in the background once the first
requests are answered, or 5 s after the start: on a machine so busy that the first token takes longer,
that loading counts in "CPU at token"; `--no-warm-up` (`startup: {warm_up: false}`) leaves it out, so
the figure is the start's own cost (use with --no-server, or the first server pays for compute's load). The package's byte code is compiled first and the server runs without
PYTHONDONTWRITEBYTECODE, as an installed package does (pip compiles on install): compiling some
1,300 modules from source would add over a second to every start.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-admin-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth_body(user: str = "demo", project: str = "demo") -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}


class Server:
    """One `pocketstack serve`, timed from just before its process starts."""

    def __init__(self, data_dir: Path, config: Path | None, source: Path | None = None,
                 ports: tuple[int, int] | None = None, database_url: str | None = None) -> None:
        self.port, self.object_store_port = ports or (free_port(), free_port())
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / "server.log"
        cmd = [str(ROOT / ".venv/bin/pocketstack"), "serve", "--port", str(self.port),
               "--data-dir", str(data_dir), "--admin-password", PASSWORD,
               "--object-store-port", str(self.object_store_port), "--log-level", "warning"]
        if config is not None:
            cmd += ["--config", str(config)]
        if database_url:
            cmd += ["--database-url", database_url]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if source is not None:
            env["PYTHONPATH"] = str(source)         # another tree's pocketstack, for --baseline
        with open(self.log, "ab") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used so far (/proc): what the start costs
        apart from waiting for a CPU, so a busy machine's figure can be read for a quiet one."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def first_token(self, timeout: float = 120) -> tuple[float, str]:
        """Seconds from process start to the first 201 of a token request, and the token."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                r = self.client.post("/identity/v3/auth/tokens", json=auth_body())
            except httpx.TransportError:
                time.sleep(0.01)
                continue
            if r.status_code == 201:
                return time.perf_counter() - self.started, r.headers["x-subject-token"]
            time.sleep(0.01)       # up, but not ready yet (503 while starting)
        raise RuntimeError("no token within the timeout")

    def first_active(self, token: str, timeout: float = 120) -> float:
        """POST /servers with DevStack's cirros image, m1.tiny and the demo project's network, then
        GET it until ACTIVE: seconds from process start."""
        h = {"X-Auth-Token": token}
        image = self.client.get("/image/v2/images", headers=h, params={"name": "cirros-0.6.3-x86_64-disk"})
        image_id = image.json()["images"][0]["id"]
        body = {"server": {"name": "bench", "imageRef": image_id, "flavorRef": "1", "networks": "auto"}}
        r = self.client.post("/compute/v2.1/servers", headers={**h, "OpenStack-API-Version": "compute 2.37"},
                             json=body)
        if r.status_code != 202:
            raise RuntimeError(f"POST /servers: {r.status_code} {r.text[:500]}")
        server_id = r.json()["server"]["id"]
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            r = self.client.get(f"/compute/v2.1/servers/{server_id}", headers=h)
            status = r.json()["server"]["status"]
            if status == "ACTIVE":
                return time.perf_counter() - self.started
            if status == "ERROR":
                raise RuntimeError("the server went to ERROR")
            time.sleep(0.02)
        raise RuntimeError("no ACTIVE server within the timeout")

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def one_run(config: Path | None, servers: bool, source: Path | None = None,
            postgres: str | None = None) -> dict[str, float]:
    out: dict[str, float] = {}
    database = fresh_postgres(postgres) if postgres else None
    try:
        with tempfile.TemporaryDirectory(prefix="ps-startup-") as tmp:
            data = Path(tmp) / "data"
            first = Server(data, config, source, database_url=database)
            measure(first, "first start", servers, out)
            again = Server(data, config, source, (first.port, first.object_store_port), database)  # a restart
            measure(again, "restart", servers, out)
    finally:
        if database:
            postgres_admin(database, f"DROP DATABASE IF EXISTS {database.rsplit('/', 1)[1]} WITH (FORCE)")
    return out


def postgres_admin(url: str, statement: str) -> None:
    import sqlalchemy as sa

    from pocketstack.core.db import normalize_url
    engine = sa.create_engine(normalize_url(url.rsplit("/", 1)[0] + "/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def fresh_postgres(url: str) -> str:
    name = f"ps_startup_{os.getpid()}_{time.monotonic_ns()}"
    postgres_admin(url, f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def measure(server: Server, label: str, servers: bool, out: dict[str, float]) -> None:
    try:
        out[f"{label}: token"], token = server.first_token()
        out[f"{label}: CPU at token"] = server.cpu_seconds()
        if servers:
            out[f"{label}: server ACTIVE"] = server.first_active(token)
    finally:
        server.stop()


def figures(run: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in run.items())


def importtime(top: int = 15) -> None:
    """`python -X importtime -c 'import pocketstack.app'`: the whole, and the modules costing most."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    err = subprocess.run([str(ROOT / ".venv/bin/python"), "-X", "importtime", "-c", "import pocketstack.app"],
                         capture_output=True, text=True, check=True, env=env).stderr
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    total = sum(r[0] for r in rows)
    print(f"\nimport pocketstack.app: {total / 1e6:.2f} s of imports ({len(rows)} modules)")
    print(f"  top {top} by own time (s):")
    for own, cumulative, _, name in sorted(rows, reverse=True)[:top]:
        print(f"    {own / 1e6:6.3f}  (cumulative {cumulative / 1e6:6.3f})  {name}")
    tops: dict[str, int] = {}
    for own, _, _, name in rows:
        tops[name.split(".")[0]] = tops.get(name.split(".")[0], 0) + own
    print(f"  top {top} packages by own time of all their modules (s):")
    for name, us in sorted(tops.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {us / 1e6:6.3f}  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--hash-rounds", type=int, default=None,
                    help="identity.password_hash_rounds (default: the cloud's own, 12)")
    ap.add_argument("--no-server", action="store_true", help="skip the time to the first server ACTIVE")
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    ap.add_argument("--no-warm-up", action="store_true",
                    help="startup: {warm_up: false}: no background loading of the services (see above)")
    ap.add_argument("--postgres", default=None, help="a PostgreSQL server URL: each run on a fresh database there")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="the src/ dir of another checkout (e.g. `git archive main`): each run starts it "
                         "too, just before this tree, and both medians are printed (fair under a varying "
                         "load)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))     # stop the servers on the way out
    import pocketstack
    package = Path(pocketstack.__file__).parent
    print(f"pocketstack from {package}" + (f", baseline from {args.baseline}" if args.baseline else ""))
    for tree in (package, args.baseline):
        if tree is not None:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True,
                           stdout=subprocess.DEVNULL)
    load_before = os.getloadavg()
    results: list[dict[str, float]] = []
    baseline: list[dict[str, float]] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ps-startup-cfg-") as cfg_dir:
        config = None
        lines = ([f"identity:\n  password_hash_rounds: {args.hash_rounds}\n"] if args.hash_rounds is not None else []) + \
            (["startup:\n  warm_up: false\n"] if args.no_warm_up else [])
        if lines:
            config = Path(cfg_dir) / "pocketstack.yaml"
            config.write_text("".join(lines))
        for i in range(args.runs):
            if args.baseline:
                baseline.append(one_run(config, not args.no_server, args.baseline, args.postgres))
                print(f"run {i + 1} baseline: " + figures(baseline[-1]), flush=True)
            results.append(one_run(config, not args.no_server, postgres=args.postgres))
            print(f"run {i + 1}: " + figures(results[-1]), flush=True)
            loads.append(os.getloadavg()[0])
    load_after = os.getloadavg()
    print(f"\nmedian of {args.runs} (seconds from process start):")
    for label, runs in (("baseline", baseline), ("this tree", results)):
        if not runs:
            continue
        if baseline:
            print(f" {label}:")
        for key in runs[0]:
            values = [r[key] for r in runs]
            print(f"  {key:28} {statistics.median(values):6.2f}   "
                  f"(min {min(values):.2f}, max {max(values):.2f})")
    print(f"load average (1 min): {load_before[0]:.2f} before, {statistics.mean(loads):.2f} on average after "
          f"each run (max {max(loads):.2f}), {load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    if args.importtime:
        importtime()
    return 0


if __name__ == "__main__":
    sys.exit(main())
