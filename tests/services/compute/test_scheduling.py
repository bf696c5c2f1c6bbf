"""Nova schedules through Placement (tests services/compute/servers/placement_api.py): a small fake host fills up
until NoValidHost, allocations show in `openstack resource provider usage show`, resize holds both flavors."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud, start_cloud, stop_cloud

HOST_RP = "5a4f3c3e-6a0d-4f67-9c1a-6f0a9e1b2c01"
SMALL = {"compute": {"vcpus": 2, "cpu_allocation_ratio": 1.0, "memory_mb": 2048, "ram_allocation_ratio": 1.0,
                     "reserved_host_memory_mb": 512, "local_gb": 10}}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cloud = start_cloud(tmp_path_factory.mktemp("small"), options=SMALL)
    yield cloud
    stop_cloud(cloud)


def _token(cloud: Cloud) -> str:
    return cloud.token("pocketstack-admin")


def _wait(nova: httpx.Client, server_id: str, states: tuple[str, ...], timeout: float = 60) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        server = nova.get(f"/servers/{server_id}").json()["server"]
        if server["status"] in states:
            return server
        assert time.time() < deadline, server
        time.sleep(0.2)


def _usage_cli(cloud: Cloud) -> dict[str, int]:
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml)}
    exe = str(Path(os.sys.executable).parent / "openstack")
    import json
    out = subprocess.run([exe, "--os-cloud", "pocketstack-admin", "resource", "provider", "usage", "show", HOST_RP,
                          "-f", "json"], capture_output=True, text=True, env=env, check=True).stdout
    return {u["resource_class"]: u["usage"] for u in json.loads(out)}


def test_fill_the_host_until_no_valid_host_then_resize_and_delete(small: Cloud) -> None:
    token = _token(small)
    nova = httpx.Client(base_url=small.url + "/compute/v2.1", timeout=60,
                        headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"})
    image = httpx.get(small.url + "/image/v2/images", headers={"X-Auth-Token": token}).json()["images"][0]["id"]
    flavor = nova.post("/flavors", json={"flavor": {"name": "half", "ram": 512, "vcpus": 1, "disk": 1}}).json()
    big = nova.post("/flavors", json={"flavor": {"name": "bigger", "ram": 768, "vcpus": 1, "disk": 2}}).json()
    servers = []
    for i in range(2):     # two fit: 2 VCPU, 1536 MB usable
        r = nova.post("/servers", json={"server": {"name": f"fill-{i}", "imageRef": image, "networks": "none",
                                                   "flavorRef": flavor["flavor"]["id"]}})
        assert r.status_code == 202, r.text
        servers.append(_wait(nova, r.json()["server"]["id"], ("ACTIVE", "ERROR")))
    assert [s["status"] for s in servers] == ["ACTIVE", "ACTIVE"]
    assert _usage_cli(small) == {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 2}
    r = nova.post("/servers", json={"server": {"name": "one-too-many", "imageRef": image, "networks": "none",
                                               "flavorRef": flavor["flavor"]["id"]}})
    failed = _wait(nova, r.json()["server"]["id"], ("ACTIVE", "ERROR"))
    assert failed["status"] == "ERROR"
    assert failed["fault"]["message"].startswith("No valid host was found.")
    hyp = nova.get("/os-hypervisors/detail", headers={"OpenStack-API-Version": "compute 2.87"}).json()
    h = hyp["hypervisors"][0]
    assert (h["vcpus"], h["vcpus_used"], h["memory_mb"], h["memory_mb_used"]) == (2, 2, 2048, 512 + 1024)
    # resize: the old flavor stays claimed by the migration until confirm
    nova.delete(f"/servers/{failed['id']}")
    nova.delete(f"/servers/{servers[1]['id']}")
    deadline = time.time() + 30
    while _usage_cli(small)["VCPU"] != 1:
        assert time.time() < deadline
        time.sleep(0.2)
    r = nova.post(f"/servers/{servers[0]['id']}/action", json={"resize": {"flavorRef": big["flavor"]["id"]}})
    assert r.status_code == 202, r.text
    _wait(nova, servers[0]["id"], ("VERIFY_RESIZE",))
    assert _usage_cli(small) == {"VCPU": 2, "MEMORY_MB": 512 + 768, "DISK_GB": 3}
    placement = httpx.Client(base_url=small.url + "/placement", headers={
        "X-Auth-Token": token, "OpenStack-API-Version": "placement 1.38"})
    consumers = placement.get(f"/resource_providers/{HOST_RP}/allocations").json()["allocations"]
    assert len(consumers) == 2 and consumers[servers[0]["id"]]["resources"]["MEMORY_MB"] == 768
    r = nova.post(f"/servers/{servers[0]['id']}/action", json={"confirmResize": None})
    assert r.status_code == 204, r.text
    _wait(nova, servers[0]["id"], ("ACTIVE",))
    deadline = time.time() + 30
    while _usage_cli(small) != {"VCPU": 1, "MEMORY_MB": 768, "DISK_GB": 2}:
        assert time.time() < deadline, _usage_cli(small)
        time.sleep(0.2)
    nova.delete(f"/servers/{servers[0]['id']}")
    deadline = time.time() + 30
    while _usage_cli(small) != {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}:
        assert time.time() < deadline
        time.sleep(0.2)


def test_revert_resize_gives_the_old_flavor_back(small: Cloud) -> None:
    token = _token(small)
    nova = httpx.Client(base_url=small.url + "/compute/v2.1", timeout=60,
                        headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"})
    image = httpx.get(small.url + "/image/v2/images", headers={"X-Auth-Token": token}).json()["images"][0]["id"]
    flavors = {f["name"]: f["id"] for f in nova.get("/flavors").json()["flavors"]}
    r = nova.post("/servers", json={"server": {"name": "rev", "imageRef": image, "networks": "none",
                                               "flavorRef": flavors["m1.nano"]}})
    server = _wait(nova, r.json()["server"]["id"], ("ACTIVE",))
    nova.post(f"/servers/{server['id']}/action", json={"resize": {"flavorRef": flavors["m1.micro"]}})
    _wait(nova, server["id"], ("VERIFY_RESIZE",))
    assert _usage_cli(small)["MEMORY_MB"] == 128 + 192
    nova.post(f"/servers/{server['id']}/action", json={"revertResize": None})
    _wait(nova, server["id"], ("ACTIVE",))
    deadline = time.time() + 30
    while _usage_cli(small)["MEMORY_MB"] != 128:
        assert time.time() < deadline
        time.sleep(0.2)
    nova.delete(f"/servers/{server['id']}")
