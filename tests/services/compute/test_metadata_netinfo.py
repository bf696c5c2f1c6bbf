"""network_data.json as nova's netutils builds it, for the cases a server test does not reach: IPv6 address modes,
the MTU left to DHCP, several subnets of one version on a port, a port without subnets."""

from __future__ import annotations

from pocketstack.services.compute.metadata.instance import Subnet, Vif
from pocketstack.services.compute.metadata.netinfo import ec2_ip_info, network_data


def _subnet(cidr: str, version: int, ips: list[str], **kw) -> Subnet:
    base = {"id": cidr, "cidr": cidr, "version": version, "gateway": None, "enable_dhcp": False,
            "dhcp_server": None, "ipv6_address_mode": None, "dns": [], "routes": []}
    return Subnet(**{**base, **kw}, ips=ips)


def _vif(port_id: str, subnets: list[Subnet], mtu: int | None = 1450, vif_type: str = "bridge") -> Vif:
    return Vif(port_id, "fa:16:3e:00:00:01", "net-" + port_id, mtu, vif_type, None, subnets)


def test_ipv6_modes_and_dhcp_mtu():
    v4 = _subnet("10.0.0.0/24", 4, ["10.0.0.5"], enable_dhcp=True, dhcp_server="10.0.0.2", gateway="10.0.0.1")
    v6 = _subnet("fd00:1::/64", 6, ["fd00:1::5"], ipv6_address_mode="slaac", gateway="fd00:1::1",
                 dns=["fd00:1::53"])
    nd = network_data([_vif("p1234567890abcdef", [v4, v6])])
    (link,) = nd["links"]
    # the tap device's name is the link id; DHCP tells the guest its MTU, so nova leaves it out
    assert link == {"id": "tapp1234567890", "vif_id": "p1234567890abcdef", "type": "bridge", "mtu": None,
                    "ethernet_mac_address": "fa:16:3e:00:00:01"}
    assert nd["networks"][0] == {"id": "network0", "type": "ipv4_dhcp", "link": link["id"],
                                 "network_id": "net-p1234567890abcdef"}
    assert nd["networks"][1] == {
        "id": "network1", "type": "ipv6_slaac", "link": link["id"], "ip_address": "fd00:1::5",
        "netmask": "ffff:ffff:ffff:ffff::", "routes": [{"network": "::", "netmask": "::", "gateway": "fd00:1::1"}],
        "network_id": "net-p1234567890abcdef", "services": [{"type": "dns", "address": "fd00:1::53"}]}
    assert nd["services"] == [{"type": "dns", "address": "fd00:1::53"}]


def test_static_mtu_unbound_type_first_subnet_only_and_no_subnets():
    first = _subnet("10.1.0.0/24", 4, ["10.1.0.7"])
    second = _subnet("10.2.0.0/24", 4, ["10.2.0.7"])
    nd = network_data([_vif("bare", []), _vif("p2", [first, second], mtu=9000, vif_type="unbound")])
    (link,) = nd["links"]
    assert link["mtu"] == 9000 and link["type"] == "phy"
    (net,) = nd["networks"]
    assert net["ip_address"] == "10.1.0.7" and net["routes"] == [] and net["services"] == []
    assert network_data([]) is None
    info = ec2_ip_info([_vif("p3", [_subnet("10.3.0.0/24", 4, ["10.3.0.9"], floating=["172.24.4.9"])])])
    assert info == {"fixed_ips": ["10.3.0.9"], "fixed_ip6s": [], "floating_ips": ["172.24.4.9"]}
