"""The provision state machine, power and maintenance: async through durable jobs, as Ironic's conductor."""

from __future__ import annotations

from tests.services.baremetal.conftest import fault


def test_sdk_full_lifecycle(system_admin):
    bm = system_admin.baremetal
    node = bm.create_node(driver="fake-hardware")
    try:
        node = bm.set_node_provision_state(node, "manage", wait=True, timeout=60)
        assert node.provision_state == "manageable" and node.power_state == "power off"
        node = bm.set_node_provision_state(node, "provide", wait=True, timeout=60)
        assert node.provision_state == "available"
        node = bm.set_node_provision_state(node, "active", wait=True, timeout=60)
        assert node.provision_state == "active" and node.power_state == "power on"
        node = bm.set_node_provision_state(node, "deleted", wait=True, timeout=60)
        assert node.provision_state == "available" and node.power_state == "power off"
    finally:
        bm.delete_node(node)


def test_transitions_and_targets(ironic):
    node = ironic.create_node()["uuid"]
    r = ironic.provision(node, "manage")
    assert r.status_code == 202 and r.headers["Location"].endswith(f"/baremetal/v1/nodes/{node}/states")
    ironic.wait(node, "manageable")
    assert ironic.provision(node, "inspect").status_code == 202
    inspected = ironic.wait(node, "manageable")
    assert inspected["inspection_finished_at"] and inspected["properties"]["cpu_arch"] == "x86_64"
    steps = [{"interface": "deploy", "step": "erase_devices_metadata"}]
    assert ironic.provision(node, "clean", clean_steps=steps).status_code == 202
    ironic.wait(node, "manageable")
    assert ironic.provision(node, "provide").status_code == 202
    ironic.wait(node, "available")
    assert ironic.patch(f"/v1/nodes/{node}", json=[
        {"op": "add", "path": "/instance_info/image_source", "value": "http://example.invalid/img"}]
    ).status_code == 200
    assert ironic.provision(node, "deploy", configdrive={"meta_data": {}}).status_code == 202
    active = ironic.wait(node, "active")
    assert active["instance_info"]["configdrive"] == "******" and active["target_provision_state"] is None
    assert ironic.provision(node, "rescue", rescue_password="pw").status_code == 202
    ironic.wait(node, "rescue")
    assert ironic.provision(node, "unrescue").status_code == 202
    ironic.wait(node, "active")
    assert ironic.provision(node, "rebuild").status_code == 202
    ironic.wait(node, "active")
    assert ironic.provision(node, "undeploy").status_code == 202
    done = ironic.wait(node, "available")
    assert done["instance_info"] == {} and done["provision_updated_at"]
    states = ironic.get(f"/v1/nodes/{node}/states").json()
    assert states["provision_state"] == "available" and states["target_provision_state"] is None


def test_bad_transitions_are_400(ironic):
    node = ironic.create_node()["uuid"]
    r = ironic.provision(node, "active")
    assert r.status_code == 400
    assert fault(r)["faultstring"] == (f'The requested action "active" can not be performed on node "{node}" '
                                       'while it is in state "enroll".')
    assert ironic.provision(node, "bogus").status_code == 400
    ironic.provision(node, "manage")
    ironic.wait(node, "manageable")
    assert ironic.provision(node, "clean").status_code == 400                  # clean_steps required
    assert ironic.provision(node, "provide", clean_steps=[]).status_code == 400
    assert ironic.provision(node, "abort").status_code == 400
    assert ironic.put(f"/v1/nodes/{node}/states/provision", json={}).status_code == 400
    assert ironic.put(f"/v1/nodes/{node}/states/target_raid_config", json={}).status_code == 405
    old = ironic.put(f"/v1/nodes/{node}/states/provision", json={"target": "deploy"}, headers=ironic.at("1.72"))
    assert old.status_code == 406


