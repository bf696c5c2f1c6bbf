"""Bridges, veth pairs and addresses: the L2 wiring every part of the Linux dataplane shares."""

from __future__ import annotations

from typing import Any

from pocketstack.services.network.dataplane.linux import kernel


def bridge_lines(name: str, mtu: int, present: dict[str, Any]) -> list[str]:
    """`ip -batch` lines for a bridge (no STP, no forwarding delay: ports forward at once)."""
    lines = [] if name in present else [f"link add {name} type bridge stp_state 0 forward_delay 0"]
    return lines + [f"link set {name} mtu {mtu} up"]


def veth(int_ns: str, tap: str, bridge: str, other_ns: str, inner: str, mac: str, mtu: int,
         present: dict[str, Any]) -> None:
    """A port's veth pair: `tap` on the network's bridge in the integration namespace, `inner` (with the
    port's MAC) in a DHCP or router namespace. Recreated when one end went missing."""
    inside = kernel.links(other_ns)
    if tap in present and inner not in inside:
        kernel.ip(int_ns, "link", "del", tap, check=False)
        present.pop(tap)
    if tap not in present:
        if inner in inside:
            kernel.ip(other_ns, "link", "del", inner, check=False)
        kernel.ip(int_ns, "link", "add", tap, "mtu", str(mtu), "type", "veth", "peer", "name", inner,
                  "netns", other_ns)
    kernel.ip(other_ns, "link", "set", inner, "address", mac, "mtu", str(mtu), "up")
    kernel.ip(int_ns, "link", "set", tap, "master", bridge, "mtu", str(mtu), "up")


def set_addresses(ns: str, dev: str, wanted: set[str]) -> None:
    current = kernel.addresses(ns, dev)
    lines = [f"addr add {a} dev {dev}" for a in sorted(wanted - current)]
    lines += [f"addr del {a} dev {dev}" for a in sorted(current - wanted)]
    kernel.ip_batch(ns, lines)


def bandwidth_limits(ns: str, dev: str, limits: list[tuple[str, int, int]]) -> None:
    """QoS bandwidth-limit rules toward the port (`ingress`): tbf on the tap's egress, as neutron's
    linuxbridge agent set it. The port's own traffic (`egress`) is limited by the firewall's nftables
    `limit` rule (this kernel has no tc police action)."""
    kernel.run("tc", "-n", ns, "qdisc", "del", "dev", dev, "root", check=False)
    for direction, kbps, burst in limits:
        if direction == "ingress":
            kernel.run("tc", "-n", ns, "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{kbps}kbit",
                       "burst", f"{burst or max(int(kbps * 0.8), 16)}kbit", "latency", "50ms")
