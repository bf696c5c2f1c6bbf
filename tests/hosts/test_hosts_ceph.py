"""Two hosts, one cloud, shared bytes: alpha and beta (`pocketstack serve --host-name`, each with its
own data dir) on one fresh PostgreSQL database and one throwaway Ceph (scripts/ceph-dev), both with
`--blob-backend ceph` on the same pool and the default RADOS namespace. Through openstacksdk, one
client on each host's endpoints: Swift objects (chunked, an SLO) and image data written through one
host come back byte-exact through the other; a volume (an RBD image) made through alpha attaches to
a server on beta and both hosts agree on the attachment; a volume made from an image through beta
holds the image's bytes, and alpha uploads it back to an image that beta reads.

Skipped, saying why, without PostgreSQL, root or the Ceph packages (tests/ceph/conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import openstack
import pytest

from pocketstack.core import blobs_ceph
from pocketstack.core.blobs_ceph import CHUNK_SIZE
from tests.ceph.conftest import POOL, ceph_args
from tests.ceph.conftest import ceph_conf  # noqa: F401 - the session's throwaway cluster
from tests.conftest import unique
from tests.hosts.test_hosts import Hosts, _boot, _nova, _until, _wait, running_hosts

pytestmark = pytest.mark.xdist_group("ceph")
GiB = 1 << 30
SERVICES = ("compute", "image", "block-storage", "object-store")


@pytest.fixture(scope="module")
def hosts(ceph_conf: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("hosts-ceph")
    with running_hosts(tmp, ("alpha", "beta"), tuple(ceph_args(ceph_conf))) as running:
        yield running


def _on(hosts: Hosts, host: str, cloud: str = "pocketstack") -> Any:
    """A client of `cloud`'s user that talks only to `host`: its Keystone and, over the catalog's
    (alpha's public) URLs, its own compute, image, volume and object-store endpoints."""
    alpha, there = hosts.clouds["alpha"], hosts.clouds[host]
    entry = hosts.clouds["alpha"].clouds()[cloud]
    probe = hosts._connect(cloud)
    overrides = {}
    for service in SERVICES:
        url = probe.session.get_endpoint(service_type=service, interface="public")
        if alpha.object_store_url and there.object_store_url:
            url = url.replace(alpha.object_store_url, there.object_store_url)
        overrides[f"{service.replace('-', '_')}_endpoint_override"] = url.replace(alpha.url, there.url)
    auth = {**entry["auth"], "auth_url": entry["auth"]["auth_url"].replace(alpha.url, there.url)}
    config = openstack.config.OpenStackConfig(load_yaml_config=False, load_envvars=False)
    conn = openstack.connection.Connection(config=config.get_one(**{**entry, "auth": auth, **overrides}))
    assert conn.object_store.get_endpoint().startswith(there.object_store_url or there.url)
    assert conn.image.get_endpoint().startswith(there.url)
    return conn


def _log(hosts: Hosts, host: str) -> str:
    return (hosts.clouds[host].data_dir.parent / "server.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def ioctx(ceph_conf: str) -> Iterator[Any]:  # noqa: F811
    cluster = blobs_ceph.import_binding("rados").Rados(conffile=ceph_conf)
    cluster.connect(timeout=30)
    ctx = cluster.open_ioctx(POOL)
    yield ctx
    ctx.close()
    cluster.shutdown()


def _rbd_read(ioctx: Any, volume_id: str, length: int) -> bytes:
    rbd = blobs_ceph.import_binding("rbd")
    with rbd.Image(ioctx, f"volume-{volume_id}", read_only=True) as image:
        return bytes(image.read(0, length))


def test_swift_objects_and_an_slo_written_on_alpha_read_back_on_beta(hosts: Hosts) -> None:
    # the catalog stays the host's that made it: beta joining with its own object store port left it
    catalog = hosts.demo().object_store.get_endpoint()
    assert catalog.startswith(f"{hosts.clouds['alpha'].object_store_url}/v1/AUTH_"), catalog
    alpha, beta = _on(hosts, "alpha"), _on(hosts, "beta")
    container = unique("shared")
    alpha.object_store.create_container(name=container)
    big = os.urandom(2 * CHUNK_SIZE + 4321)                      # three RADOS chunks, the last short
    alpha.object_store.upload_object(container=container, name="big", data=big)
    assert beta.object_store.download_object("big", container=container) == big
    assert f"/{container}/big" in _log(hosts, "beta")          # beta served it, from Ceph
    parts = [os.urandom(CHUNK_SIZE + 17), os.urandom(1 << 20), os.urandom(99)]
    for i, part in enumerate(parts):
        alpha.object_store.upload_object(container=container, name=f"seg/{i:02d}", data=part)
    manifest = [{"path": f"/{container}/seg/{i:02d}", "etag": hashlib.md5(p).hexdigest(), "size_bytes": len(p)}
                for i, p in enumerate(parts)]
    r = alpha.object_store.put(f"/{container}/slo?multipart-manifest=put", data=json.dumps(manifest))
    assert r.status_code == 201, r.text
    whole = b"".join(parts)
    assert beta.object_store.download_object("slo", container=container) == whole
    lo = len(parts[0]) - 3                                       # across the first two segments
    r = beta.object_store.get(f"/{container}/slo", headers={"Range": f"bytes={lo}-{lo + 9}"})
    assert r.status_code == 206 and r.content == whole[lo:lo + 10]
    # the other way round, and a delete through beta is gone through alpha
    beta.object_store.upload_object(container=container, name="from-beta", data=b"beta's bytes")
    assert alpha.object_store.download_object("from-beta", container=container) == b"beta's bytes"
    beta.object_store.delete_object("big", container=container)
    assert alpha.object_store.get(f"/{container}/big").status_code == 404
    names = sorted(o.name for o in alpha.object_store.objects(container))
    assert names == sorted(o.name for o in beta.object_store.objects(container)) == \
        ["from-beta", "seg/00", "seg/01", "seg/02", "slo"]


def test_an_image_uploaded_on_alpha_downloads_on_beta(hosts: Hosts) -> None:
    alpha, beta = _on(hosts, "alpha"), _on(hosts, "beta")
    data = os.urandom(CHUNK_SIZE + 1234)
    image = alpha.image.create_image(name=unique("img"), data=data, disk_format="raw",
                                     container_format="bare", validate_checksum=False)
    seen = beta.image.get_image(image.id)
    assert (seen.status, seen.size, seen.hash_value) == ("active", len(data), hashlib.sha512(data).hexdigest())
    assert beta.image.download_image(image.id).content == data
    alpha.image.delete_image(image.id)
    assert beta.image.find_image(image.id) is None


def test_a_volume_made_on_alpha_attaches_to_a_server_on_beta(hosts: Hosts, ceph_conf: str,  # noqa: F811
                                                             ioctx: Any) -> None:
    admin = hosts.admin()                                         # forcing a host is an admin's
    alpha, beta = _on(hosts, "alpha", "pocketstack-admin"), _on(hosts, "beta", "pocketstack-admin")
    volume = alpha.block_storage.create_volume(size=1, name=unique("shared-vol"))
    alpha.block_storage.wait_for_status(volume, "available", wait=60)
    rbd = blobs_ceph.import_binding("rbd")
    assert f"volume-{volume.id}" in rbd.RBD().list(ioctx)        # an RBD image in the shared pool
    server = _boot(admin, unique("on-beta"), "nova:beta")
    assert _wait(admin, server, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "beta"
    attachment = beta.compute.create_volume_attachment(server, volume_id=volume.id)
    assert attachment.volume_id == volume.id
    for conn in (alpha, beta):
        conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume.id), "in-use", wait=60)
        [attached] = conn.block_storage.get_volume(volume.id).attachments
        assert attached["server_id"] == server and attached["device"] == attachment.device
        assert [a.volume_id for a in conn.compute.volume_attachments(server)] == [volume.id]
    seen = {h: c.block_storage.get_volume(volume.id) for h, c in (("alpha", alpha), ("beta", beta))}
    assert {v.attachments[0]["host_name"] for v in seen.values()} == {"beta"}
    assert {v.host for v in seen.values()} == {seen["alpha"].host}
    r = _nova(beta, "GET", f"/servers/{server}")
    assert [v["id"] for v in r.json()["server"]["os-extended-volumes:volumes_attached"]] == [volume.id]
    # detached through alpha's API: the work runs on beta, both hosts see the volume free
    alpha.compute.delete_volume_attachment(volume.id, server)
    for conn in (beta, alpha):
        conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume.id), "available", wait=60)
        assert conn.block_storage.get_volume(volume.id).attachments == []
    admin.compute.delete_server(server)
    alpha.block_storage.delete_volume(volume.id)
    _until(lambda: beta.block_storage.find_volume(volume.id) is None, "volume gone", timeout=60)
    assert f"volume-{volume.id}" not in rbd.RBD().list(ioctx)


