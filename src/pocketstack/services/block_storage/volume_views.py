"""How a volume looks on the wire, per microversion (cinder/api/v3/views/volumes.py and the
os-vol-*-attr extensions), loaded in bulk for a page of rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.tables import attachments, volume_metadata, volume_types

STATUS_MAP = {"managing": "creating", "error_managing": "error", "error_managing_deleting": "deleting"}


def extras(conn: Connection, rows: list[Any]) -> dict[str, Any]:
    """Metadata, attachments and type names of a page of volumes, in three queries."""
    ids = [r["id"] for r in rows]
    meta: dict[str, dict[str, str]] = {i: {} for i in ids}
    atts: dict[str, list[Any]] = {i: [] for i in ids}
    if ids:
        for m in conn.execute(sa.select(volume_metadata).where(volume_metadata.c.volume_id.in_(ids))).mappings():
            meta[m["volume_id"]][m["key"]] = m["value"]
        for a in conn.execute(sa.select(attachments).where(attachments.c.volume_id.in_(ids),
                                                           attachments.c.attach_status == "attached")
                              .order_by(attachments.c.created_at)).mappings():
            atts[a["volume_id"]].append(dict(a))
    type_ids = {r["volume_type_id"] for r in rows if r["volume_type_id"]}
    types = {t["id"]: t["name"] for t in conn.execute(sa.select(volume_types.c.id, volume_types.c.name).where(
        volume_types.c.id.in_(type_ids))).mappings()} if type_ids else {}
    return {"metadata": meta, "attachments": atts, "types": types}


def summary(ctx: Context, rq: ApiRequest | None, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "links": common.links(ctx, rq, "volumes", row["id"])}


def detail(ctx: Context, rq: ApiRequest | None, row: Any, ex: dict[str, Any], *,
           extended: bool = True) -> dict[str, Any]:
    """`extended`: the os-vol-*-attr and image metadata extensions, which cinder adds to show and
    detail lists only (not to create, update or manage answers)."""
    admin = ctx.is_admin
    body: dict[str, Any] = {
        "id": row["id"], "status": STATUS_MAP.get(row["status"], row["status"]), "size": row["size"],
        "availability_zone": row["availability_zone"], "created_at": common.ts(row["created_at"]),
        "updated_at": common.ts(row["updated_at"]),
        "name": row["name"], "description": row["description"],
        "volume_type": ex["types"].get(row["volume_type_id"]), "snapshot_id": row["snapshot_id"],
        "source_volid": row["source_volid"], "metadata": ex["metadata"].get(row["id"], {}),
        "links": common.links(ctx, rq, "volumes", row["id"]), "user_id": row["user_id"],
        "bootable": str(bool(row["bootable"])).lower(), "encrypted": False, "replication_status": None,
        "consistencygroup_id": None, "multiattach": bool(row["multiattach"]),
        "attachments": [attachment(ctx, a) for a in ex["attachments"].get(row["id"], [])],
    }
    if admin:
        body["migration_status"] = row["migration_status"]
    if extended:
        _extensions(ctx, row, body)
    version = ctx.version or v.MIN
    if version >= v.GROUP_VOLUME:
        body["group_id"] = row["group_id"]
    if admin and version >= v.VOLUME_DETAIL_PROVIDER_ID:
        body["provider_id"] = row["provider_id"]
    if version >= v.VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS:
        body["shared_targets"] = False
        body["service_uuid"] = None
    if admin and version >= v.VOLUME_CLUSTER_NAME:
        body["cluster_name"] = None
    if version >= v.VOLUME_TYPE_ID_IN_VOLUME_DETAIL:
        body["volume_type_id"] = row["volume_type_id"]
    if version >= v.USE_QUOTA:
        body["consumes_quota"] = True
    return body


def _extensions(ctx: Context, row: Any, body: dict[str, Any]) -> None:
    target = {"project_id": row["project_id"]}
    if common.check(ctx, "volume_extension:volume_host_attribute", target):
        body["os-vol-host-attr:host"] = row["host"]
    if common.check(ctx, "volume_extension:volume_mig_status_attribute", target):
        body["os-vol-mig-status-attr:migstat"] = row["migration_status"]
        body["os-vol-mig-status-attr:name_id"] = None
    if common.check(ctx, "volume_extension:volume_tenant_attribute", target):
        body["os-vol-tenant-attr:tenant_id"] = row["project_id"]
    if row["image_metadata"] and common.check(ctx, "volume_extension:volume_image_metadata:show", target):
        body["volume_image_metadata"] = dict(row["image_metadata"])


def attachment(ctx: Context, a: Any) -> dict[str, Any]:
    return {"id": a["volume_id"], "attachment_id": a["id"], "volume_id": a["volume_id"],
            "server_id": a["instance_uuid"], "device": a["mountpoint"],
            "host_name": a["attached_host"] if ctx.is_admin or "service" in ctx.roles else None,
            "attached_at": common.ts(a["attach_time"])}


def show(conn: Connection, ctx: Context, rq: ApiRequest | None, row: Any, *, extended: bool = True) -> dict[str, Any]:
    return {"volume": detail(ctx, rq, row, extras(conn, [row]), extended=extended)}
