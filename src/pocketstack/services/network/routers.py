"""Routers: /v2.0/routers[/{router_id}] and its interface and extra-route actions (api-ref: network,
Routers; ext-gw-mode, extraroute, extraroute-atomic, router_availability_zone, dvr, l3-ha)."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, flavors, ipam, networks, ports, qos, quotas
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
WRITABLE = {"name", "admin_state_up", "external_gateway_info", "routes", "distributed", "ha",
            "availability_zone_hints", "flavor_id"}
INTERFACE = "network:router_interface"
GATEWAY = "network:router_gateway"
MAX_ROUTES = 30
COLUMNS = {k: k for k in ("id", "name", "project_id", "description", "admin_state_up", "status",
                          "revision_number", "distributed", "ha")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "external_gateway_info", "routes", "availability_zone_hints",
              "availability_zones", "flavor_id", "enable_ndp_proxy"}


# --- views ---------------------------------------------------------------------------
def render_routers(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags = common.tags_of(conn, ids)
    gw_ips: dict[str, list[dict[str, str]]] = {}
    gw_ports = [r["gw_port_id"] for r in rows if r["gw_port_id"]]
    for a in conn.execute(sa.select(t.ip_allocations).where(t.ip_allocations.c.port_id.in_(gw_ports))
                          .order_by(t.ip_allocations.c.position)).mappings():
        gw_ips.setdefault(a["port_id"], []).append({"subnet_id": a["subnet_id"], "ip_address": a["ip_address"]})
    policies = qos.bindings_of(conn, ids)
    flavor_ids = flavors.router_flavors(conn, ids)
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]])
        gateway = None
        if r["gw_network_id"]:
            gateway = {"network_id": r["gw_network_id"], "enable_snat": r["enable_snat"],
                       "external_fixed_ips": gw_ips.get(r["gw_port_id"], []),
                       "qos_policy_id": policies.get(r["id"])}
        body.update({"status": r["status"], "admin_state_up": r["admin_state_up"], "external_gateway_info": gateway,
                     "routes": r["routes"], "availability_zone_hints": r["availability_zone_hints"],
                     "availability_zones": ["nova"], "flavor_id": flavor_ids.get(r["id"])})
        if ctx.is_admin:
            body.update({"distributed": r["distributed"], "ha": r["ha"]})
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    return t.routers.c.project_id == ctx.project_id


ROUTERS = common.Collection(
    "router", "routers", t.routers, "Router", ATTRIBUTES, render_routers, visible,
    filters=common.column_filters(t.routers, COLUMNS),
    sort_keys={"name", "status", "admin_state_up", "project_id", "created_at", "updated_at", "description",
               "revision_number"})


# --- logic: gateway ------------------------------------------------------------------
def set_gateway(conn: Connection, ctx: Context, row: dict[str, Any], info: Any, action: str) -> dict[str, Any]:
    """Column values for a new external_gateway_info (creating or replacing the gateway port)."""
    if not info:
        if row.get("gw_port_id"):
            if conn.execute(sa.select(t.floating_ips.c.id).where(t.floating_ips.c.router_id == row["id"])).first():
                raise Conflict(f"Gateway cannot be updated for router {row['id']}, since a gateway to external "
                               f"network {row['gw_network_id']} is required by one or more floating IPs.",
                               kind="RouterExternalGatewayInUseByFloatingIp")
            drop_port(conn, row["gw_port_id"])
        qos.unbind(conn, row["id"])
        return {"gw_network_id": None, "gw_port_id": None, "enable_snat": True}
    if not isinstance(info, dict) or not info.get("network_id") or set(info) - {
            "network_id", "enable_snat", "external_fixed_ips", "qos_policy_id"}:
        raise common.invalid("external_gateway_info", f"Invalid data format for external_gateway_info: '{info}'")
    target = {"project_id": row["project_id"]}
    common.enforce_attrs(ctx, action, "router", {f"external_gateway_info:{k}": v for k, v in info.items()},
                         target, {"external_gateway_info:enable_snat": True})
    network = common.load(conn, networks.NETWORKS, ctx, info["network_id"])
    if not networks.is_external(conn, network):
        raise BadRequest(f"Bad router request: Network {network['id']} is not a valid external network.")
    snat = common.to_bool(info.get("enable_snat", True), "enable_snat")
    if "qos_policy_id" in info:
        qos.bind(conn, ctx, "router", row["id"], info["qos_policy_id"])
    if row.get("gw_network_id") == network["id"] and row.get("gw_port_id"):
        if "external_fixed_ips" in info:
            port = conn.execute(sa.select(t.ports).where(t.ports.c.id == row["gw_port_id"])).mappings().one()
            ports.update_fixed_ips(conn, dict(port), port["mac_address"], info["external_fixed_ips"] or [])
        return {"enable_snat": snat}
    if row.get("gw_port_id"):
        set_gateway(conn, ctx, row, None, action)
    item = {"network_id": network["id"], "device_owner": GATEWAY, "device_id": row["id"], "project_id": ""}
    if info.get("external_fixed_ips"):
        item["fixed_ips"] = info["external_fixed_ips"]
    port = ports.create_port(conn, ctx, item, internal=True)      # with no subnet, a port without addresses
    return {"gw_network_id": network["id"], "gw_port_id": port["id"], "enable_snat": snat}


def drop_port(conn: Connection, port_id: str) -> None:
    row = conn.execute(sa.select(t.ports).where(t.ports.c.id == port_id)).mappings().first()
    if row:
        ports.delete_port(conn, dict(row), internal=True)


# --- logic: routes -------------------------------------------------------------------
def interface_subnets(conn: Connection, router_id: str) -> list[dict[str, Any]]:
    a, p, s = t.ip_allocations, t.ports, t.subnets
    return [dict(r) for r in conn.execute(
        sa.select(s, a.c.ip_address.label("interface_ip"), a.c.port_id.label("interface_port"))
        .join(a, a.c.subnet_id == s.c.id).join(p, p.c.id == a.c.port_id)
        .where(p.c.device_id == router_id, p.c.device_owner == INTERFACE)).mappings()]


def router_addresses(conn: Connection, router_id: str) -> list[tuple[str, str]]:
    """(cidr, address) of every fixed IP of every port of the router: interfaces, gateway, HA ports."""
    a, p, s = t.ip_allocations, t.ports, t.subnets
    return [(r.cidr, r.ip_address) for r in conn.execute(
        sa.select(s.c.cidr, a.c.ip_address).join(a, a.c.subnet_id == s.c.id).join(p, p.c.id == a.c.port_id)
        .where(p.c.device_id == router_id))]


def _route_error(r: Any, seen: list[Any]) -> str | None:
    """neutron_lib's validate_hostroutes, one route."""
    if not isinstance(r, dict):
        return (f"Invalid input. '{r}' must be a dictionary with keys: {['destination', 'nexthop']}")
    if set(r) != {"destination", "nexthop"}:
        return (f"Validation of dictionary's keys failed. Expected keys: {set(['destination', 'nexthop'])} "
                f"Provided keys: {set(r)}")
    destination = r["destination"]
    try:
        net = ipaddress.ip_network(destination, strict=True) if isinstance(destination, str) and \
            "/" in destination and destination.strip() == destination else None
    except ValueError:
        net = None
    if net is None:
        return f"'{destination}' is not a valid CIDR"
    if net.is_loopback:
        return f"'{destination}' is not a routable CIDR"
    try:
        ipaddress.ip_address(r["nexthop"])
    except (ValueError, TypeError):
        return f"'{r['nexthop']}' is not a valid IP address"
    if r in seen:
        return f"Duplicate hostroute '{r}'"
    return None


