"""network_data.json and the EC2 addresses, from the server's VIFs (nova/virt/netutils.py get_network_metadata,
get_ec2_ip_info)."""

from __future__ import annotations

import ipaddress
from typing import Any

from pocketstack.services.compute.metadata.instance import Subnet, Vif

# nova/network/model.py LEGACY_EXPOSED_VIF_TYPES: any other binding shows as a physical link
EXPOSED_VIF_TYPES = ("bridge", "dvs", "hw_veb", "hyperv", "ovs", "tap", "vhostuser", "vif")
NIC_NAME_LEN = 14


def network_data(vifs: list[Vif]) -> dict[str, Any] | None:
    """{"links", "networks", "services"}; None (rendered `{}`) for a server without ports."""
    if not vifs:
        return None
    links: list[dict[str, Any]] = []
    nets: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    ifc_num = net_num = -1
    for vif in vifs:
        if not vif.subnets:
            continue
        v4, v6 = _first(vif, 4), _first(vif, 6)
        ifc_num += 1
        if not (v4 or v6):
            continue
        link = _link(vif, ifc_num)
        links.append(link)
        for version, subnet in ((4, v4), (6, v6)):
            if subnet is None or not subnet.ips:
                continue
            net_num += 1
            nets.append(_network(vif, subnet, version, net_num, link["id"]))
            services += [dns for dns in _dns(subnet) if dns not in services]
    return {"links": links, "networks": nets, "services": services}


def ec2_ip_info(vifs: list[Vif]) -> dict[str, list[str]]:
    fixed = [(ip, s.version) for v in vifs for s in v.subnets for ip in s.ips]
    return {"fixed_ips": [ip for ip, version in fixed if version == 4],
            "fixed_ip6s": [ip for ip, version in fixed if version == 6],
            "floating_ips": [f for v in vifs for s in v.subnets for f in s.floating]}


def _first(vif: Vif, version: int) -> Subnet | None:
    # quirk: nova only describes the first subnet of each IP version on a VIF
    return next((s for s in vif.subnets if s.version == version), None)


def _link(vif: Vif, ifc_num: int) -> dict[str, Any]:
    devname = ("tap" + vif.port_id)[:NIC_NAME_LEN]        # nova's VIF devname, the link id the guest sees
    # with a DHCP server on a subnet the guest learns the MTU from DHCP: nova leaves it out
    mtu = None if any(s.dhcp_server for s in vif.subnets) else vif.mtu
    return {"id": devname or f"interface{ifc_num}", "vif_id": vif.port_id,
            "type": vif.vif_type if vif.vif_type in EXPOSED_VIF_TYPES else "phy",
            "mtu": mtu, "ethernet_mac_address": vif.mac}


def _network(vif: Vif, subnet: Subnet, version: int, net_num: int, link_id: str) -> dict[str, Any]:
    net_type = ""
    if subnet.ipv6_address_mode is not None:
        net_type = "_" + subnet.ipv6_address_mode
    elif subnet.dhcp_server is not None or subnet.enable_dhcp:
        return {"id": f"network{net_num}", "type": f"ipv{version}_dhcp", "link": link_id,
                "network_id": vif.network_id}
    cidr = ipaddress.ip_network(subnet.cidr, strict=False)
    out: dict[str, Any] = {"id": f"network{net_num}", "type": f"ipv{version}{net_type}", "link": link_id,
                           "ip_address": subnet.ips[0], "netmask": str(cidr.netmask),
                           "routes": _default_route(version, subnet), "network_id": vif.network_id}
    for destination, nexthop in subnet.routes:
        route = ipaddress.ip_network(destination, strict=False)
        out["routes"].append({"network": str(route.network_address), "netmask": str(route.netmask),
                              "gateway": nexthop})
    out["services"] = _dns(subnet)
    return out


def _default_route(version: int, subnet: Subnet) -> list[dict[str, str]]:
    if not subnet.gateway:
        return []
    anywhere = "0.0.0.0" if version == 4 else "::"
    return [{"network": anywhere, "netmask": anywhere, "gateway": subnet.gateway}]


def _dns(subnet: Subnet) -> list[dict[str, str]]:
    return [{"type": "dns", "address": address} for address in subnet.dns]
