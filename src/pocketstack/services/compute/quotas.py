"""Compute quotas and limits: /os-quota-sets, /limits (api-ref: compute, Quota sets; Limits)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import tables as t
from pocketstack.core.versions import V

# nova/conf/quota.py defaults; the network ones were proxied to neutron and dropped at 2.36
DEFAULTS = {"instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "injected_files": 5,
            "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255, "key_pairs": 100,
            "server_groups": 10, "server_group_members": 10}
NETWORK = {"fixed_ips": -1, "floating_ips": -1, "security_group_rules": -1, "security_groups": -1}
NO_NETWORK_QUOTAS = V("2.36", "network quotas gone from quota sets and limits")
NO_FILE_QUOTAS = V("2.57", "injected file quotas gone")
NO_IMAGE_META = V("2.39", "maxImageMeta gone from limits")

_VALUE = {"type": ["integer", "string"], "pattern": r"^-?[0-9]+$", "minimum": -1, "maximum": 2147483647}
UPDATE = {"type": "object", "required": ["quota_set"], "additionalProperties": False, "properties": {"quota_set": {
    "type": "object", "additionalProperties": False,
    "properties": {**{k: _VALUE for k in [*DEFAULTS, *NETWORK, "networks"]},
                   "force": {"type": ["boolean", "string"]}}}}}


# --- logic -----------------------------------------------------------------------------
CLASS = "class:default"   # quota class overrides live in the same table under this pseudo project


def configure(settings: Any) -> None:
    """nova.conf's [quota] defaults: `compute: {quotas: {instances: 20, cores: 40, ram: 102400, ...}}`."""
    configured = settings.option("compute.quotas") if settings is not None else None
    for key, value in (configured or {}).items():
        if key in DEFAULTS:
            DEFAULTS[key] = int(value)


def defaults(conn: Connection) -> dict[str, int]:
    out = dict(DEFAULTS)
    for r in conn.execute(sa.select(t.quotas).where(t.quotas.c.project_id == CLASS)):
        out[r.resource] = r.hard_limit
    return out


def limits_of(conn: Connection, project_id: str) -> dict[str, int]:
    out = defaults(conn)
    for r in conn.execute(sa.select(t.quotas).where(t.quotas.c.project_id == project_id, t.quotas.c.user_id == "")):
        out[r.resource] = r.hard_limit
    return out


def limit_for(conn: Connection, project_id: str, resource: str) -> int:
    value = limits_of(conn, project_id)[resource]
    return 2 ** 31 if value < 0 else value


def usage(conn: Connection, project_id: str) -> dict[str, int]:
    s = t.servers
    live = sa.and_(s.c.project_id == project_id, s.c.deleted.is_(False))
    rows = conn.execute(sa.select(s.c.flavor).where(live)).scalars().all()
    groups = conn.execute(sa.select(sa.func.count()).select_from(t.server_groups).where(
        t.server_groups.c.project_id == project_id)).scalar_one()
    return {"instances": len(rows), "cores": sum(f["vcpus"] for f in rows), "ram": sum(f["ram"] for f in rows),
            "server_groups": groups}


def check_servers(conn: Connection, project_id: str, count: int, vcpus: int, ram: int) -> None:
    """Nova's 403 'Quota exceeded for X: Requested n, but already used u of l X.'"""
    limits, used = limits_of(conn, project_id), usage(conn, project_id)
    for res, want in (("instances", count), ("cores", vcpus * count), ("ram", ram * count)):
        if 0 <= limits[res] < used[res] + want:
            raise Forbidden(f"Quota exceeded for {res}: Requested {want}, but already used {used[res]} of "
                            f"{limits[res]} {res}", kind="over_quota")


def check_delta(conn: Connection, project_id: str, vcpus: int, ram: int) -> None:
    """A resize asks for the difference between the flavors (403 as nova's resize)."""
    limits, used = limits_of(conn, project_id), usage(conn, project_id)
    for res, want in (("cores", vcpus), ("ram", ram)):
        if want > 0 and 0 <= limits[res] < used[res] + want:
            raise Forbidden(f"Quota exceeded for {res}: Requested {want}, but already used {used[res]} of "
                            f"{limits[res]} {res}", kind="over_quota")


