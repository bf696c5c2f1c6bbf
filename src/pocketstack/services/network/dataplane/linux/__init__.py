"""The `linux` network dataplane: namespaces, bridges, veth, dnsmasq and nftables (see driver.py)."""

from pocketstack.services.network.dataplane.linux.driver import LinuxDataplane, cleanup

__all__ = ["LinuxDataplane", "cleanup"]
