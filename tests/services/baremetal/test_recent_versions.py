"""Microversions 1.88-1.115: each new field, endpoint and filter at its version, and as it is below it."""

from __future__ import annotations

import uuid

import pytest

from tests.services.baremetal.conftest import Ironic, fault
from tests.services.baremetal.test_ports import mac


def _port(ironic, node: str, version: str = "1.115", **body):
    return ironic.post("/v1/ports", json={"node_uuid": node, "address": mac(), **body}, headers=ironic.at(version))


def test_port_name_and_lookup_by_name(ironic):
    node = ironic.create_node()["uuid"]
    name = f"eth0-{node[:8]}"
    assert _port(ironic, node, "1.87", name=name).status_code == 406
    r = _port(ironic, node, "1.88", name=name)
    assert r.status_code == 201 and r.json()["name"] == name
    port = r.json()["uuid"]
    assert "name" not in ironic.get(f"/v1/ports/{port}", headers=ironic.at("1.87")).json()
    assert ironic.get(f"/v1/ports/{name}", headers=ironic.at("1.88")).json()["uuid"] == port
    dup = _port(ironic, node, name=name)
    assert dup.status_code == 409 and f"A port with name {name} already exists." == fault(dup)["faultstring"]
    assert _port(ironic, node, name=str(uuid.uuid4())).status_code == 400        # a name is not a UUID
    assert ironic.get("/v1/ports/no:such:name").status_code == 400
    assert ironic.get("/v1/ports/no-such-port").status_code == 404
    r = ironic.patch(f"/v1/ports/{name}", json=[{"op": "replace", "path": "/name", "value": name + "-b"}])
    assert r.status_code == 200 and r.json()["name"] == name + "-b"
    assert ironic.delete(f"/v1/ports/{name}-b").status_code == 204


def test_port_fields_by_version(ironic):
    node = ironic.create_node()["uuid"]
    new = {"description": ("1.97", "uplink"), "vendor": ("1.100", "acme"), "category": ("1.101", "storage"),
           "available_for_dynamic_portgroup": ("1.111", False)}
    for field, (since, value) in new.items():
        minor = int(since.split(".")[1])
        assert _port(ironic, node, f"1.{minor - 1}", **{field: value}).status_code == 406, field
        r = _port(ironic, node, since, **{field: value})
        assert r.status_code == 201 and r.json()[field] == value, field
        older = ironic.get(f"/v1/ports/{r.json()['uuid']}", headers=ironic.at(f"1.{minor - 1}")).json()
        assert field not in older, field
        assert ironic.get(f"/v1/ports?fields={field}", headers=ironic.at(f"1.{minor - 1}")).status_code == 406
    plain = _port(ironic, node).json()
    assert plain["available_for_dynamic_portgroup"] is True and plain["vendor"] is None
    assert _port(ironic, node, vendor="v" * 33).status_code == 400
    assert _port(ironic, node, available_for_dynamic_portgroup="maybe").status_code == 400
    listed = ironic.get(f"/v1/ports?node={node}&description_contains=upl&detail=true").json()["ports"]
    assert [p["description"] for p in listed] == ["uplink"]


def test_port_created_by_node_name_from_1_94(ironic):
    name = f"n-{uuid.uuid4().hex[:8]}"
    node = ironic.create_node(name=name)["uuid"]
    body = {"node_ident": name, "address": mac()}
    assert ironic.post("/v1/ports", json=body, headers=ironic.at("1.93")).status_code == 406
    r = ironic.post("/v1/ports", json=body, headers=ironic.at("1.94"))
    assert r.status_code == 201 and r.json()["node_uuid"] == node
    both = ironic.post("/v1/ports", json={**body, "address": mac(), "node_uuid": node})
    assert both.status_code == 400
    missing = ironic.post("/v1/ports", json={"node_ident": "no-such-node", "address": mac()})
    assert missing.status_code == 400 and "could not be found" in fault(missing)["faultstring"]


def test_sdk_port_name(system_admin):
    bm = system_admin.baremetal
    node = bm.create_node(driver="fake-hardware")
    name = f"sdk-{node.id[:8]}"
    port = bm.create_port(node_uuid=node.id, address=mac(), name=name, description="first nic")
    assert port.name == name and port.description == "first nic"
    assert bm.get_port(name).id == port.id
    bm.delete_node(node)