def _shown(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if ctx.version < NO_NETWORK_QUOTAS:
        out.update({k: v for k, v in NETWORK.items() if k not in out})
    else:
        for k in NETWORK:
            out.pop(k, None)
    if ctx.version >= NO_FILE_QUOTAS:
        for k in ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes"):
            out.pop(k, None)
    return out


# --- routes ----------------------------------------------------------------------------
def _project_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": rq.params["project_id"]}


def show_quota_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        values = limits_of(conn, rq.params["project_id"])
    return {"quota_set": {"id": rq.params["project_id"], **_shown(ctx, values)}}


def show_quota_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        values, used = limits_of(conn, rq.params["project_id"]), usage(conn, rq.params["project_id"])
        used["key_pairs"] = conn.execute(sa.select(sa.func.count()).select_from(t.keypairs).where(
            t.keypairs.c.user_id == ctx.user_id)).scalar_one()
    shown = _shown(ctx, values)
    return {"quota_set": {"id": rq.params["project_id"], **{
        k: {"limit": val, "in_use": used.get(k, 0), "reserved": 0} for k, val in shown.items()}}}


def show_quota_defaults(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        values = defaults(conn)
    return {"quota_set": {"id": rq.params["project_id"], **_shown(ctx, values)}}


def update_quota_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project_id = rq.params["project_id"]
    body = {k: val for k, val in rq.body["quota_set"].items() if k != "force"}
    if ctx.version >= NO_NETWORK_QUOTAS and set(body) & {*NETWORK, "networks"}:
        raise BadRequest("Invalid input for field/attribute quota_set. Additional properties are not allowed")
    with db.session() as conn:
        for res, value in body.items():
            if res not in DEFAULTS:
                continue
            conn.execute(t.quotas.delete().where(t.quotas.c.project_id == project_id, t.quotas.c.user_id == "",
                                                 t.quotas.c.resource == res))
            conn.execute(t.quotas.insert().values(project_id=project_id, user_id="", resource=res,
                                                  hard_limit=int(value)))
        values = limits_of(conn, project_id)
    return {"quota_set": _shown(ctx, values)}


def delete_quota_set(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        conn.execute(t.quotas.delete().where(t.quotas.c.project_id == rq.params["project_id"]))


def show_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project_id = rq.query.get("tenant_id") or ctx.project_id or ""
    if project_id != ctx.project_id and not ctx.is_admin:
        project_id = ctx.project_id or ""
    with db.reader() as conn:
        q, used = limits_of(conn, project_id), usage(conn, project_id)
    absolute: dict[str, Any] = {
        "maxServerMeta": q["metadata_items"], "maxPersonality": q["injected_files"],
        "maxPersonalitySize": q["injected_file_content_bytes"], "maxTotalKeypairs": q["key_pairs"],
        "maxServerGroups": q["server_groups"], "maxServerGroupMembers": q["server_group_members"],
        "maxTotalCores": q["cores"], "maxTotalInstances": q["instances"], "maxTotalRAMSize": q["ram"],
        "maxImageMeta": q["metadata_items"], "totalCoresUsed": used["cores"],
        "totalInstancesUsed": used["instances"], "totalRAMUsed": used["ram"],
        "totalServerGroupsUsed": used["server_groups"],
        "maxSecurityGroupRules": -1, "maxSecurityGroups": -1, "maxTotalFloatingIps": -1,
        "totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0}
    if ctx.version >= NO_NETWORK_QUOTAS:
        for k in ("maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps", "totalFloatingIpsUsed",
                  "totalSecurityGroupsUsed"):
            absolute.pop(k)
    if ctx.version >= NO_IMAGE_META:
        absolute.pop("maxImageMeta")
    if ctx.version >= NO_FILE_QUOTAS:
        absolute.pop("maxPersonality")
        absolute.pop("maxPersonalitySize")
    return {"limits": {"rate": [], "absolute": absolute}}


Q = "/v2.1/os-quota-sets/{project_id}"
P = "os_compute_api:os-quota-sets:"
ROUTES = [
    route("GET", Q, show_quota_set, policy=P + "show", target=_project_target),
    route("GET", Q + "/detail", show_quota_detail, policy=P + "detail", target=_project_target),
    route("GET", Q + "/defaults", show_quota_defaults, policy=P + "defaults", target=_project_target),
    route("PUT", Q, update_quota_set, policy=P + "update", target=_project_target, body=UPDATE),
    route("DELETE", Q, delete_quota_set, policy=P + "delete", target=_project_target, status=202),
    route("GET", "/v2.1/limits", show_limits, policy="os_compute_api:limits"),
]
