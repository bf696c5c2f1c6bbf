"""Quotas: per project, enforced on create with 409 OverQuota."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_quota_set_and_enforced(neutron_admin, neutron_alt, cloud):
    project = neutron_alt.get("/networks").json()  # make sure alt's token works
    alt_project = cloud.clouds()["devstack-alt"]["auth"]["project_name"]
    assert project is not None and alt_project == "alt_demo"
    me = neutron_alt.get("/security-groups", params={"name": "default"}).json()["security_groups"][0]["project_id"]
    details = neutron_admin.get(f"/quotas/{me}/details").json()["quota"]
    used = details["router"]["used"]
    r = neutron_admin.put(f"/quotas/{me}", json={"quota": {"router": used + 1}})
    assert r.status_code == 200 and r.json()["quota"]["router"] == used + 1
    assert neutron_alt.post("/routers", json={"router": {"name": unique()}}).status_code == 201
    r = neutron_alt.post("/routers", json={"router": {"name": unique()}})
    assert r.status_code == 409 and error_type(r) == "OverQuota"
    assert me in [q["project_id"] for q in neutron_admin.get("/quotas").json()["quotas"]]
    assert neutron_alt.put(f"/quotas/{me}", json={"quota": {"router": 50}}).status_code == 403
    assert neutron_admin.delete(f"/quotas/{me}").status_code == 204
    assert neutron_admin.get(f"/quotas/{me}").json()["quota"]["router"] == 10
    assert neutron_admin.get(f"/quotas/{me}/default").json()["quota"]["network"] == 100


def test_cli_quota_show(cli):
    quota = cli("quota", "show", "--network", "demo")
    assert quota  # the CLI parses our body


def test_agents_azs_and_ip_availability(neutron_admin, neutron_demo):
    agents = neutron_admin.get("/agents").json()["agents"]
    assert {"L3 agent", "DHCP agent", "Open vSwitch agent"} <= {a["agent_type"] for a in agents}
    assert neutron_demo.get("/agents").json()["agents"] == []
    zones = neutron_demo.get("/availability_zones", params={"resource": "router"}).json()["availability_zones"]
    assert zones == [{"name": "nova", "resource": "router", "state": "available"}]
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    avail = neutron_admin.get(f"/network-ip-availabilities/{public['id']}").json()["network_ip_availability"]
    assert avail["total_ips"] == 253 and avail["used_ips"] >= 1


def test_configured_defaults():
    """`network.quotas` of the YAML sets the defaults, by neutron.conf's [quotas] names or the resource names."""
    from types import SimpleNamespace

    from pocketstack.services.network import quotas
    try:
        quotas.configure(SimpleNamespace(options={"network": {"quotas": {"quota_router": 100, "subnet": 7,
                                                                          "quota_nothing": 3}}}))
        assert quotas.DEFAULTS["router"] == 100 and quotas.DEFAULTS["subnet"] == 7
        assert "nothing" not in quotas.DEFAULTS and quotas.DEFAULTS["network"] == 100
    finally:
        quotas.configure(SimpleNamespace(options={}))
    assert quotas.DEFAULTS["router"] == 10 and quotas.DEFAULTS["subnet"] == 100


def test_admin_only_reads_hide_instead_of_refusing(neutron_admin, neutron_demo, demo):
    """neutron's policy hook drops items a get_* rule denies from a list (200, empty) and looks an
    item up before it checks the rule (404 for a missing one, 403 for one that exists)."""
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    assert neutron_admin.get("/network-ip-availabilities").json()["network_ip_availabilities"]
    r = neutron_demo.get("/network-ip-availabilities")
    assert r.status_code == 200 and r.json() == {"network_ip_availabilities": []}
    assert list(demo.network.network_ip_availabilities()) == []
    assert neutron_demo.get(f"/network-ip-availabilities/{public['id']}").status_code == 403
    assert neutron_demo.get(f"/network-ip-availabilities/{unique()}").status_code == 404
    agent = neutron_admin.get("/agents").json()["agents"][0]
    assert neutron_demo.get(f"/agents/{agent['id']}").status_code == 403
    assert neutron_demo.get(f"/agents/{unique()}").status_code == 404
    r = neutron_demo.put(f"/agents/{agent['id']}", json={"agent": {"admin_state_up": False}})
    assert r.status_code == 404 and r.json()["NeutronError"]["type"] == "HTTPNotFound"
    assert neutron_demo.delete(f"/agents/{agent['id']}").status_code == 404
    assert neutron_admin.get(f"/agents/{agent['id']}").json()["agent"]["admin_state_up"] is True
