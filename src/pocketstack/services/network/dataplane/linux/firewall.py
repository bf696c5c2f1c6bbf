"""Security groups as nftables rules in the integration namespace (neutron's firewall driver, with nftables).

The bridges there have `bridge-nf-call-iptables` on (a per-namespace setting), so bridged IP traffic crosses
the `inet` hooks with connection tracking, which the `bridge` family lacks on kernels without
nf_conntrack_bridge. The `bridge` table knows the ports: it drops spoofed MAC/IP/ARP from a port and marks
each frame with the index of the port it came from (low 16 bits) and goes to (high 16 bits); the `inet`
table's forward chain dispatches on those marks to a chain pair per distinct set of groups, holding the
groups' rules, stateful (conntrack) or stateless as the group says. Remote-group rules match a named set per group
and IP version. Each network's bridge is its own conntrack zone, so overlapping subnets stay apart.

The whole ruleset is rendered from the database and replaced in one nft transaction: a rule change is atomic
and enforced at once. Egress chains (`o_*`) `return` what they allow so the destination's ingress chain
(`i_*`) still runs."""

from __future__ import annotations

import ipaddress

from pocketstack.services.network.dataplane.linux.desired import Port, Rule, State
from pocketstack.services.network.dataplane.linux.names import Names

TABLE = "pocketstack_sg"
SYSCTLS = ("net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1",
           "net.bridge.bridge-nf-call-arptables=0")
