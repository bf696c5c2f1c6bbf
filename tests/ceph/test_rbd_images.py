"""Glance images as RBD images on the ceph blob backend (glance_store's rbd layout: an image named by
the image id with a protected snapshot `snap`), and Cinder volumes from them as copy-on-write
clones (cinder's RBD clone_image), through openstacksdk; the pool is inspected with librbd."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import openstack
import pytest

from tests.ceph.conftest import POOL, ceph_args, ceph_options
from tests.ceph.test_rbd_volumes import (  # noqa: F401 - fixtures
    admin_conn, conn, ioctx, rbd, read_image, upload_raw, wait)
from tests.conftest import start_cloud, stop_cloud, unique

pytestmark = pytest.mark.xdist_group("ceph")     # one throwaway cluster per session
GiB = 1 << 30
IN_USE = "could not be deleted because it is in use"


@pytest.fixture(scope="module")
def pattern() -> bytes:
    """Two RBD objects and a bit, with an all-zero 4 MiB piece between (a hole in the thin image)."""
    return os.urandom(4 << 20) + bytes(4 << 20) + os.urandom((4 << 20) + 1234)


@pytest.fixture(scope="module")
def raw_image(conn: Any, pattern: bytes) -> Any:
    return upload_raw(conn, pattern)


@pytest.fixture(scope="module")
def shown_cloud(ceph_conf: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A cloud whose Glance shows direct_url and locations (show_image_direct_url, show_multiple_locations)."""
    tmp = tmp_path_factory.mktemp("ceph-shown")
    options = {**ceph_options(f"t-{uuid.uuid4().hex[:8]}"),
               "image": {"show_image_direct_url": True, "show_multiple_locations": True}}
    running = start_cloud(tmp, options=options, extra_args=ceph_args(ceph_conf))
    yield running
    stop_cloud(running)


def _connect(cloud: Any, name: str) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=name))


def test_image_is_an_rbd_image_with_a_protected_snap(conn: Any, rbd: Any, ioctx: Any, raw_image: Any,
                                                    pattern: bytes) -> None:
    with rbd.Image(ioctx, raw_image.id, read_only=True) as image:
        assert [s["name"] for s in image.list_snaps()] == ["snap"] and image.is_protected_snap("snap")
        assert image.size() == len(pattern)
    assert read_image(rbd, ioctx, raw_image.id, len(pattern), snapshot="snap") == pattern


def test_download_byte_exact_and_ranges(conn: Any, raw_image: Any, pattern: bytes) -> None:
    assert conn.image.download_image(raw_image).content == pattern
    for lo, hi in ((0, 0), ((4 << 20) - 3, (8 << 20) + 2), (len(pattern) - 5, len(pattern) - 1)):
        r = conn.image.get(f"/images/{raw_image.id}/file", headers={"Range": f"bytes={lo}-{hi}"})
        assert r.status_code == 206 and r.content == pattern[lo:hi + 1]
        assert r.headers["Content-Range"] == f"bytes {lo}-{hi}/{len(pattern)}"
    r = conn.image.get(f"/images/{raw_image.id}/file", headers={"Range": f"bytes={len(pattern)}-"})
    assert r.status_code == 416


def test_locations_hidden_by_default_and_shown_to_services(conn: Any, admin_conn: Any, raw_image: Any) -> None:
    body = conn.image.get(f"/images/{raw_image.id}").json()
    assert "direct_url" not in body and "locations" not in body          # Glance's defaults
    r = admin_conn.image.get(f"/images/{raw_image.id}/locations")       # the service API (admin passes)
    assert r.status_code == 200
    [location] = r.json()
    assert location["url"].startswith("rbd://") and location["url"].endswith(f"/{POOL}/{raw_image.id}/snap")
    assert conn.image.get(f"/images/{raw_image.id}/locations").status_code == 403


def test_direct_url_and_locations_when_shown(shown_cloud: Any, ceph_conf: str) -> None:
    demo, alt = _connect(shown_cloud, "pocketstack"), _connect(shown_cloud, "devstack-alt")
    image = demo.image.create_image(name=unique("shown"), disk_format="raw", container_format="bare",
                                    data=b"x" * 5000, allow_duplicates=True)
    image = demo.image.wait_for_status(demo.image.get_image(image.id), "active", wait=60)
    body = demo.image.get(f"/images/{image.id}").json()
    fsid = body["direct_url"].split("/")[2]
    assert body["direct_url"] == f"rbd://{fsid}/{POOL}/{image.id}/snap"
    assert body["locations"] == [{"url": body["direct_url"], "metadata": {"store": "file"}}]
    listed = {i["id"]: i for i in demo.image.get("/images").json()["images"]}
    assert listed[image.id]["direct_url"] == body["direct_url"]
    queued = demo.image.create_image(name=unique("queued"), disk_format="raw", container_format="bare")
    body = demo.image.get(f"/images/{queued.id}").json()
    assert body["locations"] == [] and "direct_url" not in body          # shown, but there are none
    # a user who may not see the location (get_image_location: another project's reader): [] and no direct_url
    demo.image.update_image(image, visibility="community")
    other = alt.image.get(f"/images/{image.id}").json()
    assert other["locations"] == [] and "direct_url" not in other


