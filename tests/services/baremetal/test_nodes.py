"""Nodes: create, show by uuid or name, list with filters and paging, JSON patch, delete."""

from __future__ import annotations

import uuid

from tests.conftest import unique
from tests.services.baremetal.conftest import fault


def test_sdk_create_show_list_delete(system_admin):
    name = unique("node")
    node = system_admin.baremetal.create_node(driver="fake-hardware", name=name, properties={"cpus": 4},
                                              driver_info={"ipmi_password": "s3cret", "user": "u"},
                                              resource_class="baremetal", extra={"a": "b"})
    try:
        assert node.provision_state == "enroll" and node.power_state is None
        assert node.boot_interface == "fake" and node.network_interface == "flat"
        got = system_admin.baremetal.get_node(name)
        assert got.id == node.id and got.properties == {"cpus": 4} and got.resource_class == "baremetal"
        assert got.driver_info == {"ipmi_password": "******", "user": "u"}
        names = [n.name for n in system_admin.baremetal.nodes(resource_class="baremetal")]
        assert name in names
    finally:
        system_admin.baremetal.delete_node(node)
    assert system_admin.baremetal.find_node(name) is None


def test_list_default_fields_detail_and_fields(ironic):
    node = ironic.create_node(name=unique("n"))
    short = ironic.get("/v1/nodes").json()["nodes"]
    mine = next(n for n in short if n["uuid"] == node["uuid"])
    assert set(mine) == {"uuid", "name", "instance_uuid", "maintenance", "power_state", "provision_state", "links"}
    detail = ironic.get("/v1/nodes/detail").json()["nodes"]
    assert "driver_info" in next(n for n in detail if n["uuid"] == node["uuid"])
    only = ironic.get(f"/v1/nodes/{node['uuid']}", params={"fields": "uuid,driver"}).json()
    assert set(only) == {"uuid", "driver", "links"}
    bad = ironic.get(f"/v1/nodes/{node['uuid']}", params={"fields": "uuid,bogus"})
    assert bad.status_code == 400 and "bogus" in fault(bad)["faultstring"]
    old = ironic.get(f"/v1/nodes/{node['uuid']}", params={"fields": "owner"}, headers=ironic.at("1.49"))
    assert old.status_code == 406


def test_paging_with_next_link(ironic):
    made = [ironic.create_node(resource_class=f"page-{uuid.uuid4().hex[:6]}") for _ in range(3)]
    rc = made[0]["resource_class"]
    for n in made[1:]:
        assert ironic.patch(f"/v1/nodes/{n['uuid']}", json=[
            {"op": "replace", "path": "/resource_class", "value": rc}]).status_code == 200
    first = ironic.get("/v1/nodes", params={"resource_class": rc, "limit": 2}).json()
    assert [n["uuid"] for n in first["nodes"]] == [n["uuid"] for n in made[:2]]
    assert "limit=2" in first["next"] and f"marker={made[1]['uuid']}" in first["next"]
    second = ironic.get(first["next"]).json()
    assert [n["uuid"] for n in second["nodes"]] == [made[2]["uuid"]] and "next" not in second
    desc = ironic.get("/v1/nodes", params={"resource_class": rc, "sort_key": "created_at", "sort_dir": "desc"})
    assert [n["uuid"] for n in desc.json()["nodes"]] == [n["uuid"] for n in reversed(made)]
    assert ironic.get("/v1/nodes", params={"limit": 0}).status_code == 400
    assert ironic.get("/v1/nodes", params={"sort_key": "driver_info"}).status_code == 400


