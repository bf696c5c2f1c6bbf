"""Volume connectors and targets (1.32+)."""

from __future__ import annotations

import uuid

from tests.services.baremetal.conftest import fault


def test_connectors_and_targets(ironic):
    node = ironic.create_node()["uuid"]
    cid = f"iqn.2026-11.org.pocketstack:{uuid.uuid4().hex[:8]}"
    r = ironic.post("/v1/volume/connectors", json={"node_uuid": node, "type": "iqn", "connector_id": cid})
    assert r.status_code == 201, r.text
    conn = r.json()
    dup = ironic.post("/v1/volume/connectors", json={"node_uuid": node, "type": "iqn", "connector_id": cid})
    assert dup.status_code == 409 and "already exists" in fault(dup)["faultstring"]
    t = ironic.post("/v1/volume/targets", json={"node_uuid": node, "volume_type": "iscsi", "boot_index": 0,
                                                "volume_id": str(uuid.uuid4())})
    assert t.status_code == 201
    assert [c["uuid"] for c in ironic.get(f"/v1/nodes/{node}/volume/connectors").json()["connectors"]] == [
        conn["uuid"]]
    assert ironic.get(f"/v1/nodes/{node}/volume/targets").json()["targets"][0]["boot_index"] == 0
    assert ironic.get("/v1/volume/targets/not-a-uuid").status_code == 400
    ironic.put(f"/v1/nodes/{node}/states/power", json={"target": "power on"})
    ironic.wait(node, "enroll")
    on = ironic.delete(f"/v1/volume/connectors/{conn['uuid']}")
    assert on.status_code == 400 and "volume connector deletion" in fault(on)["faultstring"]
    ironic.put(f"/v1/nodes/{node}/states/power", json={"target": "power off"})
    ironic.wait(node, "enroll")
    assert ironic.delete(f"/v1/volume/connectors/{conn['uuid']}").status_code == 204
    r = ironic.patch(f"/v1/volume/targets/{t.json()['uuid']}", json=[{"op": "remove", "path": "/properties"}])
    assert r.status_code == 200 and r.json()["properties"] == {}
    assert ironic.get(f"/v1/volume/connectors/{conn['uuid']}").status_code == 404
    assert ironic.get("/v1/volume/connectors", headers=ironic.at("1.31")).status_code == 404
