"""Quotas: /v2.0/quotas[/{project_id}[/default|/details]] (api-ref: network, Quotas extension).
Enforced on create inside the write transaction: 409 OverQuota."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import tables as t

# neutron/conf/quota.py defaults
DEFAULTS = {"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
            "security_group": 10, "security_group_rule": 100, "subnetpool": -1, "rbac_policy": 10}
DEFAULTS_AS_SHIPPED = dict(DEFAULTS)
MAX_LIMIT = 2**31 - 1                       # neutron_lib.constants.DB_INTEGER_MAX_VALUE
COUNTED = {"network": t.networks, "subnet": t.subnets, "port": t.ports, "router": t.routers,
           "floatingip": t.floating_ips, "security_group": t.security_groups,
           "security_group_rule": t.security_group_rules,
           "subnetpool": t.subnetpools, "rbac_policy": t.rbac_policies}


def configure(settings: Any) -> None:
    """Defaults from the `network.quotas` section of the YAML, with neutron.conf's [quotas] names
    (`quota_router: 100`) or the resource names (`router: 100`)."""
    section = (getattr(settings, "options", None) or {}).get("network") or {}
    DEFAULTS.clear()
    DEFAULTS.update(DEFAULTS_AS_SHIPPED)
    for key, value in (section.get("quotas") or {}).items():
        resource = key.removeprefix("quota_")
        if resource in DEFAULTS:
            DEFAULTS[resource] = int(value)


# --- logic ---------------------------------------------------------------------------
def limits(conn: Connection, project_id: str) -> dict[str, int]:
    rows = conn.execute(sa.select(t.quotas.c.resource, t.quotas.c.limit).where(t.quotas.c.project_id == project_id))
    return {**DEFAULTS, **{r: lim for r, lim in rows if r in DEFAULTS}}


def used(conn: Connection, project_id: str, resource: str) -> int:
    table = COUNTED.get(resource)
    if table is None:
        return 0
    return conn.execute(sa.select(sa.func.count()).select_from(table)
                        .where(table.c.project_id == project_id)).scalar_one()


def enforce(conn: Connection, project_id: str, resource: str, adding: int = 1) -> None:
    limit = limits(conn, project_id)[resource]
    if limit >= 0 and used(conn, project_id, resource) + adding > limit:
        raise Conflict(f"Quota exceeded for resources: ['{resource}'].", kind="OverQuota")


def set_limits(conn: Connection, project_id: str, body: Any) -> dict[str, int]:
    quota = body.get("quota") if isinstance(body, dict) else None
    if not isinstance(quota, dict) or not quota:
        raise BadRequest("Resource body required")
    quota = {k: v for k, v in quota.items() if k != "force"}     # quota-check-limit's flag
    for resource, value in quota.items():
        if resource not in DEFAULTS:
            raise BadRequest(f"Unrecognized attribute(s) '{resource}'")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).lstrip("-").isdigit() \
                or not -1 <= int(value) <= MAX_LIMIT:
            raise BadRequest(f"Invalid input for {resource}. Reason: '{value}' is not a valid quota value.",
                             kind="InvalidInput")
    for resource, value in quota.items():
        conn.execute(t.quotas.delete().where(t.quotas.c.project_id == project_id, t.quotas.c.resource == resource))
        conn.execute(t.quotas.insert().values(project_id=project_id, resource=resource, limit=int(value)))
    return limits(conn, project_id)


# --- routes --------------------------------------------------------------------------
def project_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": rq.params["project_id"]}


def list_quotas(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        projects = conn.execute(sa.select(t.quotas.c.project_id).distinct()).scalars().all()
        if not ctx.is_admin:
            projects = [p for p in projects if p == ctx.project_id]
        return {"quotas": [{**limits(conn, p), "project_id": p, "tenant_id": p} for p in projects]}


def show_quota(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"quota": limits(conn, rq.params["project_id"])}


def show_default_quota(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"quota": dict(DEFAULTS)}


def show_quota_details(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project_id = rq.params["project_id"]
    with db.reader() as conn:
        return {"quota": {r: {"limit": lim, "used": used(conn, project_id, r), "reserved": 0}
                          for r, lim in limits(conn, project_id).items()}}


def update_quota(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"quota": set_limits(conn, rq.params["project_id"], rq.body)}


def delete_quota(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        conn.execute(t.quotas.delete().where(t.quotas.c.project_id == rq.params["project_id"]))


Q = "/v2.0/quotas"
ROUTES = [
    route("GET", Q, list_quotas, policy="get_quota"),
    route("GET", Q + "/{project_id}/default", show_default_quota, policy="get_quota", target=project_target),
    route("GET", Q + "/{project_id}/details", show_quota_details, policy="get_quota", target=project_target),
    route("GET", Q + "/{project_id}", show_quota, policy="get_quota", target=project_target),
    route("PUT", Q + "/{project_id}", update_quota, policy="update_quota", target=project_target),
    route("DELETE", Q + "/{project_id}", delete_quota, policy="delete_quota", target=project_target, status=204),
]
