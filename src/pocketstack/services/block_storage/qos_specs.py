"""QoS specifications: /qos-specs, their keys and their volume type associations (api-ref:
block-storage v3, Quality of service (QoS) specifications (qos-specs))."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import qos_specs, volume_types

CONSUMERS = ("front-end", "back-end", "both")
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["qos_specs"], "additionalProperties": False, "properties": {
    "qos_specs": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255}, "consumer": {"enum": list(CONSUMERS)}},
        "additionalProperties": {"type": ["string", "integer", "number", "boolean"]}}}}
SET_KEYS = {"type": "object", "required": ["qos_specs"], "additionalProperties": False, "properties": {
    "qos_specs": {"type": "object", "minProperties": 1,
                  "additionalProperties": {"type": ["string", "integer", "number", "boolean"]}}}}
DELETE_KEYS = {"type": "object", "required": ["keys"], "additionalProperties": False, "properties": {
    "keys": {"type": "array", "minItems": 1, "items": {"type": "string"}}}}


# --- views ---------------------------------------------------------------------------------
def render(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "consumer": row["consumer"], "specs": dict(row["specs"] or {})}


def _links(ctx: Context, rq: ApiRequest, qos_id: str) -> list[dict[str, str]]:
    return common.links(ctx, rq, "qos-specs", qos_id)


# --- logic ---------------------------------------------------------------------------------
def _load(conn: Connection, qos_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(qos_specs).where(qos_specs.c.id == qos_id)).mappings().first()
    if row is None:
        raise NotFound(f"QoS Specs {qos_id} could not be found.")
    return dict(row)


def _type(conn: Connection, rq: ApiRequest) -> dict[str, Any]:
    type_id = rq.query.get("vol_type_id")
    if not type_id:
        raise BadRequest("Volume Type id must not be None.")
    row = conn.execute(sa.select(volume_types).where(volume_types.c.id == type_id)).mappings().first()
    if row is None:
        raise NotFound(f"Volume type {type_id} could not be found.")
    return dict(row)


# --- routes --------------------------------------------------------------------------------
def create_qos_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = dict(rq.body["qos_specs"])
    name, consumer = body.pop("name").strip(), body.pop("consumer", "back-end")
    with db.session() as conn:
        if conn.execute(sa.select(qos_specs.c.id).where(qos_specs.c.name == name)).first():
            raise Conflict(f"QoS Specs {name} already exists.")
        row = {"id": new_uuid(), "name": name, "consumer": consumer,
               "specs": {k: str(val) for k, val in body.items()}, "created_at": utcnow()}
        conn.execute(qos_specs.insert().values(**row))
    return {"qos_specs": render(row), "links": _links(ctx, rq, row["id"])}


def list_qos_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(qos_specs).order_by(qos_specs.c.created_at, qos_specs.c.id)).mappings().all()
    return {"qos_specs": [render(r) for r in rows]}


def show_qos_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _load(conn, rq.params["qos_id"])
    return {"qos_specs": render(row), "links": _links(ctx, rq, row["id"])}


def set_qos_keys(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    values = {k: str(val) for k, val in rq.body["qos_specs"].items()}
    with db.session() as conn:
        row = _load(conn, rq.params["qos_id"])
        consumer = values.pop("consumer", row["consumer"])
        if consumer not in CONSUMERS:
            raise BadRequest(f"Invalid input received: Invalid consumer {consumer}.")
        conn.execute(qos_specs.update().where(qos_specs.c.id == row["id"]).values(
            specs={**(row["specs"] or {}), **values}, consumer=consumer, updated_at=utcnow()))
    return {"qos_specs": {k: str(val) for k, val in rq.body["qos_specs"].items()}}


def delete_qos_keys(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, rq.params["qos_id"])
        specs = dict(row["specs"] or {})
        for key in rq.body["keys"]:
            if key not in specs:
                raise NotFound(f"QoS spec {row['id']} has no key {key}.")
            specs.pop(key)
        conn.execute(qos_specs.update().where(qos_specs.c.id == row["id"]).values(specs=specs, updated_at=utcnow()))


def delete_qos_specs(ctx: Context, rq: ApiRequest) -> None:
    force = common.bool_param(rq.query.get("force", "false"), "force")
    with db.session() as conn:
        row = _load(conn, rq.params["qos_id"])
        used = conn.execute(sa.select(volume_types.c.id).where(volume_types.c.qos_specs_id == row["id"])).first()
        if used and not force:
            raise BadRequest(f"QoS Specs {row['id']} is still associated with entities.")
        conn.execute(volume_types.update().where(volume_types.c.qos_specs_id == row["id"]).values(qos_specs_id=None))
        conn.execute(qos_specs.delete().where(qos_specs.c.id == row["id"]))


def list_associations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _load(conn, rq.params["qos_id"])
        types = conn.execute(sa.select(volume_types.c.id, volume_types.c.name).where(
            volume_types.c.qos_specs_id == row["id"])).all()
    return {"qos_associations": [{"association_type": "volume_type", "name": n, "id": i} for i, n in types]}


def associate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row, vtype = _load(conn, rq.params["qos_id"]), _type(conn, rq)
        if vtype["qos_specs_id"] and vtype["qos_specs_id"] != row["id"]:
            raise BadRequest(f"Type {vtype['id']} is already associated with another qos specs: "
                             f"{vtype['qos_specs_id']}")
        conn.execute(volume_types.update().where(volume_types.c.id == vtype["id"]).values(qos_specs_id=row["id"]))


def disassociate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row, vtype = _load(conn, rq.params["qos_id"]), _type(conn, rq)
        conn.execute(volume_types.update().where(volume_types.c.id == vtype["id"],
                                                 volume_types.c.qos_specs_id == row["id"]).values(qos_specs_id=None))


def disassociate_all(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, rq.params["qos_id"])
        conn.execute(volume_types.update().where(volume_types.c.qos_specs_id == row["id"]).values(qos_specs_id=None))


Q = "/qos-specs/{qos_id}"
P = "volume_extension:qos_specs_manage:"
ROUTES = [
    *routes("POST", "/qos-specs", create_qos_specs, policy=P + "create", body=CREATE),
    *routes("GET", "/qos-specs", list_qos_specs, policy=P + "get_all"),
    *routes("GET", Q, show_qos_specs, policy=P + "get"),
    *routes("PUT", Q, set_qos_keys, policy=P + "update", body=SET_KEYS),
    *routes("PUT", Q + "/delete_keys", delete_qos_keys, policy=P + "update", body=DELETE_KEYS, status=202),
    *routes("DELETE", Q, delete_qos_specs, policy=P + "delete", status=202),
    *routes("GET", Q + "/associations", list_associations, policy=P + "get"),
    *routes("GET", Q + "/associate", associate, policy=P + "update", status=202),
    *routes("GET", Q + "/disassociate", disassociate, policy=P + "update", status=202),
    *routes("GET", Q + "/disassociate_all", disassociate_all, policy=P + "update", status=202),
]
