"""Volume transfers between projects, and QoS specs with their volume type associations."""

from __future__ import annotations

from tests.conftest import unique


def test_transfer_moves_volume_and_snapshots(cinder_demo, cinder_alt):
    vol = cinder_demo.volume()
    snap = cinder_demo.wait("snapshot", cinder_demo.create("snapshot", volume_id=vol["id"])["id"])
    r = cinder_demo.post("/volume-transfers", json={"transfer": {"volume_id": vol["id"], "name": "t"}},
                         headers=cinder_demo.at("3.57"))
    assert r.status_code == 202, r.text
    transfer = r.json()["transfer"]
    assert transfer["auth_key"] and transfer["no_snapshots"] is False and transfer["accepted"] is False
    assert cinder_demo.get(f"/volumes/{vol['id']}").json()["volume"]["status"] == "awaiting-transfer"
    listed = cinder_demo.get("/os-volume-transfer/detail").json()["transfers"]
    assert transfer["id"] in [t["id"] for t in listed]
    assert cinder_alt.get(f"/os-volume-transfer/{transfer['id']}").status_code == 404
    bad = cinder_alt.post(f"/os-volume-transfer/{transfer['id']}/accept", json={"accept": {"auth_key": "nope"}})
    assert bad.status_code == 400
    ok = cinder_alt.post(f"/os-volume-transfer/{transfer['id']}/accept",
                         json={"accept": {"auth_key": transfer["auth_key"]}})
    assert ok.status_code == 202 and ok.json()["transfer"]["volume_id"] == vol["id"]
    assert cinder_demo.get(f"/volumes/{vol['id']}").status_code == 404
    moved = cinder_alt.get(f"/volumes/{vol['id']}").json()["volume"]
    assert moved["status"] == "available" and moved["os-vol-tenant-attr:tenant_id"] == cinder_alt.project_id
    assert cinder_alt.get(f"/snapshots/{snap['id']}").status_code == 200
    cinder_alt.delete(f"/volumes/{vol['id']}", params={"cascade": "true"})


def test_transfer_delete_and_old_versions(cinder_demo):
    vol = cinder_demo.volume()
    assert cinder_demo.post("/volume-transfers", json={"transfer": {"volume_id": vol["id"]}},
                            headers=cinder_demo.at("3.54")).status_code == 404
    transfer = cinder_demo.post("/os-volume-transfer", json={"transfer": {"volume_id": vol["id"]}},
                                headers=cinder_demo.at("3.0")).json()["transfer"]
    assert "no_snapshots" not in transfer
    assert cinder_demo.delete(f"/os-volume-transfer/{transfer['id']}").status_code == 202
    assert cinder_demo.get(f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"


def test_qos_specs_lifecycle(cinder_admin, cinder_demo):
    name = unique("qos")
    assert cinder_demo.post("/qos-specs", json={"qos_specs": {"name": name}}).status_code == 403
    r = cinder_admin.post("/qos-specs", json={"qos_specs": {"name": name, "consumer": "front-end",
                                                            "total_iops_sec": "100"}})
    assert r.status_code == 200, r.text
    qos = r.json()["qos_specs"]
    assert qos["specs"] == {"total_iops_sec": "100"} and qos["consumer"] == "front-end"
    assert cinder_admin.post("/qos-specs", json={"qos_specs": {"name": name}}).status_code == 409
    assert cinder_admin.put(f"/qos-specs/{qos['id']}", json={"qos_specs": {"read_iops_sec": 5}}).json() == \
        {"qos_specs": {"read_iops_sec": "5"}}
    assert cinder_admin.put(f"/qos-specs/{qos['id']}/delete_keys", json={"keys": ["total_iops_sec"]}).status_code == 202
    assert cinder_admin.get(f"/qos-specs/{qos['id']}").json()["qos_specs"]["specs"] == {"read_iops_sec": "5"}
    vtype = cinder_admin.post("/types", json={"volume_type": {"name": unique("qtype")}}).json()["volume_type"]
    assert cinder_admin.get(f"/qos-specs/{qos['id']}/associate", params={"vol_type_id": vtype["id"]}) \
        .status_code == 202
    assert cinder_admin.get(f"/qos-specs/{qos['id']}/associations").json()["qos_associations"] == \
        [{"association_type": "volume_type", "name": vtype["name"], "id": vtype["id"]}]
    assert cinder_admin.get(f"/types/{vtype['id']}").json()["volume_type"]["qos_specs_id"] == qos["id"]
    assert cinder_admin.delete(f"/qos-specs/{qos['id']}").status_code == 400                  # in use
    assert cinder_admin.get(f"/qos-specs/{qos['id']}/disassociate_all").status_code == 202
    assert cinder_admin.delete(f"/qos-specs/{qos['id']}").status_code == 202
    assert cinder_admin.get(f"/qos-specs/{qos['id']}").status_code == 404
