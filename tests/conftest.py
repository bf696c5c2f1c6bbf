"""Test fixtures: a real pocketstack server per session, and real clients pointed at it.

The server runs as `pocketstack serve` in a subprocess on a free port with a fresh data dir, so
tests go through HTTP exactly as openstacksdk, keystoneauth and the `openstack` CLI do against
any cloud. POCKETSTACK_TEST_DATABASE_URL=postgresql://... runs the whole suite on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ADMIN_PASSWORD = "pocketstack-test-admin"
TEST_CONFIG = {
    "identity": {
        "password_hash_rounds": 4,
        "security_compliance": {"lockout_failure_attempts": 2, "lockout_duration": 5,
                                "unique_last_password_count": 2, "minimum_password_age": 0},
    },
    # one cloud serves the whole session: the demo project's security groups (stacks, dashboard
    # and network tests all make some) would pass neutron's default of 10, and so would its RBAC policies
    "network": {"quotas": {"quota_security_group": 100, "quota_security_group_rule": 1000,
                           "quota_rbac_policy": 100}},
    # nova's [quota] instances/cores/ram: the session's many compute tests boot demo's servers at once
    "compute": {"quotas": {"instances": 40, "cores": 80, "ram": 204800}},
}


FULL = os.environ.get("POCKETSTACK_FULL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `full` (the longer real-guest and Ceph flows) run with POCKETSTACK_FULL=1
    (`scripts/test-full`); the README's test command and CI run the rest of those sets."""
    if FULL:
        return
    skip = pytest.mark.skip(reason="in the full real-guest and Ceph set: scripts/test-full (POCKETSTACK_FULL=1)")
    for item in items:
        if item.get_closest_marker("full"):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_postgres(url: str) -> str:
    """A new empty database on the given server, so each session starts clean."""
    import sqlalchemy as sa
    from pocketstack.core.db import normalize_url
    name = "pocketstack_test_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres(url: str) -> None:
    import sqlalchemy as sa
    from pocketstack.core.db import normalize_url
    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(normalize_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    engine.dispose()


@dataclass
class Cloud:
    url: str
    data_dir: Path
    clouds_yaml: Path
    process: subprocess.Popen[bytes]
    database_url: str | None
    config_file: Path
    object_store_url: str | None = None     # the object store's own listener (Swift's 8080 on DevStack)

    def clouds(self) -> dict[str, Any]:
        return yaml.safe_load(self.clouds_yaml.read_text())["clouds"]

    def token(self, cloud: str = "pocketstack-admin") -> str:
        auth = self.clouds()[cloud]["auth"]
        scope: dict[str, Any] = ({"system": {"all": True}} if auth.get("system_scope") else
                                 {"project": {"name": auth["project_name"], "domain": {"id": "default"}}})
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "domain": {"id": "default"}, "password": auth["password"]}}},
            "scope": scope}}
        r = httpx.post(f"{self.url}/identity/v3/auth/tokens", json=body)
        r.raise_for_status()
        return r.headers["X-Subject-Token"]


