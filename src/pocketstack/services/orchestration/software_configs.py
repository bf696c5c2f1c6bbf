"""Software configs: /v1/{tenant_id}/software_configs (api-ref: orchestration, Software config;
heat/api/openstack/v1/software_configs.py, heat/engine/service_software_config.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, InternalError, NotFound
from pocketstack.core.http import empty
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration.engine.properties import (
    AllowedValues, Prop, ValidationError, coerce, validate_properties)
from pocketstack.services.orchestration.tables import software_configs, software_deployments

MAX_PER_TENANT = 4096     # heat.conf max_software_configs_per_tenant
IO_TYPES = ["String", "Number", "CommaDelimitedList", "Json", "Boolean"]

# --- schemas -----------------------------------------------------------------
# heat/engine/software_config_io.py: one input or output of a config ("default" and "value" are
# checked apart: their type follows the declared one, and properties have no "any" type)
INPUT_SCHEMA: dict[str, Prop] = {
    "name": Prop("string", "Name of the input.", required=True),
    "description": Prop("string", "Description of the input."),
    "type": Prop("string", "Type of the value of the input.", default="String",
                 constraints=[AllowedValues(allowed=IO_TYPES)]),
    "replace_on_change": Prop("boolean", "Replace the deployment instead of updating it when the input value "
                                         "changes.", default=False),
}
OUTPUT_SCHEMA: dict[str, Prop] = {
    "name": Prop("string", "Name of the output.", required=True),
    "description": Prop("string", "Description of the output."),
    "type": Prop("string", "Type of the value of the output.", default="String",
                 constraints=[AllowedValues(allowed=IO_TYPES)]),
    "error_output": Prop("boolean", "Denotes that the deployment is in an error state if this output has a "
                                    "value.", default=False),
}
INPUT_KEYS = ("name", "description", "type", "default", "replace_on_change")
PARAM_KINDS = {"String": "string", "Number": "number", "CommaDelimitedList": "list", "Json": "map",
               "Boolean": "boolean"}


def _typed_default(kind: str, value: Any) -> Any:
    """A default converted to its declared type, as properties.Schema.from_parameter does."""
    if value is None:
        return None
    if kind == "list" and isinstance(value, str):
        return value.split(",") if value else []
    if kind == "map" and isinstance(value, str):
        value = json.loads(value)
    return coerce(kind, value)


def check_io_list(items: Any) -> None:
    """swc_io.check_io_schema_list."""
    if not isinstance(items, list):
        raise BadRequest("Software Config I/O Schema must be in a list", kind="TypeError")
    if not all(isinstance(i, Mapping) for i in items):
        raise BadRequest("Software Config I/O Schema must be a dict", kind="TypeError")


def input_config(item: Mapping[str, Any]) -> dict[str, Any]:
    """swc_io.InputConfig(**item).as_dict(): the checked input, defaults filled, None values dropped."""
    config = dict(item)
    has_value, value = "value" in config, config.pop("value", None)
    default = config.pop("default", None)
    try:
        props = validate_properties(INPUT_SCHEMA, config, [])
        if default is not None and "type" in item and not (default == "" and item["type"] != "String"):
            default = _typed_default(PARAM_KINDS[props["type"]], default)
    except (ValidationError, ValueError) as exc:
        raise BadRequest(str(exc), kind="ValueError") from None
    out = {k: v for k, v in {**props, "default": default}.items() if v is not None}
    out = {k: out[k] for k in INPUT_KEYS if k in out}
    if not out.get("replace_on_change"):
        out.pop("replace_on_change", None)
    if has_value:
        out["value"] = value
    return out


def output_config(item: Mapping[str, Any]) -> dict[str, Any]:
    """swc_io.OutputConfig(**item).as_dict()."""
    try:
        props = validate_properties(OUTPUT_SCHEMA, item, [])
    except ValidationError as exc:
        raise BadRequest(str(exc), kind="ValueError") from None
    return {k: v for k, v in props.items() if v is not None}


# --- views -------------------------------------------------------------------
def render(row: Any, *, detail: bool = True, include_project: bool = False) -> dict[str, Any]:
    """heat.engine.api.format_software_config."""
    out: dict[str, Any] = {"id": row["id"], "name": row["name"], "group": row["group"],
                           "creation_time": isotime(row["created_at"])}
    if detail:
        body = row["config"] or {}
        out.update(config=body.get("config"), inputs=body.get("inputs"), outputs=body.get("outputs"),
                   options=body.get("options"))
    if include_project:
        out["project"] = row["project_id"]
    return out


# --- logic -------------------------------------------------------------------
def is_admin(ctx: Context) -> bool:
    """Heat's context.is_admin: the context_is_admin rule."""
    from pocketstack.services import orchestration   # the package imports this module
    policy = getattr(getattr(orchestration, "SERVICE", None), "policy", None)
    if policy is not None:
        return bool(policy.check("context_is_admin", {}, ctx))
    return ctx.is_admin and (ctx.is_admin_project or ctx.is_system)


def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """util.registered_policy_enforce: the URL's project, except that an admin acts in its own."""
    if ctx.is_admin and ctx.project_id:
        return {"project_id": ctx.project_id}
    return {"project_id": rq.params["tenant_id"]}


