"""Stacks: /v1/{tenant_id}/stacks (api-ref: orchestration, Stacks; heat/api/openstack/v1/stacks.py)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common, stack_views
from pocketstack.services.orchestration.engine import environment, operations
from pocketstack.services.orchestration.engine import template as tpl
from pocketstack.services.orchestration.engine import validate as checks
from pocketstack.services.orchestration.engine.store import set_stack
from pocketstack.services.orchestration.tables import stack_tags, stacks

NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$")


# --- logic -------------------------------------------------------------------
def _request(ctx: Context, body: Any, *, existing: dict[str, Any] | None = None, patch: bool = False) -> dict[str, Any]:
    """Template, environment, files and parameters of a create/update/preview body, checked."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.", kind="HTTPBadRequest")
    files = dict(body.get("files") or {})
    if patch and existing is not None:
        files = {**(existing["files"] or {}), **files}
    if body.get("template") is not None:
        raw = tpl.parse(body["template"])
    elif body.get("template_url"):
        raise BadRequest(f"Could not retrieve template: Failed to retrieve template: {body['template_url']}",
                         kind="HTTPBadRequest")
    elif patch and existing is not None:
        raw = existing["template"]
    else:
        raise BadRequest("No template specified", kind="HTTPBadRequest")
    env = environment.build(body.get("environment"), body.get("environment_files"), files)
    if patch and existing is not None:
        old = dict(existing["environment"] or {})
        if body.get("clear_parameters"):
            old["parameters"] = {k: v for k, v in (old.get("parameters") or {}).items()
                                 if k not in body["clear_parameters"]}
        env = environment.merge(old, env)
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise BadRequest("The parameters must be a JSON object.", kind="HTTPBadRequest")
    env["parameters"] = {**(env.get("parameters") or {}), **params}
    tmpl = tpl.Template(raw, files)
    common.enforce_types(ctx, [environment.resolve_type(env, n, d.type) for n, d in tmpl.resource_defs().items()])
    return {"raw": raw, "tmpl": tmpl, "env": env, "files": files}


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    tags = value if isinstance(value, list) else [t for t in str(value).split(",") if t]
    for t in tags:
        if len(t) > 80:
            raise BadRequest("Tag must be at most 80 characters", kind="HTTPBadRequest")
    return [str(t) for t in tags]


def _timeout(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest("Only integer is acceptable by 'timeout_mins'.", kind="HTTPBadRequest") from None


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadRequest(f'Invalid stack name {name} must contain only alphanumeric or "_-." characters, must '
                         "start with alpha and must be 255 characters or less.", kind="StackValidationFailed")
    return name


def _custom(ctx: Context) -> Any:
    from pocketstack.services.orchestration.engine.clients import Clients
    clients = Clients(lambda: ctx.token or "", ctx.project_id or "")
    return operations.custom(type("S", (), {"clients": clients})())


def create_stack(ctx: Context, rq: ApiRequest) -> Response:
    body = common.body(rq)
    name = _check_name(body.get("stack_name"))
    req = _request(ctx, body)
    checks.check(req["tmpl"], req["env"], stack_name=name, custom=_custom(ctx))
    tags, timeout = _tags(body.get("tags")), _timeout(body.get("timeout_mins"))
    rollback = common.boolean(body.get("disable_rollback", True), "disable_rollback")
    with db.reader() as conn:
        if conn.execute(sa.select(stacks.c.id).where(stacks.c.project_id == ctx.project_id, stacks.c.name == name,
                                                     stacks.c.deleted_at.is_(None))).first():
            raise Conflict(f"The Stack ({name}) already exists.", kind="StackExists")
    trust_id = common.create_trust(ctx)
    with db.session() as conn:
        sid = operations.insert_stack(conn, name=name, project_id=ctx.project_id or "", user_id=ctx.user_id,
                                      username=ctx.user_name, template=req["raw"], env=req["env"],
                                      files=req["files"], trust_id=trust_id, timeout_mins=timeout,
                                      disable_rollback=rollback, tags=tags)
    link = common.stack_link(ctx, rq, {"id": sid, "name": name})
    response = json_response(201, {"stack": {"id": sid, "links": [link]}})
    response.headers["Location"] = link["href"]
    return response


def preview_stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = common.body(rq)
    name = _check_name(body.get("stack_name"))
    req = _request(ctx, body)
    params = checks.check(req["tmpl"], req["env"], stack_name=name, custom=_custom(ctx))
    return {"stack": stack_views.preview(ctx, rq, name, req, params)}


def list_stacks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return stack_views.listing(ctx, rq, global_tenant=False)


def list_all_stacks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return stack_views.listing(ctx, rq, global_tenant=True)


def lookup_stack(ctx: Context, rq: ApiRequest) -> Response:
    with db.reader() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"],
                                deleted=common.boolean(rq.query.get("show_deleted", False), "show_deleted"))
    rest = rq.path.split("/stacks/", 1)[1].split("/", 1)
    return common.redirect(ctx, rq, row, "/" + rest[1] if len(rest) > 1 and rest[1] else "")


def show_stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"], deleted=True)
        tags = common.tags_of(conn, [row["id"]]).get(row["id"])
    resolve = common.boolean(rq.query.get("resolve_outputs", True), "resolve_outputs")
    return {"stack": stack_views.detail(ctx, rq, row, tags, resolve_outputs=resolve)}


