"""Cyborg v2: discovery, devices and deployables, device profiles, ARQ create/bind/unbind/delete."""

from __future__ import annotations

import uuid

from tests.conftest import unique
from tests.services.accelerator.conftest import Cyborg, fault

FPGA_GROUP = {"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}


def test_versions(http):
    root = http.get("/accelerator/").json()
    assert root["default_version"]["min_version"] == "2.0" and root["default_version"]["max_version"] == "2.3"
    assert http.get("/accelerator/v2").json()["id"] == "v2.0"


def test_version_negotiation(cloud, admin_token):
    r = Cyborg(cloud.url, admin_token, "2.9").get("/devices")
    assert r.status_code == 406 and "[2.0, 2.3]" in fault(r)["faultstring"]
    r = Cyborg(cloud.url, admin_token, "2.2").get("/devices")
    assert r.headers["OpenStack-API-Version"] == "accelerator 2.2"
    assert r.headers["OpenStack-API-Maximum-Version"] == "2.3" and "status" not in r.json()["devices"][0]


def test_sdk_devices_and_deployables(admin):
    devices = list(admin.accelerator.devices())
    assert {d.type for d in devices} == {"FPGA", "GPU"} and {d.hostname for d in devices} == {"pocketstack"}
    deployables = list(admin.accelerator.deployables())
    assert len(deployables) == 2 and all(d.num_accelerators for d in deployables)
    one = admin.accelerator.get_device(devices[0].id)
    assert one.vendor == devices[0].vendor


def test_device_filters_and_status(cyborg):
    fpgas = cyborg.get("/devices", params={"type": "FPGA"}).json()["devices"]
    assert [d["type"] for d in fpgas] == ["FPGA"] and fpgas[0]["status"] == "enabled"
    assert cyborg.get("/devices", params={"vendor": "nope"}).json()["devices"] == []
    assert cyborg.get(f"/devices/{uuid.uuid4()}").status_code == 404


def test_device_profiles_crud(admin, cyborg):
    name = unique("dp").replace("-", "_")
    dp = admin.accelerator.create_device_profile(name=name, groups=[FPGA_GROUP], description="d")
    assert dp.name == name
    by_name = cyborg.get(f"/device_profiles/{name}").json()["device_profile"]
    assert by_name["uuid"] == dp.id and by_name["groups"] == [FPGA_GROUP]
    old = Cyborg(cyborg.client.base_url.scheme + "://" + cyborg.client.base_url.netloc.decode(),
                 cyborg.client.headers["X-Auth-Token"], "2.1")
    assert old.get(f"/device_profiles/{name}").status_code == 406
    dup = cyborg.post("/device_profiles", json=[{"name": name, "groups": [FPGA_GROUP]}])
    assert dup.status_code == 409
    bad = cyborg.post("/device_profiles", json=[{"name": unique("x"), "groups": [{"trait:FOO": "required"}]}])
    assert bad.status_code == 400 and "CUSTOM_" in fault(bad)["faultstring"]
    assert cyborg.post("/device_profiles", json=[{"name": "a b", "groups": [FPGA_GROUP]}]).status_code == 400
    assert cyborg.delete(f"/device_profiles?value={name}").status_code == 204
    assert cyborg.get(f"/device_profiles/{dp.id}").status_code == 404


def test_arq_bind_unbind_delete(cyborg):
    name = unique("dp").replace("-", "_")
    assert cyborg.post("/device_profiles", json=[{"name": name, "groups": [
        {"resources:FPGA": "2", "trait:CUSTOM_FPGA_INTEL": "required"}]}]).status_code == 201
    r = cyborg.post("/accelerator_requests", json={"device_profile_name": name})
    assert r.status_code == 201
    made = r.json()["arqs"]
    assert len(made) == 2 and {a["state"] for a in made} == {"Initial"}
    rp = next(d for d in cyborg.get("/deployables").json()["deployables"] if "FPGA" in d["attributes_list"])["rp_uuid"]
    instance = str(uuid.uuid4())
    patch = {a["uuid"]: [{"path": "/hostname", "op": "add", "value": "pocketstack"},
                         {"path": "/device_rp_uuid", "op": "add", "value": rp},
                         {"path": "/instance_uuid", "op": "add", "value": instance}] for a in made}
    assert cyborg.patch("/accelerator_requests", json=patch).status_code == 202
    bound = [cyborg.wait_arq(a["uuid"]) for a in made]
    assert {b["state"] for b in bound} == {"Bound"}
    assert {b["attach_handle_type"] for b in bound} == {"PCI"}
    assert len({b["attach_handle_uuid"] for b in bound}) == 2
    listed = cyborg.get("/accelerator_requests", params={"instance": instance, "bind_state": "resolved"})
    assert listed.status_code == 200 and len(listed.json()["arqs"]) == 2
    assert cyborg.get("/accelerator_requests", params={"bind_state": "bogus"}).status_code == 400
    again = cyborg.patch("/accelerator_requests", json=patch)
    assert again.status_code == 400 and "already has accelerator requests" in fault(again)["faultstring"]
    unbind = {made[0]["uuid"]: [{"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
                                {"path": "/instance_uuid", "op": "remove"}]}
    assert cyborg.patch("/accelerator_requests", json=unbind).status_code == 202
    assert cyborg.get(f"/accelerator_requests/{made[0]['uuid']}").json()["state"] == "Unbound"
    assert cyborg.delete("/accelerator_requests", params={"instance": instance}).status_code == 204
    assert cyborg.get(f"/accelerator_requests/{made[1]['uuid']}").status_code == 404
    assert cyborg.delete("/accelerator_requests", params={"arqs": made[0]["uuid"]}).status_code == 204
    assert cyborg.delete(f"/device_profiles/{name}").status_code == 204


def test_bind_to_an_unknown_provider_fails(cyborg):
    name = unique("dp").replace("-", "_")
    cyborg.post("/device_profiles", json=[{"name": name, "groups": [{"resources:PGPU": "1"}]}])
    arq = cyborg.post("/accelerator_requests", json={"device_profile_name": name}).json()["arqs"][0]
    patch = {arq["uuid"]: [{"path": "/hostname", "op": "add", "value": "pocketstack"},
                           {"path": "/device_rp_uuid", "op": "add", "value": str(uuid.uuid4())},
                           {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]}
    assert cyborg.patch("/accelerator_requests", json=patch).status_code == 202
    assert cyborg.wait_arq(arq["uuid"])["state"] == "BindFailed"
    missing = {arq["uuid"]: [{"path": "/hostname", "op": "add", "value": "h"}]}
    assert cyborg.patch("/accelerator_requests", json=missing).status_code == 400


def test_policies(cloud, demo_token, cyborg):
    demo = Cyborg(cloud.url, demo_token)
    assert demo.get("/devices").status_code == 403                      # project_manager_or_admin
    r = demo.post("/device_profiles", json=[{"name": unique("x"), "groups": [FPGA_GROUP]}])
    assert r.status_code == 403 and "cyborg:device_profile:create" in fault(r)["faultstring"]
    assert demo.get("/device_profiles").status_code == 200
    name = unique("dp").replace("-", "_")
    cyborg.post("/device_profiles", json=[{"name": name, "groups": [FPGA_GROUP]}])
    arq = demo.post("/accelerator_requests", json={"device_profile_name": name})
    assert arq.status_code == 201                                      # project_member_or_service
    arq_id = arq.json()["arqs"][0]["uuid"]
    bind = {arq_id: [{"path": "/hostname", "op": "add", "value": "pocketstack"},
                     {"path": "/device_rp_uuid", "op": "add", "value": str(uuid.uuid4())},
                     {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]}
    assert demo.patch("/accelerator_requests", json=bind).status_code == 403   # Nova's job
    assert demo.delete("/accelerator_requests", params={"arqs": arq_id}).status_code == 204
    system = Cyborg(cloud.url, cloud.token("devstack-system-admin"))
    assert system.get("/devices").status_code == 403                   # project-scoped API
    assert Cyborg(cloud.url, None).get("/devices").status_code == 401