def find(conn: Connection, ctx: Context, config_id: str) -> Any:
    row = conn.execute(sa.select(software_configs).where(software_configs.c.id == config_id)).mappings().first()
    if row is not None and not is_admin(ctx) and row["project_id"] != ctx.project_id:
        row = None
    if row is None:
        raise NotFound(f"Software config with id {config_id} not found", kind="NotFound")
    return row


def create(ctx: Context, body: Mapping[str, Any]) -> Any:
    inputs, outputs = body.get("inputs") or [], body.get("outputs") or []
    check_io_list(inputs)
    in_conf = [input_config(i) for i in inputs]
    check_io_list(outputs)
    out_conf = [output_config(o) for o in outputs]
    config = {"inputs": in_conf, "outputs": out_conf, "options": body.get("options") or {},
              "config": body.get("config")}
    with db.session() as conn:
        if not is_admin(ctx):
            count = conn.execute(sa.select(sa.func.count()).select_from(software_configs).where(
                software_configs.c.project_id == ctx.project_id)).scalar_one()
            if count >= MAX_PER_TENANT:
                raise BadRequest(f"Request limit exceeded: You have reached the maximum software configs per "
                                 f"tenant, {MAX_PER_TENANT}. Please delete some configs.",
                                 kind="RequestLimitExceeded")
        config_id = new_uuid()
        conn.execute(software_configs.insert().values(
            id=config_id, name=body.get("name"), group=body.get("group"), config=config,
            project_id=ctx.project_id, created_at=utcnow()))
        return find(conn, ctx, config_id)


def _limit(value: str | None) -> int | None:
    """param_utils.extract_int('limit', ...)."""
    if not value:
        return None
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest("Only integer is acceptable by 'limit'.") from None
    if limit < 0:
        raise BadRequest(f"Value '{value}' is invalid for 'limit' which only accepts non-negative integer.")
    return min(limit, 2 ** 62)                 # no more rows than that anyway; SQL's LIMIT is 64-bit


def list_rows(ctx: Context, limit: int | None, marker: str | None, *, every_project: bool) -> list[Any]:
    """software_config_get_all: newest first; a marker that names no config is ignored."""
    t = software_configs
    stmt = sa.select(t)
    if not every_project:
        stmt = stmt.where(t.c.project_id == ctx.project_id)
    with db.reader() as conn:
        mark = conn.execute(sa.select(t).where(t.c.id == marker)).mappings().first() if marker else None
        if mark is not None:
            stmt = stmt.where(sa.or_(t.c.created_at < mark["created_at"],
                                     sa.and_(t.c.created_at == mark["created_at"], t.c.id < mark["id"])))
        stmt = stmt.order_by(t.c.created_at.desc(), t.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(conn.execute(stmt).mappings())


def delete(ctx: Context, config_id: str) -> None:
    with db.session() as conn:
        row = find(conn, ctx, config_id)
        used = conn.execute(sa.select(software_deployments.c.id).where(
            software_deployments.c.config_id == config_id)).first()
        if used:
            # quirk: InvalidRestrictedAction is not in Heat's fault map, so it is a 500
            raise InternalError(f"Software config with id {config_id} can not be deleted as it is referenced.",
                                kind="InvalidRestrictedAction")
        conn.execute(software_configs.delete().where(software_configs.c.id == row["id"]))


def _global_tenant(rq: ApiRequest) -> bool:
    value = rq.query.get("global_tenant")
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise BadRequest(f'Unrecognized value "{value}" for "global_tenant", acceptable values are: true, false.')
    return value.lower() == "true"


def _enforce_global(ctx: Context, rq: ApiRequest) -> None:
    from pocketstack.services import orchestration
    policy = getattr(getattr(orchestration, "SERVICE", None), "policy", None)
    if policy is None:
        raise ApiError("Policy unavailable")
    policy.enforce("software_configs:global_index", target(ctx, rq), ctx)


# --- routes ------------------------------------------------------------------
def list_software_configs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    every = _global_tenant(rq)
    if every:
        _enforce_global(ctx, rq)
    rows = list_rows(ctx, _limit(rq.query.get("limit")), rq.query.get("marker") or None,
                     every_project=every or is_admin(ctx))
    admin = every or is_admin(ctx)
    return {"software_configs": [render(r, detail=False, include_project=admin) for r in rows]}


def create_software_config(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if not isinstance(rq.body, dict):
        raise BadRequest(f"'{type(rq.body).__name__}' object has no attribute 'get'", kind="AttributeError")
    return {"software_config": render(create(ctx, rq.body))}


def show_software_config(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"software_config": render(find(conn, ctx, rq.params["config_id"]))}


def delete_software_config(ctx: Context, rq: ApiRequest) -> Response:
    delete(ctx, rq.params["config_id"])
    return empty(204)


SC = "/v1/{tenant_id}/software_configs"
ROUTES = [
    route("GET", SC, list_software_configs, policy="software_configs:index", target=target),
    route("POST", SC, create_software_config, policy="software_configs:create", target=target),
    route("GET", SC + "/{config_id}", show_software_config, policy="software_configs:show", target=target),
    route("DELETE", SC + "/{config_id}", delete_software_config, policy="software_configs:delete",
          target=target, status=204),
]
