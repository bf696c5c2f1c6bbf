"""Volume type encryption specs: /types/{type_id}/encryption (api-ref: block-storage v3, Volume types
(types): encryption). The spec is recorded and served; volumes of such types are not encrypted here
(there is no key manager)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import volume_types, volumes

FIELDS = ("provider", "control_location", "cipher", "key_size")
SPEC = {"type": "object", "additionalProperties": False, "properties": {
    "provider": {"type": "string", "minLength": 0, "maxLength": 255},
    "control_location": {"enum": ["front-end", "back-end"]},
    "cipher": {"type": ["string", "null"], "maxLength": 255},
    "key_size": {"type": ["integer", "string", "null"]}}}
# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["encryption"], "additionalProperties": False,
          "properties": {"encryption": {**SPEC, "required": ["provider"]}}}
UPDATE = {"type": "object", "required": ["encryption"], "additionalProperties": False,
          "properties": {"encryption": SPEC}}


# --- logic ---------------------------------------------------------------------------------
def _type(conn: Connection, type_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(volume_types).where(volume_types.c.id == type_id)).mappings().first()
    if row is None:
        raise NotFound(f"Volume type {type_id} could not be found.")
    return dict(row)


def _in_use(conn: Connection, type_id: str) -> None:
    if conn.execute(sa.select(volumes.c.id).where(volumes.c.volume_type_id == type_id)).first():
        raise BadRequest("Cannot create or update or delete encryption specs of a volume type in use.")


def _key_size(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input received: key_size {value} must be an integer.") from None


# --- routes --------------------------------------------------------------------------------
def show_encryption(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return dict(_type(conn, rq.params["type_id"])["encryption"] or {})


def show_encryption_key(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        spec = _type(conn, rq.params["type_id"])["encryption"] or {}
    if rq.params["key"] not in spec:
        raise NotFound(f"Volume type encryption for type {rq.params['type_id']} has no key {rq.params['key']}.")
    return {rq.params["key"]: spec[rq.params["key"]]}


def create_encryption(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["encryption"]
    with db.session() as conn:
        vtype = _type(conn, rq.params["type_id"])
        if vtype["encryption"]:
            raise BadRequest(f"Volume type encryption for type {vtype['id']} already exists.")
        _in_use(conn, vtype["id"])
        spec = {"volume_type_id": vtype["id"], "encryption_id": new_uuid(), "provider": body["provider"],
                "control_location": body.get("control_location", "front-end"), "cipher": body.get("cipher"),
                "key_size": _key_size(body.get("key_size")), "deleted": False,
                "created_at": common.ts(utcnow()), "updated_at": None, "deleted_at": None}
        conn.execute(volume_types.update().where(volume_types.c.id == vtype["id"]).values(encryption=spec))
    return {"encryption": {k: spec[k] for k in ("volume_type_id", "encryption_id", *FIELDS)}}


def update_encryption(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = dict(rq.body["encryption"])
    if "key_size" in body:
        body["key_size"] = _key_size(body["key_size"])
    with db.session() as conn:
        vtype = _type(conn, rq.params["type_id"])
        spec = dict(vtype["encryption"] or {})
        if spec.get("encryption_id") != rq.params["encryption_id"]:
            raise NotFound(f"Volume type encryption for type {vtype['id']} does not exist.")
        _in_use(conn, vtype["id"])
        spec.update(body, updated_at=common.ts(utcnow()))
        conn.execute(volume_types.update().where(volume_types.c.id == vtype["id"]).values(encryption=spec))
    return {"encryption": body}


def delete_encryption(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        vtype = _type(conn, rq.params["type_id"])
        if (vtype["encryption"] or {}).get("encryption_id") != rq.params["encryption_id"]:
            raise NotFound(f"Volume type encryption for type {vtype['id']} does not exist.")
        _in_use(conn, vtype["id"])
        conn.execute(volume_types.update().where(volume_types.c.id == vtype["id"]).values(encryption=None))


E = "/types/{type_id}/encryption"
P = "volume_extension:volume_type_encryption:"
ROUTES = [
    *routes("GET", E, show_encryption, policy=P + "get"),
    *routes("POST", E, create_encryption, policy=P + "create", body=CREATE),
    *routes("GET", E + "/{key}", show_encryption_key, policy=P + "get"),
    *routes("PUT", E + "/{encryption_id}", update_encryption, policy=P + "update", body=UPDATE),
    *routes("DELETE", E + "/{encryption_id}", delete_encryption, policy=P + "delete", status=202),
]
