"""DHCP and L3 agent schedulers over the fake agents; dvr and l3-ha router attributes."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def _agent(neutron, agent_type):
    return neutron.get("/agents", params={"agent_type": agent_type}).json()["agents"][0]


def test_dhcp_agent_scheduler(neutron_admin, neutron_demo, admin):
    dhcp, l3 = _agent(neutron_admin, "DHCP agent"), _agent(neutron_admin, "L3 agent")
    net, _ = neutron_admin.network_with_subnet("10.93.0.0/24")
    url = f"/agents/{dhcp['id']}/dhcp-networks"
    r = neutron_admin.post(url, json={"network_id": net["id"]})
    assert r.status_code == 201
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
    r = neutron_demo.get(url, params={"fields": "dry-run"})
    assert r.status_code == 409 and error_type(r) == "AutoAllocationFailure"
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    pool = neutron_admin.post("/subnetpools", json={"subnetpool": {
        "name": unique("gman"), "prefixes": ["10.240.0.0/16"], "default_prefixlen": 26, "shared": True,
        "is_default": True}}).json()["subnetpool"]
    neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": True}})
    try:
        assert neutron_demo.get(url, params={"fields": "dry-run"}).json()["auto_allocated_topology"]["id"] == \
            "dry-run=pass"
        assert neutron_demo.get(f"/auto-allocated-topology/{public['project_id']}").status_code == 403
        topo = demo.network.get_auto_allocated_topology(project)
        net = neutron_demo.get(f"/networks/{topo.id}").json()["network"]
        assert net["name"] == "auto_allocated_network" and net["project_id"] == project
        sub = neutron_demo.get(f"/subnets/{net['subnets'][0]}").json()["subnet"]
        assert sub["subnetpool_id"] == pool["id"] and sub["cidr"].startswith("10.240.")
        router = neutron_demo.get("/routers", params={"name": "auto_allocated_router"}).json()["routers"][0]
        assert router["external_gateway_info"]["network_id"] == public["id"]
        assert neutron_demo.get(url).json()["auto_allocated_topology"]["id"] == topo.id    # idempotent
        assert neutron_demo.delete(url).status_code == 204
        assert neutron_demo.get(f"/networks/{topo.id}").status_code == 404
        assert neutron_demo.get(f"/routers/{router['id']}").status_code == 404
    finally:
        neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": False}})
        neutron_admin.delete(f"/subnetpools/{pool['id']}")
