"""Trunks: parent and sub-ports, subport management, trunk_details on the parent port."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_trunk_lifecycle(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.81.0.0/24")
    parent = neutron_demo.create("ports", network_id=net["id"])
    sub1 = neutron_demo.create("ports", network_id=net["id"])
    sub2 = neutron_demo.create("ports", network_id=net["id"])
    trunk = neutron_demo.create("trunks", name=unique(), port_id=parent["id"],
                                sub_ports=[{"port_id": sub1["id"], "segmentation_type": "vlan",
                                            "segmentation_id": 100}])
    assert trunk["status"] == "DOWN" and trunk["admin_state_up"] is True and trunk["port_id"] == parent["id"]
    assert trunk["sub_ports"] == [{"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 100}]
    port = neutron_demo.get(f"/ports/{parent['id']}").json()["port"]
    assert port["trunk_details"] == {"trunk_id": trunk["id"], "sub_ports": [
        {"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 100,
         "mac_address": sub1["mac_address"]}]}
    sub = neutron_demo.get(f"/ports/{sub1['id']}").json()["port"]
    assert sub["device_owner"] == "trunk:subport" and sub["device_id"] == trunk["id"]
    assert "trunk_details" not in sub

    r = neutron_demo.put(f"/trunks/{trunk['id']}/add_subports", json={"sub_ports": [
        {"port_id": sub2["id"], "segmentation_type": "vlan", "segmentation_id": 100}]})
    assert r.status_code == 409 and error_type(r) == "DuplicateSubPort"
    r = neutron_demo.put(f"/trunks/{trunk['id']}/add_subports", json={"sub_ports": [
        {"port_id": sub2["id"], "segmentation_type": "vlan", "segmentation_id": 200}]})
    assert r.status_code == 200 and len(r.json()["sub_ports"]) == 2
    subs = neutron_demo.get(f"/trunks/{trunk['id']}/get_subports").json()["sub_ports"]
    assert {s["segmentation_id"] for s in subs} == {100, 200}

    r = neutron_demo.delete(f"/ports/{parent['id']}")
    assert r.status_code == 409 and error_type(r) == "PortInUseAsTrunkParent"
    r = neutron_demo.post("/trunks", json={"trunk": {"port_id": parent["id"]}})
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"
    r = neutron_demo.post("/trunks", json={"trunk": {"port_id": sub2["id"]}})
    assert r.status_code == 409

    r = neutron_demo.put(f"/trunks/{trunk['id']}/remove_subports", json={"sub_ports": [{"port_id": sub1["id"]}]})
    assert r.status_code == 200 and [s["port_id"] for s in r.json()["sub_ports"]] == [sub2["id"]]
    assert neutron_demo.get(f"/ports/{sub1['id']}").json()["port"]["device_owner"] == ""
    r = neutron_demo.put(f"/trunks/{trunk['id']}/remove_subports", json={"sub_ports": [{"port_id": sub1["id"]}]})
    assert r.status_code == 404 and error_type(r) == "SubPortNotFound"

    r = neutron_demo.put(f"/trunks/{trunk['id']}", json={"trunk": {"admin_state_up": False, "name": "x"}})
    assert r.status_code == 200 and r.json()["trunk"]["name"] == "x"
    r = neutron_demo.delete(f"/trunks/{trunk['id']}")
    assert r.status_code == 409 and error_type(r) == "TrunkDisabled"
    neutron_demo.put(f"/trunks/{trunk['id']}", json={"trunk": {"admin_state_up": True}})
    assert neutron_demo.get("/trunks", params={"port_id": parent["id"]}).json()["trunks"][0]["id"] == trunk["id"]
    assert neutron_demo.delete(f"/trunks/{trunk['id']}").status_code == 204
    assert neutron_demo.get(f"/trunks/{trunk['id']}").status_code == 404
    assert neutron_demo.get(f"/ports/{sub2['id']}").json()["port"]["device_owner"] == ""
    assert "trunk_details" not in neutron_demo.get(f"/ports/{parent['id']}").json()["port"]
    assert neutron_demo.delete(f"/ports/{parent['id']}").status_code == 204


def test_trunk_validation_and_isolation(neutron_demo, neutron_alt):
    net, _ = neutron_demo.network_with_subnet("10.82.0.0/24")
    parent = neutron_demo.create("ports", network_id=net["id"])
    sub = neutron_demo.create("ports", network_id=net["id"])
    for bad in ({"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 5000},
                {"port_id": sub["id"], "segmentation_type": "vxlan", "segmentation_id": 5}):
        r = neutron_demo.post("/trunks", json={"trunk": {"port_id": parent["id"], "sub_ports": [bad]}})
        assert r.status_code == 400, bad
    r = neutron_demo.post("/trunks", json={"trunk": {"port_id": parent["id"], "sub_ports": [
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 7}, ]}})
    assert r.status_code == 201
    trunk = r.json()["trunk"]
    assert neutron_alt.get(f"/trunks/{trunk['id']}").status_code == 404
    assert trunk["id"] not in [x["id"] for x in neutron_alt.get("/trunks").json()["trunks"]]
    r = neutron_demo.put(f"/trunks/{trunk['id']}/tags/blue")
    assert r.status_code == 201
    assert neutron_demo.get("/trunks", params={"tags": "blue"}).json()["trunks"][0]["id"] == trunk["id"]
    assert neutron_demo.delete(f"/trunks/{trunk['id']}").status_code == 204


def test_sdk_trunk(demo):
    net = demo.network.create_network(name=unique())
    demo.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.83.0.0/24")
    parent = demo.network.create_port(network_id=net.id)
    child = demo.network.create_port(network_id=net.id)
    trunk = demo.network.create_trunk(port_id=parent.id, name=unique())
    demo.network.add_trunk_subports(trunk, [{"port_id": child.id, "segmentation_type": "vlan",
                                             "segmentation_id": 42}])
    assert [s["segmentation_id"] for s in demo.network.get_trunk_subports(trunk)["sub_ports"]] == [42]
    assert demo.network.find_extension("trunk") is not None
    demo.network.delete_trunk(trunk)



def test_port_bindings_extended(neutron_admin, neutron_demo):
    net, _ = neutron_admin.network_with_subnet("10.85.0.0/24")
    port = neutron_admin.create("ports", network_id=net["id"], device_owner="compute:nova")
    base = f"/ports/{port['id']}/bindings"
    assert neutron_admin.get(base).json()["bindings"] == []
    assert neutron_demo.get(base).status_code in (403, 404)
    r = neutron_admin.post(base, json={"binding": {"host": "h1"}})
    assert r.status_code == 201 and r.json()["binding"]["status"] == "ACTIVE"
    assert neutron_admin.get(f"/ports/{port['id']}").json()["port"]["binding:host_id"] == "h1"
    r = neutron_admin.post(base, json={"binding": {"host": "h2", "profile": {"a": "b"}}})
    assert r.status_code == 201 and r.json()["binding"]["status"] == "INACTIVE"
    r = neutron_admin.post(base, json={"binding": {"host": "h2"}})
    assert r.status_code == 409 and error_type(r) == "PortBindingAlreadyExists"
    r = neutron_admin.put(f"{base}/h1/activate")
    assert r.status_code == 409 and error_type(r) == "PortBindingAlreadyActive"
    r = neutron_admin.put(f"{base}/h2/activate")
    assert r.status_code == 200 and r.json()["binding"]["status"] == "ACTIVE"
    seen = {b["host"]: b["status"] for b in neutron_admin.get(base).json()["bindings"]}
    assert seen == {"h1": "INACTIVE", "h2": "ACTIVE"}
    assert neutron_admin.get(f"/ports/{port['id']}").json()["port"]["binding:profile"] == {"a": "b"}
    assert neutron_admin.get(f"{base}/h9").status_code == 404
    assert neutron_admin.delete(f"{base}/h2").status_code == 404
    assert neutron_admin.delete(f"{base}/h1").status_code == 204
    assert [b["host"] for b in neutron_admin.get(base).json()["bindings"]] == ["h2"]
    assert neutron_admin.delete(f"/ports/{port['id']}").status_code == 204


def test_trunk_rules_of_neutron(neutron_demo, neutron_admin):
    parent_net = neutron_demo.create("networks", name=unique())
    parent = neutron_demo.create("ports", network_id=parent_net["id"])
    sub_net = neutron_demo.create("networks", name=unique())
    sub1 = neutron_demo.create("ports", network_id=sub_net["id"])
    sub2 = neutron_demo.create("ports", network_id=sub_net["id"])
    # the body is validated before any port is looked up: 400 even for a parent that does not exist
    missing = "00000000-0000-0000-0000-000000000000"
    r = neutron_demo.post("/trunks", json={"trunk": {"port_id": missing, "sub_ports": [
        {"port_id": sub1["id"], "segmentation_id": 3}]}})
    assert r.status_code == 400 and "missing segmentation information" in r.text
    r = neutron_demo.post("/trunks", json={"trunk": {"port_id": missing, "sub_ports": [
        {"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 2},
        {"port_id": sub2["id"], "segmentation_type": "vlan", "segmentation_id": 2}]}})
    assert r.status_code == 400 and "not unique" in r.text
    trunk = neutron_demo.create("trunks", port_id=parent["id"], sub_ports=[
        {"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 2}])
    r = neutron_demo.delete(f"/ports/{sub1['id']}")
    assert r.status_code == 409 and error_type(r) == "PortInUseAsSubPort"
    # a subport may not carry a larger MTU than the parent's network
    big_net = neutron_admin.create("networks", name=unique(), **{"provider:network_type": "vlan",
                                                                  "provider:physical_network": "public"})
    big = neutron_admin.create("ports", network_id=big_net["id"], project_id=parent["project_id"])
    assert big_net["mtu"] > parent_net["mtu"]
    r = neutron_admin.put(f"/trunks/{trunk['id']}/add_subports", json={"sub_ports": [
        {"port_id": big["id"], "segmentation_type": "vlan", "segmentation_id": 9}]})
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu"
    # inherit takes the VLAN of the subport's network
    vlan_parent_net = neutron_admin.create("networks", name=unique(), **{
        "provider:network_type": "vlan", "provider:physical_network": "public"})
    vlan_parent = neutron_admin.create("ports", network_id=vlan_parent_net["id"])
    vlan_trunk = neutron_admin.create("trunks", port_id=vlan_parent["id"], sub_ports=[
        {"port_id": big["id"], "segmentation_type": "inherit"}])
    assert vlan_trunk["sub_ports"] == [{"port_id": big["id"], "segmentation_type": "vlan",
                                        "segmentation_id": big_net["provider:segmentation_id"]}]
