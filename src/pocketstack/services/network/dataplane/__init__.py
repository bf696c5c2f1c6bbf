"""Network dataplane drivers (DESIGN.md, Drivers): `none` (the default) and `linux`. The Networking API
calls `current().changed()` after every change it commits; the driver makes packets follow."""

from __future__ import annotations

import os
from typing import Any

from pocketstack.services.network.dataplane.base import Dataplane, NoDataplane

DRIVERS = ("none", "linux")
_current: Dataplane = NoDataplane()


def requirements_error(name: str) -> str | None:
    """One line saying why this machine cannot run the driver, or None. For `linux` it loads br_netfilter
    when it is missing (security groups need its per-namespace bridge-nf-call-iptables; see firewall.py)."""
    if name not in DRIVERS:
        return f"unknown network dataplane {name!r} (choose from {', '.join(DRIVERS)})"
    if name == "linux":
        from pocketstack.services.network.dataplane.linux import kernel
        if os.geteuid() != 0:
            return "--dataplane linux needs root (CAP_NET_ADMIN): run as root or use --dataplane none"
        if missing := kernel.missing_tools():
            return (f"--dataplane linux needs {', '.join(missing)} "
                    "(Debian: iproute2 nftables dnsmasq-base radvd)")
        if not kernel.bridge_netfilter():
            return "--dataplane linux needs the br_netfilter kernel module (modprobe br_netfilter; Debian: kmod)"
    return None


def configure(settings: Any) -> Dataplane:
    global _current
    name = str(settings.option("network.dataplane", "none") or "none")
    if error := requirements_error(name):
        raise SystemExit(f"pocketstack: {error}")
    if name == "linux":
        from pocketstack.services.network.dataplane.linux import LinuxDataplane
        _current = LinuxDataplane(settings)
    else:
        _current = NoDataplane(settings)
    _current.start()
    return _current


def current() -> Dataplane:
    return _current
