"""Ports: /v2.0/ports[/{port_id}] (api-ref: network, Ports; binding, allowed-address-pairs,
extra_dhcp_opt, port-security, port-mac-address-regenerate, ip-substring-filtering,
port-security-groups-filtering, uplink-status-propagation, tag-ports-during-bulk-creation, dns-integration,
dns-domain-ports, port-resource-request)."""

from __future__ import annotations

import ipaddress
import random
import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, dns, ipam, networks, port_resource_request, nova_notifier, qos, quotas, security_groups
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
BINDING = {"binding:host_id": "binding_host_id", "binding:vnic_type": "binding_vnic_type",
           "binding:profile": "binding_profile", "binding:vif_type": "binding_vif_type",
           "binding:vif_details": "binding_vif_details"}
ADMIN_ONLY = ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details")
VNIC_TYPES = ("normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic",
              "vdpa", "remote-managed", "accelerator-direct", "accelerator-direct-physical")
WRITABLE = {"name", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
            "security_groups", "port_security_enabled", "allowed_address_pairs", "extra_dhcp_opts",
            "binding:host_id", "binding:vnic_type", "binding:profile", "qos_policy_id", "propagate_uplink_status",
            "dns_name", "dns_domain"}
UPDATABLE = WRITABLE - {"network_id", "propagate_uplink_status"}
READ_ONLY_ON_UPDATE = ("propagate_uplink_status",)   # allow_put False (no uplink-status-propagation-updatable)
SERVICE_OWNERS = ("network:router_interface", "network:router_gateway", "network:floatingip",
                  "network:router_interface_distributed", "network:ha_router_replicated_interface")
MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
VIF_DETAILS = {"port_filter": True, "connectivity": "l2", "bridge_name": "br-int", "datapath_type": "system",
               "bound_drivers": {"0": "ovn"}}
COLUMNS = {k: k for k in ("id", "name", "network_id", "mac_address", "admin_state_up", "status", "device_id",
                          "device_owner", "project_id", "description", "revision_number", "port_security_enabled",
                          "propagate_uplink_status", "dns_name", "dns_domain")}
COLUMNS.update({"tenant_id": "project_id", "binding:host_id": "binding_host_id",
                "binding:vnic_type": "binding_vnic_type"})
ATTRIBUTES = {*common.STANDARD, *COLUMNS, *BINDING, "fixed_ips", "security_groups", "allowed_address_pairs",
              "extra_dhcp_opts", "ip_address_substr", "qos_policy_id", "dns_assignment",
              "resource_request"}


