"""Allocations (1.52+): a durable job picks an available node matching resource class and traits."""

from __future__ import annotations

import time
import uuid

from tests.services.baremetal.conftest import fault


def _wait(ironic, alloc_id, timeout=20):
    deadline = time.time() + timeout
    while True:
        body = ironic.get(f"/v1/allocations/{alloc_id}").json()
        if body["state"] != "allocating":
            return body
        assert time.time() < deadline
        time.sleep(0.05)


def _available(ironic, **extra):
    node = ironic.create_node(**extra)["uuid"]
    ironic.provision(node, "manage")
    ironic.wait(node, "manageable")
    ironic.provision(node, "provide")
    ironic.wait(node, "available")
    return node


def test_allocate_by_resource_class_and_traits(ironic):
    rc = f"rc-{uuid.uuid4().hex[:8]}"
    plain = _available(ironic, resource_class=rc)
    gold = _available(ironic, resource_class=rc)
    ironic.put(f"/v1/nodes/{gold}/traits", json={"traits": ["CUSTOM_GOLD"]})
    r = ironic.post("/v1/allocations", json={"resource_class": rc, "traits": ["CUSTOM_GOLD"], "name": f"a-{rc}"})
    assert r.status_code == 201 and r.json()["state"] == "allocating"
    alloc = _wait(ironic, r.json()["uuid"])
    assert alloc["state"] == "active" and alloc["node_uuid"] == gold
    node = ironic.get(f"/v1/nodes/{gold}").json()
    assert node["allocation_uuid"] == alloc["uuid"] and node["instance_uuid"] == alloc["uuid"]
    assert ironic.get(f"/v1/nodes/{gold}/allocation").json()["uuid"] == alloc["uuid"]
    assert ironic.get(f"/v1/allocations/a-{rc}").json()["uuid"] == alloc["uuid"]
    none_left = _wait(ironic, ironic.post("/v1/allocations", json={"resource_class": rc,
                                                                   "traits": ["CUSTOM_GOLD"]}).json()["uuid"])
    assert none_left["state"] == "error" and "CUSTOM_GOLD" in none_left["last_error"]
    assert ironic.delete(f"/v1/allocations/{alloc['uuid']}").status_code == 204
    freed = ironic.get(f"/v1/nodes/{gold}").json()
    assert freed["allocation_uuid"] is None and freed["instance_uuid"] is None
    assert plain != gold


def test_allocation_errors(ironic):
    assert ironic.post("/v1/allocations", json={}).status_code == 400           # resource_class needed
    assert ironic.post("/v1/allocations", json={"resource_class": "x"},
                       headers=ironic.at("1.51")).status_code == 405          # pecan's answer before 1.52
    assert ironic.get("/v1/allocations", headers=ironic.at("1.51")).status_code == 404
    r = ironic.post("/v1/allocations", json={"resource_class": "x", "candidate_nodes": [str(uuid.uuid4())]})
    assert r.status_code == 400 and "could not be found" in fault(r)["faultstring"]
    assert ironic.get(f"/v1/allocations/{uuid.uuid4()}").status_code == 404


def test_undeploy_ends_the_allocation(ironic):
    rc = f"rc-{uuid.uuid4().hex[:8]}"
    node = _available(ironic, resource_class=rc)
    alloc = _wait(ironic, ironic.post("/v1/allocations", json={"resource_class": rc}).json()["uuid"])
    assert alloc["node_uuid"] == node
    ironic.provision(node, "active")
    ironic.wait(node, "active")
    assert ironic.delete(f"/v1/allocations/{alloc['uuid']}").status_code == 409   # the node is active
    ironic.provision(node, "deleted")
    ironic.wait(node, "available")
    assert ironic.get(f"/v1/allocations/{alloc['uuid']}").status_code == 404
