"""Version discovery, microversion negotiation and Ironic's headers and error format."""

from __future__ import annotations

import json


def test_root_and_v1(http):
    root = http.get("/baremetal/").json()
    assert root["default_version"]["min_version"] == "1.1"
    assert root["default_version"]["version"] == "1.115"
    assert root["versions"][0]["id"] == "v1"
    v1 = http.get("/baremetal/v1/", headers={"X-OpenStack-Ironic-API-Version": "1.115"}).json()
    assert v1["id"] == "v1" and {"nodes", "ports", "chassis", "drivers", "portgroups", "conductors"} <= set(v1)
    assert v1["media_types"]["type"] == "application/vnd.openstack.ironic.v1+json"


def test_version_headers_and_406(http, admin_token):
    r = http.get("/baremetal/v1/nodes", headers={"X-Auth-Token": admin_token,
                                                 "X-OpenStack-Ironic-API-Version": "1.40"})
    assert r.headers["X-OpenStack-Ironic-API-Version"] == "1.40"
    assert r.headers["X-OpenStack-Ironic-API-Minimum-Version"] == "1.1"
    assert r.headers["X-OpenStack-Ironic-API-Maximum-Version"] == "1.115"
    r = http.get("/baremetal/v1/nodes", headers={"X-Auth-Token": admin_token,
                                                 "OpenStack-API-Version": "baremetal 1.999"})
    assert r.status_code == 406
    body = json.loads(r.json()["error_message"])
    assert body["faultcode"] == "Client" and "[1.1, 1.115]" in body["faultstring"]


def test_no_token_is_401(http):
    r = http.get("/baremetal/v1/nodes")
    assert r.status_code == 401


def test_drivers_and_conductors(system_admin, ironic):
    names = {d.name for d in system_admin.baremetal.drivers()}
    assert names == {"fake-hardware", "ipmi"}
    detail = ironic.get("/v1/drivers/fake-hardware").json()
    assert detail["default_deploy_interface"] == "fake" and "fake" in detail["enabled_power_interfaces"]
    assert detail["hosts"] == ["pocketstack"] and detail["type"] == "dynamic"
    assert "ipmi_address" in ironic.get("/v1/drivers/ipmi/properties").json()
    assert ironic.get("/v1/drivers/nope").status_code == 404
    conductors = ironic.get("/v1/conductors").json()["conductors"]
    assert conductors[0]["hostname"] == "pocketstack" and conductors[0]["alive"] is True
    assert ironic.get("/v1/conductors", headers=ironic.at("1.48")).status_code == 404
