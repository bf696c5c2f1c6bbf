"""Unified limits: /v3/registered_limits, /v3/limits, /v3/limits/model (api-ref: identity, Unified Limits).

The enforcement model is keystone's `flat`: a limit needs a matching registered limit, nothing more.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity import regions as regions_api
from pocketstack.services.identity import services as services_api
from pocketstack.services.identity.tables import limits, projects, registered_limits

MODEL = {"name": "flat", "description": "Limit enforcement and validation does not take project hierarchy "
                                        "into consideration."}

# --- schemas -------------------------------------------------------------------
_LIMIT = {"type": "integer", "minimum": -1, "maximum": 0x7FFFFFFF}
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
_REGION = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
_SERVICE = {"type": "string", "format": "uuid"}
_OWNER = {"type": ["string", "null"], "minLength": 1, "maxLength": 64, "pattern": "^[a-zA-Z0-9-]+$"}
_DESCRIPTION = {"type": ["string", "null"]}
_REG_PROPS = {"service_id": _SERVICE, "region_id": _REGION, "resource_name": _NAME, "default_limit": _LIMIT,
              "description": _DESCRIPTION}
REGISTER = schemas.obj({"registered_limits": {"type": "array", "minItems": 1, "items": schemas.obj(
    _REG_PROPS, ["service_id", "resource_name", "default_limit"], additional=False)}}, ["registered_limits"],
    additional=False)
UPDATE_REGISTERED = schemas.wrap("registered_limit", schemas.obj(_REG_PROPS, additional=False))
_LIMIT_REQUIRED = ["service_id", "resource_name", "resource_limit"]
CREATE = schemas.obj({"limits": {"type": "array", "minItems": 1, "items": schemas.obj(
    {"project_id": _OWNER, "domain_id": _OWNER, "service_id": _SERVICE, "region_id": _REGION,
     "resource_name": _NAME, "resource_limit": _LIMIT, "description": _DESCRIPTION}, _LIMIT_REQUIRED,
    additional=False, oneOf=[{"required": [*_LIMIT_REQUIRED, "domain_id"]},
                             {"required": [*_LIMIT_REQUIRED, "project_id"]}])}}, ["limits"], additional=False)
UPDATE = schemas.wrap("limit", schemas.obj({"resource_limit": _LIMIT, "description": _DESCRIPTION},
                                           additional=False))
_KEY = ("service_id", "region_id", "resource_name")


# --- views -----------------------------------------------------------------------
def render_registered_limit(ctx: Context, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "service_id": row["service_id"], "region_id": row["region_id"],
            "resource_name": row["resource_name"], "default_limit": row["default_limit"],
            "description": row["description"], "links": links.entity(ctx, f"registered_limits/{row['id']}")}


def render_limit(ctx: Context, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "project_id": row["project_id"], "domain_id": row["domain_id"],
            "service_id": row["service_id"], "region_id": row["region_id"], "resource_name": row["resource_name"],
            "resource_limit": row["resource_limit"], "description": row["description"],
            "links": links.entity(ctx, f"limits/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def _invalid(attribute: str, target: str) -> BadRequest:
    return BadRequest(f"Expecting to find {attribute} in {target}. The server could not comply with the request "
                      f"since it is either malformed or otherwise incorrect. The client is assumed to be in error.")


def _check_refs(conn: Connection, spec: dict[str, Any], target: str) -> None:
    """Referenced service, region, project and domain must exist; a project that is a domain is a domain."""
    if spec.get("service_id") is not None and not services_api.exists(conn, spec["service_id"]):
        raise _invalid("service_id", target)
    if spec.get("region_id") is not None and not regions_api.exists(conn, spec["region_id"]):
        raise _invalid("region_id", target)
    for key in ("project_id", "domain_id"):
        if spec.get(key) is None:
            continue
        row = conn.execute(sa.select(projects.c.is_domain).where(projects.c.id == spec[key])).first()
        if row is None or (key == "domain_id" and not row.is_domain):
            raise _invalid(key, target)
        if key == "project_id" and row.is_domain:
            spec["domain_id"] = spec.pop("project_id")


def _same_key(table: sa.Table, spec: dict[str, Any]) -> list[Any]:
    return [table.c[k] == spec[k] if spec.get(k) is not None else table.c[k].is_(None) for k in _KEY]


def get_registered_limit(conn: Connection, limit_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(registered_limits).where(registered_limits.c.id == limit_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find registered limit for {limit_id}.")
    return dict(row)


def get_limit(conn: Connection, limit_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(limits).where(limits.c.id == limit_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find limit for {limit_id}.")
    return dict(row)


def create_registered_limit_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    _check_refs(conn, spec, "registered_limit")
    if conn.execute(sa.select(registered_limits.c.id).where(*_same_key(registered_limits, spec))).first():
        raise Conflict("Conflict occurred attempting to store registered_limit - Duplicate entry.")
    row = {"id": new_id(), "service_id": spec["service_id"], "region_id": spec.get("region_id"),
           "resource_name": spec["resource_name"], "default_limit": spec["default_limit"],
           "description": spec.get("description")}
    conn.execute(registered_limits.insert().values(**row))
    return row


def _assert_unreferenced(conn: Connection, current: dict[str, Any]) -> None:
    if conn.execute(sa.select(limits.c.id).where(*_same_key(limits, current))).first():
        raise Forbidden(f"Unable to update or delete registered limit {current['id']} because there are project "
                        f"limits associated with it.")


def update_registered_limit_row(conn: Connection, limit_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_registered_limit(conn, limit_id)
    _check_refs(conn, changes, "registered_limit")
    _assert_unreferenced(conn, current)
    merged = {**current, **changes}
    if any(k in changes for k in _KEY) and conn.execute(sa.select(registered_limits.c.id).where(
            *_same_key(registered_limits, merged), registered_limits.c.id != limit_id)).first():
        raise Conflict("Conflict occurred attempting to store registered_limit - Duplicate entry.")
    if changes:
        conn.execute(registered_limits.update().where(registered_limits.c.id == limit_id).values(**changes))
    return get_registered_limit(conn, limit_id)


def create_limit_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    _check_refs(conn, spec, "limit")
    if not conn.execute(sa.select(registered_limits.c.id).where(*_same_key(registered_limits, spec))).first():
        raise Forbidden("Unable to create a limit that has no corresponding registered limit.")
    owner = limits.c.project_id == spec["project_id"] if spec.get("project_id") else \
        limits.c.domain_id == spec["domain_id"]
    if conn.execute(sa.select(limits.c.id).where(*_same_key(limits, spec), owner)).first():
        raise Conflict("Conflict occurred attempting to store limit - Duplicate entry.")
    row = {"id": new_id(), **{k: spec.get(k) for k in ("project_id", "domain_id", *_KEY, "description")},
           "resource_limit": spec["resource_limit"]}
    conn.execute(limits.insert().values(**row))
    return row


def visible_limits(conn: Connection, ctx: Context, query: Any) -> list[Any]:
    """Keystone's list rule: admins, services and system scope see all; a domain sees its own and
    its projects'; a project sees its own."""
    stmt = sa.select(limits).order_by(limits.c.resource_name, limits.c.id)
    for key in ("service_id", "region_id", "resource_name", "project_id", "domain_id"):
        if key in query:
            stmt = stmt.where(limits.c[key] == query[key])
    if ctx.system_scope or "admin" in ctx.roles or "service" in ctx.roles:
        pass
    elif ctx.domain_id:
        in_domain = sa.select(projects.c.id).where(projects.c.domain_id == ctx.domain_id)
        stmt = stmt.where(sa.or_(limits.c.domain_id == ctx.domain_id, limits.c.project_id.in_(in_domain)))
    else:
        stmt = stmt.where(limits.c.project_id == ctx.project_id)
    return list(conn.execute(stmt).mappings().all())


