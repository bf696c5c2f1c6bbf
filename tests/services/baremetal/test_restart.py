"""A deploy in progress survives a restart: the conductor's work is a durable job, and the node's
transitional state is visible while the step takes its (configured) time."""

from __future__ import annotations

import time

import httpx

from tests import conftest
from tests.conftest import start_cloud, stop_cloud


def _client(cloud: conftest.Cloud) -> httpx.Client:
    token = cloud.token("devstack-system-admin")
    return httpx.Client(base_url=f"{cloud.url}/baremetal/v1", timeout=30,
                        headers={"X-Auth-Token": token, "X-OpenStack-Ironic-API-Version": "1.10"})


def test_deploy_resumes_after_restart(tmp_path, monkeypatch):
    monkeypatch.setitem(conftest.TEST_CONFIG, "baremetal", {"step_delay": 2})
    first = start_cloud(tmp_path)
    try:
        with _client(first) as c:
            node = c.post("/nodes", json={"driver": "fake-hardware"}).json()["uuid"]   # 1.10: available at once
            assert c.put(f"/nodes/{node}/states/provision", json={"target": "active"}).status_code == 202
            body = c.get(f"/nodes/{node}").json()
            assert body["provision_state"] == "deploying" and body["target_provision_state"] == "active"
            assert body["reservation"] == "pocketstack"
    finally:
        stop_cloud(first)
    second = start_cloud(tmp_path, port=int(first.url.rsplit(":", 1)[1]))
    try:
        with _client(second) as c:
            deadline = time.time() + 30
            while (body := c.get(f"/nodes/{node}").json())["provision_state"] != "active":
                assert body["provision_state"] == "deploying" and time.time() < deadline
                time.sleep(0.2)
            assert body["reservation"] is None and body["power_state"] == "power on"
    finally:
        stop_cloud(second)
