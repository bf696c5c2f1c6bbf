"""Rescue with a rescue image (rescue_image_ref), and stable device rescue: an image with hw_rescue_device and
hw_rescue_bus keeps the server's disks attached, and is what a volume-backed server needs (from 2.87)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import unique
from tests.services.compute.conftest import boot_from_volume, wait_volume

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def rescue_images(cloud, demo_token):
    glance = httpx.Client(base_url=cloud.url + "/image/v2", timeout=60, headers={"X-Auth-Token": demo_token})
    made = {}
    for name, props in (("stable", {"hw_rescue_device": "disk", "hw_rescue_bus": "virtio"}), ("plain", {})):
        image = glance.post("/images", json={"name": unique("rescue"), "disk_format": "raw",
                                             "container_format": "bare", **props}).json()
        assert glance.put(f"/images/{image['id']}/file", content=b"\1" * 512,
                          headers={"Content-Type": "application/octet-stream"}).status_code == 204
        made[name] = image["id"]
    yield made
    for image_id in made.values():
        glance.delete(f"/images/{image_id}")


def _rescue(nova, sid, version, **body):
    return nova.action(sid, {"rescue": body or None}, headers=nova.at(version))


def test_rescue_with_a_rescue_image(nova_demo, nova_alt, rescue_images):
    sid = nova_demo.boot()["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        assert _rescue(nova_demo, sid, "2.1", rescue_image_ref="not-a-uuid").status_code == 400
        assert _rescue(nova_demo, sid, "2.1", bogus="x").status_code == 400
        missing = _rescue(nova_demo, sid, "2.1", rescue_image_ref=MISSING)
        assert missing.status_code == 400 and f"Requested rescue image '{MISSING}' is not supported" in missing.text
        assert _rescue(nova_alt, sid, "2.87", rescue_image_ref=rescue_images["stable"]).status_code == 404
        r = _rescue(nova_demo, sid, "2.87", rescue_image_ref=rescue_images["stable"], adminPass="s3cret-pass")
        assert r.status_code == 200 and r.json() == {"adminPass": "s3cret-pass"}
        nova_demo.wait(sid, "RESCUE")
        assert _rescue(nova_demo, sid, "2.87").status_code == 409        # already rescued
        actions = nova_demo.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
        assert actions[0]["action"] == "rescue"
        assert nova_demo.action(sid, {"unrescue": None}).status_code == 202
        nova_demo.wait(sid, "ACTIVE")
    finally:
        nova_demo.delete(f"/servers/{sid}")


def test_volume_backed_rescue_needs_2_87_and_a_stable_image(nova_demo, rescue_images):
    r = boot_from_volume(nova_demo)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    try:
        nova_demo.wait(sid, "ACTIVE", timeout=60)
        old = _rescue(nova_demo, sid, "2.86", rescue_image_ref=rescue_images["stable"])
        assert old.status_code == 400 and "Cannot rescue a volume-backed instance" in old.text
        plain = _rescue(nova_demo, sid, "2.87", rescue_image_ref=rescue_images["plain"])
        assert plain.status_code == 400 and "Cannot rescue a volume-backed instance" in plain.text
        assert _rescue(nova_demo, sid, "2.87").status_code == 400      # the server's own image: no rescue props
        ok = _rescue(nova_demo, sid, "2.87", rescue_image_ref=rescue_images["stable"])
        assert ok.status_code == 200, ok.text
        server = nova_demo.wait(sid, "RESCUE")
        assert len(server["os-extended-volumes:volumes_attached"]) == 1        # the root volume stays attached
        assert nova_demo.action(sid, {"unrescue": None}).status_code == 202
        nova_demo.wait(sid, "ACTIVE")
    finally:
        nova_demo.delete(f"/servers/{sid}")
        nova_demo.wait_gone(sid)


def test_rescue_refused_while_a_volume_is_not_in_use(nova_demo, cloud, demo_token, admin_token):
    project = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": demo_token, "X-Subject-Token": demo_token}).json()["token"]["project"]["id"]
    base = f"{cloud.url}/volume/v3/{project}"
    cinder = httpx.Client(base_url=base, timeout=60, headers={"X-Auth-Token": demo_token})
    admin = httpx.Client(base_url=base, timeout=60, headers={"X-Auth-Token": admin_token})
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": unique("vol")}}).json()["volume"]
    wait_volume(cinder, vol["id"], "available")
    sid = nova_demo.boot()["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        assert nova_demo.post(f"/servers/{sid}/os-volume_attachments",
                              json={"volumeAttachment": {"volumeId": vol["id"]}}).status_code == 200
        wait_volume(cinder, vol["id"], "in-use")
        # nova's _check_volume_status: a held volume Cinder no longer calls in-use stops the rescue
        assert admin.post(f"/volumes/{vol['id']}/action",
                          json={"os-reset_status": {"status": "error"}}).status_code == 202
        r = _rescue(nova_demo, sid, "2.87")
        assert r.status_code == 409 and "status must be 'in-use'" in r.text
        assert admin.post(f"/volumes/{vol['id']}/action",
                          json={"os-reset_status": {"status": "in-use"}}).status_code == 202
        assert _rescue(nova_demo, sid, "2.87").status_code == 200
        nova_demo.wait(sid, "RESCUE")
    finally:
        nova_demo.delete(f"/servers/{sid}")
        nova_demo.wait_gone(sid)
        cinder.delete(f"/volumes/{vol['id']}")
