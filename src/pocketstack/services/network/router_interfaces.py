"""Router interfaces: PUT /v2.0/routers/{id}/add_router_interface and remove_router_interface
(api-ref: network, Routers: Add interface to router, Remove interface from router)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, ipam, ports, routers, subnets
from pocketstack.services.network import tables as t


# --- views ---------------------------------------------------------------------------
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def render_interface(router: dict[str, Any], port_id: str, network_id: str, subnet_ids: list[str]) -> dict[str, Any]:
    return {"id": router["id"], "tenant_id": router["project_id"], "project_id": router["project_id"],
            "port_id": port_id, "network_id": network_id, "subnet_id": subnet_ids[0] if subnet_ids else None,
            "subnet_ids": subnet_ids}


# --- logic ---------------------------------------------------------------------------
def which(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("Resource body required")
    subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
    if subnet_id and port_id:
        raise BadRequest("Bad router request: Cannot specify both subnet-id and port-id.")
    if not subnet_id and not port_id:
        raise BadRequest("Bad router request: Either subnet_id or port_id must be specified.")
    for key, value in (("subnet_id", subnet_id), ("port_id", port_id)):
        if value and not _UUID.match(str(value)):
            raise BadRequest(f"Invalid input for {key}. Reason: '{value}' is not a valid UUID.", kind="InvalidInput")
    return subnet_id, port_id


def check_no_overlap(conn: Connection, router: dict[str, Any], subnet: dict[str, Any]) -> None:
    net = ipam.network_of(subnet["cidr"])
    for other in routers.interface_subnets(conn, router["id"]):
        if other["id"] == subnet["id"]:
            raise BadRequest(f"Bad router request: Router already has a port on subnet {subnet['id']}.")
        if ipam.network_of(other["cidr"]).overlaps(net):
            raise BadRequest(f"Bad router request: Cidr {subnet['cidr']} of subnet {subnet['id']} overlaps with "
                             f"cidr {other['cidr']} of subnet {other['id']}.")


def add_interface(conn: Connection, ctx: Context, router: dict[str, Any], body: Any) -> dict[str, Any]:
    subnet_id, port_id = which(body)
    if subnet_id:
        subnet = common.load(conn, subnets.SUBNETS, ctx, subnet_id)
        if not subnet["gateway_ip"]:
            raise BadRequest(f"Bad router request: Subnet {subnet_id} does not have a gateway IP.")
        check_no_overlap(conn, router, subnet)
        port = ports.create_port(conn, ctx, {
            "network_id": subnet["network_id"], "device_owner": routers.INTERFACE, "device_id": router["id"],
            "project_id": subnet["project_id"],
            "fixed_ips": [{"subnet_id": subnet_id, "ip_address": subnet["gateway_ip"]}]}, internal=True)
        subnet_ids = [subnet_id]
    else:
        port = common.load(conn, ports.PORTS, ctx, port_id)
        if port["device_id"]:
            raise Conflict(f"Unable to complete operation on port {port_id} for network {port['network_id']}. "
                           f"Port already has an attached device {port['device_id']}.", kind="PortInUse")
        subnet_ids = list(conn.execute(sa.select(t.ip_allocations.c.subnet_id).where(
            t.ip_allocations.c.port_id == port_id)).scalars())
        if not subnet_ids:
            raise BadRequest("Bad router request: Router port must have at least one fixed IP.")
        for sid in subnet_ids:
            check_no_overlap(conn, router, dict(conn.execute(sa.select(t.subnets).where(
                t.subnets.c.id == sid)).mappings().one()))
        common.touch(conn, t.ports, port_id, device_id=router["id"], device_owner=routers.INTERFACE,
                     status="ACTIVE")
    common.touch(conn, t.routers, router["id"])
    return render_interface(router, port["id"], port["network_id"], subnet_ids)


def remove_interface(conn: Connection, ctx: Context, router: dict[str, Any], body: Any) -> dict[str, Any]:
    subnet_id, port_id = which(body)
    connected = routers.interface_subnets(conn, router["id"])
    if subnet_id:
        common.load(conn, subnets.SUBNETS, ctx, subnet_id)
        match = [s for s in connected if s["id"] == subnet_id]
        if not match:
            raise NotFound(f"Router {router['id']} has no interface on subnet {subnet_id}",
                           kind="RouterInterfaceNotFoundForSubnet")
        port_id = match[0]["interface_port"]
    elif not any(s["interface_port"] == port_id for s in connected):
        raise NotFound(f"Router {router['id']} does not have an interface with id {port_id}",
                       kind="RouterInterfaceNotFound")
    leaving = [s for s in connected if s["interface_port"] == port_id]
    for s in leaving:
        check_unused(conn, router, s)
    port = dict(conn.execute(sa.select(t.ports).where(t.ports.c.id == port_id)).mappings().one())
    ports.delete_port(conn, port, internal=True)
    common.touch(conn, t.routers, router["id"])
    return render_interface(router, port_id, port["network_id"], [s["id"] for s in leaving])


def check_unused(conn: Connection, router: dict[str, Any], subnet: dict[str, Any]) -> None:
    net = ipam.network_of(subnet["cidr"])
    for r in router["routes"]:
        if ipam.network_of(r["nexthop"]).subnet_of(net) if ipam.network_of(r["nexthop"]).version == net.version \
                else False:
            raise Conflict(f"Router interface for subnet {subnet['id']} on router {router['id']} cannot be deleted, "
                           "as it is required by one or more routes.", kind="RouterInterfaceInUseByRoute")
    fips = conn.execute(sa.select(t.floating_ips.c.fixed_ip_address).where(
        t.floating_ips.c.router_id == router["id"], t.floating_ips.c.fixed_ip_address.isnot(None))).scalars()
    if any(ipam.network_of(ip).subnet_of(net) for ip in fips if ipam.network_of(ip).version == net.version):
        raise Conflict(f"Router interface for subnet {subnet['id']} on router {router['id']} cannot be deleted, "
                       "as it is required by one or more floating IPs.", kind="RouterInterfaceInUseByFloatingIP")


# --- routes --------------------------------------------------------------------------
def add_router_interface(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return add_interface(conn, ctx, common.load(conn, routers.ROUTERS, ctx, rq.params["router_id"]), rq.body)


def remove_router_interface(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return remove_interface(conn, ctx, common.load(conn, routers.ROUTERS, ctx, rq.params["router_id"]), rq.body)


R = "/v2.0/routers/{router_id}"
ROUTES = [
    route("PUT", R + "/add_router_interface", add_router_interface, policy="add_router_interface",
          target=routers.router_target),
    route("PUT", R + "/remove_router_interface", remove_router_interface, policy="remove_router_interface",
          target=routers.router_target),
]
