"""Routers, interfaces, extra routes and floating IPs; the DevStack bootstrap topology."""

import httpx

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_bootstrap_topology(neutron_demo, neutron_admin):
    nets = {n["name"]: n for n in neutron_admin.get("/networks").json()["networks"]}
    assert nets["public"]["router:external"] is True and nets["public"]["shared"] is False
    subs = {s["name"]: s for s in neutron_admin.get("/subnets").json()["subnets"]}
    assert subs["public-subnet"]["cidr"] == "172.24.4.0/24" and subs["private-subnet"]["cidr"] == "10.0.0.0/26"
    (router,) = [r for r in neutron_demo.get("/routers").json()["routers"] if r["name"] == "router1"]
    assert router["external_gateway_info"]["network_id"] == nets["public"]["id"]
    ports = neutron_demo.get("/ports", params={"device_id": router["id"]}).json()["ports"]
    assert [p["fixed_ips"][0]["ip_address"] for p in ports] == ["10.0.0.1"]
    groups = neutron_demo.get("/security-groups", params={"name": "default"}).json()["security_groups"]
    assert len(groups) == 1 and len(groups[0]["security_group_rules"]) == 4


def test_cli_router_flow_and_floating_ip(cli):
    c = "pocketstack"
    net = cli("network", "create", unique("net"), os_cloud=c)
    sub = cli("subnet", "create", unique("sub"), "--network", net["id"], "--subnet-range", "10.70.0.0/24", os_cloud=c)
    router = cli("router", "create", unique("router"), os_cloud=c)
    cli("router", "add", "subnet", router["id"], sub["id"], os_cloud=c)
    cli("router", "set", router["id"], "--external-gateway", "public", os_cloud=c)
    shown = cli("router", "show", router["id"], os_cloud=c)
    assert shown["external_gateway_info"]["external_fixed_ips"][0]["ip_address"].startswith("172.24.4.")
    port = cli("port", "create", unique("port"), "--network", net["id"], os_cloud=c)
    fip = cli("floating", "ip", "create", "public", "--port", port["id"], os_cloud=c)
    assert fip["floating_ip_address"].startswith("172.24.4.") and fip["port_id"] == port["id"]
    assert fip["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"] and fip["router_id"] == router["id"]
    assert fip["port_details"]["network_id"] == net["id"] and fip["status"] == "ACTIVE"
    cli("floating", "ip", "unset", "--port", fip["id"], os_cloud=c)
    assert cli("floating", "ip", "show", fip["id"], os_cloud=c)["port_id"] is None
    cli("floating", "ip", "delete", fip["id"], os_cloud=c)
    cli("router", "remove", "subnet", router["id"], sub["id"], os_cloud=c)
    cli("router", "delete", router["id"], os_cloud=c)


