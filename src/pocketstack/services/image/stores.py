"""Where image bytes live: one filesystem store ("file") in the blob store, plus the staging area.

Also reads what Glance's format inspector reports: the virtual size of raw, iso and qcow2 data.
"""

from __future__ import annotations

import struct

from pocketstack.core import blobs

DEFAULT_STORE = "file"
STORES = [{"id": DEFAULT_STORE, "description": "Filesystem store in the pocketstack data directory.",
           "default": True}]
STORE_IDS = [s["id"] for s in STORES]
IMPORT_METHODS = ["glance-direct", "copy-image"]
HASH_ALGO = "sha512"
ALGORITHMS = ("md5", HASH_ALGO)
QCOW2_MAGIC = b"QFI\xfb"


def data_key(image_id: str) -> str:
    return f"image/{DEFAULT_STORE}/{image_id}"


def staging_key(image_id: str) -> str:
    return f"image/staging/{image_id}"


def delete_data(image_id: str) -> None:
    store = blobs.store()
    store.delete(data_key(image_id))
    store.delete(staging_key(image_id))


def virtual_size(key: str, disk_format: str | None, size: int) -> int | None:
    """The guest-visible disk size: the file size for raw and iso, the qcow2 header's size field."""
    if disk_format in ("raw", "iso"):
        return size
    if disk_format == "qcow2":
        header = b"".join(blobs.store().read(key, 0, 32))
        if len(header) >= 32 and header[:4] == QCOW2_MAGIC:
            return struct.unpack(">Q", header[24:32])[0]
    return None
