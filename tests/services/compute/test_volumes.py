"""Volume attachments and boot from volume, through the block storage service's REST API."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.conftest import unique
from tests.services.compute.conftest import boot_from_volume, wait_volume


@pytest.fixture(scope="module")
def cinder(cloud, demo_token):
    token = demo_token
    project = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    client = httpx.Client(base_url=f"{cloud.url}/volume/v3/{project}", timeout=60,
                          headers={"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.44"})
    if client.get("/volumes").status_code != 200:
        pytest.skip("no block storage service")
    return client


def test_attach_and_detach(nova_demo, nova_admin, cinder):
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": unique("vol")}}).json()["volume"]
    wait_volume(cinder, vol["id"], "available")
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    r = nova_demo.post(f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vol["id"]}})
    assert r.status_code == 200, r.text
    att = r.json()["volumeAttachment"]
    assert att["device"] == "/dev/vdb" and att["volumeId"] == vol["id"] and att["attachment_id"]
    assert wait_volume(cinder, vol["id"], "in-use")["attachments"][0]["server_id"] == sid
    assert nova_demo.show(sid)["os-extended-volumes:volumes_attached"] == [
        {"id": vol["id"], "delete_on_termination": False}]
    again = nova_demo.post(f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vol["id"]}})
    assert again.status_code == 400
    missing = nova_demo.post(f"/servers/{sid}/os-volume_attachments",
                             json={"volumeAttachment": {"volumeId": "00000000-0000-0000-0000-000000000000"}})
    assert missing.status_code == 404
    listed = nova_demo.get(f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [vol["id"]]
    _assisted_snapshots(nova_demo, nova_admin, vol["id"])
    assert nova_demo.delete(f"/servers/{sid}/os-volume_attachments/{vol['id']}").status_code == 202
    wait_volume(cinder, vol["id"], "available")
    assert nova_demo.get(f"/servers/{sid}/os-volume_attachments/{vol['id']}").status_code == 404
    nova_demo.delete(f"/servers/{sid}")
    nova_demo.wait_gone(sid)
    cinder.delete(f"/volumes/{vol['id']}")


def _assisted_snapshots(nova_demo, nova_admin, volume_id):
    """os-assisted-volume-snapshots, as a file-based Cinder driver calls it (service or admin only)."""
    body = {"snapshot": {"volume_id": volume_id, "create_info": {"snapshot_id": unique("s"), "type": "qcow2",
                                                                  "new_file": "new_file", "id": "snap-1"}}}
    assert nova_demo.post("/os-assisted-volume-snapshots", json=body).status_code == 403
    r = nova_admin.post("/os-assisted-volume-snapshots", json=body)
    assert r.status_code == 200 and r.json() == {"snapshot": {"id": "snap-1", "volumeId": volume_id}}
    info = {"delete_info": '{"volume_id": "%s"}' % volume_id}
    assert nova_admin.delete("/os-assisted-volume-snapshots/snap-1", params=info).status_code == 204
    assert nova_admin.delete("/os-assisted-volume-snapshots/snap-1").status_code == 400
    assert nova_admin.delete("/os-assisted-volume-snapshots/snap-1", params={"delete_info": "{"}).status_code == 400
    loose = {"snapshot": {**body["snapshot"], "volume_id": "00000000-0000-0000-0000-000000000000"}}
    assert nova_admin.post("/os-assisted-volume-snapshots", json=loose).status_code == 400
    wrong = {"snapshot": {"volume_id": volume_id, "create_info": {"snapshot_id": "x", "type": "raw",
                                                                   "new_file": "f"}}}
    assert nova_admin.post("/os-assisted-volume-snapshots", json=wrong).status_code == 400


def test_boot_from_volume(nova_demo, cinder):
    r = boot_from_volume(nova_demo)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    server = nova_demo.wait(sid, "ACTIVE", timeout=60)
    assert server["image"] == ""
    (attached,) = server["os-extended-volumes:volumes_attached"]
    vol = wait_volume(cinder, attached["id"], "in-use")
    assert vol["bootable"] == "true"
    assert nova_demo.delete(f"/servers/{sid}/os-volume_attachments/{attached['id']}").status_code == 400
    nova_demo.delete(f"/servers/{sid}")
    nova_demo.wait_gone(sid)
    for _ in range(100):
        if cinder.get(f"/volumes/{attached['id']}").status_code == 404:
            break
        time.sleep(0.1)
    assert cinder.get(f"/volumes/{attached['id']}").status_code == 404
    bad = boot_from_volume(nova_demo, volume_size=None)      # an image's volume needs a size
    assert bad.status_code == 400


def test_volume_proxy(nova_demo, cinder):
    old = nova_demo.at("2.35")
    r = nova_demo.post("/os-volumes", headers=old, json={"volume": {"size": 1, "display_name": unique("pv")}})
    assert r.status_code == 200, r.text
    vol = r.json()["volume"]
    assert vol["size"] == 1 and vol["attachments"] == [{}]
    wait_volume(cinder, vol["id"], "available")
    assert nova_demo.get(f"/os-volumes/{vol['id']}", headers=old).json()["volume"]["status"] == "available"
    assert vol["id"] in [v["id"] for v in nova_demo.get("/os-volumes/detail", headers=old).json()["volumes"]]
    assert nova_demo.get("/os-volumes/00000000-0000-0000-0000-000000000000", headers=old).status_code == 404
    assert nova_demo.delete(f"/os-volumes/{vol['id']}", headers=old).status_code == 202
    assert nova_demo.get("/os-volumes", headers=nova_demo.at("2.36")).status_code == 404


def test_extend_attached_volume_tells_compute(nova_demo, nova_admin, cinder):
    """volume 3.42: an in-use volume grows; block storage sends compute the volume-extended event and the
    server gets an extend_volume action with a successful compute_extend_volume event (as tempest waits for)."""
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": unique("vol")}}).json()["volume"]
    wait_volume(cinder, vol["id"], "available")
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    assert nova_demo.post(f"/servers/{sid}/os-volume_attachments",
                          json={"volumeAttachment": {"volumeId": vol["id"]}}).status_code == 200
    wait_volume(cinder, vol["id"], "in-use")
    old = cinder.post(f"/volumes/{vol['id']}/action", json={"os-extend": {"new_size": 2}},
                      headers={"OpenStack-API-Version": "volume 3.41"})
    assert old.status_code == 400                                  # in-use needs 3.42
    r = cinder.post(f"/volumes/{vol['id']}/action", json={"os-extend": {"new_size": 2}},
                    headers={"OpenStack-API-Version": "volume 3.42"})
    assert r.status_code == 202, r.text
    assert wait_volume(cinder, vol["id"], "in-use")["size"] == 2
    for _ in range(100):
        actions = nova_demo.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
        extend = [a for a in actions if a["action"] == "extend_volume"]
        if extend:
            break
        time.sleep(0.1)
    (action,) = extend
    shown = nova_admin.get(f"/servers/{sid}/os-instance-actions/{action['request_id']}").json()["instanceAction"]
    (event,) = shown["events"]
    assert event["event"] == "compute_extend_volume" and event["result"] == "Success" and event["finish_time"]
    # the event straight from a caller, for a volume that is not attached: nova's compute fails it
    events = {"events": [{"name": "volume-extended", "server_uuid": sid, "tag": unique("v")}]}
    assert nova_demo.post("/os-server-external-events", json=events).status_code == 403
    assert nova_admin.post("/os-server-external-events", json=events).status_code == 200
    actions = nova_admin.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert len([a for a in actions if a["action"] == "extend_volume"]) == 2
    nova_demo.delete(f"/servers/{sid}")
    nova_demo.wait_gone(sid)
    cinder.delete(f"/volumes/{vol['id']}")


def _bfv(nova_demo, bdm: dict, **server) -> dict:
    r = nova_demo.post("/servers", json={"server": {
        "name": unique("bfv"), "flavorRef": "1", "networks": "none", **server,
        "block_device_mapping_v2": [{"boot_index": 0, "destination_type": "volume", **bdm}]}})
    assert r.status_code == 202, r.text
    return nova_demo.wait(r.json()["server"]["id"], "ACTIVE", timeout=60)


def _wait_gone_volume(cinder, volume_id: str) -> None:
    for _ in range(200):
        if cinder.get(f"/volumes/{volume_id}").status_code == 404:
            return
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} was not deleted")


def test_boot_from_volume_snapshot(nova_demo, cinder):
    """source_type snapshot, destination volume: nova creates the volume from the snapshot (Tempest's
    test_create_server_from_volume_snapshot)."""
    from tests.services.compute.conftest import IMAGE
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "imageRef": IMAGE[0]}}).json()["volume"]
    wait_volume(cinder, vol["id"], "available")
    snap = cinder.post("/snapshots", json={"snapshot": {"volume_id": vol["id"]}}).json()["snapshot"]
    for _ in range(100):
        if cinder.get(f"/snapshots/{snap['id']}").json()["snapshot"]["status"] == "available":
            break
        time.sleep(0.1)
    server = _bfv(nova_demo, {"uuid": snap["id"], "source_type": "snapshot", "volume_size": 2,
                              "delete_on_termination": True})
    (attached,) = server["os-extended-volumes:volumes_attached"]
    made = wait_volume(cinder, attached["id"], "in-use")
    assert made["snapshot_id"] == snap["id"] and made["size"] == 2 and made["bootable"] == "true"
    assert made["volume_image_metadata"]["image_id"] == IMAGE[0]
    nova_demo.delete(f"/servers/{server['id']}")
    nova_demo.wait_gone(server["id"])
    _wait_gone_volume(cinder, made["id"])
    missing = nova_demo.post("/servers", json={"server": {
        "name": unique("bfv"), "flavorRef": "1", "networks": "none",
        "block_device_mapping_v2": [{"boot_index": 0, "uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                                     "source_type": "snapshot", "destination_type": "volume"}]}})
    assert missing.status_code == 400 and "failed to get snapshot" in missing.text
    cinder.delete(f"/snapshots/{snap['id']}")


def test_create_image_of_volume_backed_server_defines_its_mapping(nova_demo, cinder, cloud, demo_token):
    """createImage of a volume-backed server (nova's snapshot_volume_backed): a volume snapshot and an
    active image with no bytes whose block_device_mapping names it; booting that image makes a volume
    from the snapshot (Tempest's test_image_defined_boot_from_volume)."""
    from tests.services.compute.conftest import IMAGE
    first = _bfv(nova_demo, {"uuid": IMAGE[0], "source_type": "image", "volume_size": 1,
                             "delete_on_termination": True})
    r = nova_demo.post(f"/servers/{first['id']}/action", json={"createImage": {
        "name": unique("vbimg"), "metadata": {"purpose": "test"}}})
    assert r.status_code == 202, r.text
    glance = httpx.Client(base_url=f"{cloud.url}/image/v2", headers={"X-Auth-Token": demo_token}, timeout=30)
    image = glance.get(f"/images/{r.json()['image_id']}").json()
    assert image["status"] == "active" and image["size"] == 0 and image["purpose"] == "test"
    assert image["bdm_v2"] == "True" and image["root_device_name"] == "/dev/vda"
    (bdm,) = json.loads(image["block_device_mapping"])
    assert bdm["source_type"] == "snapshot" and bdm["destination_type"] == "volume" and bdm["boot_index"] == 0
    assert bdm["delete_on_termination"] is True and bdm["volume_size"] == 1
    assert bdm["device_name"] == "/dev/vda"
    snap = cinder.get(f"/snapshots/{bdm['snapshot_id']}").json()["snapshot"]
    assert snap["volume_id"] == first["os-extended-volumes:volumes_attached"][0]["id"]
    for _ in range(100):
        if cinder.get(f"/snapshots/{snap['id']}").json()["snapshot"]["status"] == "available":
            break
        time.sleep(0.1)
    second = nova_demo.boot(imageRef=image["id"])
    second = nova_demo.wait(second["id"], "ACTIVE", timeout=60)
    (attached,) = second["os-extended-volumes:volumes_attached"]
    made = wait_volume(cinder, attached["id"], "in-use")
    assert made["snapshot_id"] == snap["id"] and made["attachments"][0]["server_id"] == second["id"]
    assert made["volume_image_metadata"]["image_id"] == IMAGE[0]
    nova_demo.delete(f"/servers/{second['id']}")
    nova_demo.wait_gone(second["id"])
    _wait_gone_volume(cinder, made["id"])            # the image's mapping said delete_on_termination
    cinder.delete(f"/snapshots/{snap['id']}")
    glance.delete(f"/images/{image['id']}")
    nova_demo.delete(f"/servers/{first['id']}")
    nova_demo.wait_gone(first["id"])


def test_rebuild_volume_backed_server_reimages_its_root_volume(nova_demo, cinder, cloud, demo_token):
    """Nova 2.93: rebuilding a volume-backed server rewrites its root volume with the new image (cinder's
    os-reimage of the volume reserved for it) and the volume is attached again; the server still shows no
    image. Before 2.93 only the same image is accepted (Tempest's ServerActionsV293TestJSON)."""
    from tests.services.compute.conftest import IMAGE
    glance = httpx.Client(base_url=f"{cloud.url}/image/v2", headers={"X-Auth-Token": demo_token}, timeout=30)
    other = glance.post("/images", json={"name": unique("img"), "disk_format": "raw",
                                         "container_format": "bare"}).json()["id"]
    assert glance.put(f"/images/{other}/file", content=b"\1" * 4096,
                      headers={"Content-Type": "application/octet-stream"}).status_code == 204
    server = _bfv(nova_demo, {"uuid": IMAGE[0], "source_type": "image", "volume_size": 1,
                              "delete_on_termination": True})
    (attached,) = server["os-extended-volumes:volumes_attached"]
    old = nova_demo.action(server["id"], {"rebuild": {"imageRef": other}}, headers=nova_demo.at("2.92"))
    assert old.status_code == 400 and "Unable to rebuild with a different image" in old.text
    same = nova_demo.action(server["id"], {"rebuild": {"imageRef": IMAGE[0]}}, headers=nova_demo.at("2.92"))
    assert same.status_code == 202, same.text
    nova_demo.wait(server["id"], "ACTIVE")
    r = nova_demo.action(server["id"], {"rebuild": {"imageRef": other, "name": "rebuilt"}})
    assert r.status_code == 202, r.text
    assert r.json()["server"]["image"] == ""
    rebuilt = nova_demo.wait(server["id"], "ACTIVE", timeout=60)
    assert rebuilt["image"] == "" and rebuilt["name"] == "rebuilt"
    assert [v["id"] for v in rebuilt["os-extended-volumes:volumes_attached"]] == [attached["id"]]
    vol = wait_volume(cinder, attached["id"], "in-use")
    assert vol["volume_image_metadata"]["image_id"] == other
    (attachment,) = vol["attachments"]
    assert attachment["server_id"] == server["id"] and attachment["device"] == "/dev/vda"
    events = nova_demo.get(f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in events][:2] == ["rebuild", "rebuild"]
    nova_demo.delete(f"/servers/{server['id']}")
    nova_demo.wait_gone(server["id"])
    _wait_gone_volume(cinder, attached["id"])
    glance.delete(f"/images/{other}")
