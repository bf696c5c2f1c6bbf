"""Compute test helpers: a Nova API client on the cloud's /compute prefix, per user, and server waiting."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import unique


class Nova:
    def __init__(self, base: str, token: str, version: str = "2.96") -> None:
        self.client = httpx.Client(base_url=base + "/compute/v2.1", timeout=60, headers={
            "X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def at(self, version: str) -> dict[str, str]:
        return {"OpenStack-API-Version": f"compute {version}"}

    def action(self, server_id: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.client.post(f"/servers/{server_id}/action", json=body, **kw)

    def show(self, server_id: str) -> dict[str, Any]:
        r = self.client.get(f"/servers/{server_id}")
        assert r.status_code == 200, r.text
        return r.json()["server"]

    def wait(self, server_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            server = self.show(server_id)
            if server["status"] == status and server["OS-EXT-STS:task_state"] is None:
                return server
            if server["status"] == "ERROR" and status != "ERROR":
                raise AssertionError(f"server went to ERROR: {server.get('fault')}")
            time.sleep(0.2)
        raise AssertionError(f"server {server_id} never reached {status}: {server['status']}")

    def wait_gone(self, server_id: str, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.client.get(f"/servers/{server_id}").status_code == 404:
                return
            time.sleep(0.2)
        raise AssertionError(f"server {server_id} was not deleted")

    def boot(self, network_id: str | None = None, **server: Any) -> dict[str, Any]:
        body = {"name": unique("srv"), "flavorRef": "1", "imageRef": IMAGE[0],
                "networks": [{"uuid": network_id}] if network_id else "none", **server}
        r = self.client.post("/servers", json={"server": body})
        assert r.status_code == 202, r.text
        return r.json()["server"]


IMAGE: list[str] = []


def wait_volume(cinder: httpx.Client, volume_id: str, status: str) -> dict[str, Any]:
    """Poll the block storage API until the volume has `status`."""
    for _ in range(300):
        vol = cinder.get(f"/volumes/{volume_id}").json()["volume"]
        if vol["status"] == status:
            return vol
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} is {vol['status']}, not {status}")


def boot_from_volume(nova: Nova, **bdm: Any) -> httpx.Response:
    """POST /servers with a 1 GiB root volume made from the test image (deleted with the server)."""
    return nova.post("/servers", json={"server": {
        "name": unique("bfv"), "flavorRef": "1", "networks": "none",
        "block_device_mapping_v2": [{"boot_index": 0, "uuid": IMAGE[0], "source_type": "image",
                                     "destination_type": "volume", "volume_size": 1,
                                     "delete_on_termination": True, **bdm}]}})


@pytest.fixture(scope="session")
def nova_admin(cloud: Any, admin_token: str) -> Nova:
    return Nova(cloud.url, admin_token)


@pytest.fixture(scope="session")
def nova_demo(cloud: Any, demo_token: str) -> Nova:
    nova = Nova(cloud.url, demo_token)
    if not IMAGE:
        r = httpx.get(cloud.url + "/image/v2/images?name=cirros-0.6.3-x86_64-disk",   # the first request of a
                      headers={"X-Auth-Token": demo_token}, timeout=60)         # service waits for its bootstrap
        IMAGE.append(r.json()["images"][0]["id"])
    return nova


@pytest.fixture(scope="module")
def server(nova_demo: Nova) -> Any:
    """An ACTIVE server of demo's, shared by a module's tests (a module may define its own instead)."""
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    yield sid
    nova_demo.delete(f"/servers/{sid}")


CONFIG_DRIVE = """
import sys, yaml
from pathlib import Path
from pocketstack import app
from pocketstack.config import Settings
from pocketstack.core import internal_client
from pocketstack.services.compute import config_drive
data_dir, db_url, config, server_id, out = sys.argv[1:]
settings = Settings(data_dir=Path(data_dir), database_url=db_url or None,
                    options=yaml.safe_load(Path(config).read_text()) or {})
app.prepare(settings, migrate=False, first_start=False)
internal_client.configure(app.build_app(settings), settings.base_url)
config_drive.build(server_id, Path(out){args})
"""


def build_config_drive(cloud: Any, server_id: str, out: Path, args: str = "") -> None:
    """The server's config drive written to `out` by config_drive.build in a process of its own on the
    cloud's database (`args`: more arguments to build, as Python source)."""
    subprocess.run([sys.executable, "-c", CONFIG_DRIVE.replace("{args}", args), str(cloud.data_dir),
                    cloud.database_url or "", str(cloud.config_file), server_id, str(out)], check=True, timeout=120)


@pytest.fixture(scope="session")
def nova_alt(cloud: Any, nova_demo: Nova) -> Nova:
    return Nova(cloud.url, cloud.token("devstack-alt"))


@pytest.fixture(scope="session")
def private_net(cloud: Any, demo_token: str) -> str:
    r = httpx.get(cloud.url + "/networking/v2.0/networks?name=private", headers={"X-Auth-Token": demo_token})
    return r.json()["networks"][0]["id"]
