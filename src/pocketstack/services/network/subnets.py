"""Subnets: /v2.0/subnets[/{subnet_id}] (api-ref: network, Subnets; subnet-service-types)."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import agents, common, ipam, networks, ports, quotas, rbac_policies, subnetpools
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")
WRITABLE = {"name", "network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp", "ipv6_ra_mode",
            "ipv6_address_mode", "subnetpool_id", "segment_id", "allocation_pools", "dns_nameservers",
            "host_routes", "service_types", "prefixlen", "use_default_subnetpool", "dns_publish_fixed_ip"}
UPDATABLE = {"name", "gateway_ip", "enable_dhcp", "allocation_pools", "dns_nameservers", "host_routes",
             "service_types", "segment_id", "dns_publish_fixed_ip"}
COLUMNS = {k: k for k in ("id", "name", "network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp",
                          "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "segment_id", "project_id",
                          "description", "revision_number", "dns_publish_fixed_ip")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "shared", "allocation_pools", "dns_nameservers", "host_routes", "service_types"}


# --- views ---------------------------------------------------------------------------
def render_subnets(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    tags = common.tags_of(conn, [r["id"] for r in rows])
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]])
        body.update({k: r[k] for k in ("network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp",
                                       "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "segment_id",
                                       "allocation_pools", "dns_nameservers", "host_routes", "service_types",
                                       "dns_publish_fixed_ip")})
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    seen = sa.select(t.networks.c.id).where(sa.or_(t.networks.c.shared.is_(True), rbac_policies.granted(
        "network", t.networks.c.id, ctx.project_id, (rbac_policies.SHARED,))))
    return sa.or_(t.subnets.c.project_id == ctx.project_id, t.subnets.c.network_id.in_(seen))


SUBNETS = common.Collection(
    "subnet", "subnets", t.subnets, "Subnet", ATTRIBUTES, render_subnets, visible,
    filters={**common.column_filters(t.subnets, COLUMNS), "shared": lambda vs: t.subnets.c.network_id.in_(
        sa.select(t.networks.c.id).where(t.networks.c.shared.in_([common.to_bool(v, "shared") for v in vs])))},
    sort_keys={"name", "network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp", "project_id",
               "created_at", "updated_at", "revision_number", "description"})


# --- logic ---------------------------------------------------------------------------
def parse_cidr(cidr: Any, ip_version: Any) -> ipam.IPNet:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except (ValueError, TypeError):
        raise common.invalid("cidr", f"'{cidr}' is not a valid IP subnet") from None
    # host bits are dropped, not refused: neutron turns "10.99.99.0/16" into 10.99.0.0/16
    # (db_base_plugin_v2.create_subnet), and openstacksdk's own functional tests send such a CIDR
    if "/" not in str(cidr):
        raise common.invalid("cidr", f"'{cidr}' is not a valid IP subnet")
    if ip_version not in (4, 6):
        raise common.invalid("ip_version", f"{ip_version} is not in [4, 6]")
    if net.version != ip_version:
        raise BadRequest("Invalid input for operation: Cidr and IP version mismatch.", kind="InvalidInput")
    if net.prefixlen == 0:
        raise BadRequest("Invalid input for operation: 0 is not allowed as CIDR prefix length.", kind="InvalidInput")
    return net


def parse_gateway(net: ipam.IPNet, gateway: Any) -> str | None:
    if gateway is None:
        return None
    try:
        address = ipaddress.ip_address(gateway)
    except (ValueError, TypeError):
        raise common.invalid("gateway_ip", f"'{gateway}' is not a valid IP address") from None
    if address.version != net.version or (net.version == 4 and net.prefixlen < 31 and address in
                                          (net.network_address, net.broadcast_address)):
        raise BadRequest("Invalid input for operation: Gateway is not valid on subnet.", kind="InvalidInput")
    return str(address)


def validate_lists(item: dict[str, Any], version: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "dns_nameservers" in item:
        servers = item["dns_nameservers"] or []
        for s in servers:
            try:
                ipaddress.ip_address(s)
            except (ValueError, TypeError):
                raise common.invalid("dns_nameservers", f"'{s}' is not a valid nameserver") from None
        if len(set(servers)) != len(servers):
            raise common.invalid("dns_nameservers", f"Duplicate nameserver '{servers}'")
        values["dns_nameservers"] = servers
    if "host_routes" in item:
        routes = item["host_routes"] or []
        for r in routes:
            try:
                assert isinstance(r, dict) and set(r) == {"destination", "nexthop"}
                ipaddress.ip_network(r["destination"]), ipaddress.ip_address(r["nexthop"])
            except (AssertionError, ValueError, TypeError):
                raise common.invalid("host_routes", f"Invalid data format for hostroute: '{r}'") from None
        values["host_routes"] = [{"destination": str(ipaddress.ip_network(r["destination"])),
                                  "nexthop": r["nexthop"]} for r in routes]
    if "service_types" in item:
        types = item["service_types"] or []
        if not isinstance(types, list) or not all(isinstance(s, str) and ":" in s for s in types):
            raise common.invalid("service_types", f"Invalid service type {types}")
        values["service_types"] = types
    if "segment_id" in item and item["segment_id"] is not None:
        raise NotFound(f"Segment {item['segment_id']} could not be found.", kind="SegmentNotFound")
    for key in ("enable_dhcp", "dns_publish_fixed_ip"):
        if key in item:
            values[key] = common.to_bool(item[key], key)
    if "name" in item:
        if not isinstance(item["name"], str) or len(item["name"]) > 255:
            raise common.invalid("name", f"'{item['name']}' is not a valid string")
        values["name"] = item["name"]
    return values


def ipv6_modes(item: dict[str, Any], net: ipam.IPNet) -> dict[str, Any]:
    ra, addr = item.get("ipv6_ra_mode"), item.get("ipv6_address_mode")
    for name, mode in (("ipv6_ra_mode", ra), ("ipv6_address_mode", addr)):
        if mode is not None and mode not in IPV6_MODES:
            raise common.invalid(name, f"{mode} is not in {list(IPV6_MODES)}")
        if mode is not None and net.version == 4:
            raise BadRequest(f"Invalid input for operation: {name} is not valid when ip_version is 4.",
                             kind="InvalidInput")
    if ra and addr and ra != addr:
        raise BadRequest(f"Invalid input for operation: ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to "
                         f"'{addr}' is not valid. If both attributes are set, they must be the same value.",
                         kind="InvalidInput")
    if (ra in ipam.AUTO_MODES or addr in ipam.AUTO_MODES) and net.prefixlen != 64:
        raise BadRequest(f"Invalid input for operation: Invalid CIDR {net} for IPv6 address mode. OpenStack uses "
                         "the EUI-64 address format, which requires the prefix to be /64.", kind="InvalidInput")
    return {"ipv6_ra_mode": ra, "ipv6_address_mode": addr}


def network_for(conn: Connection, ctx: Context, network_id: Any) -> dict[str, Any]:
    if not network_id:
        raise BadRequest("Failed to parse request. Required attribute 'network_id' not specified")
    return common.load(conn, networks.NETWORKS, ctx, network_id)


def check_overlap(conn: Connection, network_id: str, net: ipam.IPNet) -> None:
    for cidr in conn.execute(sa.select(t.subnets.c.cidr).where(t.subnets.c.network_id == network_id)).scalars():
        if ipam.network_of(cidr).overlaps(net):
            raise BadRequest(f"Invalid input for operation: Requested subnet with cidr: {net} for network: "
                             f"{network_id} overlaps with another subnet.", kind="InvalidInput")


def create_subnet(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    network = network_for(conn, ctx, item.get("network_id"))
    project_id = common.owner(ctx, item)
    if not ctx.is_admin and network["project_id"] != project_id and not network["shared"]:
        raise Forbidden("(rule:create_subnet) is disallowed by policy", rule="create_subnet")
    common.enforce_attrs(ctx, "create", "subnet", item, {"project_id": project_id}, {"service_types": [],
                                                                                      "segment_id": None})
    version = item.get("ip_version", 4)
    version = int(version) if isinstance(version, str) and version.isdigit() else version
    pool = None
    if item.get("subnetpool_id") is not None:
        pool = common.load(conn, subnetpools.POOLS, ctx, item["subnetpool_id"])
    elif item.get("use_default_subnetpool") and "cidr" not in item:
        pool = subnetpools.default_pool(conn, version)
    if pool is not None:
        if pool["ip_version"] != version:
            raise BadRequest(f"Invalid input for operation: Cannot allocate IPv{version} subnet from IPv"
                             f"{pool['ip_version']} subnet pool.", kind="InvalidInput")
        cidr = subnetpools.allocate_cidr(conn, pool, item.get("cidr"), item.get("prefixlen"))
    elif "cidr" not in item:
        raise BadRequest("Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
                         kind="BadRequest")
    else:
        cidr = item["cidr"]
    net = parse_cidr(cidr, version)
    check_overlap(conn, network["id"], net)
    networks.check_subnet_mtu(conn, network["id"], network["mtu"], {net.version})
    gateway = parse_gateway(net, item["gateway_ip"]) if "gateway_ip" in item else (
        ipam.default_pools(net, None)[0]["start"])
    if "allocation_pools" in item and item["allocation_pools"]:
        pools = ipam.validate_pools(net, item["allocation_pools"], gateway)
    else:
        pools = ipam.default_pools(net, gateway)
    quotas.enforce(conn, project_id, "subnet")
    row = common.new_row(**{"id": new_uuid(), "project_id": project_id, "name": "", "network_id": network["id"],
                            "ip_version": version, "cidr": str(net), "gateway_ip": gateway, "enable_dhcp": True,
                            "subnetpool_id": pool["id"] if pool else None, "segment_id": None,
                            "allocation_pools": pools,
                            "dns_nameservers": [], "host_routes": [], "service_types": [],
                            "dns_publish_fixed_ip": False, "description": item.get("description", ""),
                            **ipv6_modes(item, net), **validate_lists(item, version)})
    conn.execute(t.subnets.insert().values(**row))
    common.set_tags(conn, row["id"], item.get("tags") or [])
    if row["enable_dhcp"]:
        agents.schedule_network(conn, network["id"])
        ports.serve_dhcp(conn, ctx, network, row)
    common.touch(conn, t.networks, network["id"])         # the network's subnets changed
    return row


def update_subnet(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    common.enforce_attrs(ctx, "update", "subnet", item, {"project_id": row["project_id"]},
                         {"service_types": row["service_types"], "segment_id": None})
    net = ipam.network_of(row["cidr"])
    values = validate_lists(item, row["ip_version"])
    if "description" in item:
        values["description"] = item["description"]
    gateway = row["gateway_ip"]
    if "gateway_ip" in item:
        gateway = values["gateway_ip"] = parse_gateway(net, item["gateway_ip"])
    if "allocation_pools" in item:
        pools = item["allocation_pools"]
        # quirk: [] leaves the subnet without pools (only fixed addresses), null restores the default
        values["allocation_pools"] = ipam.validate_pools(net, pools, gateway) if pools else \
            ([] if pools == [] else ipam.default_pools(net, gateway))
    elif "gateway_ip" in item and gateway is not None:
        ipam.check_gateway_outside(gateway, row["allocation_pools"])
    if "gateway_ip" in item and gateway != row["gateway_ip"] and row["gateway_ip"]:
        router_port = conn.execute(sa.select(t.ip_allocations.c.port_id).join(
            t.ports, t.ports.c.id == t.ip_allocations.c.port_id).where(
            t.ip_allocations.c.subnet_id == row["id"], t.ip_allocations.c.ip_address == row["gateway_ip"],
            t.ports.c.device_owner.like("network:router_interface%"))).scalar()
        if router_port:
            raise Conflict(f"Gateway IP {row['gateway_ip']} is in use by port {router_port}, unable to update.",
                           kind="GatewayIpInUse")
    if "gateway_ip" in item and gateway != row["gateway_ip"] and gateway is not None:
        owner = conn.execute(sa.select(t.ip_allocations.c.port_id).where(
            t.ip_allocations.c.subnet_id == row["id"], t.ip_allocations.c.ip_address == gateway)).scalar()
        if owner:
            raise Conflict(f"Gateway IP {gateway} is in use by port {owner}, unable to update.",
                           kind="GatewayIpInUse")
    common.touch(conn, t.subnets, row["id"], **values)
    if values.get("enable_dhcp") is True and not row["enable_dhcp"]:
        network = conn.execute(sa.select(t.networks).where(t.networks.c.id == row["network_id"])).mappings().one()
        agents.schedule_network(conn, row["network_id"])
        ports.serve_dhcp(conn, ctx, dict(network), {**row, **values})
    elif values.get("enable_dhcp") is False and row["enable_dhcp"]:
        dhcp_ports = sa.select(t.ports.c.id).where(t.ports.c.network_id == row["network_id"],
                                                   t.ports.c.device_owner == ports.DHCP)
        conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.subnet_id == row["id"],
                                                     t.ip_allocations.c.port_id.in_(dhcp_ports)))


def delete_subnet(conn: Connection, row: dict[str, Any]) -> None:
    """An address-mode (SLAAC, DHCPv6-stateless) subnet goes with its ports' addresses unless a router
    uses it; any other subnet is in use while a port holds an address there."""
    holders = sa.select(t.ip_allocations.c.port_id).join(t.ports, t.ports.c.id == t.ip_allocations.c.port_id).where(
        t.ip_allocations.c.subnet_id == row["id"])
    if ipam.is_auto(row):
        holders = holders.where(t.ports.c.device_owner.like("network:router_interface%"))
    else:
        holders = holders.where(t.ports.c.device_owner.notin_(["network:dhcp", "network:distributed"]))
    in_use = conn.execute(holders.limit(1)).first()
    if in_use:
        raise Conflict(f"Unable to complete operation on subnet {row['id']}: One or more ports have an IP "
                       "allocation from this subnet.", kind="SubnetInUse")
    conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.subnet_id == row["id"]))
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    conn.execute(t.subnets.delete().where(t.subnets.c.id == row["id"]))
    common.touch(conn, t.networks, row["network_id"])


def target_of(conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    network = conn.execute(sa.select(t.networks).where(t.networks.c.id == row["network_id"])).mappings().one()
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "network_project_id":
            network["project_id"], "shared": network["shared"], "external": network["external"]}


# --- routes --------------------------------------------------------------------------
def subnet_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        target = target_of(conn, row := common.load(conn, SUBNETS, ctx, rq.params["subnet_id"]))
        network = conn.execute(sa.select(t.networks).where(t.networks.c.id == row["network_id"])).mappings().one()
        return {**target, "shared": networks.shared_with(conn, dict(network), ctx.project_id)}


def list_subnets(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(SUBNETS, ctx, rq)


def show_subnet(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(SUBNETS, ctx, rq, rq.params["subnet_id"])


def create_subnets(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "subnet", "subnets", WRITABLE)
    with db.session() as conn:
        rows = [create_subnet(conn, ctx, item) for item in items]
        out = render_subnets(conn, ctx, rows)
    common.notify_created(ctx, "subnet", out)
    return {"subnets": out} if "subnets" in rq.body else {"subnet": out[0]}


def put_subnet(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "subnet", UPDATABLE)
    with db.session() as conn:
        row = common.load(conn, SUBNETS, ctx, rq.params["subnet_id"])
        common.check_revision(rq, row)
        update_subnet(conn, ctx, row, item)
    return common.show_resource(SUBNETS, ctx, rq, row["id"])


def remove_subnet(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, SUBNETS, ctx, rq.params["subnet_id"])
        common.check_revision(rq, row)
        common.notify_deleted(conn, SUBNETS, ctx, row)
        delete_subnet(conn, row)


S = "/v2.0/subnets"
ROUTES = [
    route("GET", S, list_subnets, policy="get_subnet"),
    route("POST", S, create_subnets, policy="create_subnet", target=common.create_target("subnet", "subnets"),
          status=201),
    route("GET", S + "/{subnet_id}", show_subnet, policy="get_subnet", target=subnet_target),
    route("PUT", S + "/{subnet_id}", put_subnet, policy="update_subnet",
          target=common.body_first(subnet_target, "subnet", UPDATABLE)),
    route("DELETE", S + "/{subnet_id}", remove_subnet, policy="delete_subnet", target=subnet_target, status=204),
]
