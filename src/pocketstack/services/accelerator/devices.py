"""Devices, deployables and attributes: /v2/devices, /v2/deployables, /v2/attributes (api-ref:
accelerator, Devices; Deployables; Attributes; cyborg/api/controllers/v2/devices.py, deployables.py,
attributes.py). Devices are what the agent found on the host; here, the fake devices bootstrap made."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.accelerator import common
from pocketstack.services.accelerator import versions as v
from pocketstack.services.accelerator.tables import attributes, deployables, devices

DEVICE_FIELDS = ("uuid", "type", "vendor", "model", "std_board_info", "vendor_board_info", "hostname")
DEPLOYABLE_FIELDS = ("uuid", "parent_id", "root_id", "name", "num_accelerators", "device_id", "rp_uuid",
                     "driver_name", "bitstream_id")


# --- views -------------------------------------------------------------------
def render_device(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    body = {f: row[f] for f in DEVICE_FIELDS}
    if ctx.version >= v.DEVICE_STATUS:
        body["status"] = row["status"]
    body.update(created_at=common.iso(row["created_at"]), updated_at=common.iso(row["updated_at"]),
                links=common.links(ctx, rq, "devices", row["uuid"]))
    return body


def render_deployable(ctx: Context, rq: ApiRequest, row: Any, attrs: list[Any]) -> dict[str, Any]:
    body = {f: row[f] for f in DEPLOYABLE_FIELDS}
    body.update(attributes_list=json.dumps([{a.key: a.value} for a in attrs]),
                created_at=common.iso(row["created_at"]), updated_at=common.iso(row["updated_at"]),
                links=common.links(ctx, rq, "deployables", row["uuid"], bookmark=True))
    return body


def render_attribute(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    return {"uuid": row["uuid"], "deployable_id": row["deployable_id"], "key": row["key"], "value": row["value"],
            "created_at": common.iso(row["created_at"]), "updated_at": common.iso(row["updated_at"]),
            "links": common.links(ctx, rq, "attributes", row["uuid"])}


# --- logic -------------------------------------------------------------------
def _one(conn: Any, table: sa.Table, ident: str, what: str) -> Any:
    row = conn.execute(sa.select(table).where(table.c.uuid == ident)).mappings().first() \
        if common.is_uuid(ident) else None
    if row is None:
        raise NotFound(f"{what} not found with uuid={ident}")
    return row


def _attrs(conn: Any, dep_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in dep_ids}
    if dep_ids:
        for a in conn.execute(sa.select(attributes).where(attributes.c.deployable_id.in_(dep_ids))
                              .order_by(attributes.c.id)):
            out[a.deployable_id].append(a)
    return out


# --- routes ------------------------------------------------------------------
def list_devices(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(devices).order_by(devices.c.id)
    for key in ("type", "vendor", "hostname"):
        if rq.query.get(key):
            stmt = stmt.where(devices.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"devices": [render_device(ctx, rq, r) for r in rows]}


def show_device(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return render_device(ctx, rq, _one(conn, devices, rq.params["uuid"], "Device"))


def _set_status(ctx: Context, rq: ApiRequest, status: str) -> None:
    if ctx.version < v.DEVICE_STATUS:
        raise NotFound("The resource could not be found.")
    with db.session() as conn:
        row = _one(conn, devices, rq.params["uuid"], "Device")
        conn.execute(devices.update().where(devices.c.id == row["id"]).values(status=status, updated_at=utcnow()))


def disable_device(ctx: Context, rq: ApiRequest) -> None:
    _set_status(ctx, rq, "maintaining")


def enable_device(ctx: Context, rq: ApiRequest) -> None:
    _set_status(ctx, rq, "enabled")


def list_deployables(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(deployables).order_by(deployables.c.id)
    for key in ("name", "rp_uuid", "driver_name", "num_accelerators", "device_id"):
        if rq.query.get(key):
            stmt = stmt.where(deployables.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
        attrs = _attrs(conn, [r["id"] for r in rows])
    return {"deployables": [render_deployable(ctx, rq, r, attrs[r["id"]]) for r in rows]}


def show_deployable(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _one(conn, deployables, rq.params["uuid"], "Deployable")
        return render_deployable(ctx, rq, row, _attrs(conn, [row["id"]])[row["id"]])


def program_deployable(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """PATCH /deployables/{uuid}/program [{"path": "/bitstream_id", "op": "replace", "value": ...}]."""
    patch = rq.body
    if not isinstance(patch, list) or not patch or not isinstance(patch[0], dict) \
            or not isinstance(patch[0].get("value"), dict) or "image_uuid" not in patch[0]["value"]:
        raise BadRequest('Invalid input: expected [{"path": "/bitstream_id", "op": "replace", '
                         '"value": {"image_uuid": ...}}]')
    with db.session() as conn:
        row = _one(conn, deployables, rq.params["uuid"], "Deployable")
        conn.execute(deployables.update().where(deployables.c.id == row["id"]).values(
            bitstream_id=patch[0]["value"]["image_uuid"], updated_at=utcnow()))
        row = _one(conn, deployables, rq.params["uuid"], "Deployable")
        return render_deployable(ctx, rq, row, _attrs(conn, [row["id"]])[row["id"]])


def list_attributes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(attributes).order_by(attributes.c.id)
    if rq.query.get("deployable_id"):
        stmt = stmt.where(attributes.c.deployable_id == rq.query["deployable_id"])
    if rq.query.get("key"):
        stmt = stmt.where(attributes.c.key == rq.query["key"])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"attributes": [render_attribute(ctx, rq, r) for r in rows]}


def show_attribute(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return render_attribute(ctx, rq, _one(conn, attributes, rq.params["uuid"], "Attribute"))


def create_attribute(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body if isinstance(rq.body, dict) else {}
    if not all(isinstance(body.get(k), (str, int)) for k in ("deployable_id", "key", "value")):
        raise BadRequest("deployable_id, key and value are required")
    with db.session() as conn:
        dep = conn.execute(sa.select(deployables.c.id).where(deployables.c.id == int(body["deployable_id"]))).scalar()
        if dep is None:
            raise NotFound(f"Deployable not found with id={body['deployable_id']}")
        if conn.execute(sa.select(attributes.c.id).where(attributes.c.deployable_id == dep,
                                                         attributes.c.key == body["key"])).scalar():
            raise Conflict(f"Attribute {body['key']} already exists on deployable {dep}")
        uid = new_uuid()
        conn.execute(attributes.insert().values(uuid=uid, deployable_id=dep, key=str(body["key"]),
                                                value=str(body["value"]), created_at=utcnow()))
        row = _one(conn, attributes, uid, "Attribute")
    return json_response(201, render_attribute(ctx, rq, row))


def delete_attribute(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _one(conn, attributes, rq.params["uuid"], "Attribute")
        conn.execute(attributes.delete().where(attributes.c.id == row["id"]))


T = common.target
ROUTES = [
    route("GET", "/v2/devices", list_devices, policy="cyborg:device:get_all", target=T),
    route("GET", "/v2/devices/{uuid}", show_device, policy="cyborg:device:get_one", target=T),
    route("POST", "/v2/devices/{uuid}/disable", disable_device, policy="cyborg:device:disable", target=T),
    route("POST", "/v2/devices/{uuid}/enable", enable_device, policy="cyborg:device:enable", target=T),
    route("GET", "/v2/deployables", list_deployables, policy="cyborg:deployable:get_all", target=T),
    route("GET", "/v2/deployables/{uuid}", show_deployable, policy="cyborg:deployable:get_one", target=T),
    route("PATCH", "/v2/deployables/{uuid}/program", program_deployable, policy="cyborg:deployable:program",
          target=T),
    route("GET", "/v2/attributes", list_attributes, policy="cyborg:attribute:get_all", target=T),
    route("GET", "/v2/attributes/{uuid}", show_attribute, policy="cyborg:attribute:get_one", target=T),
    route("POST", "/v2/attributes", create_attribute, policy="cyborg:attribute:create", target=T, status=201),
    route("DELETE", "/v2/attributes/{uuid}", delete_attribute, policy="cyborg:attribute:delete", target=T,
          status=204),
]
