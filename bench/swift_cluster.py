"""A real one-node Swift 2.38.3 for side-by-side benchmarks, built from PyPI on demand.

    with SwiftCluster(Path(tmp)) as swift:
        swift.storage_url, swift.token        # tempauth's account URL and token for test:tester

swift==2.38.3 is installed into a cached venv (~/.cache/pocketstack/swift-2.38.3); nothing of Swift is
kept in this repository. The cluster is what a small production node runs: one replica, rings built
with swift-ring-builder over one device directory (the filesystem must take user xattrs),
mount_check off, proxy/account/container/object servers with 2 workers each, memcached, tempauth
and the proxy pipeline of Swift's proxy-server.conf-sample. Every process is stopped on exit.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

VERSION = "2.38.3"
VENV = Path.home() / ".cache" / "pocketstack" / f"swift-{VERSION}"
USER, KEY = "test:tester", "testing"
WORKERS = 2

PIPELINE = ("catch_errors gatekeeper healthcheck proxy-logging cache listing_formats container_sync bulk "
            "tempurl ratelimit tempauth copy container-quotas account-quotas slo dlo versioned_writes symlink "
            "proxy-logging proxy-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def install() -> Path:
    """The venv's bin directory, installing swift==VERSION into it the first time."""
    bin_dir = VENV / "bin"
    if not (bin_dir / "swift-proxy-server").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"swift=={VERSION}"], check=True)
    return bin_dir


def xattr_ok(directory: Path) -> bool:
    probe = directory / ".xattr-probe"
    probe.touch()
    try:
        os.setxattr(probe, "user.swift.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        probe.unlink()


def server_conf(swift_dir: Path, port: int, kind: str, extra: str = "") -> str:
    return f"""[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = {WORKERS}
user = {getpass.getuser()}
swift_dir = {swift_dir}
devices = {swift_dir / 'srv'}
mount_check = false
log_level = WARNING
{extra}
[pipeline:main]
pipeline = healthcheck recon {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:recon]
use = egg:swift#recon
recon_cache_path = {swift_dir / 'recon'}
"""


def proxy_conf(swift_dir: Path, port: int, memcached: int) -> str:
    filters = {
        "catch_errors": "", "gatekeeper": "", "healthcheck": "", "proxy-logging": "", "listing_formats": "",
        "container_sync": "", "bulk": "", "tempurl": "", "ratelimit": "", "copy": "", "container-quotas": "",
        "account-quotas": "", "slo": "", "dlo": "", "symlink": "",
        "cache": f"memcache_servers = 127.0.0.1:{memcached}\n",
        "versioned_writes": "allow_versioned_writes = true\n",
        "tempauth": f"user_test_tester = {KEY} .admin\n",
    }
    entry = {"cache": "memcache"}
    sections = "".join(f"\n[filter:{name}]\nuse = egg:swift#{entry.get(name, name.replace('-', '_'))}\n{extra}"
                       for name, extra in filters.items())
    return f"""[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = {WORKERS}
user = {getpass.getuser()}
swift_dir = {swift_dir}
log_level = WARNING

[pipeline:main]
pipeline = {PIPELINE}

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
{sections}"""


class SwiftCluster:
    def __init__(self, root: Path, bin_dir: Path | None = None) -> None:
        self.root = root
        self.bin = bin_dir or install()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.storage_url = ""
        self.token = ""
        self.proxy_url = ""

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, stdout=subprocess.DEVNULL)

    def _spawn(self, argv: list[str], log: str) -> None:
        self.procs.append(subprocess.Popen(argv, stdout=open(self.root / log, "ab"), stderr=subprocess.STDOUT,
                                           start_new_session=True))

    def start(self) -> SwiftCluster:
        swift_dir = self.root / "swift"
        (swift_dir / "srv" / "d1").mkdir(parents=True)
        (swift_dir / "recon").mkdir()
        if not xattr_ok(swift_dir / "srv" / "d1"):
            raise RuntimeError(f"{self.root} does not support user xattrs; Swift's object server needs them")
        (swift_dir / "swift.conf").write_text(
            "[swift-hash]\nswift_hash_path_suffix = bench\nswift_hash_path_prefix = bench\n\n"
            "[storage-policy:0]\nname = gold\ndefault = yes\n")
        ports = {kind: free_port() for kind in ("account", "container", "object", "proxy", "memcached")}
        for kind in ("account", "container", "object"):
            builder = str(swift_dir / f"{kind}.builder")
            self._run("swift-ring-builder", builder, "create", "10", "1", "1")
            self._run("swift-ring-builder", builder, "add", f"r1z1-127.0.0.1:{ports[kind]}/d1", "100")
            self._run("swift-ring-builder", builder, "rebalance")
            (swift_dir / f"{kind}-server.conf").write_text(server_conf(swift_dir, ports[kind], kind))
        (swift_dir / "proxy-server.conf").write_text(proxy_conf(swift_dir, ports["proxy"], ports["memcached"]))
        memcached = shutil.which("memcached")
        if memcached is None:
            raise RuntimeError("memcached is needed by tempauth (apt-get install memcached)")
        self._spawn([memcached, "-l", "127.0.0.1", "-p", str(ports["memcached"]), "-U", "0", "-m", "64",
                     *(["-u", getpass.getuser()] if os.geteuid() == 0 else [])],
                    "memcached.log")
        for kind in ("account", "container", "object", "proxy"):
            self._spawn([str(self.bin / f"swift-{kind}-server"), str(swift_dir / f"{kind}-server.conf")],
                        f"{kind}.log")
        self.proxy_url = f"http://127.0.0.1:{ports['proxy']}"
        for kind in ("account", "container", "object", "proxy"):
            self._wait(f"http://127.0.0.1:{ports[kind]}/healthcheck", kind)
        req = urllib.request.Request(self.proxy_url + "/auth/v1.0", headers={"X-Auth-User": USER, "X-Auth-Key": KEY})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.storage_url = resp.headers["X-Storage-Url"]
            self.token = resp.headers["X-Auth-Token"]
        return self

    def _wait(self, url: str, kind: str) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"swift {kind} server did not start; see {self.root / (kind + '.log')}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def __enter__(self) -> SwiftCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