def check_routes_format(routes: Any) -> list[dict[str, str]]:
    """The `type:hostroutes` attribute validator: 400 InvalidInput naming the first bad route."""
    if not isinstance(routes, list):
        raise common.invalid("routes", f"Invalid data format for hostroute: '{routes}'")
    seen: list[Any] = []
    for r in routes:
        error = _route_error(r, seen)
        if error:
            raise common.invalid("routes", error)
        seen.append(r)
    return routes


def validate_routes(conn: Connection, row: dict[str, Any], routes: list[dict[str, str]]) -> list[dict[str, str]]:
    """extraroute_db._validate_routes: each nexthop on a subnet of one of the router's ports, and not one of its
    addresses; then the routes-per-router limit (the router_route quota)."""
    addresses = router_addresses(conn, row["id"])
    for r in routes:
        nexthop = ipaddress.ip_address(r["nexthop"])
        if not any(nexthop in ipam.network_of(cidr) for cidr, _ in addresses):
            raise BadRequest(f"Invalid format for routes: {routes}, the nexthop is not connected with router",
                             kind="InvalidRoutes")
        if any(nexthop == ipaddress.ip_address(ip) for _, ip in addresses):
            raise BadRequest(f"Invalid format for routes: {routes}, the nexthop is used by router",
                             kind="InvalidRoutes")
    if len(routes) > MAX_ROUTES:
        raise Conflict("Quota exceeded for resources: ['router_route'].", kind="OverQuota")
    return normalized(routes)


