"""Image test helpers: an image API client on the cloud's /image prefix, per user."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PATCH = "application/openstack-images-v2.1-json-patch"
OCTET = {"Content-Type": "application/octet-stream"}


class Glance:
    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base + "/image", timeout=60,
                                   headers={"X-Auth-Token": token, "Accept": "application/json"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def create(self, **body: Any) -> dict[str, Any]:
        r = self.client.post("/v2/images", json={"disk_format": "raw", "container_format": "bare", **body})
        assert r.status_code == 201, r.text
        return r.json()

    def patch_image(self, image_id: str, ops: list[dict[str, Any]]) -> httpx.Response:
        return self.client.patch(f"/v2/images/{image_id}", json=ops, headers={"Content-Type": PATCH})

    def upload(self, image_id: str, data: bytes) -> httpx.Response:
        return self.client.put(f"/v2/images/{image_id}/file", content=data, headers=OCTET)


@pytest.fixture(scope="session")
def glance_admin(cloud: Any, admin_token: str) -> Glance:
    return Glance(cloud.url, admin_token)


@pytest.fixture(scope="session")
def glance_demo(cloud: Any, demo_token: str) -> Glance:
    return Glance(cloud.url, demo_token)


@pytest.fixture(scope="session")
def glance_alt(cloud: Any) -> Glance:
    return Glance(cloud.url, cloud.token("devstack-alt"))


def start_image_cloud(tmp: Any, image_options: dict[str, Any]) -> Any:
    """A server of our own whose config has this `image:` section (stores, limits)."""
    from tests import conftest as root
    saved = root.TEST_CONFIG.get("image")
    root.TEST_CONFIG["image"] = image_options
    try:
        return root.start_cloud(tmp)
    finally:
        if saved is None:
            root.TEST_CONFIG.pop("image", None)
        else:
            root.TEST_CONFIG["image"] = saved
