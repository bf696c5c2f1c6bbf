"""Ports, portgroups, chassis and VIFs."""

from __future__ import annotations

import random
import uuid

from tests.services.baremetal.conftest import fault


def mac() -> str:
    return "52:54:00:" + ":".join(f"{random.randint(0, 255):02x}" for _ in range(3))


def test_sdk_ports(system_admin):
    bm = system_admin.baremetal
    node = bm.create_node(driver="fake-hardware")
    address = mac()
    port = bm.create_port(node_uuid=node.id, address=address, pxe_enabled=False, physical_network="physnet1",
                          local_link_connection={"switch_id": "00:11:22:33:44:55", "port_id": "Gig0/1"})
    assert port.address == address and port.is_pxe_enabled is False and port.physical_network == "physnet1"
    assert [p.id for p in bm.ports(node=node.id)] == [port.id]
    bm.update_port(port, extra={"k": "v"})
    assert bm.get_port(port.id).extra == {"k": "v"}
    bm.delete_node(node)                       # takes its ports with it
    assert bm.find_port(port.id) is None


def test_port_errors(ironic):
    node = ironic.create_node()["uuid"]
    address = mac()
    assert ironic.post("/v1/ports", json={"node_uuid": node, "address": address}).status_code == 201
    dup = ironic.post("/v1/ports", json={"node_uuid": node, "address": address})
    assert dup.status_code == 409 and address in fault(dup)["faultstring"]
    assert ironic.post("/v1/ports", json={"node_uuid": node, "address": "not-a-mac"}).status_code == 400
    assert ironic.post("/v1/ports", json={"node_uuid": str(uuid.uuid4()), "address": mac()}).status_code == 400
    assert ironic.get(f"/v1/ports/{uuid.uuid4()}").status_code == 404
    assert ironic.post("/v1/ports", json={"node_uuid": node, "address": mac(), "pxe_enabled": True},
                       headers=ironic.at("1.18")).status_code == 406


def test_portgroups_and_vifs(ironic):
    node = ironic.create_node()["uuid"]
    pg = ironic.post("/v1/portgroups", json={"node_uuid": node, "address": mac(), "name": f"pg-{node[:8]}",
                                             "mode": "802.3ad"})
    assert pg.status_code == 201, pg.text
    pg = pg.json()
    port = ironic.post("/v1/ports", json={"node_uuid": node, "address": mac(), "portgroup_uuid": pg["uuid"]}).json()
    assert port["portgroup_uuid"] == pg["uuid"]
    assert [p["uuid"] for p in ironic.get(f"/v1/portgroups/{pg['uuid']}/ports").json()["ports"]] == [port["uuid"]]
    assert [p["uuid"] for p in ironic.get(f"/v1/nodes/{node}/portgroups").json()["portgroups"]] == [pg["uuid"]]
    assert ironic.delete(f"/v1/portgroups/{pg['uuid']}").status_code == 400        # it has ports
    vif = str(uuid.uuid4())
    assert ironic.post(f"/v1/nodes/{node}/vifs", json={"id": vif}).status_code == 204
    assert ironic.get(f"/v1/nodes/{node}/vifs").json() == {"vifs": [{"id": vif}]}
    assert ironic.post(f"/v1/nodes/{node}/vifs", json={"id": vif}).status_code == 409
    assert ironic.post(f"/v1/nodes/{node}/vifs", json={"id": str(uuid.uuid4())}).status_code == 400  # no free port
    assert ironic.delete(f"/v1/nodes/{node}/vifs/{vif}").status_code == 204
    assert ironic.delete(f"/v1/nodes/{node}/vifs/{vif}").status_code == 400


def test_chassis(ironic):
    ch = ironic.post("/v1/chassis", json={"description": "rack 1", "extra": {"row": 3}})
    assert ch.status_code == 201
    ch = ch.json()
    node = ironic.create_node(chassis_uuid=ch["uuid"])
    assert node["chassis_uuid"] == ch["uuid"]
    listed = ironic.get(f"/v1/chassis/{ch['uuid']}/nodes").json()["nodes"]
    assert [n["uuid"] for n in listed] == [node["uuid"]]
    assert ironic.delete(f"/v1/chassis/{ch['uuid']}").status_code == 400
    r = ironic.patch(f"/v1/chassis/{ch['uuid']}", json=[{"op": "replace", "path": "/description", "value": "r2"}])
    assert r.json()["description"] == "r2"
    ironic.delete(f"/v1/nodes/{node['uuid']}")
    assert ironic.delete(f"/v1/chassis/{ch['uuid']}").status_code == 204
    assert ironic.get(f"/v1/chassis/{ch['uuid']}").status_code == 404
