"""Compute flavors: /flavors, /flavors/detail, extra specs, os-flavor-access (api-ref: compute, Flavors;
Flavor extra-specs; Flavor access)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common, paging
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v

# --- schemas ---------------------------------------------------------------------------
_SIZE = {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minLength": 1, "minimum": 1, "maximum": 2147483647}
_SIZE0 = {**_SIZE, "minimum": 0}
_DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 65535}
CREATE = {"type": "object", "required": ["flavor"], "additionalProperties": False, "properties": {"flavor": {
    "type": "object", "required": ["name", "ram", "vcpus", "disk"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?! )[\S ]*(?<! )$"},
        "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
               "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
        "ram": _SIZE, "vcpus": _SIZE, "disk": _SIZE0, "OS-FLV-EXT-DATA:ephemeral": _SIZE0, "swap": _SIZE0,
        "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$", "exclusiveMinimum": 0,
                        "maximum": 3.40282e+38},
        "os-flavor-access:is_public": {"type": ["boolean", "string"],
                                       "enum": [True, False, "true", "false", "True", "False", "1", "0"]},
        "description": _DESCRIPTION}}}}
UPDATE = {"type": "object", "required": ["flavor"], "additionalProperties": False, "properties": {"flavor": {
    "type": "object", "required": ["description"], "additionalProperties": False,
    "properties": {"description": _DESCRIPTION}}}}
_SPEC_KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-_:. ]{1,255}$"}
_SPEC_VALUE = {"type": ["string", "number", "boolean"], "maxLength": 255}
EXTRA_SPECS = {"type": "object", "required": ["extra_specs"], "additionalProperties": False, "properties": {
    "extra_specs": {"type": "object", "patternProperties": {r"^[a-zA-Z0-9-_:. ]{1,255}$": _SPEC_VALUE},
                    "additionalProperties": False}}}
EXTRA_SPEC = {"type": "object", "minProperties": 1, "maxProperties": 1,
              "patternProperties": {r"^[a-zA-Z0-9-_:. ]{1,255}$": _SPEC_VALUE}, "additionalProperties": False}
ACCESS_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                 "properties": {k: {"type": "object", "required": ["tenant"], "additionalProperties": False,
                                    "properties": {"tenant": {"type": "string", "minLength": 1, "maxLength": 255}}}
                                for k in ("addTenantAccess", "removeTenantAccess")}}
SORT_KEYS = {"flavorid": "id", "id": "id", "name": "name", "memory_mb": "ram", "vcpus": "vcpus", "root_gb": "disk",
             "ephemeral_gb": "ephemeral", "swap": "swap", "rxtx_factor": "rxtx_factor", "is_public": "is_public",
             "created_at": "created_at", "updated_at": "updated_at", "description": "description",
             "disabled": "disabled", "vcpu_weight": "id"}


# --- views -----------------------------------------------------------------------------
def render_flavor(ctx: Context, rq: ApiRequest, row: dict[str, Any], specs: dict[str, str] | None,
                  detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"],
                            "links": common.links(ctx, rq, "flavors", row["id"])}
    if detail:
        body.update({"ram": row["ram"], "disk": row["disk"], "vcpus": row["vcpus"],
                     "OS-FLV-EXT-DATA:ephemeral": row["ephemeral"],
                     "swap": row["swap"] if row["swap"] or ctx.version >= v.SERVER_FIELDS_ALWAYS else "",
                     "os-flavor-access:is_public": row["is_public"]})
        if ctx.version < v.FLAVOR_CLEANUP:
            body.update({"OS-FLV-DISABLED:disabled": row["disabled"], "rxtx_factor": row["rxtx_factor"]})
    if ctx.version >= v.FLAVOR_DESCRIPTION:
        body["description"] = row["description"]
    if detail and specs is not None and ctx.version >= v.FLAVOR_EXTRA_SPECS_IN_FLAVOR:
        body["extra_specs"] = specs
    return body


def embedded_flavor(row: dict[str, Any], specs: dict[str, str]) -> dict[str, Any]:
    """The flavor as servers embed it since 2.47."""
    return {"vcpus": row["vcpus"], "ram": row["ram"], "disk": row["disk"], "ephemeral": row["ephemeral"],
            "swap": row["swap"], "original_name": row["name"], "extra_specs": specs}


# --- logic -----------------------------------------------------------------------------
def flavor_not_found(flavor_id: str) -> NotFound:
    return NotFound(f"Flavor {flavor_id} could not be found.")


def load(conn: Connection, flavor_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(t.flavors).where(t.flavors.c.id == str(flavor_id))).mappings().first()
    if row is None:
        raise flavor_not_found(flavor_id)
    return dict(row)


def specs_of(conn: Connection, flavor_ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {f: {} for f in flavor_ids}
    for r in conn.execute(sa.select(t.flavor_extra_specs).where(t.flavor_extra_specs.c.flavor_id.in_(flavor_ids))):
        out[r.flavor_id][r.key] = r.value
    return out


def usable(conn: Connection, ctx: Context, flavor_id: str) -> dict[str, Any]:
    """A flavor a server may be built with: public, or shared with the caller's project."""
    row = load(conn, flavor_id)
    if not row["is_public"] and not ctx.is_admin and conn.execute(sa.select(t.flavor_projects).where(
            t.flavor_projects.c.flavor_id == row["id"], t.flavor_projects.c.project_id == ctx.project_id)).first() \
            is None:
        raise flavor_not_found(flavor_id)
    return row


