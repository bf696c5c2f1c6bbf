"""Orchestration test helpers: a raw Heat client (httpx) per token, and a wait for stack states."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud


class Heat:
    def __init__(self, cloud: Cloud, cloud_name: str = "pocketstack") -> None:
        token = cloud.token(cloud_name)
        project = httpx.get(f"{cloud.url}/identity/v3/auth/tokens",
                            headers={"X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]
        self.project_id = project["id"]
        self.client = httpx.Client(base_url=f"{cloud.url}/heat-api/v1/{self.project_id}", timeout=60,
                                   headers={"X-Auth-Token": token})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def create(self, name: str, template: Any, **kw: Any) -> httpx.Response:
        return self.client.post("/stacks", json={"stack_name": name, "template": template, **kw})

    def stack(self, name: str) -> dict[str, Any]:
        r = self.client.get(f"/stacks/{name}", follow_redirects=True)
        assert r.status_code == 200, r.text
        return r.json()["stack"]

    def wait(self, name: str, *, timeout: float = 60) -> dict[str, Any]:
        deadline = time.time() + timeout
        while True:
            r = self.client.get(f"/stacks/{name}", follow_redirects=True, params={"show_deleted": True})
            stack = r.json()["stack"]
            if not stack["stack_status"].endswith("IN_PROGRESS"):
                return stack
            assert time.time() < deadline, f"stack {name} stuck in {stack['stack_status']}"
            time.sleep(0.1)


@pytest.fixture()
def heat(cloud: Cloud) -> Any:
    client = Heat(cloud)
    yield client
    client.client.close()


@pytest.fixture()
def heat_alt(cloud: Cloud) -> Any:
    client = Heat(cloud, "devstack-alt")
    yield client
    client.client.close()


def error(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"explanation", "code", "error", "title"}, body
    assert body["code"] == r.status_code
    return body["error"]
