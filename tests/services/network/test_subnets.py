"""Subnets: CIDR, gateway and allocation pool validation, IPv6 modes."""

import pytest

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_cli_subnet_create(cli):
    net = cli("network", "create", unique("net"), os_cloud="pocketstack")
    sub = cli("subnet", "create", unique("sub"), "--network", net["id"], "--subnet-range", "10.20.0.0/24",
              "--dns-nameserver", "8.8.8.8", os_cloud="pocketstack")
    assert sub["cidr"] == "10.20.0.0/24" and sub["gateway_ip"] == "10.20.0.1" and sub["ip_version"] == 4
    assert sub["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert sub["dns_nameservers"] == ["8.8.8.8"] and sub["enable_dhcp"] is True
    assert sub["subnetpool_id"] is None
    assert cli("network", "show", net["id"], os_cloud="pocketstack")["subnets"] == [sub["id"]]


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "not-a-cidr", "10.1.1.0", "10.1.1/24", "2001:db8::/64"])
def test_bad_cidr_is_400(neutron_demo, cidr):
    net = neutron_demo.create("networks", name=unique())
    r = neutron_demo.post("/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": cidr}})
    assert r.status_code == 400, r.text


def test_host_bits_are_dropped_from_a_cidr(demo):
    """neutron turns 10.99.99.0/16 into 10.99.0.0/16; openstacksdk's functional tests create that subnet."""
    net = demo.network.create_network(name=unique())
    try:
        sub = demo.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.99.99.0/16", name=unique())
        assert (sub.cidr, sub.gateway_ip) == ("10.99.0.0/16", "10.99.0.1")
        assert sub.allocation_pools == [{"start": "10.99.0.2", "end": "10.99.255.254"}]
    finally:
        demo.network.delete_network(net)


def test_pools_and_gateway(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    post = lambda **s: neutron_demo.post("/subnets", json={"subnet": {  # noqa: E731
        "network_id": net["id"], "ip_version": 4, "cidr": "10.9.0.0/24", **s}})
    r = post(allocation_pools=[{"start": "10.9.0.10", "end": "10.9.1.20"}])
    assert r.status_code == 400 and error_type(r) == "OutOfBoundsAllocationPool"
    r = post(allocation_pools=[{"start": "10.9.0.10", "end": "10.9.0.20"}, {"start": "10.9.0.15", "end": "10.9.0.30"}])
    assert r.status_code == 400 and error_type(r) == "OverlappingAllocationPools"
    r = post(gateway_ip="10.9.0.12", allocation_pools=[{"start": "10.9.0.10", "end": "10.9.0.20"}])
    assert r.status_code == 409 and error_type(r) == "GatewayConflictWithAllocationPools"
    sub = post(gateway_ip=None).json()["subnet"]
    assert sub["gateway_ip"] is None and sub["allocation_pools"] == [{"start": "10.9.0.1", "end": "10.9.0.254"}]
    r = post(cidr="10.9.0.128/25")
    assert r.status_code == 400                                  # overlaps in the same network


def test_ipv6_slaac(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    sub = neutron_demo.create("subnets", network_id=net["id"], ip_version=6, cidr="2001:db8:1::/64",
                              ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    assert sub["gateway_ip"] == "2001:db8:1::1"
    port = neutron_demo.create("ports", network_id=net["id"], mac_address="fa:16:3e:11:22:33")
    assert port["fixed_ips"][0]["ip_address"] == "2001:db8:1:0:f816:3eff:fe11:2233"
    r = neutron_demo.post("/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 6,
                                                       "cidr": "2001:db8:2::/64", "ipv6_ra_mode": "slaac",
                                                       "ipv6_address_mode": "dhcpv6-stateful"}})
    assert r.status_code == 400


def test_subnet_update_and_in_use(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.30.0.0/24")
    r = neutron_demo.put(f"/subnets/{sub['id']}", json={"subnet": {"name": "x", "host_routes": [
        {"destination": "10.40.0.0/24", "nexthop": "10.30.0.5"}]}})
    assert r.status_code == 200 and r.json()["subnet"]["host_routes"][0]["nexthop"] == "10.30.0.5"
    assert neutron_demo.put(f"/subnets/{sub['id']}", json={"subnet": {"cidr": "10.0.0.0/8"}}).status_code == 400
    neutron_demo.create("ports", network_id=net["id"])
    r = neutron_demo.delete(f"/subnets/{sub['id']}")
    assert r.status_code == 409 and error_type(r) == "SubnetInUse"


def test_slaac_subnet_goes_with_its_port_addresses(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    rev = net["revision_number"]
    sub = neutron_demo.create("subnets", network_id=net["id"], ip_version=6, cidr="2001:db8:5a::/64",
                              ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    after_create = neutron_demo.get(f"/networks/{net['id']}").json()["network"]["revision_number"]
    assert after_create > rev                                  # a subnet change bumps the network
    port = neutron_demo.create("ports", network_id=net["id"])
    assert port["fixed_ips"][0]["subnet_id"] == sub["id"]
    assert neutron_demo.delete(f"/subnets/{sub['id']}").status_code == 204
    assert neutron_demo.get(f"/ports/{port['id']}").json()["port"]["fixed_ips"] == []
    assert neutron_demo.get(f"/networks/{net['id']}").json()["network"]["revision_number"] > after_create


def test_members_may_set_service_types_and_mtu_rules(neutron_demo):
    net = neutron_demo.create("networks", name=unique(), mtu=1279)
    r = neutron_demo.post("/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 6,
                                                       "cidr": "2001:db8:5b::/64"}})
    assert r.status_code == 409 and error_type(r) == "NetworkMTUSubnetConflict"
    sub = neutron_demo.create("subnets", network_id=net["id"], ip_version=4, cidr="10.96.0.0/24",
                              service_types=["compute:nova"])
    r = neutron_demo.put(f"/subnets/{sub['id']}", json={"subnet": {"service_types": []}})
    assert r.status_code == 200 and r.json()["subnet"]["service_types"] == []
    r = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"mtu": 67}})
    assert r.status_code == 409 and error_type(r) == "NetworkMTUSubnetConflict"
    r = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"mtu": 1443}})   # geneve carries 1442
    assert r.status_code == 400 and "too big" in r.text
