"""DHCP and L3 agent schedulers over the fake agents; dvr and l3-ha router attributes."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def _agent(neutron, agent_type):
    return neutron.get("/agents", params={"agent_type": agent_type}).json()["agents"][0]


def test_dhcp_agent_scheduler(neutron_admin, neutron_demo, admin):
    dhcp, l3 = _agent(neutron_admin, "DHCP agent"), _agent(neutron_admin, "L3 agent")
    url = f"/agents/{dhcp['id']}/dhcp-networks"
    bare = neutron_admin.create("networks", name=unique("n"))
    assert bare["id"] not in [n["id"] for n in neutron_admin.get(url).json()["networks"]]
    # a DHCP-enabled subnet schedules its network on the DHCP agent (neutron's auto-scheduling)
    net, sub = neutron_admin.network_with_subnet("10.93.0.0/24")
    assert net["id"] in [n["id"] for n in neutron_admin.get(url).json()["networks"]]
    # ... and the agent's port takes the first address; an administratively down port is DOWN
    (dhcp_port,) = neutron_admin.get("/ports", params={"network_id": net["id"], "device_owner": "network:dhcp"}
                                     ).json()["ports"]
    assert dhcp_port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.93.0.2"}]
    assert dhcp_port["status"] == "ACTIVE" and dhcp_port["binding:host_id"] == dhcp["host"]
    r = neutron_admin.put(f"/ports/{dhcp_port['id']}", json={"port": {"admin_state_up": False}})
    assert r.json()["port"]["status"] == "DOWN"
    r = neutron_admin.put(f"/ports/{dhcp_port['id']}", json={"port": {"admin_state_up": True}})
    assert r.json()["port"]["status"] == "ACTIVE"
    # a second DHCP subnet adds an address to the same port; turning DHCP off takes it back
    v6 = neutron_admin.create("subnets", network_id=net["id"], ip_version=6, cidr="2001:db8:93::/64")
    ips = neutron_admin.get(f"/ports/{dhcp_port['id']}").json()["port"]["fixed_ips"]
    assert [ip["subnet_id"] for ip in ips] == [sub["id"], v6["id"]]
    neutron_admin.put(f"/subnets/{v6['id']}", json={"subnet": {"enable_dhcp": False}})
    ips = neutron_admin.get(f"/ports/{dhcp_port['id']}").json()["port"]["fixed_ips"]
    assert [ip["subnet_id"] for ip in ips] == [sub["id"]]
    assert neutron_admin.delete(f"{url}/{net['id']}").status_code == 204
    r = neutron_admin.post(url, json={"network_id": net["id"]})
    assert r.status_code == 201
    # "DHCP Agent" finds the "DHCP agent", as on neutron's MySQL
    assert [a["id"] for a in neutron_admin.get("/agents", params={"agent_type": "DHCP Agent"}).json()["agents"]] \
        == [dhcp["id"]]
    assert net["id"] in [n["id"] for n in neutron_admin.get(url).json()["networks"]]
    hosting = neutron_admin.get(f"/networks/{net['id']}/dhcp-agents").json()["agents"]
    assert [a["id"] for a in hosting] == [dhcp["id"]]
    r = neutron_admin.post(url, json={"network_id": net["id"]})
    assert r.status_code == 409 and error_type(r) == "NetworkHostedByDHCPAgent"
    r = neutron_admin.post(f"/agents/{l3['id']}/dhcp-networks", json={"network_id": net["id"]})
    assert r.status_code == 409
    assert neutron_demo.get(url).status_code in (403, 404)
    # the SDK's scheduler calls
    agent = admin.network.get_agent(dhcp["id"])
    assert net["id"] in [n.id for n in admin.network.dhcp_agent_hosting_networks(agent)]
    assert [a.id for a in admin.network.network_hosting_dhcp_agents(net["id"])] == [dhcp["id"]]
    admin.network.remove_dhcp_agent_from_network(agent, net["id"])
    assert neutron_admin.get(f"/networks/{net['id']}/dhcp-agents").json()["agents"] == []
    r = neutron_admin.delete(f"{url}/{net['id']}")
    assert r.status_code == 409 and error_type(r) == "NetworkNotHostedByDhcpAgent"
    admin.network.add_dhcp_agent_to_network(agent, net["id"])
    assert neutron_admin.delete(f"{url}/{net['id']}").status_code == 204


def test_l3_agent_scheduler(neutron_admin, admin, cli):
    l3 = _agent(neutron_admin, "L3 agent")
    router = neutron_admin.create("routers", name=unique("r"))
    url = f"/agents/{l3['id']}/l3-routers"
    assert neutron_admin.post(url, json={"router_id": router["id"]}).status_code == 201
    assert router["id"] in [r["id"] for r in neutron_admin.get(url).json()["routers"]]
    agents = neutron_admin.get(f"/routers/{router['id']}/l3-agents").json()["agents"]
    assert [a["id"] for a in agents] == [l3["id"]]
    r = neutron_admin.post(url, json={"router_id": router["id"]})
    assert r.status_code == 409 and error_type(r) == "RouterHostedByL3Agent"
    listed = cli("network", "agent", "list", "--router", router["id"], "-f", "json")
    assert [a["ID"] for a in listed] == [l3["id"]]
    cli("network", "agent", "remove", "router", "--l3", l3["id"], router["id"])
    assert neutron_admin.get(f"/routers/{router['id']}/l3-agents").json()["agents"] == []
    cli("network", "agent", "add", "router", "--l3", l3["id"], router["id"])
    assert [r.id for r in admin.network.agent_hosted_routers(l3["id"])].count(router["id"]) == 1
    admin.network.remove_router_from_agent(admin.network.get_agent(l3["id"]), admin.network.get_router(router["id"]))
    r = neutron_admin.delete(f"{url}/{router['id']}")
    assert r.status_code == 409 and error_type(r) == "RouterNotHostedByL3Agent"
    neutron_admin.delete(f"/routers/{router['id']}")


def test_dvr_and_ha_attributes(neutron_admin, neutron_demo):
    router = neutron_admin.create("routers", name=unique("r"), distributed=True, ha=True)
    assert router["distributed"] is True and router["ha"] is True
    url = f"/routers/{router['id']}"
    r = neutron_admin.put(url, json={"router": {"distributed": False}})
    assert r.status_code == 400
    r = neutron_admin.put(url, json={"router": {"ha": False}})
    assert r.status_code == 400
    r = neutron_admin.put(url, json={"router": {"admin_state_up": False, "distributed": False, "ha": False}})
    assert r.status_code == 200 and r.json()["router"]["distributed"] is False and r.json()["router"]["ha"] is False
    neutron_admin.delete(url)
    r = neutron_demo.post("/routers", json={"router": {"name": "x", "distributed": True}})
    assert r.status_code == 403
    mine = neutron_demo.create("routers", name=unique("r"))
    assert "distributed" not in mine and "ha" not in mine
    r = neutron_demo.put(f"/routers/{mine['id']}", json={"router": {"ha": True}})
    assert r.status_code == 403
    neutron_demo.delete(f"/routers/{mine['id']}")


def test_auto_allocated_topology(neutron_admin, neutron_demo, admin, demo):
    project = demo.current_project_id
    url = f"/auto-allocated-topology/{project}"
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    assert public["is_default"] is True                      # DevStack makes `public` the default
    # DevStack's shared default pools, one per IP version
    pools = neutron_demo.get("/subnetpools", params={"is_default": True}).json()["subnetpools"]
    assert sorted(p["name"] for p in pools) == ["shared-default-subnetpool-v4", "shared-default-subnetpool-v6"]
    assert neutron_demo.get(url, params={"fields": "dry-run"}).json()["auto_allocated_topology"]["id"] == \
        "dry-run=pass"
    assert neutron_demo.get(f"/auto-allocated-topology/{public['project_id']}").status_code == 403
    topo = demo.network.get_auto_allocated_topology(project)
    net = neutron_demo.get(f"/networks/{topo.id}").json()["network"]
    assert net["name"] == "auto_allocated_network" and net["project_id"] == project
    subs = [neutron_demo.get(f"/subnets/{s}").json()["subnet"] for s in net["subnets"]]
    assert sorted(s["subnetpool_id"] for s in subs) == sorted(p["id"] for p in pools)
    assert sorted(s["name"] for s in subs) == ["auto_allocated_subnet_v4", "auto_allocated_subnet_v6"]
    router = neutron_demo.get("/routers", params={"name": "auto_allocated_router"}).json()["routers"][0]
    assert router["external_gateway_info"]["network_id"] == public["id"]
    assert neutron_demo.get(url).json()["auto_allocated_topology"]["id"] == topo.id    # idempotent
    assert neutron_demo.delete(url).status_code == 204
    assert neutron_demo.get(f"/networks/{topo.id}").status_code == 404
    assert neutron_demo.get(f"/routers/{router['id']}").status_code == 404


def test_auto_allocation_without_default_external_network(neutron_admin, neutron_demo, demo):
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    url = f"/auto-allocated-topology/{demo.current_project_id}"
    assert neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": False}}).status_code == 200
    try:
        r = neutron_demo.get(url, params={"fields": "dry-run"})
        assert r.status_code == 409 and error_type(r) == "AutoAllocationFailure"
    finally:
        neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": True}})


def test_ha_routers_share_a_project_ha_network(neutron_admin, neutron_demo):
    first = neutron_admin.create("routers", name=unique("ha"), ha=True)
    name = f"HA network project {first['project_id']}"
    (ha_net,) = neutron_admin.get("/networks", params={"name": name}).json()["networks"]
    assert ha_net["project_id"] == "" and ha_net["provider:network_type"] == "vxlan"
    second = neutron_admin.create("routers", name=unique("ha"), ha=True)
    assert len(neutron_admin.get("/networks", params={"name": name}).json()["networks"]) == 1
    for router in (first, second):
        assert neutron_admin.delete(f"/routers/{router['id']}").status_code == 204
    kept = neutron_admin.get(f"/networks/{ha_net['id']}").json()["network"]
    assert kept["provider:segmentation_id"] == ha_net["provider:segmentation_id"]
    assert neutron_demo.get(f"/networks/{ha_net['id']}").status_code == 404


def test_auto_allocation_as_openstacksdk_functional_tests_do_it(admin):
    """The admin user, a member of a new project, marks `public` default (already so: no request)
    and gets a topology for that project, with and without naming it."""
    project = admin.create_project(name=unique("gman"), domain_id="default")
    admin.grant_role("member", user=admin.current_user_id, project=project.id, wait=True)
    try:
        cloud = admin.connect_as_project(project)
        public = next(n for n in cloud.network.networks() if n.name == "public")
        cloud.network.update_network(public, is_default=True)
        check = cloud.network.validate_auto_allocated_topology(project.id)
        assert (check.id, check.project_id) == ("dry-run=pass", project.id)
        topo = cloud.network.get_auto_allocated_topology()
        assert topo.project_id == project.id and cloud.network.get_network(topo.id).name == "auto_allocated_network"
        assert cloud.network.get_auto_allocated_topology(project.id).id == topo.id
        assert cloud.network.delete_auto_allocated_topology(project.id) is None
    finally:
        admin.revoke_role("member", user=admin.current_user_id, project=project.id)
        admin.delete_project(project.id)