# --- routes: registered limits -----------------------------------------------------------
def list_registered_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(registered_limits).order_by(registered_limits.c.resource_name, registered_limits.c.id)
    for key in _KEY:
        if key in rq.query:
            stmt = stmt.where(registered_limits.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"registered_limits": [render_registered_limit(ctx, r) for r in rows],
            "links": links.collection(ctx, "registered_limits", str(rq.query))}


def create_registered_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        rows = [create_registered_limit_row(conn, spec) for spec in rq.body["registered_limits"]]
    return {"registered_limits": [render_registered_limit(ctx, r) for r in rows]}


def show_registered_limit(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"registered_limit": render_registered_limit(ctx, get_registered_limit(conn, rq.params["limit_id"]))}


def update_registered_limit(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = update_registered_limit_row(conn, rq.params["limit_id"], rq.body["registered_limit"])
    return {"registered_limit": render_registered_limit(ctx, row)}


def delete_registered_limit(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        _assert_unreferenced(conn, get_registered_limit(conn, rq.params["limit_id"]))
        conn.execute(registered_limits.delete().where(registered_limits.c.id == rq.params["limit_id"]))


# --- routes: limits ------------------------------------------------------------------------
def _limit_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(limits).where(limits.c.id == rq.params["limit_id"])).mappings().first()
        if row is None:
            return {}
        owner = conn.execute(sa.select(projects).where(
            projects.c.id == (row["project_id"] or row["domain_id"]))).mappings().first()
    limit = dict(row)
    if owner is not None:
        limit["project" if row["project_id"] else "domain"] = dict(owner)
    return {"target": {"limit": limit}}


def show_limit_model(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"model": dict(MODEL)}


def list_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = visible_limits(conn, ctx, rq.query)
    return {"limits": [render_limit(ctx, r) for r in rows], "links": links.collection(ctx, "limits", str(rq.query))}


def create_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        rows = [create_limit_row(conn, spec) for spec in rq.body["limits"]]
    return {"limits": [render_limit(ctx, r) for r in rows]}


def show_limit(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"limit": render_limit(ctx, get_limit(conn, rq.params["limit_id"]))}


def update_limit(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        get_limit(conn, rq.params["limit_id"])
        if rq.body["limit"]:
            conn.execute(limits.update().where(limits.c.id == rq.params["limit_id"]).values(**rq.body["limit"]))
        return {"limit": render_limit(ctx, get_limit(conn, rq.params["limit_id"]))}


def delete_limit(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_limit(conn, rq.params["limit_id"])
        conn.execute(limits.delete().where(limits.c.id == rq.params["limit_id"]))


_R, _L = "/v3/registered_limits/{limit_id}", "/v3/limits/{limit_id}"
ROUTES = [
    route("GET", "/v3/registered_limits", list_registered_limits, policy="identity:list_registered_limits"),
    route("POST", "/v3/registered_limits", create_registered_limits, policy="identity:create_registered_limits",
          body=REGISTER, status=201),
    route("GET", _R, show_registered_limit, policy="identity:get_registered_limit"),
    route("PATCH", _R, update_registered_limit, policy="identity:update_registered_limit", body=UPDATE_REGISTERED),
    route("DELETE", _R, delete_registered_limit, policy="identity:delete_registered_limit", status=204),
    route("GET", "/v3/limits/model", show_limit_model, policy="identity:get_limit_model"),
    route("GET", "/v3/limits", list_limits, policy="identity:list_limits"),
    route("POST", "/v3/limits", create_limits, policy="identity:create_limits", body=CREATE, status=201),
    route("GET", _L, show_limit, policy="identity:get_limit", target=_limit_target),
    route("PATCH", _L, update_limit, policy="identity:update_limit", body=UPDATE),
    route("DELETE", _L, delete_limit, policy="identity:delete_limit", status=204),
]
