"""Ports: IPAM, MAC addresses, bindings, security groups, address pairs."""

import concurrent.futures
import threading

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_cli_port_create_with_fixed_ip(cli):
    net = cli("network", "create", unique("net"), os_cloud="pocketstack")
    sub = cli("subnet", "create", unique("sub"), "--network", net["id"], "--subnet-range", "10.50.0.0/24",
              os_cloud="pocketstack")
    port = cli("port", "create", unique("port"), "--network", net["id"],
               "--fixed-ip", f"subnet={sub['id']},ip-address=10.50.0.77", os_cloud="pocketstack")
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.50.0.77"}]
    assert port["mac_address"].startswith("fa:16:3e:") and port["status"] == "DOWN"
    assert len(port["security_group_ids"]) == 1
    auto = cli("port", "create", unique("port"), "--network", net["id"], os_cloud="pocketstack")
    assert auto["fixed_ips"][0]["ip_address"] == "10.50.0.3"       # .2 went to the DHCP agent's port


def test_duplicate_ip_and_mac(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.51.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"ip_address": "10.51.0.9"}])
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.51.0.9"}]}})
    assert r.status_code == 409 and error_type(r) == "IpAddressAlreadyAllocated"
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "mac_address": port["mac_address"]}})
    assert r.status_code == 409 and error_type(r) == "MacAddressInUse"
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.99.0.9"}]}})
    assert r.status_code == 400


def test_ipam_concurrency_and_exhaustion(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.60.0.0/28", enable_dhcp=False)    # 13 addresses in the pool
    def make(_):
        return neutron_demo.post("/ports", json={"port": {"network_id": net["id"]}})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(make, range(16)))
    ok = [r.json()["port"]["fixed_ips"][0]["ip_address"] for r in results if r.status_code == 201]
    failed = [r for r in results if r.status_code != 201]
    assert len(ok) == 13 and len(set(ok)) == 13
    assert all(r.status_code == 409 and error_type(r) == "IpAddressGenerationFailure" for r in failed)
    assert len(failed) == 3


def test_fifty_concurrent_creates_on_a_28(neutron_demo):
    """50 creates at once on a /28 without a gateway (14 addresses, .1 to .14): no address twice,
    the 15th and later get neutron's IpAddressGenerationFailure."""
    net, sub = neutron_demo.network_with_subnet("10.62.0.0/28", gateway_ip=None, enable_dhcp=False)
    assert sub["allocation_pools"] == [{"start": "10.62.0.1", "end": "10.62.0.14"}]
    barrier = threading.Barrier(50)

    def make(_):
        barrier.wait()
        return neutron_demo.post("/ports", json={"port": {"network_id": net["id"]}})
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(make, range(50)))
    ok = [r.json()["port"]["fixed_ips"][0]["ip_address"] for r in results if r.status_code == 201]
    failed = [r for r in results if r.status_code != 201]
    assert len(ok) == 14 and sorted(ok) == sorted(f"10.62.0.{i}" for i in range(1, 15))
    assert len(failed) == 36
    assert all(r.status_code == 409 and error_type(r) == "IpAddressGenerationFailure" for r in failed)
    listed = neutron_demo.get("/ports", params={"network_id": net["id"]}).json()["ports"]
    assert sorted(p["fixed_ips"][0]["ip_address"] for p in listed) == sorted(ok)


def test_update_fixed_ips_releases(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.61.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"ip_address": "10.61.0.50"}])
    r = neutron_demo.put(f"/ports/{port['id']}", json={"port": {"fixed_ips": [{"ip_address": "10.61.0.51"}]}})
    assert [f["ip_address"] for f in r.json()["port"]["fixed_ips"]] == ["10.61.0.51"]
    other = neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"ip_address": "10.61.0.50"}])
    assert other["fixed_ips"][0]["ip_address"] == "10.61.0.50"
    assert neutron_demo.delete(f"/ports/{other['id']}").status_code == 204
    again = neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"subnet_id": sub["id"],
                                                                           "ip_address": "10.61.0.50"}])
    assert again["fixed_ips"][0]["ip_address"] == "10.61.0.50"


