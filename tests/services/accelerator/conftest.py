"""Acceleration test helpers: a raw Cyborg client (httpx) per token."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud


class Cyborg:
    def __init__(self, base: str, token: str | None, version: str | None = "2.3") -> None:
        headers = {"X-Auth-Token": token} if token else {}
        if version:
            headers["OpenStack-API-Version"] = f"accelerator {version}"
        self.client = httpx.Client(base_url=f"{base}/accelerator/v2", timeout=60, headers=headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def wait_arq(self, uuid: str, states: tuple[str, ...] = ("Bound", "BindFailed"), timeout: float = 20) -> Any:
        deadline = time.time() + timeout
        while True:
            body = self.client.get(f"/accelerator_requests/{uuid}").json()
            if body["state"] in states:
                return body
            assert time.time() < deadline, f"ARQ {uuid} stuck in {body['state']}"
            time.sleep(0.05)


def fault(response: httpx.Response) -> dict[str, Any]:
    return json.loads(response.json()["error_message"])


@pytest.fixture()
def cyborg(cloud: Cloud, admin_token: str) -> Any:
    client = Cyborg(cloud.url, admin_token)
    yield client
    client.client.close()
