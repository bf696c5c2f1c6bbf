"""`pocketstack reset`: a stopped cloud's database and bytes wiped and bootstrapped anew."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

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
