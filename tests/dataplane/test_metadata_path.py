"""The whole metadata path with the linux dataplane: a stand-in machine plugged into a server's port fetches
http://169.254.169.254/... ; the router namespace's proxy signs the request and compute's metadata service answers
(a cloud of its own, whose proxy forwards in-process to /compute/metadata with the data dir's shared secret)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud
from tests.dataplane.conftest import leftovers_of, missing, wait_ready
from tests.dataplane.machines import Machine, run
from tests.services.compute.conftest import Nova

# its cloud's dataplane gives this machine 172.24.4.1 too: one such cloud at a time
pytestmark = pytest.mark.xdist_group("dataplane")

POST = """
import sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST"), timeout=5)
print(r.status)
"""


@pytest.fixture(scope="module")
def md_cloud(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reason = missing()
    if reason:
        pytest.skip(reason)
    name = "m" + uuid.uuid4().hex[:6]
    running = start_cloud(tmp_path_factory.mktemp("mdcloud"), options={"network": {
        "dataplane": "linux", "cloud_name": name}})
    running.cloud_name = name  # type: ignore[attr-defined]
    try:
        wait_ready(running)
        yield running
    finally:
        stop_cloud(running)
        run(sys.executable, "-m", "pocketstack", "dataplane", "cleanup", "--cloud-name", name)
        assert not leftovers_of(name)


def test_guest_reads_its_metadata_through_the_proxy(md_cloud: Any) -> None:
    admin_token, demo_token = md_cloud.token("pocketstack-admin"), md_cloud.token("pocketstack")
    neutron = httpx.Client(base_url=md_cloud.url + "/networking/v2.0", headers={"X-Auth-Token": admin_token})
    image = httpx.get(md_cloud.url + "/image/v2/images", headers={"X-Auth-Token": demo_token}).json()["images"][0]
    private = neutron.get("/networks", params={"name": "private"}).json()["networks"][0]
    nova = Nova(md_cloud.url, demo_token)
    created = nova.post("/servers", json={"server": {
        "name": "guest1", "flavorRef": "1", "imageRef": image["id"], "networks": [{"uuid": private["id"]}],
        "metadata": {"role": "db"}}})
    assert created.status_code == 202, created.text
    server = nova.wait(created.json()["server"]["id"], "ACTIVE")
    (port,) = neutron.get("/ports", params={"device_id": server["id"]}).json()["ports"]
    if not port.get("binding:host_id"):       # the fake driver's host is no machine of the dataplane's
        assert neutron.put(f"/ports/{port['id']}", json={"port": {"binding:host_id": "machine"}}).status_code == 200
    machine = Machine(md_cloud.cloud_name, "g1")
    try:
        machine.plug(port)
        deadline = time.time() + 15
        while neutron.get(f"/ports/{port['id']}").json()["port"]["status"] != "ACTIVE" and time.time() < deadline:
            time.sleep(0.1)
        machine.dhcp()
        started = time.time()
        md = json.loads(machine.probe("get", "http://169.254.169.254/openstack/latest/meta_data.json").stdout)
        elapsed = time.time() - started
        assert md["uuid"] == server["id"] and md["name"] == "guest1" and md["meta"] == {"role": "db"}
        assert md["project_id"] == server["tenant_id"]
        assert machine.probe("get", "http://169.254.169.254/latest/meta-data/local-ipv4").stdout == machine.ip
        nd = json.loads(machine.probe("get", "http://169.254.169.254/openstack/latest/network_data.json").stdout)
        assert nd["links"][0]["ethernet_mac_address"] == port["mac_address"]
        # the password a guest posts goes through the proxy too, and the owner reads it through the API
        posted = machine.sh(sys.executable, "-c", POST, "http://169.254.169.254/openstack/latest/password", "enc")
        assert posted.stdout.strip() == "200"
        assert nova.get(f"/servers/{server['id']}/os-server-password").json() == {"password": "enc"}
        print(f"meta_data.json through the proxy in {elapsed:.3f}s (a probe process included)")
    finally:
        machine.remove()
        nova.delete(f"/servers/{server['id']}")
