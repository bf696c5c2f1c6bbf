"""Volume swap (PUT /servers/{id}/os-volume_attachments/{old} with another volumeId): refused unless
Cinder is migrating the old volume, then the new volume attached, the guest's data copied onto it, the
old one detached, Cinder's os-migrate_volume_completion, the block device mapping and instance action."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import unique
from tests.services.compute.conftest import IMAGE, wait_volume


@pytest.fixture(scope="module")
def volumes(cloud, demo_token, admin_token):
    project = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": demo_token, "X-Subject-Token": demo_token}).json()["token"]["project"]["id"]
    base = f"{cloud.url}/volume/v3/{project}"
    headers = {"OpenStack-API-Version": "volume 3.44"}
    return (httpx.Client(base_url=base, timeout=60, headers={"X-Auth-Token": demo_token, **headers}),
            httpx.Client(base_url=base, timeout=60, headers={"X-Auth-Token": admin_token, **headers}))


def _volume(cinder, **extra):
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": unique("vol"), **extra}}).json()["volume"]
    return wait_volume(cinder, vol["id"], "available")


def _path(admin_cinder, nova, sid, volume_id):
    """The volume's backing file, from Cinder's connection info of the server's attachment."""
    attachment = nova.get(f"/servers/{sid}/os-volume_attachments/{volume_id}").json()["volumeAttachment"]
    return admin_cinder.get(f"/attachments/{attachment['attachment_id']}").json()["attachment"][
        "connection_info"]["device_path"]


@pytest.fixture()
def attached(nova_demo, volumes):
    cinder, _ = volumes
    old, new = _volume(cinder, imageRef=IMAGE[0]), _volume(cinder)
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    r = nova_demo.post(f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": old["id"]}})
    assert r.status_code == 200, r.text
    wait_volume(cinder, old["id"], "in-use")
    yield sid, old["id"], new["id"]
    nova_demo.delete(f"/servers/{sid}")
    nova_demo.wait_gone(sid)
    for vol in (old, new):
        cinder.delete(f"/volumes/{vol['id']}")


def _put(nova, sid, old_id, new_id, version="2.96"):
    return nova.put(f"/servers/{sid}/os-volume_attachments/{old_id}", json={"volumeAttachment": {"volumeId": new_id}},
                    headers=nova.at(version))


def test_swap_refused_unless_cinder_migrates(nova_demo, nova_admin, volumes, attached):
    sid, old_id, new_id = attached
    cinder, _ = volumes
    assert _put(nova_demo, sid, old_id, new_id).status_code == 403        # the swap rule: service or admin
    r = _put(nova_admin, sid, old_id, new_id)
    assert r.status_code == 409 and "should only be called by Cinder" in r.text
    assert _put(nova_admin, sid, "00000000-0000-0000-0000-000000000000", new_id).status_code == 404
    listed = nova_demo.get(f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [old_id]
    assert cinder.get(f"/volumes/{new_id}").json()["volume"]["status"] == "available"
    # before 2.85 the body holds volumeId only
    body = {"volumeAttachment": {"volumeId": old_id, "delete_on_termination": True}}
    assert nova_demo.put(f"/servers/{sid}/os-volume_attachments/{old_id}", json=body,
                         headers=nova_demo.at("2.84")).status_code == 400
    # from 2.85 the same volume id only updates the mapping, under the update rule
    r = nova_demo.put(f"/servers/{sid}/os-volume_attachments/{old_id}", json=body, headers=nova_demo.at("2.85"))
    assert r.status_code == 202, r.text
    assert nova_demo.get(f"/servers/{sid}/os-volume_attachments/{old_id}", headers=nova_demo.at("2.85")).json()[
        "volumeAttachment"]["delete_on_termination"] is True
    body["volumeAttachment"]["device"] = "/dev/vdz"
    assert nova_demo.put(f"/servers/{sid}/os-volume_attachments/{old_id}", json=body,
                         headers=nova_demo.at("2.85")).status_code == 400


def test_swap_during_cinder_migration_keeps_the_volume_id(nova_demo, nova_admin, volumes, attached):
    sid, old_id, new_id = attached
    cinder, admin_cinder = volumes
    original = open(_path(admin_cinder, nova_demo, sid, old_id), "rb").read()
    assert admin_cinder.post(f"/volumes/{old_id}/action",
                             json={"os-reset_status": {"migration_status": "migrating"}}).status_code == 202
    small = _volume(cinder, size=1)
    assert _put(nova_admin, sid, old_id, "00000000-0000-0000-0000-000000000000").status_code == 400
    cinder.delete(f"/volumes/{small['id']}")
    r = _put(nova_admin, sid, old_id, new_id)
    assert r.status_code == 202, r.text
    # Cinder's completion: the data lives on under the old id; the copy's record is gone
    listed = nova_demo.get(f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [old_id]
    wait_volume(cinder, old_id, "in-use")
    assert admin_cinder.get(f"/volumes/{old_id}").json()["volume"]["os-vol-mig-status-attr:migstat"] == "success"
    assert open(_path(admin_cinder, nova_demo, sid, old_id), "rb").read() == original
    for _ in range(100):
        if cinder.get(f"/volumes/{new_id}").status_code == 404:
            break
        time.sleep(0.1)
    assert cinder.get(f"/volumes/{new_id}").status_code == 404
    actions = nova_demo.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert "swap_volume" in [a["action"] for a in actions]


def test_swap_outside_a_migration_moves_the_data_to_the_new_volume(nova_demo, nova_admin, volumes, attached):
    sid, old_id, new_id = attached
    cinder, admin_cinder = volumes
    original = open(_path(admin_cinder, nova_demo, sid, old_id), "rb").read()
    assert admin_cinder.post(f"/volumes/{old_id}/action",
                             json={"os-reset_status": {"migration_status": "starting"}}).status_code == 202
    r = _put(nova_admin, sid, old_id, new_id)
    assert r.status_code == 202, r.text
    listed = nova_demo.get(f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [new_id]
    wait_volume(cinder, new_id, "in-use")
    wait_volume(cinder, old_id, "available")
    assert open(_path(admin_cinder, nova_demo, sid, new_id), "rb").read()[:len(original)] == original
    shown = nova_demo.show(sid)["os-extended-volumes:volumes_attached"]
    assert [v["id"] for v in shown] == [new_id]
    # the swapped-to volume detaches as any other
    assert nova_demo.delete(f"/servers/{sid}/os-volume_attachments/{new_id}").status_code == 202
    wait_volume(cinder, new_id, "available")
