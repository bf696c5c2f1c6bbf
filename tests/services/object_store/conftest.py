"""Object Storage fixtures: raw httpx clients on an account URL, as demo, alt and anonymous."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import unique


class Swift:
    def __init__(self, cloud: Any, token: str | None, account_url: str) -> None:
        self.url = account_url
        self.path = httpx.URL(account_url).path
        headers = {"X-Auth-Token": token} if token else {}
        self.client = httpx.Client(base_url=cloud.url, headers=headers, timeout=60)

    def request(self, method: str, path: str = "", **kw: Any) -> httpx.Response:
        return self.client.request(method, self.path + path, **kw)

    def __getattr__(self, method: str) -> Any:
        return lambda path="", **kw: self.request(method.upper(), path, **kw)

    def container(self, **headers: str) -> str:
        name = unique("c")
        assert self.put("/" + name, headers=headers).status_code == 201
        return name


def _account_url(cloud: Any, token: str) -> str:
    r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    project = r.json()["token"]["project"]["id"]
    return f"{cloud.url}/object-store/v1/AUTH_{project}"


@pytest.fixture(scope="session")
def swift(cloud: Any, demo_token: str) -> Swift:
    return Swift(cloud, demo_token, _account_url(cloud, demo_token))


@pytest.fixture(scope="session")
def alt_swift(cloud: Any) -> Swift:
    token = cloud.token("devstack-alt")
    return Swift(cloud, token, _account_url(cloud, token))


@pytest.fixture(scope="session")
def anon(cloud: Any, swift: Swift) -> Swift:
    return Swift(cloud, None, swift.url)


@pytest.fixture(scope="session")
def swift_cli(cloud: Any) -> Any:
    """Runs python-swiftclient's `swift` command as demo."""
    auth = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]["pocketstack"]["auth"]
    env = {**os.environ, "OS_AUTH_URL": auth["auth_url"] + "/v3", "OS_USERNAME": auth["username"],
           "OS_PASSWORD": auth["password"], "OS_PROJECT_NAME": auth["project_name"],
           "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_DOMAIN_ID": "default", "OS_IDENTITY_API_VERSION": "3"}
    exe = str(Path(sys.executable).parent / "swift")

    def run(*args: str, cwd: Path | None = None) -> str:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout
    return run
