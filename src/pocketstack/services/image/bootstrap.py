"""First start: DevStack's cirros image, with real bytes; every start: no image stays mid-upload.

DevStack leaves `cirros-0.6.3-x86_64-disk` as a public qcow2 in a bare container, and tools pick
their image by that name and `disk_format == "qcow2"` (openstacksdk's functional tests, Tempest's
configs). Ours is a qcow2 (version 3) of cirros's virtual size, 112 MiB, whose only data is a boot
sector; `bootstrap_image_bytes` is the one place that decides what the image holds.
"""

from __future__ import annotations

import struct
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import blobs, db
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.image import cache, imports, locations, metadefs, quotas, stores, web_download
from pocketstack.services.image.tables import image_properties, images


CIRROS_NAME = "cirros-0.6.3-x86_64-disk"
SECTOR = 512
DISK_SECTORS = 4096                      # the boot sector's partition table describes a 2 MiB disk
CIRROS_VIRTUAL_SIZE = 112 << 20          # cirros-0.6.3-x86_64-disk.img's virtual size
CLUSTER_BITS = 16                        # qemu-img's default 64 KiB clusters
MESSAGE = b"pocketstack cirros-0.6.3: booted from a pocketstack image. Halting.\r\n\x00"


def tiny_disk() -> bytes:
    """A raw disk whose MBR boot code prints a line on the BIOS console and halts, with one
    bootable Linux partition; the same bytes every time."""
    msg_addr = 0x7C00 + 25
    code = bytes([0xFA, 0x31, 0xC0, 0x8E, 0xD8, 0xBE]) + struct.pack("<H", msg_addr) + bytes([
        0xAC, 0x08, 0xC0, 0x74, 0x09, 0xB4, 0x0E, 0xBB, 0x07, 0x00, 0xCD, 0x10, 0xEB, 0xF2, 0xF4, 0xEB, 0xFD])
    boot = (code + MESSAGE).ljust(440, b"\x00") + struct.pack("<I", 0x70C4E7) + b"\x00\x00"
    start, count = 2048, DISK_SECTORS - 2048
    entry = bytes([0x80, 0xFE, 0xFF, 0xFF, 0x83, 0xFE, 0xFF, 0xFF]) + struct.pack("<II", start, count)
    mbr = boot + entry + b"\x00" * 48 + b"\x55\xAA"
    assert len(mbr) == SECTOR
    return mbr + b"\x00" * (SECTOR * (DISK_SECTORS - 1))


def qcow2_image(raw: bytes, virtual_size: int) -> bytes:
    """`raw` as the start of a qcow2 v3 disk of `virtual_size` bytes, as `qemu-img convert -O qcow2`
    lays one out: header, refcount table and block, L1 and L2 tables, then only the clusters of
    `raw` that hold data. One L2 table maps 512 MiB, which is all a bootstrap image needs."""
    cluster = 1 << CLUSTER_BITS
    assert len(raw) <= virtual_size <= cluster * (cluster // 8)
    chunks = [raw[i:i + cluster] for i in range(0, len(raw), cluster)]
    data = [(n, chunk.ljust(cluster, b"\x00")) for n, chunk in enumerate(chunks) if chunk.strip(b"\x00")]
    refcount_table, refcount_block, l1_table, l2_table = 1, 2, 3, 4      # cluster numbers; data follows
    total = 5 + len(data)
    assert total <= cluster // 2                                         # one refcount block counts them all
    header = stores.QCOW2_MAGIC + struct.pack(
        ">IQIIQIIQQIIQQQQII", 3, 0, 0, CLUSTER_BITS, virtual_size, 0, 1, l1_table * cluster,
        refcount_table * cluster, 1, 0, 0, 0, 0, 0, 4, 104)         # v3: no features, 16-bit refcounts
    copied = 1 << 63                                                     # refcount 1: written in place
    l2 = bytearray(cluster)
    for slot, (n, _) in enumerate(data):
        struct.pack_into(">Q", l2, n * 8, copied | (5 + slot) * cluster)
    parts = [header.ljust(cluster, b"\x00"),
             struct.pack(">Q", refcount_block * cluster).ljust(cluster, b"\x00"),
             (b"\x00\x01" * total).ljust(cluster, b"\x00"),
             struct.pack(">Q", copied | l2_table * cluster).ljust(cluster, b"\x00"),
             bytes(l2), *(chunk for _, chunk in data)]
    return b"".join(parts)


def bootstrap_image_bytes(settings: Any) -> bytes:
    """What the bootstrap `cirros-0.6.3-x86_64-disk` image holds: qcow2 or raw data, whose format
    and virtual size the image record takes from the bytes (stores.detect_format). The config can name
    a bootable guest image (`image: {bootstrap_image_file: PATH}`, which `serve --compute-driver qemu`
    sets to the project's cirros-like test image); else the tiny boot sector above, as a qcow2."""
    path = settings.option("image.bootstrap_image_file") if settings is not None else None
    if path:
        with open(path, "rb") as f:
            return f.read()
    return qcow2_image(tiny_disk(), CIRROS_VIRTUAL_SIZE)


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    stores.configure(settings)
    image_id, now = new_uuid(), utcnow()
    key = stores.data_key(image_id)
    data = blobs.store().write_bytes(key, bootstrap_image_bytes(settings), stores.ALGORITHMS)
    disk_format, virtual_size = stores.detect_format(key, data.size)
    conn.execute(images.insert().values(
        id=image_id, name=CIRROS_NAME, status="active", visibility="public",
        owner=info["identity"]["projects"]["admin"], disk_format=disk_format, container_format="bare",
        size=data.size, virtual_size=virtual_size, checksum=data.digests["md5"], os_hash_algo=stores.HASH_ALGO,
        os_hash_value=data.digests[stores.HASH_ALGO], min_disk=0, min_ram=0, protected=False, os_hidden=False,
        stores=stores.DEFAULT_STORE, created_at=now, updated_at=now))
    conn.execute(image_properties.insert(), [{"image_id": image_id, "name": k, "value": v} for k, v in (
        ("hw_rng_model", "virtio"), ("owner_specified.openstack.md5", ""),
        ("owner_specified.openstack.object", f"images/{CIRROS_NAME}"),
        ("owner_specified.openstack.sha256", ""))])
    metadefs.seed(conn)
    return {"cirros_image_id": image_id}


def startup(settings: Any) -> None:
    """An upload cut short by a stop leaves its image 'saving' (or 'uploading' with nothing staged):
    put it back to 'queued', as if the upload had failed."""
    imports.startup(settings)
    cache.startup(settings)
    locations.startup()
    quotas.configure(settings)
    stores.configure(settings)
    stores.configure_formats(settings)
    web_download.configure(settings)
    store = blobs.store()
    with db.session() as conn:
        conn.execute(images.update().where(images.c.status == "saving").values(status="queued", updated_at=utcnow()))
        staged = conn.execute(sa.select(images.c.id).where(images.c.status == "uploading")).scalars().all()
        for image_id in staged:
            if not store.exists(stores.staging_key(image_id)):
                conn.execute(images.update().where(images.c.id == image_id, images.c.status == "uploading")
                             .values(status="queued", updated_at=utcnow()))
