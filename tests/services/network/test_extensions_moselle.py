"""Optional Networking extensions of the RA1 moselle profile: floatingip-pools, subnetpool-prefix-ops,
uplink-status-propagation, tag-ports-during-bulk-creation, tag-ext, rbac-security-groups, rbac-subnetpool."""

import httpx

from tests.conftest import unique
from tests.services.network.conftest import error_type

NEW = ("floatingip-pools", "subnetpool-prefix-ops", "uplink-status-propagation", "tag-ports-during-bulk-creation",
       "tag-ext", "rbac-security-groups", "rbac-subnetpool", "floating-ip-port-forwarding")


def _rbac(n, **body):
    r = n.post("/rbac-policies", json={"rbac_policy": body})
    assert r.status_code == 201, r.text
    return r.json()["rbac_policy"]


def _project(n):
    return n.get("/security-groups", params={"name": "default"}).json()["security_groups"][0]["project_id"]


def test_listed(neutron_demo):
    aliases = {e["alias"] for e in neutron_demo.get("/extensions").json()["extensions"]}
    assert set(NEW) <= aliases
    assert neutron_demo.get("/extensions/rbac-subnetpool").json()["extension"]["name"] == "Add subnetpool type to RBAC"


# --- floatingip-pools ------------------------------------------------------------------
def test_floatingip_pools(neutron_admin, neutron_demo):
    ext = neutron_admin.create("networks", name=unique(), **{"router:external": True})
    v4 = neutron_admin.create("subnets", network_id=ext["id"], ip_version=4, cidr="172.31.250.0/24", name="p4")
    v6 = neutron_admin.create("subnets", network_id=ext["id"], ip_version=6, cidr="fd00:fa::/64")
    inner, inner_sub = neutron_demo.network_with_subnet("10.250.0.0/24")
    body = neutron_demo.get("/floatingip_pools").json()["floatingip_pools"]
    by_subnet = {p["subnet_id"]: p for p in body}
    project = _project(neutron_demo)
    assert by_subnet[v4["id"]] == {"subnet_id": v4["id"], "subnet_name": "p4", "network_id": ext["id"],
                                   "cidr": "172.31.250.0/24", "project_id": project, "tenant_id": project}
    assert v6["id"] not in by_subnet and inner_sub["id"] not in by_subnet      # IPv4 of external networks only
    fields = neutron_demo.get("/floatingip_pools", params={"fields": "cidr",
                                                           "network_id": ext["id"]}).json()["floatingip_pools"]
    assert fields == [{"cidr": "172.31.250.0/24"}]
    # a floating IP from that pool's subnet
    fip = neutron_demo.create("floatingips", floating_network_id=ext["id"], subnet_id=v4["id"])
    assert fip["floating_ip_address"].startswith("172.31.250.")
    assert neutron_demo.delete(f"/floatingips/{fip['id']}").status_code == 204
    assert neutron_demo.get("/floatingip-pools").json()["floatingip_pools"] == body     # neutron takes both
    r = neutron_demo.get("/floatingip_pools", params={"bogus": "1"})
    assert r.status_code == 400
    assert httpx.get(str(neutron_demo.base_url).rstrip("/") + "/floatingip_pools").status_code == 401
    for sub in (v4, v6):                   # the session's other tests expect `public` as the one external network
        assert neutron_admin.delete(f"/subnets/{sub['id']}").status_code == 204
    assert neutron_admin.delete(f"/networks/{ext['id']}").status_code == 204


