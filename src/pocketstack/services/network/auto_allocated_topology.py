"""Get Me A Network: GET/DELETE /v2.0/auto-allocated-topology/{project_id} (api-ref: network,
Auto Allocated Topology; auto-allocated-topology). The first GET builds a network, a subnet from each
default subnet pool and a router gatewayed to the default external network, as neutron does."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import networks, router_interfaces, routers, subnets
from pocketstack.services.network import tables as t

A = t.auto_allocated_topologies


def _admin(ctx: Context) -> Context:
    return Context(request_id=ctx.request_id, user_id=ctx.user_id, project_id=ctx.project_id,
                   roles=["admin", "member", "reader"])


def _project(ctx: Context, rq: ApiRequest) -> str:
    project_id = rq.params["project_id"]
    if project_id == "None":
        project_id = ctx.project_id or ""
    if not ctx.is_admin and project_id != ctx.project_id:
        raise Forbidden("You are not authorized to complete this action.", kind="NotAuthorized")
    return project_id


def _failure(reason: str) -> Conflict:
    return Conflict(f"Deployment error: {reason}.", kind="AutoAllocationFailure")


def _external(conn: Connection) -> str:
    network_id = conn.execute(sa.select(t.networks.c.id).where(
        t.networks.c.external.is_(True), t.networks.c.is_default.is_(True)).order_by(t.networks.c.created_at)
        .limit(1)).scalar()
    if network_id is None:
        raise _failure("No default router:external network")
    return network_id


def _pools(conn: Connection) -> list[dict[str, Any]]:
    pools = [dict(r) for r in conn.execute(sa.select(t.subnetpools).where(t.subnetpools.c.is_default.is_(True))
                                           .order_by(t.subnetpools.c.ip_version)).mappings()]
    seen: dict[int, dict[str, Any]] = {}
    for p in pools:
        seen.setdefault(p["ip_version"], p)
    if not seen:
        raise _failure("No default subnetpools defined")
    return list(seen.values())


def _existing(conn: Connection, project_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(A).where(A.c.project_id == project_id)).mappings().first()
    if row is None:
        return None
    if conn.execute(sa.select(t.networks.c.id).where(t.networks.c.id == row["network_id"])).first() is None:
        conn.execute(A.delete().where(A.c.project_id == project_id))   # the network went away: build anew
        return None
    return dict(row)


def build(conn: Connection, ctx: Context, project_id: str) -> str:
    external, pools = _external(conn), _pools(conn)
    admin = _admin(ctx)
    network = networks.create_network(conn, admin, {"name": "auto_allocated_network", "project_id": project_id})
    made = []
    for pool in pools:
        try:
            made.append(subnets.create_subnet(conn, admin, {
                "name": f"auto_allocated_subnet_v{pool['ip_version']}", "network_id": network["id"],
                "ip_version": pool["ip_version"], "subnetpool_id": pool["id"], "project_id": project_id}))
        except (BadRequest, Conflict) as e:
            raise _failure(f"Unable to provide tenant private network: {e.message}") from None
    router = routers.create_router(conn, admin, {"name": "auto_allocated_router", "project_id": project_id,
                                                 "external_gateway_info": {"network_id": external}})
    for subnet in made:
        router_interfaces.add_interface(conn, admin, router, {"subnet_id": subnet["id"]})
    conn.execute(A.insert().values(project_id=project_id, network_id=network["id"], router_id=router["id"]))
    return network["id"]


def get_topology(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project_id = _project(ctx, rq)
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    with db.session() as conn:
        if "dry-run" in fields:
            _external(conn)
            _pools(conn)
            return {"auto_allocated_topology": {"id": "dry-run=pass", "project_id": project_id,
                                                "tenant_id": project_id}}
        if fields:
            raise BadRequest("Bad auto_allocate request: Unrecognized field")
        row = _existing(conn, project_id)
        network_id = row["network_id"] if row else build(conn, ctx, project_id)
    return {"auto_allocated_topology": {"id": network_id, "project_id": project_id, "tenant_id": project_id}}


def delete_topology(ctx: Context, rq: ApiRequest) -> None:
    project_id = _project(ctx, rq)
    admin = _admin(ctx)
    with db.session() as conn:
        row = _existing(conn, project_id)
        if row is None:
            return
        router = conn.execute(sa.select(t.routers).where(t.routers.c.id == row["router_id"])).mappings().first()
        if router is not None:
            for s in routers.interface_subnets(conn, router["id"]):
                router_interfaces.remove_interface(conn, admin, dict(router), {"port_id": s["interface_port"]})
            routers.delete_router(conn, dict(router))
        network = conn.execute(sa.select(t.networks).where(t.networks.c.id == row["network_id"])).mappings().first()
        if network is not None:
            networks.delete_network(conn, dict(network))
        conn.execute(A.delete().where(A.c.project_id == project_id))


P = "/v2.0/auto-allocated-topology/{project_id}"
ROUTES = [
    route("GET", P, get_topology, policy="get_auto_allocated_topology",
          target=lambda ctx, rq: {"project_id": _project(ctx, rq)}),
    route("DELETE", P, delete_topology, policy="delete_auto_allocated_topology",
          target=lambda ctx, rq: {"project_id": _project(ctx, rq)}, status=204),
]
