"""Backups as objects in the object store (Cinder's Swift backup driver): the chunks seen through
openstacksdk in the service project's account, byte-exact restores to new and existing volumes,
incremental backups that store only the changed blocks, export/import of the record, deletion."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import httpx
import openstack
import pytest

from tests.conftest import ADMIN_PASSWORD, unique
from tests.services.block_storage.conftest import GiB, backing_file

OBJECT_SIZE = 52428800


def _write(cloud, volume_id: str, offset: int, data: bytes) -> None:
    """Bytes into the volume's backing file, as a guest writing to the attached disk would."""
    with open(backing_file(cloud, f"volumes/volume-{volume_id}"), "r+b") as f:
        f.seek(offset)
        f.write(data)


def _digest(cloud, volume_id: str, size: int = GiB) -> str:
    """sha256 of the volume's bytes, all-zero MiBs (holes or written zeros alike) hashed as a marker."""
    h, zero = hashlib.sha256(), bytes(1 << 20)
    with open(backing_file(cloud, f"volumes/volume-{volume_id}"), "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(b"<zero MiB>" if chunk == zero else chunk)
        assert f.tell() == size
    return h.hexdigest()


@pytest.fixture(scope="module")
def service_swift(cloud, admin):
    """openstacksdk as admin in project `service`, where cinder keeps its backup objects
    (an operator's `openstack role add --user admin --project service admin`)."""
    role = admin.identity.find_role("admin")
    user = admin.identity.find_user("admin", domain_id="default")
    project = admin.identity.find_project("service", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, role)
    conn = openstack.connect(auth_url=f"{cloud.url}/identity/v3", username="admin", password=ADMIN_PASSWORD,
                             project_name="service", user_domain_id="default", project_domain_id="default",
                             region_name="RegionOne", identity_api_version="3")
    return conn.object_store


def _objects(swift, container: str, prefix: str) -> list[str]:
    return sorted(o.name for o in swift.objects(container, prefix=prefix))


@pytest.fixture(scope="module")
def full_backup(cinder_demo, cloud, known_image, service_swift):
    image_id, data = known_image
    vol = cinder_demo.volume(imageRef=image_id)
    _write(cloud, vol["id"], 600 << 20, b"far away" * 512)          # in the 12th object
    container = unique("bk")
    backup = cinder_demo.create("backup", volume_id=vol["id"], name=unique("bak"), container=container)
    backup = cinder_demo.wait("backup", backup["id"], timeout=120)
    cinder_demo.wait("volume", vol["id"])
    return vol, backup, _digest(cloud, vol["id"])


def test_backup_is_chunked_compressed_objects(full_backup, service_swift):
    vol, backup, _ = full_backup
    names = _objects(service_swift, backup["container"], f"volume_{vol['id']}/")
    chunks = -(-GiB // OBJECT_SIZE)
    assert backup["object_count"] == chunks == 21
    prefix = re.fullmatch(rf"(volume_{vol['id']}/\d{{14}}/az_nova_backup_{backup['id']})-00001", names[0]).group(1)
    assert names == sorted([f"{prefix}-{i:05d}" for i in range(1, chunks + 1)]
                           + [f"{prefix}_metadata", f"{prefix}_sha256file"])
    meta = json.loads(service_swift.download_object(f"{prefix}_metadata", backup["container"]))
    assert meta["version"] == "1.0.0" and meta["backup_id"] == backup["id"] and meta["volume_id"] == vol["id"]
    first = meta["objects"][0][f"{prefix}-00001"]
    assert first["offset"] == 0 and first["length"] == OBJECT_SIZE and first["compression"] == "zlib"
    stored = service_swift.get_object_metadata(f"{prefix}-00001", backup["container"])
    assert int(stored.content_length) < 1 << 20                         # 3 MiB of data + zeros, compressed
    shas = json.loads(service_swift.download_object(f"{prefix}_sha256file", backup["container"]))
    assert shas["chunk_size"] == 32768 and len(shas["sha256s"]) == GiB // 32768


def test_restore_to_new_and_existing_volume_is_byte_exact(full_backup, cinder_demo, cloud):
    vol, backup, digest = full_backup
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"name": unique("restored")}})
    assert r.status_code == 202
    restored = cinder_demo.wait("volume", r.json()["restore"]["volume_id"], timeout=120)
    assert _digest(cloud, restored["id"]) == digest
    target = cinder_demo.volume()
    _write(cloud, target["id"], 5 << 20, b"to be overwritten" * 100)
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {"volume_id": target["id"]}})
    assert r.status_code == 202 and r.json()["restore"]["volume_id"] == target["id"]
    cinder_demo.wait("volume", target["id"], timeout=120)
    assert _digest(cloud, target["id"]) == digest
    from_backup = cinder_demo.create("volume", size=1, backup_id=backup["id"])      # POST /volumes, 3.47
    assert _digest(cloud, cinder_demo.wait("volume", from_backup["id"], timeout=120)["id"]) == digest