# --- subnetpool-prefix-ops -------------------------------------------------------------
def test_subnetpool_add_and_remove_prefixes(neutron_demo, neutron_alt):
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.90.0.0/24"], default_prefixlen=26)
    base = f"/subnetpools/{pool['id']}"
    r = neutron_demo.put(base + "/add_prefixes", json={"prefixes": ["10.90.1.0/24", "10.91.0.0/16"]})
    assert r.status_code == 200 and r.json() == {"prefixes": ["10.90.0.0/23", "10.91.0.0/16"]}
    assert neutron_demo.get(base).json()["subnetpool"]["prefixes"] == ["10.90.0.0/23", "10.91.0.0/16"]
    # a part of a prefix splits it; disjoint prefixes are a no-op
    r = neutron_demo.put(base + "/remove_prefixes", json={"prefixes": ["10.91.128.0/17"]})
    assert r.status_code == 200 and r.json() == {"prefixes": ["10.90.0.0/23", "10.91.0.0/17"]}
    r = neutron_demo.put(base + "/remove_prefixes", json={"prefixes": ["192.168.0.0/16"]})
    assert r.json() == {"prefixes": ["10.90.0.0/23", "10.91.0.0/17"]}
    # a prefix a subnet uses stays
    net = neutron_demo.create("networks", name=unique())
    neutron_demo.create("subnets", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"], cidr="10.90.0.0/26")
    r = neutron_demo.put(base + "/remove_prefixes", json={"prefixes": ["10.90.0.0/24"]})
    assert r.status_code == 400 and error_type(r) == "IllegalSubnetPoolPrefixUpdate"
    for bad in ({"prefixes": []}, {"prefixes": "10.0.0.0/8"}, {}, ["10.0.0.0/8"]):
        r = neutron_demo.put(base + "/add_prefixes", json=bad)
        assert r.status_code == 400 and r.json()["NeutronError"]["message"] == "Request body contains invalid data"
    r = neutron_demo.put(base + "/add_prefixes", json={"prefixes": ["fd00::/64"]})
    assert r.status_code == 400 and error_type(r) == "PrefixVersionMismatch"
    r = neutron_demo.put(base + "/add_prefixes", json={"prefixes": ["not-a-cidr"]})
    assert r.status_code == 400
    # another project: not found
    r = neutron_alt.put(base + "/add_prefixes", json={"prefixes": ["10.92.0.0/24"]})
    assert r.status_code == 404 and error_type(r) == "SubnetPoolNotFound"
    assert neutron_demo.put("/subnetpools/nope/remove_prefixes", json={"prefixes": ["10.0.0.0/8"]}).status_code == 404


# --- ports: uplink-status-propagation, tag-ports-during-bulk-creation ----------------------------
def test_propagate_uplink_status(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.251.0.0/24")
    plain = neutron_demo.create("ports", network_id=net["id"])
    on = neutron_demo.create("ports", network_id=net["id"], propagate_uplink_status=True)
    assert plain["propagate_uplink_status"] is False and on["propagate_uplink_status"] is True
    listed = neutron_demo.get("/ports", params={"id": on["id"]}).json()["ports"][0]
    assert listed["propagate_uplink_status"] is True
    assert neutron_demo.get("/ports", params={"propagate_uplink_status": "true", "network_id": net["id"]}
                            ).json()["ports"] == [listed]
    r = neutron_demo.put(f"/ports/{on['id']}", json={"port": {"propagate_uplink_status": False}})
    assert r.status_code == 400
    assert r.json()["NeutronError"]["message"] == "Cannot update read-only attribute propagate_uplink_status"
    r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], "propagate_uplink_status": "maybe"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_tag_ports_during_bulk_creation(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("10.252.0.0/24")
    r = neutron_demo.post("/ports", json={"ports": [{"network_id": net["id"], "tags": ["a", "b"]},
                                                    {"network_id": net["id"], "tags": ["c"]},
                                                    {"network_id": net["id"]}]})
    assert r.status_code == 201, r.text
    assert [sorted(p["tags"]) for p in r.json()["ports"]] == [["a", "b"], ["c"], []]
    port = r.json()["ports"][0]
    assert sorted(neutron_demo.get(f"/ports/{port['id']}/tags").json()["tags"]) == ["a", "b"]
    assert [p["id"] for p in neutron_demo.get("/ports", params={"tags": "c"}).json()["ports"]] == \
        [r.json()["ports"][1]["id"]]
    before = len(neutron_demo.get("/ports", params={"network_id": net["id"]}).json()["ports"])
    for bad in ("a", ["x" * 256], [1], [""]):
        r = neutron_demo.post("/ports", json={"ports": [{"network_id": net["id"]},
                                                        {"network_id": net["id"], "tags": bad}]})
        assert r.status_code == 400 and error_type(r) == "InvalidInput", bad
    assert len(neutron_demo.get("/ports", params={"network_id": net["id"]}).json()["ports"]) == before


# --- tag-ext: tags on subnets, ports, subnet pools, routers ---------------------------------
def test_tag_ext_resources(neutron_demo, neutron_alt):
    net, sub = neutron_demo.network_with_subnet("10.253.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"])
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.93.0.0/16"])
    router = neutron_demo.create("routers", name=unique())
    for collection, item in (("subnets", sub), ("ports", port), ("subnetpools", pool), ("routers", router)):
        path = f"/{collection}/{item['id']}/tags"
        assert neutron_demo.put(path, json={"tags": ["red", "blue"]}).status_code == 200
        assert neutron_demo.put(path + "/green", json=None).status_code == 201
        assert neutron_demo.get(path + "/green").status_code == 204
        assert sorted(neutron_demo.get(path).json()["tags"]) == ["blue", "green", "red"]
        listed = neutron_demo.get(f"/{collection}", params={"tags": "red,green"}).json()[collection]
        assert [i["id"] for i in listed] == [item["id"]]
        assert neutron_demo.get(path + "/nope").status_code == 404
        assert neutron_demo.put(path, json={"tags": "red"}).status_code == 400
        assert neutron_alt.put(path, json={"tags": ["x"]}).status_code == 404
        assert neutron_demo.delete(path + "/red").status_code == 204
        assert neutron_demo.delete(path).status_code == 204
        assert neutron_demo.get(path).json()["tags"] == []


# --- rbac-security-groups ----------------------------------------------------------------
def test_share_security_group(neutron_admin, neutron_demo, neutron_alt):
    alt_project = _project(neutron_alt)
    group = neutron_demo.create("security-groups", name=unique())
    assert group["shared"] is False
    assert neutron_alt.get(f"/security-groups/{group['id']}").status_code == 404
    r = neutron_alt.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "security_group", "object_id": group["id"], "action": "access_as_shared",
        "target_tenant": alt_project}})
    assert r.status_code == 404                                   # not the alt project's to share
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "security_group", "object_id": group["id"], "action": "access_as_external",
        "target_tenant": alt_project}})
    assert r.status_code == 400
    policy = _rbac(neutron_demo, object_type="security_group", object_id=group["id"], action="access_as_shared",
                   target_tenant=alt_project)
    seen = neutron_alt.get(f"/security-groups/{group['id']}")
    assert seen.status_code == 200 and seen.json()["security_group"]["shared"] is True
    assert neutron_demo.get(f"/security-groups/{group['id']}").json()["security_group"]["shared"] is False
    assert group["id"] in [g["id"] for g in neutron_alt.get("/security-groups").json()["security_groups"]]
    # the target project may use it on its ports, not change it
    r = neutron_alt.put(f"/security-groups/{group['id']}", json={"security_group": {"name": "mine"}})
    assert r.status_code == 403
    assert neutron_alt.delete(f"/security-groups/{group['id']}").status_code == 403
    assert neutron_alt.get(f"/rbac-policies/{policy['id']}").status_code == 404
    alt_net, _ = neutron_alt.network_with_subnet("10.254.0.0/24")
    port = neutron_alt.create("ports", network_id=alt_net["id"], security_groups=[group["id"]])
    assert port["security_groups"] == [group["id"]]
    r = neutron_demo.delete(f"/rbac-policies/{policy['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    r = neutron_demo.put(f"/rbac-policies/{policy['id']}", json={"rbac_policy": {
        "target_tenant": "0123456789abcdef0123456789abcdef"}})
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    assert neutron_alt.delete(f"/ports/{port['id']}").status_code == 204
    assert neutron_demo.delete(f"/rbac-policies/{policy['id']}").status_code == 204
    assert neutron_alt.get(f"/security-groups/{group['id']}").status_code == 404
    r = neutron_alt.post("/ports", json={"port": {"network_id": alt_net["id"], "security_groups": [group["id"]]}})
    assert r.status_code == 404
    # a wildcard is the admin's; the group keeps no flag of its own, and goes with its policies
    wild = _rbac(neutron_admin, object_type="security_group", object_id=group["id"], action="access_as_shared",
                 target_tenant="*")
    assert neutron_alt.get(f"/security-groups/{group['id']}").json()["security_group"]["shared"] is True
    assert neutron_admin.get(f"/rbac-policies/{wild['id']}").json()["rbac_policy"] == wild
    assert neutron_demo.delete(f"/security-groups/{group['id']}").status_code == 204
    assert neutron_admin.get(f"/rbac-policies/{wild['id']}").status_code == 404


