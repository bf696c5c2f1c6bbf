"""Cinder volumes as RBD images (the rbd volume backend, on by --blob-backend ceph), through
openstacksdk against a cloud on the session's throwaway cluster; the pool is inspected with librbd
and the `rbd` command: images, snapshots, clone parents, freed images."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import openstack
import pytest
from openstack import exceptions

from pocketstack.core import blobs_ceph
from pocketstack.core.blobs_rbd import open_snapshot
from tests.ceph.conftest import POOL
from tests.conftest import unique

pytestmark = pytest.mark.xdist_group("ceph")     # one throwaway cluster per session
GiB = 1 << 30
HOST = "pocketstack@lvmdriver-1#lvmdriver-1"


@pytest.fixture(scope="module")
def rbd(ceph_conf: str) -> Any:
    try:
        return blobs_ceph.import_binding("rbd")
    except ImportError as exc:
        pytest.skip(f"python3-rbd is missing: {exc}")


@pytest.fixture(scope="module")
def ioctx(ceph_conf: str, rbd: Any) -> Iterator[Any]:
    rados = blobs_ceph.import_binding("rados")
    cluster = rados.Rados(conffile=ceph_conf)
    cluster.connect(timeout=30)
    ctx = cluster.open_ioctx(POOL)
    yield ctx
    ctx.close()
    cluster.shutdown()


@pytest.fixture(scope="module")
def conn(ceph_cloud: Any) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(ceph_cloud.clouds_yaml)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud="pocketstack"))


@pytest.fixture(scope="module")
def admin_conn(ceph_cloud: Any) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(ceph_cloud.clouds_yaml)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud="pocketstack-admin"))


def rbd_ls(conf: str) -> set[str]:
    out = subprocess.run(["rbd", "--conf", conf, "-p", POOL, "ls"], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def read_image(rbd: Any, ioctx: Any, name: str, length: int, offset: int = 0, snapshot: str | None = None) -> bytes:
    with (open_snapshot(ioctx, name, snapshot) if snapshot else rbd.Image(ioctx, name, read_only=True)) as image:
        return bytes(image.read(offset, length))


def write_image(rbd: Any, ioctx: Any, name: str, data: bytes, offset: int = 0) -> None:
    with rbd.Image(ioctx, name) as image:
        image.write(data, offset)
        image.flush()


def wait(conn: Any, volume: Any, status: str = "available") -> Any:
    """The volume once in `status`, fetched afresh (the sdk's wait returns a stale object that already
    has the status at once)."""
    return conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume.id), status,
                                              failures=["error"] if status != "error" else [],
                                              wait=120, interval=0.2)


@pytest.fixture(scope="module")
def pattern() -> bytes:
    """Over two 4 MiB RBD objects and a bit, no zero byte: every copy must keep each one."""
    return bytes((i * 13 + 7) % 255 + 1 for i in range(4 << 20)) + os.urandom((4 << 20) + 4321)


def upload_raw(conn: Any, data: bytes, prefix: str = "raw") -> Any:
    """A raw image of those bytes, once active."""
    image = conn.image.create_image(name=unique(prefix), disk_format="raw", container_format="bare",
                                    data=data, allow_duplicates=True)
    return conn.image.wait_for_status(conn.image.get_image(image.id), "active", wait=60)


@pytest.fixture(scope="module")
def raw_image(conn: Any, pattern: bytes) -> Any:
    return upload_raw(conn, pattern)


@pytest.fixture(scope="module")
def from_image(conn: Any, raw_image: Any) -> Any:
    vol = conn.block_storage.create_volume(size=1, image_id=raw_image.id, name=unique("from-image"))
    return wait(conn, vol)


def test_volume_is_an_image_and_delete_frees_it(conn: Any, ceph_conf: str, rbd: Any, ioctx: Any) -> None:
    vol = wait(conn, conn.block_storage.create_volume(size=1, name=unique("v")))
    name = f"volume-{vol.id}"
    assert name in rbd_ls(ceph_conf)
    with rbd.Image(ioctx, name, read_only=True) as image:
        assert image.size() == GiB
    info = conn.block_storage.post(f"/volumes/{vol.id}/action",
                                   json={"os-initialize_connection": {"connector": {"host": "h"}}}).json()
    data = info["connection_info"]["data"]
    assert info["connection_info"]["driver_volume_type"] == "rbd"
    assert data["name"] == f"{POOL}/{name}" and data["hosts"] == ["127.0.0.1"] and data["volume_id"] == vol.id
    conn.block_storage.delete_volume(vol)
    conn.block_storage.wait_for_delete(vol, wait=60)
    assert name not in rbd_ls(ceph_conf)


def test_image_to_volume_to_image_byte_exact(conn: Any, rbd: Any, ioctx: Any, pattern: bytes,
                                             from_image: Any) -> None:
    assert read_image(rbd, ioctx, f"volume-{from_image.id}", len(pattern) + 4096) == pattern + bytes(4096)
    assert from_image.is_bootable in (True, "true")
    for disk_format in ("qcow2", "raw"):      # raw: all 1 GiB streamed to the image service
        up = conn.block_storage.upload_volume_to_image(from_image, unique("up"), force=True,
                                                       disk_format=disk_format, container_format="bare")
        image = conn.image.wait_for_status(conn.image.get_image(up["image_id"]), "active", wait=120)
        wait(conn, from_image)
        if disk_format == "raw":
            assert image.size == GiB
            continue
        back = wait(conn, conn.block_storage.create_volume(size=1, image_id=image.id, name=unique("back")))
        assert read_image(rbd, ioctx, f"volume-{back.id}", len(pattern) + 4096) == pattern + bytes(4096)
        conn.block_storage.delete_volume(back)


def test_snapshot_clone_and_revert(conn: Any, ceph_conf: str, rbd: Any, ioctx: Any, pattern: bytes,
                                   raw_image: Any) -> None:
    vol = wait(conn, conn.block_storage.create_volume(size=1, image_id=raw_image.id, name=unique("s")))
    name = f"volume-{vol.id}"
    snap = conn.block_storage.wait_for_status(
        conn.block_storage.create_snapshot(volume_id=vol.id, name=unique("snap")), "available", wait=60)
    with rbd.Image(ioctx, name, read_only=True) as image:
        snaps = [s["name"] for s in image.list_snaps()]
        assert snaps == [f"snapshot-{snap.id}"] and image.is_protected_snap(f"snapshot-{snap.id}")
    write_image(rbd, ioctx, name, b"changed after the snapshot" * 100)      # as a guest would

    clone = wait(conn, conn.block_storage.create_volume(size=2, snapshot_id=snap.id, name=unique("clone")))
    with rbd.Image(ioctx, f"volume-{clone.id}", read_only=True) as image:
        assert image.parent_info() == (POOL, name, f"snapshot-{snap.id}")    # copy-on-write
        assert image.size() == 2 * GiB
    assert read_image(rbd, ioctx, f"volume-{clone.id}", len(pattern)) == pattern

    copy = wait(conn, conn.block_storage.create_volume(size=1, source_volid=vol.id, name=unique("copy")))
    with rbd.Image(ioctx, f"volume-{copy.id}", read_only=True) as image:
        with pytest.raises(rbd.ImageNotFound):
            image.parent_info()                     # flattened: the source stays free to delete
    with rbd.Image(ioctx, name, read_only=True) as image:
        assert [s["name"] for s in image.list_snaps()] == [f"snapshot-{snap.id}"]   # no .clone_snap left
    assert read_image(rbd, ioctx, f"volume-{copy.id}", 2600).startswith(b"changed after the snapshot")

    conn.block_storage.revert_volume_to_snapshot(vol, snap)
    wait(conn, vol)
    assert read_image(rbd, ioctx, name, len(pattern)) == pattern

    # the snapshot has a clone: as cinder's delete_snapshot, the clone is flattened, then the snapshot goes
    conn.block_storage.delete_snapshot(snap)
    conn.block_storage.wait_for_delete(snap, wait=60)
    with rbd.Image(ioctx, name, read_only=True) as image:
        assert list(image.list_snaps()) == []
    with rbd.Image(ioctx, f"volume-{clone.id}", read_only=True) as image:
        with pytest.raises(rbd.ImageNotFound):
            image.parent_info()
    assert read_image(rbd, ioctx, f"volume-{clone.id}", len(pattern)) == pattern
    for v in (clone, copy):
        conn.block_storage.delete_volume(v)
        conn.block_storage.wait_for_delete(v, wait=60)
    conn.block_storage.delete_volume(vol)
    conn.block_storage.wait_for_delete(vol, wait=60)
    assert not {name, f"volume-{clone.id}", f"volume-{copy.id}"} & rbd_ls(ceph_conf)


def test_qemu_reads_the_volume_through_its_rbd_url(conn: Any, pattern: bytes, from_image: Any,
                                                    tmp_path: Any) -> None:
    """What the QEMU compute driver gives QEMU for an RBD volume (-drive file=rbd:... and QMP
    blockdev-add driver rbd) opens the image: qemu-img, QEMU's block layer, reads the bytes."""
    from pocketstack.services.compute.drivers.qemu import disks
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img is missing")
    modules = "/usr/lib/x86_64-linux-gnu/qemu"
    if os.path.isdir(modules) and not os.path.exists(f"{modules}/block-rbd.so"):
        pytest.skip("this QEMU has no rbd block driver (Debian's qemu-block-extra is not installed)")
    info = conn.block_storage.post(f"/volumes/{from_image.id}/action",
                                   json={"os-initialize_connection": {"connector": {"host": "h"}}}).json()
    url = disks.source_of(from_image.id, info["connection_info"])
    assert isinstance(url, str) and url.startswith(f"rbd:{POOL}/volume-{from_image.id}")
    opts = disks.rbd_blockdev(url)
    assert opts["driver"] == "rbd" and opts["pool"] == POOL and opts["image"] == f"volume-{from_image.id}"
    out = tmp_path / "head.raw"
    subprocess.run(["qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=1M", f"count={len(pattern) >> 20}",
                    f"if={url}", f"of={out}"], check=True, capture_output=True)
    assert out.read_bytes() == pattern[:len(pattern) >> 20 << 20]


