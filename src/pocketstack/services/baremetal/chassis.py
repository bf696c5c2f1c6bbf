"""Chassis: /v1/chassis, /v1/chassis/{id}/nodes (api-ref: baremetal, Chassis;
ironic/api/controllers/v1/chassis.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, nodes
from pocketstack.services.baremetal.tables import chassis
from pocketstack.services.baremetal.tables import nodes as node_rows

SCHEMA = schemas.obj({"description": {"type": ["string", "null"], "maxLength": 255},
                      "extra": {"type": ["object", "null"]}, "uuid": {"type": ["string", "null"]}},
                     additional=False)
FIELDS = ("uuid", "description", "extra", "created_at", "updated_at")
CHASSIS = Listing(chassis, sort_keys={"uuid", "description", "created_at", "updated_at"},
                  default_sort=[("created_at", "asc")], id_key="uuid")


# --- views -------------------------------------------------------------------
def render_chassis(ctx: Context, rq: ApiRequest, row: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    body = {f: (common.iso(row[f]) if f.endswith("_at") else row[f]) for f in FIELDS
            if fields is None or f in fields}
    base = common.public_url(ctx, rq)
    body["links"] = common.links(base, "chassis", row["uuid"])
    if fields is None:
        body["nodes"] = common.links(base, "chassis", row["uuid"] + "/nodes")
    return body


# --- logic -------------------------------------------------------------------
def _find(conn: Any, ident: str) -> Any:
    if not common.is_uuid(ident):
        raise BadRequest(f"Expected a UUID but received {ident}.")
    row = conn.execute(sa.select(chassis).where(chassis.c.uuid == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Chassis {ident} could not be found.")
    return row


def _fields(ctx: Context, rq: ApiRequest) -> list[str] | None:
    raw = rq.query.get("fields")
    if raw is None:
        return None
    common.require(ctx, common.v.FIELDS)
    fields = [f for f in raw.split(",") if f]
    bad = [f for f in fields if f not in FIELDS]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')
    return fields


def _validate(body: Any) -> None:
    try:
        schemas.validate(SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for chassis: {exc.detail}") from None


# --- routes ------------------------------------------------------------------
def list_chassis(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    detail = rq.path.endswith("/detail") or bool(common.bool_param(rq, "detail"))
    q = common.parse_list(ctx, rq, CHASSIS)
    fields = _fields(ctx, rq)
    if detail and fields:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    with db.reader() as conn:
        rows, more = common.page(conn, CHASSIS, sa.select(chassis), q,
                                 lambda m: NotFound(f"Chassis {m} could not be found."))
    items = [render_chassis(ctx, rq, r, fields or (None if detail else ["uuid", "description"])) for r in rows]
    body: dict[str, Any] = {"chassis": items}
    if more and rows:
        body["next"] = common.next_link(ctx, rq, "chassis", rows[-1]["uuid"], q.limit,
                                        "chassis/detail" if rq.path.endswith("/detail") else None)
    return body


def show_chassis(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "chassis_id", chassis)
    fields = _fields(ctx, rq)
    with db.reader() as conn:
        row = _find(conn, rq.params["chassis_id"])
    return render_chassis(ctx, rq, row, fields)


def create_chassis(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body if rq.body_bytes else {}       # method.body: no body is {}; `null` is not an object
    if not isinstance(body, dict):
        raise BadRequest(f"Schema error for chassis: {body!r} is not of type 'object'")
    _validate(body)
    chassis_id = body.get("uuid") or new_uuid()
    if not common.is_uuid(chassis_id):
        raise BadRequest(f"Expected a UUID but received {chassis_id}.")
    with db.session() as conn:
        if conn.execute(sa.select(chassis.c.uuid).where(chassis.c.uuid == chassis_id)).scalar():
            raise Conflict(f"A chassis with UUID {chassis_id} already exists.")
        conn.execute(chassis.insert().values(uuid=chassis_id, description=body.get("description"),
                                             extra=body.get("extra") or {}, created_at=utcnow()))
        row = _find(conn, chassis_id)
    out = render_chassis(ctx, rq, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_chassis(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "chassis_id", chassis)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, rq.params["chassis_id"])
        common.allowed_paths(patch, ["description", "extra"])
        doc = {"description": row["description"], "extra": row["extra"]}
        new = common.apply_patch(doc, patch)
        _validate(new)
        conn.execute(chassis.update().where(chassis.c.uuid == row["uuid"]).values(
            description=new.get("description"), extra=new.get("extra") or {}, updated_at=utcnow()))
        row = _find(conn, row["uuid"])
    return render_chassis(ctx, rq, row, None)


def delete_chassis(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "chassis_id", chassis)
    with db.session() as conn:
        row = _find(conn, rq.params["chassis_id"])
        if conn.execute(sa.select(node_rows.c.uuid).where(node_rows.c.chassis_uuid == row["uuid"])).first():
            raise BadRequest(f"Cannot complete the requested action because chassis {row['uuid']} contains nodes.")
        conn.execute(chassis.delete().where(chassis.c.uuid == row["uuid"]))


def list_chassis_nodes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _find(conn, rq.params["chassis_id"])
    detail = rq.path.endswith("/detail")
    path = f"chassis/{row['uuid']}/nodes" + ("/detail" if detail else "")
    scoped = rq.query.get("chassis_uuid")
    if scoped:
        raise BadRequest("chassis_uuid is not allowed here")
    rq.query = rq.query.__class__([*rq.query.multi_items(), ("chassis_uuid", row["uuid"])])
    return nodes.list_nodes_body(ctx, rq, detail=detail, path=path)


C = "/v1/chassis/{chassis_id}"
T = common.system_target
ROUTES = [
    route("GET", "/v1/chassis", list_chassis, policy="baremetal:chassis:get", target=T),
    route("GET", "/v1/chassis/detail", list_chassis, policy="baremetal:chassis:get", target=T),
    route("POST", "/v1/chassis", create_chassis, policy="baremetal:chassis:create", target=T, status=201),
    route("GET", C, show_chassis, policy="baremetal:chassis:get", target=T),
    route("PATCH", C, update_chassis, policy="baremetal:chassis:update", target=T),
    route("DELETE", C, delete_chassis, policy="baremetal:chassis:delete", target=T, status=204),
    route("GET", C + "/nodes", list_chassis_nodes, policy="baremetal:chassis:get", target=T),
    route("GET", C + "/nodes/detail", list_chassis_nodes, policy="baremetal:chassis:get", target=T),
]