def _update(ctx: Context, rq: ApiRequest, patch: bool) -> None:
    body = common.body(rq)
    with db.reader() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
    if row["status"] == "IN_PROGRESS":
        raise Conflict(f"Stack {row['name']} already has an action ({row['action']}) in progress.",
                       kind="ActionInProgress")
    req = _request(ctx, body, existing=row, patch=patch)
    checks.check(req["tmpl"], req["env"], stack_name=row["name"], custom=_custom(ctx))
    values: dict[str, Any] = {"template": req["raw"], "environment": req["env"], "files": req["files"],
                              "prev_template": row["template"], "prev_environment": row["environment"],
                              "prev_files": row["files"], "op": {**(row["op"] or {}), "rollback_of": None,
                                                                "cancel": None}}
    if "disable_rollback" in body or not patch:
        values["disable_rollback"] = common.boolean(body.get("disable_rollback", row["disable_rollback"]),
                                                    "disable_rollback")
    if "timeout_mins" in body:
        values["timeout_mins"] = _timeout(body["timeout_mins"])
    with db.session() as conn:
        if "tags" in body or not patch:
            conn.execute(stack_tags.delete().where(stack_tags.c.stack_id == row["id"]))
            for tag in _tags(body.get("tags")):
                conn.execute(stack_tags.insert().values(stack_id=row["id"], tag=tag))
        operations.begin(conn, row, "UPDATE", **values)


def update_stack(ctx: Context, rq: ApiRequest) -> None:
    _update(ctx, rq, patch=False)


def update_stack_patch(ctx: Context, rq: ApiRequest) -> None:
    _update(ctx, rq, patch=True)


def preview_update_stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
    req = _request(ctx, common.body(rq), existing=row, patch=rq.method == "PATCH" or bool(
        rq.raw.url.path.endswith("/preview") and common.body(rq).get("existing")))
    checks.check(req["tmpl"], req["env"], stack_name=row["name"], custom=_custom(ctx))
    return {"resource_changes": stack_views.update_changes(row, req)}


def delete_stack(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        if row["action"] == "DELETE" and row["status"] == "IN_PROGRESS":
            return
        # a running operation stops by itself: its job carries the old traversal
        operations.begin(conn, row, "DELETE", op={**(row["op"] or {}), "cancel": None})


def abandon_stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        data = stack_views.abandon_data(conn, row)
        from pocketstack.services.orchestration.tables import resources
        conn.execute(resources.delete().where(resources.c.stack_id == row["id"]))
        from pocketstack.core.clock import utcnow
        set_stack(conn, row["id"], action="DELETE", status="COMPLETE", status_reason="Stack abandoned",
                  deleted_at=utcnow(), traversal=row["traversal"] + 1)
    return data


def export_stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        return stack_views.abandon_data(conn, row)


def _stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"], deleted=True)


def show_template(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _stack(ctx, rq)["template"]


def show_environment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return stack_views.environment_view(_stack(ctx, rq)["environment"])


def show_files(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _stack(ctx, rq)["files"] or {}


def list_outputs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"outputs": stack_views.outputs(_stack(ctx, rq), resolve=False)}


def show_output(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    row = _stack(ctx, rq)
    key = rq.params["output_key"]
    for item in stack_views.outputs(row, resolve=True):
        if item["output_key"] == key:
            return {"output": item}
    from pocketstack.core.errors import NotFound
    raise NotFound(f"Specified output key {key} not found.", kind="NotFound")


S = "/v1/{tenant_id}/stacks"
ONE = S + "/{stack_name}/{stack_id}"
T = common.target
SUBPATHS = ("resources", "events", "template", "outputs", "environment", "files", "snapshots", "export")
LOOKUPS = [route("GET", S + "/{stack_name}/" + sub + tail, lookup_stack, policy="stacks:lookup", target=T)
           for sub in SUBPATHS for tail in ("", "/{rest:path}")]
ROUTES = [
    *LOOKUPS,
    route("GET", S, list_stacks, policy="stacks:index", target=T),
    route("POST", S, create_stack, policy="stacks:create", target=T, status=201),
    route("POST", S + "/preview", preview_stack, policy="stacks:preview", target=T),
    route("GET", S + "/detail", list_stacks, policy="stacks:detail", target=T),
    route("GET", ONE, show_stack, policy="stacks:show", target=T),
    route("PUT", ONE, update_stack, policy="stacks:update", target=T, status=202),
    route("PATCH", ONE, update_stack_patch, policy="stacks:update_patch", target=T, status=202),
    route("PUT", ONE + "/preview", preview_update_stack, policy="stacks:preview_update", target=T),
    route("PATCH", ONE + "/preview", preview_update_stack, policy="stacks:preview_update_patch", target=T),
    route("DELETE", ONE, delete_stack, policy="stacks:delete", target=T, status=204),
    route("DELETE", ONE + "/abandon", abandon_stack, policy="stacks:abandon", target=T),
    route("GET", ONE + "/export", export_stack, policy="stacks:export", target=T),
    route("GET", ONE + "/template", show_template, policy="stacks:template", target=T),
    route("GET", ONE + "/environment", show_environment, policy="stacks:environment", target=T),
    route("GET", ONE + "/files", show_files, policy="stacks:files", target=T),
    route("GET", ONE + "/outputs", list_outputs, policy="stacks:list_outputs", target=T),
    route("GET", ONE + "/outputs/{output_key}", show_output, policy="stacks:show_output", target=T),
    route("GET", S + "/{stack_name}", lookup_stack, policy="stacks:lookup", target=T),
    route("PUT", S + "/{stack_name}", lookup_stack, policy="stacks:lookup", target=T),
    route("PATCH", S + "/{stack_name}", lookup_stack, policy="stacks:lookup", target=T),
    route("DELETE", S + "/{stack_name}", lookup_stack, policy="stacks:lookup", target=T),
]
