"""Server groups: policies per microversion, members, scoping, quotas."""

from __future__ import annotations

from tests.conftest import unique


def test_create_show_delete_264(nova_demo, nova_alt):
    r = nova_demo.post("/os-server-groups", json={"server_group": {
        "name": unique("sg"), "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}})
    assert r.status_code == 200, r.text
    group = r.json()["server_group"]
    assert group["policy"] == "anti-affinity" and group["rules"] == {"max_server_per_host": 2}
    assert group["members"] == [] and "policies" not in group and group["project_id"]
    assert nova_demo.get(f"/os-server-groups/{group['id']}").json()["server_group"]["id"] == group["id"]
    assert nova_alt.get(f"/os-server-groups/{group['id']}").status_code == 404
    assert group["id"] in [g["id"] for g in nova_demo.get("/os-server-groups").json()["server_groups"]]
    assert group["id"] not in [g["id"] for g in nova_alt.get("/os-server-groups").json()["server_groups"]]
    assert nova_demo.delete(f"/os-server-groups/{group['id']}").status_code == 204
    assert nova_demo.get(f"/os-server-groups/{group['id']}").status_code == 404


def test_legacy_policies(nova_demo):
    r = nova_demo.post("/os-server-groups", headers=nova_demo.at("2.15"),
                       json={"server_group": {"name": unique("sg"), "policies": ["soft-affinity"]}})
    assert r.status_code == 200 and r.json()["server_group"]["policies"] == ["soft-affinity"]
    old = nova_demo.post("/os-server-groups", headers=nova_demo.at("2.14"),
                         json={"server_group": {"name": unique("sg"), "policies": ["soft-affinity"]}})
    assert old.status_code == 400
    nova_demo.delete(f"/os-server-groups/{r.json()['server_group']['id']}")


def test_bad_input(nova_demo):
    for body in ({"name": "x", "policy": "bogus"}, {"name": "x", "policy": "affinity",
                                                   "rules": {"max_server_per_host": 2}},
                 {"name": "x", "policies": ["affinity"]}, {"policy": "affinity"}):
        assert nova_demo.post("/os-server-groups", json={"server_group": body}).status_code == 400, body


def test_cli(cli):
    name = unique("sg")
    group = cli("server", "group", "create", "--policy", "anti-affinity", name, os_cloud="devstack")
    assert group["policy"] == "anti-affinity"
    assert name in [g["Name"] for g in cli("server", "group", "list", os_cloud="devstack")]
    cli("server", "group", "delete", name, os_cloud="devstack")