# --- rbac-subnetpool -----------------------------------------------------------------------
def test_share_subnetpool(neutron_admin, neutron_demo, neutron_alt):
    alt_project = _project(neutron_alt)
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.94.0.0/16"], default_prefixlen=24)
    assert neutron_alt.get(f"/subnetpools/{pool['id']}").status_code == 404
    policy = _rbac(neutron_demo, object_type="subnetpool", object_id=pool["id"], action="access_as_shared",
                   target_tenant=alt_project)
    seen = neutron_alt.get(f"/subnetpools/{pool['id']}")
    assert seen.status_code == 200 and seen.json()["subnetpool"]["shared"] is True
    assert neutron_demo.get(f"/subnetpools/{pool['id']}").json()["subnetpool"]["shared"] is False
    r = neutron_alt.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"name": "mine"}})
    assert r.status_code == 403
    r = neutron_alt.put(f"/subnetpools/{pool['id']}/add_prefixes", json={"prefixes": ["10.95.0.0/16"]})
    assert r.status_code == 403
    net = neutron_alt.create("networks", name=unique())
    sub = neutron_alt.create("subnets", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"])
    assert sub["cidr"] == "10.94.0.0/24" and sub["subnetpool_id"] == pool["id"]
    r = neutron_demo.delete(f"/rbac-policies/{policy['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    assert neutron_alt.delete(f"/subnets/{sub['id']}").status_code == 204
    assert neutron_demo.delete(f"/rbac-policies/{policy['id']}").status_code == 204
    assert neutron_alt.get(f"/subnetpools/{pool['id']}").status_code == 404
    r = neutron_alt.post("/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 4,
                                                      "subnetpool_id": pool["id"]}})
    assert r.status_code == 404
    # a wildcard grant is the pool's shared flag
    wild = _rbac(neutron_admin, object_type="subnetpool", object_id=pool["id"], action="access_as_shared",
                 target_tenant="*")
    assert neutron_demo.get(f"/subnetpools/{pool['id']}").json()["subnetpool"]["shared"] is True
    assert neutron_admin.delete(f"/rbac-policies/{wild['id']}").status_code == 204
    assert neutron_demo.get(f"/subnetpools/{pool['id']}").json()["subnetpool"]["shared"] is False
    shared = neutron_admin.create("subnetpools", name=unique(), prefixes=["10.96.0.0/16"], shared=True)
    grants = neutron_admin.get("/rbac-policies", params={"object_id": shared["id"]}).json()["rbac_policies"]
    assert [(g["object_type"], g["target_tenant"]) for g in grants] == [("subnetpool", "*")]


