"""Volume attachments: /servers/{id}/os-volume_attachments (api-ref: compute, Servers with volume attachments),
through the block storage service's attachments API (new-style attach: create, complete, delete)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import swap, volume_api

ATTACH_TAG = v.V("2.49", "volume attach takes a tag")
DELETE_ON_TERMINATION = v.V("2.79", "volume attachments take and show delete_on_termination")
ATTACHMENT_IDS = v.V("2.89", "volume attachments show attachment_id and bdm_uuid, not id")
UPDATE_FIELDS = v.V("2.85", "PUT updates delete_on_termination, and swaps only when volumeId differs")
ATTACHABLE = ["active", "paused", "stopped", "resized", "soft-delete", "shelved", "shelved_offloaded"]
VA = t.volume_attachments
CREATE = {"type": "object", "required": ["volumeAttachment"], "additionalProperties": False, "properties": {
    "volumeAttachment": {"type": "object", "required": ["volumeId"], "additionalProperties": False, "properties": {
        "volumeId": {"type": "string", "format": "uuid"},
        "device": {"type": ["string", "null"], "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"},
        "tag": {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"},
        "delete_on_termination": {"type": "boolean"}}}}}
UPDATE = {"type": "object", "required": ["volumeAttachment"], "additionalProperties": False, "properties": {
    "volumeAttachment": {"type": "object", "required": ["volumeId"], "additionalProperties": False, "properties": {
        "volumeId": {"type": "string", "format": "uuid"}, "delete_on_termination": {"type": "boolean"},
        "id": {"type": "string", "format": "uuid"}, "serverId": {"type": "string", "format": "uuid"},
        "device": {"type": ["string", "null"], "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"},
        "tag": {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}}}}}


def render_attachment(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"device": row["device"], "serverId": row["server_id"], "volumeId": row["volume_id"]}
    if ctx.version < ATTACHMENT_IDS:
        body["id"] = row["volume_id"]
    else:
        body.update({"attachment_id": row["attachment_id"], "bdm_uuid": row["id"]})
    if ctx.version >= v.DEVICE_TAGS_SHOWN:
        body["tag"] = row["tag"]
    if ctx.version >= DELETE_ON_TERMINATION:
        body["delete_on_termination"] = row["delete_on_termination"]
    return body


def attachments_of(conn: Connection, server_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in server_ids}
    for r in conn.execute(sa.select(VA).where(VA.c.server_id.in_(server_ids)).order_by(VA.c.device)).mappings():
        out[r["server_id"]].append(dict(r))
    return out


def next_device(used: list[str]) -> str:
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if f"/dev/vd{letter}" not in used:
            return f"/dev/vd{letter}"
    raise BadRequest("No free disk device names for prefix 'vd'")


def local_devices(flavor: dict[str, Any]) -> list[str]:
    """The names the flavor's ephemeral and swap disks take after the root disk (nova's default device
    names: ephemeral0 then swap), so a volume's name is the one the guest gives it."""
    count = int(bool(int(flavor.get("ephemeral") or 0))) + int(bool(int(flavor.get("swap") or 0)))
    return [f"/dev/vd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"[:count]]


def record(conn: Connection, server_id: str, volume_id: str, attachment_id: str, device: str, *,
           tag: str | None = None, delete_on_termination: bool = False, boot_index: int | None = None,
           multiattach: bool = False) -> None:
    conn.execute(VA.insert().values(id=new_uuid(), server_id=server_id, volume_id=volume_id,
                                    attachment_id=attachment_id, device=device, tag=tag,
                                    delete_on_termination=delete_on_termination, boot_index=boot_index,
                                    multiattach=multiattach, created_at=utcnow()))


def _check_not_attached(volume_id: str, server_id: str, multiattach: bool) -> None:
    """nova's _check_volume_already_attached: never twice to one server, and a volume that is not
    multiattach to no second server (whatever its status says)."""
    with db.reader() as conn:
        holders = list(conn.execute(sa.select(VA.c.server_id).where(VA.c.volume_id == volume_id)
                                    .order_by(VA.c.created_at)).scalars())
    if holders and not multiattach:
        raise BadRequest(f"Invalid volume: volume {volume_id} is already attached to instances: "
                         f"{' '.join(holders)}")
    if server_id in holders:
        raise BadRequest(f"Invalid volume: volume {volume_id} already attached")


