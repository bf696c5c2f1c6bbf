"""Versions, schemas, info documents, the catalog entry and the bootstrap cirros image."""

from __future__ import annotations

import hashlib


def test_versions(http):
    r = http.get("/image/")
    assert r.status_code == 300
    ids = {v["id"]: v["status"] for v in r.json()["versions"]}
    assert ids["v2.17"] == "CURRENT" and "v2.0" in ids
    assert http.get("/image/versions").status_code == 200


def test_schemas(glance_demo):
    image = glance_demo.get("/v2/schemas/image").json()
    assert image["name"] == "image" and "disk_format" in image["properties"]
    assert image["additionalProperties"] == {"type": "string"}
    assert glance_demo.get("/v2/schemas/images").json()["name"] == "images"
    assert glance_demo.get("/v2/schemas/member").json()["name"] == "member"
    assert glance_demo.get("/v2/schemas/members").json()["name"] == "members"
    assert glance_demo.get("/v2/schemas/nope").status_code == 404


def test_info(glance_demo, glance_admin):
    stores = glance_demo.get("/v2/info/stores").json()["stores"]
    assert stores == [{"id": "file", "description": stores[0]["description"], "default": True}]
    assert glance_demo.get("/v2/info/stores/detail").status_code == 403
    assert glance_admin.get("/v2/info/stores/detail").status_code == 200
    usage = glance_demo.get("/v2/info/usage").json()["usage"]
    assert set(usage) == {"image_size_total", "image_stage_total", "image_count_total", "image_count_uploading"}


def test_catalog_has_image_endpoint(demo):
    assert demo.image.get_endpoint().rstrip("/").endswith("/image/v2")


def test_bootstrap_cirros_image(glance_demo):
    images = glance_demo.get("/v2/images", params={"name": "cirros-0.6.3-x86_64-disk"}).json()["images"]
    assert len(images) == 1
    image = images[0]
    assert image["visibility"] == "public" and image["status"] == "active"
    data = glance_demo.get(f"/v2/images/{image['id']}/file").content
    assert len(data) == image["size"] and data[510:512] == b"\x55\xaa"
    assert hashlib.md5(data).hexdigest() == image["checksum"]


def test_unauthenticated_requests_are_rejected(http):
    assert http.get("/image/v2/images").status_code == 401