def test_ovn_vtep_local_link_connection_1_90_to_1_104(ironic):
    node = ironic.create_node()["uuid"]
    llc = {"port_id": "p1", "vtep-logical-switch": "ls1", "vtep-physical-switch": "ps1"}
    assert _port(ironic, node, "1.89", local_link_connection=llc).status_code == 406
    assert _port(ironic, node, "1.105", local_link_connection=llc).status_code == 406
    r = _port(ironic, node, "1.90", local_link_connection=llc)
    assert r.status_code == 201 and r.json()["local_link_connection"] == llc
    old = ironic.get(f"/v1/ports/{r.json()['uuid']}", headers=ironic.at("1.89")).json()
    assert old["local_link_connection"] == {}                   # the key stays, emptied
    half = {"port_id": "p1", "vtep-logical-switch": "ls1"}
    assert _port(ironic, node, "1.90", local_link_connection=half).status_code == 400


def test_portgroup_fields_and_filters(ironic):
    node = ironic.create_node(shard="rack-9", conductor_group="Group-A")["uuid"]
    other = ironic.create_node()["uuid"]
    pg = ironic.post("/v1/portgroups", json={"node_uuid": node, "physical_network": "physnet2",
                                             "category": "bond"})
    assert pg.status_code == 201, pg.text
    pg = pg.json()
    assert pg["physical_network"] == "physnet2" and pg["category"] == "bond" and pg["dynamic_portgroup"] is False
    old = ironic.get(f"/v1/portgroups/{pg['uuid']}", headers=ironic.at("1.101")).json()
    assert not {"physical_network", "category", "dynamic_portgroup"} & set(old)
    assert "category" not in ironic.get(f"/v1/portgroups/{pg['uuid']}", headers=ironic.at("1.102")).json()
    assert "dynamic_portgroup" not in ironic.get(f"/v1/portgroups/{pg['uuid']}", headers=ironic.at("1.110")).json()
    ironic.post("/v1/portgroups", json={"node_uuid": other})
    assert ironic.get("/v1/portgroups?shard=rack-9", headers=ironic.at("1.105")).status_code == 406
    sharded = ironic.get("/v1/portgroups?shard=rack-9", headers=ironic.at("1.106")).json()["portgroups"]
    assert [p["uuid"] for p in sharded] == [pg["uuid"]]
    grouped = ironic.get("/v1/portgroups?conductor_groups=group-a").json()["portgroups"]
    assert [p["uuid"] for p in grouped] == [pg["uuid"]]
    port = _port(ironic, node).json()
    _port(ironic, other)
    assert [p["uuid"] for p in ironic.get("/v1/ports?conductor_groups=group-a").json()["ports"]] == [port["uuid"]]
    both = ironic.get(f"/v1/ports?conductor_groups=group-a&node={node}")
    assert both.status_code == 400 and "cannot be combined" in fault(both)["faultstring"]
    assert ironic.get(f"/v1/ports?shard=rack-9&node={node}").status_code == 403


def test_node_fields_by_version(ironic):
    node = ironic.create_node()["uuid"]
    for field, since in (("disable_power_off", "1.95"), ("instance_name", "1.104"), ("health", "1.109")):
        minor = int(since.split(".")[1])
        assert field not in ironic.get(f"/v1/nodes/{node}", headers=ironic.at(f"1.{minor - 1}")).json(), field
        assert field in ironic.get(f"/v1/nodes/{node}", headers=ironic.at(since)).json(), field
        assert ironic.get(f"/v1/nodes?fields=uuid,{field}",
                          headers=ironic.at(f"1.{minor - 1}")).status_code == 406, field
    patch = [{"op": "replace", "path": "/disable_power_off", "value": True}]
    assert ironic.patch(f"/v1/nodes/{node}", json=patch, headers=ironic.at("1.94")).status_code == 406
    assert ironic.patch(f"/v1/nodes/{node}", json=patch, headers=ironic.at("1.95")).json()["disable_power_off"]
    assert ironic.post("/v1/nodes", json={"driver": "fake-hardware", "instance_name": "vm"},
                       headers=ironic.at("1.103")).status_code == 406


