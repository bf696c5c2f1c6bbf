"""The volume proxy: /os-volumes, /os-snapshots (api-ref: compute, Volume extension (os-volumes, os-snapshots)
(DEPRECATED)), the block storage service's volumes as nova shows them; gone after microversion 2.35. And
/os-assisted-volume-snapshots (api-ref: compute, Assisted volume snapshots), the call a file-based Cinder
driver makes to have the hypervisor snapshot an attached volume."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.security_groups import LAST

HEADERS = {"OpenStack-API-Version": "volume 3.0"}
CREATE = {"type": "object", "required": ["volume"], "additionalProperties": False, "properties": {"volume": {
    "type": "object", "required": ["size"], "additionalProperties": False, "properties": {
        "volume_type": {"type": "string"}, "metadata": {"type": "object"}, "snapshot_id": {"type": "string"},
        "size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
        "availability_zone": {"type": "string"}, "display_name": {"type": "string", "maxLength": 255},
        "display_description": {"type": "string", "maxLength": 255}}}}}
SNAPSHOT = {"type": "object", "required": ["snapshot"], "additionalProperties": False, "properties": {"snapshot": {
    "type": "object", "required": ["volume_id"], "additionalProperties": False, "properties": {
        "volume_id": {"type": "string"}, "force": {"type": ["boolean", "string"]},
        "display_name": {"type": "string", "maxLength": 255},
        "display_description": {"type": "string", "maxLength": 255}}}}}


def _call(ctx: Context, method: str, path: str, body: Any = None) -> Any:
    r = internal_client.call(method, f"/volume/v3/{ctx.project_id}{path}", token=ctx.token, json=body,
                             headers=HEADERS)
    if r.status_code == 404:
        kind = "Snapshot" if "/snapshots" in path else "Volume"
        raise NotFound(f"{kind} {path.rsplit('/', 1)[-1]} could not be found.")
    if r.status_code >= 400:
        try:
            message = next(iter(r.json().values()))["message"]
        except (ValueError, KeyError, TypeError, StopIteration):
            message = r.text
        raise BadRequest(message)
    return r.json() if r.content else None


def render_volume(vol: dict[str, Any]) -> dict[str, Any]:
    attachments: list[dict[str, Any]] = [{}]
    if vol.get("attachments"):
        a = vol["attachments"][0]
        attachments = [{"id": vol["id"], "volumeId": vol["id"], "serverId": a.get("server_id"),
                        **({"device": a["device"]} if a.get("device") else {})}]
    return {"id": vol["id"], "status": vol["status"], "size": vol["size"],
            "availabilityZone": vol.get("availability_zone"), "createdAt": vol.get("created_at"),
            "attachments": attachments, "displayName": vol.get("name"),
            "displayDescription": vol.get("description"), "volumeType": vol.get("volume_type"),
            "snapshotId": vol.get("snapshot_id"), "metadata": vol.get("metadata") or {}}


def render_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    return {"id": snap["id"], "volumeId": snap["volume_id"], "status": snap["status"], "size": snap["size"],
            "createdAt": snap.get("created_at"), "displayName": snap.get("name"),
            "displayDescription": snap.get("description")}


def list_volumes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.path.endswith("/"):  # a blank volume id
        raise NotFound("The resource could not be found.")
    vols = _call(ctx, "GET", "/volumes/detail")["volumes"]
    try:
        offset, limit = int(rq.query.get("offset", 0)), int(rq.query.get("limit", 1000))
    except ValueError:
        raise BadRequest("limit and offset must be integers") from None
    return {"volumes": [render_volume(v) for v in vols][offset:offset + limit]}


def show_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"volume": render_volume(_call(ctx, "GET", f"/volumes/{rq.params['volume_id']}")["volume"])}


def create_volume(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume"]
    new: dict[str, Any] = {"size": int(body["size"]), "name": body.get("display_name"),
                           "description": body.get("display_description"), "metadata": body.get("metadata") or {}}
    for key in ("volume_type", "snapshot_id", "availability_zone"):
        if body.get(key):
            new[key] = body[key]
    return {"volume": render_volume(_call(ctx, "POST", "/volumes", {"volume": new})["volume"])}


def delete_volume(ctx: Context, rq: ApiRequest) -> None:
    _call(ctx, "DELETE", f"/volumes/{rq.params['volume_id']}")


def list_snapshots(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"snapshots": [render_snapshot(s) for s in _call(ctx, "GET", "/snapshots/detail")["snapshots"]]}


def show_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"snapshot": render_snapshot(_call(ctx, "GET", f"/snapshots/{rq.params['snapshot_id']}")["snapshot"])}


def create_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["snapshot"]
    new = {"volume_id": body["volume_id"], "force": str(body.get("force", False)).lower() in ("true", "1"),
           "name": body.get("display_name"), "description": body.get("display_description")}
    return {"snapshot": render_snapshot(_call(ctx, "POST", "/snapshots", {"snapshot": new})["snapshot"])}


def delete_snapshot(ctx: Context, rq: ApiRequest) -> None:
    _call(ctx, "DELETE", f"/snapshots/{rq.params['snapshot_id']}")


ASSISTED = {"type": "object", "required": ["snapshot"], "additionalProperties": False, "properties": {"snapshot": {
    "type": "object", "required": ["volume_id", "create_info"], "additionalProperties": False, "properties": {
        "volume_id": {"type": "string", "minLength": 1},
        "create_info": {"type": "object", "required": ["snapshot_id", "type", "new_file"],
                        "additionalProperties": False, "properties": {
                            "snapshot_id": {"type": "string", "minLength": 1}, "type": {"enum": ["qcow2"]},
                            "new_file": {"type": "string", "minLength": 1}, "id": {"type": "string", "minLength": 1}}}}}}}


def _attached_server(volume_id: str) -> dict[str, Any]:
    """The server a volume is attached to (nova's BDM lookup by volume id), 400 when none, 409 while busy."""
    with db.reader() as conn:
        server = conn.execute(sa.select(t.servers).join(t.volume_attachments,
                                                        t.volume_attachments.c.server_id == t.servers.c.id)
                              .where(t.volume_attachments.c.volume_id == volume_id, t.servers.c.deleted.is_(False))
                              ).mappings().first()
    if server is None:
        raise BadRequest(f"No volume Block Device Mapping with id {volume_id}.")
    if server["task_state"] is not None or server["vm_state"] not in ("active", "stopped", "paused", "suspended"):
        raise Conflict(f"Cannot 'volume_snapshot' instance {server['id']} while it is in vm_state "
                       f"{server['vm_state']}")
    return dict(server)


def create_assisted_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """What the hypervisor does with it is the driver's: qcow2 overlays of file-based volumes (nova's libvirt
    driver) are not something this cloud's block storage asks for, so the call is checked and answered."""
    body = rq.body["snapshot"]
    _attached_server(body["volume_id"])
    return {"snapshot": {"id": body["create_info"].get("id"), "volumeId": body["volume_id"]}}


def delete_assisted_snapshot(ctx: Context, rq: ApiRequest) -> None:
    try:
        info = json.loads(rq.query["delete_info"])
        volume_id = info["volume_id"]
    except KeyError as exc:
        raise BadRequest(str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"Invalid delete_info: {exc}") from None
    _attached_server(volume_id)


V, S = "/v2.1/os-volumes", "/v2.1/os-snapshots"
P = "os_compute_api:os-volumes:"
ROUTES = [
    route("GET", V, list_volumes, policy=P + "list", max_version=LAST),
    common.not_found_route("DELETE", V),
    route("GET", V + "/detail", list_volumes, policy=P + "detail", max_version=LAST),
    route("POST", V, create_volume, policy=P + "create", body=CREATE, max_version=LAST),
    route("GET", V + "/{volume_id}", show_volume, policy=P + "show", max_version=LAST),
    route("DELETE", V + "/{volume_id}", delete_volume, policy=P + "delete", max_version=LAST, status=202),
    route("GET", S, list_snapshots, policy=P + "snapshots:list", max_version=LAST),
    route("GET", S + "/detail", list_snapshots, policy=P + "snapshots:detail", max_version=LAST),
    route("POST", S, create_snapshot, policy=P + "snapshots:create", body=SNAPSHOT, max_version=LAST),
    route("GET", S + "/{snapshot_id}", show_snapshot, policy=P + "snapshots:show", max_version=LAST),
    route("DELETE", S + "/{snapshot_id}", delete_snapshot, policy=P + "snapshots:delete", max_version=LAST,
          status=202),
    route("POST", "/v2.1/os-assisted-volume-snapshots", create_assisted_snapshot,
          policy="os_compute_api:os-assisted-volume-snapshots:create", body=ASSISTED),
    route("DELETE", "/v2.1/os-assisted-volume-snapshots/{snapshot_id}", delete_assisted_snapshot,
          policy="os_compute_api:os-assisted-volume-snapshots:delete", status=204),
]
