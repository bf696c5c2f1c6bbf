"""Volumes: /volumes, /volumes/detail, /volumes/{id}, /volumes/summary
(api-ref: block-storage v3, Volumes (volumes))."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import backend, common, manager, volume_types, volume_views
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes, target_loader
from pocketstack.services.block_storage.tables import backups, snapshots, volume_metadata, volumes

GiB = backend.GiB
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
OPT_UUID = {"type": ["string", "null"]}
META = {"type": ["object", "null"], "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {
    "type": "string", "maxLength": 255}}, "additionalProperties": False}
TEXT = {"type": ["string", "null"], "maxLength": 255}

# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["volume"], "additionalProperties": False, "properties": {
    "volume": {"type": "object", "additionalProperties": True, "properties": {
        "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT,
        "volume_type": {"type": ["string", "null"], "maxLength": 255}, "metadata": META,
        "snapshot_id": OPT_UUID, "source_volid": OPT_UUID, "consistencygroup_id": OPT_UUID,
        "backup_id": OPT_UUID, "group_id": OPT_UUID,
        "size": {"type": ["integer", "string", "null"], "pattern": "^[0-9]+$", "minimum": 1},
        "availability_zone": {"type": ["string", "null"], "maxLength": 255},
        "multiattach": {"type": ["boolean", "string", "null"]},
        "image_id": TEXT, "imageRef": TEXT}},
    "OS-SCH-HNT:scheduler_hints": {"type": ["object", "null"]}}}
UPDATE = {"type": "object", "required": ["volume"], "additionalProperties": False, "properties": {
    "volume": {"type": "object", "additionalProperties": False, "properties": {
        "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT,
        "metadata": META}}}}

SORT_KEYS = {"id", "name", "status", "size", "availability_zone", "created_at", "updated_at", "bootable",
             "volume_type_id", "project_id", "user_id"}
LISTING = Listing(volumes, SORT_KEYS, filters={
    "name": volumes.c.name, "status": volumes.c.status, "availability_zone": volumes.c.availability_zone,
    "size": lambda vals: volumes.c.size.in_([int(x) for x in vals if x.isdigit()]),
    "migration_status": volumes.c.migration_status, "user_id": volumes.c.user_id,
    "snapshot_id": volumes.c.snapshot_id, "source_volid": volumes.c.source_volid,
    "bootable": lambda vals: volumes.c.bootable.is_(common.bool_param(vals[0], "bootable")),
    "display_name": volumes.c.name, "volume_type_id": volumes.c.volume_type_id},
    default_sort=[("created_at", "desc")])


# --- logic ---------------------------------------------------------------------------------
def _size(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input received: Volume size '{raw}' must be an integer and greater than 0.") \
            from None
    if size <= 0:
        raise BadRequest(f"Invalid input received: Volume size '{raw}' must be an integer and greater than 0.")
    return size


def image_for(ctx: Context, image_ref: str) -> dict[str, Any]:
    r = internal_client.call("GET", f"/image/v2/images/{image_ref}", token=ctx.token)
    if r.status_code != 200:
        raise BadRequest("Invalid image identifier or unable to access requested image.")
    image = r.json()
    if image.get("status") != "active":
        raise BadRequest(f"Invalid input received: Image {image_ref} is not active.")
    return image


def _source(conn: Connection, ctx: Context, body: dict[str, Any]) -> tuple[str, str | None, int | None]:
    """Which source a new volume copies (kind, id, minimum size in GiB)."""
    if body.get("snapshot_id"):
        snap = common.load_row(conn, snapshots, ctx, body["snapshot_id"], "Snapshot")
        if snap["status"] != "available":
            raise BadRequest("Invalid snapshot: Originating snapshot status must be one of 'available' values")
        return "snapshot", snap["id"], snap["size"]
    if body.get("source_volid"):
        src = common.load_row(conn, volumes, ctx, body["source_volid"], "Volume")
        if src["status"] not in ("available", "in-use"):
            raise BadRequest("Invalid volume: Unable to create a volume from an originating source volume when "
                             "its status is not one of 'available, in-use' values")
        return "volume", src["id"], src["size"]
    if body.get("backup_id"):
        bak = common.load_row(conn, backups, ctx, body["backup_id"], "Backup")
        if bak["status"] != "available":
            raise BadRequest(f"Invalid backup: Backup status must be available but the current status is "
                             f"\"{bak['status']}\".")
        return "backup", bak["id"], bak["size"]
    return "blank", None, None


def create_row(conn: Connection, ctx: Context, body: dict[str, Any], *, size: int, source: str,
               source_id: str | None, status: str = "creating", **extra: Any) -> dict[str, Any]:
    vtype = volume_types.find(conn, ctx, body.get("volume_type"))
    if body.get("group_id"):
        from pocketstack.services.block_storage import groups
        if not body.get("volume_type"):
            raise BadRequest("Invalid input received: volume_type must be provided when creating a volume in a "
                             "group.")
        groups.check_new_member(conn, ctx, body["group_id"], vtype["id"])
        extra.setdefault("group_id", body["group_id"])
    multiattach = volume_types.is_multiattach(conn, vtype["id"])
    if multiattach:
        if vtype.get("encryption"):
            raise BadRequest("Invalid volume: Multiattach cannot be used with encrypted volumes.")
        common.enforce(ctx, "volume:multiattach", {"project_id": ctx.project_id})
    az = body.get("availability_zone") or common.AZ
    if az != common.AZ:
        raise BadRequest(f"Invalid input received: Availability zone '{az}' is invalid.")
    common.check_quota(conn, ctx.project_id or "", {"volumes": 1, "gigabytes": size, f"volumes_{vtype['name']}": 1,
                                                    f"gigabytes_{vtype['name']}": size})
    vol_id, now = new_uuid(), utcnow()
    row = dict(id=vol_id, project_id=ctx.project_id, user_id=ctx.user_id, status=status, size=size,
               name=body.get("name", body.get("display_name")),
               description=body.get("description", body.get("display_description")),
               availability_zone=az, volume_type_id=vtype["id"],
               snapshot_id=source_id if source == "snapshot" else None,
               source_volid=source_id if source == "volume" else None,
               backup_id=source_id if source == "backup" else None, bootable=False, readonly=False,
               multiattach=multiattach, attach_status="detached", host=common.HOST, blob_key=backend.volume_key(vol_id),
               image_metadata={}, created_at=now, updated_at=None)
    row.update(extra)
    conn.execute(volumes.insert().values(**row))
    meta = body.get("metadata") or {}
    if meta:
        conn.execute(volume_metadata.insert(), [{"volume_id": vol_id, "key": k, "value": val}
                                                for k, val in meta.items()])
    if source == "backup":
        conn.execute(backups.update().where(backups.c.id == source_id).values(status="restoring",
                                                                              restore_volume_id=vol_id))
    return dict(conn.execute(sa.select(volumes).where(volumes.c.id == vol_id)).mappings().one())


def image_min_gb(image: dict[str, Any]) -> int:
    """The smallest volume (GiB) an image fits in: its virtual size, its min_disk, at least 1."""
    return max(-(-int(image.get("virtual_size") or image.get("size") or 0) // GiB), int(image.get("min_disk") or 0), 1)


def image_metadata(image: dict[str, Any]) -> dict[str, str]:
    keys = ("checksum", "container_format", "disk_format", "min_disk", "min_ram", "size")
    meta = {"image_id": image["id"], "image_name": image.get("name") or ""}
    meta.update({k: str(image[k]) for k in keys if image.get(k) is not None})
    return meta


def create_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume"]
    if common.bool_param(body.get("multiattach", False), "multiattach"):
        raise BadRequest("multiattach parameter has been removed. The default behavior is to use multiattach "
                         "enabled volume types. Contact your administrator to create a multiattach enabled "
                         "volume type and use it to create multiattach volumes.")
    if body.get("backup_id") and not common.version_at_least(ctx, v.VOLUME_CREATE_FROM_BACKUP):
        body.pop("backup_id")
    size = _size(body.get("size"))
    image_ref = body.get("imageRef") or body.get("image_id")
    image = None
    if image_ref:
        common.enforce(ctx, "volume:create_from_image", {"project_id": ctx.project_id})
        image = image_for(ctx, image_ref)
        if not body.get("volume_type") and image.get("cinder_img_volume_type"):
            body["volume_type"] = image["cinder_img_volume_type"]      # the image names its volume type
        need = image_min_gb(image)
        size = size or need
        if size < need:
            raise BadRequest(f"Invalid input received: Volume size {size}GB cannot be smaller than the image "
                             f"minDisk size {need}GB.")
    with db.session() as conn:
        source, source_id, min_size = ("image", image["id"], None) if image else _source(conn, ctx, body)
        size = size or min_size
        if size is None:
            raise BadRequest("Invalid input received: Volume size must be specified when creating a blank volume.")
        if min_size is not None and size < min_size:
            what = {"snapshot": "snapshot", "volume": "source volume", "backup": "backup"}[source]
            raise BadRequest(f"Invalid input received: Volume size '{size}'GB cannot be smaller than the {what} "
                             f"size {min_size}GB. They must be >= original {what} size.")
        row = create_row(conn, ctx, body, size=size, source=source, source_id=source_id,
                         image_id=image["id"] if image else None,
                         image_metadata=image_metadata(image) if image else {})
        manager.enqueue(conn, "volume.create", volume_id=row["id"], source=source, source_id=source_id,
                        caller=service_auth.caller(ctx), request_id=ctx.request_id,
                        disk_format=image.get("disk_format") if image else None)
        return volume_views.show(conn, ctx, rq, row, extended=False)


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    if rq.path.endswith("/"):      # GET /volumes/ is a show of the empty id in cinder
        raise common.not_found("Volume", "")
    q = common.parse_query(LISTING, rq)
    stmt = sa.select(volumes).where(*common.project_scope(ctx, rq, volumes.c.project_id))
    if not ctx.is_admin:        # cinder's no_migration_targets: a migration's temporary copy is not the user's
        stmt = stmt.where(sa.or_(volumes.c.migration_status.is_(None),
                                 sa.not_(volumes.c.migration_status.startswith("target:"))))
    if rq.query.get("metadata"):
        stmt = stmt.where(*common.metadata_filter(rq.query["metadata"], volume_metadata,
                                                  volume_metadata.c.volume_id, volumes.c.id))
    if rq.query.get("volume_type"):
        stmt = stmt.where(volumes.c.volume_type_id.in_(_type_ids(rq.query["volume_type"])))
    with db.reader() as conn:
        rows, _more, count = common.list_page(conn, LISTING, stmt, q, rq, lambda m: common.not_found("Marker", m))
        ex = volume_views.extras(conn, rows) if detail else {}
    items = [volume_views.detail(ctx, rq, r, ex) if detail else volume_views.summary(ctx, rq, r) for r in rows]
    body: dict[str, Any] = {"volumes": items}
    links = common.collection_links(ctx, rq, rows, q)
    if links:
        body["volumes_links"] = links
    return common.with_count(ctx, body, count)


def _type_ids(ref: str) -> list[str]:
    from pocketstack.services.block_storage.tables import volume_types as vt
    with db.reader() as conn:
        return list(conn.execute(sa.select(vt.c.id).where(sa.or_(vt.c.id == ref, vt.c.name == ref))).scalars())


def list_volumes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=False)


def list_volumes_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=True)


def show_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_row(conn, volumes, ctx, rq.params["volume_id"], "Volume")
        return volume_views.show(conn, ctx, rq, row)


def update_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume"]
    values = {}
    for key, column in (("name", "name"), ("display_name", "name"), ("description", "description"),
                        ("display_description", "description")):
        if key in body:
            values[column] = body[key]
    with db.session() as conn:
        row = common.load_row(conn, volumes, ctx, rq.params["volume_id"], "Volume")
        if "metadata" in body:
            conn.execute(volume_metadata.delete().where(volume_metadata.c.volume_id == row["id"]))
            if body["metadata"]:
                conn.execute(volume_metadata.insert(), [{"volume_id": row["id"], "key": k, "value": val}
                                                        for k, val in body["metadata"].items()])
        conn.execute(volumes.update().where(volumes.c.id == row["id"]).values(updated_at=utcnow(), **values))
        row = common.load_row(conn, volumes, ctx, row["id"], "Volume")
        return volume_views.show(conn, ctx, rq, row, extended=False)


def delete_volume(ctx: Context, rq: ApiRequest) -> None:
    cascade = common.bool_param(rq.query.get("cascade", "false"), "cascade")
    force = common.bool_param(rq.query.get("force", "false"), "force")
    if force:
        if not common.version_at_least(ctx, v.VOLUME_DELETE_FORCE):
            raise BadRequest("Invalid input received: force is not supported before 3.23.")
        common.enforce(ctx, "volume:force_delete", {"project_id": ctx.project_id})
    with db.session() as conn:
        row = common.load_row(conn, volumes, ctx, rq.params["volume_id"], "Volume")
        start_delete(conn, row, cascade=cascade, force=force)


def start_delete(conn: Connection, row: dict[str, Any], *, cascade: bool, force: bool) -> None:
    snaps = conn.execute(sa.select(snapshots.c.status).where(snapshots.c.volume_id == row["id"])).scalars().all()
    if row["group_id"]:
        status = "" if force else "status must be available or error or error_restoring or error_extending or " \
            "error_managing and "
        raise BadRequest(f"Invalid volume: Volume {status}must not be migrating, attached, belong to a group, have "
                         f"snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.")
    if not force:
        if row["status"] not in DELETABLE or row["attach_status"] == "attached":
            raise BadRequest("Invalid volume: Volume status must be available or error or error_restoring or "
                             "error_extending or error_managing and must not be migrating, attached, belong to "
                             "a group, have snapshots, be the source of a snapshot-backed temporary volume, or "
                             "be disassociated from snapshots after volume transfer.")
        if snaps and not cascade:
            raise BadRequest("Invalid volume: Volume has dependent snapshots and cannot be deleted without cascade.")
        if any(s not in ("available", "error") for s in snaps):
            raise BadRequest("Invalid volume: Snapshot of the volume is not in an available or error state.")
    conn.execute(volumes.update().where(volumes.c.id == row["id"]).values(status="deleting", updated_at=utcnow()))
    conn.execute(snapshots.update().where(snapshots.c.volume_id == row["id"]).values(status="deleting"))
    manager.enqueue(conn, "volume.delete", volume_id=row["id"])


def volume_summary(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        stmt = sa.select(volumes.c.id, volumes.c.size).where(*common.project_scope(ctx, rq, volumes.c.project_id))
        rows = conn.execute(stmt).all()
        body: dict[str, Any] = {"total_count": len(rows), "total_size": sum(r.size for r in rows)}
        if common.version_at_least(ctx, v.VOLUME_SUMMARY_METADATA):
            meta: dict[str, list[str]] = {}
            ids = [r.id for r in rows]
            for m in conn.execute(sa.select(volume_metadata).where(volume_metadata.c.volume_id.in_(ids))).mappings():
                meta.setdefault(m["key"], [])
                if m["value"] not in meta[m["key"]]:
                    meta[m["key"]].append(m["value"])
            body["metadata"] = meta
    return {"volume-summary": body}


def no_volume_id(ctx: Context, rq: ApiRequest) -> None:
    """PUT or DELETE on the collection: a volume with an empty id, which cannot be found."""
    raise common.not_found("Volume", "")


VOLUME = "/volumes/{volume_id}"
volume_target = target_loader("volume_volumes", "volume_id", "Volume")
ROUTES = [
    *routes("POST", "/volumes", create_volume, policy="volume:create", body=CREATE, status=202),
    *routes("GET", "/volumes", list_volumes, policy="volume:get_all"),
    *routes("GET", "/volumes/detail", list_volumes_detail, policy="volume:get_all"),
    *routes("GET", "/volumes/summary", volume_summary, policy="volume:get_all", min_version=v.VOLUME_SUMMARY),
    *routes("GET", VOLUME, show_volume, policy="volume:get", target=volume_target),
    *routes("PUT", VOLUME, update_volume, policy="volume:update", target=volume_target, body=UPDATE),
    *routes("DELETE", VOLUME, delete_volume, policy="volume:delete", target=volume_target, status=202),
    *routes("PUT", "/volumes", no_volume_id, policy="volume:update"),
    *routes("DELETE", "/volumes", no_volume_id, policy="volume:delete"),
]
