"""Volume swap: PUT /servers/{id}/os-volume_attachments/{old} with another volumeId (nova's compute API
swap_volume and the compute manager's _swap_volume, new-style attachments). Cinder calls it while it
migrates or retypes an attached volume, so a volume that is not migrating is refused (409), as nova
refuses it. Then: the old volume begins detaching, the new one gets an attachment, the driver copies
the guest's disk onto it, the new attachment completes, the old one is deleted, Cinder's
os-migrate_volume_completion says which id the data now lives under, and the block device mapping
points there."""

from __future__ import annotations

from typing import Any

from pocketstack.core import db, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import volume_api

SWAPPABLE = ["active", "paused", "resized"]
VA = t.volume_attachments


def swap_volume(ctx: Context, row: dict[str, Any], rows: list[dict[str, Any]], old_id: str, new_id: str) -> None:
    project, token = row["project_id"], ctx.token
    old = volume_api.get(token, project, old_id)
    if old is None:
        raise NotFound(f"Volume {old_id} could not be found.")
    if not old.get("migration_status"):
        raise Conflict(f"volume {old_id} is not migrating; this API should only be called by Cinder")
    new = volume_api.get(token, project, new_id)
    if new is None:
        raise BadRequest(f"Volume {new_id} could not be found.")
    common.check_locked(ctx, row)
    common.check_state(row, "swap_volume", SWAPPABLE)
    if not drivers.current().swaps_volumes:
        raise Conflict(f"Swapping volumes is not supported by the {drivers.current().name} compute driver.")
    if not any(a.get("server_id") == row["id"] for a in old.get("attachments") or []):
        raise BadRequest("Invalid volume: Old volume is attached to a different instance.")
    if new.get("attach_status") == "attached":
        raise BadRequest("Invalid volume: New volume must be detached in order to swap.")
    if int(new["size"]) < int(old["size"]):
        raise BadRequest("Invalid volume: New volume must be the same size or larger.")
    try:
        volume_api.volume_action(token, project, old_id, "os-begin_detaching")
    except volume_api.VolumeError as exc:
        raise BadRequest(f"Invalid volume: {exc}") from None
    if len(old.get("attachments") or []) > 1:      # every attachment here is read/write
        volume_api.volume_action(token, project, old_id, "os-roll_detaching")
        raise BadRequest("Swapping multi-attach volumes with more than one read/write attachment is not "
                         "supported.")
    bdm = next((r for r in rows if r["volume_id"] == old_id), None)
    if bdm is None:
        volume_api.volume_action(token, project, old_id, "os-roll_detaching")
        raise NotFound(f"No volume Block Device Mapping with id {old_id}.")
    try:
        new_attachment = volume_api.reserve(token, project, new_id, row["id"])
    except volume_api.VolumeError as exc:
        volume_api.volume_action(token, project, old_id, "os-roll_detaching")
        raise BadRequest(f"Invalid volume: {exc}") from None
    with db.session() as conn:
        action_id = common.record_action(conn, ctx, row["id"], "swap_volume")
    try:
        _swap(token, row, bdm, old, new, new_attachment)
    except Exception as exc:       # nova's compute manager: roll back, the event says Error
        volume_api.volume_action(token, project, old_id, "os-roll_detaching")
        volume_api.detach(token, project, new_attachment)
        with db.session() as conn:
            common.record_event(conn, action_id, "compute_swap_volume", "Error", str(exc))
        return
    with db.session() as conn:
        common.record_event(conn, action_id, "compute_swap_volume")


def _swap(token: Any, row: dict[str, Any], bdm: dict[str, Any], old: dict[str, Any], new: dict[str, Any],
          new_attachment: str) -> None:
    project = row["project_id"]
    old_info = volume_api.connection_info(token, project, bdm["attachment_id"])
    new_info = volume_api.update_attachment(token, project, new_attachment, bdm["device"], row.get("host"))
    drivers.on_guest_host(row, "swap_volume", old_info, new_info, bdm["device"])
    volume_api.complete(token, project, new_attachment)
    volume_api.detach(token, project, bdm["attachment_id"])
    saved = new["id"]
    if old.get("migration_status") == "migrating":   # Cinder's own migration: the data keeps the old id
        answer = volume_api.volume_action(service_auth.token("compute"), project, old["id"],
                                          "os-migrate_volume_completion", {"new_volume": new["id"], "error": False})
        saved = answer["save_volume_id"]
    with db.session() as conn:
        conn.execute(VA.update().where(VA.c.id == bdm["id"]).values(
            volume_id=saved, attachment_id=new_attachment, updated_at=utcnow()))
