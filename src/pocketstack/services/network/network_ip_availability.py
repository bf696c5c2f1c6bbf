"""Network IP availability: /v2.0/network-ip-availabilities[/{network_id}]
(api-ref: network, Network IP availability and usage stats)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, ipam
from pocketstack.services.network import tables as t

FILTERS = {"network_id": t.networks.c.id, "network_name": t.networks.c.name,
           "project_id": t.networks.c.project_id, "tenant_id": t.networks.c.project_id}


# --- views ---------------------------------------------------------------------------
def render(conn: Connection, networks: list[Any], ip_version: str | None) -> list[dict[str, Any]]:
    ids = [n["id"] for n in networks]
    subnets = conn.execute(sa.select(t.subnets).where(t.subnets.c.network_id.in_(ids))
                           .order_by(t.subnets.c.created_at)).mappings().all()
    used = dict(conn.execute(sa.select(t.ip_allocations.c.subnet_id, sa.func.count()).where(
        t.ip_allocations.c.network_id.in_(ids)).group_by(t.ip_allocations.c.subnet_id)).all())
    out = []
    for n in networks:
        mine = [s for s in subnets if s["network_id"] == n["id"] and
                (ip_version is None or str(s["ip_version"]) == ip_version)]
        subs = [{"subnet_id": s["id"], "subnet_name": s["name"], "cidr": s["cidr"], "ip_version": s["ip_version"],
                 "total_ips": ipam.pool_size(s["allocation_pools"]), "used_ips": used.get(s["id"], 0)} for s in mine]
        out.append({"network_id": n["id"], "network_name": n["name"], "project_id": n["project_id"],
                    "tenant_id": n["project_id"], "total_ips": sum(s["total_ips"] for s in subs),
                    "used_ips": sum(s["used_ips"] for s in subs), "subnet_ip_availability": subs})
    return out


# --- routes --------------------------------------------------------------------------
def list_network_ip_availabilities(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if not common.listable(ctx, "get_network_ip_availability"):
        return {"network_ip_availabilities": []}
    stmt = sa.select(t.networks)
    for key in rq.query:
        if key not in (*FILTERS, "ip_version", "fields"):
            raise BadRequest(f"['{key}'] is invalid attribute for filtering")
        if key in FILTERS:
            stmt = stmt.where(FILTERS[key].in_(rq.query.getlist(key)))
    with db.reader() as conn:
        items = render(conn, conn.execute(stmt.order_by(t.networks.c.id)).mappings().all(),
                       rq.query.get("ip_version"))
    if "ip_version" in rq.query:
        items = [i for i in items if i["subnet_ip_availability"]]
    return {"network_ip_availabilities": items}


def show_network_ip_availability(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        network = conn.execute(sa.select(t.networks).where(t.networks.c.id == rq.params["network_id"])).mappings().all()
        if not network:
            raise NotFound(f"Network {rq.params['network_id']} could not be found.", kind="NetworkNotFound")
        body = {"network_ip_availability": render(conn, network, None)[0]}
    common.enforce(ctx, "get_network_ip_availability", {"project_id": ctx.project_id})   # 404 first, as neutron
    return body


A = "/v2.0/network-ip-availabilities"
ROUTES = [
    route("GET", A, list_network_ip_availabilities, policy=in_handler("get_network_ip_availability")),
    route("GET", A + "/{network_id}", show_network_ip_availability,
          policy=in_handler("get_network_ip_availability")),
]