# --- views ---------------------------------------------------------------------------
def render_ports(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags = common.tags_of(conn, ids)
    ips: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
    for a in conn.execute(sa.select(t.ip_allocations).where(t.ip_allocations.c.port_id.in_(ids)).order_by(
            t.ip_allocations.c.position, t.ip_allocations.c.ip_address)).mappings():
        ips[a["port_id"]].append({"subnet_id": a["subnet_id"], "ip_address": a["ip_address"]})
    groups: dict[str, list[str]] = {i: [] for i in ids}
    for port_id, group_id in conn.execute(sa.select(t.port_security_groups).where(
            t.port_security_groups.c.port_id.in_(ids))):
        groups[port_id].append(group_id)
    policies = qos.bindings_of(conn, ids)
    from pocketstack.services.network import trunks
    details = trunks.trunk_details(conn, ids)
    out = [{**render_port(ctx, r, ips[r["id"]], sorted(groups[r["id"]]), tags[r["id"]]),
            "qos_policy_id": policies.get(r["id"])} for r in rows]
    if ctx.is_admin:                                          # get_port:resource_request is admin-only
        requests = port_resource_request.resource_requests(conn, rows)
        for item in out:
            item["resource_request"] = requests[item["id"]]
    for item in out:
        if item["id"] in details:
            item["trunk_details"] = details[item["id"]]
    return out


def render_port(ctx: Context, row: Any, fixed_ips: list[dict[str, str]], groups: list[str],
                tags: list[str]) -> dict[str, Any]:
    out = common.standard_view(row, tags)
    out.update({k: row[k] for k in ("network_id", "mac_address", "admin_state_up", "status", "device_id",
                                    "device_owner", "port_security_enabled", "allowed_address_pairs",
                                    "extra_dhcp_opts", "propagate_uplink_status", "dns_name", "dns_domain")})
    out.update({"fixed_ips": fixed_ips, "security_groups": groups,
                "dns_assignment": dns.assignment(row["dns_name"], fixed_ips)})
    out.update({attr: row[col] for attr, col in BINDING.items() if ctx.is_admin or attr not in ADMIN_ONLY})
    return out


def visible(ctx: Context) -> Any:
    owned = sa.select(t.networks.c.id).where(t.networks.c.project_id == ctx.project_id)
    return sa.or_(t.ports.c.project_id == ctx.project_id, t.ports.c.network_id.in_(owned))


def fixed_ips_filter(values: list[str]) -> Any:
    clauses = []
    for value in values:
        key, _, wanted = value.partition("=")
        a = t.ip_allocations
        if key == "ip_address_substr":
            cond = a.c.ip_address.like(f"%{wanted}%")
        elif key in ("ip_address", "subnet_id"):
            cond = a.c[key] == wanted
        else:
            raise BadRequest(f"Invalid fixed_ips filter: {value}")
        clauses.append(sa.exists().where(a.c.port_id == t.ports.c.id, cond))
    return sa.and_(*clauses)


PORTS = common.Collection(
    "port", "ports", t.ports, "Port", ATTRIBUTES, render_ports, visible,
    filters={**common.column_filters(t.ports, COLUMNS), "fixed_ips": fixed_ips_filter,
             "ip_address_substr": lambda vs: sa.exists().where(t.ip_allocations.c.port_id == t.ports.c.id,
                                                               t.ip_allocations.c.ip_address.like(f"%{vs[0]}%")),
             "security_groups": lambda vs: sa.exists().where(
                 t.port_security_groups.c.port_id == t.ports.c.id,
                 t.port_security_groups.c.security_group_id.in_(vs))},
    sort_keys={"name", "network_id", "mac_address", "admin_state_up", "status", "device_id", "device_owner",
               "project_id", "created_at", "updated_at", "revision_number", "description"})


# --- logic: values -------------------------------------------------------------------
def new_mac(conn: Connection, network_id: str) -> str:
    while True:
        mac = "fa:16:3e:%02x:%02x:%02x" % tuple(random.randint(0, 255) for _ in range(3))
        if not mac_taken(conn, network_id, mac):
            return mac


def mac_taken(conn: Connection, network_id: str, mac: str) -> bool:
    return conn.execute(sa.select(t.ports.c.id).where(t.ports.c.network_id == network_id,
                                                      t.ports.c.mac_address == mac)).first() is not None


def parse_mac(conn: Connection, network_id: str, mac: Any) -> str:
    if not isinstance(mac, str) or not MAC.match(mac) or int(mac[:2], 16) & 1 or mac in (
            "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
        raise common.invalid("mac_address", f"'{mac}' is not a valid MAC address")
    mac = mac.lower().replace("-", ":")
    if mac_taken(conn, network_id, mac):
        raise Conflict(f"Unable to complete operation for network {network_id}. The mac address {mac} is in use.",
                       kind="MacAddressInUse")
    return mac


def parse_pairs(pairs: Any) -> list[dict[str, str]]:
    if not isinstance(pairs, list):
        raise common.invalid("allowed_address_pairs", f"'{pairs}' is not a list")
    out, seen = [], set()
    for pair in pairs:
        if not isinstance(pair, dict) or "ip_address" not in pair or set(pair) - {"ip_address", "mac_address"}:
            raise BadRequest("AllowedAddressPair must contain ip_address", kind="AllowedAddressPairsMissingIP")
        try:
            ip = str(ipaddress.ip_interface(pair["ip_address"]).ip if "/" not in pair["ip_address"] else
                     ipaddress.ip_network(pair["ip_address"], strict=False))
        except (ValueError, TypeError):
            raise common.invalid("allowed_address_pairs", f"'{pair['ip_address']}' is not a valid IP address") \
                from None
        key = (pair["ip_address"], pair.get("mac_address"))
        if key in seen:
            raise BadRequest(f"Request contains duplicate address pair: mac_address {key[1]} ip_address {key[0]}.",
                             kind="DuplicateAddressPairInRequest")
        seen.add(key)
        out.append({"ip_address": ip if "/" in pair["ip_address"] else pair["ip_address"], **(
            {"mac_address": pair["mac_address"]} if pair.get("mac_address") else {})})
    return out


def parse_dhcp_opts(opts: Any, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(opts, list):
        raise common.invalid("extra_dhcp_opts", f"'{opts}' is not a list")
    merged = {(o["opt_name"], o["ip_version"]): o for o in current}
    for opt in opts:
        if not isinstance(opt, dict) or not opt.get("opt_name"):
            raise common.invalid("extra_dhcp_opts", f"'{opt}' is not a valid extra DHCP option")
        version = int(opt.get("ip_version", 4))
        if opt.get("opt_value") is None:
            merged.pop((opt["opt_name"], version), None)
        else:
            merged[(opt["opt_name"], version)] = {"opt_name": opt["opt_name"], "opt_value": str(opt["opt_value"]),
                                                  "ip_version": version}
    return list(merged.values())


def with_pairs_mac(pairs: list[dict[str, str]], mac: str) -> list[dict[str, str]]:
    return [{"ip_address": p["ip_address"], "mac_address": p.get("mac_address") or mac} for p in pairs]


# --- logic: addresses ----------------------------------------------------------------
def subnets_of(conn: Connection, network_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(t.subnets).where(t.subnets.c.network_id == network_id)
                                          .order_by(t.subnets.c.created_at, t.subnets.c.id)).mappings()]


def requested_ips(conn: Connection, network_id: str, fixed_ips: Any) -> list[tuple[dict[str, Any], str | None]]:
    if not isinstance(fixed_ips, list):
        raise common.invalid("fixed_ips", f"'{fixed_ips}' is not a list")
    available = subnets_of(conn, network_id)
    out = []
    for entry in fixed_ips:
        if not isinstance(entry, dict) or not entry or set(entry) - {"subnet_id", "ip_address"}:
            raise common.invalid("fixed_ips", f"Invalid data format for fixed IP: '{entry}'")
        ip, subnet_id = entry.get("ip_address"), entry.get("subnet_id")
        if subnet_id:
            subnet = next((s for s in available if s["id"] == subnet_id), None)
            if subnet is None:
                if conn.execute(sa.select(t.subnets.c.id).where(t.subnets.c.id == subnet_id)).first():
                    raise BadRequest(f"Invalid input for operation: Failed to create port on network {network_id}, "
                                     f"because fixed_ips included invalid subnet {subnet_id}.", kind="InvalidInput")
                raise NotFound(f"Subnet {subnet_id} could not be found.", kind="SubnetNotFound")
        else:
            try:
                address = ipaddress.ip_address(ip)
            except (ValueError, TypeError):
                raise common.invalid("fixed_ips", f"'{ip}' is not a valid IP address") from None
            subnet = next((s for s in available if address in ipam.network_of(s["cidr"])), None)
            if subnet is None:
                raise BadRequest(f"Invalid input for operation: IP address {ip} is not a valid IP for the defined "
                                 "networks subnets.", kind="InvalidInput")
        out.append((subnet, ip))
    return out


def default_ips(conn: Connection, network_id: str, device_owner: str) -> list[tuple[dict[str, Any], None]]:
    """One IPv4 subnet, one stateful IPv6 subnet and every SLAAC subnet (service types permitting)."""
    usable = [s for s in subnets_of(conn, network_id)
              if not s["service_types"] or device_owner in s["service_types"]]
    chosen = [s for s in usable if ipam.is_auto(s)]
    for version in (4, 6):
        candidates = [s for s in usable if s["ip_version"] == version and not ipam.is_auto(s)]
        free = [s for s in candidates if ipam.has_free(conn, s)] if len(candidates) > 1 else candidates
        if candidates:
            chosen.append(free[0] if free else candidates[0])
    return [(s, None) for s in chosen]


def assign_ips(conn: Connection, port_id: str, mac: str, wanted: list[tuple[dict[str, Any], str | None]],
               start: int = 0) -> None:
    for i, (subnet, ip) in enumerate(wanted):
        ipam.allocate(conn, subnet, port_id, mac, ip, position=start + i)


def set_groups(conn: Connection, ctx: Context, port_id: str, group_ids: list[str]) -> None:
    if not isinstance(group_ids, list):
        raise common.invalid("security_groups", f"'{group_ids}' is not a list")
    if dupes := [g for g in dict.fromkeys(group_ids) if group_ids.count(g) > 1]:
        raise common.invalid("security_groups", f"Duplicate items in the list: '{', '.join(map(str, dupes))}'")
    groups = [common.load(conn, security_groups.GROUPS, ctx, group_id) for group_id in group_ids]
    if len({bool(g["stateful"]) for g in groups}) > 1:
        raise Conflict("Error Cannot apply both stateful and stateless security groups on the same port at the "
                       "same time while attempting the operation.", kind="SecurityGroupConflict")
    conn.execute(t.port_security_groups.delete().where(t.port_security_groups.c.port_id == port_id))
    for group_id in group_ids:
        conn.execute(t.port_security_groups.insert().values(port_id=port_id, security_group_id=group_id))


# --- logic: create / update / delete -------------------------------------------------
def network_target(network: dict[str, Any], project_id: str) -> dict[str, Any]:
    return {"project_id": project_id, "network_project_id": network["project_id"]}


def create_port(conn: Connection, ctx: Context, item: dict[str, Any], *, internal: bool = False) -> dict[str, Any]:
    """A port; `internal` ports (router and floating IP plumbing) skip policy and quota."""
    if not item.get("network_id"):
        raise BadRequest("Failed to parse request. Required attribute 'network_id' not specified")
    network = common.load(conn, networks.NETWORKS, ctx if not internal else _admin(ctx), item["network_id"])
    project_id = item.get("project_id", "") if internal else common.owner(ctx, item)
    owner = item.get("device_owner") or ""
    if not internal:
        target = network_target(network, project_id)
        checked = {k: v for k, v in item.items() if k != "device_owner" or str(v).startswith("network:")}
        common.enforce_attrs(ctx, "create", "port", checked, target, {"port_security_enabled": None})
        if any(isinstance(f, dict) and f.get("ip_address") for f in item.get("fixed_ips") or []):
            common.enforce(ctx, "create_port:fixed_ips:ip_address", target)
        quotas.enforce(conn, project_id, "port")
    port_id = new_uuid()
    mac = parse_mac(conn, network["id"], item["mac_address"]) if item.get("mac_address") else \
        new_mac(conn, network["id"])
    security = common.to_bool(item.get("port_security_enabled", network["port_security_enabled"]),
                              "port_security_enabled")
    pairs = parse_pairs(item.get("allowed_address_pairs") or [])
    if pairs and not security:
        raise Conflict("Port Security must be enabled in order to have allowed address pairs on a port.",
                       kind="AddressPairAndPortSecurityRequired")
    groups = item.get("security_groups")
    if groups and not security:
        raise BadRequest("Port security must be enabled and port must have an IP address in order to use "
                         "security groups.", kind="PortSecurityAndIPRequiredForSecurityGroups")
    vnic = item.get("binding:vnic_type", "normal")
    if vnic not in VNIC_TYPES:
        raise common.invalid("binding:vnic_type", f"{vnic} is not in {list(VNIC_TYPES)}")
    host = item.get("binding:host_id") or ""
    row = common.new_row(
        id=port_id, project_id=project_id, name=item.get("name") or "", network_id=network["id"], mac_address=mac,
        admin_state_up=common.to_bool(item.get("admin_state_up", True), "admin_state_up"),
        status=status_for(owner, host), device_id=item.get("device_id") or "", device_owner=owner,
        binding_host_id=host, binding_vnic_type=vnic, binding_profile=item.get("binding:profile") or {},
        binding_vif_type="ovs" if host else "unbound", binding_vif_details=VIF_DETAILS if host else {},
        port_security_enabled=security, allowed_address_pairs=with_pairs_mac(pairs, mac),
        extra_dhcp_opts=parse_dhcp_opts(item.get("extra_dhcp_opts") or [], []),
        dns_name=dns.dns_name(item.get("dns_name", "")), dns_domain=dns.dns_domain(item.get("dns_domain", "")),
        propagate_uplink_status=common.to_bool(item.get("propagate_uplink_status", False),
                                               "propagate_uplink_status"),
        description=item.get("description", ""))
    conn.execute(t.ports.insert().values(**row))
    wanted = requested_ips(conn, network["id"], item["fixed_ips"]) if "fixed_ips" in item else \
        default_ips(conn, network["id"], owner)
    assign_ips(conn, port_id, mac, wanted)
    if groups is None and security and not owner.startswith("network:") and project_id:
        groups = [security_groups.ensure_default(conn, project_id)]
    set_groups(conn, ctx if not internal else _admin(ctx), port_id, groups or [])
    common.set_tags(conn, port_id, common.validate_tags(item["tags"]) if "tags" in item else [])
    if item.get("qos_policy_id"):
        qos.bind(conn, ctx, "port", port_id, item["qos_policy_id"])
    return row


def _admin(ctx: Context) -> Context:
    return Context(request_id=ctx.request_id, user_id=ctx.user_id, project_id=ctx.project_id, roles=["admin"])


DHCP = "network:dhcp"


def serve_dhcp(conn: Connection, ctx: Context, network: dict[str, Any], subnet: dict[str, Any]) -> None:
    """What the DHCP agent does for a network it hosts: one `network:dhcp` port holding an address of
    every DHCP-enabled subnet (neutron's DeviceManager.setup)."""
    b = t.agent_bindings
    agent = conn.execute(sa.select(t.agents.c.host).join(b, b.c.agent_id == t.agents.c.id).where(
        b.c.resource_id == network["id"], t.agents.c.agent_type == "DHCP agent")).scalar()
    if agent is None:
        return
    port = conn.execute(sa.select(t.ports).where(t.ports.c.network_id == network["id"],
                                                 t.ports.c.device_owner == DHCP)).mappings().first()
    if port is None:
        create_port(conn, ctx, {"network_id": network["id"], "device_owner": DHCP,
                                "project_id": network["project_id"], "binding:host_id": agent,
                                "device_id": f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, agent)}-{network['id']}",
                                "fixed_ips": [{"subnet_id": subnet["id"]}]}, internal=True)
        return
    position = conn.execute(sa.select(sa.func.count()).select_from(t.ip_allocations).where(
        t.ip_allocations.c.port_id == port["id"])).scalar_one()
    ipam.allocate(conn, subnet, port["id"], port["mac_address"], position=position)