def test_extend(conn: Any, rbd: Any, ioctx: Any) -> None:
    vol = wait(conn, conn.block_storage.create_volume(size=1, name=unique("x")))
    write_image(rbd, ioctx, f"volume-{vol.id}", b"keep me", GiB - 7)
    conn.block_storage.extend_volume(vol, 3)
    vol = wait(conn, vol)
    assert vol.size == 3
    with rbd.Image(ioctx, f"volume-{vol.id}", read_only=True) as image:
        assert image.size() == 3 * GiB
    assert read_image(rbd, ioctx, f"volume-{vol.id}", 7, GiB - 7) == b"keep me"
    conn.block_storage.delete_volume(vol)


def manageable(conn: Any) -> list[dict[str, Any]]:
    """GET /manageable_volumes (3.8; the sdk's ManageableVolume sends no microversion, so 3.0: 404)."""
    r = conn.block_storage.get(f"/manageable_volumes?host={HOST.replace('#', '%23')}", microversion="3.8")
    assert r.status_code == 200, r.text
    return list(r.json()["manageable-volumes"])


def manage(conn: Any, source_name: str, host: str = HOST) -> Any:
    """POST /manageable_volumes (the sdk's manage_volume asks for 3.71, past this cloud's 3.70)."""
    r = conn.block_storage.post("/manageable_volumes", microversion="3.8", json={"volume": {
        "host": host, "ref": {"source-name": source_name}, "name": unique("managed")}})
    exceptions.raise_from_response(r)
    return conn.block_storage.get_volume(r.json()["volume"]["id"])


