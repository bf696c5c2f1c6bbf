"""Networking test helpers: a Neutron API client on the cloud's /networking/v2.0 prefix, per user."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


class Neutron:
    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base + "/networking/v2.0", timeout=60,
                                   headers={"X-Auth-Token": token})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def create(self, collection: str, **body: Any) -> dict[str, Any]:
        singular = collection[:-1].replace("-", "_")
        r = self.client.post(f"/{collection}", json={singular: body})
        assert r.status_code == 201, r.text
        return r.json()[singular]

    def network_with_subnet(self, cidr: str = "192.168.77.0/24", **subnet: Any) -> tuple[dict, dict]:
        net = self.create("networks", name="net")
        sub = self.create("subnets", network_id=net["id"], ip_version=4 if ":" not in cidr else 6,
                          cidr=cidr, **subnet)
        return net, sub


@pytest.fixture(scope="session")
def neutron_admin(cloud: Any, admin_token: str) -> Neutron:
    return Neutron(cloud.url, admin_token)


@pytest.fixture(scope="session")
def neutron_demo(cloud: Any, demo_token: str) -> Neutron:
    return Neutron(cloud.url, demo_token)


@pytest.fixture(scope="session")
def neutron_alt(cloud: Any) -> Neutron:
    return Neutron(cloud.url, cloud.token("devstack-alt"))


def error_type(r: httpx.Response) -> str:
    return r.json()["NeutronError"]["type"]