def test_binding_is_admin_only(neutron_admin, neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.62.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"])
    assert "binding:host_id" not in port and port["binding:vnic_type"] == "normal"
    r = neutron_demo.put(f"/ports/{port['id']}", json={"port": {"binding:host_id": "h1"}})
    assert r.status_code == 403
    bound = neutron_admin.put(f"/ports/{port['id']}", json={"port": {"binding:host_id": "h1",
                                                                      "device_owner": "compute:nova"}}).json()["port"]
    assert bound["binding:vif_type"] == "ovs" and bound["status"] == "ACTIVE"
    r = neutron_admin.put(f"/ports/{port['id']}", json={"port": {"mac_address": "fa:16:3e:00:00:01"}})
    assert r.status_code == 409 and error_type(r) == "PortBound"


def test_mac_regenerate_and_address_pairs(neutron_admin):
    net, _ = neutron_admin.network_with_subnet("10.63.0.0/24")
    port = neutron_admin.create("ports", network_id=net["id"],
                                allowed_address_pairs=[{"ip_address": "10.63.0.200"}],
                                extra_dhcp_opts=[{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"}])
    assert port["allowed_address_pairs"] == [{"ip_address": "10.63.0.200", "mac_address": port["mac_address"]}]
    assert port["extra_dhcp_opts"] == [{"opt_name": "bootfile-name", "opt_value": "pxelinux.0", "ip_version": 4}]
    r = neutron_admin.put(f"/ports/{port['id']}", json={"port": {"mac_address": None}})
    assert r.status_code == 200 and r.json()["port"]["mac_address"] != port["mac_address"]
    r = neutron_admin.put(f"/ports/{port['id']}", json={"port": {"port_security_enabled": False}})
    assert r.status_code == 409


def test_port_filters(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.64.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"ip_address": "10.64.0.123"}])
    get = lambda **p: [x["id"] for x in neutron_demo.get("/ports", params=p).json()["ports"]]  # noqa: E731
    assert get(fixed_ips="ip_address=10.64.0.123") == [port["id"]]
    assert get(fixed_ips="ip_address_substr=64.0.12", network_id=net["id"]) == [port["id"]]
    assert get(security_groups=port["security_groups"][0], network_id=net["id"]) == [port["id"]]
    assert get(device_owner="", network_id=net["id"]) == [port["id"]]


def test_neutron_checks_before_policy(neutron_demo, neutron_alt):
    net, _ = neutron_demo.network_with_subnet("10.63.0.0/24")
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "name": "z" * 256}})
    assert r.status_code == 400
    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "project_id": alt_project}})
    assert r.status_code == 400 and "requires admin privileges" in r.text
    # allowed address pairs on a network of another project are the network owner's call
    shared = neutron_demo.create("networks", name=unique(), shared=False)
    neutron_demo.create("subnets", network_id=shared["id"], ip_version=4, cidr="10.64.0.0/24")
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": shared["id"], "action": "access_as_shared",
        "target_tenant": alt_project}})
    assert r.status_code == 201
    r = neutron_alt.post("/ports", json={"port": {"network_id": shared["id"],
                                                  "allowed_address_pairs": [{"ip_address": "10.64.0.99"}]}})
    assert r.status_code == 403
    port = neutron_alt.create("ports", network_id=shared["id"])
    r = neutron_alt.put(f"/ports/{port['id']}", json={"port": {"allowed_address_pairs": [
        {"ip_address": "10.64.0.99"}]}})
    assert r.status_code == 403
    assert neutron_alt.delete(f"/ports/{port['id']}").status_code == 204


def test_lowest_free_address_after_release_and_fixed_picks(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.65.0.0/24", enable_dhcp=False)
    first = neutron_demo.create("ports", network_id=net["id"])
    assert first["fixed_ips"][0]["ip_address"] == "10.65.0.2"
    neutron_demo.create("ports", network_id=net["id"], fixed_ips=[{"ip_address": "10.65.0.3"}])
    third = neutron_demo.create("ports", network_id=net["id"])
    assert third["fixed_ips"][0]["ip_address"] == "10.65.0.4"           # .3 was taken by hand
    assert neutron_demo.delete(f"/ports/{first['id']}").status_code == 204
    again = neutron_demo.create("ports", network_id=net["id"])
    assert again["fixed_ips"][0]["ip_address"] == "10.65.0.2"           # the released address comes back
