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


def test_default_group_name_is_validated_before_the_rename_rule(neutron_demo):
    (group,) = neutron_demo.get("/security-groups", params={"name": "default"}).json()["security_groups"]
    r = neutron_demo.put(f"/security-groups/{group['id']}", json={"security_group": {"name": "z" * 256}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = neutron_demo.put(f"/security-groups/{group['id']}", json={"security_group": {"name": True}})
    assert r.status_code == 400
    r = neutron_demo.put(f"/security-groups/{group['id']}", json={"security_group": {"name": "renamed"}})
    assert r.status_code == 409 and error_type(r) == "SecurityGroupCannotUpdateDefault"


def test_group_quota_is_checked_before_the_default_group_is_made(neutron_admin, admin):
    project = admin.identity.create_project(name=unique("sgq"), domain_id="default").id
    try:
        listed = neutron_admin.get("/security-groups", params={"project_id": project}).json()["security_groups"]
        assert [g["name"] for g in listed] == ["default"]       # listing for a project makes its default
        neutron_admin.put(f"/quotas/{project}", json={"quota": {"security_group": len(listed) + 1}})
        neutron_admin.create("security-groups", name=unique(), project_id=project)
        r = neutron_admin.post("/security-groups", json={"security_group": {"name": "x", "project_id": project}})
        assert r.status_code == 409 and error_type(r) == "OverQuota"
        # a new group brings two egress rules: it needs room for them
        neutron_admin.put(f"/quotas/{project}", json={"quota": {"security_group": -1, "security_group_rule": 0}})
        r = neutron_admin.post("/security-groups", json={"security_group": {"name": "x", "project_id": project}})
        assert r.status_code == 409 and error_type(r) == "OverQuota"
        r = neutron_admin.put(f"/quotas/{project}", json={"quota": {"security_group": 2**31}})
        assert r.status_code == 400
    finally:
        neutron_admin.delete(f"/quotas/{project}")


def test_stateful_and_stateless_do_not_mix(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.95.0.0/24")
    stateful = neutron_demo.create("security-groups", name=unique())
    stateless = neutron_demo.create("security-groups", name=unique(), stateful=False)
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"],
                                                   "security_groups": [stateful["id"], stateless["id"]]}})
    assert r.status_code == 409 and error_type(r) == "SecurityGroupConflict"
    port = neutron_demo.create("ports", network_id=net["id"], security_groups=[stateful["id"]])
    r = neutron_demo.put(f"/security-groups/{stateful['id']}", json={"security_group": {"stateful": False}})
    assert r.status_code == 409 and error_type(r) == "SecurityGroupInUse"
    r = neutron_demo.put(f"/ports/{port['id']}", json={"port": {"security_groups": [stateful["id"], stateful["id"]]}})
    assert r.status_code == 400 and "Duplicate" in r.json()["NeutronError"]["message"]
    assert neutron_demo.delete(f"/ports/{port['id']}").status_code == 204
    r = neutron_demo.put(f"/security-groups/{stateful['id']}", json={"security_group": {"stateful": False}})
    assert r.status_code == 200 and r.json()["security_group"]["stateful"] is False


def test_bulk_create_with_wrapped_items(neutron_admin, admin):
    project = admin.identity.create_project(name=unique("bulk"), domain_id="default").id
    names = [unique("bulk"), unique("bulk")]
    r = neutron_admin.post("/security-groups", json={"security_groups": [
        {"security_group": {"name": n, "project_id": project}} for n in names]})
    assert r.status_code == 201 and [g["name"] for g in r.json()["security_groups"]] == names


def test_remote_ip_prefix_kept_as_given_with_its_normalized_cidr(demo):
    """neutron keeps 10.2.3.124/24 as the user gave it and shows the network as normalized_cidr; a rule
    for the same network is a duplicate; Nova's os-security-group-rules shows the prefix as given."""
    sg = demo.network.create_security_group(name=unique("sg"))
    rule = demo.network.create_security_group_rule(security_group_id=sg.id, direction="ingress",
                                                   protocol="tcp", port_range_min=80, port_range_max=80,
                                                   remote_ip_prefix="10.2.3.124/24")
    assert rule.remote_ip_prefix == "10.2.3.124/24" and rule.normalized_cidr == "10.2.3.0/24"
    host = demo.network.create_security_group_rule(security_group_id=sg.id, direction="ingress",
                                                   protocol="udp", remote_ip_prefix="192.0.2.7")
    assert host.remote_ip_prefix == "192.0.2.7/32" and host.normalized_cidr == "192.0.2.7/32"
    from openstack import exceptions
    with pytest.raises(exceptions.ConflictException):
        demo.network.create_security_group_rule(security_group_id=sg.id, direction="ingress", protocol="tcp",
                                                port_range_min=80, port_range_max=80,
                                                remote_ip_prefix="10.2.3.0/24")
    r = demo.compute.get(f"/os-security-groups/{sg.id}")
    cidrs = {x["ip_range"].get("cidr") for x in r.json()["security_group"]["rules"]}
    assert "10.2.3.124/24" in cidrs
    demo.network.delete_security_group(sg)