PROTOCOLS = {"icmp": "icmp", "1": "icmp", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
             "icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "58": "icmpv6", "sctp": "sctp", "132": "sctp"}
# the other protocol names neutron accepts (neutron_lib.constants.IP_PROTOCOL_MAP), as numbers
NUMBERS = {"ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "igmp": 2, "ipip": 4, "ipv6-encap": 41,
           "ipv6-frag": 44, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
           "rsvp": 46, "udplite": 136, "vrrp": 112, "any": 0}


def filtered(port: Port) -> bool:
    """Ports whose traffic the firewall sees: instances' and other user ports with port security on."""
    return port.port_security and not port.is_service


def set_name(group_id: str, version: int) -> str:
    return f"g{group_id.replace('-', '')[:16]}_{version}"


def render(state: State, wired: set[str]) -> str:
    """Both tables for the ports wired now (`wired`: port ids whose tap is on its bridge)."""
    ports = sorted((p for p in state.ports.values() if p.id in wired and filtered(p)), key=lambda p: p.id)
    index = {p.id: i + 1 for i, p in enumerate(ports)}
    out = [f"table bridge {TABLE} {{}}", f"delete table bridge {TABLE}",
           f"table inet {TABLE} {{}}", f"delete table inet {TABLE}"]
    out += _bridge_table(ports, index, [p for p in state.ports.values() if p.id in wired and p.limits])
    out += _inet_table(state, ports, index)
    return "\n".join(out) + "\n"


def _elements(items: list[str]) -> str:
    return f" elements = {{ {', '.join(items)} }};" if items else ""


def _bridge_table(ports: list[Port], index: dict[str, int], limited_ports: list[Port]) -> list[str]:
    """Anti-spoofing with one lookup per check in sets keyed by (device, address): nft loads a few large
    sets far faster than thousands of small per-port rules."""
    macs, v4, v6 = [], [], []
    for port in ports:
        tap = f'"{Names.tap(port.id)}"'
        macs += [f"{tap} . {m}" for m in sorted({port.mac, *(p.get("mac_address") or port.mac for p in port.pairs)})]
        v4 += [f"{tap} . {a}" for a in sorted({"0.0.0.0", *(ip for _, ip in port.ips if ":" not in ip),
                                               *(p["ip_address"] for p in port.pairs if ":" not in p["ip_address"])})]
        v6 += [f"{tap} . {a}" for a in sorted({"::", "fe80::/10", *(ip for _, ip in port.ips if ":" in ip),
                                               *(p["ip_address"] for p in port.pairs if ":" in p["ip_address"])})]
    taps = [f'"{Names.tap(p.id)}"' for p in ports]
    limited = [(Names.tap(p.id), kbps, burst) for p in limited_ports for d, kbps, burst in p.limits if d == "egress"]
    lines = [f"table bridge {TABLE} {{",
             f"  set filtered {{ type ifname;{_elements(taps)} }}",
             f"  set mac_ok {{ type ifname . ether_addr;{_elements(macs)} }}",
             f"  set ip4_ok {{ type ifname . ipv4_addr; flags interval;{_elements(v4)} }}",
             f"  set ip6_ok {{ type ifname . ipv6_addr; flags interval;{_elements(v6)} }}",
             f"  map in_port {{ type ifname : mark;{_elements([f'{t} : {index[p.id]:#x}' for t, p in zip(taps, ports)])} }}",
             "  chain prerouting {", "    type filter hook prerouting priority -300; policy accept;",
             # QoS egress bandwidth limits (neutron's burst default: 80 % of the rate)
             *(f'    iifname "{tap}" limit rate over {kbps * 125} bytes/second burst '
               f'{(burst or max(int(kbps * 0.8), 16)) * 125} bytes drop' for tap, kbps, burst in limited),
             "    iifname @filtered jump spoofing", "    meta mark set iifname map @in_port", "  }",
             "  chain spoofing {",
             "    iifname . ether saddr != @mac_ok drop",
             "    iifname . arp saddr ether != @mac_ok drop",
             "    iifname . arp saddr ip != @ip4_ok drop",
             "    ether type ip udp sport 67 udp dport 68 drop",                  # no rogue DHCP server
             "    ether type ip6 udp sport 547 udp dport 546 drop",               # nor DHCPv6 server
             "    ether type ip iifname . ip saddr != @ip4_ok drop",
             "    ether type ip ip saddr 0.0.0.0 udp dport != 67 drop",           # 0.0.0.0 only to ask for a lease
             "    ether type ip6 iifname . ip6 saddr != @ip6_ok drop",
             "    icmpv6 type nd-router-advert drop", "  }",
             "  chain forward {", "    type filter hook forward priority -300; policy accept;"]
    if ports:
        lines.append("    oifname vmap { " + ", ".join(f'{t} : jump d_{index[p.id]}' for t, p in zip(taps, ports)) + " }")
    lines.append("  }")
    for port in ports:
        lines += _chain(f"d_{index[port.id]}", [f"meta mark set meta mark or {index[port.id] << 16:#x}"])
    return lines + ["}"]


def _inet_table(state: State, ports: list[Port], index: dict[str, int]) -> list[str]:
    """One chain pair per distinct set of groups (ports in the same groups share their rules)."""
    lines = [f"table inet {TABLE} {{"]
    remote_groups = {(r.remote_group_id, v) for p in ports for g in p.groups if g in state.groups
                     for r in state.groups[g].rules if r.remote_group_id for v in (4, 6)}
    for group_id, version in sorted(remote_groups):
        kind = "ipv4_addr" if version == 4 else "ipv6_addr"
        members = sorted(set(state.members(group_id, version)))
        lines.append(f"  set {set_name(group_id, version)} {{ type {kind}; flags interval; auto-merge;"
                     f"{_elements(members)} }}")
    # the zone of a network, by bridge and by every port's tap (br_netfilter may show either as iifname)
    zone_of = {n: i + 1 for i, n in enumerate(sorted(state.networks))}
    zones = {Names.bridge(n): z for n, z in zone_of.items()}
    zones.update({Names.tap(p.id): zone_of[p.network_id] for p in state.ports.values() if p.network_id in zone_of})
    ext = next((n.id for n in sorted(state.networks.values(), key=lambda n: n.id) if n.external), None)
    if ext:
        zones[Names.host_peer] = zone_of[ext]
    zone_elements = [f'"{b}" : {z}' for b, z in zones.items()]
    lines.append(f"  map zones {{ typeof iifname : ct zone;{_elements(zone_elements)} }}")
    lines += ["  chain zone {", "    type filter hook prerouting priority -300; policy accept;",
              "    ct zone set iifname map @zones", "  }"]
    chains: dict[tuple[tuple[str, ...], bool], int] = {}
    out_map, in_map = [], []
    for port in ports:
        groups = tuple(sorted(g for g in port.groups if g in state.groups))
        stateful = all(state.groups[g].stateful for g in groups)
        n = chains.setdefault((groups, stateful), len(chains) + 1)
        out_map.append(f"{index[port.id]:#x} : jump o_{n}")
        in_map.append(f"{index[port.id] << 16:#x} : jump i_{n}")
    lines += [f"  map out_chain {{ type mark : verdict;{_elements(out_map)} }}",
              f"  map in_chain {{ type mark : verdict;{_elements(in_map)} }}",
              "  chain forward {", "    type filter hook forward priority 0; policy accept;",
              "    meta mark and 0xffff vmap @out_chain", "    meta mark and 0xffff0000 vmap @in_chain", "  }"]
    for (groups, stateful), n in chains.items():
        rules = [r for g in groups for r in state.groups[g].rules]
        lines += _chain(f"o_{n}", _egress(rules, stateful))
        lines += _chain(f"i_{n}", _ingress(rules, stateful))
    return lines + ["}"]


def _chain(name: str, body: list[str]) -> list[str]:
    return [f"  chain {name} {{", *("    " + line for line in body), "  }"]


def _egress(rules: list[Rule], stateful: bool) -> list[str]:
    body = ["udp sport 68 udp dport 67 return", "udp sport 546 udp dport 547 return",     # DHCP, DHCPv6
            "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } return"]
    if stateful:
        body += ["ct state established,related return", "ct state invalid drop"]
    body += [m + " return" for r in rules if r.direction == "egress" for m in _matches(r, "daddr")]
    return body + ["drop"]


def _ingress(rules: list[Rule], stateful: bool) -> list[str]:
    body = ["udp sport 67 udp dport 68 accept", "udp sport 547 udp dport 546 accept",
            "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept"]
    if stateful:
        body += ["ct state established,related accept", "ct state invalid drop"]
    body += [m + " accept" for r in rules if r.direction == "ingress" for m in _matches(r, "saddr")]
    return body + ["drop"]


def _matches(rule: Rule, remote: str) -> list[str]:
    """One nft match per rule (an empty list when the rule cannot match here)."""
    if rule.remote_address_group_id:                # no address groups here: such a rule allows nothing
        return []
    version = 6 if rule.ethertype == "IPv6" else 4
    family = "ip6" if version == 6 else "ip"
    parts = [f"meta nfproto {'ipv6' if version == 6 else 'ipv4'}"]
    if rule.remote_ip_prefix:
        net = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if net.version != version:
            return []
        if net.prefixlen:
            parts.append(f"{family} {remote} {net}")
    elif rule.remote_group_id:
        parts.append(f"{family} {remote} @{set_name(rule.remote_group_id, version)}")
    name = str(rule.protocol).lower() if rule.protocol else ""
    proto = PROTOCOLS.get(name) if name else None
    if name and proto is None:
        number = NUMBERS.get(name, int(name) if name.isdigit() else None)
        if number is None:
            return []
        if number:                                  # "any" / 0: every protocol
            parts.append(f"meta l4proto {number}")
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
