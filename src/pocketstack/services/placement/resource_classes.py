"""Resource classes: /resource_classes (api-ref: placement, Resource Classes; placement/handlers/resource_class.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import common
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:resource_classes:"
RC = t.resource_classes

# --- schemas -------------------------------------------------------------------------------
CUSTOM = {"type": "string", "pattern": "^CUSTOM_[A-Z0-9_]+$", "maxLength": 255}
BODY = {"type": "object", "properties": {"name": CUSTOM}, "required": ["name"], "additionalProperties": False}


# --- views ---------------------------------------------------------------------------------
def render(rq: ApiRequest, name: str) -> dict[str, Any]:
    return {"name": name, "links": [{"rel": "self", "href": f"{rq.service_prefix}/resource_classes/{name}"}]}


# --- logic ---------------------------------------------------------------------------------
def _load(conn: Any, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(RC).where(RC.c.name == name)).mappings().first()
    if row is None:
        raise common.not_found(f"No such resource class {name}.")
    return dict(row)


def _create(conn: Any, name: str) -> None:
    next_id = max(conn.execute(sa.select(sa.func.max(RC.c.id))).scalar() or 0, common.CUSTOM_RC_MIN_ID - 1) + 1
    conn.execute(RC.insert().values(id=next_id, name=name, created_at=utcnow()))


def _standard(name: str) -> bool:
    return not name.startswith("CUSTOM_")


# --- routes --------------------------------------------------------------------------------
def list_classes(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rows = conn.execute(sa.select(RC).order_by(RC.c.id)).mappings().all()
    return common.answer(ctx, {"resource_classes": [render(rq, r["name"]) for r in rows]}, common.newest(rows))


def create_class(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(BODY, body)
    with db.session() as conn:
        if conn.execute(sa.select(RC.c.id).where(RC.c.name == body["name"])).first():
            raise common.conflict(f"Conflicting resource class already exists: {body['name']}",
                                  codes.DUPLICATE_NAME)
        _create(conn, body["name"])
    response = common.answer(ctx, None, status=201, cacheable=False)
    response.headers["location"] = f"{ctx.base_url}{rq.service_prefix}/resource_classes/{body['name']}"
    return response


def show_class(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        row = _load(conn, rq.params["name"])
    return common.answer(ctx, render(rq, row["name"]), row["updated_at"] or row["created_at"])


def update_class(ctx: Context, rq: ApiRequest) -> Any:
    name = rq.params["name"]
    if ctx.version >= v.RC_PUT_BODYLESS:
        if len(name) > 255 or not common.CUSTOM_NAME.match(name):
            raise common.bad(f"JSON does not validate: '{name}' does not match '^CUSTOM_[A-Z0-9_]+$'")
        with db.session() as conn:
            exists = conn.execute(sa.select(RC.c.id).where(RC.c.name == name)).first()
            if not exists:
                _create(conn, name)
        response = common.answer(ctx, None, status=204 if exists else 201, cacheable=False)
        if not exists:
            response.headers["location"] = f"{ctx.base_url}{rq.service_prefix}/resource_classes/{name}"
        return response
    body = common.json_body(rq)
    common.check_body(BODY, body)
    with db.session() as conn:
        row = _load(conn, name)
        if _standard(name):
            raise common.bad(f"Cannot update standard resource class {name}")
        if conn.execute(sa.select(RC.c.id).where(RC.c.name == body["name"])).first():
            raise common.conflict(f"Resource class already exists: {body['name']}", codes.DUPLICATE_NAME)
        conn.execute(RC.update().where(RC.c.id == row["id"]).values(name=body["name"], updated_at=utcnow()))
    return common.answer(ctx, render(rq, body["name"]))


def delete_class(ctx: Context, rq: ApiRequest) -> Any:
    name = rq.params["name"]
    with db.session() as conn:
        row = _load(conn, name)
        if _standard(name):
            raise common.bad(f"Cannot delete standard resource class {name}: Cannot delete standard resource class "
                             f"{name}.")
        if conn.execute(sa.select(t.inventories.c.id).where(t.inventories.c.resource_class_id == row["id"])).first():
            raise common.conflict(f"Unable to delete resource class {name}: Cannot delete resource class {name}. "
                                  "Class is in use in inventory.")
        conn.execute(RC.delete().where(RC.c.id == row["id"]))


ROUTES = [
    route("GET", "/resource_classes", list_classes, policy=P + "list", target=common.admin_target,
          min_version=v.CUSTOM_RC),
    route("POST", "/resource_classes", create_class, policy=P + "create", target=common.admin_target,
          min_version=v.CUSTOM_RC),
    route("GET", "/resource_classes/{name}", show_class, policy=P + "show", target=common.admin_target,
          min_version=v.CUSTOM_RC),
    route("PUT", "/resource_classes/{name}", update_class, policy=P + "update", target=common.admin_target,
          min_version=v.CUSTOM_RC),
    route("DELETE", "/resource_classes/{name}", delete_class, policy=P + "delete", status=204,
          target=common.admin_target, min_version=v.CUSTOM_RC),
]