def normalized(routes: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"destination": str(ipaddress.ip_network(r["destination"])),
             "nexthop": str(ipaddress.ip_address(r["nexthop"]))} for r in routes]


# --- logic: create / update / delete -------------------------------------------------
def create_router(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    common.enforce_attrs(ctx, "create", "router", item, {"project_id": project_id}, {"distributed": False,
                                                                                     "ha": False})
    quotas.enforce(conn, project_id, "router")
    hints = item.get("availability_zone_hints") or []
    for hint in hints:
        if hint not in networks.ZONES:
            raise NotFound(f"AvailabilityZone {hint} could not be found.", kind="AvailabilityZoneNotFound")
    row = common.new_row(id=new_uuid(), project_id=project_id, name=item.get("name") or "",
                         description=item.get("description", ""), status="ACTIVE",
                         admin_state_up=common.to_bool(item.get("admin_state_up", True), "admin_state_up"),
                         gw_network_id=None, gw_port_id=None, enable_snat=True, routes=[],
                         distributed=common.to_bool(item.get("distributed", False), "distributed"),
                         ha=common.to_bool(item.get("ha", False), "ha"), availability_zone_hints=hints)
    flavor_id = flavors.check_router_flavor(conn, item["flavor_id"]) if item.get("flavor_id") else None
    if flavor_id and ("distributed" in item or "ha" in item):
        # neutron l3_router_plugin: the flavor decides the router type
        raise BadRequest("Bad router request: Cannot specify both a flavor and the distributed or ha flags.")
    row.update(set_gateway(conn, ctx, row, item.get("external_gateway_info"), "create"))
    conn.execute(t.routers.insert().values(**row))
    if row["ha"]:
        ensure_ha_network(conn, ctx, project_id)
    flavors.set_router_flavor(conn, row["id"], flavor_id)
    common.set_tags(conn, row["id"], item.get("tags") or [])
    return row


def ensure_ha_network(conn: Connection, ctx: Context, project_id: str) -> None:
    """l3-ha: a project's HA routers share one ownerless 'HA network project <id>' (vxlan, with the
    169.254.192.0/18 subnet of l3_ha_net_cidr); it outlives the routers, as in neutron."""
    name = f"HA network project {project_id}"
    if conn.execute(sa.select(t.networks.c.id).where(t.networks.c.name == name, t.networks.c.project_id == "")
                    ).first():
        return
    admin = ports._admin(ctx)
    net = networks.create_network(conn, admin, {"name": name, "project_id": "", "provider:network_type": "vxlan"})
    from pocketstack.services.network import subnets
    subnet = subnets.create_subnet(conn, admin, {"name": f"HA subnet project {project_id}", "network_id": net["id"],
                                                 "ip_version": 4, "cidr": "169.254.192.0/18", "gateway_ip": None,
                                                 "enable_dhcp": False})
    for table, row_id in ((t.networks, net["id"]), (t.subnets, subnet["id"])):
        conn.execute(table.update().where(table.c.id == row_id).values(project_id=""))


def update_router(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    common.enforce_attrs(ctx, "update", "router", {k: v for k, v in item.items() if row.get(k) != v},
                         {"project_id": row["project_id"]}, {})
    values = {k: item[k] for k in ("name", "description") if k in item}
    for key in ("admin_state_up", "distributed", "ha"):
        if key in item:
            values[key] = common.to_bool(item[key], key)
    for key, label in (("distributed", "the 'distributed' attribute"), ("ha", "HA attribute")):
        # dvr and l3-ha: a router migrates only while administratively down
        if key in values and values[key] != row[key] and values.get("admin_state_up", row["admin_state_up"]):
            raise BadRequest(f"Bad router request: Cannot change {label} of active routers. Please set router "
                             "admin_state_up to False prior to upgrade")
    if "external_gateway_info" in item:
        values.update(set_gateway(conn, ctx, row, item["external_gateway_info"], "update"))
    if "routes" in item:
        values["routes"] = validate_routes(conn, row, check_routes_format(item["routes"] or []))
    common.touch(conn, t.routers, row["id"], **values)


def delete_router(conn: Connection, row: dict[str, Any]) -> None:
    if conn.execute(sa.select(t.ports.c.id).where(t.ports.c.device_id == row["id"],
                                                  t.ports.c.device_owner == INTERFACE)).first():
        raise Conflict(f"Router {row['id']} still has ports", kind="RouterInUse")
    if conn.execute(sa.select(t.floating_ips.c.id).where(t.floating_ips.c.router_id == row["id"])).first():
        raise Conflict(f"Router {row['id']} still has floating IPs associated", kind="RouterInUse")
    if row["gw_port_id"]:
        drop_port(conn, row["gw_port_id"])
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    qos.unbind(conn, row["id"])
    flavors.set_router_flavor(conn, row["id"], None)
    conn.execute(t.routers.delete().where(t.routers.c.id == row["id"]))


def router_for(conn: Connection, subnet_id: str, external_network_id: str) -> str | None:
    """The router joining an internal subnet to an external network, if any (floating IPs need one)."""
    a, p, r = t.ip_allocations, t.ports, t.routers
    return conn.execute(sa.select(r.c.id).join(p, p.c.device_id == r.c.id).join(a, a.c.port_id == p.c.id).where(
        a.c.subnet_id == subnet_id, p.c.device_owner == INTERFACE, r.c.gw_network_id == external_network_id)
        .limit(1)).scalar()


# --- routes --------------------------------------------------------------------------
def router_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, ROUTERS, ctx, rq.params["router_id"])
    return {"project_id": row["project_id"], "tenant_id": row["project_id"]}


def list_routers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(ROUTERS, ctx, rq)


def show_router(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(ROUTERS, ctx, rq, rq.params["router_id"])


def create_routers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "router", "routers", WRITABLE)
    with db.session() as conn:
        rows = [create_router(conn, ctx, item) for item in items]
        out = render_routers(conn, ctx, rows)
    common.notify_created(ctx, "router", out)
    return {"routers": out} if "routers" in rq.body else {"router": out[0]}


def put_router(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "router", WRITABLE - {"availability_zone_hints", "flavor_id"})
    with db.session() as conn:
        row = common.load(conn, ROUTERS, ctx, rq.params["router_id"])
        common.check_revision(rq, row)
        update_router(conn, ctx, row, item)
    return common.show_resource(ROUTERS, ctx, rq, row["id"])


def remove_router(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, ROUTERS, ctx, rq.params["router_id"])
        common.check_revision(rq, row)
        common.notify_deleted(conn, ROUTERS, ctx, row)
        delete_router(conn, row)


def edit_extraroutes(ctx: Context, rq: ApiRequest, add: bool) -> dict[str, Any]:
    """extraroute-atomic: the router's routes plus (or minus) the given ones, validated as a whole as PUT
    validates them (extraroute_db add_extraroutes / remove_extraroutes)."""
    item = common.update_body(rq, "router", {"routes"})
    given = normalized(check_routes_format(item.get("routes")))
    with db.session() as conn:
        row = common.load(conn, ROUTERS, ctx, rq.params["router_id"])
        common.check_revision(rq, row)
        old = list(row["routes"])
        if add:
            routes = old + [r for i, r in enumerate(given) if r not in old and r not in given[:i]]
        else:
            routes = [r for r in old if r not in given]
        routes = validate_routes(conn, row, routes)
        common.touch(conn, t.routers, row["id"], routes=routes)
    return common.show_resource(ROUTERS, ctx, rq, row["id"])


def add_extraroutes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return edit_extraroutes(ctx, rq, True)


def remove_extraroutes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return edit_extraroutes(ctx, rq, False)



R = "/v2.0/routers"
ROUTES = [
    route("GET", R, list_routers, policy="get_router"),
    route("POST", R, create_routers, policy="create_router", target=common.create_target("router", "routers"),
          status=201),
    route("GET", R + "/{router_id}", show_router, policy="get_router", target=router_target),
    route("PUT", R + "/{router_id}", put_router, policy="update_router", target=router_target),
    route("DELETE", R + "/{router_id}", remove_router, policy="delete_router", target=router_target, status=204),
    route("PUT", R + "/{router_id}/add_extraroutes", add_extraroutes, policy="add_extraroutes",
          target=router_target),
    route("PUT", R + "/{router_id}/remove_extraroutes", remove_extraroutes, policy="remove_extraroutes",
          target=router_target),
]