def test_instance_name_filter_and_display_name(ironic):
    node = ironic.create_node(instance_name=f"vm-{uuid.uuid4().hex[:6]}")
    assert ironic.get(f"/v1/nodes?instance_name={node['instance_name']}",
                      headers=ironic.at("1.103")).status_code == 406
    found = ironic.get(f"/v1/nodes?instance_name={node['instance_name']}").json()["nodes"]
    assert [n["uuid"] for n in found] == [node["uuid"]]
    other = ironic.create_node()["uuid"]
    r = ironic.patch(f"/v1/nodes/{other}", json=[{"op": "add", "path": "/instance_info/display_name",
                                                  "value": "from-nova"}])
    assert r.json()["instance_name"] == "from-nova"                   # filled from instance_info.display_name


def test_virtual_media(ironic):
    node = ironic.create_node()["uuid"]
    media = {"device_type": "cdrom", "image_url": "http://example.com/boot.iso"}
    assert ironic.post(f"/v1/nodes/{node}/vmedia", json=media, headers=ironic.at("1.88")).status_code == 404
    assert ironic.get(f"/v1/nodes/{node}/vmedia", headers=ironic.at("1.92")).status_code == 404
    assert ironic.post(f"/v1/nodes/{node}/vmedia", json=media, headers=ironic.at("1.89")).status_code == 204
    # fake-hardware's management interface has no virtual media: the conductor records the failure
    assert "does not support attach_virtual_media" in ironic.get(f"/v1/nodes/{node}").json()["last_error"]
    r = ironic.get(f"/v1/nodes/{node}/vmedia", headers=ironic.at("1.93"))
    assert r.status_code == 400 and "get_virtual_media" in fault(r)["faultstring"]
    bad = ironic.post(f"/v1/nodes/{node}/vmedia", json={**media, "image_url": "ftp://x/y.iso"})
    assert bad.status_code == 400 and "Unsupported or missing URL scheme: ftp" == fault(bad)["faultstring"]
    assert ironic.post(f"/v1/nodes/{node}/vmedia", json={**media, "device_type": "usb"}).status_code == 400
    assert ironic.delete(f"/v1/nodes/{node}/vmedia?device_types=tape").status_code == 400
    assert ironic.delete(f"/v1/nodes/{node}/vmedia?device_types=cdrom").status_code == 204
    assert ironic.post(f"/v1/nodes/{uuid.uuid4()}/vmedia", json=media).status_code == 404


def test_json_suffix_stripped_below_1_91(ironic):
    node = ironic.create_node()["uuid"]
    assert ironic.get(f"/v1/nodes/{node}.json", headers=ironic.at("1.90")).json()["uuid"] == node
    assert ironic.get(f"/v1/nodes/{node}.json", headers=ironic.at("1.91")).status_code == 404
    named = ironic.create_node(name=f"n{node[:6]}.json")["uuid"]       # a name ending in .json still works
    assert ironic.get(f"/v1/nodes/n{node[:6]}.json", headers=ironic.at("1.90")).json()["uuid"] == named
    assert ironic.get(f"/v1/nodes/n{node[:6]}.json", headers=ironic.at("1.91")).json()["uuid"] == named
    r = ironic.patch(f"/v1/nodes/{node}.json", json=[{"op": "add", "path": "/extra/a", "value": 1}],
                     headers=ironic.at("1.90"))
    assert r.status_code == 200 and r.json()["extra"] == {"a": 1}
    assert ironic.delete(f"/v1/nodes/{node}.json", headers=ironic.at("1.91")).status_code == 404
    assert ironic.delete(f"/v1/nodes/{node}.json", headers=ironic.at("1.90")).status_code == 204


def test_patch_escaped_keys(ironic):
    node = ironic.create_node()["uuid"]
    r = ironic.patch(f"/v1/nodes/{node}", json=[{"op": "add", "path": "/extra/a~1b~0c", "value": 1}],
                     headers=ironic.at("1.98"))
    assert r.status_code == 200 and r.json()["extra"] == {"a/b~c": 1}


def test_request_id_headers(ironic):
    r = ironic.get("/v1/nodes")
    assert r.headers["openstack-request-id"] == r.headers["x-openstack-request-id"]


STEPS = [{"interface": "bios", "step": "apply_configuration", "args": {"settings": []}, "order": 1}]


