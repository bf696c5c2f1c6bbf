"""A second cloud with `--dataplane linux` and a cloud name of its own (so its namespaces collide with nothing
else), a recorder standing in for compute's metadata endpoint, and, when the session ends, the check that
`pocketstack dataplane cleanup` leaves no namespace, device, dnsmasq or rule of ours behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud, free_port, start_cloud, stop_cloud
from tests.dataplane.machines import Machine, run

SECRET = "dataplane-test-secret"


def missing() -> str | None:
    """Why the linux dataplane tests cannot run here (they need what `serve --dataplane linux` needs)."""
    from pocketstack.services.network.dataplane import requirements_error
    if reason := requirements_error("linux"):
        return f"linux dataplane tests skipped: {reason}"
    if not shutil.which("ping"):
        return "linux dataplane tests skipped: they need ping (Debian: iputils-ping)"
    probe = f"ps-probe{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "linux dataplane tests skipped: `ip netns add` does not work here"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


class Recorder(BaseHTTPRequestHandler):
    """Stands in for compute's metadata endpoint: records the headers the proxy sends."""
    seen: list[dict[str, Any]] = []

    def do_GET(self) -> None:  # noqa: N802
        Recorder.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = json.dumps({"uuid": self.headers.get("X-Instance-ID")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def metadata_upstream() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.seen
    server.shutdown()


@pytest.fixture(scope="session")
def dp_cloud(tmp_path_factory: pytest.TempPathFactory, metadata_upstream: Any) -> Any:
    reason = missing()
    if reason:
        pytest.skip(reason)
    name = "t" + uuid.uuid4().hex[:6]
    tmp = tmp_path_factory.mktemp("dpcloud")
    running = start_cloud(tmp, options={"network": {
        "dataplane": "linux", "cloud_name": name,
        "metadata": {"url": metadata_upstream[0], "shared_secret": SECRET}}})
    running.cloud_name = name  # type: ignore[attr-defined]
    try:
        wait_ready(running)
        yield running
    finally:
        stop_cloud(running)
        out = run(sys.executable, "-m", "pocketstack", "dataplane", "cleanup", "--cloud-name", name)
        leftovers = leftovers_of(name)
        assert not leftovers, f"left behind after cleanup ({out.stdout}): {leftovers}"


def leftovers_of(name: str) -> list[str]:
    prefix = f"ps-{name}-"
    out = [f"netns {ns}" for ns in run("ip", "netns", "list").stdout.split() if ns.startswith(prefix)]
    out += [f"link {line}" for line in run("ip", "-br", "link").stdout.splitlines() if line.startswith(f"ps-{name}-ex")]
    out += [f"process {line}" for line in run("ps", "-eo", "pid,args").stdout.splitlines()
            if f"/run/pocketstack/{name}/" in line]
    if Path(f"/run/pocketstack/{name}").exists():
        out.append(f"dir /run/pocketstack/{name}")
    return out


def wait_ready(cloud: Cloud) -> None:
    token = cloud.token("pocketstack-admin")
    deadline = time.time() + 30
    while time.time() < deadline:
        agents = httpx.get(f"{cloud.url}/networking/v2.0/agents", headers={"X-Auth-Token": token}).json()["agents"]
        if agents and all(a["alive"] for a in agents):
            return
        time.sleep(0.2)
    raise AssertionError(f"dataplane agents not alive: {agents}")


@pytest.fixture(scope="session")
def machines(dp_cloud: Any) -> Any:
    made: list[Machine] = []

    def make(name: str) -> Machine:
        m = Machine(dp_cloud.cloud_name, name)
        made.append(m)
        return m
    yield make
    for m in made:
        m.remove()
