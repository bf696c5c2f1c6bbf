"""Networks, and the collection machinery: filters, fields, sorting, pagination, tags, revisions."""

import pytest

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_cli_network_create_show_delete(cli):
    name = unique("net")
    net = cli("network", "create", name, "--description", "made by cli", os_cloud="pocketstack")
    assert net["name"] == name and net["status"] == "ACTIVE" and net["admin_state_up"] is True
    assert net["description"] == "made by cli" and net["mtu"] == 1442 and net["revision_number"] == 0
    shown = cli("network", "show", net["id"], os_cloud="pocketstack")
    assert shown["id"] == net["id"] and shown["router:external"] is False
    cli("network", "delete", net["id"], os_cloud="pocketstack")
    assert cli("network", "show", net["id"], os_cloud="pocketstack", check=False).returncode != 0


def test_network_view_has_standard_attributes(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    for key in ("created_at", "updated_at", "revision_number", "tags", "project_id", "tenant_id",
                "availability_zones", "port_security_enabled", "ipv4_address_scope", "l2_adjacency"):
        assert key in net
    assert net["project_id"] == net["tenant_id"]
    assert "provider:network_type" not in net          # admin only


def test_admin_sees_provider_attributes(neutron_admin):
    net = neutron_admin.create("networks", name=unique(), **{"provider:network_type": "vlan",
                                                             "provider:physical_network": "public",
                                                             "provider:segmentation_id": 1234})
    assert net["provider:segmentation_id"] == 1234 and net["mtu"] == 1500
    r = neutron_admin.post("/networks", json={"network": {"provider:network_type": "vlan",
                                                          "provider:physical_network": "public",
                                                          "provider:segmentation_id": 1234}})
    assert r.status_code == 409


def test_member_may_not_create_shared_network(neutron_demo):
    r = neutron_demo.post("/networks", json={"network": {"name": unique(), "shared": True}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"


def test_other_projects_network_is_404(neutron_demo, neutron_alt):
    net = neutron_demo.create("networks", name=unique())
    r = neutron_alt.get(f"/networks/{net['id']}")
    assert r.status_code == 404 and error_type(r) == "NetworkNotFound"
    assert net["id"] not in [n["id"] for n in neutron_alt.get("/networks").json()["networks"]]


def test_external_network_is_visible_to_everyone(neutron_alt):
    nets = neutron_alt.get("/networks", params={"router:external": "true"}).json()["networks"]
    assert [n["name"] for n in nets] == ["public"]


def test_unknown_filter_is_400(neutron_demo):
    r = neutron_demo.get("/networks", params={"no_such_attribute": "x"})
    assert r.status_code == 400 and "is invalid attribute for filtering" in r.json()["NeutronError"]["message"]


def test_filters_and_fields(neutron_demo):
    name = unique()
    net = neutron_demo.create("networks", name=name, admin_state_up=False)
    found = neutron_demo.get("/networks", params={"name": name, "admin_state_up": "False",
                                                  "fields": ["id", "name"]}).json()["networks"]
    assert found == [{"id": net["id"], "name": name}]
    assert neutron_demo.get("/networks", params={"name": name, "admin_state_up": "true"}).json()["networks"] == []
    shown = neutron_demo.get(f"/networks/{net['id']}", params={"fields": "status"}).json()["network"]
    assert shown == {"status": "ACTIVE"}


def test_sorting_and_pagination(neutron_demo):
    prefix = unique("page")
    ids = [neutron_demo.create("networks", name=f"{prefix}-{i}")["id"] for i in range(5)]
    params = {"sort_key": "name", "sort_dir": "desc", "limit": 2}
    seen, url = [], "/networks"
    page = neutron_demo.get(url, params={**params, "tags": prefix}).json()
    assert page["networks"] == []               # no tag yet: an empty page
    for i in ids:
        assert neutron_demo.put(f"/networks/{i}/tags/{prefix}").status_code == 201
    page = neutron_demo.get(url, params={**params, "tags": prefix}).json()
    while True:
        seen += [n["name"] for n in page["networks"]]
        nxt = [link["href"] for link in page["networks_links"] if link["rel"] == "next"]
        if not nxt or not page["networks"]:
            break
        page = neutron_demo.client.get(nxt[0]).json()
    assert seen == [f"{prefix}-{i}" for i in range(4, -1, -1)]
    first = neutron_demo.get(url, params={"tags": prefix, "sort_key": "name", "sort_dir": "asc",
                                          "limit": 2}).json()
    assert [n["name"] for n in first["networks"]] == [f"{prefix}-0", f"{prefix}-1"]
    assert {link["rel"] for link in first["networks_links"]} == {"next", "previous"}
    back = neutron_demo.get(url, params={"tags": prefix, "sort_key": "name", "sort_dir": "asc", "limit": 2,
                                         "marker": ids[2], "page_reverse": "True"}).json()
    assert [n["name"] for n in back["networks"]] == [f"{prefix}-0", f"{prefix}-1"]


def test_tags_api_and_filters(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    base = f"/networks/{net['id']}/tags"
    assert neutron_demo.put(base, json={"tags": ["red", "blue"]}).json() == {"tags": ["red", "blue"]}
    assert sorted(neutron_demo.get(base).json()["tags"]) == ["blue", "red"]
    assert neutron_demo.get(base + "/red").status_code == 204
    assert neutron_demo.get(base + "/green").status_code == 404
    ids = lambda **p: [n["id"] for n in neutron_demo.get("/networks", params=p).json()["networks"]]  # noqa: E731
    assert net["id"] in ids(tags="red,blue") and net["id"] not in ids(tags="red,green")
    assert net["id"] in ids(**{"tags-any": "green,blue"}) and net["id"] not in ids(**{"not-tags-any": "blue"})
    assert net["id"] in ids(**{"not-tags": "red,green"})
    assert neutron_demo.delete(base + "/red").status_code == 204
    assert neutron_demo.delete(base).status_code == 204
    after = neutron_demo.get(f"/networks/{net['id']}").json()["network"]
    assert after["tags"] == [] and after["revision_number"] > net["revision_number"]


def test_update_with_if_match(neutron_demo):
    net = neutron_demo.create("networks", name=unique())
    ok = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"name": "renamed"}},
                          headers={"If-Match": f"revision_number={net['revision_number']}"})
    assert ok.status_code == 200 and ok.json()["network"]["revision_number"] == net["revision_number"] + 1
    stale = neutron_demo.put(f"/networks/{net['id']}", json={"network": {"name": "again"}},
                             headers={"If-Match": f"revision_number={net['revision_number']}"})
    assert stale.status_code == 412 and error_type(stale) == "RevisionNumberConstraintFailed"
    assert neutron_demo.delete(f"/networks/{net['id']}",
                               headers={"If-Match": "revision_number=0"}).status_code == 412


@pytest.mark.parametrize("body", [{"network": {"mtu": -1}}, {"network": {"mtu": 1501}}, {"network": {"bogus": 1}},
                                  {"nope": {}}])
def test_bad_bodies_are_400(neutron_demo, body):
    assert neutron_demo.post("/networks", json=body).status_code == 400


def test_bulk_create(neutron_demo):
    r = neutron_demo.post("/networks", json={"networks": [{"name": unique()}, {"name": unique()}]})
    assert r.status_code == 201 and len(r.json()["networks"]) == 2


def test_network_in_use_cannot_be_deleted(neutron_demo):
    net, _ = neutron_demo.network_with_subnet("192.168.5.0/24")
    neutron_demo.create("ports", network_id=net["id"])
    r = neutron_demo.delete(f"/networks/{net['id']}")
    assert r.status_code == 409 and error_type(r) == "NetworkInUse"