def test_ipmi_without_address_fails_verification_and_deploy(ironic):
    node = ironic.create_node(driver="ipmi")
    assert node["power_interface"] == "ipmitool" and node["deploy_interface"] == "direct"
    ironic.provision(node["uuid"], "manage")
    back = ironic.wait(node["uuid"], "enroll")
    assert "ipmi_address" in back["last_error"]
    ironic.patch(f"/v1/nodes/{node['uuid']}", json=[
        {"op": "add", "path": "/driver_info/ipmi_address", "value": "192.0.2.10"}])
    ironic.provision(node["uuid"], "manage")
    assert ironic.wait(node["uuid"], "manageable")["last_error"] is None
    ironic.provision(node["uuid"], "provide")
    ironic.wait(node["uuid"], "available")
    ironic.provision(node["uuid"], "active")
    failed = ironic.wait(node["uuid"], "deploy failed")
    assert "image_source" in failed["last_error"]
    validate = ironic.get(f"/v1/nodes/{node['uuid']}/validate").json()
    assert validate["deploy"]["result"] is False and validate["power"]["result"] is True
    ironic.provision(node["uuid"], "deleted")
    ironic.wait(node["uuid"], "available")


def test_power_and_maintenance(ironic):
    node = ironic.create_node()["uuid"]
    r = ironic.put(f"/v1/nodes/{node}/states/power", json={"target": "power on"})
    assert r.status_code == 202
    for _ in range(200):
        states = ironic.get(f"/v1/nodes/{node}/states").json()
        if states["target_power_state"] is None:
            break
    assert states["power_state"] == "power on"
    assert ironic.put(f"/v1/nodes/{node}/states/power", json={"target": "dance"}).status_code == 400
    assert ironic.put(f"/v1/nodes/{node}/states/power", json={"target": "soft power off"},
                      headers=ironic.at("1.26")).status_code == 406
    assert ironic.put(f"/v1/nodes/{node}/maintenance", json={"reason": "broken fan"}).status_code == 202
    body = ironic.get(f"/v1/nodes/{node}").json()
    assert body["maintenance"] is True and body["maintenance_reason"] == "broken fan"
    assert ironic.delete(f"/v1/nodes/{node}/maintenance").status_code == 202
    assert ironic.get(f"/v1/nodes/{node}").json()["maintenance"] is False


def test_boot_device_and_validate(ironic):
    node = ironic.create_node()["uuid"]
    assert ironic.put(f"/v1/nodes/{node}/management/boot_device",
                      json={"boot_device": "pxe", "persistent": True}).status_code == 204
    assert ironic.get(f"/v1/nodes/{node}/management/boot_device").json() == {"boot_device": "pxe",
                                                                             "persistent": True}
    assert "disk" in ironic.get(f"/v1/nodes/{node}/management/boot_device/supported").json()[
        "supported_boot_devices"]
    assert ironic.put(f"/v1/nodes/{node}/management/boot_device", json={"boot_device": "floppy"}).status_code == 400
    assert ironic.get(f"/v1/nodes/{node}/validate").json()["power"] == {"result": True}


def test_delete_rules(ironic):
    node = ironic.create_node()["uuid"]
    ironic.provision(node, "manage")
    ironic.wait(node, "manageable")
    ironic.provision(node, "provide")
    ironic.wait(node, "available")
    ironic.provision(node, "active")
    ironic.wait(node, "active")
    r = ironic.delete(f"/v1/nodes/{node}")
    assert r.status_code == 409 and "active" in json_fault(r)
    ironic.patch(f"/v1/nodes/{node}", json=[{"op": "replace", "path": "/protected", "value": True}])
    assert ironic.provision(node, "deleted").status_code == 403
    ironic.patch(f"/v1/nodes/{node}", json=[{"op": "replace", "path": "/protected", "value": False}])
    ironic.provision(node, "deleted")
    ironic.wait(node, "available")
    assert ironic.delete(f"/v1/nodes/{node}").status_code == 204
    assert ironic.get(f"/v1/nodes/{node}").status_code == 404


def json_fault(r):
    return fault(r)["faultstring"]
