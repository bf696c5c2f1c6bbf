"""Flavors: DevStack's set, filters, paging, admin create/update/delete, extra specs, flavor access."""

from __future__ import annotations

from tests.conftest import unique


def test_devstack_flavors(demo):
    flavors = {f.name: f for f in demo.compute.flavors()}
    tiny = flavors["m1.tiny"]
    assert (tiny.id, tiny.ram, tiny.disk, tiny.vcpus) == ("1", 512, 1, 1)
    assert {"m1.small", "m1.medium", "m1.large", "m1.xlarge", "cirros256", "ds512M", "ds1G", "ds2G",
            "ds4G"} <= set(flavors)
    assert (flavors["cirros256"].id, flavors["ds4G"].id) == ("c1", "d4")


def test_filters_and_paging(nova_demo):
    big = nova_demo.get("/flavors/detail?minRam=8192").json()["flavors"]
    assert {f["name"] for f in big} == {"m1.large", "m1.xlarge"}
    assert all(f["disk"] >= 40 for f in nova_demo.get("/flavors/detail?minDisk=40").json()["flavors"])
    assert nova_demo.get("/flavors?minRam=abc").status_code == 400
    page = nova_demo.get("/flavors?limit=2").json()
    assert [f["id"] for f in page["flavors"]] == ["1", "2"]
    nxt = page["flavors_links"][0]["href"]
    assert "marker=2" in nxt
    assert nova_demo.get(nxt.split("/v2.1", 1)[1]).json()["flavors"][0]["id"] == "3"
    assert nova_demo.get("/flavors?marker=nope").status_code == 400
    desc = nova_demo.get("/flavors?sort_key=memory_mb&sort_dir=desc").json()["flavors"]
    assert desc[0]["name"] == "m1.xlarge"


def test_create_update_delete(nova_admin, nova_demo):
    name = unique("fl")
    r = nova_admin.post("/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0,
                                                     "id": name, "description": "small one"}})
    assert r.status_code == 200, r.text
    assert r.json()["flavor"]["description"] == "small one"
    dup = nova_admin.post("/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0}})
    assert dup.status_code == 409
    bad = nova_admin.post("/flavors", json={"flavor": {"name": unique(), "ram": 0, "vcpus": 1, "disk": 0}})
    assert bad.status_code == 400
    old = nova_admin.post("/flavors", headers=nova_admin.at("2.54"),
                          json={"flavor": {"name": unique(), "ram": 1, "vcpus": 1, "disk": 0, "description": "x"}})
    assert old.status_code == 400
    upd = nova_admin.put(f"/flavors/{name}", json={"flavor": {"description": "changed"}})
    assert upd.status_code == 200 and upd.json()["flavor"]["description"] == "changed"
    assert nova_admin.put(f"/flavors/{name}", headers=nova_admin.at("2.54"),
                          json={"flavor": {"description": "x"}}).status_code in (404, 405)
    assert nova_demo.delete(f"/flavors/{name}").status_code == 403
    assert nova_admin.delete(f"/flavors/{name}").status_code == 202
    assert nova_admin.get(f"/flavors/{name}").status_code == 404


def test_extra_specs(nova_admin, nova_demo):
    name = unique("fl")
    nova_admin.post("/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0, "id": name}})
    base = f"/flavors/{name}/os-extra_specs"
    r = nova_admin.post(base, json={"extra_specs": {"hw:cpu_policy": "shared", "k": "v"}})
    assert r.status_code == 200 and r.json()["extra_specs"]["k"] == "v"
    assert nova_demo.get(base).json()["extra_specs"] == {"hw:cpu_policy": "shared", "k": "v"}
    assert nova_admin.get(base + "/k").json() == {"k": "v"}
    assert nova_admin.put(base + "/k", json={"k": "w"}).json() == {"k": "w"}
    assert nova_admin.put(base + "/k", json={"other": "w"}).status_code == 400
    assert nova_demo.post(base, json={"extra_specs": {"a": "b"}}).status_code == 403
    assert nova_admin.delete(base + "/k").status_code == 200
    assert nova_admin.get(base + "/k").status_code == 404
    detail = nova_admin.get(f"/flavors/{name}").json()["flavor"]
    assert detail["extra_specs"] == {"hw:cpu_policy": "shared"}


def test_flavor_access(nova_admin, nova_demo, cloud):
    name = unique("priv")
    r = nova_admin.post("/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0, "id": name,
                                                     "os-flavor-access:is_public": False}})
    assert r.json()["flavor"]["os-flavor-access:is_public"] is False
    assert name not in [f["id"] for f in nova_demo.get("/flavors").json()["flavors"]]
    assert name in [f["id"] for f in nova_admin.get("/flavors?is_public=None").json()["flavors"]]
    demo_project = nova_demo.get("/limits").headers  # any call; the project id comes from the token below
    project = cloud_project(cloud)
    add = nova_admin.post(f"/flavors/{name}/action", json={"addTenantAccess": {"tenant": project}})
    assert add.status_code == 200 and add.json()["flavor_access"] == [{"flavor_id": name, "tenant_id": project}]
    assert nova_admin.post(f"/flavors/{name}/action",
                           json={"addTenantAccess": {"tenant": project}}).status_code == 409
    assert name in [f["id"] for f in nova_demo.get("/flavors").json()["flavors"]]
    assert nova_admin.post(f"/flavors/{name}/action",
                           json={"removeTenantAccess": {"tenant": project}}).json()["flavor_access"] == []
    assert nova_admin.get("/flavors/1/os-flavor-access").status_code == 404
    del demo_project


def cloud_project(cloud) -> str:
    import httpx
    token = cloud.token("devstack")
    r = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


def test_cli_flavor_list(cli):
    names = {f["Name"] for f in cli("flavor", "list")}
    assert "m1.tiny" in names and "ds1G" in names
