"""Floating IPs: /v2.0/floatingips[/{floatingip_id}] (api-ref: network, Floating IPs; fip-port-details)."""

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
from pocketstack.services.network import common, dns, networks, nova_notifier, ports, qos, quotas, routers
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
WRITABLE = {"floating_network_id", "floating_ip_address", "subnet_id", "port_id", "fixed_ip_address",
            "dns_name", "dns_domain", "qos_policy_id"}
UPDATABLE = {"port_id", "fixed_ip_address", "qos_policy_id"}
READ_ONLY_ON_UPDATE = ("dns_name", "dns_domain")     # dns-integration: allow_put False
COLUMNS = {k: k for k in ("id", "floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address",
                          "router_id", "status", "project_id", "description", "revision_number")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "port_details", "qos_policy_id", "port_forwardings"}
DETAILS = ("name", "network_id", "mac_address", "admin_state_up", "status", "device_id", "device_owner")


# --- views ---------------------------------------------------------------------------
def render_floating_ips(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    tags = common.tags_of(conn, [r["id"] for r in rows])
    port_ids = [r["port_id"] for r in rows if r["port_id"]]
    details = {p["id"]: {k: p[k] for k in DETAILS} for p in conn.execute(
        sa.select(t.ports).where(t.ports.c.id.in_(port_ids))).mappings()}
    policies = qos.bindings_of(conn, [r["id"] for r in rows])
    forwardings: dict[str, list[dict[str, Any]]] = {}       # floating-ip-port-forwarding's read-only list
    for pf in conn.execute(sa.select(t.port_forwardings).where(t.port_forwardings.c.floatingip_id.in_(
            [r["id"] for r in rows])).order_by(t.port_forwardings.c.id)).mappings():
        forwardings.setdefault(pf["floatingip_id"], []).append(
            {k: pf[k] for k in ("protocol", "internal_ip_address", "internal_port", "external_port")})
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]], named=False)
        body.update({k: r[k] for k in ("floating_network_id", "floating_ip_address", "port_id",
                                       "fixed_ip_address", "router_id", "status")})
        body["port_details"] = details.get(r["port_id"])
        body["qos_policy_id"] = policies.get(r["id"])
        body["port_forwardings"] = forwardings.get(r["id"], [])
        # quirk: without an external DNS service neutron keeps no DNS record of a floating IP (dns_db
        # _process_dns_floatingip_create_precommit returns early), so both show empty
        body.update(dns_name="", dns_domain="")
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    return t.floating_ips.c.project_id == ctx.project_id


FLOATING_IPS = common.Collection(
    "floatingip", "floatingips", t.floating_ips, "FloatingIP", ATTRIBUTES, render_floating_ips, visible,
    filters=common.column_filters(t.floating_ips, COLUMNS),
    sort_keys={"floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address", "router_id",
               "status", "project_id", "created_at", "updated_at", "revision_number"},
    not_found_message="Floating IP {id} could not be found")


