"""The deploy ramdisk's endpoints (/v1/lookup, /v1/heartbeat) and node vendor passthru calls, answered
as ironic answers them; fake-hardware runs no agent, so an agent's calls are refused as ironic refuses
them for a node that is not waiting on one."""

from __future__ import annotations

import uuid

import httpx

from tests.services.baremetal.conftest import fault

MAC = "52:54:00:12:34:56"


def test_lookup_finds_no_node_outside_deploy_states(ironic, cloud):
    node = ironic.create_node()
    anon = httpx.Client(base_url=f"{cloud.url}/baremetal", headers={"X-OpenStack-Ironic-API-Version": "1.22"})
    r = anon.get("/v1/lookup", params={"node_uuid": node["uuid"]})          # no token needed, as for IPA
    assert r.status_code == 404 and fault(r)["faultstring"] == "Node could not be found."
    assert anon.get("/v1/lookup", params={"addresses": MAC}).status_code == 404
    assert anon.get("/v1/lookup").status_code == 400
    r = anon.get("/v1/lookup", params={"addresses": "not-a-mac"})
    assert r.status_code == 400 and "MAC address" in fault(r)["faultstring"]
    assert anon.get("/v1/lookup", params={"node_uuid": "x"}).status_code == 400
    assert anon.get("/v1/lookup", params={"node_uuid": node["uuid"]},
                    headers={"X-OpenStack-Ironic-API-Version": "1.21"}).status_code == 404


def test_heartbeat_refusals(ironic, cloud):
    node = ironic.create_node()
    anon = httpx.Client(base_url=f"{cloud.url}/baremetal", headers={"X-OpenStack-Ironic-API-Version": "1.62"})
    hb = {"callback_url": "http://127.0.0.1:9999", "agent_token": "t"}
    r = anon.post(f"/v1/heartbeat/{node['uuid']}", json=hb)
    assert r.status_code == 400 and fault(r)["faultstring"] == "Invalid or missing agent token received."
    r = anon.post(f"/v1/heartbeat/{node['uuid']}", json={"callback_url": "http://127.0.0.1:9999"})
    assert fault(r)["faultstring"] == "Agent token is required for heartbeat processing."
    r = anon.post(f"/v1/heartbeat/{node['uuid']}", json={**hb, "callback_url": "ftp://x"})
    assert r.status_code == 400 and "callback_url" in fault(r)["faultstring"]
    r = anon.post(f"/v1/heartbeat/{node['uuid']}", json={**hb, "agent_version": "9"},
                  headers={"X-OpenStack-Ironic-API-Version": "1.22"})
    assert r.status_code == 400 and fault(r)["faultstring"] == 'Field "agent_version" not recognised'
    assert anon.post("/v1/heartbeat", json={**hb, "node_ident": node["uuid"]}).status_code == 400   # body form
    assert anon.post(f"/v1/heartbeat/{uuid.uuid4()}", json=hb).status_code == 404
    assert anon.post(f"/v1/heartbeat/{node['uuid']}", json=hb,
                     headers={"X-OpenStack-Ironic-API-Version": "1.21"}).status_code == 404


def test_vendor_passthru_call(ironic, cloud):
    node = ironic.create_node()
    path = f"/v1/nodes/{node['uuid']}/vendor_passthru"
    r = ironic.put(path, params={"method": "fakemethod"}, json={})
    assert r.status_code == 400 and fault(r)["faultstring"] == "No handler for method fakemethod"
    assert fault(ironic.post(path, json={}))["faultstring"] == "Method not specified"
    assert ironic.put(path, json={"method": "x"}, headers=ironic.at("1.0")).status_code == 406
    assert ironic.put(f"/v1/nodes/{uuid.uuid4()}/vendor_passthru", params={"method": "m"}).status_code == 404
    assert httpx.put(f"{cloud.url}/baremetal{path}", params={"method": "m"}).status_code == 401
    demo = httpx.put(f"{cloud.url}/baremetal{path}", params={"method": "m"},
                     headers={"X-Auth-Token": cloud.token("pocketstack")})
    assert demo.status_code in (403, 404)


def test_node_allocation_of_an_unknown_node_is_400(ironic):
    r = ironic.get("/nodes/None/allocation", headers=ironic.at("1.52"))
    assert r.status_code == 400 and fault(r)["faultstring"] == "Node None could not be found."
    assert ironic.get("/nodes/None/allocation", headers=ironic.at("1.51")).status_code == 404
    node = ironic.create_node()
    r = ironic.get(f"/v1/nodes/{node['uuid']}/allocation")
    assert r.status_code == 404 and fault(r)["faultstring"] == f"Allocation for node {node['uuid']} was not found"