def _load(ctx: Context, rq: ApiRequest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
        return row, attachments_of(conn, [row["id"]])[row["id"]]


def _one(rows: list[dict[str, Any]], volume_id: str, server_id: str) -> dict[str, Any]:
    for r in rows:
        if r["volume_id"] == volume_id:
            return r
    raise NotFound(f"Volume {volume_id} is not attached to server {server_id}")


def list_volume_attachments(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _, rows = _load(ctx, rq)
    return {"volumeAttachments": [render_attachment(ctx, r) for r in rows]}


def show_volume_attachment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    row, rows = _load(ctx, rq)
    return {"volumeAttachment": render_attachment(ctx, _one(rows, rq.params["volume_id"], row["id"]))}


def attach_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any] | None:
    body = rq.body["volumeAttachment"]
    if "tag" in body and ctx.version < ATTACH_TAG or "delete_on_termination" in body and \
            ctx.version < DELETE_ON_TERMINATION:
        raise BadRequest("Invalid input for field/attribute volumeAttachment.")
    row, rows = _load(ctx, rq)
    common.check_locked(ctx, row)
    common.check_state(row, "attach_volume", ATTACHABLE)
    volume_id = body["volumeId"]
    volume = volume_api.get(ctx.token, row["project_id"], volume_id)
    if volume is None:
        raise NotFound(f"Volume {volume_id} could not be found.")
    multiattach = bool(volume.get("multiattach"))
    _check_not_attached(volume_id, row["id"], multiattach)
    if multiattach:
        if row["vm_state"] == "shelved_offloaded":
            raise BadRequest("Attaching multiattach volumes is not supported for shelved-offloaded instances.")
        volume_api.check_multiattach(ctx)
    elif volume["status"] != "available":
        raise BadRequest(f"Invalid volume: volume '{volume_id}' status must be 'available'. Currently in "
                         f"'{volume['status']}'")
    device = next_device([r["device"] for r in rows] + ["/dev/vda"] + local_devices(row["flavor"]))
    try:
        attachment_id = volume_api.attach(ctx.token, row["project_id"], volume_id, row["id"], device,
                                          row.get("host"))
    except volume_api.VolumeError as exc:
        raise BadRequest(f"Invalid volume: {exc}") from None
    drivers.on_guest_host(row, "attach_volume", volume_id, device, shareable=multiattach)
    with db.session() as conn:
        record(conn, row["id"], volume_id, attachment_id, device, tag=body.get("tag"),
               delete_on_termination=bool(body.get("delete_on_termination", False)), multiattach=multiattach)
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "attach_volume"),
                            "compute_attach_volume")
        rows = attachments_of(conn, [row["id"]])[row["id"]]
    if ctx.version >= v.ATTACH_ACCEPTED:
        return None
    return {"volumeAttachment": render_attachment(ctx, _one(rows, volume_id, row["id"]))}


def update_volume_attachment(ctx: Context, rq: ApiRequest) -> None:
    """Before 2.85 PUT only swaps; from 2.85 it updates delete_on_termination, then swaps if volumeId
    differs. A swap is checked against the swap rule (a service's: Cinder calls it while it migrates
    a volume), anything else against the update rule."""
    row, rows = _load(ctx, rq)
    body, old_id = rq.body["volumeAttachment"], rq.params["volume_id"]
    only_swap = ctx.version < UPDATE_FIELDS
    if only_swap and set(body) - {"volumeId"}:
        raise BadRequest("Invalid input for field/attribute volumeAttachment. Additional properties are not "
                         f"allowed ({', '.join(repr(k) for k in sorted(set(body) - {'volumeId'}))} was unexpected)")
    if only_swap or body["volumeId"] != old_id:
        common.enforce(ctx, P + "swap", {})
    else:
        common.enforce(ctx, P + "update", {"project_id": row["project_id"]})
    if not only_swap:
        current = _one(rows, old_id, row["id"])
        for key, shown in (("id", current["volume_id"]), ("serverId", row["id"]), ("device", current["device"]),
                           ("tag", current["tag"])):
            if key in body and body[key] != shown:
                raise BadRequest(f"The {key} property is not mutable")
        if "delete_on_termination" in body:
            with db.session() as conn:
                conn.execute(VA.update().where(VA.c.id == current["id"]).values(
                    delete_on_termination=body["delete_on_termination"], updated_at=utcnow()))
        if body["volumeId"] == old_id:
            return
    swap.swap_volume(ctx, row, rows, old_id, body["volumeId"])


def detach_volume(ctx: Context, rq: ApiRequest) -> None:
    row, rows = _load(ctx, rq)
    common.check_locked(ctx, row)
    common.check_state(row, "detach_volume", ATTACHABLE)
    current = _one(rows, rq.params["volume_id"], row["id"])
    if current["boot_index"] == 0:
        raise BadRequest("Cannot detach a root device volume")
    drivers.on_guest_host(row, "detach_volume", current["volume_id"], current["device"])
    volume_api.detach(ctx.token, row["project_id"], current["attachment_id"])
    with db.session() as conn:
        conn.execute(VA.delete().where(VA.c.id == current["id"]))
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "detach_volume"),
                            "compute_detach_volume")


def release_all(token: Auth | None, server: dict[str, Any]) -> None:
    """On server delete: detach every volume, and delete those marked delete_on_termination."""
    with db.reader() as conn:
        rows = attachments_of(conn, [server["id"]])[server["id"]]
    for r in rows:
        volume_api.detach(token, server["project_id"], r["attachment_id"])
        if r["delete_on_termination"]:
            volume_api.delete(token, server["project_id"], r["volume_id"])
    with db.session() as conn:
        conn.execute(VA.delete().where(VA.c.server_id == server["id"]))


S = "/v2.1/servers/{server_id}/os-volume_attachments"
P = "os_compute_api:os-volumes-attachments:"
T = common.server_target
ROUTES = [
    route("GET", S, list_volume_attachments, policy=P + "index", target=T),
    route("POST", S, attach_volume, policy=P + "create", target=T, body=CREATE, status={v.ATTACH_ACCEPTED: 202}),
    route("GET", S + "/{volume_id}", show_volume_attachment, policy=P + "show", target=T),
    route("PUT", S + "/{volume_id}", update_volume_attachment, policy=in_handler(P + "update", P + "swap"),
          body=UPDATE, status=202),
    route("DELETE", S + "/{volume_id}", detach_volume, policy=P + "delete", target=T, status=202),
]
