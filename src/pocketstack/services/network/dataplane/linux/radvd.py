"""IPv6 router advertisements from a router namespace: one radvd per router for the `qr-` devices of its IPv6
subnets, configured as neutron's l3 agent writes radvd.conf (neutron/agent/linux/ra.py): the M flag for
DHCPv6-stateful, the O flag for DHCPv6-stateless, the prefix autonomous (SLAAC) unless stateful, the link
MTU. A subnet without an ipv6_ra_mode gets no advertisements from us (neutron leaves them to an outside
router)."""

from __future__ import annotations

from pathlib import Path

from pocketstack.services.network.dataplane.linux import kernel
from pocketstack.services.network.dataplane.linux.desired import Subnet

MIN_INTERVAL, MAX_INTERVAL = 3, 10      # quirk: neutron's defaults are 30/100 s; a new machine asks anyway


def config(prefixes: list[tuple[str, Subnet, int]]) -> str:
    """radvd.conf for (device, subnet, mtu) entries; an empty string when nothing is advertised."""
    out = []
    for dev in sorted({dev for dev, s, _ in prefixes if s.ipv6_ra_mode}):
        mine = [(s, mtu) for d, s, mtu in prefixes if d == dev and s.ipv6_ra_mode]
        modes = {s.ipv6_ra_mode for s, _ in mine}
        out += [f"interface {dev}", "{", "   AdvSendAdvert on;", f"   MinRtrAdvInterval {MIN_INTERVAL};",
                f"   MaxRtrAdvInterval {MAX_INTERVAL};", f"   AdvLinkMTU {min(mtu for _, mtu in mine)};"]
        if "dhcpv6-stateful" in modes:
            out.append("   AdvManagedFlag on;")
        if modes & {"dhcpv6-stateful", "dhcpv6-stateless"}:
            out.append("   AdvOtherConfigFlag on;")
        for subnet, _ in mine:
            auto = "off" if subnet.ipv6_ra_mode == "dhcpv6-stateful" else "on"
            out += [f"   prefix {subnet.cidr}", "   {", "        AdvOnLink on;",
                    f"        AdvAutonomous {auto};", "   };"]
        out.append("};")
    return "\n".join(out) + "\n" if out else ""


def running_pid(conf_dir: Path) -> int | None:
    return kernel.daemon_pid(conf_dir / "radvd.pid", "radvd")


def ensure(ns: str, conf_dir: Path, prefixes: list[tuple[str, Subnet, int]]) -> None:
    """Start radvd, or restart it when its configuration changed, or stop it when nothing is advertised."""
    text = config(prefixes)
    path = conf_dir / "radvd.conf"
    pid = running_pid(conf_dir)
    if not text:
        stop(conf_dir)
        return
    if pid and path.exists() and path.read_text() == text:
        return
    stop(conf_dir)
    conf_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    kernel.in_ns(ns, "radvd", "-C", str(path), "-p", str(conf_dir / "radvd.pid"), "-m", "logfile", "-l",
                 str(conf_dir / "radvd.log"))


def stop(conf_dir: Path) -> None:
    kernel.terminate(running_pid(conf_dir), wait=2)         # its pid file must be free for the next one
    (conf_dir / "radvd.pid").unlink(missing_ok=True)
