"""RBAC policies: sharing a network with one project, wildcard grants mirroring shared/external;
multi-provider network segments."""

from tests.conftest import unique
from tests.services.network.conftest import error_type

SOMEONE = "0123456789abcdef0123456789abcdef"          # a project id: RBAC targets must be UUID-like or '*'


def _rbac(n, **body):
    r = n.post("/rbac-policies", json={"rbac_policy": body})
    assert r.status_code == 201, r.text
    return r.json()["rbac_policy"]


def test_share_network_with_one_project(neutron_demo, neutron_alt, neutron_admin):
    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    net, sub = neutron_demo.network_with_subnet("10.84.0.0/24")
    assert neutron_alt.get(f"/networks/{net['id']}").status_code == 404
    policy = _rbac(neutron_demo, object_type="network", object_id=net["id"],
                                 action="access_as_shared", target_tenant=alt_project)
    assert policy["target_tenant"] == alt_project and policy["project_id"] == net["project_id"]
    seen = neutron_alt.get(f"/networks/{net['id']}")
    assert seen.status_code == 200 and seen.json()["network"]["shared"] is True
    assert neutron_demo.get(f"/networks/{net['id']}").json()["network"]["shared"] is False
    assert net["id"] in [n["id"] for n in neutron_alt.get("/networks").json()["networks"]]
    assert neutron_alt.get(f"/subnets/{sub['id']}").status_code == 200
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared", "target_tenant": alt_project}})
    assert r.status_code == 409 and error_type(r) == "DuplicateRbacPolicy"
    # the policy's project sees it, the target does not
    assert neutron_alt.get(f"/rbac-policies/{policy['id']}").status_code == 404
    listed = neutron_demo.get("/rbac-policies", params={"object_id": net["id"]}).json()["rbac_policies"]
    assert [p["id"] for p in listed] == [policy["id"]]

    port = neutron_alt.create("ports", network_id=net["id"])
    r = neutron_demo.delete(f"/rbac-policies/{policy['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    assert neutron_alt.delete(f"/ports/{port['id']}").status_code == 204
    r = neutron_demo.put(f"/rbac-policies/{policy['id']}", json={"rbac_policy": {"target_tenant": SOMEONE}})
    assert r.status_code == 200 and r.json()["rbac_policy"]["target_tenant"] == SOMEONE
    assert neutron_alt.get(f"/networks/{net['id']}").status_code == 404
    assert neutron_demo.delete(f"/rbac-policies/{policy['id']}").status_code == 204
    assert neutron_demo.get(f"/rbac-policies/{policy['id']}").status_code == 404


def test_wildcard_and_validation(neutron_demo, neutron_alt, neutron_admin):
    net = neutron_demo.create("networks", name=unique())
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared", "target_tenant": "*"}})
    assert r.status_code == 403
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "bogus", "target_tenant": "x"}})
    assert r.status_code == 400
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared", "target_tenant": "x"}})
    assert r.status_code == 400 and "not a valid target project ID" in r.json()["NeutronError"]["message"]
    r = neutron_alt.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared", "target_tenant": SOMEONE}})
    assert r.status_code == 404
    wild = _rbac(neutron_admin, object_type="network", object_id=net["id"],
                                action="access_as_shared", target_tenant="*")
    assert neutron_demo.get(f"/networks/{net['id']}").json()["network"]["shared"] is True
    assert neutron_alt.get(f"/networks/{net['id']}").status_code == 200
    assert neutron_admin.delete(f"/rbac-policies/{wild['id']}").status_code == 204
    assert neutron_demo.get(f"/networks/{net['id']}").json()["network"]["shared"] is False
    # shared=True on the network itself is a '*' grant
    shared = neutron_admin.create("networks", name=unique(), shared=True)
    grants = neutron_admin.get("/rbac-policies", params={"object_id": shared["id"]}).json()["rbac_policies"]
    assert [(g["action"], g["target_tenant"]) for g in grants] == [("access_as_shared", "*")]
    neutron_admin.put(f"/networks/{shared['id']}", json={"network": {"shared": False}})
    assert neutron_admin.get("/rbac-policies", params={"object_id": shared["id"]}).json()["rbac_policies"] == []


def test_external_grant(neutron_admin, neutron_alt, neutron_demo):
    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    net = neutron_admin.create("networks", name=unique())
    _rbac(neutron_admin, object_type="network", object_id=net["id"],
                         action="access_as_external", target_tenant=alt_project)
    seen = neutron_alt.get(f"/networks/{net['id']}").json()["network"]
    assert seen["router:external"] is True
    assert neutron_demo.get(f"/networks/{net['id']}").status_code == 404


def test_cli_rbac(cli):
    net = cli("network", "create", unique("net"), os_cloud="pocketstack")
    policy = cli("network", "rbac", "create", "--type", "network", "--action", "access_as_shared",
                 "--target-project", SOMEONE, net["id"], os_cloud="pocketstack")
    assert policy["object_id"] == net["id"]
    assert any(p.get("ID", p.get("id")) == policy["id"] for p in cli("network", "rbac", "list", os_cloud="pocketstack"))
    cli("network", "rbac", "delete", policy["id"], os_cloud="pocketstack")


