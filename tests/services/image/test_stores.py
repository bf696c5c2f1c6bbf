"""Multiple stores: /v2/info/stores, X-Image-Meta-Store, import to stores, copy-image, delete from store.

A server of its own, configured with three stores (one read-only), as Glance's enabled_backends.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

import pytest

from tests.conftest import stop_cloud, unique
from tests.services.image.conftest import OCTET, Glance, start_image_cloud

STORES = [{"id": "fast", "description": "Fast", "default": True}, {"id": "cheap", "description": "Cheap",
                                                                    "weight": 5},
          {"id": "archive", "read_only": True}]


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    running = start_image_cloud(tmp_path_factory.mktemp("stores"), {
        "stores": STORES, "import_methods": ["glance-direct", "web-download", "copy-image", "glance-download"],
        "import_filtering": {"allowed_ports": []}})
    yield running
    stop_cloud(running)


@pytest.fixture(scope="module")
def admin(multi):
    return Glance(multi.url, multi.token())


@pytest.fixture(scope="module")
def demo(multi):
    return Glance(multi.url, multi.token("devstack"))


def wait(glance: Glance, image_id: str, until: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        image = glance.get(f"/v2/images/{image_id}").json()
        if until(image):
            return image
        time.sleep(0.2)
    raise AssertionError(f"image {image_id} never got there: {image}")


def blob(multi, store: str, image_id: str):
    return multi.data_dir / "blobs" / "image" / store / image_id


def test_info_stores(admin, demo):
    listed = demo.get("/v2/info/stores").json()["stores"]
    assert [s["id"] for s in listed] == ["fast", "cheap", "archive"]
    assert listed[0]["default"] is True and listed[2]["read-only"] == "true" and "default" not in listed[1]
    detail = admin.get("/v2/info/stores/detail").json()["stores"]
    assert detail[1]["weight"] == 5 and detail[0]["type"] == "file" and listed[1]["weight"] == 5
    assert demo.get("/v2/info/stores/detail").status_code == 403
    created = demo.post("/v2/images", json={"name": unique()})
    assert created.headers["OpenStack-image-store-ids"] == "fast,cheap,archive"


def test_upload_to_named_store_and_download(multi, demo):
    image = demo.create(name=unique())
    data = os.urandom(100_000)
    r = demo.put(f"/v2/images/{image['id']}/file", content=data, headers={**OCTET, "X-Image-Meta-Store": "cheap"})
    assert r.status_code == 204
    shown = demo.get(f"/v2/images/{image['id']}").json()
    assert shown["stores"] == "cheap" and shown["status"] == "active"
    assert blob(multi, "cheap", image["id"]).exists() and not blob(multi, "fast", image["id"]).exists()
    assert demo.get(f"/v2/images/{image['id']}/file").content == data
    other = demo.create(name=unique())
    r = demo.put(f"/v2/images/{other['id']}/file", content=b"x", headers={**OCTET, "X-Image-Meta-Store": "nope"})
    assert r.status_code == 400
    assert demo.get(f"/v2/images/{other['id']}").json()["status"] == "queued"
    assert demo.upload(other["id"], b"abc").status_code == 204                  # the default store
    assert demo.get(f"/v2/images/{other['id']}").json()["stores"] == "fast"
    demo.delete(f"/v2/images/{image['id']}")
    assert not blob(multi, "cheap", image["id"]).exists()


def stage(glance: Glance, data: bytes) -> str:
    image = glance.create(name=unique())
    assert glance.put(f"/v2/images/{image['id']}/stage", content=data, headers=OCTET).status_code == 204
    return image["id"]


def test_glance_direct_to_all_stores(multi, demo):
    data = os.urandom(50_000)
    image_id = stage(demo, data)
    r = demo.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}, "all_stores": True})
    assert r.status_code == 202
    image = wait(demo, image_id, lambda i: i["status"] == "active")
    assert image["stores"] == "cheap,fast"                                        # sorted; not the read-only one
    assert image["os_glance_importing_to_stores"] == "" and image["os_glance_failed_import"] == ""
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    assert blob(multi, "fast", image_id).read_bytes() == data == blob(multi, "cheap", image_id).read_bytes()
    assert not (multi.data_dir / "blobs" / "image" / "staging" / image_id).exists()
    tasks = demo.get(f"/v2/images/{image_id}/tasks").json()["tasks"]
    assert tasks[0]["status"] == "success" and tasks[0]["input"]["backend"] == ["fast", "cheap"]


def test_glance_direct_to_specific_store_and_bad_requests(demo):
    image_id = stage(demo, b"abc")
    url = f"/v2/images/{image_id}/import"
    body = {"method": {"name": "glance-direct"}}
    assert demo.post(url, json={**body, "stores": ["nope"]}).status_code == 409
    assert demo.post(url, json={**body, "all_stores": True, "stores": ["fast"]}).status_code == 400
    assert demo.post(url, json={**body, "stores": ["cheap"]}, headers={"X-Image-Meta-Store": "fast"}).status_code == 400
    assert demo.post(url, json={**body, "stores": ["cheap"]}).status_code == 202
    assert wait(demo, image_id, lambda i: i["status"] == "active")["stores"] == "cheap"


def test_copy_image_and_delete_from_store(multi, admin, demo):
    image = demo.create(name=unique())
    demo.upload(image["id"], b"copy me")
    url = f"/v2/images/{image['id']}/import"
    copy = {"method": {"name": "copy-image"}}
    assert demo.post(url, json={**copy, "stores": ["cheap"]}).status_code == 403      # admin only by default
    assert admin.post(url, json={**copy, "stores": ["fast"]}).status_code == 400      # already there
    assert admin.post(url, json={**copy, "all_stores": True, "all_stores_must_succeed": False}).status_code == 202
    shown = wait(demo, image["id"], lambda i: i.get("os_glance_importing_to_stores") == "")
    assert shown["stores"] == "cheap,fast" and shown["status"] == "active"
    assert blob(multi, "cheap", image["id"]).read_bytes() == b"copy me"
    # nothing left to copy: accepted, no task
    assert admin.post(url, json={**copy, "all_stores": True}).status_code == 202
    store_url = f"/v2/stores/fast/{image['id']}"
    assert demo.delete(store_url).status_code == 403
    assert admin.delete(f"/v2/stores/nope/{image['id']}").status_code == 409
    assert admin.delete(store_url).status_code == 204
    assert not blob(multi, "fast", image["id"]).exists()
    assert demo.get(f"/v2/images/{image['id']}").json()["stores"] == "cheap"
    assert demo.get(f"/v2/images/{image['id']}/file").content == b"copy me"
    assert admin.delete(store_url).status_code == 403                             # the only store left
    assert admin.delete(f"/v2/stores/fast/{unique()}").status_code == 404
    queued = demo.create(name=unique())
    assert admin.post(f"/v2/images/{queued['id']}/import", json=copy).status_code == 409


def test_glance_download_from_this_cloud(demo):
    src = demo.create(name=unique())
    demo.upload(src["id"], b"remote bytes")
    demo.patch_image(src["id"], [{"op": "add", "path": "/hw_cpu_cores", "value": "5"},
                                 {"op": "add", "path": "/speed", "value": "88mph"}])
    dst = demo.create(name=unique(), disk_format="iso", container_format="ovf")
    method = {"name": "glance-download", "glance_image_id": src["id"], "glance_region": "RegionOne",
              "glance_service_interface": "public"}
    url = f"/v2/images/{dst['id']}/import"
    assert demo.post(url, json={"method": {**method, "glance_image_id": "foo"}}).status_code == 400
    assert demo.post(url, json={"method": {"name": "glance-download", "glance_image_id": src["id"]}}
                     ).status_code == 400
    assert demo.post(url, json={"method": method}).status_code == 202
    image = wait(demo, dst["id"], lambda i: i["status"] in ("active", "queued") and
                 i.get("os_glance_importing_to_stores") == "")
    tasks = demo.get(f"/v2/images/{dst['id']}/tasks").json()["tasks"]
    assert image["status"] == "active", tasks
    assert image["disk_format"] == "raw" and image["container_format"] == "bare"
    assert image["hw_cpu_cores"] == "5" and "speed" not in image
    assert demo.get(f"/v2/images/{dst['id']}/file").content == b"remote bytes"
    bad = demo.create(name=unique())
    r = demo.post(f"/v2/images/{bad['id']}/import", json={"method": {**method, "glance_region": "nowhere"}})
    assert r.status_code == 202
    failed = wait(demo, bad["id"], lambda i: i.get("os_glance_failed_import"))
    assert failed["status"] == "queued"
    assert demo.get(f"/v2/images/{bad['id']}/tasks").json()["tasks"][0]["status"] == "failure"


def test_web_download(multi, demo):
    assert "web-download" in demo.get("/v2/info/import").json()["import-methods"]["value"]
    image = demo.create(name=unique())
    url = f"/v2/images/{image['id']}/import"
    for bad in ("http://does-not.exist/no/possible/way", "ftp://127.0.0.1/x", "not a uri", None):
        r = demo.post(url, json={"method": {"name": "web-download", "uri": bad}})
        assert r.status_code == 400 and "does not pass filtering" in r.json()["message"], bad
    r = demo.post(url, json={"method": {"name": "web-download", "uri": f"{multi.url}/healthcheck"}})
    assert r.status_code == 202
    shown = wait(demo, image["id"], lambda i: i["status"] == "active")
    assert demo.get(f"/v2/images/{image['id']}/file").content == b"OK" and shown["stores"] == "fast"
    assert not (multi.data_dir / "blobs" / "image" / "staging" / image["id"]).exists()
    missing = demo.create(name=unique())
    r = demo.post(f"/v2/images/{missing['id']}/import",
                  json={"method": {"name": "web-download", "uri": f"{multi.url}/no/such/file"}})
    assert r.status_code == 202
    failed = wait(demo, missing["id"], lambda i: i.get("os_glance_failed_import"))
    assert failed["status"] == "queued"
    task = demo.get(f"/v2/images/{missing['id']}/tasks").json()["tasks"][0]
    assert task["status"] == "failure" and "404" in task["message"]


def test_glance_direct_checks_the_format(demo):
    image = demo.create(name=unique(), disk_format="qcow2")
    assert demo.put(f"/v2/images/{image['id']}/stage", content=b"\0" * 4096, headers=OCTET).status_code == 204
    assert demo.post(f"/v2/images/{image['id']}/import", json={"method": {"name": "glance-direct"}}
                     ).status_code == 202
    failed = wait(demo, image["id"], lambda i: i.get("os_glance_failed_import"))
    assert failed["status"] == "queued"
    task = demo.get(f"/v2/images/{image['id']}/tasks").json()["tasks"][0]
    assert task["status"] == "failure" and "does not match" in task["message"]
