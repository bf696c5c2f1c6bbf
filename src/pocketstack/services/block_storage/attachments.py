"""Attachments (3.27+): /attachments, /attachments/detail, /attachments/{id}, os-complete (3.44)
(api-ref: block-storage v3, Attachments). The volume follows its attachments: reserved, attaching,
in-use, and available again when the last one goes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER, in_handler
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common, volume_actions
from pocketstack.services.block_storage import notifications as volume_notifications
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import attachments, volumes

# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["attachment"], "additionalProperties": False, "properties": {
    "attachment": {"type": "object", "required": ["volume_uuid"], "additionalProperties": False, "properties": {
        "volume_uuid": {"type": "string"}, "instance_uuid": {"type": ["string", "null"]},
        "connector": {"type": ["object", "null"]}, "mode": {"type": "string", "enum": ["rw", "ro"]}}}}}
UPDATE = {"type": "object", "required": ["attachment"], "additionalProperties": False, "properties": {
    "attachment": {"type": "object", "required": ["connector"], "properties": {"connector": {"type": "object"}}}}}
ACTION = {"type": "object", "required": ["os-complete"], "properties": {"os-complete": {}}}


# --- views ---------------------------------------------------------------------------------
def render(row: Any, vol: Any | None, *, detail: bool = True) -> dict[str, Any]:
    body = {"id": row["id"], "status": row["attach_status"], "instance": row["instance_uuid"],
            "volume_id": row["volume_id"]}
    if detail:
        body.update(attached_at=common.ts(row["attach_time"]), detached_at=common.ts(row["detach_time"]),
                    attach_mode=row["attach_mode"],
                    connection_info=volume_actions.connection_info(vol)["data"] if vol and row["connector"] else {})
    return body


# --- logic ---------------------------------------------------------------------------------
def _load(conn: Connection, ctx: Context, attachment_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    row = conn.execute(sa.select(attachments).where(attachments.c.id == attachment_id)).mappings().first()
    if row is None or (not ctx.is_admin and row["project_id"] != ctx.project_id):
        raise NotFound(f"VolumeAttachment {attachment_id} could not be found.")
    vol = conn.execute(sa.select(volumes).where(volumes.c.id == row["volume_id"])).mappings().one()
    return dict(row), dict(vol)


def _volume_status(conn: Connection, volume_id: str) -> None:
    states = set(conn.execute(sa.select(attachments.c.attach_status).where(
        attachments.c.volume_id == volume_id)).scalars())
    status = ("in-use" if "attached" in states else "attaching" if "attaching" in states
              else "reserved" if "reserved" in states else "available")
    conn.execute(volumes.update().where(volumes.c.id == volume_id).values(
        status=status, attach_status="attached" if "attached" in states else "detached", updated_at=utcnow()))


def create_attachment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["attachment"]
    with db.session() as conn:
        vol = common.load_row(conn, volumes, ctx, body["volume_uuid"], "Volume")
        busy = vol["status"] not in ("available", "reserved", "in-use", "attaching", "downloading")
        if busy or (vol["status"] != "available" and not vol["multiattach"]
                    and _held_by_another(conn, vol["id"], body.get("instance_uuid"))):
            raise BadRequest(f"Invalid volume: Volume {vol['id']} status must be available or downloading to "
                             f"reserve, but the current status is {vol['status']}.")
        connector = body.get("connector")
        row = dict(id=new_uuid(), volume_id=vol["id"], project_id=vol["project_id"],
                   instance_uuid=body.get("instance_uuid"), attached_host=(connector or {}).get("host"),
                   mountpoint=(connector or {}).get("mountpoint"),
                   attach_mode=body.get("mode", "rw") if common.version_at_least(ctx, v.ATTACHMENT_CREATE_MODE_ARG)
                   else "rw", attach_status="attaching" if connector else "reserved", connector=connector,
                   attach_time=None, detach_time=None, created_at=utcnow())
        conn.execute(attachments.insert().values(**row))
        _volume_status(conn, vol["id"])
    return {"attachment": render(row, vol)}


def _held_by_another(conn: Connection, volume_id: str, instance_uuid: str | None) -> bool:
    """Whether the volume's attachments keep it from another one; cinder lets the one server it is
    attached to reserve it again (its workaround for nova's rebuild and live migration)."""
    holders = conn.execute(sa.select(attachments.c.instance_uuid).where(
        attachments.c.volume_id == volume_id)).scalars().all()
    return bool(holders) and not (instance_uuid and holders == [instance_uuid])


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    stmt = sa.select(attachments).where(*common.project_scope(ctx, rq, attachments.c.project_id))
    for key, col in (("volume_id", attachments.c.volume_id), ("instance_id", attachments.c.instance_uuid),
                     ("status", attachments.c.attach_status), ("attach_status", attachments.c.attach_status)):
        if rq.query.get(key):
            stmt = stmt.where(col == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt.order_by(attachments.c.created_at.desc())).mappings().all()
        vols = {r["id"]: r for r in conn.execute(sa.select(volumes).where(
            volumes.c.id.in_({r["volume_id"] for r in rows}))).mappings()} if rows else {}
    return {"attachments": [render(r, vols.get(r["volume_id"]), detail=detail) for r in rows]}


def list_attachments(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, False)


def list_attachments_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, True)


