"""Placement test helpers: a raw Placement client (httpx) per token and microversion."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Cloud


def client(cloud: Cloud, token: str | None, version: str | None = "1.39") -> httpx.Client:
    headers = {"X-Auth-Token": token} if token else {}
    if version:
        headers["OpenStack-API-Version"] = f"placement {version}"
    return httpx.Client(base_url=f"{cloud.url}/placement", timeout=60, headers=headers)


@pytest.fixture()
def placement(cloud: Cloud, admin_token: str) -> Any:
    with client(cloud, admin_token) as c:
        yield c


def at(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"placement {version}"}


def error(r: httpx.Response) -> dict[str, Any]:
    body = r.json()["errors"][0]
    assert body["status"] == r.status_code
    return body
