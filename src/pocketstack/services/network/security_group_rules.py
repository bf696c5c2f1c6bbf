"""Security group rules: /v2.0/security-group-rules[/{rule_id}] (api-ref: network, Security group rules)."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, quotas, security_groups
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
PROTOCOLS = {"ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
             "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59,
             "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6,
             "udp": 17, "udplite": 136, "vrrp": 112}
PORT_PROTOCOLS = {6, 17, 33, 132, 136}
ICMP = {1, 58}
IPV6_ONLY = {41, 43, 44, 58, 59, 60}
WRITABLE = {"security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
            "remote_ip_prefix", "remote_group_id", "remote_address_group_id"}
COLUMNS = {k: k for k in (*WRITABLE, "id", "project_id", "description", "revision_number")}
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "normalized_cidr", "belongs_to_default_sg"} - {"tags"}


# --- views ---------------------------------------------------------------------------
def render_rules(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    group_ids = {r["security_group_id"] for r in rows}
    defaults = set(conn.execute(sa.select(t.security_groups.c.id).where(
        t.security_groups.c.id.in_(group_ids), t.security_groups.c.is_default.is_(True))).scalars())
    return [security_groups.render_rule(r, defaults) for r in rows]


def visible(ctx: Context) -> Any:
    own_groups = sa.select(t.security_groups.c.id).where(t.security_groups.c.project_id == ctx.project_id)
    return sa.or_(t.security_group_rules.c.project_id == ctx.project_id,
                  t.security_group_rules.c.security_group_id.in_(own_groups))


RULES = common.Collection(
    "security_group_rule", "security_group_rules", t.security_group_rules, "SecurityGroupRule", ATTRIBUTES,
    render_rules, visible, filters={**common.column_filters(t.security_group_rules, COLUMNS),
                                    "tenant_id": lambda vs: t.security_group_rules.c.project_id.in_(vs)},
    sort_keys={"direction", "ethertype", "protocol", "port_range_min", "port_range_max", "created_at",
               "security_group_id", "remote_group_id", "remote_ip_prefix", "project_id"},
    not_found_message="Security group rule {id} does not exist")


# --- logic ---------------------------------------------------------------------------
def protocol_number(protocol: Any) -> int | None:
    if protocol is None or protocol == "any":
        return None
    text = str(protocol).lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return int(text)
    raise BadRequest(f"Security group rule protocol {protocol} not supported. Only protocol values "
                     f"{[None, *sorted(PROTOCOLS)]} and integer representations [0 to 255] are supported.",
                     kind="SecurityGroupRuleInvalidProtocol")


def _port(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise common.invalid(name, f"'{value}' is not an integer")
    return int(value)


def validate_ports(number: int | None, low: int | None, high: int | None) -> None:
    if low is None and high is None:
        return
    if number is None:
        raise BadRequest("Must also specify protocol if port range is given.",
                         kind="SecurityGroupProtocolRequiredWithPorts")
    if number in PORT_PROTOCOLS:
        for value in (low, high):
            if value is not None and not 1 <= value <= 65535:
                raise BadRequest(f"Invalid value for port {value}.", kind="SecurityGroupInvalidPortValue")
        if low is None or high is None or low > high:
            raise BadRequest("For TCP/UDP protocols, port_range_min must be <= port_range_max",
                             kind="SecurityGroupInvalidPortRange")
    elif number in ICMP:
        for field, value in (("type", low), ("code", high)):
            if value is not None and not 0 <= value <= 255:
                raise BadRequest(f"Invalid value for ICMP {field} (port-range-{'min' if field == 'type' else 'max'})"
                                 f" {value}. It must be 0 to 255.", kind="SecurityGroupInvalidIcmpValue")
        if low is None and high is not None:
            raise BadRequest(f"ICMP code (port-range-max) {high} is provided but ICMP type (port-range-min) is "
                             "missing.", kind="SecurityGroupMissingIcmpType")
    else:
        raise BadRequest("Invalid protocol for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.",
                         kind="SecurityGroupInvalidProtocolForPort")


def validate(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    direction, ethertype = item.get("direction"), item.get("ethertype", "IPv4")
    if direction not in ("ingress", "egress"):
        raise common.invalid("direction", f"{direction} is not in ['ingress', 'egress']")
    if ethertype not in ("IPv4", "IPv6"):
        raise common.invalid("ethertype", f"{ethertype} is not in ['IPv4', 'IPv6']")
    number = protocol_number(item.get("protocol"))
    if number in IPV6_ONLY and ethertype == "IPv4":
        raise BadRequest(f"Ethertype IPv4 is not supported by protocol {item.get('protocol')}.",
                         kind="SecurityGroupEthertypeConflictWithProtocol")
    low, high = _port(item.get("port_range_min"), "port_range_min"), _port(item.get("port_range_max"), "port_range_max")
    validate_ports(number, low, high)
    prefix, remote_group = item.get("remote_ip_prefix"), item.get("remote_group_id")
    if prefix and remote_group:
        raise BadRequest("Only remote_ip_prefix or remote_group_id may be provided.",
                         kind="SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if prefix:
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            raise common.invalid("remote_ip_prefix", f"'{prefix}' is not a valid IP subnet") from None
        if f"IPv{net.version}" != ethertype:
            raise BadRequest(f"Conflicting value ethertype {ethertype} for CIDR {prefix}",
                             kind="SecurityGroupRuleParameterConflict")
        prefix = str(ipaddress.ip_interface(prefix))  # as given, with its mask; normalized_cidr is the network
    if remote_group:
        common.load(conn, security_groups.GROUPS, ctx, remote_group)
    return {"direction": direction, "ethertype": ethertype, "protocol": item.get("protocol"),
            "port_range_min": low, "port_range_max": high, "remote_ip_prefix": prefix,
            "remote_group_id": remote_group, "description": item.get("description") or ""}


def normalized(prefix: str | None) -> str | None:
    """neutron's normalized_cidr: the network a remote_ip_prefix such as 10.2.3.124/24 stands for."""
    return str(ipaddress.ip_network(prefix, strict=False)) if prefix else None