def query_flavors(conn: Connection, ctx: Context, rq: ApiRequest) -> tuple[list[dict[str, Any]], int]:
    stmt = sa.select(t.flavors)
    public = rq.query.get("is_public")
    if ctx.is_admin:
        if public is not None and public.lower() not in ("none",):
            stmt = stmt.where(t.flavors.c.is_public.is_(common.to_bool(public, "is_public")))
    else:
        shared = sa.select(t.flavor_projects.c.flavor_id).where(t.flavor_projects.c.project_id == ctx.project_id)
        stmt = stmt.where(sa.or_(t.flavors.c.is_public.is_(True), t.flavors.c.id.in_(shared)),
                          t.flavors.c.disabled.is_(False))
    for key, col in (("minRam", t.flavors.c.ram), ("minDisk", t.flavors.c.disk)):
        if key in rq.query:
            try:
                stmt = stmt.where(col >= int(rq.query[key]))
            except ValueError:
                raise BadRequest(f"Invalid {key} filter [{rq.query[key]}]") from None
    sort_key = SORT_KEYS.get(rq.query.get("sort_key") or "flavorid")
    if sort_key == "rxtx_factor" and ctx.version >= v.FLAVOR_CLEANUP:
        sort_key = None
    if sort_key is None:
        raise BadRequest(f"Invalid input for query parameters sort_key. Value: {rq.query['sort_key']}.")
    desc = (rq.query.get("sort_dir") or "asc") == "desc"
    col = t.flavors.c[sort_key]
    stmt = stmt.order_by(col.desc() if desc else col.asc(), t.flavors.c.id)
    limit, marker = paging.limit_and_marker(rq)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    if "name" in rq.query:                    # a regular expression, as nova's (REGEXP in its SQL)
        try:
            pattern = re.compile(rq.query["name"])
        except re.error:
            raise BadRequest(f"Invalid input for query parameters name. Value: {rq.query['name']}.") from None
        rows = [r for r in rows if pattern.search(r["name"])]
    return paging.page_after(rows, marker, limit), limit


