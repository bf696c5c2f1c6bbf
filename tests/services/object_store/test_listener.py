"""The object store on its own port, where DevStack's Swift proxy is: /v1/AUTH_<project> with /info,
/healthcheck and /crossdomain.xml at the root, in the catalog; the /object-store prefix stays."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud, unique


def _project(cloud, token: str) -> str:
    r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


def _swift(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("swift", path=str(Path(sys.executable).parent)) or "swift"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


def _catalog_urls(cloud, cloud_name: str = "pocketstack") -> set[str]:
    token = cloud.token(cloud_name)
    r = httpx.get(f"{cloud.url}/identity/v3/auth/catalog", headers={"X-Auth-Token": token})
    (swift,) = [s for s in r.json()["catalog"] if s["type"] == "object-store"]
    return {e["url"] for e in swift["endpoints"]}


def test_swiftclient_at_the_listener(cloud, demo_token, tmp_path):
    """`swift --os-storage-url http://host:PORT/v1/AUTH_<id>`, as against DevStack's 8080."""
    storage = f"{cloud.object_store_url}/v1/AUTH_{_project(cloud, demo_token)}"
    auth = ["--os-storage-url", storage, "--os-auth-token", demo_token]
    container, source = unique("c"), tmp_path / "hello.txt"
    source.write_text("hello from swiftclient\n")
    up = _swift(*auth, "upload", "--object-name", "hello.txt", container, str(source))
    assert up.returncode == 0, up.stderr
    listed = _swift(*auth, "list")
    assert listed.returncode == 0 and container in listed.stdout.split()
    assert _swift(*auth, "list", container).stdout.split() == ["hello.txt"]
    down = _swift(*auth, "download", container, "hello.txt", "-o", "-")
    assert down.returncode == 0 and down.stdout == "hello from swiftclient\n"
    stat = _swift(*auth, "stat", container)
    assert stat.returncode == 0 and "Objects: 1" in stat.stdout
    # the same account through the prefix on the main port
    prefixed = httpx.get(f"{cloud.url}/object-store/v1/AUTH_{_project(cloud, demo_token)}/{container}",
                         headers={"X-Auth-Token": demo_token})
    assert prefixed.status_code == 200 and prefixed.text.split() == ["hello.txt"]
    assert _swift(*auth, "delete", container).returncode == 0
    bad = _swift("--os-storage-url", storage, "--os-auth-token", "not-a-token", "list")
    assert bad.returncode != 0 and "401" in bad.stderr


def test_catalog_points_at_the_listener(cloud, cli, demo):
    urls = _catalog_urls(cloud)
    project = demo.current_project_id
    assert urls == {f"{cloud.object_store_url}/v1/AUTH_{project}"}
    assert demo.object_store.get_endpoint().rstrip("/") == f"{cloud.object_store_url}/v1/AUTH_{project}"
    name = unique("c")
    cli("container", "create", name, os_cloud="pocketstack")
    assert name in [c["Name"] for c in cli("container", "list", os_cloud="pocketstack")]
    r = httpx.get(f"{cloud.object_store_url}/v1/AUTH_{project}", params={"format": "json"},
                  headers={"X-Auth-Token": cloud.token("pocketstack")})
    assert name in [c["name"] for c in r.json()]
    cli("container", "delete", name, os_cloud="pocketstack")


def test_root_documents_at_the_listener(cloud):
    base = cloud.object_store_url
    info = httpx.get(f"{base}/info")
    assert info.status_code == 200 and "swift" in info.json()
    assert info.json() == httpx.get(f"{cloud.url}/info").json()
    health = httpx.get(f"{base}/healthcheck")
    assert health.status_code == 200 and health.text == "OK"
    cross = httpx.get(f"{base}/crossdomain.xml")
    assert cross.status_code == 200 and "<cross-domain-policy>" in cross.text
    assert httpx.get(f"{base}/v1/AUTH_nobody").status_code == 401          # Swift's keystoneauth
    assert httpx.get(f"{base}/identity/v3").status_code == 404            # only the object store here
    assert httpx.get(f"{base}/object-store/v1/AUTH_x").status_code == 404
    assert httpx.get(f"{base}/metrics").status_code == 404


def _held_port() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def _bootstrap_marker(data_dir: Path) -> dict:
    with sqlite3.connect(data_dir / "pocketstack.db") as db:
        (value,) = db.execute("SELECT value FROM pocketstack_state WHERE key = 'bootstrap'").fetchone()
    return json.loads(value)


