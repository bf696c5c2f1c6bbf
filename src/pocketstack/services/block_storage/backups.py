"""Backups: /backups, /backups/detail, /backups/{id}, restore, actions, export and import of records
(api-ref: block-storage v3, Backups (backups); Backup actions). A backup is a set of objects in the
object store, written and read by the backup jobs (backup_objects, as Cinder's Swift driver)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import backup_objects, common, manager, volumes
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes, target_loader
from pocketstack.services.block_storage.tables import backups, snapshots, volume_metadata
from pocketstack.services.block_storage.tables import volumes as volumes_table

TEXT = {"type": ["string", "null"], "maxLength": 255}
OPT = {"type": ["string", "null"]}
META = {"type": ["object", "null"], "additionalProperties": {"type": "string", "maxLength": 255}}
STATUSES = {"available", "error", "creating", "deleting", "restoring", "error_deleting"}
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["backup"], "additionalProperties": False, "properties": {
    "backup": {"type": "object", "required": ["volume_id"], "additionalProperties": False, "properties": {
        "volume_id": {"type": "string", "minLength": 1}, "container": TEXT, "description": TEXT, "name": TEXT,
        "incremental": {"type": ["boolean", "string", "null"]}, "force": {"type": ["boolean", "string", "null"]},
        "snapshot_id": OPT, "metadata": META, "availability_zone": TEXT}}}}
UPDATE = {"type": "object", "required": ["backup"], "additionalProperties": False, "properties": {
    "backup": {"type": "object", "additionalProperties": False, "properties": {
        "name": TEXT, "description": TEXT, "metadata": META}}}}
RESTORE = {"type": "object", "required": ["restore"], "additionalProperties": False, "properties": {
    "restore": {"type": ["object", "null"], "additionalProperties": False, "properties": {
        "volume_id": OPT, "name": TEXT}}}}
IMPORT = {"type": "object", "required": ["backup-record"], "additionalProperties": False, "properties": {
    "backup-record": {"type": "object", "required": ["backup_service", "backup_url"], "properties": {
        "backup_service": {"type": "string", "minLength": 1}, "backup_url": {"type": "string", "minLength": 1}}}}}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}

SORT_KEYS = {"id", "name", "status", "size", "created_at", "updated_at", "volume_id", "container", "project_id"}
LISTING = Listing(backups, SORT_KEYS, filters={"name": backups.c.name, "display_name": backups.c.name,
                                               "status": backups.c.status, "volume_id": backups.c.volume_id})


# --- views ---------------------------------------------------------------------------------
def summary(ctx: Context, rq: ApiRequest | None, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "links": common.links(ctx, rq, "backups", row["id"])}


def detail(ctx: Context, rq: ApiRequest | None, row: Any, dependents: set[str]) -> dict[str, Any]:
    body = {"id": row["id"], "status": row["status"], "size": row["size"], "object_count": row["object_count"],
            "availability_zone": row["availability_zone"], "container": row["container"],
            "created_at": common.ts(row["created_at"]), "updated_at": common.ts(row["updated_at"]),
            "name": row["name"], "description": row["description"], "fail_reason": row["fail_reason"],
            "volume_id": row["volume_id"], "links": common.links(ctx, rq, "backups", row["id"]),
            "is_incremental": bool(row["is_incremental"]), "has_dependent_backups": row["id"] in dependents,
            "snapshot_id": row["snapshot_id"], "data_timestamp": common.ts(row["data_timestamp"])}
    version = ctx.version or v.MIN
    if version >= v.BACKUP_PROJECT and common.check(ctx, "backup:backup_project_attribute",
                                                    {"project_id": row["project_id"]}):
        body["os-backup-project-attr:project_id"] = row["project_id"]
    if version >= v.BACKUP_METADATA:
        body["metadata"] = dict(row["metadata"] or {})
    if version >= v.BACKUP_PROJECT_USER_ID:
        body["user_id"] = row["user_id"]
    return body


def _dependents(conn: Connection, ids: list[str]) -> set[str]:
    return set(conn.execute(sa.select(backups.c.parent_id).where(backups.c.parent_id.in_(ids))).scalars())


def show(conn: Connection, ctx: Context, rq: ApiRequest | None, row: Any) -> dict[str, Any]:
    return {"backup": detail(ctx, rq, row, _dependents(conn, [row["id"]]))}


# --- logic ---------------------------------------------------------------------------------
def create_backup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["backup"]
    force = common.bool_param(body.get("force") or False, "force")
    incremental = common.bool_param(body.get("incremental") or False, "incremental")
    with db.session() as conn:
        vol = common.load_row(conn, volumes_table, ctx, body["volume_id"], "Volume")
        snap = None
        if body.get("snapshot_id"):
            snap = common.load_row(conn, snapshots, ctx, body["snapshot_id"], "Snapshot")
            if snap["volume_id"] != vol["id"] or snap["status"] != "available":
                raise BadRequest(f"Invalid snapshot: Snapshot {snap['id']} must be available and belong to volume "
                                 f"{vol['id']}.")
        elif vol["status"] not in ["available", *(["in-use"] if force else [])]:
            raise BadRequest(f"Invalid volume: Volume to be backed up must be available or in-use, but the current "
                             f"status is \"{vol['status']}\".")
        parent = None
        if incremental:
            parent = conn.execute(sa.select(backups.c.id).where(   # quirk: only the caller's own backups
                backups.c.volume_id == vol["id"], backups.c.project_id == ctx.project_id,
                backups.c.status == "available").order_by(
                backups.c.created_at.desc()).limit(1)).scalar()
            if parent is None:
                raise BadRequest("Invalid backup: No backups available to do an incremental backup.")
        common.check_quota(conn, ctx.project_id or "", {"backups": 1, "backup_gigabytes": vol["size"]})
        backup_id, now = new_uuid(), utcnow()
        row = dict(id=backup_id, project_id=ctx.project_id, user_id=ctx.user_id, name=body.get("name"),
                   description=body.get("description"), status="creating", volume_id=vol["id"],
                   snapshot_id=snap["id"] if snap else None, size=vol["size"], object_count=0,
                   container=body.get("container") or backup_objects.DEFAULT_CONTAINER,
                   availability_zone=body.get("availability_zone") or common.AZ, is_incremental=incremental,
                   parent_id=parent, data_timestamp=snap["created_at"] if snap else now,
                   metadata=body.get("metadata") or {}, blob_key=None, created_at=now,
                   updated_at=None, volume_metadata=_volume_metadata(conn, vol["id"]),
                   volume_bootable=bool(vol["bootable"]), volume_image_metadata=vol["image_metadata"] or {})
        conn.execute(backups.insert().values(**row))
        if snap:
            conn.execute(snapshots.update().where(snapshots.c.id == snap["id"]).values(status="backing-up"))
        else:
            conn.execute(volumes_table.update().where(volumes_table.c.id == vol["id"]).values(
                status="backing-up", previous_status=vol["status"], updated_at=now))
        manager.enqueue(conn, "volume.backup_create", backup_id=backup_id)
    return {"backup": summary(ctx, rq, row)}


def _volume_metadata(conn: Connection, volume_id: str) -> dict[str, str]:
    rows = conn.execute(sa.select(volume_metadata).where(volume_metadata.c.volume_id == volume_id)).mappings()
    return {r["key"]: r["value"] for r in rows}


def _list(ctx: Context, rq: ApiRequest, is_detail: bool) -> dict[str, Any]:
    q = common.parse_query(LISTING, rq)
    stmt = sa.select(backups).where(*common.project_scope(ctx, rq, backups.c.project_id))
    with db.reader() as conn:
        rows, _more, count = common.list_page(conn, LISTING, stmt, q, rq, lambda m: common.not_found("Marker", m))
        deps = _dependents(conn, [r["id"] for r in rows]) if is_detail else set()
    body: dict[str, Any] = {"backups": [detail(ctx, rq, r, deps) if is_detail else summary(ctx, rq, r)
                                        for r in rows]}
    links = common.collection_links(ctx, rq, rows, q)
    if links:
        body["backups_links"] = links
    return common.with_count(ctx, body, count)


def list_backups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, False)


def list_backups_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, True)


def show_backup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return show(conn, ctx, rq, common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup"))


def update_backup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["backup"]
    if "metadata" in body and not common.version_at_least(ctx, v.BACKUP_METADATA):
        raise BadRequest("Invalid input received: metadata can be updated since 3.43.")
    with db.session() as conn:
        row = common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup")
        values = {k: body[k] for k in ("name", "description") if k in body}
        if "metadata" in body:
            values["metadata"] = body["metadata"] or {}
        conn.execute(backups.update().where(backups.c.id == row["id"]).values(updated_at=utcnow(), **values))
        row = common.load_row(conn, backups, ctx, row["id"], "Backup")
    return {"backup": summary(ctx, rq, row)}


def start_delete(conn: Connection, row: dict[str, Any], *, force: bool = False) -> None:
    if not force and row["status"] not in ("available", "error"):
        raise BadRequest("Invalid backup: Backup status must be available or error")
    if _dependents(conn, [row["id"]]):
        raise BadRequest("Invalid backup: Incremental backups exist for this backup.")
    conn.execute(backups.update().where(backups.c.id == row["id"]).values(status="deleting", updated_at=utcnow()))
    manager.enqueue(conn, "volume.backup_delete", backup_id=row["id"])


def delete_backup(ctx: Context, rq: ApiRequest) -> None:
    force = common.bool_param(rq.query.get("force", "false"), "force")
    with db.session() as conn:
        row = common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup")
        if force:
            common.enforce(ctx, "volume_extension:backup_admin_actions:force_delete", {"project_id": row["project_id"]})
        start_delete(conn, row, force=force)


def restore_backup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body.get("restore") or {}
    with db.session() as conn:
        bak = common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup")
        if bak["status"] != "available":
            raise BadRequest(f"Invalid backup: Backup status must be available but the current status is "
                             f"\"{bak['status']}\".")
        if body.get("volume_id"):
            vol = common.load_row(conn, volumes_table, ctx, body["volume_id"], "Volume")
            if vol["status"] != "available":
                raise BadRequest(f"Invalid volume: Volume to be restored to must be available, but the current "
                                 f"status is \"{vol['status']}\".")
            if vol["size"] < bak["size"]:
                raise BadRequest(f"Invalid volume: volume size {vol['size']} is too small to restore backup of size "
                                 f"{bak['size']}.")
            conn.execute(volumes_table.update().where(volumes_table.c.id == vol["id"]).values(
                status="restoring-backup", updated_at=utcnow()))
        else:
            name = body.get("name") or f"restore_backup_{bak['id']}"
            vol = volumes.create_row(conn, ctx, {"name": name, "description": "auto-created_from_restore_from_backup"},
                                     size=bak["size"], source="restore", source_id=None, status="restoring-backup")
        conn.execute(backups.update().where(backups.c.id == bak["id"]).values(
            status="restoring", restore_volume_id=vol["id"], updated_at=utcnow()))
        manager.enqueue(conn, "volume.backup_restore", backup_id=bak["id"], volume_id=vol["id"])
    return {"restore": {"backup_id": bak["id"], "volume_id": vol["id"], "volume_name": vol["name"]}}


def backup_action(ctx: Context, rq: ApiRequest) -> None:
    (name, args), = rq.body.items()
    with db.session() as conn:
        row = common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup")
        target = {"project_id": row["project_id"], "id": row["id"]}
        if name == "os-reset_status":
            common.enforce(ctx, "volume_extension:backup_admin_actions:reset_status", target)
            status = args.get("status") if isinstance(args, dict) else None
            if status not in STATUSES:
                raise BadRequest(f"Invalid input received: Must specify a valid status: {status}")
            conn.execute(backups.update().where(backups.c.id == row["id"]).values(status=status, updated_at=utcnow()))
        elif name == "os-force_delete":
            common.enforce(ctx, "volume_extension:backup_admin_actions:force_delete", target)
            start_delete(conn, row, force=True)
        else:
            raise BadRequest(f"There is no such action: {name}")


# Cinder's Backup object fields, as encode_record exports them (display_name, service_metadata, ...)
RECORD_FIELDS = {"id": "id", "user_id": "user_id", "project_id": "project_id", "volume_id": "volume_id",
                 "availability_zone": "availability_zone", "container": "container", "parent_id": "parent_id",
                 "status": "status", "fail_reason": "fail_reason", "size": "size", "display_name": "name",
                 "display_description": "description", "service_metadata": "service_metadata",
                 "object_count": "object_count", "snapshot_id": "snapshot_id",
                 "data_timestamp": "data_timestamp",
                 "restore_volume_id": "restore_volume_id", "metadata": "metadata", "created_at": "created_at",
                 "updated_at": "updated_at"}
REQUIRED = ("display_name", "display_description", "container", "size", "service_metadata", "object_count",
            "id")


def export_record(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """The record is the row in Cinder's field names; the objects stay where they are."""
    with db.reader() as conn:
        row = common.load_row(conn, backups, ctx, rq.params["backup_id"], "Backup")
        deps = len(_dependents(conn, [row["id"]]))
    if row["status"] != "available":
        raise BadRequest(f"Invalid backup: Backup status must be available and not {row['status']}.")
    if not row["service_metadata"]:
        raise BadRequest(f"Invalid backup: Backup {row['id']} has no objects in the object store to export.")
    record = {name: (common.ts(row[col]) if col.endswith(("_at", "timestamp")) else row[col])
              for name, col in RECORD_FIELDS.items()}
    record.update(service=backup_objects.BACKUP_SERVICE, host="pocketstack", deleted=False, deleted_at=None,
                  num_dependent_backups=deps, temp_volume_id=None, temp_snapshot_id=None,
                  encryption_key_id=None,
                  volume_metadata=row["volume_metadata"], is_incremental=bool(row["is_incremental"]),
                  driver_info={})
    url = base64.b64encode(json.dumps(record).encode()).decode()
    return {"backup-record": {"backup_service": backup_objects.BACKUP_SERVICE, "backup_url": url}}


