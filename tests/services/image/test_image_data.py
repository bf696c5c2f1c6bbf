"""Image data: upload/download, ranges, interrupted uploads, staging and interoperable import."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
from urllib.parse import urlparse

from tests.conftest import unique
from tests.services.image.conftest import OCTET


def test_upload_states_and_conflicts(glance_demo):
    image_id = glance_demo.create()["id"]
    assert glance_demo.get(f"/v2/images/{image_id}/file").status_code == 204
    assert glance_demo.put(f"/v2/images/{image_id}/file", content=b"x",
                           headers={"Content-Type": "text/plain"}).status_code == 415
    assert glance_demo.upload(image_id, b"abc").status_code == 204
    assert glance_demo.upload(image_id, b"abc").status_code == 409
    no_format = glance_demo.post("/v2/images", json={}).json()["id"]
    assert glance_demo.upload(no_format, b"abc").status_code == 400


def test_download_headers_and_ranges(glance_demo):
    data = bytes(range(256)) * 40
    image_id = glance_demo.create()["id"]
    glance_demo.upload(image_id, data)
    r = glance_demo.get(f"/v2/images/{image_id}/file")
    assert r.content == data and r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-md5"] == hashlib.md5(data).hexdigest()
    r = glance_demo.get(f"/v2/images/{image_id}/file", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(data)}"
    r = glance_demo.get(f"/v2/images/{image_id}/file", headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == data[-5:]
    assert glance_demo.get(f"/v2/images/{image_id}/file", headers={"Range": f"bytes={len(data)}-"}) \
        .status_code == 416


def test_qcow2_virtual_size(glance_demo):
    header = b"QFI\xfb" + struct.pack(">I", 3) + b"\x00" * 16 + struct.pack(">Q", 1 << 30)
    image_id = glance_demo.create(disk_format="qcow2")["id"]
    glance_demo.upload(image_id, header + b"\x00" * 1000)
    assert glance_demo.get(f"/v2/images/{image_id}").json()["virtual_size"] == 1 << 30


def test_interrupted_upload_leaves_image_queued_without_a_file(glance_demo, cloud):
    image_id = glance_demo.create()["id"]
    url = urlparse(cloud.url)
    token = glance_demo.client.headers["X-Auth-Token"]
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall((f"PUT /image/v2/images/{image_id}/file HTTP/1.1\r\nHost: {url.netloc}\r\n"
                   f"X-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\n"
                   f"Content-Length: {50 * 1024 * 1024}\r\n\r\n").encode())
        s.sendall(b"x" * (2 * 1024 * 1024))
        deadline = time.time() + 10
        while glance_demo.get(f"/v2/images/{image_id}").json()["status"] != "saving":
            assert time.time() < deadline
            time.sleep(0.05)
    deadline = time.time() + 15
    while glance_demo.get(f"/v2/images/{image_id}").json()["status"] != "queued":
        assert time.time() < deadline, "image stuck in saving"
        time.sleep(0.1)
    store = cloud.data_dir / "blobs" / "image" / "file"
    assert not (store / image_id).exists()
    assert not list(store.glob(".tmp-*")) if store.exists() else True
    # and a later upload works
    assert glance_demo.upload(image_id, b"ok").status_code == 204


def test_glance_direct_import(glance_demo):
    info = glance_demo.get("/v2/info/import").json()
    assert "glance-direct" in info["import-methods"]["value"]
    image_id = glance_demo.create()["id"]
    r = glance_demo.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 409   # nothing staged yet
    assert glance_demo.put(f"/v2/images/{image_id}/stage", content=b"staged bytes", headers=OCTET) \
        .status_code == 204
    assert glance_demo.get(f"/v2/images/{image_id}").json()["status"] == "uploading"
    r = glance_demo.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 202, r.text
    deadline = time.time() + 15
    while (image := glance_demo.get(f"/v2/images/{image_id}").json())["status"] != "active":
        assert time.time() < deadline, image
        time.sleep(0.1)
    assert image["checksum"] == hashlib.md5(b"staged bytes").hexdigest()
    assert glance_demo.get(f"/v2/images/{image_id}/file").content == b"staged bytes"
    tasks = glance_demo.get(f"/v2/images/{image_id}/tasks").json()["tasks"]
    assert tasks and tasks[0]["status"] == "success"


def test_import_negative(glance_demo, glance_admin):
    image_id = glance_demo.create()["id"]
    assert glance_demo.post(f"/v2/images/{image_id}/import", json={"method": {"name": "web-download",
                            "uri": "http://example.com/x"}}).status_code == 400
    assert glance_demo.post(f"/v2/images/{image_id}/import", json={}).status_code == 400
    glance_demo.upload(image_id, b"abc")
    assert glance_demo.post(f"/v2/images/{image_id}/import", json={"method": {"name": "copy-image"}}) \
        .status_code == 403
    assert glance_admin.post(f"/v2/images/{image_id}/import", json={"method": {"name": "copy-image"},
                             "stores": ["nowhere"]}).status_code == 409


def test_legacy_import_task_fails_without_outside_network(glance_admin, glance_demo):
    body = {"type": "import", "input": {"import_from": "http://example.invalid/x.qcow2",
                                        "import_from_format": "qcow2",
                                        "image_properties": {"disk_format": "qcow2", "container_format": "bare"}}}
    assert glance_demo.post("/v2/tasks", json=body).status_code == 403
    r = glance_admin.post("/v2/tasks", json=body)
    assert r.status_code == 201, r.text
    deadline = time.time() + 15
    while (task := glance_admin.get(f"/v2/tasks/{r.json()['id']}").json())["status"] != "failure":
        assert time.time() < deadline, task
        time.sleep(0.1)
    assert "outside networks" in task["message"]


def test_empty_upload_makes_an_empty_active_image(glance_demo):
    image = glance_demo.create(name=unique())
    assert glance_demo.upload(image["id"], b"").status_code == 204
    shown = glance_demo.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == 0
    assert shown["checksum"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert glance_demo.get(f"/v2/images/{image['id']}/file").status_code in (200, 204)


def _vhd_footer(virtual: int) -> bytes:
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    footer[48:56] = struct.pack(">Q", virtual)
    return bytes(footer)


def test_upload_must_match_disk_format(glance_demo):
    """Glance's format inspection: bare data must be what disk_format says; raw takes anything."""
    liar = glance_demo.create(name=unique(), disk_format="qcow2")["id"]
    r = glance_demo.upload(liar, b"\0" * 4096)
    assert r.status_code == 400 and "does not match" in r.json()["message"]
    assert glance_demo.get(f"/v2/images/{liar}").json()["status"] == "queued"
    vhd = glance_demo.create(name=unique(), disk_format="vhd")["id"]
    assert glance_demo.upload(vhd, b"\0" * 1024 + _vhd_footer(5 << 30)).status_code == 204
    assert glance_demo.get(f"/v2/images/{vhd}").json()["virtual_size"] == 5 << 30
    qcow_in_raw = glance_demo.create(name=unique(), disk_format="raw")["id"]
    data = b"QFI\xfb" + b"\0" * 20 + struct.pack(">Q", 1 << 30) + b"\0" * 100
    assert glance_demo.upload(qcow_in_raw, data).status_code == 204                 # raw holds anything
    assert glance_demo.get(f"/v2/images/{qcow_in_raw}").json()["virtual_size"] == len(data)
    opaque = glance_demo.create(name=unique(), disk_format="ami")["id"]
    assert glance_demo.upload(opaque, b"kernel-ish bytes").status_code == 204
    not_bare = glance_demo.create(name=unique(), disk_format="vmdk", container_format="ova")["id"]
    assert glance_demo.upload(not_bare, b"an ova tarball").status_code == 204       # only bare is inspected
