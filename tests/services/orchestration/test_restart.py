"""A stack operation survives a SIGKILL of pocketstack: a create and a delete in the middle of
their work are resumed after the restart, and the delete still removes what the create made."""

from __future__ import annotations

import signal
import time

import httpx

from tests.conftest import start_cloud, stop_cloud

TEMPLATE = {"heat_template_version": "2018-08-31", "resources": {
    "net": {"type": "OS::Neutron::Net"},
    "slow": {"type": "OS::Heat::TestResource", "depends_on": "net",
             "properties": {"action_wait_secs": {"create": 5, "delete": 5}}},
    "after": {"type": "OS::Heat::RandomString", "depends_on": "slow"}}}


def _heat(cloud) -> tuple[httpx.Client, httpx.Client]:
    token = cloud.token("pocketstack")
    project = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    return (httpx.Client(base_url=f"{cloud.url}/heat-api/v1/{project}", headers={"X-Auth-Token": token}),
            httpx.Client(base_url=f"{cloud.url}/networking/v2.0", headers={"X-Auth-Token": token}))


def _status(heat: httpx.Client, path: str) -> str:
    return heat.get(path).json()["stack"]["stack_status"]


def _wait(heat: httpx.Client, path: str, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    while (status := _status(heat, path)).endswith("IN_PROGRESS"):
        assert time.time() < deadline, status
        time.sleep(0.1)
    return status


def _wait_resource(heat: httpx.Client, path: str, name: str, status: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while True:
        r = heat.get(f"{path}/resources/{name}")
        if r.status_code == 200 and r.json()["resource"]["resource_status"] == status:
            return
        assert time.time() < deadline, r.text
        time.sleep(0.05)


def _kill(cloud) -> None:
    cloud.process.send_signal(signal.SIGKILL)
    cloud.process.wait(timeout=10)


def test_create_and_delete_resume_after_sigkill(tmp_path):
    cloud = start_cloud(tmp_path)
    port = int(cloud.url.rsplit(":", 1)[1])
    try:
        heat, _ = _heat(cloud)
        sid = heat.post("/stacks", json={"stack_name": "durable", "template": TEMPLATE}).json()["stack"]["id"]
        path = f"/stacks/durable/{sid}"
        _wait_resource(heat, path, "slow", "CREATE_IN_PROGRESS")     # net created, slow waiting
        assert _status(heat, path) == "CREATE_IN_PROGRESS"
        _kill(cloud)
        cloud = start_cloud(tmp_path, port=port)
        heat, neutron = _heat(cloud)
        assert _wait(heat, path) == "CREATE_COMPLETE"
        net_id = next(r["physical_resource_id"] for r in heat.get(path + "/resources").json()["resources"]
                      if r["resource_name"] == "net")
        assert neutron.get(f"/networks/{net_id}").status_code == 200
        assert heat.delete(path).status_code == 204
        _wait_resource(heat, path, "slow", "DELETE_IN_PROGRESS")     # after deleted, slow being deleted
        assert _status(heat, path) == "DELETE_IN_PROGRESS"
        _kill(cloud)
        cloud = start_cloud(tmp_path, port=port)
        heat, neutron = _heat(cloud)
        assert _wait(heat, path) == "DELETE_COMPLETE"
        assert neutron.get(f"/networks/{net_id}").status_code == 404
    finally:
        if cloud.process.poll() is None:
            stop_cloud(cloud)
