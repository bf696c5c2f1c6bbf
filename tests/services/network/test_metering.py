"""Metering labels and rules (bookkeeping only)."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_labels_and_rules(neutron_admin, neutron_demo):
    r = neutron_admin.post("/metering/metering-labels", json={"metering_label": {"name": unique("ml"),
                                                                                 "description": "d"}})
    assert r.status_code == 201, r.text
    label = r.json()["metering_label"]
    assert set(label) == {"id", "name", "description", "shared", "project_id", "tenant_id"}
    assert label["shared"] is False
    rules = "/metering/metering-label-rules"
    r = neutron_admin.post(rules, json={"metering_label_rule": {
        "metering_label_id": label["id"], "direction": "ingress", "remote_ip_prefix": "10.0.0.0/24"}})
    assert r.status_code == 201, r.text
    rule = r.json()["metering_label_rule"]
    assert rule["excluded"] is False and rule["remote_ip_prefix"] == "10.0.0.0/24"
    assert neutron_admin.get(f"{rules}/{rule['id']}").json()["metering_label_rule"]["id"] == rule["id"]
    listed = neutron_admin.get(rules, params={"metering_label_id": label["id"]}).json()["metering_label_rules"]
    assert [x["id"] for x in listed] == [rule["id"]]
    # overlapping prefixes in one label, direction and excluded flag are refused
    r = neutron_admin.post(rules, json={"metering_label_rule": {
        "metering_label_id": label["id"], "direction": "ingress", "remote_ip_prefix": "10.0.0.128/25"}})
    assert r.status_code == 409 and error_type(r) == "MeteringLabelRuleOverlaps"
    for bad in ({"direction": "sideways", "remote_ip_prefix": "10.1.0.0/24"},
                {"direction": "egress", "remote_ip_prefix": "nope"}, {"direction": "egress"}):
        r = neutron_admin.post(rules, json={"metering_label_rule": {"metering_label_id": label["id"], **bad}})
        assert r.status_code == 400, bad
    r = neutron_admin.post(rules, json={"metering_label_rule": {
        "metering_label_id": "00000000-0000-0000-0000-000000000000", "direction": "egress",
        "remote_ip_prefix": "10.2.0.0/24"}})
    assert r.status_code == 404
    r = neutron_admin.post("/metering/metering-labels", json={"metering_label": {"name": "z" * 256}})
    assert r.status_code == 400
    # a member may neither create labels nor see the admin's
    r = neutron_demo.post("/metering/metering-labels", json={"metering_label": {"name": "x"}})
    assert r.status_code == 403
    assert neutron_demo.get(f"/metering/metering-labels/{label['id']}").status_code == 404
    assert neutron_admin.delete(f"/metering/metering-labels/{label['id']}").status_code == 204
    assert neutron_admin.get(f"{rules}/{rule['id']}").status_code == 404
    assert "metering" in [e["alias"] for e in neutron_demo.get("/extensions").json()["extensions"]]
