"""What the dataplane should look like, read in one snapshot from the Networking tables. The kernel is made
to match it; nothing of the dataplane is stored anywhere else."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.services.network import tables as t


@dataclass
class Subnet:
    id: str
    network_id: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    dns_nameservers: list[str]
    host_routes: list[dict[str, str]]
    ipv6_address_mode: str | None
    ipv6_ra_mode: str | None = None

    @property
    def prefixlen(self) -> int:
        return ipaddress.ip_network(self.cidr).prefixlen


@dataclass
class Port:
    id: str
    network_id: str
    mac: str
    owner: str
    device_id: str
    host: str
    status: str
    admin_state_up: bool
    port_security: bool
    project_id: str
    dns_name: str
    pairs: list[dict[str, str]]
    extra_dhcp_opts: list[dict[str, Any]]
    ips: list[tuple[str, str]] = field(default_factory=list)       # (subnet_id, address)
    groups: list[str] = field(default_factory=list)
    limits: list[tuple[str, int, int]] = field(default_factory=list)  # QoS (direction, max_kbps, burst_kbps)
    parent: str | None = None       # a trunk subport: its trunk's parent port, and its VLAN id on it
    vlan: int = 0

    @property
    def is_service(self) -> bool:
        return self.owner.startswith("network:")


@dataclass
class Network:
    id: str
    mtu: int
    external: bool
    admin_state_up: bool
    subnets: list[Subnet] = field(default_factory=list)


@dataclass
class FloatingIp:
    id: str
    address: str
    fixed: str
    port_id: str
    status: str


@dataclass
class Forwarding:
    address: str                    # the floating IP
    protocol: str
    external_port: int
    internal_ip: str
    internal_port: int


@dataclass
class Router:
    id: str
    admin_state_up: bool
    enable_snat: bool
    routes: list[dict[str, str]]
    gw_port: Port | None = None
    interfaces: list[Port] = field(default_factory=list)
    floating_ips: list[FloatingIp] = field(default_factory=list)
    forwardings: list[Forwarding] = field(default_factory=list)


@dataclass
class Rule:
    direction: str
    ethertype: str
    protocol: str | None
    port_min: int | None
    port_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None
    remote_address_group_id: str | None = None


@dataclass
class Group:
    id: str
    stateful: bool
    rules: list[Rule] = field(default_factory=list)


@dataclass
class State:
    networks: dict[str, Network]
    subnets: dict[str, Subnet]
    ports: dict[str, Port]
    routers: dict[str, Router]
    groups: dict[str, Group]

    def routed(self, network_id: str) -> bool:
        return any(p.network_id == network_id for r in self.routers.values() for p in r.interfaces)

    def subnet_of(self, subnet_id: str) -> Subnet | None:
        return self.subnets.get(subnet_id)

    def members(self, group_id: str, version: int) -> list[str]:
        """Addresses of every port in a group (and their allowed address pairs), for remote-group rules."""
        out = []
        for port in self.ports.values():
            if group_id in port.groups:
                out += [ip for _, ip in port.ips if ipaddress.ip_address(ip).version == version]
                out += [p["ip_address"] for p in port.pairs if ipaddress.ip_network(
                    p["ip_address"], strict=False).version == version]
        return out


def read() -> State:
    with db.reader() as conn:
        subnets = {r["id"]: Subnet(r["id"], r["network_id"], r["ip_version"], r["cidr"], r["gateway_ip"],
                                   r["enable_dhcp"], list(r["dns_nameservers"] or []), list(r["host_routes"] or []),
                                   r["ipv6_address_mode"], r["ipv6_ra_mode"])
                   for r in conn.execute(sa.select(t.subnets).order_by(t.subnets.c.created_at)).mappings()}
        networks = {r["id"]: Network(r["id"], r["mtu"], r["external"], r["admin_state_up"])
                    for r in conn.execute(sa.select(t.networks)).mappings()}
        for s in subnets.values():
            if s.network_id in networks:
                networks[s.network_id].subnets.append(s)
        ports = {r["id"]: Port(r["id"], r["network_id"], r["mac_address"], r["device_owner"], r["device_id"],
                               r["binding_host_id"], r["status"], r["admin_state_up"], r["port_security_enabled"],
                               r["project_id"], r["dns_name"], list(r["allowed_address_pairs"] or []),
                               list(r["extra_dhcp_opts"] or []))
                 for r in conn.execute(sa.select(t.ports)).mappings()}
        for a in conn.execute(sa.select(t.ip_allocations).order_by(t.ip_allocations.c.position)).mappings():
            if a["port_id"] in ports:
                ports[a["port_id"]].ips.append((a["subnet_id"], a["ip_address"]))
        for port_id, group_id in conn.execute(sa.select(t.port_security_groups)):
            if port_id in ports:
                ports[port_id].groups.append(group_id)
        limits: dict[str, list[tuple[str, int, int]]] = {}
        for r in conn.execute(sa.select(t.qos_rules).where(t.qos_rules.c.type == "bandwidth_limit")).mappings():
            limits.setdefault(r["policy_id"], []).append((r["direction"] or "egress", r["max_kbps"] or 0,
                                                          r["max_burst_kbps"] or 0))
        policy_of = dict(conn.execute(sa.select(t.qos_bindings.c.resource_id, t.qos_bindings.c.policy_id)).all())
        for port in ports.values():        # the port's own policy, else its network's (neutron's precedence)
            policy = policy_of.get(port.id) or (None if port.is_service else policy_of.get(port.network_id))
            port.limits = sorted(limits.get(policy, [])) if policy else []
        for r in conn.execute(sa.select(t.trunk_subports.c.port_id, t.trunk_subports.c.segmentation_id,
                                        t.trunks.c.port_id.label("parent")).join(
                t.trunks, t.trunks.c.id == t.trunk_subports.c.trunk_id)).mappings():
            if r["port_id"] in ports and r["parent"] in ports:
                ports[r["port_id"]].parent, ports[r["port_id"]].vlan = r["parent"], int(r["segmentation_id"])
        groups = {r["id"]: Group(r["id"], r["stateful"]) for r in conn.execute(sa.select(t.security_groups)).mappings()}
        for r in conn.execute(sa.select(t.security_group_rules)).mappings():
            if r["security_group_id"] in groups:
                groups[r["security_group_id"]].rules.append(Rule(
                    r["direction"], r["ethertype"], r["protocol"], r["port_range_min"], r["port_range_max"],
                    r["remote_ip_prefix"], r["remote_group_id"], r["remote_address_group_id"]))
        routers = {r["id"]: Router(r["id"], r["admin_state_up"], r["enable_snat"], list(r["routes"] or []))
                   for r in conn.execute(sa.select(t.routers)).mappings()}
        gw_ports = dict(conn.execute(sa.select(t.routers.c.id, t.routers.c.gw_port_id)).all())
        for port in ports.values():
            if port.owner == "network:router_interface" and port.device_id in routers:
                routers[port.device_id].interfaces.append(port)
        for router_id, gw_port_id in gw_ports.items():
            routers[router_id].gw_port = ports.get(gw_port_id) if gw_port_id else None
        for r in conn.execute(sa.select(t.floating_ips).where(t.floating_ips.c.router_id.is_not(None),
                                                              t.floating_ips.c.port_id.is_not(None))).mappings():
            if r["router_id"] in routers and r["fixed_ip_address"]:
                routers[r["router_id"]].floating_ips.append(FloatingIp(
                    r["id"], r["floating_ip_address"], r["fixed_ip_address"], r["port_id"], r["status"]))
        pf, fip = t.port_forwardings, t.floating_ips
        for r in conn.execute(sa.select(pf, fip.c.router_id, fip.c.floating_ip_address).join(
                fip, fip.c.id == pf.c.floatingip_id).order_by(pf.c.id)).mappings():
            if r["router_id"] in routers:
                routers[r["router_id"]].forwardings.append(Forwarding(
                    r["floating_ip_address"], r["protocol"], r["external_port"], r["internal_ip_address"],
                    r["internal_port"]))
    return State(networks, subnets, ports, routers, groups)
