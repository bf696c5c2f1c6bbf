"""First start: DevStack's cirros image, with real bytes; every start: no image stays mid-upload."""

from __future__ import annotations

import struct
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import blobs, db
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.image import imports, metadefs, quotas, stores, web_download
from pocketstack.services.image.tables import image_properties, images

CIRROS_NAME = "cirros-0.6.3-x86_64-disk"
SECTOR = 512
DISK_SECTORS = 4096                      # a 2 MiB raw disk
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


def bootstrap_bytes(settings: Any) -> tuple[bytes, str, int | None]:
    """The bootstrap image's bytes, disk format and virtual size: a bootable guest image when the config
    names one (`image: {bootstrap_image_file: PATH, bootstrap_image_format: qcow2,
    bootstrap_image_virtual_size: BYTES}`, which `serve --compute-driver qemu` sets to the project's
    cirros-like test image), else the tiny raw disk above."""
    path = settings.option("image.bootstrap_image_file") if settings is not None else None
    if not path:
        disk = tiny_disk()
        return disk, "raw", len(disk)
    virtual = settings.option("image.bootstrap_image_virtual_size")
    with open(path, "rb") as f:
        return f.read(), str(settings.option("image.bootstrap_image_format", "qcow2")), \
            int(virtual) if virtual else None


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    stores.configure(settings)
    image_id, now = new_uuid(), utcnow()
    content, disk_format, virtual_size = bootstrap_bytes(settings)
    data = blobs.store().write_bytes(stores.data_key(image_id), content, stores.ALGORITHMS)
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
