"""The security group proxy: /os-security-groups, /os-security-group-rules, /servers/{id}/os-security-groups
(api-ref: compute, Security groups (DEPRECATED); Rules for security group (DEPRECATED)), the network service's
security groups as nova shows them (nova/network/security_group_api.py); gone after microversion 2.35."""

from __future__ import annotations

import uuid
from typing import Any

from pocketstack.core import internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common

LAST = V("2.35", "the last version with the network proxies")
N = "/networking/v2.0"
GROUP = {"type": "object", "required": ["security_group"], "properties": {"security_group": {"type": "object"}}}
RULE = {"type": "object", "required": ["security_group_rule"],
        "properties": {"security_group_rule": {"type": "object"}}}


def _call(ctx: Context, method: str, path: str, body: Any = None) -> Any:
    r = internal_client.call(method, N + path, token=ctx.token, json=body)
    if r.status_code >= 400:
        try:
            message = r.json()["NeutronError"]["message"]
        except (ValueError, KeyError, TypeError):
            message = r.text
        raise {404: NotFound, 409: Conflict, 403: Forbidden}.get(r.status_code, BadRequest)(message)
    return r.json() if r.content else None


def render_rule(rule: dict[str, Any], groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    icmp = rule["protocol"] in ("icmp", "1")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    out: dict[str, Any] = {"id": rule["id"], "parent_group_id": rule["security_group_id"],
                           "ip_protocol": rule["protocol"],
                           "from_port": low if low is not None else (-1 if icmp or rule["protocol"] else None),
                           "to_port": high if high is not None else (-1 if icmp or rule["protocol"] else None),
                           "group": {}, "ip_range": {}}
    if rule.get("remote_group_id"):
        source = groups.get(rule["remote_group_id"], {})
        out["group"] = {"name": source.get("name"), "tenant_id": source.get("project_id")}
    else:
        out["ip_range"] = {"cidr": rule.get("remote_ip_prefix") or
                           ("0.0.0.0/0" if rule.get("ethertype") == "IPv4" else "::/0")}
    return out


def render_group(group: dict[str, Any], groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"id": group["id"], "name": group["name"], "description": group.get("description") or "",
            "tenant_id": group["project_id"],
            "rules": [render_rule(r, groups) for r in group.get("security_group_rules", [])
                      if r["direction"] == "ingress"]}


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise BadRequest(f"Security group {key} is not a string or unicode")
    if key == "name" and not value.strip():
        raise BadRequest("Security group name cannot be empty")
    if len(value) > 255:
        raise BadRequest(f"Security group {key} should not be greater than 255 characters.")
    return value


def list_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    all_tenants = ctx.is_admin and common.to_bool(rq.query.get("all_tenants", "0") or "1", "all_tenants")
    query = "" if all_tenants else f"?project_id={ctx.project_id}"
    groups = _call(ctx, "GET", "/security-groups" + query)["security_groups"]
    by_id = {g["id"]: g for g in groups}
    return {"security_groups": [render_group(g, by_id) for g in groups]}


def _uuid_like(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _one(ctx: Context, group_id: str) -> dict[str, Any]:
    r = internal_client.call("GET", f"{N}/security-groups/{group_id}", token=ctx.token)
    if r.status_code != 200:
        raise NotFound(f"Security group {group_id} not found.")
    return dict(r.json()["security_group"])


def _peers(ctx: Context, *groups: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Groups by id, for the name and tenant of rules that point at another group."""
    out = {g["id"]: g for g in _call(ctx, "GET", f"/security-groups?project_id={ctx.project_id}")["security_groups"]}
    out.update({g["id"]: g for g in groups})
    return out


def show_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    group = _one(ctx, rq.params["group_id"])
    return {"security_group": render_group(group, _peers(ctx, group))}


def create_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["security_group"]
    new = {"name": _text(body, "name"), "description": _text(body, "description")}
    group = _call(ctx, "POST", "/security-groups", {"security_group": new})["security_group"]
    return {"security_group": render_group(group, {group["id"]: group})}


def update_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["security_group"]
    _one(ctx, rq.params["group_id"])
    new = {"name": _text(body, "name"), "description": _text(body, "description")}
    group = _call(ctx, "PUT", f"/security-groups/{rq.params['group_id']}", {"security_group": new})["security_group"]
    return {"security_group": render_group(group, {group["id"]: group})}


def delete_group(ctx: Context, rq: ApiRequest) -> None:
    _one(ctx, rq.params["group_id"])
    try:
        _call(ctx, "DELETE", f"/security-groups/{rq.params['group_id']}")
    except Conflict as exc:
        raise BadRequest(exc.message) from None


def _port(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid port range {value}:{value}. {name} must be an integer.") from None


def create_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["security_group_rule"]
    if not _uuid_like(body.get("parent_group_id")):        # nova's validate_id, before any call
        raise BadRequest("Security group id should be uuid")
    parent = _one(ctx, str(body["parent_group_id"]))
    proto = (body.get("ip_protocol") or "").lower() or None
    if proto not in (None, "tcp", "udp", "icmp"):
        raise BadRequest(f"Invalid IP protocol {body.get('ip_protocol')}.")
    low, high = _port(body.get("from_port"), "from_port"), _port(body.get("to_port"), "to_port")
    if proto in ("tcp", "udp"):
        if low is None or high is None or not (1 <= low <= high <= 65535):
            raise BadRequest(f"Invalid port range {low}:{high}. Valid TCP ports should be between 1-65535")
    elif proto == "icmp" and (low is None or high is None or not (-1 <= low <= 255 and -1 <= high <= 255)):
        raise BadRequest(f"Invalid port range {low}:{high}. For ICMP, the type:code must be valid")
    rule: dict[str, Any] = {"security_group_id": parent["id"], "direction": "ingress", "ethertype": "IPv4",
                            "protocol": proto}
    if proto in ("tcp", "udp") or (proto == "icmp" and low != -1):
        rule["port_range_min"] = low
    if proto in ("tcp", "udp") or (proto == "icmp" and high != -1):
        rule["port_range_max"] = high
    peers = {parent["id"]: parent}
    if body.get("group_id"):
        remote = _one(ctx, str(body["group_id"]))
        rule["remote_group_id"] = remote["id"]
        peers[remote["id"]] = remote
    else:
        rule["remote_ip_prefix"] = body.get("cidr") or "0.0.0.0/0"
    try:
        created = _call(ctx, "POST", "/security-group-rules", {"security_group_rule": rule})["security_group_rule"]
    except Conflict:
        raise BadRequest(f"Security group rule already exists. Group id is {parent['id']}.") from None
    return {"security_group_rule": render_rule(created, peers)}


def delete_rule(ctx: Context, rq: ApiRequest) -> None:
    r = internal_client.call("DELETE", f"{N}/security-group-rules/{rq.params['rule_id']}", token=ctx.token)
    if r.status_code == 404:
        raise NotFound(f"Security group rule {rq.params['rule_id']} not found.")


def list_server_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    from pocketstack.core import db
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
    groups = _call(ctx, "GET", f"/security-groups?project_id={row['project_id']}")["security_groups"]
    by_id = {g["id"]: g for g in groups}
    return {"security_groups": [render_group(g, by_id) for g in groups if g["name"] in row["security_groups"]]}


NETWORK_FIELDS = ("id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6", "label",
                  "netmask_v6")
NETWORK_ADMIN_FIELDS = ("created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan",
                        "vpn_public_address", "vpn_public_port", "vpn_private_address", "dhcp_start", "project_id",
                        "host", "bridge_interface", "multi_host", "priority", "rxtx_base", "mtu", "dhcp_server",
                        "enable_dhcp", "share_address")


def render_network(ctx: Context, net: dict[str, Any], admin_fields: bool = True) -> dict[str, Any]:
    """nova's network_dict: now that nova-network is gone, two fields of thirty carry data; the tenant
    networks view has three (id, cidr, label)."""
    if not admin_fields:
        return {"id": net["id"], "cidr": None, "label": net["name"]}
    fields = NETWORK_FIELDS + (NETWORK_ADMIN_FIELDS if ctx.is_admin else ())
    return {f: net["id"] if f == "id" else net["name"] if f == "label" else None for f in fields}


def list_networks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    nets = _call(ctx, "GET", "/networks")["networks"]
    admin = not rq.path.rstrip("/").endswith("os-tenant-networks")
    return {"networks": [render_network(ctx, n, admin) for n in nets]}


def show_network(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    r = internal_client.call("GET", f"{N}/networks/{rq.params['network_id']}", token=ctx.token)
    if r.status_code != 200:
        raise NotFound("Network not found")
    admin = "os-tenant-networks" not in rq.path
    return {"network": render_network(ctx, r.json()["network"], admin)}


G, R = "/v2.1/os-security-groups", "/v2.1/os-security-group-rules"
P = "os_compute_api:os-security-groups:"
ROUTES = [
    route("GET", G, list_groups, policy=P + "get", max_version=LAST),
    common.not_found_route("DELETE", G),
    route("POST", G, create_group, policy=P + "create", body=GROUP, max_version=LAST),
    route("GET", G + "/{group_id}", show_group, policy=P + "show", max_version=LAST),
    route("PUT", G + "/{group_id}", update_group, policy=P + "update", body=GROUP, max_version=LAST),
    route("DELETE", G + "/{group_id}", delete_group, policy=P + "delete", max_version=LAST, status=202),
    route("POST", R, create_rule, policy=P + "rule:create", body=RULE, max_version=LAST),
    route("DELETE", R + "/{rule_id}", delete_rule, policy=P + "rule:delete", max_version=LAST, status=202),
    route("GET", "/v2.1/servers/{server_id}/os-security-groups", list_server_groups, policy=P + "list",
          target=common.server_target, max_version=LAST),
    route("GET", "/v2.1/os-networks", list_networks, policy="os_compute_api:os-networks:list", max_version=LAST),
    route("GET", "/v2.1/os-networks/{network_id}", show_network, policy="os_compute_api:os-networks:show",
          max_version=LAST),
    route("GET", "/v2.1/os-tenant-networks", list_networks, policy="os_compute_api:os-tenant-networks:list",
          max_version=LAST),
    route("GET", "/v2.1/os-tenant-networks/{network_id}", show_network,
          policy="os_compute_api:os-tenant-networks:show", max_version=LAST),
]
