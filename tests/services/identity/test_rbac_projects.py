"""Secure RBAC on /v3/projects for domain managers and readers (keystone 30 rules and targets)."""

from __future__ import annotations

import pytest

from tests.services.identity.test_rbac_domains import missing, personas  # noqa: F401


@pytest.mark.parametrize("who", ["manager", "reader", "admin"])
def test_list_projects_domain_scoped(personas, who):
    token = getattr(personas, who)
    r = personas.api("GET", "/projects", token)
    assert r.status_code == 200, r.text
    ids = {p["id"] for p in r.json()["projects"]}
    assert personas.own_project["id"] in ids and personas.other_project["id"] not in ids
    assert {p["domain_id"] for p in r.json()["projects"]} == {personas.own["id"]}
    r = personas.api("GET", f"/projects?domain_id={personas.other['id']}", token)
    assert r.status_code == 200 and r.json()["projects"] == []


def test_project_reader_cannot_list_projects(personas):
    r = personas.api("GET", "/projects", personas.project_reader)
    assert r.status_code == 403 and "identity:list_projects" in r.json()["error"]["message"]


def test_system_admin_lists_projects_of_every_domain(personas):
    ids = {p["id"] for p in personas.api("GET", "/projects").json()["projects"]}
    assert {personas.own_project["id"], personas.other_project["id"]} <= ids


@pytest.mark.parametrize("who", ["manager", "reader"])
def test_show_project_own_foreign_missing(personas, who):
    token = getattr(personas, who)
    assert personas.api("GET", f"/projects/{personas.own_project['id']}", token).status_code == 200
    assert personas.api("GET", f"/projects/{personas.other_project['id']}", token).status_code == 403
    assert personas.api("GET", f"/projects/{missing()}", token).status_code == 403
    assert personas.api("GET", f"/projects/{missing()}").status_code == 404


def test_manager_creates_updates_deletes_own_project(personas):
    api, token = personas.api, personas.manager
    r = api("POST", "/projects", token, json={"project": {"name": "p-own", "domain_id": personas.own["id"]}})
    assert r.status_code == 201 and r.json()["project"]["domain_id"] == personas.own["id"]
    pid = r.json()["project"]["id"]
    r = api("PATCH", f"/projects/{pid}", token, json={"project": {"description": "changed"}})
    assert r.status_code == 200 and r.json()["project"]["description"] == "changed"
    assert api("PATCH", f"/projects/{pid}", token, json={"project": {"enabled": False}}).status_code == 200
    assert api("DELETE", f"/projects/{pid}", token).status_code == 204
    assert api("GET", f"/projects/{pid}").status_code == 404


def test_manager_refused_outside_own_domain(personas):
    api, token = personas.api, personas.manager
    r = api("POST", "/projects", token, json={"project": {"name": "p-x", "domain_id": personas.other["id"]}})
    assert r.status_code == 403
    # as keystone, the target is the body as given: without a domain_id the rule cannot match
    assert api("POST", "/projects", token, json={"project": {"name": "p-y"}}).status_code == 403
    assert api("PATCH", f"/projects/{personas.other_project['id']}", token,
               json={"project": {"description": "x"}}).status_code == 403
    assert api("DELETE", f"/projects/{personas.other_project['id']}", token).status_code == 403
    assert api("DELETE", f"/projects/{missing()}", token).status_code == 403
    assert api("GET", f"/projects/{personas.other_project['id']}").status_code == 200


def test_reader_cannot_write_projects(personas):
    api, token = personas.api, personas.reader
    assert api("POST", "/projects", token, json={"project": {"name": "p", "domain_id": personas.own["id"]}}
               ).status_code == 403
    assert api("PATCH", f"/projects/{personas.own_project['id']}", token,
               json={"project": {"description": "x"}}).status_code == 403
    assert api("DELETE", f"/projects/{personas.own_project['id']}", token).status_code == 403
