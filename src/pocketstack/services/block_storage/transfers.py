"""Volume transfers: /os-volume-transfer and, since 3.55, /volume-transfers (api-ref: block-storage v3,
Volume transfer; Volume transfers (volume-transfers) 3.55 or later). A transfer puts the volume in
awaiting-transfer; accepting it with the auth key moves the volume (and its snapshots) to the
accepting project."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import snapshots, transfers, volume_types, volumes

WITH_SNAPSHOTS, WITH_HISTORY = v.V("3.55"), v.V("3.57")
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["transfer"], "additionalProperties": False, "properties": {
    "transfer": {"type": "object", "required": ["volume_id"], "additionalProperties": False, "properties": {
        "volume_id": {"type": "string"}, "name": {"type": ["string", "null"], "maxLength": 255},
        "no_snapshots": {"type": ["boolean", "string"]}}}}}
ACCEPT = {"type": "object", "required": ["accept"], "additionalProperties": False, "properties": {
    "accept": {"type": "object", "required": ["auth_key"], "properties": {
        "auth_key": {"type": "string", "minLength": 1}}}}}


# --- views ---------------------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, *, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "volume_id": row["volume_id"],
                            "links": common.links(ctx, rq, "os-volume-transfer", row["id"])}
    if not detail:
        return body
    body["created_at"] = common.ts(row["created_at"])
    if common.version_at_least(ctx, WITH_SNAPSHOTS):
        body["no_snapshots"] = bool(row["no_snapshots"])
    if common.version_at_least(ctx, WITH_HISTORY):
        body.update(source_project_id=row["project_id"], destination_project_id=None, accepted=False)
    return body


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}{key}".encode()).hexdigest()


# --- logic ---------------------------------------------------------------------------------
def _load(conn: Connection, ctx: Context, transfer_id: str) -> dict[str, Any]:
    return common.load_row(conn, transfers, ctx, transfer_id, "Transfer")


def create_transfer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["transfer"]
    no_snapshots = common.bool_param(body.get("no_snapshots", False), "no_snapshots") \
        if common.version_at_least(ctx, WITH_SNAPSHOTS) else False
    with db.session() as conn:
        vol = common.load_row(conn, volumes, ctx, body["volume_id"], "Volume")
        if vol["status"] != "available":
            raise BadRequest(f"Invalid volume: status must be available, but it is {vol['status']}.")
        if not no_snapshots and conn.execute(sa.select(snapshots.c.id).where(
                snapshots.c.volume_id == vol["id"], snapshots.c.status != "available")).first():
            raise BadRequest("Invalid snapshot: snapshot status must be available.")
        key, salt = secrets.token_hex(8), secrets.token_hex(8)
        row = {"id": new_uuid(), "volume_id": vol["id"], "project_id": vol["project_id"], "name": body.get("name"),
               "salt": salt, "crypt_hash": _hash(salt, key), "no_snapshots": no_snapshots, "created_at": utcnow()}
        conn.execute(transfers.insert().values(**row))
        conn.execute(volumes.update().where(volumes.c.id == vol["id"]).values(status="awaiting-transfer",
                                                                              updated_at=utcnow()))
    return {"transfer": {**render(ctx, rq, row), "auth_key": key}}


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    stmt = sa.select(transfers).where(*common.project_scope(ctx, rq, transfers.c.project_id))
    with db.reader() as conn:
        rows = conn.execute(stmt.order_by(transfers.c.created_at.desc(), transfers.c.id)).mappings().all()
    return {"transfers": [render(ctx, rq, r, detail=detail) for r in rows]}


def list_transfers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, False)


def list_transfers_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, True)


def show_transfer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"transfer": render(ctx, rq, _load(conn, ctx, rq.params["transfer_id"]))}


def delete_transfer(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["transfer_id"])
        conn.execute(transfers.delete().where(transfers.c.id == row["id"]))
        conn.execute(volumes.update().where(volumes.c.id == row["volume_id"], volumes.c.status == "awaiting-transfer")
                     .values(status="available", updated_at=utcnow()))


def accept_transfer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    key = rq.body["accept"]["auth_key"]
    with db.session() as conn:
        row = conn.execute(sa.select(transfers).where(transfers.c.id == rq.params["transfer_id"])).mappings().first()
        if row is None:
            raise common.not_found("Transfer", rq.params["transfer_id"])
        if not hmac.compare_digest(row["crypt_hash"], _hash(row["salt"], key)):
            raise BadRequest(f"Invalid auth key: Attempt to transfer {row['volume_id']} with invalid auth key.")
        vol = dict(conn.execute(sa.select(volumes).where(volumes.c.id == row["volume_id"])).mappings().one())
        snaps = [] if row["no_snapshots"] else conn.execute(sa.select(snapshots.c.size).where(
            snapshots.c.volume_id == vol["id"])).scalars().all()
        type_name = conn.execute(sa.select(volume_types.c.name).where(
            volume_types.c.id == vol["volume_type_id"])).scalar()
        common.check_quota(conn, ctx.project_id or "", {
            "volumes": 1, "gigabytes": vol["size"] + sum(snaps), "snapshots": len(snaps),
            f"volumes_{type_name}": 1, f"gigabytes_{type_name}": vol["size"] + sum(snaps)})
        if ctx.project_id is None:
            raise Forbidden("Accepting a transfer needs a project-scoped token.")
        conn.execute(volumes.update().where(volumes.c.id == vol["id"]).values(
            project_id=ctx.project_id, user_id=ctx.user_id, status="available", updated_at=utcnow()))
        if not row["no_snapshots"]:
            conn.execute(snapshots.update().where(snapshots.c.volume_id == vol["id"]).values(
                project_id=ctx.project_id, user_id=ctx.user_id))
        conn.execute(transfers.delete().where(transfers.c.id == row["id"]))
    return {"transfer": render(ctx, rq, row, detail=False)}


def _routes(base: str, **kw: Any) -> list[Any]:
    item = base + "/{transfer_id}"
    return [
        *routes("POST", base, create_transfer, policy="volume:create_transfer", body=CREATE, status=202, **kw),
        *routes("GET", base, list_transfers, policy="volume:get_all_transfers", **kw),
        *routes("GET", base + "/detail", list_transfers_detail, policy="volume:get_all_transfers", **kw),
        *routes("GET", item, show_transfer, policy="volume:get_transfer", **kw),
        *routes("DELETE", item, delete_transfer, policy="volume:delete_transfer", status=202, **kw),
        *routes("POST", item + "/accept", accept_transfer, policy="volume:accept_transfer", body=ACCEPT,
                status=202, **kw),
    ]


ROUTES = [*_routes("/os-volume-transfer"), *_routes("/volume-transfers", min_version=WITH_SNAPSHOTS),
          *common.before(WITH_SNAPSHOTS, "/volume-transfers", "/volume-transfers/detail",
                         "/volume-transfers/{transfer_id}", "/volume-transfers/{transfer_id}/accept")]
