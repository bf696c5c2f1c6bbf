"""Real bytes: volumes from an image, clones, snapshots, revert, backups and restores, upload to
an image, manage/unmanage, each checked byte for byte on the backing files and through Glance."""

from __future__ import annotations

import hashlib

import httpx

from tests.conftest import unique
from tests.services.block_storage.conftest import GiB, allocated, backing_file, read_head


def _head(cloud, volume_id: str, length: int) -> bytes:
    return read_head(backing_file(cloud, f"volumes/volume-{volume_id}"), length)


def test_volume_from_image_clone_and_snapshot_copy_bytes(cinder_demo, cloud, known_image):
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    assert vol["bootable"] == "true" and vol["volume_image_metadata"]["image_id"] == image_id
    assert _head(cloud, vol["id"], len(data) + 4096) == data + b"\0" * 4096
    path = backing_file(cloud, f"volumes/volume-{vol['id']}")
    assert path.stat().st_size == GiB and allocated(path) < 16 << 20          # only the image's bytes
    clone = cinder_demo.volume(size=2, source_volid=vol["id"])
    assert clone["source_volid"] == vol["id"] and clone["bootable"] == "true"
    assert _head(cloud, clone["id"], len(data)) == data
    assert backing_file(cloud, f"volumes/volume-{clone['id']}").stat().st_size == 2 * GiB
    snap = cinder_demo.create("snapshot", volume_id=vol["id"], name=unique("snap"))
    snap = cinder_demo.wait("snapshot", snap["id"])
    assert read_head(backing_file(cloud, f"volumes/snapshot-{snap['id']}"), len(data)) == data
    from_snap = cinder_demo.volume(snapshot_id=snap["id"])
    assert from_snap["snapshot_id"] == snap["id"] and _head(cloud, from_snap["id"], len(data)) == data
    assert from_snap["bootable"] == "true" and from_snap["volume_image_metadata"]["image_id"] == image_id
    too_small = cinder_demo.post("/volumes", json={"volume": {"size": 1, "source_volid": clone["id"]}})
    assert too_small.status_code == 400


def test_image_too_big_or_missing_is_400(cinder_demo):
    r = cinder_demo.post("/volumes", json={"volume": {"size": 1, "imageRef": "00000000-0000-0000-0000-000000000000"}})
    assert r.status_code == 400 and "badRequest" in r.json()


def test_backup_restore_new_and_existing_volume(cinder_demo, cloud, known_image):
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    backup = cinder_demo.create("backup", volume_id=vol["id"], name=unique("bak"), container="c1")
    assert set(backup) == {"id", "name", "links"}
    assert cinder_demo.get(f"/volumes/{vol['id']}").json()["volume"]["status"] in ("backing-up", "available")
    backup = cinder_demo.wait("backup", backup["id"])
    assert backup["container"] == "c1" and backup["size"] == 1 and backup["metadata"] == {}
    cinder_demo.wait("volume", vol["id"])
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"name": unique("restored")}})
    assert r.status_code == 202
    restored = cinder_demo.wait("volume", r.json()["restore"]["volume_id"])
    assert _head(cloud, restored["id"], len(data)) == data
    # cinder restores the bootable flag and the glance metadata with the bytes (Tempest's
    # test_volume_backup_restore boots from the restored volume)
    assert restored["bootable"] == "true" and restored["volume_image_metadata"]["image_id"] == image_id
    target = cinder_demo.volume(size=2)
    assert target["bootable"] == "false"
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"volume_id": target["id"]}})
    assert r.status_code == 202 and r.json()["restore"]["volume_id"] == target["id"]
    target = cinder_demo.wait("volume", target["id"])
    assert _head(cloud, target["id"], len(data)) == data and target["bootable"] == "true"
    from_backup = cinder_demo.create("volume", size=1, backup_id=backup["id"])
    from_backup = cinder_demo.wait("volume", from_backup["id"])
    assert from_backup["volume_image_metadata"]["image_id"] == image_id and from_backup["bootable"] == "true"
    incremental = cinder_demo.create("backup", volume_id=vol["id"], incremental=True)
    incremental = cinder_demo.wait("backup", incremental["id"])
    assert incremental["is_incremental"] is True
    assert cinder_demo.get(f"/backups/{backup['id']}").json()["backup"]["has_dependent_backups"] is True
    assert cinder_demo.delete(f"/backups/{backup['id']}").status_code == 400         # has a dependent
    assert cinder_demo.delete(f"/backups/{incremental['id']}").status_code == 202
    cinder_demo.wait_gone("backup", incremental["id"])


