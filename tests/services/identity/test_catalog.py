"""The service catalog: regions, services, endpoints, OS-EP-FILTER and the catalog in tokens."""

from __future__ import annotations

import pytest

from tests.conftest import unique

V3 = "/identity/v3"
URL = "https://example.com/v1"


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def make(http, token: str, kind: str, body: dict, *, plural: str | None = None) -> dict:
    r = http.post(f"{V3}/{plural or kind + 's'}", json={kind: body}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()[kind]


def make_service(http, token: str, **fields) -> dict:
    return make(http, token, "service", {"type": unique("type"), "name": unique("svc"), **fields})


def make_endpoint(http, token: str, service_id: str, **fields) -> dict:
    return make(http, token, "endpoint", {"service_id": service_id, "interface": "public", "url": URL, **fields})


# --- regions -----------------------------------------------------------------------------
def test_cli_region_create_list_delete(cli):
    name = unique("region")
    created = cli("region", "create", "--description", "first", name)
    assert created["region"] == name and created["description"] == "first"
    child = cli("region", "create", "--parent-region", name, unique("child"))
    assert child["parent_region"] == name
    listed = {r["Region"] for r in cli("region", "list")}
    assert {name, child["region"]} <= listed
    cli("region", "delete", name)
    listed = {r["Region"] for r in cli("region", "list")}
    assert name not in listed and child["region"] not in listed  # children go with their parent


def test_region_create_with_and_without_id_and_put(http, admin_token):
    auto = make(http, admin_token, "region", {"description": None})
    assert len(auto["id"]) == 32 and auto["description"] == "" and auto["parent_region_id"] is None
    assert auto["links"]["self"].endswith(f"/v3/regions/{auto['id']}")
    given = unique("r")
    assert make(http, admin_token, "region", {"id": given, "extra_attr": 1})["extra_attr"] == 1
    put_id = unique("r")
    r = http.put(f"{V3}/regions/{put_id}", json={"region": {"description": "via put"}}, headers=h(admin_token))
    assert r.status_code == 201 and r.json()["region"]["id"] == put_id
    r = http.put(f"{V3}/regions/{unique('r')}", json={"region": {"id": "other"}}, headers=h(admin_token))
    assert r.status_code == 400
    r = http.post(f"{V3}/regions", json={"region": {"id": given}}, headers=h(admin_token))
    assert r.status_code == 409 and r.json()["error"]["code"] == 409


def test_region_parent_rules(http, admin_token):
    a = make(http, admin_token, "region", {})
    b = make(http, admin_token, "region", {"parent_region_id": a["id"]})
    r = http.post(f"{V3}/regions", json={"region": {"parent_region_id": "missing"}}, headers=h(admin_token))
    assert r.status_code == 404
    r = http.patch(f"{V3}/regions/{a['id']}", json={"region": {"parent_region_id": b["id"]}}, headers=h(admin_token))
    assert r.status_code == 400 and "circular" in r.json()["error"]["message"]
    r = http.patch(f"{V3}/regions/{a['id']}", json={"region": {"parent_region_id": a["id"]}}, headers=h(admin_token))
    assert r.status_code == 400
    r = http.patch(f"{V3}/regions/{b['id']}", json={"region": {"parent_region_id": "nope"}}, headers=h(admin_token))
    assert r.status_code == 404
    r = http.get(f"{V3}/regions", params={"parent_region_id": a["id"]}, headers=h(admin_token))
    assert [x["id"] for x in r.json()["regions"]] == [b["id"]]
    r = http.patch(f"{V3}/regions/{b['id']}", json={"region": {"description": "new", "parent_region_id": None}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["region"]["description"] == "new"
    assert r.json()["region"]["parent_region_id"] is None


def test_region_with_endpoints_in_subtree_cannot_be_deleted(http, admin_token):
    parent = make(http, admin_token, "region", {})
    child = make(http, admin_token, "region", {"parent_region_id": parent["id"]})
    ep = make_endpoint(http, admin_token, make_service(http, admin_token)["id"], region_id=child["id"])
    r = http.delete(f"{V3}/regions/{parent['id']}", headers=h(admin_token))
    assert r.status_code == 403 and "associated endpoints" in r.json()["error"]["message"]
    assert http.delete(f"{V3}/endpoints/{ep['id']}", headers=h(admin_token)).status_code == 204
    assert http.delete(f"{V3}/regions/{parent['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/regions/{child['id']}", headers=h(admin_token)).status_code == 404


def test_region_reads_open_writes_admin_only(http, admin_token, demo_token):
    region = make(http, admin_token, "region", {})
    assert http.get(f"{V3}/regions/{region['id']}", headers=h(demo_token)).status_code == 200
    assert http.post(f"{V3}/regions", json={"region": {}}, headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/regions/{region['id']}", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/regions").status_code == 401
    assert http.get(f"{V3}/regions/missing", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{V3}/regions/missing", headers=h(admin_token)).status_code == 404
    r = http.post(f"{V3}/regions", json={"region": {"description": 5}}, headers=h(admin_token))
    assert r.status_code == 400


# --- services ----------------------------------------------------------------------------
def test_cli_service_create_list_delete(cli):
    kind, name = unique("type"), unique("svc")
    created = cli("service", "create", "--name", name, "--description", "desc", kind)
    assert created["name"] == name and created["type"] == kind and created["enabled"] is True
    assert created["description"] == "desc"
    assert any(s["ID"] == created["id"] for s in cli("service", "list"))
    cli("service", "delete", created["id"])
    assert not any(s["ID"] == created["id"] for s in cli("service", "list"))


def test_service_crud_filters_and_cascade(http, admin_token, admin):
    svc = make_service(http, admin_token, extra_attr="x")
    assert svc["extra_attr"] == "x" and "description" not in svc
    bare = make(http, admin_token, "service", {"type": unique("type")})
    assert bare["name"] == ""
    r = http.get(f"{V3}/services", params={"type": svc["type"]}, headers=h(admin_token))
    assert [s["id"] for s in r.json()["services"]] == [svc["id"]]
    r = http.get(f"{V3}/services", params={"name": svc["name"]}, headers=h(admin_token))
    assert [s["id"] for s in r.json()["services"]] == [svc["id"]]
    r = http.patch(f"{V3}/services/{svc['id']}", json={"service": {"enabled": False, "description": "d"}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["service"]["enabled"] is False
    assert http.get(f"{V3}/services/{svc['id']}", headers=h(admin_token)).json()["service"] == r.json()["service"]
    assert admin.identity.get_service(svc["id"]).description == "d"
    ep = make_endpoint(http, admin_token, svc["id"])
    assert http.delete(f"{V3}/services/{svc['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/endpoints/{ep['id']}", headers=h(admin_token)).status_code == 404


@pytest.mark.parametrize("body", [{}, {"type": ""}, {"type": "x", "enabled": "yes"}, {"type": 3}])
def test_service_create_rejects_bad_bodies(http, admin_token, body):
    assert http.post(f"{V3}/services", json={"service": body}, headers=h(admin_token)).status_code == 400


def test_service_errors(http, admin_token, demo_token):
    svc = make_service(http, admin_token)
    assert http.get(f"{V3}/services", headers=h(demo_token)).status_code == 403
    assert http.post(f"{V3}/services", json={"service": {"type": "x"}}, headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/services/missing", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{V3}/services/missing", headers=h(admin_token)).status_code == 404
    r = http.patch(f"{V3}/services/{svc['id']}", json={"service": {"id": "other"}}, headers=h(admin_token))
    assert r.status_code == 400
    r = http.patch(f"{V3}/services/{svc['id']}", json={"service": {}}, headers=h(admin_token))
    assert r.status_code == 400


# --- endpoints ---------------------------------------------------------------------------
def test_cli_endpoint_create_list_set_delete(cli):
    svc = cli("service", "create", "--name", unique("svc"), unique("type"))
    region = cli("region", "create", unique("region"))["region"]
    ep = cli("endpoint", "create", "--region", region, svc["id"], "public", URL)
    assert ep["region"] == region and ep["url"] == URL and ep["interface"] == "public" and ep["enabled"] is True
    listed = cli("endpoint", "list", "--service", svc["id"])
    assert [e["ID"] for e in listed] == [ep["id"]]
    cli("endpoint", "set", "--interface", "internal", "--disable", ep["id"])
    shown = cli("endpoint", "show", ep["id"])
    assert shown["interface"] == "internal" and shown["enabled"] is False
    cli("endpoint", "delete", ep["id"])
    assert cli("endpoint", "list", "--service", svc["id"]) == []


def test_endpoint_legacy_region_auto_creates_region(http, admin_token):
    svc = make_service(http, admin_token)
    name = unique("legacy")
    ep = make_endpoint(http, admin_token, svc["id"], region=name)
    assert ep["region"] == name and ep["region_id"] == name
    assert http.get(f"{V3}/regions/{name}", headers=h(admin_token)).status_code == 200
    r = http.post(f"{V3}/endpoints", json={"endpoint": {"service_id": svc["id"], "interface": "public", "url": URL,
                                                        "region_id": unique("nope")}}, headers=h(admin_token))
    assert r.status_code == 400 and "region_id" in r.json()["error"]["message"]


def test_endpoint_filters_and_update(http, admin_token):
    svc, other = make_service(http, admin_token), make_service(http, admin_token)
    pub = make_endpoint(http, admin_token, svc["id"])
    internal = make_endpoint(http, admin_token, svc["id"], interface="internal", name="n")
    assert internal["name"] == "n"
    r = http.get(f"{V3}/endpoints", params={"service_id": svc["id"], "interface": "internal"}, headers=h(admin_token))
    assert [e["id"] for e in r.json()["endpoints"]] == [internal["id"]]
    r = http.patch(f"{V3}/endpoints/{pub['id']}", json={"endpoint": {"service_id": other["id"], "url": URL + "/x"}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["endpoint"]["service_id"] == other["id"]
    assert r.json()["endpoint"]["url"] == URL + "/x"
    r = http.patch(f"{V3}/endpoints/{pub['id']}", json={"endpoint": {"service_id": "missing"}}, headers=h(admin_token))
    assert r.status_code == 400 and "service_id" in r.json()["error"]["message"]


@pytest.mark.parametrize("fields", [{"interface": "private"}, {"enabled": "True"}, {"url": "not a url"},
                                    {"url": "https://x/$(bogus)s"}, {"service_id": "missing"}])
def test_endpoint_create_rejects_bad_input(http, admin_token, fields):
    svc = make_service(http, admin_token)
    body = {"service_id": svc["id"], "interface": "public", "url": URL, **fields}
    assert http.post(f"{V3}/endpoints", json={"endpoint": body}, headers=h(admin_token)).status_code == 400


def test_endpoint_errors(http, admin_token, demo_token):
    svc = make_service(http, admin_token)
    ep = make_endpoint(http, admin_token, svc["id"])
    assert http.get(f"{V3}/endpoints", params={"interface": "bogus"}, headers=h(admin_token)).status_code == 400
    assert http.get(f"{V3}/endpoints/{ep['id']}", headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/endpoints/{ep['id']}", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/endpoints/{ep['id']}").status_code == 401
    assert http.get(f"{V3}/endpoints/missing", headers=h(admin_token)).status_code == 404
    assert http.patch(f"{V3}/endpoints/missing", json={"endpoint": {"url": URL}},
                      headers=h(admin_token)).status_code == 404


def test_sdk_lists_endpoints_and_services(admin):
    services = {s.id: s for s in admin.identity.services()}
    identity = [s for s in services.values() if s.type == "identity"]
    assert identity and identity[0].name == "keystone"
    eps = [e for e in admin.identity.endpoints() if e.service_id == identity[0].id]
    assert {e.interface for e in eps} == {"public", "internal", "admin"}


# --- OS-EP-FILTER and the token catalog -------------------------------------------------
def _member_token(http, admin_token: str) -> tuple[str, str]:
    """A new project with a new member; returns (project_id, project-scoped token)."""
    project = make(http, admin_token, "project", {"name": unique("proj")})
    password = "Secret-1"
    user = make(http, admin_token, "user", {"name": unique("user"), "password": password})
    role = http.get(f"{V3}/roles", params={"name": "member"}, headers=h(admin_token)).json()["roles"][0]
    r = http.put(f"{V3}/projects/{project['id']}/users/{user['id']}/roles/{role['id']}", headers=h(admin_token))
    assert r.status_code == 204, r.text
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": user["id"],
                                                                                  "password": password}}},
                     "scope": {"project": {"id": project["id"]}}}}
    r = http.post(f"{V3}/auth/tokens", json=body)
    assert r.status_code == 201, r.text
    return project["id"], r.headers["X-Subject-Token"]


def _catalog_endpoint_ids(http, token: str) -> set[str]:
    r = http.get(f"{V3}/auth/catalog", headers=h(token))
    assert r.status_code == 200, r.text
    return {e["id"] for s in r.json()["catalog"] for e in s["endpoints"]}


def test_project_endpoint_association_filters_catalog(http, admin_token):
    project_id, token = _member_token(http, admin_token)
    svc = make_service(http, admin_token)
    ep, other = make_endpoint(http, admin_token, svc["id"]), make_endpoint(http, admin_token, svc["id"])
    assert {ep["id"], other["id"]} <= _catalog_endpoint_ids(http, token)
    path = f"{V3}/OS-EP-FILTER/projects/{project_id}/endpoints/{ep['id']}"
    assert http.get(path, headers=h(admin_token)).status_code == 404
    assert http.put(path, headers=h(admin_token)).status_code == 204
    assert http.put(path, headers=h(admin_token)).status_code == 409
    assert http.get(path, headers=h(admin_token)).status_code == 204
    assert _catalog_endpoint_ids(http, token) == {ep["id"]}
    r = http.get(f"{V3}/OS-EP-FILTER/projects/{project_id}/endpoints", headers=h(admin_token))
    assert [e["id"] for e in r.json()["endpoints"]] == [ep["id"]]
    r = http.get(f"{V3}/OS-EP-FILTER/endpoints/{ep['id']}/projects", headers=h(admin_token))
    assert [p["id"] for p in r.json()["projects"]] == [project_id]
    assert http.delete(path, headers=h(admin_token)).status_code == 204
    assert http.delete(path, headers=h(admin_token)).status_code == 404
    assert {ep["id"], other["id"]} <= _catalog_endpoint_ids(http, token)
    assert http.put(f"{V3}/OS-EP-FILTER/projects/missing/endpoints/{ep['id']}",
                    headers=h(admin_token)).status_code == 404
    assert http.put(f"{V3}/OS-EP-FILTER/projects/{project_id}/endpoints/missing",
                    headers=h(admin_token)).status_code == 404


def test_endpoint_group_crud_and_project_association(http, admin_token, demo_token):
    project_id, token = _member_token(http, admin_token)
    svc = make_service(http, admin_token)
    ep = make_endpoint(http, admin_token, svc["id"])
    group = make(http, admin_token, "endpoint_group", {"name": unique("eg"), "filters": {"service_id": svc["id"]}},
                 plural="OS-EP-FILTER/endpoint_groups")
    assert group["description"] is None and group["filters"] == {"service_id": svc["id"]}
    base = f"{V3}/OS-EP-FILTER/endpoint_groups/{group['id']}"
    assert http.get(base, headers=h(admin_token)).json()["endpoint_group"] == group
    assert http.head(base, headers=h(admin_token)).status_code == 200
    r = http.get(f"{V3}/OS-EP-FILTER/endpoint_groups", params={"name": group["name"]}, headers=h(admin_token))
    assert r.json()["endpoint_groups"] == [group]
    assert [e["id"] for e in http.get(base + "/endpoints", headers=h(admin_token)).json()["endpoints"]] == [ep["id"]]
    assert http.get(f"{base}/projects/{project_id}", headers=h(admin_token)).status_code == 404
    assert http.put(f"{base}/projects/{project_id}", headers=h(admin_token)).status_code == 204
    shown = http.get(f"{base}/projects/{project_id}", headers=h(admin_token)).json()["project_endpoint_group"]
    assert shown["endpoint_group_id"] == group["id"] and shown["project_id"] == project_id
    assert _catalog_endpoint_ids(http, token) == {ep["id"]}
    r = http.get(f"{V3}/OS-EP-FILTER/projects/{project_id}/endpoint_groups", headers=h(admin_token))
    assert [g["id"] for g in r.json()["endpoint_groups"]] == [group["id"]]
    assert [p["id"] for p in http.get(base + "/projects", headers=h(admin_token)).json()["projects"]] == [project_id]
    r = http.patch(base, json={"endpoint_group": {"name": "renamed", "filters": {"interface": "admin"}}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["endpoint_group"]["name"] == "renamed"
    assert ep["id"] not in _catalog_endpoint_ids(http, token)
    assert http.delete(base, headers=h(demo_token)).status_code == 403
    assert http.delete(base, headers=h(admin_token)).status_code == 204
    assert http.get(base, headers=h(admin_token)).status_code == 404
    assert ep["id"] in _catalog_endpoint_ids(http, token)


@pytest.mark.parametrize("body", [{"name": "x"}, {"name": "x", "filters": {}}, {"name": "x", "filters": {"url": "u"}},
                                  {"name": "x", "filters": {"interface": "bogus"}},
                                  {"name": "x", "filters": {"service_id": "s"}, "bogus": 1}])
def test_endpoint_group_rejects_bad_bodies(http, admin_token, body):
    r = http.post(f"{V3}/OS-EP-FILTER/endpoint_groups", json={"endpoint_group": body}, headers=h(admin_token))
    assert r.status_code == 400


def test_endpoint_group_errors(http, admin_token, demo_token):
    assert http.get(f"{V3}/OS-EP-FILTER/endpoint_groups/missing", headers=h(admin_token)).status_code == 404
    assert http.get(f"{V3}/OS-EP-FILTER/endpoint_groups", headers=h(demo_token)).status_code == 403
    r = http.post(f"{V3}/OS-EP-FILTER/endpoint_groups", json={"endpoint_group": {"name": "x", "filters": {
        "interface": "public"}}}, headers=h(demo_token))
    assert r.status_code == 403


def test_endpoint_group_patch_changes_only_what_it_names(http, admin_token, admin):
    """Keystone's PATCH updates the given fields: openstacksdk renames a group without sending its
    filters, and an empty filters object is accepted on update (only create requires some)."""
    group = admin.identity.create_endpoint_group(name=unique("eg"), filters={"interface": "public"})
    try:
        renamed = admin.identity.update_endpoint_group(group, name="renamed", description="d")
        assert (renamed.name, renamed.description, renamed.filters) == ("renamed", "d", {"interface": "public"})
        base = f"{V3}/OS-EP-FILTER/endpoint_groups/{group.id}"
        r = http.patch(base, json={"endpoint_group": {"description": None}}, headers=h(admin_token))
        assert r.status_code == 200 and r.json()["endpoint_group"]["filters"] == {"interface": "public"}
        r = http.patch(base, json={"endpoint_group": {"filters": {}}}, headers=h(admin_token))
        assert r.status_code == 200 and r.json()["endpoint_group"]["filters"] == {}
        for bad in ({}, {"filters": None}, {"filters": {"url": "u"}}, {"id": "other"}):
            r = http.patch(base, json={"endpoint_group": bad}, headers=h(admin_token))
            assert r.status_code == 400, bad
    finally:
        admin.identity.delete_endpoint_group(group)
