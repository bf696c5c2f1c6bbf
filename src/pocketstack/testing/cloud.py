"""A throwaway pocketstack: `python -m pocketstack serve` on a free port with a temporary data dir
(SQLite), started with --allow-reset so that `reset()` puts it back to its first start between tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ADMIN_PASSWORD = "pocketstack-admin-password"
DEFAULT_CONFIG: dict[str, Any] = {"identity": {"password_hash_rounds": 4}}   # fast logins; tests need no bcrypt cost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PocketstackCloud:
    """A running cloud: `.url`, `.clouds_yaml` (clouds `pocketstack`, `pocketstack-admin`, `devstack`,
    `devstack-alt`, `devstack-admin`, `devstack-system-admin`), `.connection()`, `.admin_connection()`."""

    def __init__(self, directory: Path, *, config: dict[str, Any] | None = None,
                 database_url: str | None = None, extra_args: tuple[str, ...] = (), timeout: float = 90) -> None:
        self.directory = directory
        self.data_dir = directory / "data"
        self.clouds_yaml = self.data_dir / "clouds.yaml"
        self.log_file = directory / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._connections: dict[str, Any] = {}
        self._admin_token: str | None = None
        config_file = directory / "pocketstack.yaml"
        config_file.write_text(yaml.safe_dump({**DEFAULT_CONFIG, **(config or {})}))
        cmd = [sys.executable, "-m", "pocketstack", "serve", "--port", str(self.port), "--data-dir",
               str(self.data_dir), "--admin-password", ADMIN_PASSWORD, "--config", str(config_file),
               "--allow-reset", *extra_args]
        if database_url:
            cmd += ["--database-url", database_url]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        self._wait_healthy(timeout)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pocketstack exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/healthcheck", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pocketstack did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # --- clients -----------------------------------------------------------------------------
    def clouds(self) -> dict[str, Any]:
        return dict(yaml.safe_load(self.clouds_yaml.read_text())["clouds"])

    def connection(self, cloud: str = "pocketstack") -> Any:
        """An openstack.connection.Connection for a clouds.yaml entry (default: demo in project demo);
        one per entry, reused (its token outlives a reset)."""
        if cloud not in self._connections:
            import openstack.config
            import openstack.connection
            # only this cloud's clouds.yaml: $OS_CLIENT_CONFIG_FILE, $OS_CLOUD and secure.yaml of the
            # user's environment would otherwise take precedence
            config = openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)], secure_files=[],
                                                      vendor_files=[], load_envvars=False)
            region = config.get_one(cloud=cloud)
            self._connections[cloud] = openstack.connection.Connection(config=region)
        return self._connections[cloud]

    def admin_connection(self) -> Any:
        return self.connection("pocketstack-admin")

    def token(self, cloud: str = "pocketstack-admin") -> str:
        auth = self.clouds()[cloud]["auth"]
        scope: dict[str, Any] = ({"system": {"all": True}} if auth.get("system_scope") else
                                 {"project": {"name": auth["project_name"], "domain": {"id": "default"}}})
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "domain": {"id": "default"}, "password": auth["password"]}}}, "scope": scope}}
        r = httpx.post(f"{self.url}/identity/v3/auth/tokens", json=body, timeout=30)
        r.raise_for_status()
        return r.headers["X-Subject-Token"]

    def control(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A call to the admin-only control API (/pocketstack/v1/...) with an admin token."""
        if self._admin_token is None:
            self._admin_token = self.token()
        r = httpx.request(method, f"{self.url}/pocketstack/v1{path}", headers={"X-Auth-Token": self._admin_token},
                          timeout=60, **kw)
        r.raise_for_status()
        return r

    # --- state -------------------------------------------------------------------------------
    def reset(self) -> float:
        """Back to the cloud of the first start (database, bytes, faults); returns the server's seconds."""
        return float(self.control("POST", "/reset").json()["reset"]["seconds"])

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        """`add_fault(service="compute", method="GET", path="/compute/v2.1/servers*", status=503, count=1)`."""
        return dict(self.control("POST", "/faults", json={"fault": spec}).json()["fault"])

    def clear_faults(self) -> int:
        return int(self.control("DELETE", "/faults").json()["removed"])

    def stop(self) -> None:
        for conn in self._connections.values():
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing clients must not hide the test's outcome
                pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