def test_backup_errors(cinder_demo, cinder_alt):
    r = cinder_demo.post("/backups", json={"backup": {"volume_id": "00000000-0000-0000-0000-000000000000"}})
    assert r.status_code == 404
    r = cinder_demo.post("/backups", json={"backup": {"volume_id": cinder_demo.volume()["id"], "incremental": True}})
    assert r.status_code == 400
    assert cinder_demo.post("/backups", json={"backup": {}}).status_code == 400
    vol = cinder_demo.volume(size=2)
    backup = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=vol["id"])["id"])
    small = cinder_demo.volume(size=1)
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"volume_id": small["id"]}})
    assert r.status_code == 400
    assert cinder_alt.get(f"/backups/{backup['id']}").status_code == 404
    assert cinder_alt.post(f"/backups/{backup['id']}/restore", json={"restore": {}}).status_code == 404


def test_revert_to_latest_snapshot(cinder_demo, cloud, known_image):
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    older = cinder_demo.wait("snapshot", cinder_demo.create("snapshot", volume_id=vol["id"])["id"])
    latest = cinder_demo.wait("snapshot", cinder_demo.create("snapshot", volume_id=vol["id"])["id"])
    blank = cinder_demo.volume()                     # overwrite vol with zeros through a backup restore
    backup = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=blank["id"])["id"])
    cinder_demo.wait("volume", blank["id"])
    cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"volume_id": vol["id"]}})
    cinder_demo.wait("volume", vol["id"])
    assert _head(cloud, vol["id"], len(data)) == b"\0" * len(data)
    assert cinder_demo.action("volumes", vol["id"], {"revert": {"snapshot_id": latest["id"]}}, "3.39") \
        .status_code == 404                                                      # no such action before 3.40
    assert cinder_demo.action("volumes", vol["id"], {"revert": {"snapshot_id": older["id"]}}, "3.40") \
        .status_code == 400                                                      # not the latest
    r = cinder_demo.action("volumes", vol["id"], {"revert": {"snapshot_id": latest["id"]}}, "3.40")
    assert r.status_code == 202
    cinder_demo.wait("volume", vol["id"])
    assert cinder_demo.wait("snapshot", latest["id"])["status"] == "available"
    assert _head(cloud, vol["id"], len(data)) == data


def test_snapshot_api_and_cascade_delete(cinder_demo, cinder_admin, cinder_alt, cloud):
    vol = cinder_demo.volume()
    snap = cinder_demo.create("snapshot", volume_id=vol["id"], name="s", metadata={"a": "1"})
    assert "os-extended-snapshot-attributes:progress" not in snap
    snap = cinder_demo.wait("snapshot", snap["id"])
    assert snap["os-extended-snapshot-attributes:progress"] == "100%" and snap["metadata"] == {"a": "1"}
    listed = cinder_demo.get("/snapshots", params={"volume_id": vol["id"]}).json()["snapshots"]
    assert [s["id"] for s in listed] == [snap["id"]]
    r = cinder_demo.put(f"/snapshots/{snap['id']}", json={"snapshot": {"name": "renamed"}})
    assert r.status_code == 200 and r.json()["snapshot"]["name"] == "renamed"
    assert cinder_demo.get(f"/snapshots/{snap['id']}/metadata").json() == {"metadata": {"a": "1"}}
    assert cinder_demo.post("/snapshots", json={"snapshot": {"volume_id": "nope"}}).status_code == 404
    assert cinder_demo.post("/snapshots", json={"snapshot": {}}).status_code == 400
    assert cinder_alt.get(f"/snapshots/{snap['id']}").status_code == 404
    assert cinder_demo.action("snapshots", snap["id"], {"os-reset_status": {"status": "error"}}).status_code == 403
    assert cinder_demo.delete(f"/volumes/{vol['id']}").status_code == 400              # has a snapshot
    assert cinder_demo.delete(f"/volumes/{vol['id']}", params={"cascade": "true"}).status_code == 202
    cinder_demo.wait_gone("volume", vol["id"])
    cinder_demo.wait_gone("snapshot", snap["id"])
    assert not backing_file(cloud, f"volumes/snapshot-{snap['id']}").exists()


