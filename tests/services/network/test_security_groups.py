"""Security groups and rules."""

import pytest

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_cli_security_group_rule_create(cli):
    sg = cli("security", "group", "create", unique("sg"), os_cloud="pocketstack")
    assert {r["direction"] for r in sg["rules"]} == {"egress"}
    rule = cli("security", "group", "rule", "create", sg["id"], "--protocol", "tcp", "--dst-port", "22:23",
               "--remote-ip", "192.0.2.0/24", "-f", "json", os_cloud="pocketstack")
    assert rule["port_range_min"] == 22 and rule["port_range_max"] == 23 and rule["protocol"] == "tcp"
    assert rule["remote_ip_prefix"] == "192.0.2.0/24" and rule["direction"] == "ingress"
    dup = cli("security", "group", "rule", "create", sg["id"], "--protocol", "tcp", "--dst-port", "22:23",
              "--remote-ip", "192.0.2.0/24", os_cloud="pocketstack", check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr


def test_default_group_rules(neutron_alt):
    (group,) = neutron_alt.get("/security-groups", params={"name": "default"}).json()["security_groups"]
    rules = group["security_group_rules"]
    assert sorted((r["direction"], r["ethertype"], r["remote_group_id"] is not None) for r in rules) == [
        ("egress", "IPv4", False), ("egress", "IPv6", False), ("ingress", "IPv4", True), ("ingress", "IPv6", True)]
    r = neutron_alt.delete(f"/security-groups/{group['id']}")
    assert r.status_code == 409 and error_type(r) == "SecurityGroupCannotRemoveDefault"


@pytest.mark.parametrize("rule,kind", [
    ({"protocol": "nope"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "tcp", "port_range_min": 30, "port_range_max": 20}, "SecurityGroupInvalidPortRange"),
    ({"port_range_min": 30, "port_range_max": 40}, "SecurityGroupProtocolRequiredWithPorts"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}, "SecurityGroupRuleParameterConflict"),
    ({"protocol": "icmp", "port_range_min": 300}, "SecurityGroupInvalidIcmpValue"),
    ({"direction": "sideways"}, "InvalidInput"),
])
def test_rule_validation(neutron_demo, rule, kind):
    sg = neutron_demo.create("security-groups", name=unique())
    r = neutron_demo.post("/security-group-rules", json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", **rule}})
    assert r.status_code == 400 and error_type(r) == kind, r.text


def test_remote_group_and_delete(neutron_demo):
    sg = neutron_demo.create("security-groups", name=unique())
    rule = neutron_demo.create("security-group-rules", security_group_id=sg["id"], direction="ingress",
                               protocol="17", remote_group_id=sg["id"])
    assert rule["remote_group_id"] == sg["id"]
    assert neutron_demo.get(f"/security-group-rules/{rule['id']}").status_code == 200
    assert neutron_demo.delete(f"/security-group-rules/{rule['id']}").status_code == 204
    assert neutron_demo.delete(f"/security-groups/{sg['id']}").status_code == 204
    assert neutron_demo.get(f"/security-groups/{sg['id']}").status_code == 404
