"""Key Manager test helpers: a raw Barbican client (httpx) per token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Cloud


class Barbican:
    def __init__(self, base: str, token: str | None, version: str | None = None) -> None:
        headers = {"X-Auth-Token": token} if token else {}
        if version:
            headers["OpenStack-API-Version"] = f"key-manager {version}"
        self.base = f"{base}/key-manager/v1"
        self.client = httpx.Client(base_url=self.base, timeout=60, headers=headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def secret(self, **body: Any) -> str:
        """Create a secret; its id."""
        r = self.client.post("/secrets", json={"name": "t", **body})
        assert r.status_code == 201, r.text
        return str(r.json()["secret_ref"].rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def alt_token(cloud: Cloud) -> str:
    return cloud.token("devstack-alt")


@pytest.fixture()
def km(cloud: Cloud, demo_token: str) -> Any:
    client = Barbican(cloud.url, demo_token)
    yield client
    client.client.close()


@pytest.fixture()
def km_alt(cloud: Cloud, alt_token: str) -> Any:
    client = Barbican(cloud.url, alt_token)
    yield client
    client.client.close()


@pytest.fixture()
def km_admin(cloud: Cloud, admin_token: str) -> Any:
    client = Barbican(cloud.url, admin_token)
    yield client
    client.client.close()