def test_manage_and_unmanage_an_rbd_image(admin_conn: Any, ceph_conf: str, rbd: Any, ioctx: Any) -> None:
    legacy = f"legacy-{uuid.uuid4().hex[:8]}"
    rbd.RBD().create(ioctx, legacy, GiB + 1, old_format=False)          # rounds up to 2 GiB
    write_image(rbd, ioctx, legacy, b"made outside cinder")
    listed = {m["reference"]["source-name"]: m for m in manageable(admin_conn)}
    assert listed[legacy]["safe_to_manage"] is True and listed[legacy]["size"] == 2
    vol = wait(admin_conn, manage(admin_conn, legacy))
    assert vol.size == 2
    names = rbd_ls(ceph_conf)
    assert f"volume-{vol.id}" in names and legacy not in names            # renamed as cinder's driver does
    assert read_image(rbd, ioctx, f"volume-{vol.id}", 19) == b"made outside cinder"

    admin_conn.block_storage.unmanage_volume(vol)
    admin_conn.block_storage.wait_for_delete(vol, wait=60)
    assert f"volume-{vol.id}" in rbd_ls(ceph_conf)                        # the image stays
    listed = {m["reference"]["source-name"]: m for m in manageable(admin_conn)}
    assert listed[f"volume-{vol.id}"]["safe_to_manage"] is True
    again = wait(admin_conn, manage(admin_conn, f"volume-{vol.id}"))
    assert read_image(rbd, ioctx, f"volume-{again.id}", 19) == b"made outside cinder"
    admin_conn.block_storage.delete_volume(again)
    admin_conn.block_storage.wait_for_delete(again, wait=60)
    assert f"volume-{again.id}" not in rbd_ls(ceph_conf)


def test_manage_negative(admin_conn: Any, conn: Any) -> None:
    with pytest.raises(exceptions.BadRequestException):
        manage(admin_conn, "a/b")
    with pytest.raises(exceptions.NotFoundException):
        manage(admin_conn, "whatever", host="elsewhere@x#x")
    with pytest.raises(exceptions.ForbiddenException):     # managing is an admin's
        manage(conn, "whatever")
    missing = manage(admin_conn, f"absent-{uuid.uuid4().hex}")
    assert wait(admin_conn, missing, "error").status == "error"      # error_managing, shown as error
    admin_conn.block_storage.delete_volume(missing)


