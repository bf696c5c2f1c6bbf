#!/usr/bin/env python3
"""Identity benchmark, pocketstack and real Keystone side by side in one run.

    python3 bench/identity.py [--requests 200] [--skip-keystone] [--bcrypt-rounds 12]

Measures token issue (POST /v3/auth/tokens), token validation (GET /v3/auth/tokens with
X-Subject-Token) and project listing with 100 projects, at concurrency 1 and 8: requests/s and
p50/p99 latency. Real Keystone 30.0.0 is installed from PyPI into ~/.cache/pocketstack/keystone-30
and run as the issue describes: SQLite, Fernet tokens, bcrypt at the same cost, gunicorn with
2 sync workers. pocketstack runs with one worker on SQLite at the same bcrypt cost.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
KS_VENV = Path.home() / ".cache" / "pocketstack" / "keystone-30"
PASSWORD = "bench-admin-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not up")


def start_pocketstack(tmp: Path, rounds: int) -> tuple[str, subprocess.Popen]:
    port = free_port()
    cfg = tmp / "ps.yaml"
    cfg.write_text(f"identity:\n  password_hash_rounds: {rounds}\n")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/pocketstack"), "serve", "--port", str(port), "--data-dir",
                             str(tmp / "ps"), "--admin-password", PASSWORD, "--config", str(cfg),
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url + "/healthcheck", proc)
    return url + "/identity", proc


def ensure_keystone() -> Path:
    if not (KS_VENV / "bin" / "keystone-manage").exists() or not (KS_VENV / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(KS_VENV)], check=True)
        subprocess.run([str(KS_VENV / "bin/pip"), "install", "-q", "keystone==30.0.0", "gunicorn"], check=True)
    return KS_VENV


def start_keystone(tmp: Path, rounds: int) -> tuple[str, subprocess.Popen]:
    venv = ensure_keystone()
    port = free_port()
    conf = tmp / "keystone.conf"
    (tmp / "fernet").mkdir()
    (tmp / "cred").mkdir()
    conf.write_text(textwrap.dedent(f"""
        [DEFAULT]
        log_file = {tmp}/keystone.log
        [database]
        connection = sqlite:///{tmp}/keystone.db
        [token]
        provider = fernet
        [fernet_tokens]
        key_repository = {tmp}/fernet
        [credential]
        key_repository = {tmp}/cred
        [identity]
        password_hash_algorithm = bcrypt
        password_hash_rounds = {rounds}
    """))
    env = {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(conf)}
    manage = [str(venv / "bin/keystone-manage"), "--config-file", str(conf)]
    subprocess.run(manage + ["db_sync"], check=True, env=env, capture_output=True)
    subprocess.run(manage + ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"], check=True,
                   env=env, capture_output=True)
    subprocess.run(manage + ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
                   check=True, env=env, capture_output=True)
    url = f"http://127.0.0.1:{port}"
    subprocess.run(manage + ["bootstrap", "--bootstrap-password", PASSWORD, "--bootstrap-public-url", url],
                   check=True, env=env, capture_output=True)
    # keystone parses sys.argv with oslo.config: hand it an empty command line
    (tmp / "ks_app.py").write_text("import sys\nsys.argv = sys.argv[:1]\n"
                                   "from keystone.server.wsgi import initialize_public_application\n"
                                   "application = initialize_public_application()\n")
    proc = subprocess.Popen([str(venv / "bin/gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
                             "--chdir", str(tmp), "ks_app:application"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_healthy(url + "/v3", proc)
    return url, proc


def auth_body() -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}


def measure(fn, total: int, concurrency: int) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        t0 = time.perf_counter()
        fn()
        with lock:
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"rps": round(total / elapsed, 1), "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1)}


def run_suite(base: str, n: int) -> dict:
    client = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=16))
    r = client.post(f"{base}/v3/auth/tokens", json=auth_body())
    r.raise_for_status()
    token = r.headers["X-Subject-Token"]
    h = {"X-Auth-Token": token}
    for i in range(100):
        client.post(f"{base}/v3/projects", headers=h, json={"project": {"name": f"bench-{i}"}})

    def issue() -> None:
        client.post(f"{base}/v3/auth/tokens", json=auth_body()).raise_for_status()

    def validate() -> None:
        client.get(f"{base}/v3/auth/tokens", headers={**h, "X-Subject-Token": token}).raise_for_status()

    def list_projects() -> None:
        client.get(f"{base}/v3/projects", headers=h).raise_for_status()

    out = {}
    for name, fn, count in (("token issue", issue, max(n // 10, 16)), ("token validation", validate, n),
                            ("project list (100)", list_projects, n)):
        for c in (1, 8):
            out[f"{name} c={c}"] = measure(fn, count, c)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--bcrypt-rounds", type=int, default=12)
    ap.add_argument("--skip-keystone", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        systems = [("pocketstack", start_pocketstack)] + ([] if args.skip_keystone else [("keystone", start_keystone)])
        for name, start in systems:
            d = Path(tmp) / name
            d.mkdir()
            base, proc = start(d, args.bcrypt_rounds)
            try:
                results[name] = run_suite(base, args.requests)
            finally:
                os.killpg(proc.pid, signal.SIGTERM) if name == "keystone" else proc.terminate()
                proc.wait(timeout=30)
    print(f"{'operation':28} " + " ".join(f"{s:>26}" for s in results) + ("      ratio" if len(results) == 2 else ""))
    for op in results["pocketstack"]:
        cells = [results[s][op] for s in results]
        row = " ".join(f"{c['rps']:>8} req/s p50 {c['p50_ms']:>6} ms" for c in cells)
        ratio = f"  x{cells[0]['rps'] / cells[1]['rps']:.1f}" if len(cells) == 2 else ""
        print(f"{op:28} {row}{ratio}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