def test_upload_to_image_round_trip(cinder_demo, cloud, demo_token, known_image):
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    name = unique("upload")
    r = cinder_demo.action("volumes", vol["id"], {"os-volume_upload_image": {"image_name": name,
                                                                             "disk_format": "raw"}}, "3.1")
    assert r.status_code == 202, r.text
    body = r.json()["os-volume_upload_image"]
    assert body["status"] == "uploading" and body["image_name"] == name and body["visibility"] == "private"
    cinder_demo.wait("volume", vol["id"])
    glance = httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": demo_token}, timeout=120)
    image = glance.get(f"/v2/images/{body['image_id']}").json()
    assert image["status"] == "active" and image["size"] == GiB
    head = glance.get(f"/v2/images/{body['image_id']}/file", headers={"Range": f"bytes=0-{len(data) + 99}"})
    assert head.content == data + b"\0" * 100
    expected = hashlib.md5(data + b"\0" * (GiB - len(data))).hexdigest()
    assert image["checksum"] == expected
    glance.delete(f"/v2/images/{body['image_id']}")


def test_unmanage_and_manage_volume_and_snapshot(cinder_admin, cinder_demo, cloud, known_image):
    image_id, data = known_image
    vol = cinder_admin.volume(imageRef=image_id)
    host = cinder_admin.get(f"/volumes/{vol['id']}").json()["volume"]["os-vol-host-attr:host"]
    assert cinder_demo.action("volumes", vol["id"], {"os-unmanage": {}}).status_code == 404   # not demo's
    assert cinder_admin.action("volumes", vol["id"], {"os-unmanage": {}}).status_code == 202
    assert cinder_admin.get(f"/volumes/{vol['id']}").status_code == 404
    listed = cinder_admin.get("/manageable_volumes/detail", params={"host": host}).json()["manageable-volumes"]
    mine = [m for m in listed if m["reference"] == {"source-name": f"volume-{vol['id']}"}]
    assert mine == [{"reference": {"source-name": f"volume-{vol['id']}"}, "size": 1, "safe_to_manage": True,
                     "reason_not_safe": None, "cinder_id": None, "extra_info": None}]
    assert cinder_admin.get("/manageable_volumes", params={"host": host}, headers=cinder_admin.at("3.7")) \
        .status_code == 404
    assert cinder_demo.get("/manageable_volumes", params={"host": host}).status_code == 403
    r = cinder_admin.post("/manageable_volumes", json={"volume": {
        "host": host, "ref": {"source-name": f"volume-{vol['id']}"}, "name": unique("managed")}})
    assert r.status_code == 202, r.text
    managed = cinder_admin.wait("volume", r.json()["volume"]["id"])
    assert managed["id"] != vol["id"] and managed["size"] == 1
    assert _head(cloud, managed["id"], len(data)) == data
    assert not backing_file(cloud, f"volumes/volume-{vol['id']}").exists()
    bad = cinder_admin.post("/manageable_volumes", json={"volume": {"host": "nohost@x#y", "ref": {"source-name": "a"}}})
    assert bad.status_code == 404
    snap = cinder_admin.wait("snapshot", cinder_admin.create("snapshot", volume_id=managed["id"])["id"])
    assert cinder_admin.action("snapshots", snap["id"], {"os-unmanage": {}}).status_code == 202
    snaps = cinder_admin.get("/manageable_snapshots", params={"host": host}).json()["manageable-snapshots"]
    assert {"reference": {"source-name": f"snapshot-{snap['id']}"}, "size": 1, "safe_to_manage": True,
            "source_reference": {"source-name": f"volume-{managed['id']}"}} in snaps
    r = cinder_admin.post("/manageable_snapshots", json={"snapshot": {
        "volume_id": managed["id"], "ref": {"source-name": f"snapshot-{snap['id']}"}}})
    assert r.status_code == 202, r.text
    back = cinder_admin.wait("snapshot", r.json()["snapshot"]["id"])
    assert read_head(backing_file(cloud, f"volumes/snapshot-{back['id']}"), len(data)) == data


