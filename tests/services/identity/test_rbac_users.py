"""Secure RBAC on /v3/users for domain managers and readers (keystone 30 rules and targets)."""

from __future__ import annotations

import pytest

from tests.services.identity.test_rbac_domains import PASSWORD, missing, personas  # noqa: F401


@pytest.fixture(scope="module")
def users(personas):
    return {"own": personas.api.make("user", domain_id=personas.own["id"], password=PASSWORD),
            "other": personas.api.make("user", domain_id=personas.other["id"], password=PASSWORD)}


@pytest.mark.parametrize("who", ["manager", "reader"])
def test_list_users_domain_scoped(personas, users, who):
    token = getattr(personas, who)
    r = personas.api("GET", "/users", token)
    assert r.status_code == 200, r.text
    ids = {u["id"] for u in r.json()["users"]}
    assert users["own"]["id"] in ids and users["other"]["id"] not in ids
    assert {u["domain_id"] for u in r.json()["users"]} == {personas.own["id"]}
    r = personas.api("GET", f"/users?domain_id={personas.other['id']}", token)
    assert r.status_code == 200 and r.json()["users"] == []


def test_project_reader_cannot_list_users(personas, users):
    assert personas.api("GET", "/users", personas.project_reader).status_code == 403


@pytest.mark.parametrize("who", ["manager", "reader"])
def test_show_user_own_foreign_missing(personas, users, who):
    token = getattr(personas, who)
    assert personas.api("GET", f"/users/{users['own']['id']}", token).status_code == 200
    assert personas.api("GET", f"/users/{users['other']['id']}", token).status_code == 403
    assert personas.api("GET", f"/users/{missing()}", token).status_code == 403
    assert personas.api("GET", f"/users/{missing()}").status_code == 404


def test_manager_creates_updates_deletes_own_user(personas):
    api, token = personas.api, personas.manager
    r = api("POST", "/users", token, json={"user": {"name": "u-own", "domain_id": personas.own["id"],
                                                    "password": PASSWORD}})
    assert r.status_code == 201 and r.json()["user"]["domain_id"] == personas.own["id"]
    uid = r.json()["user"]["id"]
    r = api("PATCH", f"/users/{uid}", token, json={"user": {"description": "changed"}})
    assert r.status_code == 200 and r.json()["user"]["description"] == "changed"
    assert api("DELETE", f"/users/{uid}", token).status_code == 204
    assert api("GET", f"/users/{uid}").status_code == 404


def test_manager_refused_outside_own_domain(personas, users):
    api, token = personas.api, personas.manager
    r = api("POST", "/users", token, json={"user": {"name": "u-x", "domain_id": personas.other["id"]}})
    assert r.status_code == 403
    # as keystone, the target is the body as given: without a domain_id the rule cannot match
    assert api("POST", "/users", token, json={"user": {"name": "u-y"}}).status_code == 403
    assert api("PATCH", f"/users/{users['other']['id']}", token, json={"user": {"description": "x"}}
               ).status_code == 403
    assert api("DELETE", f"/users/{users['other']['id']}", token).status_code == 403
    assert api("DELETE", f"/users/{missing()}", token).status_code == 403
    assert api("GET", f"/users/{users['other']['id']}").status_code == 200


def test_reader_cannot_write_users(personas, users):
    api, token = personas.api, personas.reader
    assert api("POST", "/users", token, json={"user": {"name": "u", "domain_id": personas.own["id"]}}
               ).status_code == 403
    assert api("PATCH", f"/users/{users['own']['id']}", token, json={"user": {"description": "x"}}
               ).status_code == 403
    assert api("DELETE", f"/users/{users['own']['id']}", token).status_code == 403
