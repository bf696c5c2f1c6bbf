"""Routers: a `qrouter-` namespace per router with a `qr-` device per attached subnet and a `qg-` device on
the external network, static routes, SNAT through the gateway and floating IPs as DNAT/SNAT pairs (neutron's
L3 agent, legacy mode, with nftables instead of iptables), port forwardings as DNAT of one port of a floating
IP, and IPv6 router advertisements from radvd on the `qr-` devices of IPv6 subnets. Floating IP addresses sit
on the `qg-` device as /32s, so they answer ARP on the external bridge.

Hairpin, as neutron's l3 agent does it: traffic from inside to a floating IP (a machine's own, or its
neighbour's on the same network) is DNATed and then SNATed, to the sender's own floating IP or else to the
gateway address, so the answer comes back through the router and conntrack undoes both.

Nothing leaves through the gateway for a destination outside the external network's own subnets: the
machine the external veth leads to never gets a packet it would have to route further."""

from __future__ import annotations

import ipaddress
import os
import shutil

from pathlib import Path

from pocketstack.services.network.dataplane.linux import devices, kernel, radvd
from pocketstack.services.network.dataplane.linux.desired import Router, State
from pocketstack.services.network.dataplane.linux.names import Names

TABLE = "pocketstack_router"
METADATA_IP = "169.254.169.254"


def cidr_of(state: State, subnet_id: str, ip: str) -> str:
    subnet = state.subnet_of(subnet_id)
    return f"{ip}/{subnet.prefixlen if subnet else (32 if ':' not in ip else 128)}"


def ensure(names: Names, state: State, router: Router, present: dict[str, dict], ra_dir: Path) -> None:
    ns = names.router_ns(router.id)
    kernel.add_namespace(ns)
    kernel.sysctl(ns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                  "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0")
    inside = kernel.links(ns)
    wanted_devs, gone = set(), set()
    for port in [*router.interfaces, *([router.gw_port] if router.gw_port else [])]:
        network = state.networks.get(port.network_id)
        if network is None:
            continue
        kind = "qg-" if port is router.gw_port else "qr-"
        dev = Names.inner(kind, port.id)
        wanted_devs.add(dev)
        devices.veth(names.int_ns, Names.tap(port.id), Names.bridge(network.id), ns, dev, port.mac, network.mtu,
                     present)
        addrs = {cidr_of(state, sid, ip) for sid, ip in port.ips}
        if port is router.gw_port:
            addrs |= {f"{f.address}/32" for f in router.floating_ips} | \
                {f"{f.address}/32" for f in router.forwardings}
            gone = {a.split("/")[0] for a in kernel.addresses(ns, dev) - addrs if a.endswith("/32")}
        devices.set_addresses(ns, dev, addrs)
    for dev in inside:
        if dev.startswith(("qr-", "qg-")) and dev not in wanted_devs:
            kernel.ip(ns, "link", "del", dev, check=False)
    kernel.ip_batch(ns, [f"addr replace {METADATA_IP}/32 dev lo"])
    _routes(ns, state, router)
    kernel.nft(ns, render_nat(state, router))
    for address in gone:        # a floating IP that went: its connections go too (neutron's conntrack -D)
        forget_connections(ns, address)
    radvd.ensure(ns, ra_dir, [(Names.inner("qr-", port.id), subnet, state.networks[port.network_id].mtu)
                              for port in router.interfaces for sid, _ in port.ips
                              if (subnet := state.subnet_of(sid)) and subnet.ip_version == 6
                              and port.network_id in state.networks])


def forget_connections(ns: str, address: str) -> None:
    """Drop the conntrack entries to and from an address (DNATed ones included), as neutron's
    delete_addr_and_conntrack_state does; without the conntrack tool (Debian: conntrack) they time out."""
    if shutil.which("conntrack") or os.path.exists("/usr/sbin/conntrack"):
        for flag in ("-d", "-q", "-s", "-r"):
            kernel.in_ns(ns, "conntrack", "-D", flag, address, check=False)


def _routes(ns: str, state: State, router: Router) -> None:
    lines = []
    gw = router.gw_port
    if gw:
        dev = Names.inner("qg-", gw.id)
        for subnet_id, _ in gw.ips:
            subnet = state.subnet_of(subnet_id)
            if subnet and subnet.gateway_ip and subnet.ip_version == 4:
                lines.append(f"route replace default via {subnet.gateway_ip} dev {dev}")
    else:
        lines.append("route del default")
    current = {r.get("dst") for r in kernel.ip_json(ns, "route", "show", "proto", "static")}
    wanted = {r["destination"]: r["nexthop"] for r in router.routes if ":" not in r["destination"]}
    lines += [f"route replace {dst} via {hop} proto static" for dst, hop in wanted.items()]
    lines += [f"route del {dst} proto static" for dst in current - set(wanted) - {None}
              if str(ipaddress.ip_network(dst, strict=False)) not in wanted]
    kernel.ip_batch(ns, lines)


def render_nat(state: State, router: Router) -> str:
    lines = [f"table ip {TABLE} {{}}", f"delete table ip {TABLE}", f"table ip {TABLE} {{"]
    gw = router.gw_port
    pre, post, fwd = [], [], []
    if gw:
        qg = Names.inner("qg-", gw.id)
        external = sorted({str(ipaddress.ip_network(state.subnets[sid].cidr)) for sid, ip in gw.ips
                           if sid in state.subnets and ":" not in ip})
        gw_ip = next((ip for _, ip in gw.ips if ":" not in ip), None)
        for fip in router.floating_ips:
            pre.append(f"ip daddr {fip.address} dnat to {fip.fixed}")
        for pf in router.forwardings:
            pre.append(f"ip daddr {pf.address} {pf.protocol} dport {pf.external_port} "
                       f"dnat to {pf.internal_ip}:{pf.internal_port}")
        for fip in router.floating_ips:
            post.append(f'oifname "{qg}" ip saddr {fip.fixed} snat to {fip.address}')
        if router.enable_snat and gw_ip:
            post.append(f'oifname "{qg}" snat to {gw_ip}')
        # hairpin: from inside to a floating IP (DNATed above) and back out of a `qr-` device
        for fip in router.floating_ips:
            post.append(f'iifname != "{qg}" ct status dnat ip saddr {fip.fixed} snat to {fip.address}')
        if router.enable_snat and gw_ip:
            post.append(f'iifname != "{qg}" ct status dnat snat to {gw_ip}')
        # quirk: the one rule that keeps guest traffic inside: out of the gateway only to the external subnets
        fwd.append(f'oifname "{qg}" ip daddr != {{ {", ".join(external)} }} drop' if external else
                   f'oifname "{qg}" drop')
    lines += ["  chain prerouting {", "    type nat hook prerouting priority -100;", *("    " + x for x in pre), "  }",
              "  chain postrouting {", "    type nat hook postrouting priority 100;", *("    " + x for x in post),
              "  }", "  chain forward {", "    type filter hook forward priority 0; policy accept;",
              *("    " + x for x in fwd), "  }", "}"]
    return "\n".join(lines) + "\n"
