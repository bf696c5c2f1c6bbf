"""Volume types: /types, extra specs, /types/{id}/os-volume-type-access and its actions
(api-ref: block-storage v3, Volume types (types))."""

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
from pocketstack.services.block_storage.tables import default_volume_types
from pocketstack.services.block_storage.tables import volume_type_extra_specs as specs
from pocketstack.services.block_storage.tables import volume_type_projects as access
from pocketstack.services.block_storage.tables import volume_types, volumes

DEFAULT_TYPE = "lvmdriver-1"      # DevStack's [DEFAULT] default_volume_type
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
SPECS = {"type": "object", "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {
    "type": ["string", "integer", "boolean", "number"]}}, "additionalProperties": False}

# --- schemas -------------------------------------------------------------------------------
CREATE = {"type": "object", "required": ["volume_type"], "additionalProperties": False, "properties": {
    "volume_type": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
        "name": NAME, "description": {"type": ["string", "null"], "maxLength": 255},
        "os-volume-type-access:is_public": {"type": ["boolean", "string"]}, "extra_specs": SPECS}}}}
UPDATE = {"type": "object", "required": ["volume_type"], "additionalProperties": False, "properties": {
    "volume_type": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "description": {"type": ["string", "null"], "maxLength": 255},
        "is_public": {"type": ["boolean", "string"]}}}}}
SPECS_BODY = {"type": "object", "required": ["extra_specs"], "additionalProperties": False,
              "properties": {"extra_specs": SPECS}}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
    "addProjectAccess": {"type": "object", "required": ["project"], "properties": {"project": NAME}},
    "removeProjectAccess": {"type": "object", "required": ["project"], "properties": {"project": NAME}}},
    "additionalProperties": False}


# --- views ---------------------------------------------------------------------------------
def render(ctx: Context, row: Any, extra: dict[str, str], *, view: str = "show") -> dict[str, Any]:
    """view: "show" (v3 view: policy-trimmed extra specs, qos_specs_id, the access flag), "create"
    (v2 view plus the access flag) or "update" (v2 view) -- cinder's types_manage answers use the
    older view builder."""
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "is_public": row["is_public"],
                            "description": row["description"]}
    target = {"project_id": ctx.project_id}
    if view != "show":
        body["extra_specs"] = extra
    elif common.check(ctx, "volume_extension:access_types_extra_specs", target):
        sensitive = common.check(ctx, "volume_extension:types_extra_specs:read_sensitive", target)
        body["extra_specs"] = extra if sensitive else {k: val for k, val in extra.items() if k in USER_VISIBLE}
    if view == "show" and common.check(ctx, "volume_extension:access_types_qos_specs_id", target):
        body["qos_specs_id"] = row["qos_specs_id"]
    if view != "update" and common.check(ctx, "volume_extension:volume_type_access", target):
        body["os-volume-type-access:is_public"] = row["is_public"]
    return body


USER_VISIBLE = ("multiattach", "RESKEY:availability_zones", "replication_enabled")