def test_share_subnetpool_needs_its_address_scope(neutron_admin, neutron_demo, neutron_alt):
    demo_project, alt_project = _project(neutron_demo), _project(neutron_alt)
    scope = neutron_admin.create("address-scopes", name=unique(), ip_version=4)
    _rbac(neutron_admin, object_type="address_scope", object_id=scope["id"], action="access_as_shared",
          target_tenant=demo_project)
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.97.0.0/16"], address_scope_id=scope["id"])
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "subnetpool", "object_id": pool["id"], "action": "access_as_shared",
        "target_tenant": alt_project}})
    assert r.status_code == 400 and error_type(r) == "RbacPolicyInitError"
    assert "doesn't have access to associated address scope" in r.json()["NeutronError"]["message"]
    _rbac(neutron_admin, object_type="address_scope", object_id=scope["id"], action="access_as_shared",
          target_tenant=alt_project)
    _rbac(neutron_demo, object_type="subnetpool", object_id=pool["id"], action="access_as_shared",
          target_tenant=alt_project)
    assert neutron_alt.get(f"/subnetpools/{pool['id']}").status_code == 200
    # a project that only sees the pool may not share it on
    r = neutron_alt.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "subnetpool", "object_id": pool["id"], "action": "access_as_shared",
        "target_tenant": "0123456789abcdef0123456789abcdef"}})
    assert r.status_code == 400 and "Only admins can manipulate policies" in r.json()["NeutronError"]["message"]


