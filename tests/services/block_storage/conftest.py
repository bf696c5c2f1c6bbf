"""Block Storage test helpers: a Cinder v3 client per user, waits, and the backing files on disk."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import unique

GiB = 1 << 30


class Cinder:
    def __init__(self, base: str, token: str, project_id: str, version: str = "3.70") -> None:
        self.project_id = project_id
        self.client = httpx.Client(base_url=f"{base}/volume/v3/{project_id}", timeout=60,
                                   headers={"X-Auth-Token": token, "OpenStack-API-Version": f"volume {version}"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def at(self, version: str) -> dict[str, str]:
        return {"OpenStack-API-Version": f"volume {version}"}

    def action(self, kind: str, item_id: str, body: dict[str, Any], version: str | None = None) -> httpx.Response:
        return self.client.post(f"/{kind}/{item_id}/action", json=body, headers=self.at(version) if version else None)

    def create(self, kind: str, **body: Any) -> dict[str, Any]:
        r = self.client.post(f"/{kind}s", json={kind: body})
        assert r.status_code == 202, r.text
        return r.json()[kind]

    def wait(self, kind: str, item_id: str, status: str = "available", timeout: float = 60) -> dict[str, Any]:
        deadline = time.time() + timeout
        while True:
            r = self.client.get(f"/{kind}s/{item_id}")
            assert r.status_code == 200, r.text
            item = r.json()[kind]
            if item["status"] == status:
                return item
            assert not item["status"].startswith("error") or status.startswith("error"), item
            assert time.time() < deadline, f"{kind} {item_id} still {item['status']}"
            time.sleep(0.1)

    def wait_gone(self, kind: str, item_id: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while self.client.get(f"/{kind}s/{item_id}").status_code != 404:
            assert time.time() < deadline, f"{kind} {item_id} not deleted"
            time.sleep(0.1)

    def volume(self, size: int = 1, **body: Any) -> dict[str, Any]:
        vol = self.create("volume", size=size, name=body.pop("name", unique("vol")), **body)
        return self.wait("volume", vol["id"])


def project_id(cloud: Any, token: str) -> str:
    r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


@pytest.fixture(scope="session")
def cinder_demo(cloud: Any, demo_token: str) -> Cinder:
    return Cinder(cloud.url, demo_token, project_id(cloud, demo_token))


@pytest.fixture(scope="session")
def cinder_admin(cloud: Any, admin_token: str) -> Cinder:
    return Cinder(cloud.url, admin_token, project_id(cloud, admin_token))


@pytest.fixture(scope="session")
def cinder_alt(cloud: Any) -> Cinder:
    token = cloud.token("devstack-alt")
    return Cinder(cloud.url, token, project_id(cloud, token))


def backing_file(cloud: Any, name: str) -> Path:
    return cloud.data_dir / "blobs" / name


def read_head(path: Path, length: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(length)


def allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512


@pytest.fixture(scope="session")
def known_image(cloud: Any, demo_token: str) -> tuple[str, bytes]:
    """An image with 3 MiB of known, non-zero bytes in the demo project."""
    data = bytes((i * 7 + 3) % 251 + 1 for i in range(3 << 20))
    glance = httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": demo_token}, timeout=60)
    r = glance.post("/v2/images", json={"name": unique("img"), "disk_format": "raw", "container_format": "bare"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = glance.put(f"/v2/images/{image_id}/file", content=data, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id, data


@pytest.fixture(scope="session", autouse=True)
def roomy_quotas(cloud: Any, admin_token: str, demo_token: str) -> None:
    """demo and admin make many volumes here; alt keeps Cinder's defaults for the quota tests."""
    admin = Cinder(cloud.url, admin_token, project_id(cloud, admin_token))
    unlimited = {k: -1 for k in ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes")}
    for token in (admin_token, demo_token):
        r = admin.put(f"/os-quota-sets/{project_id(cloud, token)}", json={"quota_set": unlimited})
        assert r.status_code == 200, r.text
