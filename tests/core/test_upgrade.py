"""Upgrade from a stored 0.1.0 data dir (schema 0001, tests/fixtures/data-0.1.0.tar.gz, written by
tests/fixtures/make_upgrade_fixture.py): `pocketstack db upgrade`, then the current server on it
keeps every user, image's and object's bytes, volume, server, network and keypair."""

from __future__ import annotations

import hashlib
import json
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from pocketstack.cli import main
from pocketstack.core import db
from tests.conftest import start_cloud, stop_cloud

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "data-0.1.0.tar.gz"


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("upgrade")
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp, filter="data")
    manifest = json.loads((tmp / "manifest.json").read_text())
    yield tmp, manifest


def test_db_upgrade_takes_a_0_1_0_data_dir_to_head(upgraded, capsys):
    tmp, _ = upgraded
    args = ["--data-dir", str(tmp / "data")]
    assert main(["db", "current", *args]) == 0
    assert capsys.readouterr().out.strip() == "0001"
    assert main(["db", "check", *args]) == 1                 # the server would refuse it before the upgrade
    assert main(["db", "upgrade", *args]) == 0
    assert main(["db", "check", *args]) == 0
    assert capsys.readouterr().out.strip().endswith("matching the models")
    assert db.current_revision(f"sqlite:///{tmp / 'data' / 'pocketstack.db'}") == db.head_revision()
    volume = next((tmp / "data" / "blobs" / "volumes").iterdir())
    assert volume.stat().st_size == 2**30                    # the sparse volume came back whole


def _login(url: str, user: str, password: str, project: str | None) -> tuple[str, httpx.Client]:
    scope = {"project": {"id": project} if project else {"name": "admin", "domain": {"id": "default"}}}
    identity = {"methods": ["password"], "password": {
        "user": {"name": user, "domain": {"id": "default"}, "password": password}}}
    r = httpx.post(f"{url}/identity/v3/auth/tokens", json={"auth": {"identity": identity, "scope": scope}})
    assert r.status_code == 201, r.text
    token = r.headers["X-Subject-Token"]
    return token, httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=60)


def test_the_current_server_keeps_what_0_1_0_stored(upgraded):
    tmp, m = upgraded
    if db.current_revision(f"sqlite:///{tmp / 'data' / 'pocketstack.db'}") != db.head_revision():
        assert main(["db", "upgrade", "--data-dir", str(tmp / "data")]) == 0    # on another xdist worker
    cloud = start_cloud(tmp)
    try:
        _, admin = _login(cloud.url, "admin", m["admin_password"], None)
        token, c = _login(cloud.url, m["user"], m["password"], m["project_id"])
        assert admin.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": token}).status_code == 200
        image = c.get(f"/image/v2/images/{m['image']['id']}").json()
        assert image["status"] == "active" and image["visibility"] == "private"
        data = c.get(f"/image/v2/images/{m['image']['id']}/file")
        assert hashlib.sha256(data.content).hexdigest() == m["image"]["sha256"]
        obj = c.get(f"/object-store/v1/AUTH_{m['project_id']}/{m['object']['container']}/"
                    f"{m['object']['name']}")
        assert obj.status_code == 200 and hashlib.sha256(obj.content).hexdigest() == m["object"]["sha256"]
        volume = c.get(f"/volume/v3/{m['project_id']}/volumes/{m['volume']}").json()["volume"]
        assert volume["status"] == "available" and volume["size"] == 1
        server = c.get(f"/compute/v2.1/servers/{m['server']}").json()["server"]
        assert server["status"] == "ACTIVE" and server["name"] == "upgraded-server"
        ports = c.get(f"/networking/v2.0/ports?device_id={m['server']}").json()["ports"]
        assert [p["id"] for p in ports] == [m["port"]] and ports[0]["network_id"] == m["network"]
        assert c.get(f"/networking/v2.0/subnets/{m['subnet']}").json()["subnet"]["cidr"] == "10.61.0.0/24"
        assert c.get(f"/compute/v2.1/os-keypairs/{m['keypair']}").status_code == 200
        # what came after 0.1.0 works on the upgraded data: a stack (orchestration came with 0002)
        r = c.post(f"/heat-api/v1/{m['project_id']}/stacks", json={"stack_name": "after", "template": {
            "heat_template_version": "2018-08-31", "resources": {"n": {"type": "OS::Heat::None"}}}})
        assert r.status_code == 201, r.text
        stack = r.json()["stack"]["id"]
        for _ in range(100):
            status = c.get(f"/heat-api/v1/{m['project_id']}/stacks/after/{stack}").json()["stack"]
            status = status["stack_status"]
            if status != "CREATE_IN_PROGRESS":
                break
            time.sleep(0.1)
        assert status == "CREATE_COMPLETE"
        # and the server still acts on the old server and volume
        attach = c.post(f"/compute/v2.1/servers/{m['server']}/os-volume_attachments",
                        json={"volumeAttachment": {"volumeId": m["volume"]}})
        assert attach.status_code == 200, attach.text
    finally:
        stop_cloud(cloud)
