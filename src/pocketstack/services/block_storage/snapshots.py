"""Snapshots: /snapshots, /snapshots/detail, /snapshots/{id} and their actions
(api-ref: block-storage v3, Volume snapshots (snapshots); Snapshot actions)."""

from __future__ import annotations

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
from pocketstack.services.block_storage import backend, common, manager
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes, target_loader
from pocketstack.services.block_storage.metadata import META
from pocketstack.services.block_storage.tables import snapshot_metadata, snapshots, volume_types, volumes

TEXT = {"type": ["string", "null"], "maxLength": 255}
STATUSES = {"available", "error", "creating", "deleting", "error_deleting", "restoring", "backing-up",
            "unmanaging"}
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["snapshot"], "additionalProperties": False, "properties": {
    "snapshot": {"type": "object", "required": ["volume_id"], "additionalProperties": False, "properties": {
        "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT,
        "volume_id": {"type": ["string", "null"]}, "force": {"type": ["boolean", "string", "null"]},
        "metadata": {**META, "type": ["object", "null"]}}}}}
UPDATE = {"type": "object", "required": ["snapshot"], "additionalProperties": False, "properties": {
    "snapshot": {"type": "object", "additionalProperties": False, "properties": {
        "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT}}}}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}

LISTING = Listing(snapshots, {"id", "name", "status", "size", "created_at", "updated_at", "volume_id",
                              "project_id", "user_id"}, filters={
    "name": snapshots.c.name, "display_name": snapshots.c.name, "status": snapshots.c.status,
    "volume_id": snapshots.c.volume_id, "user_id": snapshots.c.user_id})


# --- views ---------------------------------------------------------------------------------
def render(ctx: Context, row: Any, meta: dict[str, str], *, detail: bool = True) -> dict[str, Any]:
    body = {"id": row["id"], "created_at": common.ts(row["created_at"]), "updated_at": common.ts(row["updated_at"]),
            "name": row["name"], "description": row["description"], "volume_id": row["volume_id"],
            "status": row["status"], "size": row["size"], "metadata": meta}
    version = ctx.version or v.MIN
    if version >= v.GROUP_SNAPSHOTS:
        body["group_snapshot_id"] = row["group_snapshot_id"]
    if version >= v.SNAPSHOT_LIST_USER_ID:
        body["user_id"] = row["user_id"]
    if version >= v.USE_QUOTA:
        body["consumes_quota"] = True
    if detail and common.check(ctx, "volume_extension:extended_snapshot_attributes",
                               {"project_id": row["project_id"]}):
        body["os-extended-snapshot-attributes:progress"] = row["progress"]
        body["os-extended-snapshot-attributes:project_id"] = row["project_id"]
    return body


def _meta(conn: Connection, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for m in conn.execute(sa.select(snapshot_metadata).where(snapshot_metadata.c.snapshot_id.in_(ids))).mappings():
        out[m["snapshot_id"]][m["key"]] = m["value"]
    return out


def show(conn: Connection, ctx: Context, row: Any, *, detail: bool = True) -> dict[str, Any]:
    """detail: with the os-extended-snapshot-attributes extension (show; not create or update)."""
    return {"snapshot": render(ctx, row, _meta(conn, [row["id"]])[row["id"]], detail=detail)}


# --- logic ---------------------------------------------------------------------------------
def create_row(conn: Connection, ctx: Context, vol: dict[str, Any], body: dict[str, Any],
               status: str = "creating", group_snapshot_id: str | None = None) -> dict[str, Any]:
    type_name = conn.execute(sa.select(volume_types.c.name).where(volume_types.c.id == vol["volume_type_id"])).scalar()
    common.check_quota(conn, ctx.project_id or "", {"snapshots": 1, "gigabytes": vol["size"],
                                                    f"snapshots_{type_name}": 1, f"gigabytes_{type_name}": vol["size"]})
    snap_id, now = new_uuid(), utcnow()
    row = dict(id=snap_id, project_id=ctx.project_id, user_id=ctx.user_id, status=status,
               name=body.get("name", body.get("display_name")),
               description=body.get("description", body.get("display_description")), volume_id=vol["id"],
               size=vol["size"], progress="0%", blob_key=backend.snapshot_key(snap_id), created_at=now,
               updated_at=None, group_snapshot_id=group_snapshot_id)
    conn.execute(snapshots.insert().values(**row))
    meta = body.get("metadata") or {}
    if meta:
        conn.execute(snapshot_metadata.insert(), [{"snapshot_id": snap_id, "key": k, "value": str(val)}
                                                  for k, val in meta.items()])
    return dict(conn.execute(sa.select(snapshots).where(snapshots.c.id == snap_id)).mappings().one())


def create_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["snapshot"]
    force = common.bool_param(body.get("force") or False, "force")
    with db.session() as conn:
        vol = common.load_row(conn, volumes, ctx, body["volume_id"] or "", "Volume")
        allowed = ["available"] + (["in-use"] if force or common.version_at_least(ctx, v.SNAPSHOT_IN_USE) else [])
        if vol["status"] not in allowed:
            raise BadRequest(f"Invalid volume: Volume {vol['id']} status must be available, but current status "
                             f"is: {vol['status']}.")
        row = create_row(conn, ctx, vol, body)
        manager.enqueue(conn, "volume.snapshot_create", snapshot_id=row["id"])
        return show(conn, ctx, row, detail=False)


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    q = common.parse_query(LISTING, rq)
    stmt = sa.select(snapshots).where(*common.project_scope(ctx, rq, snapshots.c.project_id))
    if rq.query.get("metadata"):
        stmt = stmt.where(*common.metadata_filter(rq.query["metadata"], snapshot_metadata,
                                                  snapshot_metadata.c.snapshot_id, snapshots.c.id))
    with db.reader() as conn:
        rows, _more, count = common.list_page(conn, LISTING, stmt, q, rq, lambda m: common.not_found("Marker", m))
        meta = _meta(conn, [r["id"] for r in rows])
    body: dict[str, Any] = {"snapshots": [render(ctx, r, meta[r["id"]], detail=detail) for r in rows]}
    links = common.collection_links(ctx, rq, rows, q)
    if links:
        body["snapshots_links"] = links
    return common.with_count(ctx, body, count)


def list_snapshots(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=False)


def list_snapshots_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=True)


def show_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return show(conn, ctx, common.load_row(conn, snapshots, ctx, rq.params["snapshot_id"], "Snapshot"))


def update_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["snapshot"]
    if not body:
        raise BadRequest("Must specify name or description.")
    values = {col: body[key] for key, col in (("name", "name"), ("display_name", "name"),
                                              ("description", "description"),
                                              ("display_description", "description")) if key in body}
    with db.session() as conn:
        row = common.load_row(conn, snapshots, ctx, rq.params["snapshot_id"], "Snapshot")
        conn.execute(snapshots.update().where(snapshots.c.id == row["id"]).values(updated_at=utcnow(), **values))
        return show(conn, ctx, common.load_row(conn, snapshots, ctx, row["id"], "Snapshot"), detail=False)


def start_delete(conn: Connection, row: dict[str, Any], *, force: bool = False) -> None:
    if not force and (row["status"] not in ("available", "error") or row["group_snapshot_id"]):
        raise BadRequest("Invalid snapshot: Volume Snapshot status must be available or error and must not be "
                         "part of a group.")
    conn.execute(snapshots.update().where(snapshots.c.id == row["id"]).values(status="deleting",
                                                                              updated_at=utcnow()))
    manager.enqueue(conn, "volume.snapshot_delete", snapshot_id=row["id"])


def delete_snapshot(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        start_delete(conn, common.load_row(conn, snapshots, ctx, rq.params["snapshot_id"], "Snapshot"))


def snapshot_action(ctx: Context, rq: ApiRequest) -> None:
    (name, args), = rq.body.items()
    if name == "os-unmanage":
        from pocketstack.services.block_storage import manageable
        return manageable.unmanage_snapshot(ctx, rq)
    with db.session() as conn:
        row = common.load_row(conn, snapshots, ctx, rq.params["snapshot_id"], "Snapshot")
        target = {"project_id": row["project_id"], "id": row["id"]}
        if name == "os-reset_status":
            common.enforce(ctx, "volume_extension:snapshot_admin_actions:reset_status", target)
            status = args.get("status") if isinstance(args, dict) else None
            if status not in STATUSES:
                raise BadRequest(f"Invalid input received: Must specify a valid status: {status}")
            conn.execute(snapshots.update().where(snapshots.c.id == row["id"]).values(status=status,
                                                                                      updated_at=utcnow()))
        elif name == "os-force_delete":
            common.enforce(ctx, "volume_extension:snapshot_admin_actions:force_delete", target)
            start_delete(conn, row, force=True)
        elif name == "os-update_snapshot_status":
            common.enforce(ctx, "snapshot_extension:snapshot_actions:update_snapshot_status", target)
            args = args if isinstance(args, dict) else {}
            if args.get("status") not in ("available", "error", "creating", "error_deleting", "deleting"):
                raise BadRequest(f"Invalid input received: Snapshot status {args.get('status')} not allowed.")
            conn.execute(snapshots.update().where(snapshots.c.id == row["id"]).values(
                status=args["status"], progress=str(args.get("progress", row["progress"])), updated_at=utcnow()))
        else:
            raise BadRequest(f"There is no such action: {name}")
    return None


SNAP = "/snapshots/{snapshot_id}"
snapshot_target = target_loader("volume_snapshots", "snapshot_id", "Snapshot")
# checked in the handlers (a resource the caller may not see is concealed as 404)
SNAPSHOT_ACTION_RULES = in_handler(
    "snapshot_extension:snapshot_actions:update_snapshot_status",
    "volume_extension:snapshot_admin_actions:force_delete", "volume_extension:snapshot_admin_actions:reset_status")
ROUTES = [
    *routes("POST", "/snapshots", create_snapshot, policy="volume:create_snapshot", body=CREATE, status=202),
    *routes("GET", "/snapshots", list_snapshots, policy="volume:get_all_snapshots"),
    *routes("GET", "/snapshots/detail", list_snapshots_detail, policy="volume:get_all_snapshots"),
    *routes("GET", SNAP, show_snapshot, policy="volume:get_snapshot", target=snapshot_target),
    *routes("PUT", SNAP, update_snapshot, policy="volume:update_snapshot", target=snapshot_target, body=UPDATE),
    *routes("DELETE", SNAP, delete_snapshot, policy="volume:delete_snapshot", target=snapshot_target, status=202),
    *routes("POST", SNAP + "/action", snapshot_action, policy=SNAPSHOT_ACTION_RULES, body=ACTION, status=202),
]