def show_attachment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row, vol = _load(conn, ctx, rq.params["attachment_id"])
    return {"attachment": render(row, vol)}


def update_attachment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    connector = rq.body["attachment"]["connector"]
    with db.session() as conn:
        row, vol = _load(conn, ctx, rq.params["attachment_id"])
        common.enforce(ctx, "volume:attachment_update", {"project_id": row["project_id"]})
        conn.execute(attachments.update().where(attachments.c.id == row["id"]).values(
            connector=connector, attached_host=connector.get("host"), mountpoint=connector.get("mountpoint"),
            attach_status="attaching" if row["attach_status"] == "reserved" else row["attach_status"],
            updated_at=utcnow()))
        _volume_status(conn, vol["id"])
        row, vol = _load(conn, ctx, row["id"])
    return {"attachment": render(row, vol)}


def complete_attachment(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row, vol = _load(conn, ctx, rq.params["attachment_id"])
        common.enforce(ctx, "volume:attachment_complete", {"project_id": row["project_id"]})
        if row["connector"] is None:
            raise BadRequest("Invalid volume: Attachment has no connector; update it before completing.")
        conn.execute(attachments.update().where(attachments.c.id == row["id"]).values(
            attach_status="attached", attach_time=utcnow(), updated_at=utcnow()))
        _volume_status(conn, vol["id"])
        volume_notifications.send_after_commit(conn, ctx, "volume", vol["id"], "attach.end")


def delete_attachment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row, vol = _load(conn, ctx, rq.params["attachment_id"])
        common.enforce(ctx, "volume:attachment_delete", {"project_id": row["project_id"]})
        conn.execute(attachments.delete().where(attachments.c.id == row["id"]))
        _volume_status(conn, vol["id"])
        volume_notifications.send_after_commit(conn, ctx, "volume", vol["id"], "detach.end")
    return {"attachments": []}


# checked in the handlers (a resource the caller may not see is concealed as 404)
COMPLETE_ATTACHMENT_RULES = in_handler("volume:attachment_complete")
A = "/attachments/{attachment_id}"
NEW = {"min_version": v.NEW_ATTACH}
ROUTES = [
    *routes("POST", "/attachments", create_attachment, policy="volume:attachment_create", body=CREATE, **NEW),
    *routes("GET", "/attachments", list_attachments, policy=ANY_USER, **NEW),
    *routes("GET", "/attachments/detail", list_attachments_detail, policy=ANY_USER, **NEW),
    *routes("GET", A, show_attachment, policy=ANY_USER, **NEW),
    *routes("PUT", A, update_attachment, policy=in_handler("volume:attachment_update"), body=UPDATE, **NEW),
    *routes("DELETE", A, delete_attachment, policy=in_handler("volume:attachment_delete"), **NEW),
    *routes("POST", A + "/action", complete_attachment, policy=COMPLETE_ATTACHMENT_RULES, body=ACTION, status=204,
            min_version=v.NEW_ATTACH_COMPLETION),
    *common.before(v.NEW_ATTACH, "/attachments", "/attachments/detail", A),
    *common.before(v.NEW_ATTACH_COMPLETION, A + "/action", methods=("POST",)),
]