def test_backup_and_restore_through_the_seam(conn: Any, rbd: Any, ioctx: Any, pattern: bytes,
                                             from_image: Any) -> None:
    backup = conn.block_storage.create_backup(volume_id=from_image.id, name=unique("b"), force=True)
    backup = conn.block_storage.wait_for_status(backup, "available", failures=["error"], wait=120, interval=0.5)
    wait(conn, from_image)
    restored = conn.block_storage.restore_backup(backup, name=unique("restored"))
    vol = wait(conn, conn.block_storage.get_volume(restored.volume_id))
    assert read_image(rbd, ioctx, f"volume-{vol.id}", len(pattern) + 4096) == pattern + bytes(4096)
    conn.block_storage.delete_volume(vol)
    conn.block_storage.delete_backup(backup)


def test_other_project_cannot_reach_the_volume(ceph_cloud: Any, from_image: Any) -> None:
    config = openstack.config.OpenStackConfig(config_files=[str(ceph_cloud.clouds_yaml)], load_envvars=False)
    alt = openstack.connection.Connection(config=config.get_one(cloud="devstack-alt"))
    with pytest.raises(exceptions.NotFoundException):
        alt.block_storage.get_volume(from_image.id)
    with pytest.raises(exceptions.NotFoundException):
        alt.block_storage.extend_volume(from_image.id, 5)


def test_snapshot_unmanage_and_manage_rename_the_rbd_snapshot(admin_conn: Any, ceph_conf: str, rbd: Any,
                                                              ioctx: Any) -> None:
    vol = wait(admin_conn, admin_conn.block_storage.create_volume(size=1, name=unique("sm")))
    name = f"volume-{vol.id}"
    snap = admin_conn.block_storage.wait_for_status(
        admin_conn.block_storage.create_snapshot(volume_id=vol.id), "available", wait=60)
    admin_conn.block_storage.unmanage_snapshot(snap)
    admin_conn.block_storage.wait_for_delete(snap, wait=60)
    with rbd.Image(ioctx, name, read_only=True) as image:
        assert [s["name"] for s in image.list_snaps()] == [f"snapshot-{snap.id}"]     # the bytes stay
    r = admin_conn.block_storage.get("/manageable_snapshots", microversion="3.8")
    listed = {m["reference"]["source-name"]: m for m in r.json()["manageable-snapshots"]}
    assert listed[f"snapshot-{snap.id}"]["source_reference"] == {"source-name": name}

    # a volume that still has a snapshot on its image is busy (cinder's VolumeIsBusy): back to available
    admin_conn.block_storage.delete_volume(vol)
    assert wait(admin_conn, vol).status == "available" and name in rbd_ls(ceph_conf)

    r = admin_conn.block_storage.post("/manageable_snapshots", microversion="3.8", json={"snapshot": {
        "volume_id": vol.id, "ref": {"source-name": f"snapshot-{snap.id}"}}})
    assert r.status_code == 202, r.text
    managed = admin_conn.block_storage.wait_for_status(
        admin_conn.block_storage.get_snapshot(r.json()["snapshot"]["id"]), "available", wait=60)
    with rbd.Image(ioctx, name, read_only=True) as image:
        assert [s["name"] for s in image.list_snaps()] == [f"snapshot-{managed.id}"]
        assert image.is_protected_snap(f"snapshot-{managed.id}")
    r = admin_conn.block_storage.post("/manageable_snapshots", microversion="3.8", json={"snapshot": {
        "volume_id": vol.id, "ref": {"source-name": "snapshot-absent"}}})
    assert r.status_code == 202
    absent = admin_conn.block_storage.wait_for_status(
        admin_conn.block_storage.get_snapshot(r.json()["snapshot"]["id"]), "error", wait=60)
    for s in (managed, absent):
        admin_conn.block_storage.delete_snapshot(s)
        admin_conn.block_storage.wait_for_delete(s, wait=60)
    admin_conn.block_storage.delete_volume(vol)
    admin_conn.block_storage.wait_for_delete(vol, wait=60)


def test_pools_report_the_ceph_protocol(admin_conn: Any, conn: Any) -> None:
    """cinder's RBD driver reports storage_protocol ceph (Tempest skips what Ceph cannot do by it)."""
    r = admin_conn.block_storage.get("/scheduler-stats/get_pools?detail=True")
    assert r.status_code == 200, r.text
    assert r.json()["pools"][0]["capabilities"]["storage_protocol"] == "ceph"
    assert conn.block_storage.get("/scheduler-stats/get_pools").status_code == 403     # an admin's