def status_for(owner: str, host: str) -> str:
    """Service ports are ACTIVE; a bound port too, unless the dataplane wires ports (then it turns ACTIVE
    when its device is on the bridge)."""
    from pocketstack.services.network import dataplane
    if owner.startswith("network:"):
        return "ACTIVE"
    return "ACTIVE" if host and not dataplane.current().wires_ports else "DOWN"


def update_port(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    network = conn.execute(sa.select(t.networks).where(t.networks.c.id == row["network_id"])).mappings().one()
    target = network_target(dict(network), row["project_id"])
    changed = {k: v for k, v in item.items() if k not in COLUMNS or row.get(COLUMNS[k]) != v}
    changed.pop("device_owner", None) if not str(item.get("device_owner", "")).startswith("network:") else None
    common.enforce_attrs(ctx, "update", "port", changed, target, {})
    values: dict[str, Any] = {k: item[k] for k in ("name", "description", "device_id", "device_owner") if k in item}
    if "dns_name" in item:
        values["dns_name"] = dns.dns_name(item["dns_name"])
    if "dns_domain" in item:
        values["dns_domain"] = dns.dns_domain(item["dns_domain"])
    if "admin_state_up" in item:
        values["admin_state_up"] = common.to_bool(item["admin_state_up"], "admin_state_up")
        # the L2 agent reports an administratively down port DOWN, and a port brought back up as before
        values["status"] = status_for(item.get("device_owner", row["device_owner"]), row["binding_host_id"]) \
            if values["admin_state_up"] else "DOWN"
    mac = row["mac_address"]
    if "mac_address" in item and item["mac_address"] != mac:
        if row["binding_vif_type"] not in ("unbound", "binding_failed"):
            raise Conflict(f"Unable to complete operation on port {row['id']}, port is already bound, port type: "
                           f"{row['binding_vif_type']}, old_mac {mac}, new_mac {item['mac_address']}.",
                           kind="PortBound")
        mac = values["mac_address"] = new_mac(conn, row["network_id"]) if item["mac_address"] is None else \
            parse_mac(conn, row["network_id"], item["mac_address"])
    security = common.to_bool(item.get("port_security_enabled", row["port_security_enabled"]),
                              "port_security_enabled")
    values["port_security_enabled"] = security
    pairs = parse_pairs(item["allowed_address_pairs"] or []) if "allowed_address_pairs" in item else \
        row["allowed_address_pairs"]
    if pairs and not security:
        raise Conflict("Port Security must be enabled in order to have allowed address pairs on a port.",
                       kind="AddressPairAndPortSecurityRequired")
    values["allowed_address_pairs"] = with_pairs_mac(pairs, mac)
    if "extra_dhcp_opts" in item:
        values["extra_dhcp_opts"] = parse_dhcp_opts(item["extra_dhcp_opts"] or [], row["extra_dhcp_opts"])
    update_binding(row, item, values)
    if "security_groups" in item:
        if item["security_groups"] and not security:
            raise BadRequest("Port security must be enabled and port must have an IP address in order to use "
                             "security groups.", kind="PortSecurityAndIPRequiredForSecurityGroups")
        set_groups(conn, ctx, row["id"], item["security_groups"] or [])
    elif not security and conn.execute(sa.select(t.port_security_groups).where(
            t.port_security_groups.c.port_id == row["id"])).first():
        raise Conflict("Port has security group associated. Cannot disable port security or IP address until "
                       "security group is removed", kind="PortSecurityPortHasSecurityGroup")
    if "fixed_ips" in item:
        update_fixed_ips(conn, row, mac, item["fixed_ips"] or [])
    elif mac != row["mac_address"]:
        readdress_slaac(conn, row, mac)
    if "qos_policy_id" in item:
        qos.bind(conn, ctx, "port", row["id"], item["qos_policy_id"])
    common.touch(conn, t.ports, row["id"], **values)


def update_binding(row: dict[str, Any], item: dict[str, Any], values: dict[str, Any]) -> None:
    if "binding:vnic_type" in item:
        if item["binding:vnic_type"] not in VNIC_TYPES:
            raise common.invalid("binding:vnic_type", f"{item['binding:vnic_type']} is not in {list(VNIC_TYPES)}")
        values["binding_vnic_type"] = item["binding:vnic_type"]
    if "binding:profile" in item:
        values["binding_profile"] = item["binding:profile"] or {}
    if "binding:host_id" in item:
        host = item["binding:host_id"] or ""
        values.update(binding_host_id=host, binding_vif_type="ovs" if host else "unbound",
                      binding_vif_details=VIF_DETAILS if host else {},
                      status=status_for(values.get("device_owner", row["device_owner"]), host))
    elif "device_owner" in values:
        values["status"] = status_for(values["device_owner"], row["binding_host_id"])


def update_fixed_ips(conn: Connection, row: dict[str, Any], mac: str, fixed_ips: list[Any]) -> None:
    current = [(a["subnet_id"], a["ip_address"]) for a in conn.execute(
        sa.select(t.ip_allocations).where(t.ip_allocations.c.port_id == row["id"])).mappings()]
    wanted = requested_ips(conn, row["network_id"], fixed_ips)
    keep: set[tuple[str, str]] = set()
    new: list[tuple[dict[str, Any], str | None]] = []
    for subnet, ip in wanted:
        match = next((c for c in current if c not in keep and c[0] == subnet["id"] and
                      (ip is None or ipaddress.ip_address(ip) == ipaddress.ip_address(c[1]))), None)
        if match:
            keep.add(match)
        else:
            new.append((subnet, ip))
    ipam.release(conn, row["id"], keep)
    assign_ips(conn, row["id"], mac, new, start=len(keep))


def readdress_slaac(conn: Connection, row: dict[str, Any], mac: str) -> None:
    for a in conn.execute(sa.select(t.ip_allocations).where(t.ip_allocations.c.port_id == row["id"])).mappings().all():
        subnet = conn.execute(sa.select(t.subnets).where(t.subnets.c.id == a["subnet_id"])).mappings().one()
        if ipam.is_auto(subnet):
            conn.execute(t.ip_allocations.update().where(t.ip_allocations.c.subnet_id == a["subnet_id"],
                                                         t.ip_allocations.c.ip_address == a["ip_address"])
                         .values(ip_address=ipam.eui64(subnet["cidr"], mac)))


def delete_port(conn: Connection, row: dict[str, Any], *, internal: bool = False) -> None:
    if not internal and row["device_owner"] in SERVICE_OWNERS:
        raise Conflict(f"Port {row['id']} cannot be deleted directly via the port API: has device owner "
                       f"{row['device_owner']}.", kind="ServicePortInUse")
    from pocketstack.services.network import port_forwardings, trunks
    trunks.check_port_deletable(conn, row["id"])
    trunks.release_subport(conn, row["id"])
    port_forwardings.forget_port(conn, row["id"])
    conn.execute(t.port_bindings.delete().where(t.port_bindings.c.port_id == row["id"]))
    conn.execute(t.floating_ips.update().where(t.floating_ips.c.port_id == row["id"]).values(
        port_id=None, fixed_ip_address=None, router_id=None, status="DOWN"))
    ipam.release(conn, row["id"])
    conn.execute(t.port_security_groups.delete().where(t.port_security_groups.c.port_id == row["id"]))
    qos.unbind(conn, row["id"])
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    conn.execute(t.ports.delete().where(t.ports.c.id == row["id"]))


# --- routes --------------------------------------------------------------------------
def port_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, PORTS, ctx, rq.params["port_id"])
        network_project = conn.execute(sa.select(t.networks.c.project_id).where(
            t.networks.c.id == row["network_id"])).scalar()
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "network_project_id": network_project}


