"""Manage and unmanage: /manageable_volumes, /manageable_snapshots (and their detail lists), the
os-unmanage actions (api-ref: block-storage v3, Volume manage extension; Snapshot manage extension).

An unmanaged volume or snapshot leaves the database but keeps its bytes (a backing file, or an RBD
image or snapshot), which the lists show as safe to manage; managing it by reference (`source-name`)
gives it a new row and renames the file or image after the new id, as Cinder's LVM and RBD drivers
rename the logical volume or image."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import backend, common, manager, snapshots, volume_views, volumes
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import snapshots as snapshots_table
from pocketstack.services.block_storage.tables import volumes as volumes_table

TEXT = {"type": ["string", "null"], "maxLength": 255}
REF = {"type": "object", "minProperties": 1}
# --- schemas -------------------------------------------------------------------------------
MANAGE_VOLUME = {"type": "object", "required": ["volume"], "additionalProperties": False, "properties": {
    "volume": {"type": "object", "required": ["ref"], "additionalProperties": False, "properties": {
        "host": {"type": ["string", "null"], "maxLength": 255}, "cluster": TEXT, "ref": REF, "name": TEXT,
        "description": TEXT, "volume_type": TEXT, "availability_zone": TEXT,
        "bootable": {"type": ["boolean", "string", "null"]}, "metadata": {"type": ["object", "null"]}}}}}
MANAGE_SNAPSHOT = {"type": "object", "required": ["snapshot"], "additionalProperties": False, "properties": {
    "snapshot": {"type": "object", "required": ["volume_id", "ref"], "additionalProperties": False, "properties": {
        "volume_id": {"type": "string"}, "ref": REF, "name": TEXT, "description": TEXT,
        "metadata": {"type": ["object", "null"]}}}}}


# --- logic ---------------------------------------------------------------------------------
def _check_host(host: str | None) -> None:
    own = [h for h, b in common.SERVICES if b == "cinder-volume"]
    if host is None or host.split("#")[0] not in (*own, "pocketstack"):
        raise NotFound(f"Service host '{host}' not found.")


def _source_key(ref: dict[str, Any], prefix: str) -> str:
    name = ref.get("source-name")
    key = backend.active().manageable_key(name, prefix) if isinstance(name, str) else None
    if key is None:
        raise BadRequest(f"Manage existing {prefix} failed due to invalid backend reference {ref}: the reference "
                         f"must be {{'source-name': '{prefix}-<id>'}}.")
    return str(key)


def manage_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume"]
    _check_host(body.get("host"))
    key = _source_key(body["ref"], "volume")
    size = backend.active().size_gb(key) if backend.active().exists(key) else 0
    with db.session() as conn:
        if conn.execute(sa.select(volumes_table.c.id).where(volumes_table.c.blob_key == key)).first():
            raise BadRequest(f"Invalid input received: {body['ref']['source-name']} is already managed.")
        backend_name = common.backend_of(body["host"])          # the backend named, else the default one
        row = volumes.create_row(conn, ctx, body, size=size, source="manage", source_id=None, status="managing",
                                 bootable=common.bool_param(body.get("bootable") or False, "bootable"),
                                 **({"host": common.host_of(backend_name)} if backend_name else {}))
        manager.enqueue(conn, "volume.create", volume_id=row["id"], source="manage", source_key=key)
        return volume_views.show(conn, ctx, rq, row, extended=False)


def unmanage_volume(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load_row(conn, volumes_table, ctx, rq.params["volume_id"], "Volume")
        common.enforce(ctx, "volume_extension:volume_unmanage", {"project_id": row["project_id"]})
        if row["status"] not in ("available", "error", "error_managing") or row["attach_status"] == "attached":
            raise BadRequest(f"Invalid volume: Volume {row['id']} status must be available or error, but current "
                             f"status is: {row['status']}.")
        if conn.execute(sa.select(snapshots_table.c.id).where(snapshots_table.c.volume_id == row["id"])).first():
            raise BadRequest("Invalid volume: Volume cannot have snapshots to be unmanaged.")
        conn.execute(volumes_table.delete().where(volumes_table.c.id == row["id"]))


def manage_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["snapshot"]
    key = _source_key(body["ref"], "snapshot")
    with db.session() as conn:
        vol = common.load_row(conn, volumes_table, ctx, body["volume_id"], "Volume")
        if conn.execute(sa.select(snapshots_table.c.id).where(snapshots_table.c.blob_key == key)).first():
            raise BadRequest(f"Invalid input received: {body['ref']['source-name']} is already managed.")
        row = snapshots.create_row(conn, ctx, vol, body, status="managing")
        manager.enqueue(conn, "volume.snapshot_create", snapshot_id=row["id"], source_key=key)
        return snapshots.show(conn, ctx, row, detail=False)


def unmanage_snapshot(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load_row(conn, snapshots_table, ctx, rq.params["snapshot_id"], "Snapshot")
        common.enforce(ctx, "snapshot_extension:snapshot_unmanage", {"project_id": row["project_id"]})
        if row["status"] not in ("available", "error"):
            raise BadRequest(f"Invalid snapshot: Snapshot {row['id']} status must be available or error.")
        vol = conn.execute(sa.select(volumes_table.c.blob_key).where(
            volumes_table.c.id == row["volume_id"])).scalar()
        backend.active().unmanage_snapshot(vol or "", row["blob_key"], row["volume_id"])
        conn.execute(snapshots_table.delete().where(snapshots_table.c.id == row["id"]))


def _entries(kind: str, detail: bool) -> list[dict[str, Any]]:
    table = volumes_table if kind == "volume" else snapshots_table
    with db.reader() as conn:
        managed = {r.blob_key: r.id for r in conn.execute(sa.select(table.c.blob_key, table.c.id))}
    out = []
    for name, size, source in backend.active().unmanaged(kind):
        if name.startswith(".tmp"):
            continue
        key = f"{backend.VOLUME_DIR}/{name}"
        entry: dict[str, Any] = {"reference": {"source-name": name}, "size": size,
                                 "safe_to_manage": key not in managed}
        if kind == "snapshot":
            entry["source_reference"] = {"source-name": f"volume-{source}"} if source else None
        if detail:
            entry.update(reason_not_safe="already managed" if key in managed else None,
                         cinder_id=managed.get(key), extra_info=None)
        out.append(entry)
    return out


def _page(ctx: Context, rq: ApiRequest, kind: str, detail: bool) -> dict[str, Any]:
    if kind == "volume" or rq.query.get("host"):
        _check_host(rq.query.get("host"))
    items = _entries(kind, detail)
    offset = common.offset_of(rq)
    items = items[offset:]
    if rq.query.get("marker"):
        names = [i["reference"]["source-name"] for i in items]
        if rq.query["marker"] in names:
            items = items[names.index(rq.query["marker"]) + 1:]
    if rq.query.get("limit"):
        items = items[: max(int(rq.query["limit"]), 0)]
    return {f"manageable-{kind}s": items}


def list_manageable_volumes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _page(ctx, rq, "volume", False)


def list_manageable_volumes_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _page(ctx, rq, "volume", True)


def list_manageable_snapshots(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _page(ctx, rq, "snapshot", False)


def list_manageable_snapshots_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _page(ctx, rq, "snapshot", True)


LIST = {"min_version": v.MANAGE_EXISTING_LIST}
ROUTES = [
    *routes("POST", "/manageable_volumes", manage_volume, policy="volume_extension:volume_manage",
            body=MANAGE_VOLUME, status=202),
    *routes("POST", "/os-volume-manage", manage_volume, policy="volume_extension:volume_manage",
            body=MANAGE_VOLUME, status=202),
    *routes("GET", "/manageable_volumes", list_manageable_volumes, policy="volume_extension:list_manageable", **LIST),
    *routes("GET", "/manageable_volumes/detail", list_manageable_volumes_detail,
            policy="volume_extension:list_manageable", **LIST),
    *routes("POST", "/manageable_snapshots", manage_snapshot, policy="snapshot_extension:snapshot_manage",
            body=MANAGE_SNAPSHOT, status=202),
    *routes("POST", "/os-snapshot-manage", manage_snapshot, policy="snapshot_extension:snapshot_manage",
            body=MANAGE_SNAPSHOT, status=202),
    *routes("GET", "/manageable_snapshots", list_manageable_snapshots, policy="snapshot_extension:list_manageable",
            **LIST),
    *routes("GET", "/manageable_snapshots/detail", list_manageable_snapshots_detail,
            policy="snapshot_extension:list_manageable", **LIST),
    *common.before(v.MANAGE_EXISTING_LIST, "/manageable_volumes", "/manageable_snapshots",
                   "/manageable_volumes/detail", "/manageable_snapshots/detail", methods=("GET",)),
]
