"""Volume actions: POST /volumes/{id}/action (api-ref: block-storage v3, Volume actions (volumes,
action); cinder/api/contrib/volume_actions.py, admin_actions.py, volume_image_metadata.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.http import empty, json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common, manager, messages, volume_types, volumes
from pocketstack.services.block_storage import notifications as volume_notifications
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import attachments, snapshots, volume_metadata
from pocketstack.services.block_storage.tables import volumes as volumes_table

STATUSES = {"available", "error", "creating", "deleting", "in-use", "attaching", "detaching", "error_deleting",
            "maintenance", "reserved", "error_extending", "extending", "reverting", "backing-up",
            "restoring-backup", "uploading", "downloading", "error_restoring", "retyping", "error_managing",
            "awaiting-transfer"}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}
UPLOAD_FORMATS = ("raw", "qcow2")      # what the volume can be converted to here (cinder: any qemu-img format)
CORE_IMAGE_PROPERTIES = {"image_id", "image_name", "id", "name", "checksum", "size", "container_format", "disk_format",
                         "min_disk", "min_ram", "status", "visibility", "protected", "owner", "os_hash_algo",
                         "os_hash_value", "virtual_size", "created_at", "updated_at", "os_hidden", "stores"}
Action = Callable[[Connection, Context, dict[str, Any], Any], Any]


def _set(conn: Connection, volume_id: str, **values: Any) -> None:
    conn.execute(volumes_table.update().where(volumes_table.c.id == volume_id).values(updated_at=utcnow(), **values))


def _need(row: dict[str, Any], *statuses: str, action: str) -> None:
    if row["status"] not in statuses:
        raise BadRequest(f"Invalid volume: Volume {row['id']} status must be {' or '.join(statuses)} to {action}, "
                         f"but current status is: {row['status']}.")


def _bool(args: Any, key: str) -> bool:
    if not isinstance(args, dict) or key not in args:
        raise BadRequest(f"Invalid input received: '{key}' is a required property")
    return common.bool_param(args[key], key)


# --- actions ---------------------------------------------------------------------------------
def extend(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    try:
        new_size = int(args["new_size"])
    except (TypeError, KeyError, ValueError):
        raise BadRequest("Invalid input received: new_size must be an integer.") from None
    in_use = row["status"] == "in-use" and common.version_at_least(ctx, v.VOLUME_EXTEND_INUSE)
    common.enforce(ctx, "volume:extend_attached_volume" if in_use else "volume:extend", _target(row))
    _need(row, "available", *(["in-use"] if in_use else []), action="extend")
    if new_size <= row["size"]:
        raise BadRequest(f"Invalid input received: New size for extend must be greater than current size. "
                         f"(current: {row['size']}, extended: {new_size}).")
    common.check_quota(conn, row["project_id"], {"gigabytes": new_size - row["size"]})
    _set(conn, row["id"], status="extending", previous_status=row["status"])
    manager.enqueue(conn, "volume.extend", volume_id=row["id"], new_size=new_size)


def reset_status(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_admin_actions:reset_status", _target(row))
    args = args if isinstance(args, dict) else {}
    values: dict[str, Any] = {}
    if "status" in args:
        if args["status"] not in STATUSES:
            raise BadRequest(f"Invalid input received: Must specify a valid status: {args['status']}")
        values["status"] = args["status"]
    if "attach_status" in args:
        if args["attach_status"] not in ("attached", "detached"):
            raise BadRequest(f"Invalid input received: Must specify a valid attach status: {args['attach_status']}")
        values["attach_status"] = args["attach_status"]
        if args["attach_status"] == "detached":
            conn.execute(attachments.delete().where(attachments.c.volume_id == row["id"]))
    if "migration_status" in args:
        values["migration_status"] = None if args["migration_status"] == "none" else args["migration_status"]
    if not values:
        raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.")
    _set(conn, row["id"], **values)


def force_delete(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_admin_actions:force_delete", _target(row))
    volumes.start_delete(conn, row, cascade=True, force=True)


def set_bootable(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume:update", _target(row))
    _set(conn, row["id"], bootable=_bool(args, "bootable"))
    return empty(200)


def update_readonly(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume:update_readonly_flag", _target(row))
    _need(row, "available", "in-use", action="update readonly flag")
    readonly = _bool(args, "readonly")
    _set(conn, row["id"], readonly=readonly)
    # quirk: cinder keeps the flag in admin metadata, which the volume's metadata shows as "True"/"False"
    conn.execute(volume_metadata.delete().where(volume_metadata.c.volume_id == row["id"],
                                                volume_metadata.c.key == "readonly"))
    conn.execute(volume_metadata.insert().values(volume_id=row["id"], key="readonly", value=str(readonly)))


def retype(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume:retype", _target(row))
    if not isinstance(args, dict) or not args.get("new_type"):
        raise BadRequest("Invalid input received: 'new_type' is a required property")
    policy = str(args.get("migration_policy") or "never").lower()
    if policy not in ("on-demand", "never"):
        raise BadRequest(f"Invalid input received: migration_policy must be 'on-demand' or 'never', passed: "
                         f"{args.get('migration_policy')}")
    _need(row, "available", "in-use", action="retype")
    new = volume_types.find(conn, ctx, args["new_type"])
    if new["id"] == row["volume_type_id"]:
        raise BadRequest("Invalid input received: New volume type must be different from the original one.")
    # cinder can't change multiattach on an attached volume (the hypervisor attached it one way)
    multiattach = volume_types.is_multiattach(conn, new["id"])
    if multiattach != bool(row["multiattach"]):
        if row["status"] != "available":
            raise BadRequest("Invalid input received: Invalid volume_type passed, retypes affecting multiattach "
                             "are only allowed on available volumes, the specified volume however currently has "
                             f"a status of: {row['status']}.")
        if multiattach:
            common.enforce(ctx, "volume:multiattach", _target(row))
    if multiattach and new.get("encryption"):
        raise BadRequest("Invalid input received: Retype requested both encryption and multi-attach, which is "
                         "not supported.")
    if row["migration_status"] not in MIGRATABLE or row["group_id"]:
        raise BadRequest("Invalid volume: Retype needs volume to be in available or in-use state, not be part of "
                         "an active migration or a consistency group, requested type has to be different that the "
                         "one from the volume, and for in-use volumes front-end qos specs cannot change.")
    specs = volume_types.specs_of(conn, new["id"])
    current = common.backend_of(row["host"])
    if current is None or common.backend_satisfies(specs, current):
        _set(conn, row["id"], volume_type_id=new["id"], multiattach=multiattach)
        return
    # the new type wants another backend: cinder's scheduler migrates the volume there (on-demand), or
    # the retype is not done (never: "Retype requires migration but is not allowed"; no backend fits)
    dest = common.pick_backend(specs)
    if policy == "never" or dest is None:
        messages.record(conn, row["project_id"], ctx.request_id, row["id"], messages.NO_VALID_BACKEND)
        return
    _set(conn, row["id"], status="retyping", previous_status=row["status"], migration_status="starting")
    manager.enqueue(conn, "volume.migrate", volume_id=row["id"], new_type_id=new["id"],
                    host=common.host_of(dest, (row["host"] or common.HOSTNAME).split("@")[0]))


def revert(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    if not common.version_at_least(ctx, v.VOLUME_REVERT):
        raise NotFound("There is no such action: revert")
    common.enforce(ctx, "volume:revert_to_snapshot", _target(row))
    snap_id = args.get("snapshot_id") if isinstance(args, dict) else None
    if not snap_id:
        raise BadRequest("Invalid input received: 'snapshot_id' is a required property.")
    snap = common.load_row(conn, snapshots, ctx, snap_id, "Snapshot")
    latest = conn.execute(sa.select(snapshots.c.id).where(snapshots.c.volume_id == row["id"]).order_by(
        snapshots.c.created_at.desc(), snapshots.c.id.desc()).limit(1)).scalar()
    if snap["volume_id"] != row["id"] or latest != snap["id"]:
        raise BadRequest(f"Invalid snapshot: Specified snapshot {snap_id} is not the latest one of volume "
                         f"{row['id']}.")
    if row["status"] != "available" or snap["status"] != "available":
        raise BadRequest(f"Invalid volume: Volume {row['id']} and snapshot {snap_id} must be 'available' to revert, "
                         f"but they are {row['status']} and {snap['status']}.")
    if snap["size"] != row["size"]:
        raise BadRequest(f"Invalid volume: Volume {row['id']} size must be equal to the snapshot size "
                         f"{snap['size']} to revert.")
    _set(conn, row["id"], status="reverting")
    conn.execute(snapshots.update().where(snapshots.c.id == snap_id).values(status="restoring"))
    manager.enqueue(conn, "volume.revert", volume_id=row["id"], snapshot_id=snap_id)


def upload_image(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume_extension:volume_actions:upload_image", _target(row))
    if not isinstance(args, dict) or not args.get("image_name"):
        raise BadRequest("Invalid input received: 'image_name' is a required property")
    force = common.bool_param(args.get("force", False), "force")
    _need(row, "available", *(["in-use"] if force else []), action="upload to image")
    image = {"name": args["image_name"], "container_format": args.get("container_format", "bare"),
             "disk_format": args.get("disk_format", "raw")}
    if image["disk_format"] not in UPLOAD_FORMATS:
        raise BadRequest(f"Invalid input received: disk_format {image['disk_format']} is not one of "
                         f"{', '.join(UPLOAD_FORMATS)}.")
    if common.version_at_least(ctx, v.UPLOAD_IMAGE_PARAMS):
        image["visibility"] = args.get("visibility", "private")
        image["protected"] = common.bool_param(args.get("protected", False), "protected")
        if image["visibility"] == "public":
            common.enforce(ctx, "volume_extension:volume_actions:upload_public", _target(row))
    return row, image


def _upload_response(ctx: Context, rq: ApiRequest, row: dict[str, Any], image: dict[str, Any]) -> Any:
    """Register the image with Glance (outside any transaction), then start the upload job."""
    meta = {k: str(val) for k, val in (row["image_metadata"] or {}).items() if k not in CORE_IMAGE_PROPERTIES}
    r = internal_client.call("POST", "/image/v2/images", token=ctx.token, json={**meta, **image})
    if r.status_code != 201:
        raise BadRequest(f"Failed to create the image: HTTP {r.status_code} {r.text[:200]}")
    created = r.json()
    with db.session() as conn:
        fresh = common.load_row(conn, volumes_table, ctx, row["id"], "Volume")
        if fresh["status"] != row["status"]:
            internal_client.call("DELETE", f"/image/v2/images/{created['id']}", token=ctx.token)
            raise BadRequest(f"Invalid volume: Volume status changed to {fresh['status']} during upload.")
        _set(conn, row["id"], status="uploading", previous_status=row["status"])
        manager.enqueue(conn, "volume.upload_image", volume_id=row["id"], image_id=created["id"],
                        caller=service_auth.caller(ctx), disk_format=image["disk_format"])
        vtype = conn.execute(sa.select(volume_types.volume_types).where(
            volume_types.volume_types.c.id == row["volume_type_id"])).mappings().first()
    body = {"id": row["id"], "updated_at": common.ts(utcnow()), "status": "uploading",
            "display_description": row["description"], "size": row["size"],
            "volume_type": {k: (common.ts(val) if k.endswith("_at") else val) for k, val in dict(vtype).items()}
            if vtype else None,
            "image_id": created["id"], "container_format": image["container_format"],
            "disk_format": image["disk_format"], "image_name": image["name"]}
    if "visibility" in image:
        body.update(visibility=image["visibility"], protected=image["protected"])
    return json_response(202, {"os-volume_upload_image": body})


def reimage(ctx: Context, rq: ApiRequest, args: Any) -> Any:
    """os-reimage (3.68, cinder's volume API reimage): the volume's bytes replaced by an image's. Nova's
    rebuild of a volume-backed server (2.93) reserves the volume for the server first and asks with
    reimage_reserved; the job tells it with a `volume-reimaged` event. The image is looked up before the
    transaction (a call to another service inside one would hold the write turn)."""
    if not common.version_at_least(ctx, v.REIMAGE):
        raise NotFound("There is no such action: os-reimage")
    if not isinstance(args, dict) or not args.get("image_id"):
        raise BadRequest("Invalid input received: 'image_id' is a required property")
    unknown = set(args) - {"image_id", "reimage_reserved"}
    if unknown:
        raise BadRequest(f"Invalid input received: Additional properties are not allowed ({', '.join(sorted(unknown))} "
                         f"was unexpected)")
    reserved = common.bool_param(args.get("reimage_reserved", False), "reimage_reserved")
    with db.reader() as conn:
        row = common.load_row(conn, volumes_table, ctx, rq.params["volume_id"], "Volume")
    common.enforce(ctx, "volume:reimage_reserved" if row["status"] == "reserved" else "volume:reimage", _target(row))
    image = volumes.image_for(ctx, str(args["image_id"]))
    need = volumes.image_min_gb(image)
    if need > row["size"]:
        raise BadRequest(f"Invalid input received: Image {image['id']} size {need}GB is larger than the volume "
                         f"size {row['size']}GB.")
    with db.session() as conn:
        row = common.load_row(conn, volumes_table, ctx, row["id"], "Volume")
        if conn.execute(sa.select(sa.func.count()).select_from(attachments).where(
                attachments.c.volume_id == row["id"])).scalar_one() > 1:
            raise BadRequest(f"Invalid volume: Cannot reimage volume {row['id']} with multiple attachments.")
        allowed = ("available", "error", "reserved") if reserved else ("available", "error")
        if row["status"] not in allowed:
            raise BadRequest(f"Invalid volume: Volume {row['id']} status must be {', '.join(allowed)}, but current "
                             f"status is: {row['status']}.")
        _set(conn, row["id"], status="downloading", previous_status=row["status"])
        manager.enqueue(conn, "volume.reimage", volume_id=row["id"], image_id=image["id"],
                        disk_format=image.get("disk_format"), image_metadata=volumes.image_metadata(image),
                        caller=service_auth.caller(ctx), request_id=ctx.request_id)
    return empty(202)


# --- legacy attach/detach (cinder v2 flow, still used by nova's old path and tempest) -------------
def reserve(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:reserve", _target(row))
    _need(row, *(("available", "in-use") if row["multiattach"] else ("available",)), action="reserve")
    _set(conn, row["id"], status="attaching", previous_status=row["status"])


def unreserve(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:unreserve", _target(row))
    if row["status"] == "attaching":
        _set(conn, row["id"], status="in-use" if _attached(conn, row["id"]) else "available")


def begin_detaching(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:begin_detaching", _target(row))
    _need(row, "in-use", action="begin detaching")
    _set(conn, row["id"], status="detaching")


def roll_detaching(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:roll_detaching", _target(row))
    if row["status"] == "detaching":
        _set(conn, row["id"], status="in-use")


def migrate_volume_completion(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    """Nova's call once it has swapped a migrating volume for its copy in a guest (cinder's
    finish_volume_migration): the volume keeps its id and takes the copy's data, type and attachments;
    the copy's record, now holding the old data, is deleted. With `error` the migration ends in error."""
    common.enforce(ctx, "volume_extension:volume_admin_actions:migrate_volume_completion", _target(row))
    new_id = args.get("new_volume") if isinstance(args, dict) else None
    if not new_id:
        raise BadRequest("Invalid input received: 'new_volume' is a required property")
    new = common.load_row(conn, volumes_table, ctx, new_id, "Volume")
    if common.bool_param(args.get("error", False), "error"):
        _set(conn, row["id"], migration_status="error")
        _set(conn, new["id"], migration_status=None)
        return json_response(200, {"save_volume_id": row["id"]})
    if not row["migration_status"]:
        raise BadRequest("Invalid volume: Source volume not mid-migration.")
    manager.finish_migration(conn, row, new)
    return json_response(200, {"save_volume_id": row["id"]})


