"""Deploy templates: /v1/deploy_templates (api-ref: baremetal, Deploy Templates;
ironic/api/controllers/v1/deploy_template.py). New in 1.55. A template is named like a trait; its
deploy steps run on nodes deployed with that trait."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, MethodNotAllowed, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, node_traits
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import deploy_templates

STEP_SCHEMA = schemas.obj({
    "args": {"type": "object"},
    "interface": {"type": "string", "enum": ["vendor", "power", "management", "firmware", "deploy", "bios", "raid"]},
    "priority": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1,
                                                                "pattern": "^[0-9]+$"}]},
    "step": {"type": "string", "minLength": 1}}, ["interface", "step", "args", "priority"], additional=False)
SCHEMA = schemas.obj({"extra": {"type": ["object", "null"]}, "name": {"type": "string"},
                      "steps": {"type": "array", "items": STEP_SCHEMA, "minItems": 1},
                      "uuid": {"type": ["string", "null"]}}, ["steps", "name"], additional=False)
FIELDS = ("uuid", "created_at", "updated_at", "name", "extra", "steps")
TEMPLATES = Listing(deploy_templates, sort_keys={"uuid", "name", "created_at", "updated_at"},
                    default_sort=[("created_at", "asc")], id_key="uuid")
T = common.system_target


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, fields: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for f in FIELDS:
        if fields is None or f in fields:
            body[f] = common.iso(row[f]) if f.endswith("_at") else row[f]
    if "steps" in body:
        body["steps"] = mask_steps(body["steps"])
    body["links"] = common.links(common.public_url(ctx, rq), "deploy_templates", row["uuid"])
    return body


def mask_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """step_sanitize: password-like step arguments are shown as ******."""
    return [{**s, "args": {k: ("******" if "password" in k.lower() else a) for k, a in (s.get("args") or {}).items()}}
            if "args" in s else s for s in steps]


# --- logic -------------------------------------------------------------------
def _validate(body: Any) -> dict[str, Any]:
    try:
        schemas.validate(SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Invalid input for field/attribute template. Value: '{body}'. {exc.detail}") from None
    node_traits._check_trait(body["name"])
    if dupes := common.duplicate_steps(body["steps"]):
        raise BadRequest("Duplicate deploy steps. A template cannot have multiple deploy steps with the same "
                         f"interface and step. Duplicates: {dupes}")
    steps = [{**s, "priority": int(s["priority"])} for s in body["steps"]]
    return {**body, "steps": steps}


def _find(conn: Any, ident: str) -> Any:
    col = deploy_templates.c.uuid if common.is_uuid(ident) else deploy_templates.c.name
    row = conn.execute(sa.select(deploy_templates).where(col == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Deploy template {ident} could not be found.")
    return row


def _name_free(conn: Any, name: str, own: str | None) -> None:
    common.name_free(conn, deploy_templates, name, own, "a deploy template")


def _writable(ctx: Context) -> None:
    """quirk: below 1.55 pecan answers writes to /deploy_templates with 405 and reads with 404."""
    if ctx.version < v.DEPLOY_TEMPLATES:
        raise MethodNotAllowed("The method is not allowed for the requested URL.")


# --- routes ------------------------------------------------------------------
def list_templates(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.DEPLOY_TEMPLATES)
    q = common.parse_list(ctx, rq, TEMPLATES)
    fields = common.list_fields(rq, q, FIELDS, ("uuid", "name"))
    with db.reader() as conn:
        rows, more = common.page(conn, TEMPLATES, sa.select(deploy_templates), q,
                                 lambda m: NotFound(f"Deploy template {m} could not be found."))
    return common.collection(ctx, rq, "deploy_templates", [render(ctx, rq, r, fields) for r in rows], more, q)


def show_template(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "template_ident", deploy_templates)
    common.hidden(ctx, v.DEPLOY_TEMPLATES)
    raw = rq.query.get("fields")
    fields = [f for f in raw.split(",") if f] if raw else None
    if fields and [f for f in fields if f not in FIELDS]:
        raise BadRequest(f'Field(s) "{", ".join(f for f in fields if f not in FIELDS)}" are not valid')
    with db.reader() as conn:
        return render(ctx, rq, _find(conn, rq.params["template_ident"]), fields)


def create_template(ctx: Context, rq: ApiRequest) -> Response:
    _writable(ctx)
    body = _validate(rq.body)
    uid = body.get("uuid") or new_uuid()
    if not common.is_uuid(uid):
        raise BadRequest(f"Expected a UUID but received {uid}.")
    with db.session() as conn:
        _name_free(conn, body["name"], None)
        if conn.execute(sa.select(deploy_templates.c.uuid).where(deploy_templates.c.uuid == uid)).scalar():
            raise Conflict(f"A deploy template with UUID {uid} already exists.")
        conn.execute(deploy_templates.insert().values(uuid=uid, name=body["name"], steps=body["steps"],
                                                      extra=body.get("extra") or {}, created_at=utcnow()))
        row = _find(conn, uid)
    out = render(ctx, rq, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_template(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "template_ident", deploy_templates)
    _writable(ctx)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, rq.params["template_ident"])
        common.allowed_paths(patch, ["extra", "name", "steps"])
        new = common.apply_patch({"name": row["name"], "steps": row["steps"], "extra": row["extra"]}, patch)
        if new.get("name") is None or new.get("steps") is None:
            raise BadRequest("'/name' and '/steps' are mandatory attributes and can not be removed")
        new = _validate({k: val for k, val in new.items() if val is not None or k != "extra"})
        _name_free(conn, new["name"], row["uuid"])
        conn.execute(deploy_templates.update().where(deploy_templates.c.uuid == row["uuid"]).values(
            name=new["name"], steps=new["steps"], extra=new.get("extra") or {}, updated_at=utcnow()))
        row = _find(conn, row["uuid"])
    return render(ctx, rq, row, None)


def delete_template(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "template_ident", deploy_templates)
    _writable(ctx)
    with db.session() as conn:
        row = _find(conn, rq.params["template_ident"])
        conn.execute(deploy_templates.delete().where(deploy_templates.c.uuid == row["uuid"]))


DT = "/v1/deploy_templates/{template_ident}"
ROUTES = [
    route("GET", "/v1/deploy_templates", list_templates, policy="baremetal:deploy_template:get", target=T),
    route("POST", "/v1/deploy_templates", create_template, policy="baremetal:deploy_template:create", target=T,
          status=201),
    route("GET", DT, show_template, policy="baremetal:deploy_template:get", target=T),
    route("PATCH", DT, update_template, policy="baremetal:deploy_template:update", target=T),
    route("DELETE", DT, delete_template, policy="baremetal:deploy_template:delete", target=T, status=204),
]
