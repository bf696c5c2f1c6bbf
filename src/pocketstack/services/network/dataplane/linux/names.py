"""The names of everything the Linux dataplane creates, in one place (neutron's conventions: `brq` bridges,
`tap` port devices, `ns-` / `qr-` / `qg-` ends inside DHCP and router namespaces). Every namespace starts
with `ps-<cloud>-`, so one cloud's pieces are found, rebuilt and removed without touching anything else."""

from __future__ import annotations

import re

CLOUD_NAME = re.compile(r"^[a-z0-9]{1,9}$")
DEV = 11                       # neutron's device name length after the prefix (15-character limit)


class Names:
    def __init__(self, cloud: str) -> None:
        if not CLOUD_NAME.match(cloud):
            raise ValueError(f"network.cloud_name {cloud!r}: 1 to 9 lowercase letters or digits")
        self.cloud = cloud
        self.prefix = f"ps-{cloud}-"
        self.int_ns = self.prefix + "int"             # the bridges and every port's tap device
        self.host_dev = f"ps-{cloud}-ex"              # the one device in the machine's namespace

    host_peer = "exhost"                              # the external veth's peer, on the external bridge

    def dhcp_ns(self, network_id: str) -> str:
        return f"{self.prefix}qdhcp-{network_id}"

    def router_ns(self, router_id: str) -> str:
        return f"{self.prefix}qrouter-{router_id}"

    def machine_ns(self, name: str) -> str:
        """Namespaces a test or a user makes as stand-in machines: removed by `dataplane cleanup` too."""
        return f"{self.prefix}vm-{name}"

    @staticmethod
    def bridge(network_id: str) -> str:
        return "brq" + network_id[:DEV]

    @staticmethod
    def tap(port_id: str) -> str:
        return "tap" + port_id[:DEV]

    @staticmethod
    def inner(kind: str, port_id: str) -> str:
        """`ns-` (DHCP), `qr-` (router interface), `qg-` (router gateway) ends of a port's veth pair."""
        return kind + port_id[:DEV]

    def owns(self, ns: str) -> bool:
        return ns.startswith(self.prefix)

    def is_dataplane_ns(self, ns: str) -> bool:
        return ns == self.int_ns or ns.startswith((self.prefix + "qdhcp-", self.prefix + "qrouter-"))
