"""The linux dataplane beyond the basics, with namespaces as machines: IPv6 by DHCPv6 (stateful and stateless)
with router advertisements from radvd, floating IP port forwarding, hairpin through floating IPs, and a
trunk's subport carried as an 802.1q VLAN on its parent."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from pocketstack.services.network.dataplane.linux import kernel

from tests.dataplane.machines import PROBE, run
from tests.dataplane.test_linux_dataplane import api, instance_port, status, wait  # noqa: F401 - fixture
from tests.services.network.conftest import Neutron

pytestmark = pytest.mark.xdist_group("dataplane")


@pytest.fixture(scope="module")
def l3(api: tuple[Neutron, Neutron], machines: Any) -> dict[str, Any]:  # noqa: F811
    """Two machines on a network of their own behind router1, each with a floating IP, ICMP and TCP open."""
    admin, demo = api
    router = demo.get("/routers", params={"name": "router1"}).json()["routers"][0]
    public = admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    net, sub = demo.network_with_subnet("10.21.0.0/24")
    r = demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    assert r.status_code == 200
    group = demo.create("security-groups", name="hairpin")
    for proto, extra in (("icmp", {}), ("tcp", {"port_range_min": 8080, "port_range_max": 8080}),
                         ("udp", {"port_range_min": 5353, "port_range_max": 5353})):
        demo.create("security-group-rules", security_group_id=group["id"], direction="ingress",
                    ethertype="IPv4", protocol=proto, **extra)
    out: dict[str, Any] = {"router": router, "public": public, "net": net, "group": group}
    for name in ("h1", "h2"):
        vm = machines(name)
        port = instance_port(admin, demo, net["id"], security_groups=[group["id"]])
        vm.plug(port)
        assert wait(lambda: status(demo, port["id"]) == "ACTIVE"), "port not ACTIVE after plugging"
        vm.dhcp()
        vm.serve("tcp", 8080)
        vm.serve("udp", 5353)
        out[name], out[name + "_port"] = vm, port
    return out


def from_machine(kind: str, address: str, port: int) -> bool:
    """TCP or UDP echo from this machine (the external veth's side), as a user would try it."""
    return run(sys.executable, PROBE, kind, address, str(port), check=False).returncode == 0


def test_hairpin_own_and_neighbours_floating_ip(api: Any, l3: dict[str, Any]) -> None:  # noqa: F811
    admin, demo = api
    h1, h2 = l3["h1"], l3["h2"]
    fips = [demo.create("floatingips", floating_network_id=l3["public"]["id"], port_id=l3[n + "_port"]["id"])
            for n in ("h1", "h2")]
    a1, a2 = (f["floating_ip_address"] for f in fips)
    try:
        assert wait(lambda: run("ping", "-c", "1", "-W", "1", a1, check=False).returncode == 0, timeout=10)
        assert wait(lambda: h1.ping(a1), timeout=5), "a machine cannot reach its own floating IP"
        assert wait(lambda: h1.ping(a2), timeout=5), "a machine cannot reach its neighbour's floating IP"
        assert h2.ping(a1) and h1.reach("tcp", a2, 8080) and h2.reach("udp", a1, 5353)
        assert h1.reach("tcp", a1, 8080)
        # the neighbour sees the sender's floating IP, as neutron's float-snat rule makes it
        router_ns = f"ps-{h1.cloud_name}-qrouter-{l3['router']['id']}"
        ruleset = run("ip", "netns", "exec", router_ns, "nft", "list", "table", "ip",
                      "pocketstack_router").stdout
        assert f"ct status dnat ip saddr {h1.ip} snat to {a1}" in ruleset
    finally:
        for fip in fips:
            demo.delete(f"/floatingips/{fip['id']}")
    assert wait(lambda: not h1.ping(a2), timeout=5)


def test_port_forwarding_from_this_machine(api: Any, l3: dict[str, Any]) -> None:  # noqa: F811
    admin, demo = api
    h2, port = l3["h2"], l3["h2_port"]
    fip = demo.create("floatingips", floating_network_id=l3["public"]["id"])
    address = fip["floating_ip_address"]
    base = f"/floatingips/{fip['id']}/port_forwardings"
    made = []
    for proto, external, internal in (("tcp", 2222, 8080), ("udp", 5300, 5353)):
        r = demo.post(base, json={"port_forwarding": {"protocol": proto, "external_port": external,
                                                      "internal_port": internal, "internal_port_id": port["id"],
                                                      "internal_ip_address": h2.ip}})
        assert r.status_code == 201, r.text
        made.append(r.json()["port_forwarding"])
    assert demo.get(f"/floatingips/{fip['id']}").json()["floatingip"]["router_id"] == l3["router"]["id"]
    try:
        assert wait(lambda: from_machine("tcp", address, 2222), timeout=10), "TCP forwarding does not reach"
        assert wait(lambda: from_machine("udp", address, 5300), timeout=5), "UDP forwarding does not reach"
        assert not from_machine("tcp", address, 8080)           # only the forwarded port is open
        assert demo.delete(f"{base}/{made[0]['id']}").status_code == 204
        assert wait(lambda: not from_machine("tcp", address, 2222), timeout=5)
        assert from_machine("udp", address, 5300)
        r = demo.delete(f"/floatingips/{fip['id']}")
        assert r.status_code == 409 and "in use by Port Forwarding" in r.text
    finally:
        demo.delete(f"{base}/{made[1]['id']}")
        demo.delete(f"/floatingips/{fip['id']}")
    assert wait(lambda: not from_machine("udp", address, 5300), timeout=5)


def test_trunk_subport_as_vlan(api: Any, l3: dict[str, Any], machines: Any) -> None:  # noqa: F811
    if not kernel.load_vlan():
        pytest.skip("trunk subport test skipped: this kernel has no 802.1q VLAN devices (CONFIG_VLAN_8021Q)")
    admin, demo = api
    net2, sub2 = demo.network_with_subnet("10.22.0.0/24")
    vm = machines("trunk")
    parent = instance_port(admin, demo, l3["net"]["id"], port_security_enabled=False, security_groups=[])
    child = demo.create("ports", network_id=net2["id"], port_security_enabled=False, security_groups=[])
    trunk = demo.create("trunks", port_id=parent["id"], sub_ports=[
        {"port_id": child["id"], "segmentation_type": "vlan", "segmentation_id": 101}])
    try:
        vm.plug(parent)
        assert wait(lambda: status(demo, parent["id"]) == "ACTIVE")
        assert wait(lambda: status(demo, child["id"]) == "ACTIVE"), "subport not ACTIVE when its parent is wired"
        vm.sh("ip", "link", "add", "link", "eth0", "name", "eth0.101", "type", "vlan", "id", "101")
        vm.sh("ip", "link", "set", "eth0.101", "address", child["mac_address"], "up")
        lease = json.loads(vm.probe("dhcp", "eth0.101", child["mac_address"]).stdout)
        assert lease["ip"] == child["fixed_ips"][0]["ip_address"]          # dnsmasq of the subport's network
        vm.sh("ip", "addr", "add", f"{lease['ip']}/24", "dev", "eth0.101")
        assert wait(lambda: vm.ping(lease["server"]), timeout=5), "the subport's network is not reached"
        # out of the trunk: the VLAN device goes and the subport goes DOWN
        r = demo.put(f"/trunks/{trunk['id']}/remove_subports", json={"sub_ports": [{"port_id": child["id"]}]})
        assert r.status_code == 200, r.text
        assert wait(lambda: status(demo, child["id"]) == "DOWN", timeout=5)
        assert not vm.ping(lease["server"])
    finally:
        vm.remove()
        demo.delete(f"/trunks/{trunk['id']}")
        demo.delete(f"/ports/{child['id']}")
        demo.delete(f"/ports/{parent['id']}")


def _link_local_ready(vm: Any) -> bool:
    out = vm.sh("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").stdout
    return "inet6" in out and "tentative" not in out


@pytest.mark.parametrize("mode", ["dhcpv6-stateful", "dhcpv6-stateless"])
def test_ipv6_dhcpv6_with_router_advertisements(api: Any, l3: dict[str, Any], machines: Any,  # noqa: F811
                                                mode: str) -> None:
    admin, demo = api
    n = 78 if mode == "dhcpv6-stateful" else 79
    net = demo.create("networks", name=f"v6-{mode}")
    sub = demo.create("subnets", network_id=net["id"], ip_version=6, cidr=f"fd00:{n}::/64", ipv6_ra_mode=mode,
                      ipv6_address_mode=mode, dns_nameservers=[f"fd00:{n}::53"])
    router = l3["router"]
    r = demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    assert r.status_code == 200
    vm = machines(f"v6{n}")
    port = instance_port(admin, demo, net["id"])
    address = port["fixed_ips"][0]["ip_address"]
    try:
        vm.plug(port)
        assert wait(lambda: status(demo, port["id"]) == "ACTIVE")
        assert wait(lambda: _link_local_ready(vm), timeout=10)
        answer = json.loads(vm.probe("dhcp6", "eth0", port["mac_address"], mode.split("-")[1]).stdout)
        assert answer["dns"] == [f"fd00:{n}::53"]
        if mode == "dhcpv6-stateful":
            assert answer["ip"] == address                       # by MAC, from the hosts file
            vm.sh("ip", "-6", "addr", "add", f"{address}/128", "dev", "eth0")
        else:                                                    # the address by SLAAC, the rest by DHCPv6
            assert "ip" not in answer
            assert wait(lambda: address in vm.sh("ip", "-6", "addr", "show", "dev", "eth0").stdout, timeout=20)
        # the router's advertisements: the prefix on-link, a default route, and (stateful) no SLAAC address
        assert wait(lambda: "default via fe80::" in vm.sh("ip", "-6", "route").stdout, timeout=20), \
            vm.sh("ip", "-6", "route").stdout
        globals_ = [line for line in vm.sh("ip", "-6", "addr", "show", "dev", "eth0", "scope", "global").stdout
                    .splitlines() if "inet6" in line]
        assert len(globals_) == 1 and address in globals_[0], globals_
        ping = ["ping", "-6", "-c", "1", "-W", "1", f"fd00:{n}::1"]
        assert wait(lambda: vm.sh(*ping, check=False).returncode == 0)
    finally:
        vm.remove()
        demo.put(f"/routers/{router['id']}/remove_router_interface", json={"subnet_id": sub["id"]})
        demo.delete(f"/ports/{port['id']}")
        demo.delete(f"/networks/{net['id']}")
