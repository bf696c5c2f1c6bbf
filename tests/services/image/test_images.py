"""Images over HTTP and through the openstack CLI: create, show, update, delete, list, tags, actions."""

from __future__ import annotations

import hashlib
import os

from tests.conftest import unique
from tests.services.image.conftest import PATCH


def test_cli_create_with_file_and_save_round_trip(cli, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    src, dst = tmp_path / "in.img", tmp_path / "out.img"
    src.write_bytes(data)
    name = unique("img")
    image = cli("image", "create", "--file", str(src), "--disk-format", "raw", "--container-format", "bare",
                "--property", "hw_disk_bus=scsi", "--tag", "t1", name)
    assert image["status"] == "active" and image["size"] == len(data)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    cli("image", "save", "--file", str(dst), image["id"])
    assert dst.read_bytes() == data
    shown = cli("image", "show", image["id"])
    assert shown["properties"]["hw_disk_bus"] == "scsi"
    assert shown["properties"]["os_hash_algo"] == "sha512"
    assert shown["properties"]["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["virtual_size"] == len(data)
    cli("image", "delete", image["id"])
    assert cli("image", "show", image["id"], check=False).returncode != 0


def test_create_defaults_and_custom_properties(glance_demo):
    image = glance_demo.create(name=unique(), os_distro="cirros", min_ram=64)
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["os_distro"] == "cirros" and image["min_ram"] == 64 and image["min_disk"] == 0
    assert image["size"] is None and image["checksum"] is None and image["protected"] is False
    assert image["self"] == f"/v2/images/{image['id']}" and image["schema"] == "/v2/schemas/image"


def test_create_with_id_and_conflict(glance_demo):
    import uuid
    image_id = str(uuid.uuid4())
    assert glance_demo.create(id=image_id)["id"] == image_id
    r = glance_demo.post("/v2/images", json={"id": image_id})
    assert r.status_code == 409


def test_create_negative(glance_demo):
    assert glance_demo.post("/v2/images", json={"status": "active"}).status_code == 403
    assert glance_demo.post("/v2/images", json={"self": "x"}).status_code == 403
    assert glance_demo.post("/v2/images", json={"deleted": "x"}).status_code == 403
    assert glance_demo.post("/v2/images", json={"os_glance_x": "y"}).status_code == 403
    assert glance_demo.post("/v2/images", json={"disk_format": "floppy"}).status_code == 400
    assert glance_demo.post("/v2/images", json={"name": "x" * 256}).status_code == 400
    assert glance_demo.post("/v2/images", json={"prop": 5}).status_code == 400
    assert glance_demo.post("/v2/images", json={"visibility": "public"}).status_code == 403
    assert glance_demo.post("/v2/images", json={"owner": "someone-else"}).status_code == 403


def test_error_body_is_webob_json(glance_demo):
    r = glance_demo.get("/v2/images/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "404 Not Found" and body["title"] == "Not Found"
    assert body["message"].startswith("No image found with ID 00000000-0000-0000-0000-000000000000")


def test_patch_properties(glance_demo):
    image = glance_demo.create(name="before", extra="1")
    r = glance_demo.patch_image(image["id"], [
        {"op": "replace", "path": "/name", "value": "after"},
        {"op": "add", "path": "/new_prop", "value": "v"},
        {"op": "replace", "path": "/extra", "value": "2"},
        {"op": "add", "path": "/tags", "value": ["x", "y"]},
        {"op": "replace", "path": "/min_disk", "value": 1}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["new_prop"], body["extra"], body["tags"], body["min_disk"]) == \
        ("after", "v", "2", ["x", "y"], 1)
    r = glance_demo.patch_image(image["id"], [{"op": "remove", "path": "/new_prop"}])
    assert "new_prop" not in r.json()


def test_patch_negative(glance_demo):
    image_id = glance_demo.create()["id"]
    assert glance_demo.patch(f"/v2/images/{image_id}", json=[]).status_code == 415
    assert glance_demo.patch_image(image_id, [{"op": "replace", "path": "/status", "value": "active"}]) \
        .status_code == 403
    assert glance_demo.patch_image(image_id, [{"op": "replace", "path": "/id", "value": "x"}]).status_code == 403
    assert glance_demo.patch_image(image_id, [{"op": "replace", "path": "/missing", "value": "x"}]) \
        .status_code == 409
    assert glance_demo.patch_image(image_id, [{"op": "remove", "path": "/missing"}]).status_code == 409
    assert glance_demo.patch_image(image_id, [{"op": "remove", "path": "/name"}]).status_code == 403
    assert glance_demo.patch_image(image_id, [{"op": "move", "path": "/name"}]).status_code == 400
    assert glance_demo.patch_image(image_id, [{"op": "replace", "path": "/visibility", "value": "public"}]) \
        .status_code == 403
    assert glance_demo.patch_image(image_id, {"op": "x"}).status_code == 400


def test_protected_image_cannot_be_deleted(glance_demo):
    image_id = glance_demo.create(protected=True)["id"]
    assert glance_demo.delete(f"/v2/images/{image_id}").status_code == 403
    glance_demo.patch_image(image_id, [{"op": "replace", "path": "/protected", "value": False}])
    assert glance_demo.delete(f"/v2/images/{image_id}").status_code == 204
    assert glance_demo.get(f"/v2/images/{image_id}").status_code == 404


def test_tags(glance_demo):
    image_id = glance_demo.create()["id"]
    assert glance_demo.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert glance_demo.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert glance_demo.get(f"/v2/images/{image_id}").json()["tags"] == ["blue"]
    assert glance_demo.delete(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert glance_demo.delete(f"/v2/images/{image_id}/tags/blue").status_code == 404


def test_private_images_are_invisible_to_others(glance_demo, glance_alt, glance_admin):
    image_id = glance_demo.create(visibility="private")["id"]
    assert glance_alt.get(f"/v2/images/{image_id}").status_code == 404
    assert glance_alt.delete(f"/v2/images/{image_id}").status_code == 404
    assert glance_admin.get(f"/v2/images/{image_id}").status_code == 200
    ids = [i["id"] for i in glance_alt.get("/v2/images", params={"limit": 1000}).json()["images"]]
    assert image_id not in ids


def test_public_image_needs_admin_and_is_visible_to_all(glance_admin, glance_alt):
    image = glance_admin.create(visibility="public", name=unique())
    assert glance_alt.get(f"/v2/images/{image['id']}").status_code == 200
    assert glance_alt.delete(f"/v2/images/{image['id']}").status_code == 403
    assert glance_alt.patch_image(image["id"], [{"op": "replace", "path": "/name", "value": "x"}]) \
        .status_code == 403


def test_community_images(glance_demo, glance_alt):
    image = glance_demo.create(visibility="community", name=unique())
    assert glance_alt.get(f"/v2/images/{image['id']}").status_code == 200
    default = [i["id"] for i in glance_alt.get("/v2/images", params={"limit": 1000}).json()["images"]]
    community = [i["id"] for i in glance_alt.get("/v2/images", params={"visibility": "community"}).json()["images"]]
    assert image["id"] not in default and image["id"] in community


def test_deactivate_reactivate(glance_admin, glance_demo):
    image_id = glance_demo.create()["id"]
    assert glance_demo.post(f"/v2/images/{image_id}/actions/deactivate").status_code == 400  # queued
    assert glance_demo.upload(image_id, b"data").status_code == 204
    assert glance_demo.post(f"/v2/images/{image_id}/actions/deactivate").status_code == 204
    assert glance_demo.get(f"/v2/images/{image_id}").json()["status"] == "deactivated"
    assert glance_demo.get(f"/v2/images/{image_id}/file").status_code == 403
    assert glance_admin.get(f"/v2/images/{image_id}/file").content == b"data"
    assert glance_demo.post(f"/v2/images/{image_id}/actions/reactivate").status_code == 204
    assert glance_demo.get(f"/v2/images/{image_id}/file").content == b"data"


def test_hidden_images(glance_demo):
    image_id = glance_demo.create(os_hidden=True)["id"]
    default = [i["id"] for i in glance_demo.get("/v2/images", params={"limit": 1000}).json()["images"]]
    hidden = [i["id"] for i in glance_demo.get("/v2/images", params={"os_hidden": "true"}).json()["images"]]
    assert image_id not in default and image_id in hidden


def test_patch_accepts_draft_4(glance_demo):
    image_id = glance_demo.create()["id"]
    r = glance_demo.patch(f"/v2/images/{image_id}", json=[{"replace": "/name", "value": "d4"}],
                          headers={"Content-Type": "application/openstack-images-v2.0-json-patch"})
    assert r.status_code == 200 and r.json()["name"] == "d4"
    assert PATCH.endswith("v2.1-json-patch")


def test_empty_image_id_is_not_found(glance_demo):
    assert glance_demo.get("/v2/images/").status_code == 404
    assert glance_demo.delete("/v2/images/").status_code == 404