def create_flavor(conn: Connection, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    flavor_id = str(body["id"]) if body.get("id") is not None else new_uuid()
    if "rxtx_factor" in body and ctx.version >= v.FLAVOR_CLEANUP:
        raise BadRequest("Invalid input for field/attribute flavor. Additional properties are not allowed "
                         "('rxtx_factor' was unexpected)")
    if "description" in body and ctx.version < v.FLAVOR_DESCRIPTION:
        raise BadRequest("Invalid input for field/attribute flavor. Additional properties are not allowed "
                         "('description' was unexpected)")
    if conn.execute(sa.select(t.flavors.c.id).where(t.flavors.c.name == body["name"])).first():
        raise Conflict(f"Flavor with name {body['name']} already exists.")
    if conn.execute(sa.select(t.flavors.c.id).where(t.flavors.c.id == flavor_id)).first():
        raise Conflict(f"Flavor with ID {flavor_id} already exists.")
    public = body.get("os-flavor-access:is_public", True)
    row = {"id": flavor_id, "name": body["name"], "ram": int(body["ram"]), "vcpus": int(body["vcpus"]),
           "disk": int(body["disk"]), "ephemeral": int(body.get("OS-FLV-EXT-DATA:ephemeral", 0)),
           "swap": int(body.get("swap", 0)), "rxtx_factor": float(body.get("rxtx_factor", 1.0)),
           "is_public": public if isinstance(public, bool) else common.to_bool(public, "is_public"),
           "disabled": False, "description": body.get("description"), "created_at": utcnow(),
           "internal_id": next_internal_id(conn)}
    for key in ("ram", "vcpus", "disk", "ephemeral", "swap"):
        if row[key] > 2147483647:
            raise BadRequest(f"Invalid input for field/attribute {key}.")
    conn.execute(t.flavors.insert().values(**row))
    return row


def next_internal_id(conn: Connection) -> int:
    """nova's instance_types.id: an integer given in creation order, never reused while the row lives."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.flavors.c.internal_id), 0))).scalar_one()) + 1


# --- routes ----------------------------------------------------------------------------
def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    with db.reader() as conn:
        rows, limit = query_flavors(conn, ctx, rq)
        specs = specs_of(conn, [r["id"] for r in rows]) if detail else {}
    out: dict[str, Any] = {"flavors": [render_flavor(ctx, rq, r, specs.get(r["id"]), detail) for r in rows]}
    links = paging.collection_links(ctx, rq, "flavors" + ("/detail" if detail else ""), rows, limit)
    if links:
        out["flavors_links"] = links
    return out


def list_flavors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, False)


def list_flavors_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, True)


def show_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, rq.params["flavor_id"])
        specs = specs_of(conn, [row["id"]])[row["id"]]
    return {"flavor": render_flavor(ctx, rq, row, specs)}


def post_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = create_flavor(conn, ctx, rq.body["flavor"])
    return {"flavor": render_flavor(ctx, rq, row, {})}


def put_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        conn.execute(t.flavors.update().where(t.flavors.c.id == row["id"]).values(
            description=rq.body["flavor"]["description"], updated_at=utcnow()))
        row = load(conn, row["id"])
        specs = specs_of(conn, [row["id"]])[row["id"]]
    return {"flavor": render_flavor(ctx, rq, row, specs)}


def delete_flavor(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        conn.execute(t.flavors.delete().where(t.flavors.c.id == row["id"]))


def list_extra_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, rq.params["flavor_id"])
        return {"extra_specs": specs_of(conn, [row["id"]])[row["id"]]}


def _write_specs(conn: Connection, flavor_id: str, specs: dict[str, Any]) -> None:
    for key, value in specs.items():
        conn.execute(t.flavor_extra_specs.delete().where(t.flavor_extra_specs.c.flavor_id == flavor_id,
                                                         t.flavor_extra_specs.c.key == key))
        text = str(value).lower() if isinstance(value, bool) else str(value)
        conn.execute(t.flavor_extra_specs.insert().values(flavor_id=flavor_id, key=key, value=text))


def create_extra_specs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        _write_specs(conn, row["id"], rq.body["extra_specs"])
    return {"extra_specs": {k: str(val) for k, val in rq.body["extra_specs"].items()}}


def show_extra_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, rq.params["flavor_id"])
        specs = specs_of(conn, [row["id"]])[row["id"]]
    key = rq.params["key"]
    if key not in specs:
        raise NotFound(f"Flavor {row['id']} has no extra specs with key {key}.")
    return {key: specs[key]}


def update_extra_spec(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    key = rq.params["key"]
    if key not in rq.body:
        raise BadRequest("Request body and URI mismatch")
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        _write_specs(conn, row["id"], rq.body)
    return {key: str(rq.body[key])}


def delete_extra_spec(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        gone = conn.execute(t.flavor_extra_specs.delete().where(
            t.flavor_extra_specs.c.flavor_id == row["id"], t.flavor_extra_specs.c.key == rq.params["key"]))
        if gone.rowcount == 0:
            raise NotFound(f"Flavor {row['id']} has no extra specs with key {rq.params['key']}.")


def _access_list(conn: Connection, flavor_id: str) -> dict[str, Any]:
    rows = conn.execute(sa.select(t.flavor_projects).where(t.flavor_projects.c.flavor_id == flavor_id)
                        .order_by(t.flavor_projects.c.project_id))
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": r.project_id} for r in rows]}


def list_flavor_access(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, rq.params["flavor_id"])
        if row["is_public"]:
            raise NotFound("Access list not available for public flavors.")
        return _access_list(conn, row["id"])


def flavor_access_action(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    (action, args), = rq.body.items()
    project = args["tenant"]
    with db.session() as conn:
        row = load(conn, rq.params["flavor_id"])
        if row["is_public"]:
            raise Conflict("Can not add access to a public flavor.")
        match = (t.flavor_projects.c.flavor_id == row["id"], t.flavor_projects.c.project_id == project)
        exists = conn.execute(sa.select(t.flavor_projects).where(*match)).first() is not None
        if action == "addTenantAccess":
            if exists:
                raise Conflict(f"Flavor access already exists for flavor {row['id']} and project {project} "
                               "combination.")
            conn.execute(t.flavor_projects.insert().values(flavor_id=row["id"], project_id=project))
        else:
            if not exists:
                raise NotFound(f"Flavor access not found for {row['id']} / {project} combination.")
            conn.execute(t.flavor_projects.delete().where(*match))
        return _access_list(conn, row["id"])


def _access_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": ctx.project_id}


F, FS = "/v2.1/flavors", "/v2.1/flavors/{flavor_id}"
P = "os_compute_api:"
ROUTES = [
    route("GET", F, list_flavors, policy=ANY_USER),
    route("GET", F + "/detail", list_flavors_detail, policy=ANY_USER),
    route("POST", F, post_flavor, policy=P + "os-flavor-manage:create", body=CREATE),
    route("GET", FS, show_flavor, policy=ANY_USER),
    route("PUT", FS, put_flavor, policy=P + "os-flavor-manage:update", body=UPDATE, min_version=v.FLAVOR_DESCRIPTION),
    route("DELETE", FS, delete_flavor, policy=P + "os-flavor-manage:delete", status=202),
    route("GET", FS + "/os-extra_specs", list_extra_specs, policy=P + "os-flavor-extra-specs:index"),
    route("POST", FS + "/os-extra_specs", create_extra_specs, policy=P + "os-flavor-extra-specs:create",
          body=EXTRA_SPECS),
    route("GET", FS + "/os-extra_specs/{key}", show_extra_spec, policy=P + "os-flavor-extra-specs:show"),
    route("PUT", FS + "/os-extra_specs/{key}", update_extra_spec, policy=P + "os-flavor-extra-specs:update",
          body=EXTRA_SPEC),
    route("DELETE", FS + "/os-extra_specs/{key}", delete_extra_spec, policy=P + "os-flavor-extra-specs:delete"),
    route("GET", FS + "/os-flavor-access", list_flavor_access, policy=P + "os-flavor-access"),
    route("POST", FS + "/action", flavor_access_action, policy=P + "os-flavor-access:add_tenant_access",
          body=ACCESS_ACTION),
]
