"""Image locations (Glance 2.17): GET for service users only; POST pointing a queued image at an http
URL the operator allows (a server on 127.0.0.1 here), read back through the http store."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time

import httpx
import pytest

from tests.conftest import free_port, start_cloud, stop_cloud, unique
from tests.services.image.conftest import Glance


def test_locations_for_service_users_only(cloud, glance_admin, glance_demo):
    image = glance_demo.create(name=unique("loc"))
    assert glance_admin.get(f"/v2/images/{image['id']}/locations").json() == []        # queued: no data
    assert glance_demo.upload(image["id"], b"located" * 100).status_code == 204
    r = glance_admin.get(f"/v2/images/{image['id']}/locations")
    assert r.status_code == 200, r.text
    (location,) = r.json()
    assert location["url"].startswith("file://") and location["url"].endswith(image["id"])
    with open(location["url"][len("file://"):], "rb") as f:
        assert f.read() == b"located" * 100
    assert location["metadata"]["store"]
    assert glance_demo.get(f"/v2/images/{image['id']}/locations").status_code == 403
    assert glance_admin.get("/v2/images/00000000-0000-0000-0000-000000000000/locations").status_code == 404
    assert httpx.get(f"{cloud.url}/image/v2/images/{image['id']}/locations").status_code == 401


# --- POST locations and the http store, on a cloud whose operator allows 127.0.0.1:<port> ----------
DATA = os.urandom(300_000)


@pytest.fixture(scope="module")
def http_site():
    port = free_port()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:   # noqa: N802 - http.server's name
            if self.path != "/image.raw":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA)

        def log_message(self, *args) -> None:
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="module")
def http_cloud(tmp_path_factory, http_site):
    port = int(http_site.rsplit(":", 1)[1])
    running = start_cloud(tmp_path_factory.mktemp("httpstore"), options={
        "image": {"import_filtering": {"allowed_hosts": ["127.0.0.1"], "allowed_ports": [port]}}})
    yield running
    stop_cloud(running)


def _task(glance, image_id: str) -> dict:
    deadline = time.time() + 60
    while True:
        tasks = glance.get(f"/v2/images/{image_id}/tasks").json()["tasks"]
        if tasks and tasks[0]["status"] in ("success", "failure"):
            return tasks[0]
        assert time.time() < deadline, tasks
        time.sleep(0.2)


def test_add_location_makes_an_http_store_image(http_cloud, http_site):
    demo = Glance(http_cloud.url, http_cloud.token("pocketstack"))
    admin = Glance(http_cloud.url, http_cloud.token("pocketstack-admin"))
    image = demo.create(name=unique("web"))
    sha256 = hashlib.sha256(DATA).hexdigest()
    r = demo.post(f"/v2/images/{image['id']}/locations", json={
        "url": f"{http_site}/image.raw", "validation_data": {"os_hash_algo": "sha256", "os_hash_value": sha256}})
    assert r.status_code == 202, r.text
    assert _task(demo, image["id"])["status"] == "success"
    shown = demo.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == len(DATA) and shown["os_hash_algo"] == "sha256"
    assert shown["os_hash_value"] == sha256 and shown["checksum"] == hashlib.md5(DATA).hexdigest()
    assert demo.get(f"/v2/images/{image['id']}/file").content == DATA            # read from the URL
    assert demo.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=10-19"}).content == DATA[10:20]
    assert admin.get(f"/v2/images/{image['id']}/locations").json() == [
        {"url": f"{http_site}/image.raw", "metadata": {}}]
    r = demo.post(f"/v2/images/{image['id']}/locations", json={"url": f"{http_site}/image.raw"})
    assert r.status_code == 409                                                      # not queued any more
    plain = demo.create(name=unique("web"))
    assert demo.post(f"/v2/images/{plain['id']}/locations", json={"url": f"{http_site}/image.raw"}).status_code == 202
    assert _task(demo, plain["id"])["status"] == "success"
    assert demo.get(f"/v2/images/{plain['id']}").json()["os_hash_value"] == hashlib.sha512(DATA).hexdigest()


def test_add_location_errors(http_cloud, http_site):
    demo = Glance(http_cloud.url, http_cloud.token("pocketstack"))
    alt = Glance(http_cloud.url, http_cloud.token("devstack-alt"))
    image = demo.create(name=unique("web"))
    url = f"{http_site}/image.raw"

    def add(body: dict, who=demo) -> httpx.Response:
        return who.post(f"/v2/images/{image['id']}/locations", json=body)
    assert add({"url": url, "validation_data": {"os_hash_algo": "sha512", "os_hash_value": "dbc9"}}).status_code == 400
    assert add({"url": url, "validation_data": {"os_hash_value": "ab" * 64}}).status_code == 400
    assert add({"url": url, "validation_data": {"os_hash_algo": "sha123", "os_hash_value": "ab"}}).status_code == 400
    assert add({"url": "http://127.0.0.1:1/image.raw"}).status_code == 400           # port not allowed
    assert add({"url": "file:///etc/passwd"}).status_code == 403                     # only http for users
    assert add({}).status_code == 400
    assert add({"url": url}, alt).status_code == 404
    assert httpx.post(f"{http_cloud.url}/image/v2/images/{image['id']}/locations", json={"url": url}).status_code == 401
    bad = add({"url": url, "validation_data": {"os_hash_algo": "sha512", "os_hash_value": "beefdead" * 16}})
    assert bad.status_code == 202 and _task(demo, image["id"])["status"] == "failure"
    shown = demo.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "queued" and shown["checksum"] is None and shown["stores"] == "web"
    assert demo.get(f"/v2/images/{image['id']}/file").status_code == 204
