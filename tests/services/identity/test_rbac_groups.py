"""Secure RBAC on /v3/groups for domain managers and readers (keystone 30 rules and targets)."""

from __future__ import annotations

import pytest

from tests.services.identity.test_rbac_domains import PASSWORD, missing, personas  # noqa: F401


@pytest.fixture(scope="module")
def groups(personas):
    api = personas.api
    own = api.make("group", domain_id=personas.own["id"])
    other = api.make("group", domain_id=personas.other["id"])
    own_user = api.make("user", domain_id=personas.own["id"], password=PASSWORD)
    other_user = api.make("user", domain_id=personas.other["id"], password=PASSWORD)
    for g in (own, other):
        for u in (own_user, other_user):
            assert api("PUT", f"/groups/{g['id']}/users/{u['id']}").status_code == 204
    return {"own": own, "other": other, "own_user": own_user, "other_user": other_user}


# --- list: a domain-scoped token sees only its own domain's groups and members --------------
@pytest.mark.parametrize("who", ["manager", "reader"])
def test_list_groups_domain_scoped(personas, groups, who):
    token = getattr(personas, who)
    r = personas.api("GET", "/groups", token)
    assert r.status_code == 200
    ids = {g["id"] for g in r.json()["groups"]}
    assert groups["own"]["id"] in ids and groups["other"]["id"] not in ids
    assert {g["domain_id"] for g in r.json()["groups"]} == {personas.own["id"]}
    r = personas.api("GET", f"/groups?domain_id={personas.other['id']}", token)
    assert r.status_code == 200 and r.json()["groups"] == []


def test_project_reader_cannot_list_groups(personas, groups):
    assert personas.api("GET", "/groups", personas.project_reader).status_code == 403


@pytest.mark.parametrize("who", ["manager", "reader"])
def test_list_group_users_filters_foreign_members(personas, groups, who):
    token = getattr(personas, who)
    r = personas.api("GET", f"/groups/{groups['own']['id']}/users", token)
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["users"]] == [groups["own_user"]["id"]]
    assert personas.api("GET", f"/groups/{groups['other']['id']}/users", token).status_code == 403
    assert personas.api("GET", f"/groups/{missing()}/users", token).status_code == 403


@pytest.mark.parametrize("who", ["manager", "reader"])
def test_list_user_groups_domain_scoped(personas, groups, who):
    token = getattr(personas, who)
    r = personas.api("GET", f"/users/{groups['own_user']['id']}/groups", token)
    assert r.status_code == 200
    assert [g["id"] for g in r.json()["groups"]] == [groups["own"]["id"]]
    assert personas.api("GET", f"/users/{groups['other_user']['id']}/groups", token).status_code == 403
    assert personas.api("GET", f"/users/{missing()}/groups", token).status_code == 403


# --- show / check membership ----------------------------------------------------------------
@pytest.mark.parametrize("who", ["manager", "reader"])
def test_show_group_and_check_member(personas, groups, who):
    token = getattr(personas, who)
    api = personas.api
    assert api("GET", f"/groups/{groups['own']['id']}", token).status_code == 200
    assert api("GET", f"/groups/{groups['other']['id']}", token).status_code == 403
    assert api("GET", f"/groups/{missing()}", token).status_code == 403
    assert api("GET", f"/groups/{groups['own']['id']}/users/{groups['own_user']['id']}", token).status_code == 204
    # both the group and the user must be in the caller's domain
    assert api("GET", f"/groups/{groups['own']['id']}/users/{groups['other_user']['id']}", token).status_code == 403
    assert api("GET", f"/groups/{groups['other']['id']}/users/{groups['own_user']['id']}", token).status_code == 403


# --- create / update / delete: managers in their own domain only ----------------------------
def test_manager_creates_updates_deletes_own_group(personas):
    api, token = personas.api, personas.manager
    r = api("POST", "/groups", token, json={"group": {"name": "g-own", "domain_id": personas.own["id"]}})
    assert r.status_code == 201 and r.json()["group"]["domain_id"] == personas.own["id"]
    gid = r.json()["group"]["id"]
    r = api("PATCH", f"/groups/{gid}", token, json={"group": {"description": "changed"}})
    assert r.status_code == 200 and r.json()["group"]["description"] == "changed"
    assert api("DELETE", f"/groups/{gid}", token).status_code == 204
    assert api("GET", f"/groups/{gid}").status_code == 404


def test_manager_refused_outside_own_domain(personas, groups):
    api, token = personas.api, personas.manager
    r = api("POST", "/groups", token, json={"group": {"name": "g-x", "domain_id": personas.other["id"]}})
    assert r.status_code == 403
    # as keystone, the target is the body as given: without a domain_id the rule cannot match
    assert api("POST", "/groups", token, json={"group": {"name": "g-y"}}).status_code == 403
    assert api("PATCH", f"/groups/{groups['other']['id']}", token,
               json={"group": {"description": "x"}}).status_code == 403
    assert api("PATCH", f"/groups/{missing()}", token, json={"group": {"description": "x"}}).status_code == 403
    assert api("DELETE", f"/groups/{groups['other']['id']}", token).status_code == 403
    assert api("GET", f"/groups/{groups['other']['id']}").status_code == 200


@pytest.mark.parametrize("who", ["manager", "reader", "project_reader"])
def test_delete_missing_group_is_404_before_policy(personas, who):
    r = personas.api("DELETE", "/groups/fakegroup", getattr(personas, who))
    assert r.status_code == 404 and r.json()["error"]["message"] == "Could not find group: fakegroup."


def test_reader_cannot_write_groups(personas, groups):
    api, token = personas.api, personas.reader
    assert api("POST", "/groups", token, json={"group": {"name": "g", "domain_id": personas.own["id"]}}
               ).status_code == 403
    assert api("PATCH", f"/groups/{groups['own']['id']}", token, json={"group": {"description": "x"}}
               ).status_code == 403
    assert api("DELETE", f"/groups/{groups['own']['id']}", token).status_code == 403


def test_manager_membership_needs_both_in_domain(personas, groups):
    api, token = personas.api, personas.manager
    user = api.make("user", domain_id=personas.own["id"], password=PASSWORD)
    path = f"/groups/{groups['own']['id']}/users/{user['id']}"
    assert api("PUT", path, token).status_code == 204
    assert api("DELETE", path, token).status_code == 204
    assert api("PUT", f"/groups/{groups['own']['id']}/users/{groups['other_user']['id']}", token).status_code == 403
    assert api("PUT", f"/groups/{groups['other']['id']}/users/{user['id']}", token).status_code == 403
    assert api("PUT", path, personas.reader).status_code == 403