def list_ports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(PORTS, ctx, rq)


def show_port(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(PORTS, ctx, rq, rq.params["port_id"])


def create_ports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "port", "ports", WRITABLE)
    with db.session() as conn:
        rows = [create_port(conn, ctx, item) for item in items]
        out = render_ports(conn, ctx, rows)
    common.notify_created(ctx, "port", out)
    return {"ports": out} if "ports" in rq.body else {"port": out[0]}


def put_port(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "port", UPDATABLE, READ_ONLY_ON_UPDATE)
    with db.session() as conn:
        row = common.load(conn, PORTS, ctx, rq.params["port_id"])
        common.check_revision(rq, row)
        update_port(conn, ctx, row, item)
        after = conn.execute(sa.select(t.ports).where(t.ports.c.id == row["id"])).mappings().one()
    # nova caches a server port's addresses: tell it when they change (neutron notifies on every update of a
    # compute port; the other changes concern nothing nova shows)
    if "fixed_ips" in item:
        nova_notifier.send(ctx, [e for e in [nova_notifier.port_event(after)] if e])
    return common.show_resource(PORTS, ctx, rq, row["id"])


def remove_port(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, PORTS, ctx, rq.params["port_id"])
        common.check_revision(rq, row)
        common.notify_deleted(conn, PORTS, ctx, row)
        delete_port(conn, row)
    nova_notifier.send(ctx, [e for e in [nova_notifier.port_event(row, nova_notifier.VIF_DELETED)] if e])


P = "/v2.0/ports"
ROUTES = [
    route("GET", P, list_ports, policy="get_port"),
    route("POST", P, create_ports, policy="create_port", target=common.create_target("port", "ports"), status=201),
    route("GET", P + "/{port_id}", show_port, policy="get_port", target=port_target),
    route("PUT", P + "/{port_id}", put_port, policy="update_port",
          target=common.body_first(port_target, "port", UPDATABLE, READ_ONLY_ON_UPDATE)),
    route("DELETE", P + "/{port_id}", remove_port, policy="delete_port", target=port_target, status=204),
]