def test_runbooks_crud_and_versions(ironic):
    name = f"CUSTOM_RB_{uuid.uuid4().hex[:8].upper()}"
    body = {"name": name, "steps": STEPS}
    assert ironic.get("/v1/runbooks", headers=ironic.at("1.91")).status_code == 404
    assert ironic.post("/v1/runbooks", json=body, headers=ironic.at("1.91")).status_code == 405
    assert ironic.post("/v1/runbooks", json={**body, "name": "not-a-trait"},
                       headers=ironic.at("1.92")).status_code == 400
    r = ironic.post("/v1/runbooks", json=body, headers=ironic.at("1.92"))
    assert r.status_code == 201, r.text
    rb = r.json()
    assert rb["name"] == name and rb["steps"] == STEPS and rb["public"] is False and "traits" not in rb
    assert rb["links"][0]["href"].endswith(f"/v1/runbooks/{rb['uuid']}")
    assert ironic.post("/v1/runbooks", json=body).status_code == 409
    assert ironic.get(f"/v1/runbooks/{name}").json()["uuid"] == rb["uuid"]
    listed = ironic.get("/v1/runbooks").json()["runbooks"]
    assert {"uuid": rb["uuid"], "name": name} == {k: v for k, v in next(
        x for x in listed if x["uuid"] == rb["uuid"]).items() if k != "links"}
    dup_steps = ironic.post("/v1/runbooks", json={"name": name + "_2", "steps": STEPS * 2})
    assert dup_steps.status_code == 400 and "Duplicate deploy steps" in fault(dup_steps)["faultstring"]
    assert ironic.post("/v1/runbooks", json={"name": name + "_3", "steps": [{"bad": 1}]}).status_code == 400
    r = ironic.patch(f"/v1/runbooks/{rb['uuid']}", json=[{"op": "add", "path": "/description", "value": "d"}],
                     headers=ironic.at("1.111"))
    assert r.status_code == 400
    r = ironic.patch(f"/v1/runbooks/{rb['uuid']}", json=[{"op": "add", "path": "/description", "value": "d"},
                                                         {"op": "replace", "path": "/name", "value": "free-name"}])
    assert r.status_code == 200 and r.json()["description"] == "d" and r.json()["name"] == "free-name"
    r = ironic.patch(f"/v1/runbooks/{rb['uuid']}", json=[{"op": "add", "path": "/extra/k", "value": "v"}],
                     headers=ironic.at("1.111"))
    assert r.status_code == 200 and "description" not in r.json()
    assert ironic.get(f"/v1/runbooks/{rb['uuid']}").json()["description"] == "d"     # kept by the older client
    assert ironic.delete(f"/v1/runbooks/{rb['uuid']}").status_code == 204
    assert ironic.get(f"/v1/runbooks/{rb['uuid']}").status_code == 404


def test_runbook_traits_and_use(ironic):
    rb = ironic.post("/v1/runbooks", json={"name": f"rb-{uuid.uuid4().hex[:8]}", "steps": STEPS}).json()
    path = f"/v1/runbooks/{rb['uuid']}/traits"
    assert ironic.get(path, headers=ironic.at("1.111")).status_code == 404
    assert ironic.get(path).json() == {"traits": []}
    assert ironic.put(path, json={"traits": ["CUSTOM_A", "CUSTOM_B"]}).status_code == 204
    assert ironic.put(f"{path}/CUSTOM_C").status_code == 204
    assert ironic.put(f"{path}/lowercase").status_code == 400
    assert ironic.put(f"{path}/CUSTOM_D", json={"traits": ["CUSTOM_E"]}).status_code == 400
    assert ironic.delete(f"{path}/CUSTOM_B").status_code == 204
    assert sorted(ironic.get(path).json()["traits"]) == ["CUSTOM_A", "CUSTOM_C"]
    node = ironic.create_node()["uuid"]
    ironic.provision(node, "manage")
    ironic.wait(node, "manageable")
    refused = ironic.provision(node, "clean", runbook=rb["uuid"])
    assert refused.status_code == 400 and "not been approved" in fault(refused)["faultstring"]
    assert ironic.put(f"/v1/nodes/{node}/traits/CUSTOM_C").status_code == 204
    assert ironic.provision(node, "clean", runbook=rb["uuid"], clean_steps=STEPS).status_code == 400
    assert ironic.provision(node, "clean", runbook=rb["uuid"]).status_code == 202
    ironic.wait(node, "manageable")
    assert ironic.delete(path).status_code == 204
    assert ironic.get(path).json() == {"traits": []}
    no_traits = ironic.provision(node, "clean", runbook=rb["uuid"])
    assert no_traits.status_code == 400 and "has no traits configured" in fault(no_traits)["faultstring"]