# --- dns-integration, dns-domain-ports (the default dns_domain, openstacklocal.) -------------
def test_port_dns_name_and_domain(neutron_demo, neutron_alt):
    net, sub = neutron_demo.network_with_subnet("10.98.0.0/24")
    port = neutron_demo.create("ports", network_id=net["id"], dns_name="Web-1", dns_domain="Example.ORG.")
    ip = port["fixed_ips"][0]["ip_address"]
    host = "host-" + ip.replace(".", "-")
    assert port["dns_name"] == "web-1" and port["dns_domain"] == "example.org."
    # with neutron's default domain the assignment keeps host-<address>
    assert port["dns_assignment"] == [{"ip_address": ip, "hostname": host, "fqdn": f"{host}.openstacklocal."}]
    plain = neutron_demo.create("ports", network_id=net["id"])
    assert plain["dns_name"] == "" and plain["dns_domain"] == "" and len(plain["dns_assignment"]) == 1
    r = neutron_demo.put(f"/ports/{port['id']}", json={"port": {"dns_name": "web-2", "dns_domain": "d.org."}})
    assert r.status_code == 200 and (r.json()["port"]["dns_name"], r.json()["port"]["dns_domain"]) == ("web-2", "d.org.")
    listed = neutron_demo.get("/ports", params={"dns_name": "web-2"}).json()["ports"]
    assert [p["id"] for p in listed] == [port["id"]]
    for body, reason in (({"dns_name": "-bad"}, "must not start or end with a hyphen"),
                         ({"dns_name": "a..b"}, "Encountered an empty component"),
                         ({"dns_name": "a.123"}, "must not be all numeric"),
                         ({"dns_name": "under_score"}, "1-63 characters long"),
                         ({"dns_domain": "example.org"}, "is not a FQDN"),
                         ({"dns_name": 5}, "is not a valid string")):
        r = neutron_demo.post("/ports", json={"port": {"network_id": net["id"], **body}})
        assert r.status_code == 400 and error_type(r) == "InvalidInput" and reason in r.text, (body, r.text)
    assert neutron_alt.put(f"/ports/{port['id']}", json={"port": {"dns_name": "x"}}).status_code == 404