def test_incremental_stores_changed_blocks_and_restores_the_chain(full_backup, cinder_demo, cloud, service_swift):
    vol, backup, _ = full_backup
    _write(cloud, vol["id"], 100 << 20, b"changed!" * 512)             # 4 KiB: one 32 KiB block
    _write(cloud, vol["id"], 1 << 20, b"\0" * 65536)                  # zeroed data: two blocks
    changed = _digest(cloud, vol["id"])
    inc = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=vol["id"], incremental=True,
                                                       container=backup["container"])["id"], timeout=120)
    cinder_demo.wait("volume", vol["id"])
    assert inc["is_incremental"] is True and inc["object_count"] == 2 < backup["object_count"]
    names = [n for n in _objects(service_swift, backup["container"], f"volume_{vol['id']}/")
             if f"backup_{inc['id']}" in n]
    assert len(names) == 4                                             # 2 extents + metadata + sha256file
    meta = json.loads(service_swift.download_object(
        next(n for n in names if n.endswith("_metadata")), backup["container"]))
    assert meta["parent_id"] == backup["id"]
    assert sorted((o["offset"], o["length"]) for e in meta["objects"] for o in e.values()) == \
        [(1 << 20, 65536), (100 << 20, 32768)]
    r = cinder_demo.post(f"/backups/{inc['id']}/restore", json={"restore": {}})
    restored = cinder_demo.wait("volume", r.json()["restore"]["volume_id"], timeout=120)
    assert _digest(cloud, restored["id"]) == changed
    assert cinder_demo.delete(f"/backups/{backup['id']}").status_code == 400         # has a dependent
    assert cinder_demo.delete(f"/backups/{inc['id']}").status_code == 202
    cinder_demo.wait_gone("backup", inc["id"])
    assert not [n for n in _objects(service_swift, backup["container"], f"volume_{vol['id']}/")
                if f"backup_{inc['id']}" in n]


def test_export_import_record_and_delete_removes_objects(cinder_demo, cinder_admin, cloud, service_swift):
    vol = cinder_demo.volume()
    _write(cloud, vol["id"], 0, b"exported" * 1000)
    digest = _digest(cloud, vol["id"])
    backup = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=vol["id"])["id"], timeout=120)
    assert backup["container"] == "volumebackups"
    assert cinder_demo.get(f"/backups/{backup['id']}/export_record").status_code == 403   # admin only
    r = cinder_admin.get(f"/backups/{backup['id']}/export_record")
    assert r.status_code == 200, r.text
    record = r.json()["backup-record"]
    assert record["backup_service"] == "cinder.backup.drivers.swift.SwiftBackupDriver"
    fields = json.loads(base64.b64decode(record["backup_url"]))
    assert fields["id"] == backup["id"] and fields["service_metadata"].startswith(f"volume_{vol['id']}/")
    assert fields["container"] == "volumebackups" and fields["object_count"] == 21
    fields["id"] = new_id = "0b5e0b5e-0000-4000-8000-%012d" % 42
    url = base64.b64encode(json.dumps(fields).encode()).decode()
    r = cinder_admin.post("/backups/import_record", json={"backup-record": {
        "backup_service": record["backup_service"], "backup_url": url}})
    assert r.status_code == 201, r.text
    assert r.json()["backup"]["id"] == new_id and cinder_admin.wait("backup", new_id)["status"] == "available"
    r = cinder_admin.post("/backups/import_record", json={"backup-record": record})
    assert r.status_code == 400 and "already exists" in r.text
    restored = cinder_admin.post(f"/backups/{new_id}/restore", json={"restore": {}}).json()["restore"]
    assert _digest(cloud, cinder_admin.wait("volume", restored["volume_id"], timeout=120)["id"]) == digest
    prefix = fields["service_metadata"]
    assert len(_objects(service_swift, "volumebackups", prefix)) == 23
    assert cinder_demo.delete(f"/backups/{backup['id']}").status_code == 202
    cinder_demo.wait_gone("backup", backup["id"])
    assert len(_objects(service_swift, "volumebackups", prefix)) == 23   # the imported row still names them
    assert cinder_admin.delete(f"/backups/{new_id}").status_code == 202
    cinder_admin.wait_gone("backup", new_id)
    assert _objects(service_swift, "volumebackups", prefix) == []


def test_import_record_errors(cinder_admin, cinder_demo, cloud):
    def imported(service: str, url: str) -> httpx.Response:
        return cinder_admin.post("/backups/import_record", json={"backup-record": {
            "backup_service": service, "backup_url": url}})
    swift = "cinder.backup.drivers.swift.SwiftBackupDriver"
    assert imported(swift, "not base64 at all!").status_code == 400
    assert imported(swift, base64.b64encode(b"[1, 2]").decode()).status_code == 400
    r = imported(swift, base64.b64encode(json.dumps({"id": "x", "size": 1}).encode()).decode())
    assert r.status_code == 400 and "missing fields" in r.text
    assert imported("cinder.backup.drivers.nfs.NFSBackupDriver", "e30=").status_code == 400
    r = cinder_demo.post("/backups/import_record", json={"backup-record": {"backup_service": swift,
                                                                            "backup_url": "e30="}})
    assert r.status_code == 403
    r = httpx.post(f"{cloud.url}/volume/v3/{cinder_admin.project_id}/backups/import_record",
                   json={"backup-record": {"backup_service": swift, "backup_url": "e30="}})
    assert r.status_code == 401


def test_restore_fails_when_an_object_is_missing(cinder_demo, cloud, service_swift):
    vol = cinder_demo.volume()
    container = unique("bk")
    backup = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=vol["id"], container=container)["id"],
                              timeout=120)
    victim = next(n for n in _objects(service_swift, container, "") if n.endswith("-00003"))
    service_swift.delete_object(victim, container=container)
    r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {}})
    restored = cinder_demo.wait("volume", r.json()["restore"]["volume_id"], "error_restoring", timeout=120)
    assert restored["status"] == "error_restoring"
    assert cinder_demo.wait("backup", backup["id"])["status"] == "available"
