"""QoS policies and rules, rule types, rule aliases, and qos_policy_id on networks, ports, floating IPs
and router gateways."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def new_policy(neutron, **body):
    r = neutron.post("/qos/policies", json={"policy": body})
    assert r.status_code == 201, r.text
    return r.json()["policy"]


def test_policy_crud_rules_and_binding_via_sdk(admin, demo):
    policy = admin.network.create_qos_policy(name=unique("qos"), description="d", shared=True)
    assert policy.is_shared and policy.rules == []
    bw = admin.network.create_qos_bandwidth_limit_rule(policy, max_kbps=1000, max_burst_kbps=100,
                                                        direction="ingress")
    assert bw.max_kbps == 1000 and bw.direction == "ingress"
    admin.network.create_qos_bandwidth_limit_rule(policy, max_kbps=500)
    mb = admin.network.create_qos_minimum_bandwidth_rule(policy, min_kbps=300, direction="ingress")
    dscp = admin.network.create_qos_dscp_marking_rule(policy, dscp_mark=26)
    shown = admin.network.get_qos_policy(policy.id)
    assert sorted(r["type"] for r in shown.rules) == ["bandwidth_limit", "bandwidth_limit", "dscp_marking",
                                                       "minimum_bandwidth"]
    assert {r["qos_policy_id"] for r in shown.rules} == {policy.id}
    admin.network.update_qos_dscp_marking_rule(dscp, policy, dscp_mark=34)
    assert admin.network.get_qos_dscp_marking_rule(dscp, policy).dscp_mark == 34
    assert len(list(admin.network.qos_bandwidth_limit_rules(policy))) == 2
    # a member of another project sees the shared policy and binds it to its network and port
    assert demo.network.find_qos_policy(policy.id) is not None
    net = demo.network.create_network(name=unique("net"), qos_policy_id=policy.id)
    assert net.qos_policy_id == policy.id
    demo.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.91.0.0/24")
    port = demo.network.create_port(network_id=net.id, qos_policy_id=policy.id)
    assert port.qos_policy_id == policy.id
    assert demo.network.update_port(port, qos_policy_id=None).qos_policy_id is None
    demo.network.update_port(port, qos_policy_id=policy.id)
    admin.network.delete_qos_minimum_bandwidth_rule(mb, policy)
    demo.network.delete_port(port)
    demo.network.update_network(net, qos_policy_id=None)
    demo.network.delete_network(net)
    admin.network.delete_qos_policy(policy)


def test_rule_validation_and_conflicts(neutron_admin):
    policy = new_policy(neutron_admin, name=unique("qos"))
    base = f"/qos/policies/{policy['id']}"
    r = neutron_admin.post(base + "/bandwidth_limit_rules", json={"bandwidth_limit_rule": {"max_kbps": 10}})
    assert r.status_code == 201 and r.json()["bandwidth_limit_rule"]["direction"] == "egress"
    assert r.json()["bandwidth_limit_rule"]["max_burst_kbps"] == 0
    rule_id = r.json()["bandwidth_limit_rule"]["id"]
    r = neutron_admin.post(base + "/bandwidth_limit_rules", json={"bandwidth_limit_rule": {"max_kbps": 20}})
    assert r.status_code == 409
    r = neutron_admin.post(base + "/bandwidth_limit_rules",
                           json={"bandwidth_limit_rule": {"max_kbps": 20, "direction": "sideways"}})
    assert r.status_code == 400
    r = neutron_admin.post(base + "/dscp_marking_rules", json={"dscp_marking_rule": {"dscp_mark": 7}})
    assert r.status_code == 400
    r = neutron_admin.post(base + "/minimum_bandwidth_rules", json={"minimum_bandwidth_rule": {}})
    assert r.status_code == 400
    r = neutron_admin.get(base + "/bandwidth_limit_rules/" + "0" * 32)
    assert r.status_code == 404 and error_type(r) == "QosRuleNotFound"
    # the alias API reaches a rule without its policy
    alias = f"/qos/alias-bandwidth-limit-rules/{rule_id}"
    assert neutron_admin.get(alias).json()["bandwidth_limit_rule"]["max_kbps"] == 10
    r = neutron_admin.put(alias, json={"bandwidth_limit_rule": {"max_kbps": 11}})
    assert r.status_code == 200 and r.json()["bandwidth_limit_rule"]["max_kbps"] == 11
    assert neutron_admin.get(base + f"/bandwidth_limit_rules/{rule_id}").json()["bandwidth_limit_rule"][
        "max_kbps"] == 11
    assert neutron_admin.delete(alias).status_code == 204
    assert neutron_admin.get(alias).status_code == 404
    assert neutron_admin.delete(f"/qos/policies/{policy['id']}").status_code == 204


def test_default_policy_policy_rules_and_in_use(neutron_admin, neutron_demo, cloud):
    demo_project = neutron_demo.get("/security-groups").json()["security_groups"][0]["project_id"]
    r = neutron_demo.post("/qos/policies", json={"policy": {"name": "mine"}})
    assert r.status_code == 403
    first = new_policy(neutron_admin, name=unique("qos"), project_id=demo_project, is_default=True)
    assert first["is_default"] is True
    r = neutron_admin.post("/qos/policies", json={"policy": {"name": "x", "project_id": demo_project,
                                                             "is_default": True}})
    assert r.status_code == 409 and error_type(r) == "QoSPolicyDefaultAlreadyExists"
    private = new_policy(neutron_admin, name=unique("qos"))
    assert neutron_demo.get(f"/qos/policies/{private['id']}").status_code == 404
    assert neutron_demo.get(f"/qos/policies/{first['id']}").status_code == 200
    r = neutron_demo.post("/networks", json={"network": {"name": "n", "qos_policy_id": private["id"]}})
    assert r.status_code == 404
    net = neutron_demo.create("networks", name=unique("net"), qos_policy_id=first["id"])
    r = neutron_admin.delete(f"/qos/policies/{first['id']}")
    assert r.status_code == 409 and error_type(r) == "QosPolicyInUse"
    assert neutron_demo.get("/networks", params={"qos_policy_id": first["id"]}).json()["networks"][0]["id"] == \
        net["id"]
    neutron_demo.delete(f"/networks/{net['id']}")
    assert neutron_admin.delete(f"/qos/policies/{first['id']}").status_code == 204
    neutron_admin.delete(f"/qos/policies/{private['id']}")


def test_rule_types(neutron_demo, neutron_admin, cli):
    types = neutron_demo.get("/qos/rule-types").json()["rule_types"]
    assert {t["type"] for t in types} == {"bandwidth_limit", "minimum_bandwidth", "dscp_marking"}
    detail = neutron_admin.get("/qos/rule-types/bandwidth_limit").json()["rule_type"]
    params = {p["parameter_name"] for p in detail["drivers"][0]["supported_parameters"]}
    assert params == {"max_kbps", "max_burst_kbps", "direction"}
    assert neutron_admin.get("/qos/rule-types/nope").status_code == 404
    # the details are for admins only (QoSPlugin.get_rule_type raises NotAuthorized)
    assert neutron_demo.get("/qos/rule-types/bandwidth_limit").status_code == 403
    listed = cli("network", "qos", "rule", "type", "list", "-f", "json")
    assert {t["Type"] for t in listed} == {"bandwidth_limit", "minimum_bandwidth", "dscp_marking"}


def test_cli_policy_and_rules(cli):
    name = unique("qos")
    policy = cli("network", "qos", "policy", "create", name, "--share", "-f", "json")
    assert policy["shared"] is True
    rule = cli("network", "qos", "rule", "create", "--type", "bandwidth-limit", "--max-kbps", "4000",
               "--egress", name, "-f", "json")
    assert rule["max_kbps"] == 4000
    cli("network", "qos", "rule", "set", "--max-kbps", "5000", name, rule["id"])
    assert cli("network", "qos", "rule", "show", name, rule["id"], "-f", "json")["max_kbps"] == 5000
    cli("network", "qos", "rule", "delete", name, rule["id"])
    cli("network", "qos", "policy", "delete", name)


def test_floating_ip_and_gateway_qos(neutron_admin):
    policy = new_policy(neutron_admin, name=unique("qos"))
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    fip = neutron_admin.create("floatingips", floating_network_id=public["id"], qos_policy_id=policy["id"])
    assert fip["qos_policy_id"] == policy["id"]
    r = neutron_admin.put(f"/floatingips/{fip['id']}", json={"floatingip": {"qos_policy_id": None}})
    assert r.status_code == 200 and r.json()["floatingip"]["qos_policy_id"] is None
    neutron_admin.delete(f"/floatingips/{fip['id']}")
    router = neutron_admin.create("routers", name=unique("r"), external_gateway_info={
        "network_id": public["id"], "qos_policy_id": policy["id"]})
    assert router["external_gateway_info"]["qos_policy_id"] == policy["id"]
    assert neutron_admin.delete(f"/qos/policies/{policy['id']}").status_code == 409
    r = neutron_admin.put(f"/routers/{router['id']}", json={"router": {"external_gateway_info": {
        "network_id": public["id"], "qos_policy_id": None}}})
    assert r.status_code == 200 and r.json()["router"]["external_gateway_info"]["qos_policy_id"] is None
    neutron_admin.delete(f"/routers/{router['id']}")
    assert neutron_admin.delete(f"/qos/policies/{policy['id']}").status_code == 204


def test_neutron_orders_and_rights(neutron_admin, neutron_demo):
    # attribute validation comes before policy: a member's over-long name is 400, not 403
    r = neutron_demo.post("/qos/policies", json={"policy": {"name": "z" * 256}})
    assert r.status_code == 400
    r = neutron_demo.post("/qos/policies", json={"policy": {"name": "ok"}})
    assert r.status_code == 403
    demo_project = neutron_demo.create("networks", name=unique())["project_id"]
    foreign = new_policy(neutron_admin, name=unique("qos"))
    r = neutron_demo.put(f"/qos/policies/{foreign['id']}", json={"policy": {"name": "z" * 256}})
    assert r.status_code == 400
    # rule writes are admin-only: 403 even on a policy the caller cannot see
    r = neutron_demo.post(f"/qos/policies/{foreign['id']}/bandwidth_limit_rules",
                          json={"bandwidth_limit_rule": {"max_kbps": 1}})
    assert r.status_code == 403
    # a project's default policy goes on its new networks
    default = new_policy(neutron_admin, name=unique("qos"), project_id=demo_project, is_default=True)
    try:
        net = neutron_admin.create("networks", name=unique(), project_id=demo_project)
        assert net["qos_policy_id"] == default["id"]
        # a policy the project cannot see may not be detached by it
        neutron_admin.put(f"/networks/{net['id']}", json={"network": {"qos_policy_id": foreign["id"]}})
        r = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"qos_policy_id": None}})
        assert r.status_code == 403 and error_type(r) == "PolicyRemoveAuthorizationError"
        neutron_admin.delete(f"/networks/{net['id']}")
    finally:
        neutron_admin.delete(f"/qos/policies/{default['id']}")
    # tags on QoS policies
    url = f"/policies/{foreign['id']}/tags"
    assert neutron_admin.put(url, json={"tags": ["a", "b"]}).json()["tags"] == ["a", "b"]
    tagged = neutron_admin.get("/qos/policies", params={"tags": "a"}).json()["policies"]
    assert [p["id"] for p in tagged] == [foreign["id"]]
