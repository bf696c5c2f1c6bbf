"""Floating IP port forwardings: /v2.0/floatingips/{floatingip_id}/port_forwardings[/{port_forwarding_id}]
(api-ref: network, Floating IPs port forwarding; floating-ip-port-forwarding). One external TCP or UDP port
of a floating IP is forwarded to a port and address inside; the floating IP takes the router that reaches the
internal port (neutron/services/portforwarding/pf_plugin.py) and may then carry no port of its own."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, floating_ips, ports, routers
from pocketstack.services.network import tables as t

FIELDS = ("external_port", "internal_port", "internal_ip_address", "internal_port_id", "protocol")
WRITABLE = {*FIELDS}
UPDATABLE = {*FIELDS} - {"internal_port_id"}
ATTRIBUTES = {"id", "description", *FIELDS}
PROTOCOLS = ("tcp", "udp")


def render(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r["id"], **{k: r[k] for k in FIELDS}, "description": r["description"]} for r in rows]


PORT_FORWARDINGS = common.Collection(
    "port_forwarding", "port_forwardings", t.port_forwardings, "PortForwarding", ATTRIBUTES, render,
    filters=common.column_filters(t.port_forwardings, {k: k for k in ("id", "description", *FIELDS)}),
    sort_keys={*FIELDS}, not_found_message="Port Forwarding {id} could not be found.")


# --- logic ---------------------------------------------------------------------------
def _port_number(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
            or not 1 <= int(value) <= 65535:
        raise common.invalid(name, f"Invalid port '{value}'")
    return int(value)


def checked(item: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values of a create (current None: every field but internal_ip_address required) or update."""
    out: dict[str, Any] = {}
    if current is None:
        for name in ("internal_port_id", "external_port", "internal_port", "protocol"):
            if item.get(name) is None:
                raise BadRequest(f"Failed to parse request. Required attribute '{name}' not specified")
    for name in ("external_port", "internal_port"):
        if name in item:
            out[name] = _port_number(name, item[name])
    if "protocol" in item:
        if item["protocol"] not in PROTOCOLS:
            raise common.invalid("protocol", f"'{item['protocol']}' is not in {list(PROTOCOLS)}")
        out["protocol"] = item["protocol"]
    if item.get("internal_ip_address") is not None:
        try:
            out["internal_ip_address"] = str(ipaddress.IPv4Address(item["internal_ip_address"]))
        except (ValueError, TypeError):
            raise common.invalid("internal_ip_address", f"'{item['internal_ip_address']}' is not a valid IP "
                                 "address") from None
    if "internal_port_id" in item:
        out["internal_port_id"] = str(item["internal_port_id"])
    if "description" in item:
        out["description"] = item["description"] or ""
    return out


def _router_for(conn: Connection, ctx: Context, fip: dict[str, Any], values: dict[str, Any]) -> str:
    """The internal address (the port's first IPv4 address when not given) and the router that joins its
    subnet to the floating IP's network; sets values["internal_ip_address"]."""
    port = common.load(conn, ports.PORTS, ctx, values["internal_port_id"])
    a = t.ip_allocations
    v4 = [(ip, s) for ip, s in conn.execute(sa.select(a.c.ip_address, a.c.subnet_id).where(
        a.c.port_id == port["id"])).all() if ":" not in ip]
    if not v4:
        raise BadRequest(f"Bad port_forwarding request: Port {port['id']} does not have any IPv4 address.")
    wanted = values.setdefault("internal_ip_address", v4[0][0])
    subnet_id = next((s for ip, s in v4 if ip == wanted), None)
    if subnet_id is None:
        raise BadRequest(f"Bad port_forwarding request: Requested internal IP address {wanted} is not "
                         f"suitable for internal neutron port {port['id']}, as its fixed_ips are "
                         f"{[{'subnet_id': s, 'ip_address': ip} for ip, s in v4]}")
    router_id = routers.router_for(conn, subnet_id, fip["floating_network_id"])
    if router_id is None:
        raise BadRequest(f"Bad port_forwarding request: External network {fip['floating_network_id']} is "
                         f"not reachable from subnet {subnet_id}. Cannot set Port forwarding for port "
                         f"{port['id']} with Floating IP {fip['id']}")
    if fip["router_id"] and fip["router_id"] != router_id:
        raise BadRequest(f"Bad port_forwarding request: The Floating IP {fip['id']} had been set on router "
                         f"{fip['router_id']}, the internal Neutron port {port['id']} can not reach it")
    return router_id


def _check_unique(conn: Connection, fip_id: str, row: dict[str, Any]) -> None:
    pf = t.port_forwardings
    for keys in (("floatingip_id", "external_port", "protocol"),
                 ("internal_port_id", "internal_ip_address", "internal_port", "protocol")):
        same = [pf.c[k] == row[k] for k in keys]
        clash = conn.execute(sa.select(pf.c.id).where(pf.c.id != row["id"], *same)).scalar()
        if clash:
            params = {k: row[k] for k in keys if k != "protocol"}
            raise BadRequest("Bad port_forwarding request: A duplicate port forwarding entry with same "
                             f"attributes already exists, conflicting values are {params}")


