"""Versions, schemas, info documents, the catalog entry and the bootstrap cirros image."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest


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
    assert (image["disk_format"], image["container_format"]) == ("qcow2", "bare")
    assert image["virtual_size"] == 112 << 20
    data = glance_demo.get(f"/v2/images/{image['id']}/file").content
    assert len(data) == image["size"] and data[:4] == b"QFI\xfb"
    assert hashlib.md5(data).hexdigest() == image["checksum"]
    assert image["os_hash_algo"] == "sha512" and hashlib.sha512(data).hexdigest() == image["os_hash_value"]


def test_bootstrap_image_is_picked_as_openstacksdk_picks_one(demo):
    """openstacksdk's functional tests take the first cirros image whose disk_format is qcow2."""
    picked = [i for i in demo.image.images() if i.name.startswith("cirros") and i.disk_format == "qcow2"]
    assert [i.name for i in picked] == ["cirros-0.6.3-x86_64-disk"]
    assert picked[0].visibility == "public" and picked[0].container_format == "bare"


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img is not installed")
def test_bootstrap_image_is_a_qcow2_qemu_img_accepts(demo, tmp_path):
    image = next(demo.image.images(name="cirros-0.6.3-x86_64-disk"))
    path = tmp_path / "cirros.qcow2"
    with path.open("wb") as f:
        demo.image.download_image(image, output=f)
    check = subprocess.run(["qemu-img", "check", "--output=json", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["check-errors"] == 0
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(path)], capture_output=True,
                                     text=True, check=True).stdout)
    assert (info["format"], info["virtual-size"]) == ("qcow2", image.virtual_size)
    raw = tmp_path / "cirros.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(path), str(raw)], check=True)
    with raw.open("rb") as f:
        assert f.read(512)[510:512] == b"\x55\xaa"              # the boot sector is the disk's first


def test_unauthenticated_requests_are_rejected(http):
    assert http.get("/image/v2/images").status_code == 401