def test_patch_node(ironic):
    node = ironic.create_node(name=unique("p"), extra={"keep": 1})
    r = ironic.patch(f"/v1/nodes/{node['name']}", json=[
        {"op": "add", "path": "/extra/new", "value": "x"}, {"op": "replace", "path": "/description", "value": "d"},
        {"op": "add", "path": "/properties/memory_mb", "value": 1024}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["extra"] == {"keep": 1, "new": "x"} and body["description"] == "d"
    assert body["properties"] == {"memory_mb": 1024} and body["updated_at"]
    r = ironic.patch(f"/v1/nodes/{node['uuid']}", json=[{"op": "remove", "path": "/extra/keep"}])
    assert r.json()["extra"] == {"new": "x"}
    bad = ironic.patch(f"/v1/nodes/{node['uuid']}", json=[{"op": "replace", "path": "/provision_state",
                                                          "value": "active"}])
    assert bad.status_code == 400 and "Cannot patch /provision_state" in fault(bad)["faultstring"]
    bad = ironic.patch(f"/v1/nodes/{node['uuid']}", json=[{"op": "remove", "path": "/extra/missing"}])
    assert bad.status_code == 400
    bad = ironic.patch(f"/v1/nodes/{node['uuid']}", json=[{"op": "replace", "path": "/boot_interface",
                                                          "value": "bogus"}])
    assert bad.status_code == 400
    assert ironic.patch(f"/v1/nodes/{node['uuid']}", json={"op": "add"}).status_code == 400


def test_name_conflicts_and_lookups(ironic):
    name = unique("dup")
    node = ironic.create_node(name=name)
    again = ironic.post("/v1/nodes", json={"driver": "fake-hardware", "name": name})
    assert again.status_code == 409 and name in fault(again)["faultstring"]
    assert ironic.get(f"/v1/nodes/{name}").json()["uuid"] == node["uuid"]
    assert ironic.get(f"/v1/nodes/{name}", headers=ironic.at("1.4")).status_code == 404
    missing = ironic.get(f"/v1/nodes/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert fault(missing) == {"faultcode": "Client", "faultstring": f"Node {missing.url.path.rsplit('/', 1)[1]} "
                              "could not be found.", "debuginfo": None}
    assert ironic.post("/v1/nodes", json={"driver": "no-such-driver"}).status_code == 400
    assert ironic.post("/v1/nodes", json={"driver": "fake-hardware", "bogus": 1}).status_code == 400
    assert ironic.post("/v1/nodes", json={"driver": "fake-hardware", "owner": "x"},
                       headers=ironic.at("1.49")).status_code == 406


def test_old_microversion_creates_available_nodes(ironic):
    r = ironic.post("/v1/nodes", json={"driver": "fake-hardware"}, headers=ironic.at("1.10"))
    assert r.status_code == 201
    assert r.json()["provision_state"] == "available"
    assert "owner" not in r.json() and "boot_interface" not in r.json()


def test_traits(system_admin, ironic):
    node = ironic.create_node()
    assert ironic.put(f"/v1/nodes/{node['uuid']}/traits", json={"traits": ["CUSTOM_A", "HW_CPU_X86_VMX"]}
                      ).status_code == 204
    assert ironic.put(f"/v1/nodes/{node['uuid']}/traits/CUSTOM_B").status_code == 204
    assert ironic.get(f"/v1/nodes/{node['uuid']}/traits").json() == {
        "traits": ["CUSTOM_A", "CUSTOM_B", "HW_CPU_X86_VMX"]}
    assert ironic.put(f"/v1/nodes/{node['uuid']}/traits/lowercase").status_code == 400
    assert ironic.delete(f"/v1/nodes/{node['uuid']}/traits/CUSTOM_A").status_code == 204
    assert ironic.delete(f"/v1/nodes/{node['uuid']}/traits/CUSTOM_A").status_code == 404
    assert sorted(system_admin.baremetal.get_node(node["uuid"]).traits) == ["CUSTOM_B", "HW_CPU_X86_VMX"]
    assert ironic.get(f"/v1/nodes/{node['uuid']}/traits", headers=ironic.at("1.36")).status_code == 406
    assert ironic.put(f"/v1/nodes/{node['uuid']}/traits/CUSTOM_C", headers=ironic.at("1.36")).status_code == 405
