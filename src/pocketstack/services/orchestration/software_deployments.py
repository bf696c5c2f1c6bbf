"""Software deployments: /v1/{tenant_id}/software_deployments (api-ref: orchestration, Software config;
heat/api/openstack/v1/software_deployments.py, heat/engine/service_software_config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import isotime, parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.http import empty
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import software_configs as configs
from pocketstack.services.orchestration.tables import resources, software_configs, software_deployments, stacks

MAX_PER_TENANT = 4096     # heat.conf max_software_deployments_per_tenant
CREATE_KEYS = ("config_id", "server_id", "input_values", "action", "status", "status_reason",
               "stack_user_project_id")
UPDATE_KEYS = ("config_id", "input_values", "output_values", "action", "status", "status_reason")


# --- views -------------------------------------------------------------------
def render(row: Any) -> dict[str, Any]:
    """heat.engine.api.format_software_deployment."""
    out = {"id": row["id"], "server_id": row["server_id"], "input_values": row["input_values"],
           "output_values": row["output_values"], "action": row["action"], "status": row["status"],
           "status_reason": row["status_reason"], "config_id": row["config_id"],
           "creation_time": isotime(row["created_at"])}
    if row["updated_at"]:
        out["updated_time"] = isotime(row["updated_at"])
    return out


# --- logic -------------------------------------------------------------------
def _visible(ctx: Context) -> Any:
    t = software_deployments
    return sa.or_(t.c.project_id == ctx.project_id, t.c.stack_user_project_id == ctx.project_id)


def find(conn: Connection, ctx: Context, deployment_id: str) -> Any:
    row = conn.execute(sa.select(software_deployments).where(
        software_deployments.c.id == deployment_id)).mappings().first()
    if (row is not None and not configs.is_admin(ctx)
            and ctx.project_id not in (row["project_id"], row["stack_user_project_id"])):
        row = None
    if row is None:
        raise NotFound(f"Deployment with id {deployment_id} not found", kind="NotFound")
    return row


def _check_config(conn: Connection, ctx: Context, config_id: Any) -> None:
    """The config must exist (Heat's foreign key) and, here, be one the caller may read."""
    if config_id:
        try:
            configs.find(conn, ctx, str(config_id))
            return
        except NotFound:
            pass
    raise BadRequest(f"Data supplied was not valid: Config with id {config_id} not found", kind="Invalid")


def list_rows(conn: Connection, ctx: Context, server_id: str | None) -> list[Any]:
    t = software_deployments
    stmt = sa.select(t).order_by(t.c.created_at, t.c.id)
    if not configs.is_admin(ctx):
        stmt = stmt.where(_visible(ctx))
    if server_id:
        stmt = stmt.where(t.c.server_id == server_id)
    return list(conn.execute(stmt).mappings())


def metadata(conn: Connection, ctx: Context, server_id: str) -> list[dict[str, Any]]:
    """The derived configs of a server's deployments, sorted by config name (stable on creation)."""
    rows = list_rows(conn, ctx, server_id)
    ids = [r["config_id"] for r in rows]
    found = {c["id"]: c for c in conn.execute(sa.select(software_configs).where(
        software_configs.c.id.in_(ids))).mappings()} if ids else {}
    configs_ = [found[i] for i in ids if i in found]
    return [configs.render(c) for c in sorted(configs_, key=lambda c: c["name"] or "")]


def push_metadata(conn: Connection, ctx: Context, server_id: str) -> None:
    """_push_metadata_software_deployments: the server resource's metadata carries its deployments."""
    rows = conn.execute(sa.select(resources.c.id, resources.c.rsrc_metadata).select_from(
        resources.join(stacks, stacks.c.id == resources.c.stack_id)).where(
        resources.c.physical_resource_id == server_id, resources.c.action != "DELETE",
        stacks.c.project_id == ctx.project_id)).mappings().all()
    if not rows:
        return
    deployments = metadata(conn, ctx, server_id)
    for row in rows:
        md = dict(row["rsrc_metadata"] or {})
        md["deployments"] = deployments
        conn.execute(resources.update().where(resources.c.id == row["id"]).values(rsrc_metadata=md))


def create(ctx: Context, body: Mapping[str, Any]) -> Any:
    values = {k: body.get(k) for k in CREATE_KEYS}
    sup = values["stack_user_project_id"]
    if sup is not None and len(str(sup)) > 64:
        raise BadRequest('Data supplied was not valid: "stack_user_project_id" should be no more than 64 '
                         'characters', kind="Invalid")
    if not values["server_id"] or not isinstance(values["server_id"], str):
        raise BadRequest("Data supplied was not valid: server_id must be specified", kind="Invalid")
    values["status_reason"] = str(values["status_reason"])   # quirk: Heat stores str(None) as "None"
    deployment_id = new_uuid()
    with db.session() as conn:
        _check_config(conn, ctx, values["config_id"])
        if not configs.is_admin(ctx):
            count = conn.execute(sa.select(sa.func.count()).select_from(software_deployments).where(
                _visible(ctx))).scalar_one()
            if count >= MAX_PER_TENANT:
                raise BadRequest(f"Request limit exceeded: You have reached the maximum software deployments "
                                 f"per tenant, {MAX_PER_TENANT}. Please delete some deployments.",
                                 kind="RequestLimitExceeded")
        conn.execute(software_deployments.insert().values(
            id=deployment_id, project_id=ctx.project_id, created_at=utcnow(), **values))
        push_metadata(conn, ctx, values["server_id"])
        return find(conn, ctx, deployment_id)


def update(ctx: Context, deployment_id: str, body: Mapping[str, Any]) -> Any:
    """update_software_deployment: only the values given (and truthy) change."""
    data = {k: body[k] for k in UPDATE_KEYS if body.get(k)}
    if "status_reason" in data:
        data["status_reason"] = str(data["status_reason"])
    try:
        data["updated_at"] = parse_isotime(body["updated_at"]) if body.get("updated_at") else utcnow()
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid updated_at: {body['updated_at']}") from None
    with db.session() as conn:
        row = find(conn, ctx, deployment_id)
        if "config_id" in data:
            _check_config(conn, ctx, data["config_id"])
        conn.execute(software_deployments.update().where(software_deployments.c.id == row["id"]).values(**data))
        if "config_id" in data:    # metadata is the list of configs, so only a config change pushes
            push_metadata(conn, ctx, row["server_id"])
        return find(conn, ctx, deployment_id)


def delete(ctx: Context, deployment_id: str) -> None:
    with db.session() as conn:
        row = find(conn, ctx, deployment_id)
        conn.execute(software_deployments.delete().where(software_deployments.c.id == row["id"]))
        push_metadata(conn, ctx, row["server_id"])


def _body(rq: ApiRequest) -> Mapping[str, Any]:
    if not isinstance(rq.body, dict):
        raise BadRequest(f"'{type(rq.body).__name__}' object has no attribute 'get'", kind="AttributeError")
    return rq.body


# --- routes ------------------------------------------------------------------
def list_software_deployments(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = list_rows(conn, ctx, rq.query.get("server_id") or None)
    return {"software_deployments": [render(r) for r in rows]}


def show_server_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"metadata": metadata(conn, ctx, rq.params["server_id"])}


def create_software_deployment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"software_deployment": render(create(ctx, _body(rq)))}


def show_software_deployment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"software_deployment": render(find(conn, ctx, rq.params["deployment_id"]))}


def update_software_deployment(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"software_deployment": render(update(ctx, rq.params["deployment_id"], _body(rq)))}


def delete_software_deployment(ctx: Context, rq: ApiRequest) -> Response:
    delete(ctx, rq.params["deployment_id"])
    return empty(204)


T = configs.target
SD = "/v1/{tenant_id}/software_deployments"
ROUTES = [
    route("GET", SD, list_software_deployments, policy="software_deployments:index", target=T),
    route("POST", SD, create_software_deployment, policy="software_deployments:create", target=T),
    route("GET", SD + "/metadata/{server_id}", show_server_metadata, policy="software_deployments:metadata",
          target=T),
    route("GET", SD + "/{deployment_id}", show_software_deployment, policy="software_deployments:show",
          target=T),
    route("PUT", SD + "/{deployment_id}", update_software_deployment, policy="software_deployments:update",
          target=T),
    route("DELETE", SD + "/{deployment_id}", delete_software_deployment, policy="software_deployments:delete",
          target=T, status=204),
]
