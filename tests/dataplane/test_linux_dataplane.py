"""The linux dataplane end to end, with namespaces as machines: DHCP from dnsmasq, the gateway, a machine on
another network across a router, a floating IP reached from this machine, security groups (TCP, UDP, ICMP,
remote group, stateless), anti-spoofing, the metadata proxy, and nothing of ours leading outside."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import time
import uuid
from typing import Any

import pytest

from tests.dataplane.conftest import SECRET
from tests.dataplane.machines import run
from tests.services.network.conftest import Neutron

pytestmark = pytest.mark.xdist_group("dataplane")


def wait(check: Any, timeout: float = 10.0, every: float = 0.05) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    return check()


@pytest.fixture(scope="module")
def api(dp_cloud: Any) -> tuple[Neutron, Neutron]:
    return Neutron(dp_cloud.url, dp_cloud.token("pocketstack-admin")), Neutron(dp_cloud.url, dp_cloud.token("pocketstack"))


def instance_port(admin: Neutron, demo: Neutron, network_id: str, **extra: Any) -> dict[str, Any]:
    port = demo.create("ports", network_id=network_id, device_owner="compute:nova", device_id=str(uuid.uuid4()),
                       **extra)
    r = admin.put(f"/ports/{port['id']}", json={"port": {"binding:host_id": "machine"}})
    assert r.status_code == 200 and r.json()["port"]["status"] == "DOWN", r.text     # DOWN until wired
    return port


def status(neutron: Neutron, port_id: str) -> str:
    return neutron.get(f"/ports/{port_id}").json()["port"]["status"]


@pytest.fixture(scope="module")
def topo(api: tuple[Neutron, Neutron], machines: Any) -> dict[str, Any]:
    admin, demo = api
    private = demo.get("/networks", params={"name": "private"}).json()["networks"][0]
    router = demo.get("/routers", params={"name": "router1"}).json()["routers"][0]
    net2, sub2 = demo.network_with_subnet("10.9.0.0/24")
    assert demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub2["id"]}).status_code == 200
    web = demo.create("security-groups", name="web")
    default = demo.get("/security-groups", params={"name": "default"}).json()["security_groups"][0]
    vm1, vm2 = machines("vm1"), machines("vm2")
    p1 = instance_port(admin, demo, private["id"])
    p2 = instance_port(admin, demo, net2["id"], security_groups=[web["id"]])
    for machine, port in ((vm1, p1), (vm2, p2)):
        started = time.time()
        machine.plug(port)
        assert wait(lambda: status(demo, port["id"]) == "ACTIVE"), "port not ACTIVE after plugging"
        machine.wired_in = time.time() - started
        machine.lease = machine.dhcp()
        machine.serve("tcp", 8080)
        machine.serve("udp", 5353)
        machine.serve("tcp", 9090)
    return {"private": private, "router": router, "net2": net2, "web": web, "default": default, "vm1": vm1,
            "vm2": vm2, "p1": p1, "p2": p2}


def test_agents_are_real_and_alive(api: Any) -> None:
    admin, _ = api
    agents = {a["agent_type"]: a for a in admin.get("/agents").json()["agents"]}
    assert {"Linux bridge agent", "DHCP agent", "L3 agent", "Metadata agent"} <= set(agents)
    assert "Open vSwitch agent" not in agents
    assert all(a["alive"] and a["configurations"]["dataplane"] == "linux" for a in agents.values())
    assert len(admin.get("/agents", params={"alive": "true"}).json()["agents"]) == len(agents)


def test_dhcp_lease_and_gateway(topo: dict[str, Any]) -> None:
    vm1, p1 = topo["vm1"], topo["p1"]
    assert vm1.lease["ip"] == p1["fixed_ips"][0]["ip_address"]
    assert vm1.lease["router"] == "10.0.0.1" and vm1.lease["mtu"] == topo["private"]["mtu"]
    assert vm1.lease["hostname"].startswith("host-10-0-0-")
    assert vm1.lease["hostname"] == p1["dns_assignment"][0]["hostname"]        # dnsmasq names as dns_assignment
    assert vm1.ping("10.0.0.1")


def test_dhcp_follows_port_changes_without_restart(api: Any, topo: dict[str, Any], dp_cloud: Any) -> None:
    admin, demo = api
    pid_file = f"/run/pocketstack/{dp_cloud.cloud_name}/dhcp/{topo['private']['id']}/pid"
    pid = open(pid_file).read().strip()
    port = demo.create("ports", network_id=topo["private"]["id"])
    hosts = f"/run/pocketstack/{dp_cloud.cloud_name}/dhcp/{topo['private']['id']}/host"
    assert wait(lambda: port["mac_address"] in open(hosts).read())
    assert open(pid_file).read().strip() == pid
    assert demo.delete(f"/ports/{port['id']}").status_code == 204


def test_across_router_and_security_group_icmp(api: Any, topo: dict[str, Any]) -> None:
    admin, demo = api
    vm1, vm2 = topo["vm1"], topo["vm2"]
    assert vm2.ping("10.9.0.1")                            # its own gateway: egress is open, replies tracked
    assert not vm1.ping(vm2.ip)                            # group `web` has no ingress rule yet
    rule = demo.create("security-group-rules", security_group_id=topo["web"]["id"], direction="ingress",
                       ethertype="IPv4", protocol="icmp")
    started = time.time()
    assert wait(lambda: vm1.ping(vm2.ip), timeout=5, every=0)
    assert time.time() - started < 2.5                     # a rule change is enforced within about a second
    assert demo.delete(f"/security-group-rules/{rule['id']}").status_code == 204
    assert wait(lambda: not vm1.ping(vm2.ip), timeout=5, every=0)


def test_security_group_tcp_udp_and_remote_group(api: Any, topo: dict[str, Any]) -> None:
    admin, demo = api
    vm1, vm2, web = topo["vm1"], topo["vm2"], topo["web"]["id"]
    assert not vm1.reach("tcp", vm2.ip, 8080) and not vm1.reach("udp", vm2.ip, 5353)
    tcp = demo.create("security-group-rules", security_group_id=web, direction="ingress", ethertype="IPv4",
                      protocol="tcp", port_range_min=8080, port_range_max=8080, remote_ip_prefix="10.0.0.0/26")
    assert wait(lambda: vm1.reach("tcp", vm2.ip, 8080), timeout=5)
    assert not vm1.reach("udp", vm2.ip, 5353) and not vm1.reach("tcp", vm2.ip, 9090)
    udp = demo.create("security-group-rules", security_group_id=web, direction="ingress", ethertype="IPv4",
                      protocol="udp", port_range_min=5353, port_range_max=5353)
    assert wait(lambda: vm1.reach("udp", vm2.ip, 5353), timeout=5)
    group = demo.create("security-group-rules", security_group_id=web, direction="ingress", ethertype="IPv4",
                        protocol="tcp", port_range_min=9090, port_range_max=9090,
                        remote_group_id=topo["default"]["id"])
    assert wait(lambda: vm1.reach("tcp", vm2.ip, 9090), timeout=5)     # vm1 is in `default`
    for rule in (tcp, udp, group):
        demo.delete(f"/security-group-rules/{rule['id']}")
    assert wait(lambda: not vm1.reach("tcp", vm2.ip, 8080), timeout=5)


def test_floating_ip_from_this_machine(api: Any, topo: dict[str, Any]) -> None:
    admin, demo = api
    vm2 = topo["vm2"]
    public = admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    fip = demo.create("floatingips", floating_network_id=public["id"], port_id=topo["p2"]["id"])
    address = fip["floating_ip_address"]
    rules = [demo.create("security-group-rules", security_group_id=topo["web"]["id"], direction="ingress",
                         ethertype="IPv4", protocol=proto, **ports)
             for proto, ports in (("icmp", {}), ("tcp", {"port_range_min": 8080, "port_range_max": 8080}))]
    assert wait(lambda: run("ping", "-c", "1", "-W", "1", address, check=False).returncode == 0, timeout=10)
    assert wait(lambda: run("nc", "-z", "-w", "1", address, "8080", check=False).returncode == 0, timeout=5)
    assert wait(lambda: demo.get(f"/floatingips/{fip['id']}").json()["floatingip"]["status"] == "ACTIVE")
    # the guest's own traffic to this machine leaves through the floating IP (SNAT)
    assert vm2.ping("172.24.4.1")
    for rule in rules:
        demo.delete(f"/security-group-rules/{rule['id']}")
    assert demo.delete(f"/floatingips/{fip['id']}").status_code == 204
    assert wait(lambda: run("ping", "-c", "1", "-W", "1", address, check=False).returncode != 0, timeout=5)


def test_anti_spoofing(topo: dict[str, Any]) -> None:
    vm1 = topo["vm1"]
    assert vm1.ping("10.0.0.1")
    vm1.sh("ip", "addr", "flush", "dev", "eth0")
    vm1.sh("ip", "addr", "add", "10.0.0.60/26", "dev", "eth0")         # someone else's address
    try:
        assert not vm1.ping("10.0.0.1")
    finally:
        vm1.sh("ip", "addr", "flush", "dev", "eth0")
        vm1.sh("ip", "addr", "add", f"{vm1.ip}/26", "dev", "eth0")
        vm1.sh("ip", "route", "replace", "default", "via", "10.0.0.1")
    vm1.sh("ip", "link", "set", "eth0", "address", "fa:16:3e:00:00:01")  # someone else's MAC
    try:
        vm1.sh("ip", "neigh", "flush", "all")
        assert not vm1.ping("10.0.0.1")
    finally:
        vm1.sh("ip", "link", "set", "eth0", "address", vm1.mac)
    assert wait(lambda: vm1.ping("10.0.0.1"), timeout=5)


def test_allowed_address_pairs_and_port_security_off(api: Any, topo: dict[str, Any]) -> None:
    admin, demo = api
    vm1, p1 = topo["vm1"], topo["p1"]
    assert demo.put(f"/ports/{p1['id']}", json={"port": {"allowed_address_pairs": [
        {"ip_address": "10.0.0.61"}]}}).status_code == 200
    vm1.sh("ip", "addr", "add", "10.0.0.61/32", "dev", "eth0")
    try:
        assert wait(lambda: vm1.sh("ping", "-c", "1", "-W", "1", "-I", "10.0.0.61", "10.0.0.1",
                                   check=False).returncode == 0, timeout=5)
    finally:
        vm1.sh("ip", "addr", "del", "10.0.0.61/32", "dev", "eth0")
        demo.put(f"/ports/{p1['id']}", json={"port": {"allowed_address_pairs": []}})
    vm2 = topo["vm2"]
    assert not vm1.ping(vm2.ip)
    r = demo.put(f"/ports/{topo['p2']['id']}", json={"port": {"security_groups": [], "port_security_enabled": False}})
    assert r.status_code == 200, r.text
    try:
        assert wait(lambda: vm1.ping(vm2.ip), timeout=5)
    finally:
        demo.put(f"/ports/{topo['p2']['id']}", json={"port": {"port_security_enabled": True}})
        demo.put(f"/ports/{topo['p2']['id']}", json={"port": {"security_groups": [topo["web"]["id"]]}})
    assert wait(lambda: not vm1.ping(vm2.ip), timeout=5)


@pytest.mark.skipif(not shutil.which("iperf3"), reason="iperf3 (Debian: iperf3) measures the QoS limit")
def test_qos_bandwidth_limit(api: Any, topo: dict[str, Any], dp_cloud: Any) -> None:
    admin, demo = api
    vm1, vm2, p1 = topo["vm1"], topo["vm2"], topo["p1"]
    r = admin.post("/qos/policies", json={"policy": {"name": "slow", "shared": True}})
    assert r.status_code == 201, r.text
    policy = r.json()["policy"]
    r = admin.post(f"/qos/policies/{policy['id']}/bandwidth_limit_rules",
                   json={"bandwidth_limit_rule": {"max_kbps": 8000, "direction": "egress"}})
    assert r.status_code == 201, r.text
    rule = demo.create("security-group-rules", security_group_id=topo["web"]["id"], direction="ingress",
                       ethertype="IPv4", protocol="tcp", port_range_min=5201, port_range_max=5201)
    assert demo.put(f"/ports/{p1['id']}", json={"port": {"qos_policy_id": policy["id"]}}).status_code == 200
    tap = "tap" + p1["id"][:11]
    int_ns = f"ps-{dp_cloud.cloud_name}-int"
    rules = ["ip", "netns", "exec", int_ns, "nft", "list", "chain", "bridge", "pocketstack_sg", "prerouting"]
    assert wait(lambda: f'iifname "{tap}" limit rate over' in run(*rules).stdout)
    server = subprocess.Popen(["ip", "netns", "exec", vm2.ns, "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = vm1.sh("iperf3", "-c", vm2.ip, "-t", "3", "-J", timeout=30).stdout
        rate = json.loads(out)["end"]["sum_received"]["bits_per_second"]
        # 8 Mbit/s plus the burst over a short run (unlimited, this path carries gigabits)
        assert rate < 16e6, rate
    finally:
        server.kill()
        server.wait()
        demo.put(f"/ports/{p1['id']}", json={"port": {"qos_policy_id": None}})
        demo.delete(f"/security-group-rules/{rule['id']}")
    assert wait(lambda: "limit rate" not in run(*rules).stdout)


def test_metadata_through_the_proxy(topo: dict[str, Any], metadata_upstream: Any) -> None:
    vm1, p1 = topo["vm1"], topo["p1"]
    body = json.loads(vm1.probe("get", "http://169.254.169.254/openstack/latest/meta_data.json").stdout)
    assert body == {"uuid": p1["device_id"]}
    seen = metadata_upstream[1][-1]
    assert seen["path"] == "/openstack/latest/meta_data.json"
    assert seen["x-instance-id"] == p1["device_id"] and seen["x-tenant-id"] == p1["project_id"]
    assert seen["x-forwarded-for"] == vm1.ip
    assert seen["x-instance-id-signature"] == hmac.new(SECRET.encode(), p1["device_id"].encode(),
                                                       hashlib.sha256).hexdigest()


def test_nothing_leads_outside(dp_cloud: Any, topo: dict[str, Any]) -> None:
    name = dp_cloud.cloud_name
    # the machine has our one veth, with the external subnet on it, and no route of ours beyond it
    routes = run("ip", "-j", "route", "show", "dev", f"ps-{name}-ex").stdout
    assert [r["dst"] for r in json.loads(routes)] == ["172.24.4.0/24"]
    assert run("sysctl", "-n", f"net.ipv4.conf.ps-{name}-ex.forwarding").stdout.strip() == "0"
    # dnsmasq forwards nothing
    for line in run("ps", "-eo", "args").stdout.splitlines():
        if f"/run/pocketstack/{name}/" in line and line.startswith("dnsmasq"):
            assert "--no-resolv" in line and "--server" not in line
    # a guest's packet to an address outside the external network dies in the router (TEST-NET-1)
    assert not topo["vm1"].ping("192.0.2.1")
    router_ns = f"ps-{name}-qrouter-{topo['router']['id']}"
    ruleset = run("ip", "netns", "exec", router_ns, "nft", "list", "table", "ip", "pocketstack_router").stdout
    assert "ip daddr != 172.24.4.0/24 drop" in ruleset


def test_ipv6_slaac_through_router_advertisements(api: Any, topo: dict[str, Any], machines: Any) -> None:
    admin, demo = api
    net = demo.create("networks", name="v6")
    sub = demo.create("subnets", network_id=net["id"], ip_version=6, cidr="fd00:77::/64",
                      ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    router = topo["router"]
    assert demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]}).status_code == 200
    vm = machines("vm6")
    port = instance_port(admin, demo, net["id"])
    vm.plug(port)
    assert wait(lambda: status(demo, port["id"]) == "ACTIVE")
    address = port["fixed_ips"][0]["ip_address"]             # EUI-64 of the MAC, as neutron computes it
    assert wait(lambda: address in vm.sh("ip", "-6", "addr", "show", "dev", "eth0").stdout, timeout=20), \
        vm.sh("ip", "-6", "addr").stdout
    assert wait(lambda: vm.sh("ping", "-6", "-c", "1", "-W", "1", "fd00:77::1", check=False).returncode == 0)
    demo.put(f"/routers/{router['id']}/remove_router_interface", json={"subnet_id": sub["id"]})


def test_isolated_network_metadata_unplug_and_delete(api: Any, topo: dict[str, Any], dp_cloud: Any, machines: Any) -> None:
    admin, demo = api
    net, sub = demo.network_with_subnet("10.77.0.0/24")
    ns = f"ps-{dp_cloud.cloud_name}-qdhcp-{net['id']}"
    assert wait(lambda: ns in run("ip", "netns", "list").stdout)
    vm = machines("vm3")
    port = instance_port(admin, demo, net["id"])
    vm.plug(port)
    assert wait(lambda: status(demo, port["id"]) == "ACTIVE")
    # an isolated network: metadata from the DHCP namespace, reached through a DHCP route
    lease = vm.dhcp()
    assert ["169.254.169.254/32", lease["server"]] in lease["routes"]
    body = json.loads(vm.probe("get", "http://169.254.169.254/openstack/latest/meta_data.json").stdout)
    assert body == {"uuid": port["device_id"]}
    vm.remove()                                             # the machine goes away: its port goes DOWN
    assert wait(lambda: status(demo, port["id"]) == "DOWN", timeout=5)
    demo.delete(f"/ports/{port['id']}")
    demo.delete(f"/networks/{net['id']}")
    assert wait(lambda: ns not in run("ip", "netns", "list").stdout)
    assert wait(lambda: "brq" + net["id"][:11] not in run("ip", "-n", f"ps-{dp_cloud.cloud_name}-int", "-br",
                                                          "link").stdout)
