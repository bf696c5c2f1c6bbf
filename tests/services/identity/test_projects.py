"""Projects and domains through the CLI and raw HTTP: hierarchy, tags, cascades, negatives."""

from __future__ import annotations

from tests.conftest import unique


def test_cli_project_lifecycle(cli):
    name = unique("proj")
    created = cli("project", "create", name, "--description", "d", "--tag", "a")
    assert created["name"] == name and created["domain_id"] == "default" and created["tags"] == ["a"]
    assert cli("project", "show", name)["id"] == created["id"]
    assert name in [p["Name"] for p in cli("project", "list")]
    cli("project", "set", name, "--disable")
    assert cli("project", "show", name)["enabled"] is False
    cli("project", "delete", name)
    assert cli("project", "show", name, check=False).returncode != 0


def test_hierarchy_parents_and_subtree(http, admin_token):
    h = {"X-Auth-Token": admin_token}
    parent = http.post("/identity/v3/projects", headers=h, json={"project": {"name": unique("p")}}).json()["project"]
    child = http.post("/identity/v3/projects", headers=h,
                      json={"project": {"name": unique("c"), "parent_id": parent["id"]}}).json()["project"]
    assert child["parent_id"] == parent["id"]
    shown = http.get(f"/identity/v3/projects/{child['id']}?parents_as_list", headers=h).json()["project"]
    assert [p["project"]["id"] for p in shown["parents"]] == [parent["id"]]
    subtree = http.get(f"/identity/v3/projects/{parent['id']}?subtree_as_ids", headers=h).json()["project"]["subtree"]
    assert subtree == {child["id"]: None}
    assert http.delete(f"/identity/v3/projects/{parent['id']}", headers=h).status_code == 403  # not a leaf
    assert http.delete(f"/identity/v3/projects/{child['id']}", headers=h).status_code == 204
    assert http.delete(f"/identity/v3/projects/{parent['id']}", headers=h).status_code == 204


def test_tags_api(http, admin_token):
    h = {"X-Auth-Token": admin_token}
    pid = http.post("/identity/v3/projects", headers=h, json={"project": {"name": unique("t")}}).json()["project"]["id"]
    put = http.put(f"/identity/v3/projects/{pid}/tags/blue", headers=h)
    assert put.status_code == 201 and put.content == b""
    assert http.get(f"/identity/v3/projects/{pid}/tags/blue", headers=h).status_code == 204
    assert http.put(f"/identity/v3/projects/{pid}/tags", headers=h, json={"tags": ["x", "y"]}).json()["tags"] == ["x", "y"]
    tagged = http.get("/identity/v3/projects?tags=x,y", headers=h).json()["projects"]
    assert [p["id"] for p in tagged] == [pid]
    assert http.put(f"/identity/v3/projects/{pid}/tags", headers=h, json={"tags": ["a/b"]}).status_code == 400


def test_project_negatives(http, admin_token, demo_token):
    admin, demo = {"X-Auth-Token": admin_token}, {"X-Auth-Token": demo_token}
    name = unique("dup")
    assert http.post("/identity/v3/projects", headers=admin, json={"project": {"name": name}}).status_code == 201
    assert http.post("/identity/v3/projects", headers=admin, json={"project": {"name": name}}).status_code == 409
    assert http.post("/identity/v3/projects", headers=admin, json={"project": {"name": "x" * 65}}).status_code == 400
    assert http.post("/identity/v3/projects", headers=admin, json={"project": {}}).status_code == 400
    assert http.post("/identity/v3/projects", headers=demo, json={"project": {"name": unique()}}).status_code == 403
    assert http.get("/identity/v3/projects/nope", headers=admin).status_code == 404
    assert http.get("/identity/v3/projects/nope", headers=demo).status_code == 403  # learns nothing
    assert http.get("/identity/v3/projects").status_code == 401
    body = http.get("/identity/v3/projects/nope", headers=admin).json()
    assert body == {"error": {"code": 404, "title": "Not Found", "message": "Could not find project: nope."}}


def test_domain_lifecycle_and_cascade(http, admin_token):
    h = {"X-Auth-Token": admin_token}
    domain = http.post("/identity/v3/domains", headers=h, json={"domain": {"name": unique("dom")}}).json()["domain"]
    project = http.post("/identity/v3/projects", headers=h,
                        json={"project": {"name": unique("p"), "domain_id": domain["id"]}}).json()["project"]
    assert http.delete(f"/identity/v3/domains/{domain['id']}", headers=h).status_code == 403  # still enabled
    assert http.patch(f"/identity/v3/domains/{domain['id']}", headers=h,
                      json={"domain": {"enabled": False}}).json()["domain"]["enabled"] is False
    assert http.delete(f"/identity/v3/domains/{domain['id']}", headers=h).status_code == 204
    assert http.get(f"/identity/v3/projects/{project['id']}", headers=h).status_code == 404
    assert http.post("/identity/v3/domains", headers=h, json={"domain": {"name": "Default"}}).status_code == 409