def start_cloud(tmp: Path, database_url: str | None = None, port: int | None = None,
                options: dict[str, Any] | None = None, object_store_port: int | None = None,
                extra_args: list[str] | None = None, tls: tuple[Path, Path] | None = None,
                timeout: float = 60) -> Cloud:
    """`options`: more config sections for this cloud (e.g. a small `compute:` capacity); `timeout`:
    seconds it may take to answer.
    `object_store_port`: the object store's own listener; a free port unless given (0: none). Never
    the default 8080: other clouds on this machine may hold it. `extra_args`: more `serve` options;
    `tls`: (certificate, key) to serve HTTPS with."""
    port = port or free_port()
    if object_store_port is None:
        object_store_port = free_port()
    config = tmp / "pocketstack.yaml"
    config.write_text(yaml.safe_dump({**TEST_CONFIG, **(options or {})}))
    cmd = [sys.executable, "-m", "pocketstack", "serve", "--port", str(port), "--data-dir", str(tmp / "data"),
           "--admin-password", ADMIN_PASSWORD, "--config", str(config), "--log-requests",
           "--object-store-port", str(object_store_port)]
    if database_url:
        cmd += ["--database-url", database_url]
    if tls:
        cmd += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    cmd += extra_args or []
    log = open(tmp / "server.log", "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    scheme, verify = ("https", ssl.create_default_context(cafile=str(tls[0]))) if tls else ("http", True)
    url = f"{scheme}://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("pocketstack exited:\n" + (tmp / "server.log").read_text()[-3000:])
        try:
            if httpx.get(url + "/healthcheck", timeout=1, verify=verify).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("pocketstack did not become healthy:\n" + (tmp / "server.log").read_text()[-3000:])
    return Cloud(url, tmp / "data", tmp / "data" / "clouds.yaml", proc, database_url, config,
                 f"{scheme}://127.0.0.1:{object_store_port}" if object_store_port else None)


def stop_cloud(cloud: Cloud) -> None:
    cloud.process.send_signal(signal.SIGTERM)
    try:
        cloud.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        cloud.process.kill()


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("cloud")
    db_url = os.environ.get("POCKETSTACK_TEST_DATABASE_URL")
    running = start_cloud(tmp, _fresh_postgres(db_url) if db_url else None)
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(running.clouds_yaml)
    yield running
    stop_cloud(running)
    if running.database_url:
        _drop_postgres(running.database_url)
    passwords = {c["auth"]["password"] for c in running.clouds().values()}
    leaked = [line for line in (tmp / "server.log").read_text(errors="replace").splitlines()
              if any(p in line for p in passwords)]
    assert not leaked, f"a password of clouds.yaml in the session's server log: {leaked[:3]}"


@pytest.fixture(scope="session")
def admin(cloud: Cloud) -> Any:
    """openstacksdk connection as admin (project admin)."""
    import openstack
    return openstack.connect(cloud="pocketstack-admin")


@pytest.fixture(scope="session")
def demo(cloud: Cloud) -> Any:
    """openstacksdk connection as demo (member of demo)."""
    import openstack
    return openstack.connect(cloud="pocketstack")


@pytest.fixture(scope="session")
def alt(cloud: Cloud) -> Any:
    import openstack
    return openstack.connect(cloud="devstack-alt")


@pytest.fixture(scope="session")
def admin_token(cloud: Cloud) -> str:
    return cloud.token("pocketstack-admin")


@pytest.fixture(scope="session")
def demo_token(cloud: Cloud) -> str:
    return cloud.token("pocketstack")


@pytest.fixture()
def http(cloud: Cloud) -> Any:
    """A plain httpx client on the cloud's base URL, for status codes and raw bodies."""
    with httpx.Client(base_url=cloud.url, timeout=30) as client:
        yield client


class CLI:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.exe = shutil.which("openstack", path=str(Path(sys.executable).parent)) or "openstack"

    def __call__(self, *args: str, os_cloud: str = "pocketstack-admin", check: bool = True) -> Any:
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(self.cloud.clouds_yaml)}
        cmd = [self.exe, "--os-cloud", os_cloud, *args]
        wants_json = "-f" not in args and args and args[-1] not in ("delete",)
        proc = subprocess.run(cmd + (["-f", "json"] if wants_json and _formattable(args) else []),
                              capture_output=True, text=True, env=env, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        if proc.returncode == 0 and proc.stdout.strip().startswith(("{", "[")):
            return json.loads(proc.stdout)
        return proc


def _formattable(args: tuple[str, ...]) -> bool:
    verbs = {"list", "show", "create", "issue", "set"} - {"set"}
    return any(a in verbs for a in args[:3])


@pytest.fixture(scope="session")
def cli(cloud: Cloud) -> CLI:
    """Runs the real `openstack` CLI against the cloud; returns parsed JSON when there is output."""
    return CLI(cloud)


def wait_until(get: Any, done: Any, timeout: float = 60) -> Any:
    """Poll `get()` until `done(result)`; the last result, or AssertionError after `timeout` s."""
    deadline = time.time() + timeout
    while True:
        result = get()
        if done(result):
            return result
        if time.time() > deadline:
            raise AssertionError(f"not done in {timeout}s: {result}")
        time.sleep(0.3)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """A failed test gets the server's thread stacks and log tail: a hang or a 500 explains itself."""
    outcome = yield
    report = outcome.get_result()
    running = item.funcargs.get("cloud") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(running, Cloud) and running.process.poll() is None:
        running.process.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        log = (running.data_dir.parent / "server.log").read_text(errors="replace").splitlines()
        report.sections.append(("pocketstack server log (tail)", "\n".join(log[-150:])))