def test_a_volume_from_an_image_on_beta_holds_its_bytes_and_alpha_uploads_it_back(
        hosts: Hosts, ioctx: Any) -> None:
    alpha, beta = _on(hosts, "alpha"), _on(hosts, "beta")
    data = os.urandom(CHUNK_SIZE + 777)
    image = alpha.image.create_image(name=unique("src"), data=data, disk_format="raw",
                                     container_format="bare", validate_checksum=False)
    volume = beta.block_storage.create_volume(size=1, image_id=image.id, name=unique("from-image"))
    beta.block_storage.wait_for_status(volume, "available", wait=120)
    assert _rbd_read(ioctx, volume.id, len(data) + 4096) == data + bytes(4096)
    assert alpha.block_storage.get_volume(volume.id).volume_image_metadata["image_id"] == image.id
    uploaded = alpha.block_storage.upload_volume_to_image(volume.id, unique("back"), disk_format="raw",
                                                          container_format="bare")
    back = _until(lambda: (i := beta.image.get_image(uploaded["image_id"])).status == "active" and i,
                  "uploaded image active", timeout=180)
    assert back.size == GiB
    whole = hashlib.sha512(data)
    zeros = bytes(1 << 20)
    pad = (1 << 20) - len(data) % (1 << 20)                      # to a MiB boundary, then whole MiBs
    whole.update(zeros[:pad])
    for _ in range((GiB - len(data) - pad) >> 20):
        whole.update(zeros)
    assert back.hash_value == whole.hexdigest()                   # every byte, as alpha read it from RBD
    head = beta.image.get(f"/images/{back.id}/file", headers={"Range": f"bytes=0-{len(data) + 9}"})
    assert head.status_code == 206 and head.content == data + bytes(10)
    # the volume is a clone of the image's RBD snapshot: the image is in use until the volume goes
    assert alpha.image.delete(f"/images/{image.id}").status_code == 409
    alpha.image.delete_image(back.id)
    beta.block_storage.wait_for_status(beta.block_storage.get_volume(volume.id), "available", wait=60)
    beta.block_storage.delete_volume(volume.id)
    beta.block_storage.wait_for_delete(volume, wait=60)
    alpha.image.delete_image(image.id)
