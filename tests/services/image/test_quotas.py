"""Image quotas (Glance's unified limits): count, size, staging, uploading; /v2/info/usage; keystone limits.

A server of its own with limits in its `image:` config section.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import stop_cloud, unique
from tests.services.image.conftest import OCTET, Glance, start_image_cloud

MIB = 1 << 20
LIMITS = {"image_count_total": 3, "image_size_total": 2, "image_stage_total": 1, "image_count_uploading": 1}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    running = start_image_cloud(tmp_path_factory.mktemp("quotas"), {"limits": LIMITS,
                                                                    "use_keystone_limits": True})
    yield running
    stop_cloud(running)


@pytest.fixture(scope="module")
def demo(limited):
    return Glance(limited.url, limited.token("devstack"))


@pytest.fixture()
def cleanup(demo):
    made: list[str] = []
    yield made
    for image_id in made:
        demo.delete(f"/v2/images/{image_id}")


def create(glance: Glance, made: list[str]) -> httpx.Response:
    r = glance.post("/v2/images", json={"name": unique(), "disk_format": "raw", "container_format": "bare"})
    if r.status_code == 201:
        made.append(r.json()["id"])
    return r


def test_usage_reports_limits(demo, cleanup):
    usage = demo.get("/v2/info/usage").json()["usage"]
    assert usage == {"image_size_total": {"limit": 2, "usage": 0}, "image_stage_total": {"limit": 1, "usage": 0},
                     "image_count_total": {"limit": 3, "usage": 0},
                     "image_count_uploading": {"limit": 1, "usage": 0}}
    create(demo, cleanup)
    assert demo.get("/v2/info/usage").json()["usage"]["image_count_total"]["usage"] == 1


def test_image_count_total(demo, cleanup):
    for _ in range(3):
        assert create(demo, cleanup).status_code == 201
    over = create(demo, cleanup)
    assert over.status_code == 413
    assert "image_count_total is over limit of 3" in over.json()["message"]
    demo.delete(f"/v2/images/{cleanup.pop()}")
    assert create(demo, cleanup).status_code == 201


def test_image_size_total(demo, cleanup):
    first = create(demo, cleanup).json()["id"]
    assert demo.upload(first, b"\0" * (2 * MIB + 10)).status_code == 204           # 0 + 2 is not over 2
    second = create(demo, cleanup).json()["id"]
    r = demo.upload(second, b"\0" * MIB)                                          # 2 + 1 is
    assert r.status_code == 413 and "image_size_total" in r.json()["message"]
    assert demo.get(f"/v2/images/{second}").json()["status"] == "queued"
    assert demo.get("/v2/info/usage").json()["usage"]["image_size_total"]["usage"] == 2


def test_image_stage_total_and_count_uploading(demo, cleanup):
    big = create(demo, cleanup).json()["id"]
    r = demo.put(f"/v2/images/{big}/stage", content=b"\0" * (2 * MIB), headers=OCTET)
    assert r.status_code == 413 and "image_stage_total" in r.json()["message"]
    assert demo.get(f"/v2/images/{big}").json()["status"] == "queued"
    one, two = create(demo, cleanup).json()["id"], create(demo, cleanup).json()["id"]
    assert demo.put(f"/v2/images/{one}/stage", content=b"abc", headers=OCTET).status_code == 204
    r = demo.put(f"/v2/images/{two}/stage", content=b"abc", headers=OCTET)      # a second one uploading
    assert r.status_code == 413 and "image_count_uploading" in r.json()["message"]
    assert demo.get(f"/v2/images/{two}").json()["status"] == "queued"


def test_keystone_limits_override_config(limited, demo, cleanup):
    system = {"X-Auth-Token": limited.token("devstack-system-admin")}
    ks = f"{limited.url}/identity/v3"
    service_id = httpx.get(f"{ks}/services?type=image", headers=system).json()["services"][0]["id"]
    alt = Glance(limited.url, limited.token("devstack-alt"))
    alt_project = httpx.get(f"{ks}/auth/tokens", headers={**system, "X-Subject-Token": alt.headers["X-Auth-Token"]}
                            ).json()["token"]["project"]["id"]
    reg = httpx.post(f"{ks}/registered_limits", headers=system, json={"registered_limits": [
        {"service_id": service_id, "resource_name": "image_count_total", "default_limit": 5}]})
    assert reg.status_code == 201, reg.text
    lim = httpx.post(f"{ks}/limits", headers=system, json={"limits": [
        {"service_id": service_id, "project_id": alt_project, "resource_name": "image_count_total",
         "resource_limit": 1}]})
    assert lim.status_code == 201, lim.text
    try:
        assert demo.get("/v2/info/usage").json()["usage"]["image_count_total"]["limit"] == 5
        assert alt.get("/v2/info/usage").json()["usage"]["image_count_total"]["limit"] == 1
        made: list[str] = []
        assert create(alt, made).status_code == 201
        assert create(alt, made).status_code == 413
        for image_id in made:
            alt.delete(f"/v2/images/{image_id}")
    finally:
        httpx.delete(f"{ks}/limits/{lim.json()['limits'][0]['id']}", headers=system)
        httpx.delete(f"{ks}/registered_limits/{reg.json()['registered_limits'][0]['id']}", headers=system)
