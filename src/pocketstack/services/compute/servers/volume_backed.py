"""createImage of a volume-backed server (nova/compute/api.py snapshot_volume_backed): a snapshot of each
attached volume, and an image with no bytes whose block device mapping names them, so that booting that
image creates volumes from the snapshots (the image-defined block device mapping)."""

from __future__ import annotations

import json
from typing import Any

from pocketstack.core import db, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import volume_api, volumes

# what nova's image metadata from the instance drops: the image's identity, its bytes' format and size
NOT_COPIED = {"image_id", "image_name", "checksum", "size", "container_format", "disk_format"}
REIMAGE_TIMEOUT_PER_GB = 20      # nova's [DEFAULT] reimage_timeout_per_gb


def is_volume_backed(row: dict[str, Any]) -> bool:
    return not row["image_id"]


def root_volume(row: dict[str, Any]) -> dict[str, Any] | None:
    """The block device mapping of the server's root volume."""
    with db.reader() as conn:
        return next((a for a in volumes.attachments_of(conn, [row["id"]])[row["id"]] if a["boot_index"] == 0),
                    None)


def root_image_id(ctx: Context, row: dict[str, Any]) -> str | None:
    """The image the root volume was made from (nova reads it from the volume's image metadata)."""
    boot = root_volume(row)
    volume = volume_api.get(ctx.token, row["project_id"], boot["volume_id"]) if boot else None
    return ((volume or {}).get("volume_image_metadata") or {}).get("image_id")


def reimage_root(token: Auth | None, row: dict[str, Any], image_id: str) -> None:
    """nova's _rebuild_volume_backed_instance (2.93): the root volume reserved again for the server, its
    old attachment deleted, rewritten with the image by the block storage service (reimage_reserved),
    attached anew; called while the guest is down."""
    boot = root_volume(row)
    if boot is None:
        raise volume_api.VolumeError(f"server {row['id']} has no root volume to reimage")
    project = row["project_id"]
    attachment_id = volume_api.reserve(token, project, boot["volume_id"], row["id"])
    volume_api.detach(token, project, boot["attachment_id"])
    with db.session() as conn:
        conn.execute(t.volume_attachments.update().where(t.volume_attachments.c.id == boot["id"]).values(
            attachment_id=attachment_id))
    volume = volume_api.get(token, project, boot["volume_id"]) or {}
    volume_api.reimage(token, project, boot["volume_id"], image_id,
                       REIMAGE_TIMEOUT_PER_GB * max(int(volume.get("size") or 1), 1))
    volume_api.connect(token, project, attachment_id, boot["device"], row.get("host"))


def snapshot_volume_backed(ctx: Context, row: dict[str, Any], name: str, props: dict[str, str]) -> str:
    """The image id; the image is active at once (nova's glance client uploads no data with size 0)."""
    with db.reader() as conn:
        attached = volumes.attachments_of(conn, [row["id"]])[row["id"]]
    project = row["project_id"]
    boot = next((a for a in attached if a["boot_index"] == 0), None)
    base: dict[str, Any] = {}
    if boot is not None:
        boot_volume = volume_api.get(ctx.token, project, boot["volume_id"]) or {}
        meta = boot_volume.get("volume_image_metadata") or {}
        base = {k: val for k, val in meta.items() if k not in NOT_COPIED}
    mapping = []
    for a in attached:
        volume = volume_api.get(ctx.token, project, a["volume_id"]) or {}
        try:
            snap = volume_api.create_snapshot_force(ctx.token, project, a["volume_id"],
                                                    f"snapshot for {name}", volume.get("description"))
        except volume_api.VolumeError as exc:
            raise (Forbidden if "quota" in str(exc).lower() else BadRequest)(str(exc)) from None
        mapping.append(_image_mapping(snap["id"], a, volume.get("size")))
    image = {**{k: str(val) for k, val in base.items() if k not in ("min_ram", "min_disk")},
             "name": name, "disk_format": "qcow2", "container_format": "bare", "root_device_name": "/dev/vda",
             "min_ram": int(base.get("min_ram") or 0), "min_disk": int(base.get("min_disk") or 0), **props}
    if mapping:
        image.update(block_device_mapping=json.dumps(mapping), bdm_v2="True")
    image_id = create_image(ctx, image)
    r = internal_client.call("PUT", f"/image/v2/images/{image_id}/file", token=ctx.token, content=b"",
                             headers={"Content-Type": "application/octet-stream"})
    if r.status_code != 204:
        raise BadRequest(f"Image upload failed: {r.text[:200]}")
    with db.session() as conn:
        action_id = common.record_action(conn, ctx, row["id"], "createImage")
        common.record_event(conn, action_id, "api_snapshot_instance")
    return image_id


def create_image(ctx: Context, image: dict[str, Any]) -> str:
    """The snapshot's image record in the image service (createImage, createBackup, shelve)."""
    r = internal_client.call("POST", "/image/v2/images", token=ctx.token, json=image)
    if r.status_code in (403, 413):
        raise Forbidden("Quota exceeded for resources: ['image']")
    if r.status_code != 201:
        raise BadRequest(f"Image creation failed: {r.text[:200]}")
    return str(r.json()["id"])


def _image_mapping(snapshot_id: str, attachment: dict[str, Any], size: Any) -> dict[str, Any]:
    """nova's block_device.snapshot_from_bdm(...).get_image_mapping(): every BDM field, db ones left out."""
    return {"source_type": "snapshot", "destination_type": "volume", "snapshot_id": snapshot_id,
            "volume_id": None, "image_id": None, "no_device": None, "guest_format": None, "tag": None,
            "disk_bus": "virtio", "device_type": "disk", "boot_index": attachment["boot_index"],
            "delete_on_termination": bool(attachment["delete_on_termination"]), "volume_size": size,
            "device_name": attachment["device"], "volume_type": None, "encrypted": None,
            "encryption_secret_uuid": None, "encryption_format": None, "encryption_options": None}