def test_volume_from_image_is_a_clone(conn: Any, rbd: Any, ioctx: Any, raw_image: Any, pattern: bytes) -> None:
    vol = wait(conn, conn.block_storage.create_volume(size=2, image_id=raw_image.id, name=unique("cow")))
    with rbd.Image(ioctx, f"volume-{vol.id}", read_only=True) as image:
        assert image.parent_info() == (POOL, raw_image.id, "snap")       # copy-on-write, not a copy
        assert image.size() == 2 * GiB                                   # resized to the volume's size
    assert read_image(rbd, ioctx, f"volume-{vol.id}", len(pattern) + 4096) == pattern + bytes(4096)
    assert vol.is_bootable in (True, "true")
    conn.block_storage.delete_volume(vol)
    conn.block_storage.wait_for_delete(vol, wait=60)


def test_image_delete_while_a_volume_clones_it(conn: Any, rbd: Any, ioctx: Any, pattern: bytes) -> None:
    image = upload_raw(conn, pattern[:6000], "busy")
    vol = wait(conn, conn.block_storage.create_volume(size=1, image_id=image.id, name=unique("child")))
    r = conn.image.delete(f"/images/{image.id}")
    assert r.status_code == 409 and IN_USE in r.text                     # glance's InUseByStore
    assert conn.image.get_image(image.id).status == "active"
    assert conn.image.download_image(image).content == pattern[:6000]
    conn.block_storage.delete_volume(vol)
    conn.block_storage.wait_for_delete(vol, wait=60)
    assert conn.image.delete(f"/images/{image.id}").status_code == 204
    assert image.id not in rbd.RBD().list(ioctx)


def test_qcow2_image_is_copied_not_cloned(conn: Any, rbd: Any, ioctx: Any) -> None:
    """cinder clones raw images only; a qcow2 one is converted into a volume of its own."""
    from pocketstack.services.image.bootstrap import qcow2_image, tiny_disk
    data = qcow2_image(tiny_disk(), 64 << 20)
    image = conn.image.create_image(name=unique("q"), disk_format="qcow2", container_format="bare", data=data,
                                    allow_duplicates=True)
    image = conn.image.wait_for_status(conn.image.get_image(image.id), "active", wait=60)
    vol = wait(conn, conn.block_storage.create_volume(size=1, image_id=image.id, name=unique("conv")))
    with rbd.Image(ioctx, f"volume-{vol.id}", read_only=True) as img:
        with pytest.raises(rbd.ImageNotFound):
            img.parent_info()
        assert bytes(img.read(0, 512)) == tiny_disk()[:512]
    conn.block_storage.delete_volume(vol)
    assert conn.image.delete(f"/images/{image.id}").status_code == 204    # no clone: free to delete


def test_other_project_cannot_clone_or_delete(ceph_cloud: Any, conn: Any, raw_image: Any) -> None:
    alt = _connect(ceph_cloud, "devstack-alt")
    assert alt.image.get(f"/images/{raw_image.id}").status_code == 404
    assert alt.image.delete(f"/images/{raw_image.id}").status_code == 404
    r = alt.block_storage.post("/volumes", json={"volume": {"size": 1, "imageRef": raw_image.id}})
    assert r.status_code in (400, 404)
    assert conn.image.get_image(raw_image.id).status == "active"


def test_cascade_delete_of_a_volume_whose_snapshot_was_cloned(conn: Any, rbd: Any, ioctx: Any, raw_image: Any,
                                                             pattern: bytes) -> None:
    """tempest's test_volume_from_snapshot_cascade_delete: the source goes, its snapshot's clone is
    flattened first (cinder's _flatten_children) and keeps its bytes."""
    vol = wait(conn, conn.block_storage.create_volume(size=1, image_id=raw_image.id, name=unique("src")))
    snap = conn.block_storage.wait_for_status(
        conn.block_storage.create_snapshot(volume_id=vol.id, name=unique("snap")), "available", wait=60)
    clone = wait(conn, conn.block_storage.create_volume(size=1, snapshot_id=snap.id, name=unique("clone")))
    with rbd.Image(ioctx, f"volume-{clone.id}", read_only=True) as image:
        assert image.parent_info() == (POOL, f"volume-{vol.id}", f"snapshot-{snap.id}")
    conn.block_storage.delete_volume(vol, cascade=True)
    conn.block_storage.wait_for_delete(vol, wait=60)
    assert f"volume-{vol.id}" not in rbd.RBD().list(ioctx)
    assert conn.block_storage.find_snapshot(snap.id) is None
    with rbd.Image(ioctx, f"volume-{clone.id}", read_only=True) as image:
        with pytest.raises(rbd.ImageNotFound):
            image.parent_info()                                          # flattened
    assert read_image(rbd, ioctx, f"volume-{clone.id}", len(pattern)) == pattern
    conn.block_storage.delete_volume(clone)
    conn.block_storage.wait_for_delete(clone, wait=60)
