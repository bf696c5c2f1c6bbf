"""Ironic's secure-RBAC defaults: system scope sees everything; projects see the nodes they own or lease."""

from __future__ import annotations

from tests.services.baremetal.conftest import LATEST, Ironic, fault


def test_member_cannot_create_and_cannot_see_others_nodes(cloud, ironic, demo_token):
    node = ironic.create_node()["uuid"]
    demo = Ironic(cloud.url, demo_token)
    r = demo.post("/v1/nodes", json={"driver": "fake-hardware"})
    assert r.status_code == 403
    assert fault(r)["faultstring"] == "Access was denied to the following resource: baremetal:node:create"
    assert node not in [n["uuid"] for n in demo.get("/v1/nodes").json()["nodes"]]
    assert demo.get(f"/v1/nodes/{node}").status_code == 404          # concealed from projects
    assert demo.get("/v1/drivers").status_code == 403


def test_owner_and_lessee_see_their_nodes(cloud, ironic, demo_token, demo):
    demo_project = demo.current_project_id
    owned = ironic.create_node(owner=demo_project)["uuid"]
    leased = ironic.create_node(lessee=demo_project)["uuid"]
    client = Ironic(cloud.url, demo_token)
    listed = {n["uuid"] for n in client.get("/v1/nodes").json()["nodes"]}
    assert {owned, leased} <= listed
    assert client.get(f"/v1/nodes/{owned}").status_code == 200
    r = client.patch(f"/v1/nodes/{owned}", json=[{"op": "add", "path": "/extra/x", "value": 1}])
    assert r.status_code == 200
    assert client.delete(f"/v1/nodes/{owned}").status_code == 403      # only an admin of the owner


def test_project_admin_creates_self_owned_nodes_from_1_80(cloud, admin_token, admin):
    client = Ironic(cloud.url, admin_token)
    assert client.post("/v1/nodes", json={"driver": "fake-hardware"}, headers=client.at("1.79")).status_code == 403
    r = client.post("/v1/nodes", json={"driver": "fake-hardware"}, headers=client.at(LATEST))
    assert r.status_code == 201 and r.json()["owner"] == admin.current_project_id
    assert client.delete(f"/v1/nodes/{r.json()['uuid']}").status_code == 204