def test_interface_errors_and_router_in_use(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.71.0.0/24")
    router = neutron_demo.create("routers", name=unique())
    url = f"/routers/{router['id']}"
    info = neutron_demo.put(url + "/add_router_interface", json={"subnet_id": sub["id"]}).json()
    assert info["subnet_ids"] == [sub["id"]] and info["network_id"] == net["id"]
    r = neutron_demo.put(url + "/add_router_interface", json={"subnet_id": sub["id"]})
    assert r.status_code == 400
    r = neutron_demo.delete(url)
    assert r.status_code == 409 and error_type(r) == "RouterInUse"
    r = neutron_demo.delete(f"/ports/{info['port_id']}")
    assert r.status_code == 409
    routes = [{"destination": "10.200.0.0/16", "nexthop": "10.71.0.9"}]
    r = neutron_demo.put(url, json={"router": {"routes": routes}})
    assert r.status_code == 200 and r.json()["router"]["routes"] == routes
    r = neutron_demo.put(url, json={"router": {"routes": [{"destination": "10.0.0.0/8", "nexthop": "192.0.2.1"}]}})
    assert r.status_code == 400 and error_type(r) == "InvalidRoutes"
    neutron_demo.put(url, json={"router": {"routes": []}})
    r = neutron_demo.put(url + "/remove_router_interface", json={"port_id": info["port_id"]})
    assert r.status_code == 200
    assert neutron_demo.delete(url).status_code == 204


def test_floating_ip_needs_a_router(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.72.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"])
    public = neutron_demo.get("/networks", params={"name": "public"}).json()["networks"][0]
    r = neutron_demo.post("/floatingips", json={"floatingip": {"floating_network_id": public["id"],
                                                               "port_id": port["id"]}})
    assert r.status_code == 404 and error_type(r) == "ExternalGatewayForFloatingIPNotFound"
    r = neutron_demo.post("/floatingips", json={"floatingip": {"floating_network_id": net["id"]}})
    assert r.status_code == 400


def test_floating_ip_association_rules(neutron_demo, neutron_admin, neutron_alt):
    public = neutron_demo.get("/networks", params={"name": "public"}).json()["networks"][0]
    net, sub = neutron_demo.network_with_subnet("10.73.0.0/24")
    router = neutron_demo.create("routers", name=unique(), external_gateway_info={"network_id": public["id"]})
    neutron_demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    mine = neutron_demo.create("ports", network_id=net["id"])
    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    foreign = neutron_admin.create("ports", network_id=net["id"], project_id=alt_project)
    fip = neutron_demo.create("floatingips", floating_network_id=public["id"], port_id=mine["id"], description="d")
    assert fip["port_id"] == mine["id"]
    # a description update keeps the association, an empty update clears it
    r = neutron_demo.put(f"/floatingips/{fip['id']}", json={"floatingip": {"description": "d2"}})
    assert r.json()["floatingip"]["port_id"] == mine["id"]
    r = neutron_demo.put(f"/floatingips/{fip['id']}", json={"floatingip": {}})
    assert r.status_code == 200 and r.json()["floatingip"]["port_id"] is None
    # a port of another project, even on the caller's own network, is refused (400), unless admin
    r = neutron_demo.put(f"/floatingips/{fip['id']}", json={"floatingip": {"port_id": foreign["id"]}})
    assert r.status_code == 400 and "different project" in r.json()["NeutronError"]["message"]
    r = neutron_admin.put(f"/floatingips/{fip['id']}", json={"floatingip": {"port_id": foreign["id"]}})
    assert r.status_code == 200 and r.json()["floatingip"]["port_id"] == foreign["id"]
    neutron_admin.delete(f"/floatingips/{fip['id']}")
    neutron_admin.delete(f"/ports/{foreign['id']}")


def test_gateway_of_a_router_interface_stays(neutron_demo):
    net, sub = neutron_demo.network_with_subnet("10.74.0.0/24", allocation_pools=[
        {"start": "10.74.0.200", "end": "10.74.0.210"}])
    assert neutron_demo.put(f"/subnets/{sub['id']}", json={"subnet": {"gateway_ip": "10.74.0.2"}}).status_code == 200
    router = neutron_demo.create("routers", name=unique())
    neutron_demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    for gateway in ("10.74.0.3", None):
        r = neutron_demo.put(f"/subnets/{sub['id']}", json={"subnet": {"gateway_ip": gateway}})
        assert r.status_code == 409 and error_type(r) == "GatewayIpInUse"
    r = neutron_demo.put(f"/routers/{router['id']}/add_router_interface", json={"port_id": "not-a-uuid"})
    assert r.status_code == 400


def test_gateway_on_an_external_network_without_subnets(neutron_admin):
    ext = neutron_admin.create("networks", name=unique(), **{"router:external": True})
    router = neutron_admin.create("routers", name=unique(), external_gateway_info={"network_id": ext["id"]})
    assert router["external_gateway_info"]["network_id"] == ext["id"]
    assert router["external_gateway_info"]["external_fixed_ips"] == []


def _routed(neutron, cidr: str) -> tuple[dict, dict]:
    """A router with an interface on a new subnet and its gateway on public."""
    public = neutron.get("/networks", params={"name": "public"}).json()["networks"][0]
    _, sub = neutron.network_with_subnet(cidr)
    router = neutron.create("routers", name=unique(), external_gateway_info={"network_id": public["id"]})
    neutron.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    return router, sub


def test_router_routes_through_openstacksdk(demo, neutron_demo):
    """extraroute as openstacksdk's update_router sends it; show and list return the routes; a nexthop on the
    gateway's subnet is connected too (neutron counts every router port)."""
    router, _ = _routed(neutron_demo, "10.74.0.0/24")
    routes = [{"destination": "10.0.3.0/24", "nexthop": "10.74.0.13"}]
    updated = demo.update_router(router["id"], routes=routes)
    assert updated.routes == routes
    assert demo.network.get_router(router["id"]).routes == routes
    listed = {r["id"]: r for r in neutron_demo.get("/routers").json()["routers"]}
    assert listed[router["id"]]["routes"] == routes
    gateway_hop = [{"destination": "198.51.100.0/24", "nexthop": "172.24.4.200"}]
    assert demo.update_router(router["id"], routes=routes + gateway_hop).routes == routes + gateway_hop
    assert demo.update_router(router["id"], routes=[]).routes == []


def test_router_routes_rejected_as_neutron_rejects_them(neutron_demo, neutron_alt, cloud):
    router, sub = _routed(neutron_demo, "10.75.0.0/24")
    url = f"/routers/{router['id']}"

    def put(routes):
        return neutron_demo.put(url, json={"router": {"routes": routes}})

    r = put([{"destination": "10.0.3.0/24", "nexthop": "192.0.2.1"}])
    assert r.status_code == 400 and error_type(r) == "InvalidRoutes"
    assert r.json()["NeutronError"]["message"] == ("Invalid format for routes: [{'destination': '10.0.3.0/24', "
                                                   "'nexthop': '192.0.2.1'}], the nexthop is not connected with router")
    r = put([{"destination": "10.0.3.0/24", "nexthop": "10.75.0.1"}])
    assert r.status_code == 400 and r.json()["NeutronError"]["message"].endswith("the nexthop is used by router")
    r = put([{"destination": "10.0.3.1/24", "nexthop": "10.75.0.13"}])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert r.json()["NeutronError"]["message"] == "Invalid input for routes. Reason: '10.0.3.1/24' is not a valid CIDR."
    r = put([{"destination": "10.0.3.0/24", "nexthop": "not-an-ip"}])
    assert r.status_code == 400 and "'not-an-ip' is not a valid IP address" in r.text
    r = put([{"destination": "10.0.3.0/24"}])
    assert r.status_code == 400 and "Validation of dictionary's keys failed" in r.text
    twice = {"destination": "10.0.3.0/24", "nexthop": "10.75.0.13"}
    r = put([twice, twice])
    assert r.status_code == 400 and "Duplicate hostroute" in r.text
    r = put("10.0.3.0/24")
    assert r.status_code == 400 and "Invalid data format for hostroute" in r.text
    r = put([{"destination": f"10.{i}.0.0/16", "nexthop": "10.75.0.13"} for i in range(31)])
    assert r.status_code == 409 and error_type(r) == "OverQuota"
    assert neutron_alt.put(url, json={"router": {"routes": [twice]}}).status_code == 404
    assert httpx.put(f"{cloud.url}/networking/v2.0{url}", json={"router": {"routes": [twice]}}).status_code == 401
    assert neutron_demo.get(url).json()["router"]["routes"] == []
    # an interface a route needs stays
    assert put([twice]).status_code == 200
    r = neutron_demo.put(url + "/remove_router_interface", json={"subnet_id": sub["id"]})
    assert r.status_code == 409 and error_type(r) == "RouterInterfaceInUseByRoute"


def test_extraroute_atomic(demo, neutron_demo, neutron_alt, cloud):
    router, _ = _routed(neutron_demo, "10.76.0.0/24")
    a = {"destination": "10.0.3.0/24", "nexthop": "10.76.0.13"}
    b = {"destination": "10.0.4.0/24", "nexthop": "10.76.0.14"}
    c = {"destination": "10.0.3.0/24", "nexthop": "10.76.0.15"}     # same destination, another nexthop
    got = demo.network.add_extra_routes_to_router(router["id"], body={"router": {"routes": [a, b]}})
    assert got.routes == [a, b]
    got = demo.network.add_extra_routes_to_router(router["id"], body={"router": {"routes": [a, c]}})
    assert got.routes == [a, b, c]                                    # a merged, c added
    got = demo.network.remove_extra_routes_from_router(router["id"], body={"router": {"routes": [a, {
        "destination": "10.9.9.0/24", "nexthop": "10.76.0.99"}]}})    # removing a missing route is fine
    assert got.routes == [b, c]
    url = f"/routers/{router['id']}"
    r = neutron_demo.put(url + "/add_extraroutes", json={"router": {"routes": [
        {"destination": "10.0.5.0/24", "nexthop": "192.0.2.1"}]}})
    assert r.status_code == 400 and error_type(r) == "InvalidRoutes"
    r = neutron_demo.put(url + "/add_extraroutes", json={"router": {"routes": [{"destination": "x"}]}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = neutron_demo.put(url + "/add_extraroutes", json={"router": {}})
    assert r.status_code == 400
    assert neutron_alt.put(url + "/add_extraroutes", json={"router": {"routes": [a]}}).status_code == 404
    assert httpx.put(f"{cloud.url}/networking/v2.0{url}/remove_extraroutes",
                     json={"router": {"routes": [b]}}).status_code == 401
    assert neutron_demo.get(url).json()["router"]["routes"] == [b, c]