def _same(a: dict[str, Any], b: Any) -> bool:
    def norm_prefix(p: Any) -> Any:
        p = normalized(p)
        return None if p in ("0.0.0.0/0", "::/0") else p
    return (a["direction"] == b["direction"] and a["ethertype"] == b["ethertype"]
            and protocol_number(a["protocol"]) == protocol_number(b["protocol"])
            and a["port_range_min"] == b["port_range_min"] and a["port_range_max"] == b["port_range_max"]
            and norm_prefix(a["remote_ip_prefix"]) == norm_prefix(b["remote_ip_prefix"])
            and a["remote_group_id"] == b["remote_group_id"])


def create_rule(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    group_id = item.get("security_group_id")
    if not group_id:
        raise BadRequest("Failed to parse request. Required attribute 'security_group_id' not specified")
    group = common.load(conn, security_groups.GROUPS, ctx, group_id)
    values = validate(conn, ctx, item)
    for existing in conn.execute(sa.select(t.security_group_rules).where(
            t.security_group_rules.c.security_group_id == group_id)).mappings():
        if _same(values, existing):
            raise Conflict(f"Security group rule already exists. Rule id is {existing['id']}.",
                           kind="SecurityGroupRuleExists")
    quotas.enforce(conn, group["project_id"], "security_group_rule")
    row = security_groups.rule_row(group_id, group["project_id"], **values)
    conn.execute(t.security_group_rules.insert().values(**row))
    common.touch(conn, t.security_groups, group_id)
    return row


# --- routes --------------------------------------------------------------------------
def rule_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, RULES, ctx, rq.params["rule_id"])
        sg_project = conn.execute(sa.select(t.security_groups.c.project_id).where(
            t.security_groups.c.id == row["security_group_id"])).scalar()
    return {"project_id": row["project_id"], "sg_project_id": sg_project}


def list_security_group_rules(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    security_groups.ensure_default_now(ctx.project_id)
    return common.list_resources(RULES, ctx, rq)


def show_security_group_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(RULES, ctx, rq, rq.params["rule_id"])


def create_security_group_rules(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "security_group_rule", "security_group_rules", WRITABLE)
    with db.session() as conn:
        rows = [create_rule(conn, ctx, item) for item in items]
        out = render_rules(conn, ctx, rows)
    return {"security_group_rules": out} if "security_group_rules" in rq.body else {"security_group_rule": out[0]}


def remove_security_group_rule(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, RULES, ctx, rq.params["rule_id"])
        conn.execute(t.security_group_rules.delete().where(t.security_group_rules.c.id == row["id"]))
        common.touch(conn, t.security_groups, row["security_group_id"])


R = "/v2.0/security-group-rules"
ROUTES = [
    route("GET", R, list_security_group_rules, policy="get_security_group_rule"),
    route("POST", R, create_security_group_rules, policy="create_security_group_rule",
          target=common.create_target("security_group_rule", "security_group_rules"), status=201),
    route("GET", R + "/{rule_id}", show_security_group_rule, policy="get_security_group_rule", target=rule_target),
    route("DELETE", R + "/{rule_id}", remove_security_group_rule, policy="delete_security_group_rule",
          target=rule_target, status=204),
]
