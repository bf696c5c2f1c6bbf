"""Security groups as nftables rules on the bridges (neutron's firewall driver, in the `bridge` family with
connection tracking): one chain per port and direction, reached through verdict maps on the port's tap
device, and one named set per group and IP version for remote-group rules. The whole table is rendered
from the database and replaced in one nft transaction, so a rule change is atomic and takes effect at once.

Egress chains (`o_*`, frames from the port) check MAC/IP spoofing, then the group's egress rules, and
`return` what they allow so that the destination port's ingress chain (`i_*`) still runs."""

from __future__ import annotations

import ipaddress

from pocketstack.services.network.dataplane.linux.desired import Port, Rule, State
from pocketstack.services.network.dataplane.linux.names import Names

TABLE = "pocketstack_sg"
PROTOCOLS = {"icmp": "icmp", "1": "icmp", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
             "icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "58": "icmpv6", "sctp": "sctp", "132": "sctp"}


def filtered(port: Port) -> bool:
    """Ports whose traffic the firewall sees: instances' and other user ports with port security on."""
    return port.port_security and not port.is_service


def set_name(group_id: str, version: int) -> str:
    return f"g{group_id.replace('-', '')[:16]}_{version}"


def render(state: State, wired: set[str]) -> str:
    """The whole table for the ports wired now (`wired`: port ids whose tap is on its bridge)."""
    ports = [p for p in state.ports.values() if p.id in wired and filtered(p)]
    lines = [f"table bridge {TABLE} {{}}", f"delete table bridge {TABLE}", f"table bridge {TABLE} {{"]
    remote_groups = {(r.remote_group_id, v) for p in ports for g in p.groups if g in state.groups
                       for r in state.groups[g].rules if r.remote_group_id for v in (4, 6)}
    for group_id, version in sorted(remote_groups):
        kind = "ipv4_addr" if version == 4 else "ipv6_addr"
        members = state.members(group_id, version)
        elements = f" elements = {{ {', '.join(sorted(set(members)))} }};" if members else ""
        lines.append(f"  set {set_name(group_id, version)} {{ type {kind}; flags interval; auto-merge;{elements} }}")
    out_map = ", ".join(f'"{Names.tap(p.id)}" : jump o_{p.id[:8]}' for p in ports)
    in_map = ", ".join(f'"{Names.tap(p.id)}" : jump i_{p.id[:8]}' for p in ports)
    lines.append("  chain forward {\n    type filter hook forward priority 0; policy accept;")
    if ports:
        lines += [f"    iifname vmap {{ {out_map} }}", f"    oifname vmap {{ {in_map} }}"]
    lines.append("  }")
    for port in ports:
        stateful = all(state.groups[g].stateful for g in port.groups if g in state.groups)
        rules = [r for g in port.groups if g in state.groups for r in state.groups[g].rules]
        lines += _chain(f"o_{port.id[:8]}", _egress(port, rules, stateful))
        lines += _chain(f"i_{port.id[:8]}", _ingress(rules, stateful))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _chain(name: str, body: list[str]) -> list[str]:
    return [f"  chain {name} {{", *("    " + line for line in body), "  }"]


def _egress(port: Port, rules: list[Rule], stateful: bool) -> list[str]:
    macs = sorted({port.mac, *(p.get("mac_address") or port.mac for p in port.pairs)})
    v4 = sorted({ip for _, ip in port.ips if ":" not in ip} | {p["ip_address"] for p in port.pairs
                                                               if ":" not in p["ip_address"]})
    v6 = sorted({ip for _, ip in port.ips if ":" in ip} | {p["ip_address"] for p in port.pairs
                                                           if ":" in p["ip_address"]} | {"fe80::/10"})
    body = [f"ether saddr != {{ {', '.join(macs)} }} drop",
            "ether type ip udp sport 68 udp dport 67 return",            # DHCP discover, from 0.0.0.0
            "ether type ip udp sport 67 udp dport 68 drop",              # no rogue DHCP server
            "icmpv6 type nd-router-advert drop",
            "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } return"]
    body.append(f"arp saddr ip != {{ 0.0.0.0, {', '.join(v4)} }} drop" if v4 else "arp saddr ip != 0.0.0.0 drop")
    body.append(f"ether type ip ip saddr != {{ {', '.join(v4)} }} drop" if v4 else "ether type ip drop")
    body.append(f"ether type ip6 ip6 saddr != {{ {', '.join(v6)} }} drop")
    body.append("ether type arp return")
    if stateful:
        body += ["ct state established,related return", "ct state invalid drop"]
    body += [m + " return" for r in rules if r.direction == "egress" for m in _matches(r, "daddr")]
    return body + ["drop"]


def _ingress(rules: list[Rule], stateful: bool) -> list[str]:
    body = ["ether type arp accept", "ether type ip udp sport 67 udp dport 68 accept",
            "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept"]
    if stateful:
        body += ["ct state established,related accept", "ct state invalid drop"]
    body += [m + " accept" for r in rules if r.direction == "ingress" for m in _matches(r, "saddr")]
    return body + ["drop"]


def _matches(rule: Rule, remote: str) -> list[str]:
    """One nft match per rule (an empty list when the rule cannot match here)."""
    version = 6 if rule.ethertype == "IPv6" else 4
    family = "ip6" if version == 6 else "ip"
    parts = [f"ether type {family}"]
    if rule.remote_ip_prefix:
        net = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if net.version != version:
            return []
        if net.prefixlen:
            parts.append(f"{family} {remote} {net}")
    elif rule.remote_group_id:
        parts.append(f"{family} {remote} @{set_name(rule.remote_group_id, version)}")
    proto = PROTOCOLS.get(str(rule.protocol).lower()) if rule.protocol else None
    if rule.protocol and proto is None:
        if not str(rule.protocol).isdigit():
            return []
        parts.append(f"meta l4proto {rule.protocol}")
    elif proto in ("icmp", "icmpv6"):
        parts.append(f"meta l4proto {'ipv6-icmp' if version == 6 else 'icmp'}")
        if rule.port_min is not None:
            parts.append(f"{'icmpv6' if version == 6 else 'icmp'} type {rule.port_min}")
            if rule.port_max is not None:
                parts.append(f"{'icmpv6' if version == 6 else 'icmp'} code {rule.port_max}")
    elif proto:
        parts.append(f"meta l4proto {proto}")
        if rule.port_min is not None:
            hi = rule.port_max if rule.port_max is not None else rule.port_min
            parts.append(f"{proto} dport {rule.port_min}" + (f"-{hi}" if hi != rule.port_min else ""))
    return [" ".join(parts)]
