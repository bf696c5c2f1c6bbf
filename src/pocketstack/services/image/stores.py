"""Where image bytes live: the configured filesystem stores in the blob store, and the staging area.

Stores are Glance's `enabled_backends`, set in the `image:` config section:

    image:
      stores:
        - {id: fast, description: Fast store, default: true}
        - {id: cheap, description: Cheap store, weight: 10}
        - {id: archive, read_only: true}

Without it there is one store, "file". Each store keeps an image at image/<store>/<image id>. On the
ceph blob backend those keys are RBD images, as glance_store's rbd driver keeps them: named by the
image id (`<store>.<image id>` for a store other than the default), with a protected snapshot
`snap`, so a volume from the image is a copy-on-write clone (core.blobs_rbd). Image data written as
chunked RADOS objects before that still reads.
Also reads what Glance's format inspector reports: the virtual size of raw, iso and qcow2 data.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from pocketstack.core import blobs
from pocketstack.core.errors import BadRequest

LOG = logging.getLogger("pocketstack.image")
DEFAULT_STORE = "file"
STORES: list[dict[str, Any]] = [{"id": DEFAULT_STORE, "description": "Filesystem store in the pocketstack data "
                                 "directory.", "default": True}]
STORE_IDS = [s["id"] for s in STORES]
IMPORT_METHODS = ["glance-direct", "copy-image", "glance-download"]
ALL_IMPORT_METHODS = ("glance-direct", "web-download", "copy-image", "glance-download")
HASH_ALGO = "sha512"
ALGORITHMS = ("md5", HASH_ALGO)
QCOW2_MAGIC = b"QFI\xfb"
# Glance's show_image_direct_url and show_multiple_locations (both off by default, as upstream's;
# DevStack's Ceph plugin turns the first on so cinder and nova can clone): `image:` config keys
SHOW = {"direct_url": False, "locations": False}


def configure(settings: Any) -> None:
    """Read `image.stores` (a list of {id, description, default, read_only, weight}) and
    `image.import_methods` (Glance's enabled_import_methods)."""
    for what, option in (("direct_url", "show_image_direct_url"), ("locations", "show_multiple_locations")):
        SHOW[what] = bool(settings.option(f"image.{option}", False)) if settings is not None else False
    methods = settings.option("image.import_methods") if settings is not None else None
    if methods:
        assert all(m in ALL_IMPORT_METHODS for m in methods), f"unknown import method in {methods}"
        IMPORT_METHODS[:] = list(methods)
    configured = settings.option("image.stores") if settings is not None else None
    if configured:
        _configure_stores(configured)
    keep_as_images()


def keep_as_images() -> None:
    """Each store's image data as block images where the blob backend has them (RBD on ceph)."""
    try:
        store = blobs.store()
    except RuntimeError:            # no blob store in this process (a CLI that only reads settings)
        return
    for sid in STORE_IDS:
        store.keep_as_block_images(f"image/{sid}/", "" if sid == DEFAULT_STORE else f"{sid}.")


def _configure_stores(configured: list[dict[str, Any]]) -> None:
    global DEFAULT_STORE
    out: list[dict[str, Any]] = []
    for raw in configured:
        sid = str(raw["id"])
        assert sid.replace("_", "").replace("-", "").isalnum(), f"bad image store id {sid!r}"
        entry: dict[str, Any] = {"id": sid, "description": str(raw.get("description", f"Filesystem store {sid}."))}
        if raw.get("read_only"):
            entry["read-only"] = "true"
        if raw.get("weight") is not None:
            entry["weight"] = int(raw["weight"])
        out.append(entry)
    default = next((str(r["id"]) for r in configured if r.get("default")), out[0]["id"])
    for entry in out:
        if entry["id"] == default:
            entry["default"] = True
    STORES[:] = out
    STORE_IDS[:] = [s["id"] for s in out]
    DEFAULT_STORE = default


def writable() -> list[str]:
    return [s["id"] for s in STORES if s.get("read-only") != "true"]


def split(value: str | None) -> list[str]:
    return [s for s in (value or "").split(",") if s]


def join(ids: list[str]) -> str | None:
    """The image's `stores` attribute: the ids by weight (highest first, as Glance sorts locations),
    then by id; comma-separated."""
    weight = {s["id"]: s.get("weight", 0) for s in STORES}
    return ",".join(sorted(set(ids), key=lambda s: (-weight.get(s, 0), s))) or None


def check_store(store_id: str) -> str:
    if store_id not in STORE_IDS:
        raise BadRequest(f"Unknown scheme '{store_id}' found in URI")
    return store_id


def data_key(image_id: str, store_id: str | None = None) -> str:
    return f"image/{store_id or DEFAULT_STORE}/{image_id}"


def staging_key(image_id: str) -> str:
    return f"image/staging/{image_id}"


def readable_key(image_id: str, held: str | None) -> str | None:
    """Where to read an image's bytes: the first store holding them, by weight then id."""
    store = blobs.store()
    for sid in split(join(split(held))):
        if store.exists(data_key(image_id, sid)):
            return data_key(image_id, sid)
    return None


def in_use(image_id: str, held: str | None) -> str | None:
    """Why the image's data cannot be deleted now (volumes cloned from it), else None."""
    store = blobs.store()
    return next((why for sid in split(held) if (why := store.in_use(data_key(image_id, sid)))), None)


def delete_data(image_id: str, held: str | None = None) -> None:
    store = blobs.store()
    for sid in set(STORE_IDS) | set(split(held)):
        try:
            store.delete(data_key(image_id, sid))
        except blobs.InUse as exc:      # cloned since in_use() said no: the image stays in the pool
            LOG.warning("data of deleted image %s left in store %s: %s", image_id, sid, exc)
    store.delete(staging_key(image_id))


# formats oslo.utils' format_inspector recognises; the others (ami, ari, aki, ploop) are opaque
INSPECTABLE = ("raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "iso")
_require_match = True


def configure_formats(settings: Any) -> None:
    """`image.require_image_format_match` (Glance's [image_format] option, default true)."""
    global _require_match
    _require_match = bool(settings.option("image.require_image_format_match", True)) if settings else True


def detect_format(key: str, size: int) -> tuple[str, int | None]:
    """What the data is, by its magic numbers, and the virtual size that format records."""
    store = blobs.store()
    head = b"".join(store.read(key, 0, min(size, 64 << 10)))
    if head[:4] == QCOW2_MAGIC and len(head) >= 32:
        return "qcow2", struct.unpack(">Q", head[24:32])[0]
    if head[:8] == b"vhdxfile":
        return "vhdx", None
    if head[:4] == b"KDMV" and len(head) >= 20:
        return "vmdk", struct.unpack("<Q", head[12:20])[0] * 512
    if head[:21] == b"# Disk DescriptorFile":
        return "vmdk", None
    if len(head) >= 0x178 and head[0x40:0x44] == b"\x7f\x10\xda\xbe":
        return "vdi", struct.unpack("<Q", head[0x170:0x178])[0]
    if size >= 512:
        footer = b"".join(store.read(key, size - 512, size))
        if footer[:8] == b"conectix":
            return "vhd", struct.unpack(">Q", footer[48:56])[0]
    if head[:8] == b"conectix" and len(head) >= 56:
        return "vhd", struct.unpack(">Q", head[48:56])[0]
    iso = b"".join(store.read(key, 0x8000, 0x8800)) if size > 0x8800 else b""
    if iso[1:6] == b"CD001":
        blocks, block_size = struct.unpack("<I", iso[80:84])[0], struct.unpack("<H", iso[128:130])[0]
        return "iso", blocks * block_size
    return "raw", size


def check_format(key: str, disk_format: str | None, container_format: str | None, size: int) -> int | None:
    """Glance's upload inspection: data in a bare container must be what its disk_format says
    (raw may hold anything; opaque formats may hold raw data). Returns the virtual size."""
    if size == 0:       # no data, no format to contradict: nova's volume-backed snapshots are such images
        return 0
    if container_format != "bare":
        return virtual_size(key, disk_format, size)
    found, vsize = detect_format(key, size)
    if found == disk_format:
        return vsize
    if disk_format == "raw":
        return size
    if found == "raw" and disk_format not in INSPECTABLE:
        return None
    if _require_match:
        raise BadRequest(f"Image disk_format {disk_format} does not match stream data {found}")
    return None


def virtual_size(key: str, disk_format: str | None, size: int) -> int | None:
    """The guest-visible disk size: the file size for raw and iso, the qcow2 header's size field."""
    if disk_format in ("raw", "iso"):
        return size
    if disk_format == "qcow2":
        header = b"".join(blobs.store().read(key, 0, 32))
        if len(header) >= 32 and header[:4] == QCOW2_MAGIC:
            return struct.unpack(">Q", header[24:32])[0]
    return None