# cinder's AVAILABLE_MIGRATION_STATUS: a volume whose last migration ended may migrate again
MIGRATABLE = (None, "", "deleting", "error", "success")


def _volume_service(conn: Connection, host: str) -> str | None:
    """`HOST@BACKEND#POOL` for a host naming an enabled cinder-volume service of the cloud (with or
    without its pool), else None (cinder's "No available service")."""
    from pocketstack.services.block_storage.tables import services
    service = host.split("#")[0]
    found = conn.execute(sa.select(services.c.host).where(
        services.c.host == service, services.c.binary == "cinder-volume", services.c.disabled.is_(False))).first()
    if found is None or common.backend_of(service) is None:
        return None
    return host if "#" in host else f"{service}#{common.backend_of(service)}"


def migrate(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    """os-migrate_volume (admin): the volume's bytes move to another backend (volume.migrate job); from
    3.16 a `cluster` may be named instead of a host, and this cloud has no clusters."""
    common.enforce(ctx, "volume_extension:volume_admin_actions:migrate_volume", _target(row))
    args = args if isinstance(args, dict) else {}
    with_cluster = common.version_at_least(ctx, v.VOLUME_MIGRATE_CLUSTER)
    host, cluster = args.get("host"), args.get("cluster") if with_cluster else None
    if bool(host) == bool(cluster):
        raise BadRequest("Invalid input received: " + ("One and only one of cluster and host must be set."
                                                       if with_cluster else "Host field is missing."))
    force_copy = common.bool_param(args.get("force_host_copy", False), "force_host_copy")
    lock = common.bool_param(args.get("lock_volume", False), "lock_volume")
    dest = _volume_service(conn, str(host)) if host else None
    if dest is None:
        raise BadRequest(f"Invalid host: No available service named '{cluster or host}'")
    if (row["status"] not in ("available", "in-use") or row["migration_status"] not in MIGRATABLE
            or row["group_id"] or manager.has_snapshots(conn, row["id"])
            or dest.split("#")[0] == (row["host"] or "").split("#")[0]):
        raise BadRequest(f"Invalid volume: Volume {row['id']} status must be available or in-use, must not be "
                         "migrating, have snapshots, be replicated, be part of a group and destination "
                         "host/cluster must be different than the current one")
    _set(conn, row["id"], migration_status="starting", previous_status=row["status"],
         status="maintenance" if lock and row["status"] == "available" else row["status"])
    manager.enqueue(conn, "volume.migrate", volume_id=row["id"], host=dest, force_host_copy=force_copy)


def attach(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:attach", _target(row))
    args = args if isinstance(args, dict) else {}
    if not args.get("instance_uuid") and not args.get("host_name"):
        raise BadRequest("Invalid request to attach volume to an invalid target")
    mode = args.get("mode", "rw")
    if mode not in ("rw", "ro"):
        raise BadRequest("Invalid request to attach volume with an invalid mode. Attaching mode should be 'rw' "
                         "or 'ro'")
    if row["status"] not in ("available", "attaching", "reserved") and not row["multiattach"]:
        _need(row, "available", "attaching", action="attach")
    now = utcnow()
    conn.execute(attachments.insert().values(
        id=new_uuid(), volume_id=row["id"], project_id=row["project_id"], instance_uuid=args.get("instance_uuid"),
        attached_host=args.get("host_name"), mountpoint=args.get("mountpoint"), attach_mode=mode,
        attach_status="attached", attach_time=now, created_at=now))
    _set(conn, row["id"], status="in-use", attach_status="attached")
    volume_notifications.send_after_commit(conn, ctx, "volume", row["id"], "attach.end")


def detach(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:detach", _target(row))
    detach_all(conn, row, (args or {}).get("attachment_id") if isinstance(args, dict) else None)


def force_detach(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_admin_actions:force_detach", _target(row))
    detach_all(conn, row, (args or {}).get("attachment_id") if isinstance(args, dict) else None)


def detach_all(conn: Connection, row: dict[str, Any], attachment_id: str | None) -> None:
    stmt = attachments.delete().where(attachments.c.volume_id == row["id"])
    if attachment_id:
        stmt = stmt.where(attachments.c.id == attachment_id)
    conn.execute(stmt)
    still = _attached(conn, row["id"])
    _set(conn, row["id"], status="in-use" if still else "available",
         attach_status="attached" if still else "detached")
    volume_notifications.send_after_commit(conn, None, "volume", row["id"], "detach.end")


def _attached(conn: Connection, volume_id: str) -> bool:
    return conn.execute(sa.select(attachments.c.id).where(
        attachments.c.volume_id == volume_id, attachments.c.attach_status == "attached")).first() is not None


def initialize_connection(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume_extension:volume_actions:initialize_connection", _target(row))
    if not isinstance(args, dict) or "connector" not in args:
        raise BadRequest("Must specify 'connector'")
    return json_response(200, {"connection_info": connection_info(row)})


def connection_info(row: dict[str, Any]) -> dict[str, Any]:
    """What a host would need to reach the volume: the backing file (driver 'local') or the RBD
    image (driver 'rbd', os-brick's properties), as the volume backend says."""
    from pocketstack.services.block_storage import backend
    info = backend.active().connection(row["blob_key"])
    info["data"].update(volume_id=row["id"], access_mode="ro" if row["readonly"] else "rw", encrypted=False)
    return dict(info)


def terminate_connection(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> None:
    common.enforce(ctx, "volume_extension:volume_actions:terminate_connection", _target(row))


def set_image_metadata(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume_extension:volume_image_metadata:set", _target(row))
    meta = args.get("metadata") if isinstance(args, dict) else None
    if not isinstance(meta, dict):
        raise BadRequest("Malformed request body.")
    merged = {**(row["image_metadata"] or {}), **{k: str(val) for k, val in meta.items()}}
    _set(conn, row["id"], image_metadata=merged)
    return json_response(200, {"metadata": merged})


def unset_image_metadata(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume_extension:volume_image_metadata:remove", _target(row))
    key = args.get("key") if isinstance(args, dict) else None
    meta = dict(row["image_metadata"] or {})
    if key not in meta:
        raise NotFound(f"Glance metadata for volume {row['id']} does not have the key {key}.")
    meta.pop(key)
    _set(conn, row["id"], image_metadata=meta)
    return empty(200)


def show_image_metadata(conn: Connection, ctx: Context, row: dict[str, Any], args: Any) -> Any:
    common.enforce(ctx, "volume_extension:volume_image_metadata:show", _target(row))
    return json_response(200, {"metadata": dict(row["image_metadata"] or {})})


def _target(row: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": row["project_id"], "user_id": row["user_id"], "id": row["id"]}


ACTIONS: dict[str, Action] = {
    "os-extend": extend, "os-reset_status": reset_status, "os-force_delete": force_delete,
    "os-set_bootable": set_bootable, "os-update_readonly_flag": update_readonly, "os-retype": retype,
    "revert": revert, "os-volume_upload_image": upload_image, "os-reserve": reserve, "os-unreserve": unreserve,
    "os-begin_detaching": begin_detaching, "os-roll_detaching": roll_detaching, "os-attach": attach,
    "os-detach": detach, "os-force_detach": force_detach, "os-initialize_connection": initialize_connection,
    "os-terminate_connection": terminate_connection, "os-set_image_metadata": set_image_metadata,
    "os-unset_image_metadata": unset_image_metadata, "os-show_image_metadata": show_image_metadata,
    "os-migrate_volume_completion": migrate_volume_completion, "os-migrate_volume": migrate,
}


def volume_action(ctx: Context, rq: ApiRequest) -> Any:
    (name, args), = rq.body.items()
    if name == "os-unmanage":
        from pocketstack.services.block_storage import manageable
        return manageable.unmanage_volume(ctx, rq)
    if name == "os-reimage":
        return reimage(ctx, rq, args)
    action = ACTIONS.get(name)
    if action is None:
        raise BadRequest(f"There is no such action: {name}")
    with db.session() as conn:
        row = common.load_row(conn, volumes_table, ctx, rq.params["volume_id"], "Volume")
        result = action(conn, ctx, row, args)
    if name == "os-volume_upload_image":
        return _upload_response(ctx, rq, *result)
    return result


# the rule depends on the action in the body (cinder checks it in each action method)
ACTION_RULES = in_handler(
    "volume:extend",
    "volume:extend_attached_volume",
    "volume:reimage",
    "volume:reimage_reserved",
    "volume:retype",
    "volume:revert_to_snapshot",
    "volume:update",
    "volume:update_readonly_flag",
    "volume_extension:volume_actions:attach",
    "volume_extension:volume_actions:begin_detaching",
    "volume_extension:volume_actions:detach",
    "volume_extension:volume_actions:initialize_connection",
    "volume_extension:volume_actions:reserve",
    "volume_extension:volume_actions:roll_detaching",
    "volume_extension:volume_actions:terminate_connection",
    "volume_extension:volume_actions:unreserve",
    "volume_extension:volume_actions:upload_image",
    "volume_extension:volume_actions:upload_public",
    "volume_extension:volume_admin_actions:force_delete",
    "volume_extension:volume_admin_actions:force_detach",
    "volume_extension:volume_admin_actions:migrate_volume",
    "volume_extension:volume_admin_actions:migrate_volume_completion",
    "volume_extension:volume_admin_actions:reset_status",
    "volume_extension:volume_image_metadata:remove",
    "volume_extension:volume_image_metadata:set",
    "volume_extension:volume_image_metadata:show",
    "volume_extension:volume_unmanage",
)
ROUTES = [*routes("POST", "/volumes/{volume_id}/action", volume_action, policy=ACTION_RULES, body=ACTION,
                  status=202)]