# --- logic ---------------------------------------------------------------------------
def association(conn: Connection, ctx: Context, fip: dict[str, Any], port_id: str | None,
                fixed_ip: str | None) -> dict[str, Any]:
    """Column values associating the floating IP with a port (or with nothing)."""
    if not port_id:
        return {"port_id": None, "fixed_ip_address": None, "router_id": None, "status": "DOWN"}
    from pocketstack.services.network import port_forwardings
    if port_forwardings.in_use(conn, fip["id"]):
        raise Conflict(f"Floating IP {fip['id']} in use by Port Forwarding resources.",
                       kind="FipInUseByPortForwarding")
    port = common.load(conn, ports.PORTS, ctx, port_id)
    if not ctx.is_admin and port["project_id"] != fip["project_id"]:
        raise BadRequest(f"Bad floatingip request: Cannot process floating IP association with Port {port_id}, "
                         "since that port is owned by a different project.")
    if port["device_owner"] in ports.SERVICE_OWNERS:
        raise BadRequest(f"Bad floatingip request: Port {port_id} has owner {port['device_owner']} and therefore "
                         "cannot be assigned to a floating IP.")
    ips = conn.execute(sa.select(t.ip_allocations.c.ip_address, t.ip_allocations.c.subnet_id)
                       .where(t.ip_allocations.c.port_id == port_id)).all()
    v4 = [(ip, s) for ip, s in ips if ipaddress.ip_address(ip).version == 4]
    if fixed_ip is not None:
        chosen = [(ip, s) for ip, s in ips if ip == fixed_ip]
        if not chosen:
            raise BadRequest(f"Bad floatingip request: Port {port_id} does not have fixed ip {fixed_ip}.")
    elif not v4:
        raise BadRequest(f"Bad floatingip request: Port {port_id} does not have any IPv4 address.")
    elif len(v4) > 1:
        raise BadRequest(f"Bad floatingip request: Port {port_id} has multiple fixed IPv4 addresses. Must provide "
                         "a specific IPv4 address when assigning a floating IP.")
    else:
        chosen = v4
    ip, subnet_id = chosen[0]
    router_id = routers.router_for(conn, subnet_id, fip["floating_network_id"])
    if router_id is None:
        raise NotFound(f"External network {fip['floating_network_id']} is not reachable from subnet {subnet_id}.  "
                       f"Therefore, cannot associate Port {port_id} with a Floating IP.",
                       kind="ExternalGatewayForFloatingIPNotFound")
    other = conn.execute(sa.select(t.floating_ips.c.id).where(
        t.floating_ips.c.port_id == port_id, t.floating_ips.c.fixed_ip_address == ip,
        t.floating_ips.c.floating_network_id == fip["floating_network_id"], t.floating_ips.c.id != fip["id"])).scalar()
    if other:
        raise Conflict(f"Cannot associate floating IP {fip['floating_ip_address']} ({fip['id']}) with port {port_id} "
                       f"using fixed IP {ip}, as that fixed IP already has a floating IP on external network "
                       f"{fip['floating_network_id']}.", kind="FloatingIPPortAlreadyAssociated")
    return {"port_id": port_id, "fixed_ip_address": ip, "router_id": router_id, "status": "ACTIVE"}


def external_ips(conn: Connection, network_id: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    if item.get("floating_ip_address"):
        fixed: dict[str, Any] = {"ip_address": item["floating_ip_address"]}
        if item.get("subnet_id"):
            fixed["subnet_id"] = item["subnet_id"]
        return [fixed]
    if item.get("subnet_id"):
        return [{"subnet_id": item["subnet_id"]}]
    v4 = [s for s in ports.subnets_of(conn, network_id) if s["ip_version"] == 4]
    if not v4:
        raise BadRequest(f"Bad floatingip request: Network {network_id} does not contain any IPv4 subnet")
    return [{"subnet_id": v4[0]["id"]}]


def create_floating_ip(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    common.enforce_attrs(ctx, "create", "floatingip", item, {"project_id": project_id}, {})
    network_id = item.get("floating_network_id")
    if not network_id:
        raise BadRequest("Failed to parse request. Required attribute 'floating_network_id' not specified")
    network = common.load(conn, networks.NETWORKS, ctx, network_id)
    if not networks.is_external(conn, network):
        raise BadRequest(f"Bad floatingip request: Network {network_id} is not a valid external network.")
    quotas.enforce(conn, project_id, "floatingip")
    fip_id = new_uuid()
    port = ports.create_port(conn, ctx, {"network_id": network_id, "device_owner": "network:floatingip",
                                         "device_id": fip_id, "project_id": "",
                                         "fixed_ips": external_ips(conn, network_id, item)}, internal=True)
    address = conn.execute(sa.select(t.ip_allocations.c.ip_address).where(
        t.ip_allocations.c.port_id == port["id"])).scalar()
    row = common.new_row(id=fip_id, project_id=project_id, floating_network_id=network_id,
                         floating_ip_address=address, floating_port_id=port["id"],
                         description=item.get("description", ""))
    row.update(association(conn, ctx, row, item.get("port_id"), item.get("fixed_ip_address")))
    conn.execute(t.floating_ips.insert().values(**row))
    common.set_tags(conn, fip_id, item.get("tags") or [])
    if item.get("qos_policy_id"):
        qos.bind(conn, ctx, "floatingip", fip_id, item["qos_policy_id"])
    return row


def update_floating_ip(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    values = {k: item[k] for k in ("description",) if k in item}
    if not item:
        item = {"port_id": None}          # an empty update disassociates (neutron keeps this old behaviour)
    if "port_id" in item or "fixed_ip_address" in item:
        port_id = item["port_id"] if "port_id" in item else row["port_id"]
        values.update(association(conn, ctx, row, port_id, item.get("fixed_ip_address")))
    if "qos_policy_id" in item:
        qos.bind(conn, ctx, "floatingip", row["id"], item["qos_policy_id"])
    common.touch(conn, t.floating_ips, row["id"], **values)


def delete_floating_ip(conn: Connection, row: dict[str, Any]) -> None:
    qos.unbind(conn, row["id"])
    conn.execute(t.port_forwardings.delete().where(t.port_forwardings.c.floatingip_id == row["id"]))
    conn.execute(t.floating_ips.delete().where(t.floating_ips.c.id == row["id"]))
    routers.drop_port(conn, row["floating_port_id"])
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))


# --- routes --------------------------------------------------------------------------
def floatingip_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, FLOATING_IPS, ctx, rq.params["floatingip_id"])
    return {"project_id": row["project_id"], "tenant_id": row["project_id"]}