def test_runbooks_rbac(cloud, ironic, demo_token):
    demo = Ironic(cloud.url, demo_token)
    assert demo.post("/v1/runbooks", json={"name": "CUSTOM_X", "steps": STEPS}).status_code == 403
    anonymous = Ironic(cloud.url, None)
    assert anonymous.get("/v1/runbooks").status_code == 401
    private = ironic.post("/v1/runbooks", json={"name": f"p-{uuid.uuid4().hex[:8]}", "steps": STEPS}).json()
    public = ironic.post("/v1/runbooks", json={"name": f"q-{uuid.uuid4().hex[:8]}", "steps": STEPS,
                                               "public": True}).json()
    seen = {r["uuid"] for r in demo.get("/v1/runbooks").json()["runbooks"]}
    assert public["uuid"] in seen and private["uuid"] not in seen
    assert demo.get(f"/v1/runbooks/{public['uuid']}").status_code == 200
    assert demo.get(f"/v1/runbooks/{private['uuid']}").status_code == 403
    assert demo.delete(f"/v1/runbooks/{public['uuid']}").status_code == 403


RULE = {"description": "log it", "conditions": [{"op": "eq", "args": ["{inventory.cpu.count}", 8]}],
        "actions": [{"op": "log", "args": {"msg": "hello"}}], "phase": "main", "priority": 10}


def test_inspection_rules(ironic):
    assert ironic.get("/v1/inspection_rules", headers=ironic.at("1.95")).status_code == 404
    assert ironic.post("/v1/inspection_rules", json=RULE, headers=ironic.at("1.95")).status_code == 405
    r = ironic.post("/v1/inspection_rules", json=RULE, headers=ironic.at("1.96"))
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["conditions"] == RULE["conditions"] and rule["actions"] == RULE["actions"]
    assert rule["sensitive"] is False and rule["links"][0]["href"].endswith(f"/v1/inspection/{rule['uuid']}")
    listed = ironic.get("/v1/inspection_rules").json()["inspection_rules"]
    mine = next(x for x in listed if x["uuid"] == rule["uuid"])
    assert set(mine) == {"uuid", "priority", "phase", "description", "links"}
    r = ironic.patch(f"/v1/inspection_rules/{rule['uuid']}", json=[
        {"op": "replace", "path": "/priority", "value": 200}, {"op": "replace", "path": "/sensitive", "value": True}])
    assert r.status_code == 200 and r.json()["priority"] == 200
    assert r.json()["conditions"] is None and r.json()["actions"] is None          # sensitive hides them
    unset = ironic.patch(f"/v1/inspection_rules/{rule['uuid']}",
                         json=[{"op": "replace", "path": "/sensitive", "value": False}])
    assert unset.status_code == 400 and "sensitive flag unset" in fault(unset)["faultstring"]
    assert ironic.delete(f"/v1/inspection_rules/{rule['uuid']}").status_code == 204
    assert ironic.delete(f"/v1/inspection_rules/{rule['uuid']}").status_code == 404


@pytest.mark.parametrize("change", [{"priority": -1}, {"priority": 10000}, {"priority": 5.5}, {"phase": "early"},
                                    {"actions": []}, {"actions": [{"op": "explode", "args": []}]},
                                    {"conditions": [{"op": "eq"}]}, {"bogus": 1}])
def test_inspection_rule_validation(ironic, change):
    assert ironic.post("/v1/inspection_rules", json={**RULE, **change}).status_code == 400


def test_inspection_rules_rbac(cloud, demo_token):
    demo = Ironic(cloud.url, demo_token)
    assert demo.get("/v1/inspection_rules").status_code == 403
    assert demo.post("/v1/inspection_rules", json=RULE).status_code == 403
    assert Ironic(cloud.url, None).get("/v1/inspection_rules").status_code == 401


