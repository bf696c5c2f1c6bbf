"""Group types (3.11+): /group_types and their group specs (api-ref: block-storage v3, Group types;
Group type specs). The groups themselves are in groups.py."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import group_types

GROUP_TYPE = common.APIVersion("3.11")
DEFAULT = "default_group_type"
SPECS = {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean", "number"]}}
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["group_type"], "additionalProperties": False, "properties": {
    "group_type": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": {"type": ["string", "null"], "maxLength": 255},
        "is_public": {"type": ["boolean", "string"]}, "group_specs": SPECS}}}}
UPDATE = {"type": "object", "required": ["group_type"], "additionalProperties": False, "properties": {
    "group_type": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "description": {"type": ["string", "null"], "maxLength": 255}, "is_public": {"type": ["boolean", "string"]}}}}}
SPECS_BODY = {"type": "object", "required": ["group_specs"], "additionalProperties": False,
              "properties": {"group_specs": SPECS}}


# --- views and logic ----------------------------------------------------------------------
def render(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "description": row["description"], "is_public": row["is_public"],
            "group_specs": dict(row["group_specs"] or {})}


def _load(conn: Connection, type_id: str) -> dict[str, Any]:
    column = group_types.c.name if type_id == "default" else group_types.c.id
    row = conn.execute(sa.select(group_types).where(column == (DEFAULT if type_id == "default" else type_id))
                       ).mappings().first()
    if row is None:
        raise NotFound(f"Group type {type_id} could not be found.")
    return dict(row)


def _set_specs(conn: Connection, row: dict[str, Any], specs: dict[str, Any]) -> None:
    conn.execute(group_types.update().where(group_types.c.id == row["id"]).values(group_specs=specs,
                                                                                  updated_at=utcnow()))


# --- routes --------------------------------------------------------------------------------
def list_group_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    raw = (rq.query.get("is_public") or "true").lower()
    stmt = sa.select(group_types)
    if not (ctx.is_admin and raw == "none"):
        stmt = stmt.where(group_types.c.is_public.is_(common.bool_param(raw, "is_public") if ctx.is_admin else True))
    key, _, direction = (rq.query.get("sort") or "created_at:asc").partition(":")
    if key not in ("name", "id", "created_at", "description"):
        raise BadRequest(f"Invalid sort key: {key}")
    column = group_types.c[key]
    stmt = stmt.order_by(column.desc() if direction == "desc" else column.asc(), group_types.c.id)
    with db.reader() as conn:
        return {"group_types": [render(r) for r in conn.execute(stmt).mappings()]}


def show_group_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"group_type": render(_load(conn, rq.params["group_type_id"]))}


def create_group_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["group_type"]
    with db.session() as conn:
        if conn.execute(sa.select(group_types.c.id).where(group_types.c.name == body["name"])).first():
            raise Conflict(f"Group Type {body['name']} already exists.")
        row = {"id": new_uuid(), "name": body["name"], "description": body.get("description"),
               "is_public": common.bool_param(body.get("is_public", True), "is_public"),
               "group_specs": {k: str(val) for k, val in (body.get("group_specs") or {}).items()},
               "created_at": utcnow()}
        conn.execute(group_types.insert().values(**row))
    return {"group_type": render(row)}


def update_group_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["group_type"]
    values = {k: body[k] for k in ("name", "description") if k in body}
    if "is_public" in body:
        values["is_public"] = common.bool_param(body["is_public"], "is_public")
    if not values:
        raise BadRequest("Specify group type name, description or is_public or a combination thereof.")
    with db.session() as conn:
        row = _load(conn, rq.params["group_type_id"])
        conn.execute(group_types.update().where(group_types.c.id == row["id"]).values(updated_at=utcnow(), **values))
        return {"group_type": render(_load(conn, row["id"]))}


def delete_group_type(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, rq.params["group_type_id"])
        conn.execute(group_types.delete().where(group_types.c.id == row["id"]))


def list_group_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"group_specs": dict(_load(conn, rq.params["group_type_id"])["group_specs"] or {})}


def create_group_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    specs = {k: str(val) for k, val in rq.body["group_specs"].items()}
    with db.session() as conn:
        row = _load(conn, rq.params["group_type_id"])
        _set_specs(conn, row, {**(row["group_specs"] or {}), **specs})
    return {"group_specs": specs}


def show_group_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    key = rq.params["key"]
    with db.reader() as conn:
        specs = _load(conn, rq.params["group_type_id"])["group_specs"] or {}
    if key not in specs:
        raise NotFound(f"Group Type {rq.params['group_type_id']} has no specs with key {key}.")
    return {key: specs[key]}


def update_group_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    key, body = rq.params["key"], rq.body
    if not isinstance(body, dict) or len(body) != 1 or key not in body:
        raise BadRequest("Request body and URI mismatch")
    with db.session() as conn:
        row = _load(conn, rq.params["group_type_id"])
        _set_specs(conn, row, {**(row["group_specs"] or {}), key: str(body[key])})
    return {key: str(body[key])}


def delete_group_spec(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, rq.params["group_type_id"])
        specs = dict(row["group_specs"] or {})
        if rq.params["key"] not in specs:
            raise NotFound(f"Group Type {row['id']} has no specs with key {rq.params['key']}.")
        specs.pop(rq.params["key"])
        _set_specs(conn, row, specs)


G = "/group_types/{group_type_id}"
S = "group:group_types_specs:"
NEW = {"min_version": GROUP_TYPE}
ROUTES = [
    *routes("GET", "/group_types", list_group_types, policy=ANY_USER, **NEW),
    *routes("POST", "/group_types", create_group_type, policy="group:group_types:create", body=CREATE, status=202,
            **NEW),
    *routes("GET", G, show_group_type, policy=ANY_USER, **NEW),
    *routes("PUT", G, update_group_type, policy="group:group_types:update", body=UPDATE, **NEW),
    *routes("DELETE", G, delete_group_type, policy="group:group_types:delete", status=202, **NEW),
    *routes("GET", G + "/group_specs", list_group_specs, policy=S + "get_all", **NEW),
    *routes("POST", G + "/group_specs", create_group_specs, policy=S + "create", body=SPECS_BODY, status=202,
            **NEW),
    *routes("GET", G + "/group_specs/{key}", show_group_spec, policy=S + "get", **NEW),
    *routes("PUT", G + "/group_specs/{key}", update_group_spec, policy=S + "update", **NEW),
    *routes("DELETE", G + "/group_specs/{key}", delete_group_spec, policy=S + "delete", status=202, **NEW),
    *common.before(GROUP_TYPE, "/group_types", G),
]
