"""Bare Metal test helpers: a system-scoped openstacksdk connection and a raw Ironic client."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud

LATEST = "1.115"


class Ironic:
    """httpx on /baremetal with a token and a microversion, for status codes and raw bodies."""

    def __init__(self, base: str, token: str | None, version: str | None = LATEST) -> None:
        headers = {"X-Auth-Token": token} if token else {}
        if version:
            headers["X-OpenStack-Ironic-API-Version"] = version
        self.client = httpx.Client(base_url=f"{base}/baremetal", timeout=60, headers=headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def at(self, version: str) -> dict[str, str]:
        return {"X-OpenStack-Ironic-API-Version": version}

    def create_node(self, **body: Any) -> dict[str, Any]:
        body.setdefault("driver", "fake-hardware")
        r = self.client.post("/v1/nodes", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def provision(self, node: str, target: str, **extra: Any) -> httpx.Response:
        return self.client.put(f"/v1/nodes/{node}/states/provision", json={"target": target, **extra})

    def wait(self, node: str, state: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.time() + timeout
        while True:
            body = self.client.get(f"/v1/nodes/{node}").json()
            if body["provision_state"] == state and body["reservation"] is None:
                return body
            assert time.time() < deadline, f"node {node} stuck in {body['provision_state']}, wanted {state}"
            time.sleep(0.05)


def fault(response: httpx.Response) -> dict[str, Any]:
    """Ironic's error body: a JSON document inside the error_message string."""
    return json.loads(response.json()["error_message"])


@pytest.fixture(scope="session")
def system_admin(cloud: Cloud) -> Any:
    import openstack
    return openstack.connect(cloud="devstack-system-admin")


@pytest.fixture(scope="session")
def system_token(cloud: Cloud) -> str:
    return cloud.token("devstack-system-admin")


@pytest.fixture()
def ironic(cloud: Cloud, system_token: str) -> Any:
    client = Ironic(cloud.url, system_token)
    yield client
    client.client.close()
