"""Runbooks: /v1/runbooks (api-ref: baremetal, Runbooks; ironic/api/controllers/v1/runbook.py). New in
1.92: a named list of steps that the clean and service verbs can run instead of explicit steps, on a
node the runbook is approved for (a node trait equal to its name; from 1.112 a node trait among the
runbook's own traits, managed at /v1/runbooks/{id}/traits)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from pocketstack.core.http import empty, json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, deploy_templates, node_traits
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import runbooks

STEP_SCHEMA = schemas.obj({
    "args": {"type": "object"},
    "interface": {"type": "string", "enum": ["vendor", "power", "management", "firmware", "deploy", "bios", "raid"]},
    "step": {"type": "string", "minLength": 1},
    "order": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1,
                                                             "pattern": "^[0-9]+$"}]}},
    ["interface", "step", "order"], additional=False)
_PROPS = {"uuid": {"type": ["string", "null"]}, "name": {"type": "string", "minLength": 1, "maxLength": 255},
          "steps": {"type": "array", "items": STEP_SCHEMA, "minItems": 1},
          "disable_ramdisk": {"type": ["boolean", "null"]}, "extra": {"type": ["object", "null"]},
          "public": {"type": ["boolean", "null"]}, "owner": {"type": ["string", "null"], "maxLength": 255}}
SCHEMA = schemas.obj(_PROPS, ["steps", "name"], additional=False)
# 1.112: any logical name, and a description (traits only through /traits)
SCHEMA_112 = schemas.obj({**_PROPS, "description": {"type": ["string", "null"], "maxLength": 255}},
                         ["steps", "name"], additional=False)
FIELDS = ("uuid", "created_at", "updated_at", "name", "extra", "public", "owner", "disable_ramdisk", "steps")
FIELDS_112 = (*FIELDS, "description", "traits")
PATCH_ALLOWED = ["disable_ramdisk", "extra", "name", "owner", "public", "steps"]
RUNBOOKS = Listing(runbooks, sort_keys={"uuid", "name", "created_at", "updated_at", "owner", "public"},
                   default_sort=[("created_at", "asc")], id_key="uuid")


def _fields(ctx: Context) -> tuple[str, ...]:
    return FIELDS_112 if ctx.version >= v.RUNBOOK_TRAITS else FIELDS


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, fields: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for f in _fields(ctx):
        if fields is None or f in fields:
            body[f] = common.iso(row[f]) if f.endswith("_at") else row[f]
    if "steps" in body:
        body["steps"] = deploy_templates.mask_steps(body["steps"])
    body["links"] = common.links(common.public_url(ctx, rq), "runbooks", row["uuid"])
    return body


# --- logic -------------------------------------------------------------------
def _route_gate(ctx: Context, rq: ApiRequest) -> None:
    """RunbooksController._route: below 1.92 a GET is 404, anything else 405."""
    common.gate(ctx, rq, v.RUNBOOKS, "The API version does not allow runbooks")


def _target(row: Any) -> dict[str, Any]:
    return {"runbook": {"owner": row["owner"] if row is not None else None},
            "config": {"service_project_name": "service"}}


def _validate(ctx: Context, body: Any, relaxed: bool = False) -> dict[str, Any]:
    """`relaxed`: the 1.112 rules whatever the version (quirk: ironic's PATCH always validates with them)."""
    relaxed = relaxed or ctx.version >= v.RUNBOOK_TRAITS
    schema = SCHEMA_112 if relaxed else SCHEMA
    try:
        schemas.validate(schema, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Invalid input for field/attribute runbook. Value: '{body}'. {exc.detail}") from None
    if relaxed:
        if not common.NAME_RE.match(body["name"]):
            raise BadRequest(f"Invalid input for field/attribute runbook. Value: '{body}'. "
                             f"'{body['name']}' does not match '^[A-Za-z0-9\\-._~]+$'")
    else:
        node_traits._check_trait(body["name"])
    if dupes := common.duplicate_steps(body["steps"]):
        raise BadRequest("Deploy template invalid: Duplicate deploy steps. A template cannot have multiple deploy "
                         f"steps with the same interface and step. Duplicates: {dupes}.")
    if body.get("uuid") is not None and not common.is_uuid(body["uuid"]):
        raise BadRequest(f"Expected a UUID for uuid: {body['uuid']}")
    return {**body, "steps": [{**s, "order": int(s["order"])} for s in body["steps"]]}


def find(conn: Any, ident: str) -> Any:
    return common.find_by_ident(conn, runbooks, ident, f"Runbook {ident} could not be found.",
                                f"Expected a logical name or UUID but received {ident}.")


def _name_free(conn: Any, name: str, own: str | None) -> None:
    common.name_free(conn, runbooks, name, own, "a runbook")


def _checked(conn: Any, ctx: Context, ident: str, *rules: str) -> Any:
    row = find(conn, ident)
    for rule in rules:
        common.authorize(ctx, rule, _target(row))
    return row


def steps_for_node(conn: Any, ctx: Context, ident: str, node: Any, traits: list[str]) -> tuple[list[dict], bool]:
    """NodeStatesController._handle_runbook: the runbook's steps and disable_ramdisk, if the caller may
    use it and the node is approved for it."""
    row = _checked(conn, ctx, ident, "baremetal:runbook:use")
    if ctx.version >= v.RUNBOOK_TRAITS:
        wanted = set(row["traits"] or [])
        if not wanted:
            raise BadRequest(f"Runbook {row['uuid']} has no traits configured. Please ask an administrator to add "
                             "traits to the runbook.")
        if not wanted & set(traits):
            raise BadRequest(f"This runbook has not been approved for use on this node {node['uuid']}. The node "
                             f"does not have any of the runbook's traits {sorted(wanted)}. Please ask an "
                             "administrator to add a matching trait to your node.")
    elif row["name"] not in traits:
        raise BadRequest(f"This runbook has not been approved for use on this node {node['uuid']}. Please ask an "
                         "administrator to add it to your node traits.")
    steps = [{"interface": s["interface"], "step": s["step"], "args": s.get("args", {}), "order": s["order"]}
             for s in row["steps"]]
    return steps, bool(row["disable_ramdisk"])


# --- routes ------------------------------------------------------------------
def list_runbooks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _route_gate(ctx, rq)
    target = _target(None)
    project = None
    if not common.allowed(ctx, "baremetal:runbook:list_all", target):
        common.authorize(ctx, "baremetal:runbook:list", target)
        project = ctx.project_id
    q = common.parse_list(ctx, rq, RUNBOOKS, invalid_sort={"extra", "steps", "traits"})
    fields = common.list_fields(rq, q, _fields(ctx), ("uuid", "name"))
    stmt = sa.select(runbooks)
    if project is not None:
        stmt = stmt.where(sa.or_(runbooks.c.owner == project, runbooks.c.public.is_(True)))
    with db.reader() as conn:
        rows, more = common.page(conn, RUNBOOKS, stmt, q, lambda m: NotFound(f"Runbook {m} could not be found."))
    return common.collection(ctx, rq, "runbooks", [render(ctx, rq, r, fields) for r in rows], more, q)


def show_runbook(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _route_gate(ctx, rq)
    raw = rq.query.get("fields")
    fields = [f for f in raw.split(",") if f] if raw else None
    if fields and [f for f in fields if f not in _fields(ctx)]:
        raise BadRequest(f'Field(s) "{", ".join(f for f in fields if f not in _fields(ctx))}" are not valid')
    with db.reader() as conn:
        row = find(conn, rq.params["runbook_ident"])
    if not common.allowed(ctx, "baremetal:runbook:get", _target(row)) and not row["public"]:
        raise Forbidden("Access was denied to the following resource: baremetal:runbook:get",
                        rule="baremetal:runbook:get")
    return render(ctx, rq, row, fields)


def create_runbook(ctx: Context, rq: ApiRequest) -> Response:
    _route_gate(ctx, rq)
    common.authorize(ctx, "baremetal:runbook:create", _target(None))
    body = _validate(ctx, rq.body)
    if ctx.system_scope != "all":
        owner = body.get("owner")
        if owner and owner != ctx.project_id:
            raise BadRequest("Cannot create a runbook as a project scoped admin with an owner other than your own "
                             "project.")
        if ctx.project_id and body.get("public"):
            raise BadRequest("Cannot create a public runbook as a project scoped admin.")
        body["owner"] = ctx.project_id
    uid = body.get("uuid") or new_uuid()
    with db.session() as conn:
        _name_free(conn, body["name"], None)
        if conn.execute(sa.select(runbooks.c.uuid).where(runbooks.c.uuid == uid)).scalar():
            raise Conflict(f"A runbook with UUID {uid} already exists.")
        conn.execute(runbooks.insert().values(
            uuid=uid, name=body["name"], steps=body["steps"], extra=body.get("extra") or {},
            public=bool(body.get("public")), owner=body.get("owner"), description=body.get("description"),
            disable_ramdisk=bool(body.get("disable_ramdisk")), traits=[], created_at=utcnow()))
        row = find(conn, uid)
    out = render(ctx, rq, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_runbook(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _route_gate(ctx, rq)
    patch = common.check_patch(rq.body)
    allowed = PATCH_ALLOWED + (["description"] if ctx.version >= v.RUNBOOK_TRAITS else [])
    common.allowed_paths(patch, allowed)
    rules = {"baremetal:runbook:update:owner" if p["path"].startswith("/owner") else
             "baremetal:runbook:update:public" if p["path"].startswith("/public") else
             "baremetal:runbook:update" for p in patch}
    with db.session() as conn:
        row = _checked(conn, ctx, rq.params["runbook_ident"], *sorted(rules))
        owner_set = any(p["path"] == "/owner" and p.get("value") for p in patch)
        public_ops = [p for p in patch if p["path"] == "/public"]
        if owner_set and ((row["public"] and not public_ops) or (public_ops and public_ops[0].get("value"))):
            raise BadRequest("There cannot be an owner for a public runbook")
        doc = {k: row[k] for k in allowed}
        if public_ops:
            doc["owner"] = None
        new = common.apply_patch(doc, patch)
        if new.get("name") is None or new.get("steps") is None:
            raise BadRequest("'/name' and '/steps' are mandatory attributes and can not be removed")
        new = _validate(ctx, {k: val for k, val in new.items() if val is not None}, relaxed=True)
        _name_free(conn, new["name"], row["uuid"])
        conn.execute(runbooks.update().where(runbooks.c.uuid == row["uuid"]).values(
            name=new["name"], steps=new["steps"], extra=new.get("extra") or {}, owner=new.get("owner"),
            public=bool(new.get("public")), disable_ramdisk=bool(new.get("disable_ramdisk")),
            description=new.get("description") if "description" in allowed else row["description"],
            updated_at=utcnow()))
        row = find(conn, row["uuid"])
    return render(ctx, rq, row, None)


def delete_runbook(ctx: Context, rq: ApiRequest) -> None:
    _route_gate(ctx, rq)
    with db.session() as conn:
        row = _checked(conn, ctx, rq.params["runbook_ident"], "baremetal:runbook:delete")
        conn.execute(runbooks.delete().where(runbooks.c.uuid == row["uuid"]))


# --- traits (1.112) ----------------------------------------------------------
def _traits_gate(ctx: Context, rq: ApiRequest) -> None:
    _route_gate(ctx, rq)
    if ctx.version < v.RUNBOOK_TRAITS:
        raise NotFound("The API version does not allow runbook traits")


def list_traits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _traits_gate(ctx, rq)
    with db.reader() as conn:
        row = _checked(conn, ctx, rq.params["runbook_ident"], "baremetal:runbook:get")
    return {"traits": row["traits"]}


def _save_traits(conn: Any, row: Any, traits: list[str]) -> None:
    conn.execute(runbooks.update().where(runbooks.c.uuid == row["uuid"]).values(
        traits=list(dict.fromkeys(traits)), updated_at=utcnow()))


def set_traits(ctx: Context, rq: ApiRequest) -> Response:
    _traits_gate(ctx, rq)
    trait = rq.params.get("trait")
    body = rq.body if isinstance(rq.body, dict) else None
    if body is not None and set(body) - {"traits"}:
        raise BadRequest(f"Invalid input for field/attribute body. Value: '{body}'. Additional properties are not "
                         "allowed")
    traits = body.get("traits") if body else None
    if bool(trait) == (traits is not None):
        raise BadRequest("A single runbook trait may be added via PUT /v1/runbooks/<runbook identifier>/traits/"
                         "<trait> with no body, or all runbook traits may be replaced via PUT /v1/runbooks/<runbook "
                         "identifier>/traits with the list of traits specified in the request body.")
    if traits is not None and not isinstance(traits, list):
        raise BadRequest(f"Invalid input for field/attribute traits. Value: '{traits}'. Expected a list")
    for t in ([trait] if trait else traits):
        node_traits._check_trait(t)
    with db.session() as conn:
        row = _checked(conn, ctx, rq.params["runbook_ident"], "baremetal:runbook:update")
        _save_traits(conn, row, [*(row["traits"] or []), trait] if trait else traits)
    if trait:
        url = common.build_url(common.public_url(ctx, rq), "runbooks", f"{rq.params['runbook_ident']}/traits/{trait}")
        return empty(204, {"Location": url})
    return empty(204)


def delete_traits(ctx: Context, rq: ApiRequest) -> None:
    _traits_gate(ctx, rq)
    trait = rq.params.get("trait")
    with db.session() as conn:
        row = _checked(conn, ctx, rq.params["runbook_ident"], "baremetal:runbook:update")
        _save_traits(conn, row, [t for t in row["traits"] or [] if t != trait] if trait else [])


R = "/v1/runbooks/{runbook_ident}"
LIST_RULES = in_handler("baremetal:runbook:list", "baremetal:runbook:list_all")
UPDATE_RULES = in_handler("baremetal:runbook:update", "baremetal:runbook:update:owner",
                          "baremetal:runbook:update:public")
ROUTES = [
    route("GET", "/v1/runbooks", list_runbooks, policy=LIST_RULES),
    route("POST", "/v1/runbooks", create_runbook, policy=in_handler("baremetal:runbook:create"), status=201),
    route("GET", R, show_runbook, policy=in_handler("baremetal:runbook:get")),
    route("PATCH", R, update_runbook, policy=UPDATE_RULES),
    route("DELETE", R, delete_runbook, policy=in_handler("baremetal:runbook:delete"), status=204),
    route("GET", R + "/traits", list_traits, policy=in_handler("baremetal:runbook:get")),
    route("PUT", R + "/traits", set_traits, policy=in_handler("baremetal:runbook:update"), status=204),
    route("DELETE", R + "/traits", delete_traits, policy=in_handler("baremetal:runbook:update"), status=204),
    route("PUT", R + "/traits/{trait}", set_traits, policy=in_handler("baremetal:runbook:update"), status=204),
    route("DELETE", R + "/traits/{trait}", delete_traits, policy=in_handler("baremetal:runbook:update"),
          status=204),
]