def _decode_record(url: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.b64decode(url, validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise BadRequest("Invalid input received: Can't parse backup record.") from None
    if not isinstance(data, dict):
        raise BadRequest("Invalid input received: Can't parse backup record.")
    if "id" not in data:
        raise BadRequest("Invalid input received: Provided backup record is missing an id")
    if "size" not in data:
        raise BadRequest("Invalid input received: Provided backup record is missing size attribute")
    missing = sorted(set(REQUIRED) - set(data))
    if missing:
        raise BadRequest(f"Invalid backup: Driver successfully decoded imported backup data, but there are "
                         f"missing fields ({', '.join(missing)}).")
    return data


def import_record(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """A backup row for objects already in the store (recorded by export_record), available at once:
    the objects are checked when it is restored, as Cinder's chunked driver checks them."""
    record = rq.body["backup-record"]
    if record["backup_service"] != backup_objects.BACKUP_SERVICE:
        raise BadRequest(f"Invalid input received: Backup service {record['backup_service']} is not supported.")
    data = _decode_record(record["backup_url"])
    with db.session() as conn:
        if conn.execute(sa.select(backups.c.id).where(backups.c.id == data["id"])).first():
            raise BadRequest("Invalid backup: Backup already exists in database.")
        size = int(data["size"] or 0)
        common.check_quota(conn, ctx.project_id or "", {"backups": 1, "backup_gigabytes": size})
        now = utcnow()
        row = dict(id=data["id"], project_id=ctx.project_id, user_id=ctx.user_id, name=data["display_name"],
                   description=data["display_description"], status="available",
                   volume_id=data.get("volume_id") or IMPORT_VOLUME_ID, snapshot_id=data.get("snapshot_id"),
                   size=int(data["size"] or 0), object_count=int(data["object_count"] or 0),
                   container=data["container"], availability_zone=common.AZ,
                   is_incremental=bool(data.get("parent_id")), parent_id=data.get("parent_id"),
                   data_timestamp=now, metadata=data.get("metadata") or {}, blob_key=None,
                   service_metadata=data["service_metadata"], created_at=now, updated_at=None,
                   volume_metadata=data.get("volume_metadata") or {})
        conn.execute(backups.insert().values(**row))
    return {"backup": summary(ctx, rq, row)}


IMPORT_VOLUME_ID = "00000000-0000-0000-0000-000000000000"
B = "/backups/{backup_id}"
backup_target = target_loader("volume_backups", "backup_id", "Backup")
# checked in the handlers (a resource the caller may not see is concealed as 404)
BACKUP_ACTION_RULES = in_handler(
    "volume_extension:backup_admin_actions:force_delete", "volume_extension:backup_admin_actions:reset_status")
ROUTES = [
    *routes("POST", "/backups", create_backup, policy="backup:create", body=CREATE, status=202),
    *routes("GET", "/backups", list_backups, policy="backup:get_all"),
    *routes("GET", "/backups/detail", list_backups_detail, policy="backup:get_all"),
    *routes("POST", "/backups/import_record", import_record, policy="backup:backup-import", body=IMPORT,
            status=201),
    *routes("GET", B, show_backup, policy="backup:get", target=backup_target),
    *routes("PUT", B, update_backup, policy="backup:update", target=backup_target, body=UPDATE,
            min_version=v.BACKUP_UPDATE),
    *routes("DELETE", B, delete_backup, policy="backup:delete", target=backup_target, status=202),
    *routes("POST", B + "/restore", restore_backup, policy="backup:restore", target=backup_target, body=RESTORE,
            status=202),
    *routes("POST", B + "/action", backup_action, policy=BACKUP_ACTION_RULES, body=ACTION, status=202),
    *routes("GET", B + "/export_record", export_record, policy="backup:export-import", target=backup_target),
    *common.before(v.BACKUP_UPDATE, B, methods=("PUT",)),
]