def test_disable_ramdisk_versions(ironic):
    node = ironic.create_node()["uuid"]
    ironic.provision(node, "manage")
    ironic.wait(node, "manageable")
    steps = [{"interface": "deploy", "step": "erase_devices", "args": {}}]
    assert ironic.put(f"/v1/nodes/{node}/states/provision", json={
        "target": "clean", "clean_steps": steps, "disable_ramdisk": True}, headers=ironic.at("1.69")).status_code == 406
    r = ironic.put(f"/v1/nodes/{node}/states/provision", json={"target": "inspect", "disable_ramdisk": True})
    assert r.status_code == 400 and "only with manual cleaning or servicing" in fault(r)["faultstring"]
    ironic.provision(node, "provide")
    ironic.wait(node, "available")
    ironic.provision(node, "active")
    ironic.wait(node, "active")
    assert ironic.put(f"/v1/nodes/{node}/states/provision", json={
        "target": "service", "service_steps": steps, "disable_ramdisk": True},
        headers=ironic.at("1.107")).status_code == 406
    assert ironic.put(f"/v1/nodes/{node}/states/provision", json={
        "target": "service", "service_steps": steps, "disable_ramdisk": True}).status_code == 202
    ironic.wait(node, "active")



def test_node_history_records_failures(ironic):
    node = ironic.create_node(driver="ipmi")["uuid"]
    ironic.provision(node, "manage")
    ironic.wait(node, "enroll")                                       # no ipmi_address: verification fails
    assert ironic.get(f"/v1/nodes/{node}/history", headers=ironic.at("1.77")).status_code == 404
    events = ironic.get(f"/v1/nodes/{node}/history", headers=ironic.at("1.78")).json()["history"]
    assert len(events) == 1
    event = events[0]
    assert set(event) == {"uuid", "created_at", "severity", "event", "links"}
    assert event["severity"] == "ERROR" and "ipmi_address" in event["event"]
    path = f"/v1/nodes/{node}/history/{event['uuid']}"
    old = ironic.get(path, headers=ironic.at("1.112")).json()
    assert old["event_type"] == "verify" and old["conductor"] and "project" not in old and "state" not in old
    assert "project" in ironic.get(path, headers=ironic.at("1.113")).json()
    new = ironic.get(path, headers=ironic.at("1.115")).json()
    assert new["state"] == "verifying" and new["target_provision_state"] == "manageable"
    assert isinstance(new["duration_seconds"], int)
    detail = ironic.get(f"/v1/nodes/{node}/history?detail=true", headers=ironic.at("1.114")).json()["history"]
    assert "project" in detail[0] and "duration_seconds" not in detail[0]
    assert ironic.get(f"/v1/nodes/{node}/history/{uuid.uuid4()}").status_code == 404
    other = ironic.create_node()["uuid"]
    assert ironic.get(f"/v1/nodes/{other}/history/{event['uuid']}").status_code == 404   # another node's event
    assert ironic.get(f"/v1/nodes/{other}/history").json() == {"history": []}


def test_portgroup_filters_are_exclusive(ironic):
    node = ironic.create_node(shard="rack-8")["uuid"]
    r = ironic.get(f"/v1/portgroups?node={node}&shard=rack-8")
    assert r.status_code == 400 and "simultaneously" in fault(r)["faultstring"]
    assert ironic.get("/v1/portgroups?shard=rack-8&conductor_groups=x").status_code == 400


def test_vmedia_other_methods(ironic):
    node = ironic.create_node()["uuid"]
    media = {"device_type": "cdrom", "image_url": "http://example.com/boot.iso"}
    assert ironic.put(f"/v1/nodes/{node}/vmedia", json=media, headers=ironic.at("1.88")).status_code == 404
    assert ironic.put(f"/v1/nodes/{node}/vmedia", json=media, headers=ironic.at("1.89")).status_code == 405


def test_json_suffix_on_ports_and_chassis(ironic):
    node = ironic.create_node()["uuid"]
    port = _port(ironic, node).json()["uuid"]
    assert ironic.get(f"/v1/ports/{port}.json", headers=ironic.at("1.90")).json()["uuid"] == port
    assert ironic.get(f"/v1/ports/{port}.json", headers=ironic.at("1.91")).status_code == 404
    chassis = ironic.post("/v1/chassis", json={}).json()["uuid"]
    assert ironic.get(f"/v1/chassis/{chassis}.json", headers=ironic.at("1.90")).json()["uuid"] == chassis
    assert ironic.get(f"/v1/chassis/{chassis}.json", headers=ironic.at("1.91")).status_code == 400   # not a UUID