def test_multi_provider_segments(neutron_admin, neutron_demo):
    net = neutron_admin.create("networks", name=unique(), segments=[
        {"provider:network_type": "vlan", "provider:physical_network": "physnet-mp", "provider:segmentation_id": 310},
        {"provider:network_type": "geneve"}])
    assert [s["provider:network_type"] for s in net["segments"]] == ["vlan", "geneve"]
    assert net["segments"][0]["provider:segmentation_id"] == 310 and net["segments"][1]["provider:segmentation_id"]
    assert "provider:network_type" not in net
    r = neutron_admin.post("/networks", json={"network": {"name": "x", "provider:network_type": "vlan",
                                                          "segments": [{"provider:network_type": "vlan"}]}})
    assert r.status_code == 400 and error_type(r) == "SegmentsSetInConjunctionWithProviders"
    dup = {"provider:network_type": "vlan", "provider:physical_network": "physnet-mp", "provider:segmentation_id": 310}
    r = neutron_admin.post("/networks", json={"network": {"name": "x", "segments": [dup, dup]}})
    assert r.status_code == 400 and error_type(r) == "SegmentsContainDuplicateEntry"
    r = neutron_demo.post("/networks", json={"network": {"name": "x",
                                                         "segments": [{"provider:network_type": "geneve"}]}})
    assert r.status_code == 403
    single = neutron_admin.create("networks", name=unique(), segments=[{"provider:network_type": "vxlan"}])
    assert single["provider:network_type"] == "vxlan" and "segments" not in single
    assert neutron_admin.delete(f"/networks/{net['id']}").status_code == 204


def test_owner_only_and_revision(neutron_demo, neutron_alt, neutron_admin):
    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    net = neutron_admin.create("networks", name=unique())
    policy = _rbac(neutron_admin, object_type="network", object_id=net["id"], action="access_as_shared",
                   target_tenant=alt_project)
    assert set(policy) == {"id", "project_id", "tenant_id", "object_type", "object_id", "action", "target_tenant"}
    assert neutron_admin.get(f"/networks/{net['id']}").json()["network"]["revision_number"] > net["revision_number"]
    # the target sees the network but may not share it further: 400, as neutron's InvalidInput
    r = neutron_alt.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared", "target_tenant": SOMEONE}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = neutron_admin.put(f"/rbac-policies/{policy['id']}", json={"rbac_policy": {"target_project": SOMEONE}})
    assert r.status_code == 400


def test_qos_policy_grants(neutron_admin, neutron_demo, neutron_alt):
    demo_project = neutron_demo.create("networks", name=unique())["project_id"]
    qos = neutron_admin.post("/qos/policies", json={"policy": {"name": unique("qos")}}).json()["policy"]
    assert neutron_demo.get(f"/qos/policies/{qos['id']}").status_code == 404
    grant = _rbac(neutron_admin, object_type="qos_policy", object_id=qos["id"], action="access_as_shared",
                  target_tenant=demo_project)
    seen = neutron_demo.get(f"/qos/policies/{qos['id']}")
    assert seen.status_code == 200 and seen.json()["policy"]["shared"] is True
    assert neutron_alt.get(f"/qos/policies/{qos['id']}").status_code == 404
    net = neutron_demo.create("networks", name=unique(), qos_policy_id=qos["id"])
    r = neutron_admin.delete(f"/rbac-policies/{grant['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    # shared=True is the '*' grant; taking it back is refused while another project depends on it alone
    neutron_admin.put(f"/qos/policies/{qos['id']}", json={"policy": {"shared": True}})
    wild = [p for p in neutron_admin.get("/rbac-policies", params={"object_id": qos["id"]}).json()["rbac_policies"]
            if p["target_tenant"] == "*"]
    assert len(wild) == 1
    assert neutron_admin.delete(f"/rbac-policies/{grant['id']}").status_code == 204
    r = neutron_admin.put(f"/qos/policies/{qos['id']}", json={"policy": {"shared": False}})
    assert r.status_code == 409
    assert neutron_demo.delete(f"/networks/{net['id']}").status_code == 204
    assert neutron_admin.put(f"/qos/policies/{qos['id']}", json={"policy": {"shared": False}}).status_code == 200


def test_default_external_wildcard_stays(neutron_admin):
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    ext = neutron_admin.create("networks", name=unique(), **{"router:external": True})
    r = neutron_admin.put(f"/networks/{ext['id']}", json={"network": {"is_default": True}})
    assert r.status_code == 409 and error_type(r) == "DefaultExternalNetworkExists"    # public is the default
    neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": False}})
    try:
        neutron_admin.put(f"/networks/{ext['id']}", json={"network": {"is_default": True}})
        wild = neutron_admin.get("/rbac-policies", params={"object_id": ext["id"], "action": "access_as_external",
                                                           "target_tenant": "*"}).json()["rbac_policies"][0]
        r = neutron_admin.delete(f"/rbac-policies/{wild['id']}")
        assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
        neutron_admin.put(f"/networks/{ext['id']}", json={"network": {"is_default": False}})
        assert neutron_admin.delete(f"/rbac-policies/{wild['id']}").status_code == 204
    finally:
        neutron_admin.put(f"/networks/{ext['id']}", json={"network": {"is_default": False}})
        neutron_admin.put(f"/networks/{public['id']}", json={"network": {"is_default": True}})
    assert neutron_admin.get(f"/networks/{public['id']}").json()["network"]["router:external"] is True


def test_rbac_policy_quota(neutron_admin, neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    project = net["project_id"]
    held = neutron_admin.get("/rbac-policies", params={"project_id": project}).json()["rbac_policies"]
    neutron_admin.put(f"/quotas/{project}", json={"quota": {"rbac_policy": len(held) + 1}})
    try:
        _rbac(neutron_admin, object_type="network", object_id=net["id"], action="access_as_shared",
              target_tenant=SOMEONE, project_id=project)
        r = neutron_admin.post("/rbac-policies", json={"rbac_policy": {
            "object_type": "network", "object_id": net["id"], "action": "access_as_shared",
            "target_tenant": SOMEONE.replace("0", "1"), "project_id": project}})
        assert r.status_code == 409 and error_type(r) == "OverQuota"
    finally:
        neutron_admin.delete(f"/quotas/{project}")