def test_upload_as_qcow2_and_back(cinder_demo, cloud, demo_token, known_image):
    """qcow2 out (only the clusters holding data), qcow2 in (converted back to raw bytes)."""
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    r = cinder_demo.action("volumes", vol["id"], {"os-volume_upload_image": {
        "image_name": unique("q"), "disk_format": "qcow2"}})
    assert r.status_code == 202, r.text
    uploaded = r.json()["os-volume_upload_image"]["image_id"]
    cinder_demo.wait("volume", vol["id"])
    glance = httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": demo_token}, timeout=120)
    image = glance.get(f"/v2/images/{uploaded}").json()
    assert image["status"] == "active" and image["disk_format"] == "qcow2"
    assert image["virtual_size"] == GiB and image["size"] < len(data) + (1 << 20)      # sparse image
    copy = cinder_demo.volume(imageRef=uploaded)
    assert _head(cloud, copy["id"], len(data) + 65536) == data + b"\0" * 65536
    bad = cinder_demo.action("volumes", vol["id"], {"os-volume_upload_image": {"image_name": "x",
                                                                               "disk_format": "vmdk"}})
    assert bad.status_code == 400
    glance.delete(f"/v2/images/{uploaded}")


def test_reimage_rewrites_the_volume_with_another_image(cinder_demo, cinder_alt, cloud, demo_token, known_image):
    """os-reimage (3.68): the volume's bytes become the new image's (nothing of the old one is left), its
    glance metadata follows; a volume reserved for a server needs reimage_reserved (nova's rebuild of a
    volume-backed server at 2.93)."""
    old_id, old = known_image
    new = bytes((i * 13 + 5) % 241 + 1 for i in range(1 << 20))
    glance = httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": demo_token}, timeout=60)
    new_id = glance.post("/v2/images", json={"name": unique("img"), "disk_format": "raw",
                                             "container_format": "bare"}).json()["id"]
    assert glance.put(f"/v2/images/{new_id}/file", content=new,
                      headers={"Content-Type": "application/octet-stream"}).status_code == 204
    vol = cinder_demo.volume(imageRef=old_id)
    body = {"os-reimage": {"image_id": new_id}}
    assert cinder_demo.action("volumes", vol["id"], body, version="3.67").status_code == 404
    assert cinder_demo.action("volumes", vol["id"], {"os-reimage": {}}).status_code == 400
    assert cinder_demo.action("volumes", vol["id"], {"os-reimage": {"image_id": new_id, "x": 1}}).status_code == 400
    missing = {"os-reimage": {"image_id": "00000000-0000-0000-0000-000000000000"}}
    assert cinder_demo.action("volumes", vol["id"], missing).status_code == 400
    assert cinder_alt.action("volumes", vol["id"], body).status_code == 404          # another project's volume
    assert httpx.post(f"{cloud.url}/volume/v3/{cinder_demo.project_id}/volumes/{vol['id']}/action",
                      json=body).status_code == 401
    r = cinder_demo.action("volumes", vol["id"], body)
    assert r.status_code == 202, r.text
    vol = cinder_demo.wait("volume", vol["id"])
    assert vol["volume_image_metadata"]["image_id"] == new_id
    assert _head(cloud, vol["id"], len(old)) == new + b"\0" * (len(old) - len(new))

    r = cinder_demo.post("/attachments", json={"attachment": {"volume_uuid": vol["id"]}})
    assert r.status_code == 200 and cinder_demo.wait("volume", vol["id"], "reserved")
    attachment_id = r.json()["attachment"]["id"]
    back = {"os-reimage": {"image_id": old_id}}
    r = cinder_demo.action("volumes", vol["id"], back)
    assert r.status_code == 400 and "reserved" in r.text
    assert cinder_demo.action("volumes", vol["id"], {"os-reimage": {**back["os-reimage"], "reimage_reserved": True}}
                              ).status_code == 202
    vol = cinder_demo.wait("volume", vol["id"], "reserved")          # back to what it was
    assert vol["volume_image_metadata"]["image_id"] == old_id and _head(cloud, vol["id"], len(old)) == old
    assert cinder_demo.delete(f"/attachments/{attachment_id}").status_code == 200
    cinder_demo.wait("volume", vol["id"])
