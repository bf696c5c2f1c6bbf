"""Secure RBAC on /v3/roles: a domain-specific role is guarded by the *_domain_role rules (keystone 30)."""

from __future__ import annotations

import pytest

from tests.services.identity.test_rbac_domains import missing, personas  # noqa: F401


@pytest.fixture(scope="module")
def domain_role(personas):
    # named like a role a domain manager may see, to show the domain rule, not the name, decides
    return personas.api.make("role", name="member", domain_id=personas.own["id"])


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_domain_scoped_cannot_get_domain_role_but_gets_global(personas, domain_role, who):
    token = getattr(personas, who)
    r = personas.api("GET", f"/roles/{domain_role['id']}", token)
    assert r.status_code == 403 and "identity:get_domain_role" in r.json()["error"]["message"]
    assert personas.api("GET", f"/roles/{missing()}", token).status_code == 404
    assert personas.api("GET", f"/roles/{personas.api.role_id('member')}", token).status_code == 200


def test_manager_refused_global_role_outside_managed_set(personas):
    r = personas.api("GET", f"/roles/{personas.api.role_id('admin')}", personas.manager)
    assert r.status_code == 403 and "identity:get_role" in r.json()["error"]["message"]


def test_system_admin_gets_domain_role(personas, domain_role):
    r = personas.api("GET", f"/roles/{domain_role['id']}")
    assert r.status_code == 200 and r.json()["role"]["domain_id"] == personas.own["id"]


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_domain_scoped_cannot_list_domain_roles(personas, domain_role, who):
    token = getattr(personas, who)
    r = personas.api("GET", f"/roles?domain_id={personas.own['id']}", token)
    assert r.status_code == 403 and "identity:list_domain_roles" in r.json()["error"]["message"]
    r = personas.api("GET", "/roles", token)      # the global roles stay listable
    assert r.status_code == 200 and domain_role["id"] not in {x["id"] for x in r.json()["roles"]}


def test_system_admin_lists_domain_roles(personas, domain_role):
    r = personas.api("GET", f"/roles?domain_id={personas.own['id']}")
    assert r.status_code == 200 and [x["id"] for x in r.json()["roles"]] == [domain_role["id"]]


def test_domain_admin_cannot_write_domain_roles(personas, domain_role):
    api, token = personas.api, personas.admin
    r = api("POST", "/roles", token, json={"role": {"name": "dr", "domain_id": personas.own["id"]}})
    assert r.status_code == 403 and "identity:create_domain_role" in r.json()["error"]["message"]
    r = api("PATCH", f"/roles/{domain_role['id']}", token, json={"role": {"description": "x"}})
    assert r.status_code == 403 and "identity:update_domain_role" in r.json()["error"]["message"]
    r = api("DELETE", f"/roles/{domain_role['id']}", token)
    assert r.status_code == 403 and "identity:delete_domain_role" in r.json()["error"]["message"]
    assert api("DELETE", f"/roles/{missing()}", token).status_code == 404


def test_system_admin_writes_domain_roles(personas):
    api = personas.api
    role = api.make("role", domain_id=personas.own["id"])
    r = api("PATCH", f"/roles/{role['id']}", json={"role": {"description": "changed"}})
    assert r.status_code == 200 and r.json()["role"]["description"] == "changed"
    assert api("DELETE", f"/roles/{role['id']}").status_code == 204
    assert api("GET", f"/roles/{role['id']}").status_code == 404