def _specs(conn: Connection, type_ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {t: {} for t in type_ids}
    for row in conn.execute(sa.select(specs).where(specs.c.type_id.in_(type_ids))).mappings():
        out[row["type_id"]][row["key"]] = row["value"]
    return out


def specs_of(conn: Connection, type_id: str | None) -> dict[str, str]:
    """One type's extra specs (what the scheduler matches against each backend)."""
    return _specs(conn, [type_id])[type_id] if type_id else {}


# --- logic ---------------------------------------------------------------------------------
def find(conn: Connection, ctx: Context, ref: str | None) -> dict[str, Any]:
    """A type by id or name (the default type when ref is None: the project's own, set through
    /default-types, else the cloud's), 404 when unknown or not accessible."""
    if ref is None and ctx.project_id:
        ref = conn.execute(sa.select(default_volume_types.c.volume_type_id).where(
            default_volume_types.c.project_id == ctx.project_id)).scalar()
    ref = ref or DEFAULT_TYPE
    row = conn.execute(sa.select(volume_types).where(sa.or_(volume_types.c.id == ref, volume_types.c.name == ref))
                       ).mappings().first()
    if row is None or not _accessible(conn, ctx, row):
        raise NotFound(f"Volume type with name {ref} could not be found.")
    return dict(row)


def is_multiattach(conn: Connection, type_id: str | None) -> bool:
    """Whether the type's extra specs ask for multiattach volumes (cinder: multiattach="<is> True")."""
    return type_id is not None and conn.execute(sa.select(specs.c.value).where(
        specs.c.type_id == type_id, specs.c.key == "multiattach")).scalar() == "<is> True"


def _accessible(conn: Connection, ctx: Context, row: Any) -> bool:
    if row["is_public"] or ctx.is_admin:
        return True
    return conn.execute(sa.select(access).where(access.c.type_id == row["id"],
                                                access.c.project_id == ctx.project_id)).first() is not None


def _load(conn: Connection, ctx: Context, type_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(volume_types).where(volume_types.c.id == type_id)).mappings().first()
    if row is None or not _accessible(conn, ctx, row):
        raise NotFound(f"Volume type {type_id} could not be found.")
    return dict(row)


def _public_flag(value: Any) -> bool:
    return common.bool_param(value, "is_public")


# --- routes --------------------------------------------------------------------------------
def list_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    raw = rq.query.get("is_public")
    with db.reader() as conn:
        stmt = sa.select(volume_types).order_by(volume_types.c.created_at, volume_types.c.id)
        if not (ctx.is_admin and raw is not None and raw.lower() == "none"):
            public = True if raw is None or not ctx.is_admin else _public_flag(raw)
            granted = sa.exists().where(access.c.type_id == volume_types.c.id, access.c.project_id == ctx.project_id)
            stmt = stmt.where(sa.or_(volume_types.c.is_public.is_(True), granted) if public
                              else volume_types.c.is_public.is_(False))
        rows = conn.execute(stmt).mappings().all()
        extra = _specs(conn, [r["id"] for r in rows])
    return {"volume_types": [render(ctx, r, extra[r["id"]]) for r in rows]}


def show_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = find(conn, ctx, None) if rq.params["type_id"] == "default" else _load(conn, ctx, rq.params["type_id"])
        return {"volume_type": render(ctx, row, _specs(conn, [row["id"]])[row["id"]])}


def create_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume_type"]
    name = body["name"].strip()
    if not name:
        raise BadRequest("Volume type name can not be empty.")
    public = _public_flag(body.get("os-volume-type-access:is_public", True))
    with db.session() as conn:
        if conn.execute(sa.select(volume_types.c.id).where(volume_types.c.name == name)).first():
            raise Conflict(f"Volume Type {name} already exists.")
        type_id, now = new_uuid(), utcnow()
        conn.execute(volume_types.insert().values(id=type_id, name=name, description=body.get("description"),
                                                  is_public=public, created_at=now))
        extra = {k: str(val) for k, val in (body.get("extra_specs") or {}).items()}
        if extra:
            conn.execute(specs.insert(), [{"type_id": type_id, "key": k, "value": val} for k, val in extra.items()])
        row = _load(conn, ctx, type_id)
    return {"volume_type": render(ctx, row, extra, view="create")}


def update_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["volume_type"]
    values: dict[str, Any] = {}
    if "name" in body:
        if body["name"] is None or not body["name"].strip():
            raise BadRequest("Volume type name can not be empty.")
        values["name"] = body["name"].strip()
    if "description" in body:
        values["description"] = body["description"]
    if "is_public" in body:
        values["is_public"] = _public_flag(body["is_public"])
    if not values:
        raise BadRequest("Specify volume type name, description, is_public or a combination thereof.")
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        if "name" in values and conn.execute(sa.select(volume_types.c.id).where(
                volume_types.c.name == values["name"], volume_types.c.id != row["id"])).first():
            raise Conflict(f"Volume Type {values['name']} already exists.")
        conn.execute(volume_types.update().where(volume_types.c.id == row["id"]).values(updated_at=utcnow(),
                                                                                        **values))
        row = _load(conn, ctx, row["id"])
        return {"volume_type": render(ctx, row, _specs(conn, [row["id"]])[row["id"]], view="update")}


def delete_type(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        if row["name"] in (DEFAULT_TYPE, "__DEFAULT__"):
            raise BadRequest("Target volume type is still in use. The default volume type can not be deleted.")
        if conn.execute(sa.select(volumes.c.id).where(volumes.c.volume_type_id == row["id"])).first():
            raise BadRequest("Target volume type is still in use.")
        conn.execute(volume_types.delete().where(volume_types.c.id == row["id"]))


def list_extra_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        return {"extra_specs": _specs(conn, [row["id"]])[row["id"]]}


def _in_use(conn: Connection, type_id: str) -> None:
    if conn.execute(sa.select(volumes.c.id).where(volumes.c.volume_type_id == type_id)).first():
        raise BadRequest("Target volume type is still in use.")


def create_extra_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    extra = {k: str(val) for k, val in rq.body["extra_specs"].items()}
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        for key, value in extra.items():
            conn.execute(specs.delete().where(specs.c.type_id == row["id"], specs.c.key == key))
            conn.execute(specs.insert().values(type_id=row["id"], key=key, value=value))
    return {"extra_specs": extra}


def show_extra_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        value = _specs(conn, [row["id"]])[row["id"]].get(rq.params["key"])
    if value is None:
        raise NotFound(f"Volume Type {row['id']} has no extra specs with key {rq.params['key']}.")
    return {rq.params["key"]: value}


def update_extra_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    key, body = rq.params["key"], rq.body
    if not isinstance(body, dict) or len(body) != 1 or key not in body:
        raise BadRequest("Request body and URI mismatch" if isinstance(body, dict) and len(body) == 1
                         else "Request body contains too many items")
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        conn.execute(specs.delete().where(specs.c.type_id == row["id"], specs.c.key == key))
        conn.execute(specs.insert().values(type_id=row["id"], key=key, value=str(body[key])))
    return {key: str(body[key])}


def delete_extra_spec(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        gone = conn.execute(specs.delete().where(specs.c.type_id == row["id"], specs.c.key == rq.params["key"]))
        if gone.rowcount == 0:
            raise NotFound(f"Volume Type {row['id']} has no extra specs with key {rq.params['key']}.")


def list_type_access(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        if row["is_public"]:
            raise NotFound("Access list not available for public volume types.")
        projects = conn.execute(sa.select(access.c.project_id).where(access.c.type_id == row["id"])).scalars()
        return {"volume_type_access": [{"volume_type_id": row["id"], "project_id": p} for p in projects]}


def type_action(ctx: Context, rq: ApiRequest) -> None:
    (action, body), = rq.body.items()
    common.enforce(ctx, "volume_extension:volume_type_access:" + action, {"project_id": ctx.project_id})
    with db.session() as conn:
        row = _load(conn, ctx, rq.params["type_id"])
        if row["is_public"]:
            raise BadRequest("Invalid volume type: Type access modification is not applicable to public "
                             "volume type.")
        granted = conn.execute(sa.select(access).where(access.c.type_id == row["id"],
                                                       access.c.project_id == body["project"])).first()
        if action == "addProjectAccess":
            if granted:
                raise Conflict(f"Volume type access for {row['id']} / {body['project']} combination already "
                               "exists.")
            conn.execute(access.insert().values(type_id=row["id"], project_id=body["project"]))
        elif not granted:
            raise NotFound(f"Volume type access not found for {row['id']} / {body['project']} combination.")
        else:
            conn.execute(access.delete().where(access.c.type_id == row["id"], access.c.project_id == body["project"]))


T = "/types/{type_id}"
ROUTES = [
    *routes("GET", "/types", list_types, policy="volume_extension:type_get_all"),
    *routes("POST", "/types", create_type, policy="volume_extension:type_create", body=CREATE),
    *routes("GET", T, show_type, policy="volume_extension:type_get"),
    *routes("PUT", T, update_type, policy="volume_extension:type_update", body=UPDATE),
    *routes("DELETE", T, delete_type, policy="volume_extension:type_delete", status=202),
    *routes("GET", T + "/extra_specs", list_extra_specs, policy="volume_extension:types_extra_specs:index"),
    *routes("POST", T + "/extra_specs", create_extra_specs, policy="volume_extension:types_extra_specs:create",
            body=SPECS_BODY),
    *routes("GET", T + "/extra_specs/{key}", show_extra_spec, policy="volume_extension:types_extra_specs:show"),
    *routes("PUT", T + "/extra_specs/{key}", update_extra_spec, policy="volume_extension:types_extra_specs:update"),
    *routes("DELETE", T + "/extra_specs/{key}", delete_extra_spec,
            policy="volume_extension:types_extra_specs:delete", status=202),
    *routes("GET", T + "/os-volume-type-access", list_type_access,
            policy="volume_extension:volume_type_access:get_all_for_type"),
    *routes("POST", T + "/action", type_action, policy="volume_extension:volume_type_access", body=ACTION,
            status=202),
]
