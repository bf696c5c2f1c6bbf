"""`pocketstack reset`: a stopped cloud's database and bytes wiped and bootstrapped anew."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, start_cloud, stop_cloud


def _reset(data_dir: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pocketstack", "reset", "--data-dir", str(data_dir),
                           "--port", str(port), *extra], capture_output=True, text=True, timeout=180)


def test_reset_wipes_resources_and_bytes_and_keeps_the_password(tmp_path: Path) -> None:
    cloud = start_cloud(tmp_path)
    port = int(cloud.url.rsplit(":", 1)[1])
    try:
        token = cloud.token("pocketstack")
        project = cloud.clouds()["pocketstack"]["auth"]["project_name"]
        assert project == "demo"
        swift = httpx.get(cloud.url + "/identity/v3/auth/projects", headers={"X-Auth-Token": token}).json()
        pid = next(p["id"] for p in swift["projects"] if p["name"] == "demo")
        url = f"{cloud.url}/object-store/v1/AUTH_{pid}/keep"
        assert httpx.put(url, headers={"X-Auth-Token": token}).status_code == 201
        assert httpx.put(url + "/o", content=b"x" * 1000, headers={"X-Auth-Token": token}).status_code == 201
        refused = _reset(cloud.data_dir, port)           # not under a live server
        assert refused.returncode == 1 and "stop it" in refused.stderr
    finally:
        stop_cloud(cloud)
    done = _reset(cloud.data_dir, port, "--config", str(cloud.config_file))
    assert done.returncode == 0, done.stderr[-2000:]
    again = start_cloud(tmp_path, port=port)
    try:
        token = again.token("pocketstack")
        assert again.clouds()["pocketstack-admin"]["auth"]["password"] == ADMIN_PASSWORD
        projects = httpx.get(again.url + "/identity/v3/auth/projects", headers={"X-Auth-Token": token}).json()
        new_pid = next(p["id"] for p in projects["projects"] if p["name"] == "demo")
        assert new_pid != pid
        listing = httpx.get(f"{again.url}/object-store/v1/AUTH_{new_pid}?format=json",
                            headers={"X-Auth-Token": token})
        assert listing.status_code in (200, 204) and "keep" not in listing.text
    finally:
        stop_cloud(again)


def _pg_url() -> str | None:
    """A fresh database on the PostgreSQL at 127.0.0.1:5432, or None when there is none."""
    import os

    import sqlalchemy as sa

    from pocketstack.core.db import normalize_url
    from tests.conftest import _fresh_postgres
    base = os.environ.get("POCKETSTACK_TEST_PG") or "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        sa.create_engine(normalize_url(base)).connect().close()
    except Exception:  # noqa: BLE001 - no server: skipped
        return None
    return _fresh_postgres(base)


@pytest.mark.postgres
def test_live_reset_with_two_workers_on_postgresql(tmp_path: Path) -> None:
    """Every worker forgets what it cached of the old rows: a token of a user the reset removed is
    refused by whichever worker answers, right after the reset (a worker's token cache would
    otherwise keep it for a while)."""
    from tests.conftest import _drop_postgres
    url = _pg_url()
    if url is None:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    cloud = start_cloud(tmp_path, url, object_store_port=0, extra_args=["--workers", "2", "--allow-reset"],
                        timeout=240)    # two workers import the whole cloud each
    try:
        admin = {"X-Auth-Token": cloud.token("pocketstack-admin")}
        identity = cloud.url + "/identity/v3"
        user = httpx.post(identity + "/users", headers=admin, json={"user": {
            "name": "gone-after-reset", "password": "secret-enough", "domain_id": "default"}}).json()["user"]
        net = httpx.post(cloud.url + "/networking/v2.0/networks", headers=admin,
                         json={"network": {"name": "gone-too"}})
        assert net.status_code == 201
        r = httpx.post(identity + "/auth/tokens", json={"auth": {"identity": {
            "methods": ["password"], "password": {"user": {"id": user["id"], "password": "secret-enough"}}}}})
        token = {"X-Auth-Token": r.headers["X-Subject-Token"]}
        for _ in range(30):        # each worker validates (and caches) the token; new connections spread them
            assert httpx.get(identity + "/auth/projects", headers=token).status_code == 200
        reset = httpx.post(cloud.url + "/pocketstack/v1/reset", headers=admin, timeout=120)
        assert reset.status_code == 200, reset.text
        refused = [httpx.get(identity + "/auth/projects", headers=token).status_code for _ in range(30)]
        assert set(refused) == {401}, refused
        admin = {"X-Auth-Token": cloud.token("pocketstack-admin")}
        names = [n["name"] for n in httpx.get(cloud.url + "/networking/v2.0/networks", headers=admin)
                 .json()["networks"]]
        assert "gone-too" not in names and "private" in names
        again = httpx.post(cloud.url + "/networking/v2.0/networks", headers=admin,
                           json={"network": {"name": "after-reset"}})
        assert again.status_code == 201
        # the other worker notices the new generation on its next request: which worker accepts a new
        # connection is the kernel's choice, so ask until it has answered one (each must refuse the token)
        for _ in range(300):
            if "forgetting caches" in (tmp_path / "server.log").read_text():
                break
            assert httpx.get(identity + "/auth/projects", headers=token).status_code == 401
        assert "forgetting caches" in (tmp_path / "server.log").read_text()
    finally:
        stop_cloud(cloud)
        _drop_postgres(url)