def test_network_and_floating_ip_dns(neutron_admin, neutron_demo):
    net = neutron_demo.create("networks", name=unique(), dns_domain="Corp.Example.")
    assert net["dns_domain"] == "corp.example."
    assert neutron_demo.create("networks", name=unique())["dns_domain"] == ""
    r = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"dns_domain": "nodot"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"dns_domain": ""}})
    assert r.status_code == 200 and r.json()["network"]["dns_domain"] == ""
    ext = neutron_admin.create("networks", name=unique(), **{"router:external": True})
    neutron_admin.create("subnets", network_id=ext["id"], ip_version=4, cidr="172.31.251.0/24")
    # no external DNS service: accepted, validated, and shown empty, as neutron without a DNS driver
    fip = neutron_demo.create("floatingips", floating_network_id=ext["id"], dns_name="www", dns_domain="a.org.")
    assert (fip["dns_name"], fip["dns_domain"]) == ("", "")
    r = neutron_demo.post("/floatingips", json={"floatingip": {"floating_network_id": ext["id"], "dns_name": "w."}})
    assert r.status_code == 400 and "should be a relative domain name" in r.text
    r = neutron_demo.put(f"/floatingips/{fip['id']}", json={"floatingip": {"dns_name": "x"}})
    assert r.status_code == 400 and r.json()["NeutronError"]["message"] == "Cannot update read-only attribute dns_name"
    assert neutron_demo.delete(f"/floatingips/{fip['id']}").status_code == 204
    assert neutron_admin.delete(f"/networks/{ext['id']}").status_code == 204


# --- port-resource-request -----------------------------------------------------------------
def test_port_resource_request(neutron_admin, neutron_demo):
    policy = neutron_admin.post("/qos/policies", json={"policy": {"name": unique(), "shared": True}}).json()["policy"]
    rules = f"/qos/policies/{policy['id']}/minimum_bandwidth_rules"
    for direction, kbps in (("egress", 1000), ("ingress", 2000)):
        r = neutron_admin.post(rules, json={"minimum_bandwidth_rule": {"min_kbps": kbps, "direction": direction}})
        assert r.status_code == 201, r.text
    vlan = neutron_admin.create("networks", name=unique(), **{
        "provider:network_type": "vlan", "provider:physical_network": "phys-net.1", "provider:segmentation_id": 377})
    neutron_admin.create("subnets", network_id=vlan["id"], ip_version=4, cidr="10.99.0.0/24")
    port = neutron_admin.create("ports", network_id=vlan["id"], qos_policy_id=policy["id"],
                                **{"binding:vnic_type": "direct"})
    assert port["resource_request"] == {
        "required": ["CUSTOM_PHYSNET_PHYS_NET_1", "CUSTOM_VNIC_TYPE_DIRECT"],
        "resources": {"NET_BW_EGR_KILOBIT_PER_SEC": 1000, "NET_BW_IGR_KILOBIT_PER_SEC": 2000}}
    # the network's policy counts for a port without its own; no rule, no physnet or no policy: None
    plain = neutron_admin.create("ports", network_id=vlan["id"])
    assert plain["resource_request"] is None
    neutron_admin.put(f"/networks/{vlan['id']}", json={"network": {"qos_policy_id": policy["id"]}})
    shown = neutron_admin.get(f"/ports/{plain['id']}").json()["port"]["resource_request"]
    assert shown["required"] == ["CUSTOM_PHYSNET_PHYS_NET_1", "CUSTOM_VNIC_TYPE_NORMAL"]
    tenant_net, _ = neutron_admin.network_with_subnet("10.99.1.0/24")
    overlay = neutron_admin.create("ports", network_id=tenant_net["id"], qos_policy_id=policy["id"])
    assert overlay["resource_request"] is None
    # admin-only (get_port:resource_request)
    net, _ = neutron_demo.network_with_subnet("10.99.2.0/24")
    mine = neutron_demo.create("ports", network_id=net["id"], qos_policy_id=policy["id"])
    assert "resource_request" not in mine
    assert "resource_request" in neutron_admin.get(f"/ports/{mine['id']}").json()["port"]
    assert neutron_admin.get("/ports", params={"id": port["id"]}).json()["ports"][0]["resource_request"] == \
        port["resource_request"]