def list_floatingips(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(FLOATING_IPS, ctx, rq)


def show_floatingip(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(FLOATING_IPS, ctx, rq, rq.params["floatingip_id"])


def create_floatingips(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.bodies(rq, "floatingip", "floatingips", WRITABLE, bulk=False)[0]
    if "dns_name" in item:
        dns.fip_dns_name(item["dns_name"])
    if "dns_domain" in item:
        dns.dns_domain(item["dns_domain"])
    with db.session() as conn:
        row = create_floating_ip(conn, ctx, item)
        body = {"floatingip": render_floating_ips(conn, ctx, [row])[0]}
        events = nova_notifier.floatingip_events(conn, row["port_id"])
    nova_notifier.send(ctx, events)
    common.notify_created(ctx, "floatingip", [body["floatingip"]])
    return body


def put_floatingip(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "floatingip", UPDATABLE, READ_ONLY_ON_UPDATE)
    with db.session() as conn:
        row = common.load(conn, FLOATING_IPS, ctx, rq.params["floatingip_id"])
        common.check_revision(rq, row)
        update_floating_ip(conn, ctx, row, item)
        port_id = conn.execute(sa.select(t.floating_ips.c.port_id).where(t.floating_ips.c.id == row["id"])).scalar()
        events = nova_notifier.floatingip_events(conn, row["port_id"], port_id) if port_id != row["port_id"] else []
    nova_notifier.send(ctx, events)
    return common.show_resource(FLOATING_IPS, ctx, rq, row["id"])


def remove_floatingip(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, FLOATING_IPS, ctx, rq.params["floatingip_id"])
        common.check_revision(rq, row)
        events = nova_notifier.floatingip_events(conn, row["port_id"])
        from pocketstack.services.network import port_forwardings
        if port_forwardings.in_use(conn, row["id"]):
            raise Conflict(f"Floating IP {row['id']} in use by Port Forwarding resources.",
                           kind="FipInUseByPortForwarding")
        common.notify_deleted(conn, FLOATING_IPS, ctx, row)
        delete_floating_ip(conn, row)
    nova_notifier.send(ctx, events)


F = "/v2.0/floatingips"
ROUTES = [
    route("GET", F, list_floatingips, policy="get_floatingip"),
    route("POST", F, create_floatingips, policy="create_floatingip",
          target=common.create_target("floatingip", "floatingips"), status=201),
    route("GET", F + "/{floatingip_id}", show_floatingip, policy="get_floatingip", target=floatingip_target),
    route("PUT", F + "/{floatingip_id}", put_floatingip, policy="update_floatingip", target=floatingip_target),
    route("DELETE", F + "/{floatingip_id}", remove_floatingip, policy="delete_floatingip", target=floatingip_target,
          status=204),
]