@pytest.mark.skipif(bool(os.environ.get("POCKETSTACK_TEST_DATABASE_URL")), reason="reads the SQLite data dir")
def test_port_taken_then_free_then_a_service_missing_from_an_old_data_dir(tmp_path):
    held = _held_port()
    port = held.getsockname()[1]
    first = start_cloud(tmp_path, object_store_port=port)       # taken: one line, prefix only
    try:
        log = (tmp_path / "server.log").read_text()
        lines = [line for line in log.splitlines() if "object store port" in line]
        assert lines == [f"pocketstack: object store port 127.0.0.1:{port} is in use: the object store is served "
                         f"at {first.url}/object-store/v1 only"]
        assert all(u.startswith(f"{first.url}/object-store/v1/AUTH_") for u in _catalog_urls(first))
        token = first.token("pocketstack")
        account = f"{first.url}/object-store/v1/AUTH_{_project(first, token)}"
        assert httpx.put(f"{account}/kept", headers={"X-Auth-Token": token}).status_code == 201
        admin = first.token()
        services = httpx.get(f"{first.url}/identity/v3/services", params={"type": "placement"},
                             headers={"X-Auth-Token": admin}).json()["services"]
        assert httpx.delete(f"{first.url}/identity/v3/services/{services[0]['id']}",
                            headers={"X-Auth-Token": admin}).status_code == 204
    finally:
        stop_cloud(first)
        held.close()
    # the same data dir, the port free: the catalog follows; an operator's deletion stays
    main_port = int(first.url.rsplit(":", 1)[1])
    second = start_cloud(tmp_path, port=main_port, object_store_port=port)
    try:
        token = second.token("pocketstack")
        project = _project(second, token)
        assert _catalog_urls(second) == {f"http://127.0.0.1:{port}/v1/AUTH_{project}"}
        r = httpx.get(f"http://127.0.0.1:{port}/v1/AUTH_{project}", headers={"X-Auth-Token": token})
        assert r.status_code == 200 and "kept" in r.text.split()
        catalog = httpx.get(f"{second.url}/identity/v3/auth/catalog", headers={"X-Auth-Token": token}).json()
        assert "placement" not in {s["type"] for s in catalog["catalog"]}
    finally:
        stop_cloud(second)
    # a data dir from before the catalog was kept (no record of it): a missing service is added
    marker = _bootstrap_marker(tmp_path / "data")
    assert marker["catalog"]["object-store"] == f"http://127.0.0.1:{port}/v1/AUTH_$(project_id)s"
    with sqlite3.connect(tmp_path / "data" / "pocketstack.db") as db:
        del marker["catalog"]
        db.execute("UPDATE pocketstack_state SET value = ? WHERE key = 'bootstrap'", (json.dumps(marker),))
    third = start_cloud(tmp_path, port=main_port, object_store_port=0)
    try:
        token = third.token("pocketstack")
        catalog = httpx.get(f"{third.url}/identity/v3/auth/catalog", headers={"X-Auth-Token": token}).json()
        placement = [s for s in catalog["catalog"] if s["type"] == "placement"]
        assert [e["url"] for e in placement[0]["endpoints"]] == [f"{third.url}/placement"] * 3
        assert _bootstrap_marker(tmp_path / "data")["catalog"]["placement"] == f"{third.url}/placement"
    finally:
        stop_cloud(third)


def test_static_web_redirects_stay_on_the_listener(cloud, demo_token):
    """A static-web container asked for without its slash redirects to the path the client used: on the
    object store's own port that has no /object-store prefix (tempest's StaticWebTest)."""
    storage = f"{cloud.object_store_url}/v1/AUTH_{_project(cloud, demo_token)}"
    name = unique("web")
    auth = {"X-Auth-Token": demo_token}
    assert httpx.put(f"{storage}/{name}", headers={**auth, "X-Container-Read": ".r:*,.rlistings",
                                                   "X-Container-Meta-Web-Index": "index.html"}).status_code == 201
    assert httpx.put(f"{storage}/{name}/index.html", content=b"<p>hi</p>", headers=auth).status_code == 201
    r = httpx.get(f"{storage}/{name}")
    assert r.status_code == 301 and r.headers["Location"] == f"/v1/AUTH_{_project(cloud, demo_token)}/{name}/"
    r = httpx.get(f"{storage}/{name}", follow_redirects=True)
    assert r.status_code == 200 and r.content == b"<p>hi</p>"
    prefixed = f"{cloud.url}/object-store/v1/AUTH_{_project(cloud, demo_token)}/{name}"
    assert httpx.get(prefixed).headers["Location"].startswith("/object-store/v1/")