def create(conn: Connection, ctx: Context, fip: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    values = checked(item)
    if fip["port_id"]:
        raise Conflict(f"Cannot associate floating IP {fip['floating_ip_address']} ({fip['id']}) with port "
                       f"{values['internal_port_id']} using fixed IP {values.get('internal_ip_address')}, as "
                       "that fixed IP already has a floating IP on external network "
                       f"{fip['floating_network_id']}.", kind="FloatingIPPortAlreadyAssociated")
    router_id = _router_for(conn, ctx, fip, values)
    bound = conn.execute(sa.select(t.floating_ips.c.floating_ip_address, t.floating_ips.c.id).where(
        t.floating_ips.c.port_id == values["internal_port_id"],
        t.floating_ips.c.fixed_ip_address == values["internal_ip_address"])).first()
    if bound:
        raise Conflict(f"Cannot create port forwarding to floating IP {bound[0]} ({bound[1]}) with port "
                       f"{values['internal_port_id']} using fixed IP {values['internal_ip_address']}, as that "
                       "port already has a binding floating IP.", kind="PortHasBindingFloatingIP")
    row = {"id": new_uuid(), "floatingip_id": fip["id"], "description": "", **values}
    _check_unique(conn, fip["id"], row)
    conn.execute(t.port_forwardings.insert().values(**row))
    if not fip["router_id"]:
        common.touch(conn, t.floating_ips, fip["id"], router_id=router_id)
    return row


def update(conn: Connection, ctx: Context, fip: dict[str, Any], row: dict[str, Any],
           item: dict[str, Any]) -> None:
    values = checked(item, row)
    merged = {**row, **values}
    if "internal_ip_address" in values:
        _router_for(conn, ctx, fip, dict(merged))
    _check_unique(conn, fip["id"], merged)
    conn.execute(t.port_forwardings.update().where(t.port_forwardings.c.id == row["id"]).values(**values))


def delete(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(t.port_forwardings.delete().where(t.port_forwardings.c.id == row["id"]))
    left = conn.execute(sa.select(t.port_forwardings.c.id).where(
        t.port_forwardings.c.floatingip_id == row["floatingip_id"])).first()
    if left is None:
        conn.execute(t.floating_ips.update().where(t.floating_ips.c.id == row["floatingip_id"],
                                                   t.floating_ips.c.port_id.is_(None)).values(router_id=None))


def forget_port(conn: Connection, port_id: str) -> None:
    """The internal port is deleted: its forwardings go with it (neutron's port-delete callback)."""
    for row in conn.execute(sa.select(t.port_forwardings).where(
            t.port_forwardings.c.internal_port_id == port_id)).mappings().all():
        delete(conn, dict(row))


def in_use(conn: Connection, fip_id: str) -> bool:
    return conn.execute(sa.select(t.port_forwardings.c.id).where(
        t.port_forwardings.c.floatingip_id == fip_id)).first() is not None


# --- routes --------------------------------------------------------------------------
def _fip(conn: Connection, ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.load(conn, floating_ips.FLOATING_IPS, ctx, rq.params["floatingip_id"])


def _load(conn: Connection, ctx: Context, rq: ApiRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    fip = _fip(conn, ctx, rq)
    row = conn.execute(sa.select(t.port_forwardings).where(
        t.port_forwardings.c.id == rq.params["port_forwarding_id"],
        t.port_forwardings.c.floatingip_id == fip["id"])).mappings().first()
    if row is None:
        raise PORT_FORWARDINGS.not_found(rq.params["port_forwarding_id"])
    return fip, dict(row)


def list_pfs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        fip = _fip(conn, ctx, rq)
    return common.list_resources(PORT_FORWARDINGS, ctx, rq, t.port_forwardings.c.floatingip_id == fip["id"])


def show_pf(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        _, row = _load(conn, ctx, rq)
        item = render(conn, ctx, [row])[0]
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    return {"port_forwarding": common.select_fields(item, fields)}


def create_pf(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.bodies(rq, "port_forwarding", "port_forwardings", WRITABLE, bulk=False)[0]
    with db.session() as conn:
        row = create(conn, ctx, _fip(conn, ctx, rq), item)
        return {"port_forwarding": render(conn, ctx, [row])[0]}


def put_pf(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "port_forwarding", UPDATABLE)
    with db.session() as conn:
        fip, row = _load(conn, ctx, rq)
        update(conn, ctx, fip, row, item)
        _, row = _load(conn, ctx, rq)
        return {"port_forwarding": render(conn, ctx, [row])[0]}


def remove_pf(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        _, row = _load(conn, ctx, rq)
        delete(conn, row)


PF = "/v2.0/floatingips/{floatingip_id}/port_forwardings"
ONE = PF + "/{port_forwarding_id}"
_target = floating_ips.floatingip_target
_RULE = "{}_floatingip_port_forwarding"
ROUTES = [
    route("GET", PF, list_pfs, policy=_RULE.format("get"), target=_target),
    route("POST", PF, create_pf, policy=_RULE.format("create"), target=_target, status=201),
    route("GET", ONE, show_pf, policy=_RULE.format("get"), target=_target),
    route("PUT", ONE, put_pf, policy=_RULE.format("update"), target=_target),
    route("DELETE", ONE, remove_pf, policy=_RULE.format("delete"), target=_target, status=204),
]
