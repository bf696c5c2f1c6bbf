"""Groups: CRUD, membership, a user's groups, policy and token revocation."""

from __future__ import annotations

import uuid

from tests.conftest import unique
from tests.services.identity.test_users import V3, h, make_domain, make_user, token_for, token_valid


def make_group(http, admin_token: str, **fields) -> dict:
    r = http.post(f"{V3}/groups", json={"group": {"name": unique("grp"), **fields}}, headers=h(admin_token))
    assert r.status_code == 201, r.text
    return r.json()["group"]


# --- CRUD through the CLI and openstacksdk -------------------------------------------------
def test_cli_group_lifecycle_and_membership(cli):
    name = unique("cligrp")
    group = cli("group", "create", "--description", "d1", name)
    assert group["name"] == name and group["description"] == "d1" and group["domain_id"] == "default"
    user = cli("user", "create", "--password", "Secret-1", unique("cliu"))
    cli("group", "add", "user", group["id"], user["id"])
    contains = cli("group", "contains", "user", group["id"], user["id"])
    assert f"{user['id']} in group" in contains.stdout
    assert user["id"] in {u["ID"] for u in cli("user", "list", "--group", group["id"])}
    assert group["id"] in {g["ID"] for g in cli("group", "list", "--user", user["id"])}
    cli("group", "remove", "user", group["id"], user["id"])
    assert "not in group" in cli("group", "contains", "user", group["id"], user["id"], check=False).stderr
    cli("group", "set", "--name", name + "-2", "--description", "d2", group["id"])
    shown = cli("group", "show", group["id"])
    assert shown["name"] == name + "-2" and shown["description"] == "d2"
    cli("group", "delete", group["id"])
    assert cli("group", "show", group["id"], check=False).returncode != 0


def test_sdk_group_roundtrip(admin):
    group = admin.identity.create_group(name=unique("sdkg"), description="x")
    user = admin.identity.create_user(name=unique("sdku"), password="Secret-1")
    try:
        admin.identity.add_user_to_group(user, group)
        assert admin.identity.check_user_in_group(user, group)
        assert [u.id for u in admin.identity.group_users(group)] == [user.id]
        admin.identity.remove_user_from_group(user, group)
        assert not admin.identity.check_user_in_group(user, group)
    finally:
        admin.identity.delete_group(group)
        admin.identity.delete_user(user)


# --- views and create ---------------------------------------------------------------------------
def test_group_view_and_defaults(http, admin_token):
    group = make_group(http, admin_token, **{"os-extra": 1})
    assert set(group) == {"id", "name", "domain_id", "description", "links", "os_extra"}
    assert group["description"] == "" and group["domain_id"] == "default" and group["os_extra"] == 1
    assert group["links"]["self"].endswith(f"/v3/groups/{group['id']}")
    r = http.get(f"{V3}/groups/{group['id']}", headers=h(admin_token))
    assert r.status_code == 200 and r.json()["group"] == group
    assert http.head(f"{V3}/groups/{group['id']}", headers=h(admin_token)).status_code == 200


def test_create_group_negative(http, admin_token):
    for body in ({}, {"group": {}}, {"group": {"name": ""}}, {"group": {"name": "  "}},
                 {"group": {"name": "x", "domain_id": "bad id"}}, {"group": {"name": "x"}, "other": 1},
                 {"group": {"name": "x", "description": 5}}):
        r = http.post(f"{V3}/groups", json=body, headers=h(admin_token))
        assert r.status_code == 400, body
    r = http.post(f"{V3}/groups", json={"group": {"name": unique("g"), "domain_id": uuid.uuid4().hex}},
                  headers=h(admin_token))
    assert r.status_code == 404


def test_group_name_unique_per_domain(http, admin_token):
    group = make_group(http, admin_token)
    r = http.post(f"{V3}/groups", json={"group": {"name": group["name"]}}, headers=h(admin_token))
    assert r.status_code == 409 and r.json()["error"]["title"] == "Conflict"
    domain = make_domain(http, admin_token)
    assert make_group(http, admin_token, name=group["name"], domain_id=domain["id"])["domain_id"] == domain["id"]


# --- list ------------------------------------------------------------------------------------
def test_list_groups_filters(http, admin_token):
    domain = make_domain(http, admin_token)
    a = make_group(http, admin_token, domain_id=domain["id"], name=unique("Apple"))
    b = make_group(http, admin_token, domain_id=domain["id"])

    def ids(query: str) -> set[str]:
        r = http.get(f"{V3}/groups?{query}", headers=h(admin_token))
        assert r.status_code == 200
        return {g["id"] for g in r.json()["groups"]}

    assert ids(f"domain_id={domain['id']}") == {a["id"], b["id"]}
    assert ids(f"name={a['name']}") == {a["id"]}
    assert ids(f"domain_id={domain['id']}&name__icontains=APPLE") == {a["id"]}
    assert a["id"] not in ids("domain_id=default")
    assert http.get(f"{V3}/groups?domain_id=bad%20id", headers=h(admin_token)).status_code == 400


# --- update and delete -----------------------------------------------------------------------
def test_update_group(http, admin_token):
    group = make_group(http, admin_token, description="d")
    other = make_group(http, admin_token)
    url = f"{V3}/groups/{group['id']}"
    r = http.patch(url, json={"group": {"name": group["name"] + "-2", "color": "blue"}}, headers=h(admin_token))
    assert r.status_code == 200
    got = r.json()["group"]
    assert (got["name"], got["description"], got["color"]) == (group["name"] + "-2", "d", "blue")
    assert http.patch(url, json={"group": {}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"group": {"id": "x"}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"group": {"domain_id": "x"}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"group": {"name": other["name"]}}, headers=h(admin_token)).status_code == 409


def test_missing_group_is_404(http, admin_token):
    user = make_user(http, admin_token)
    url = f"{V3}/groups/{uuid.uuid4().hex}"
    r = http.get(url, headers=h(admin_token))
    assert r.status_code == 404 and "Could not find group" in r.json()["error"]["message"]
    assert http.patch(url, json={"group": {"name": "x"}}, headers=h(admin_token)).status_code == 404
    assert http.delete(url, headers=h(admin_token)).status_code == 404
    assert http.get(url + "/users", headers=h(admin_token)).status_code == 404
    assert http.put(f"{url}/users/{user['id']}", headers=h(admin_token)).status_code == 404
    assert http.get(f"{V3}/users/{uuid.uuid4().hex}/groups", headers=h(admin_token)).status_code == 404


def test_delete_group_drops_membership_and_revokes(http, admin_token):
    group = make_group(http, admin_token)
    user = make_user(http, admin_token)
    assert http.put(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(admin_token)).status_code == 204
    token = token_for(http, user["id"], "Secret-1")
    assert http.delete(f"{V3}/groups/{group['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/groups/{group['id']}", headers=h(admin_token)).status_code == 404
    assert http.get(f"{V3}/users/{user['id']}/groups", headers=h(admin_token)).json()["groups"] == []
    assert not token_valid(http, admin_token, token)


# --- membership ---------------------------------------------------------------------------------
def test_membership_add_check_list_remove(http, admin_token):
    group = make_group(http, admin_token)
    members = [make_user(http, admin_token, email=f"m{i}@example.com") for i in range(3)]
    base = f"{V3}/groups/{group['id']}/users"
    for user in members:
        assert http.put(f"{base}/{user['id']}", headers=h(admin_token)).status_code == 204
    assert http.put(f"{base}/{members[0]['id']}", headers=h(admin_token)).status_code == 204   # idempotent
    listed = http.get(base, headers=h(admin_token)).json()["users"]
    assert sorted(listed, key=lambda u: u["id"]) == sorted(members, key=lambda u: u["id"])   # same view
    for user in members:
        assert http.head(f"{base}/{user['id']}", headers=h(admin_token)).status_code == 204
        assert http.get(f"{base}/{user['id']}", headers=h(admin_token)).status_code == 204
        assert http.delete(f"{base}/{user['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(base, headers=h(admin_token)).json()["users"] == []
    r = http.head(f"{base}/{members[0]['id']}", headers=h(admin_token))
    assert r.status_code == 404
    r = http.delete(f"{base}/{members[0]['id']}", headers=h(admin_token))
    assert r.status_code == 404 and "not found in group" in r.json()["error"]["message"]
    assert http.put(f"{base}/{uuid.uuid4().hex}", headers=h(admin_token)).status_code == 404


def test_group_users_filters(http, admin_token):
    group = make_group(http, admin_token)
    on, off = make_user(http, admin_token), make_user(http, admin_token, enabled=False)
    for user in (on, off):
        http.put(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(admin_token))
    base = f"{V3}/groups/{group['id']}/users"
    assert [u["id"] for u in http.get(f"{base}?enabled=false", headers=h(admin_token)).json()["users"]] == [off["id"]]
    assert [u["id"] for u in http.get(f"{base}?name={on['name']}", headers=h(admin_token)).json()["users"]] == [on["id"]]


def test_user_groups_list(http, admin_token):
    user = make_user(http, admin_token)
    domain = make_domain(http, admin_token)
    groups = [make_group(http, admin_token, domain_id=domain["id"]) for _ in range(2)]
    for group in groups:
        http.put(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(admin_token))
    r = http.get(f"{V3}/users/{user['id']}/groups", headers=h(admin_token))
    assert r.status_code == 200
    listed = r.json()["groups"]
    assert all(g.pop("membership_expires_at") is None for g in listed)
    assert sorted(listed, key=lambda g: g["id"]) == sorted(groups, key=lambda g: g["id"])
    named = http.get(f"{V3}/users/{user['id']}/groups?name={groups[0]['name']}", headers=h(admin_token))
    assert [g["id"] for g in named.json()["groups"]] == [groups[0]["id"]]


def test_removing_member_revokes_their_tokens(http, admin_token):
    group = make_group(http, admin_token)
    user, bystander = make_user(http, admin_token), make_user(http, admin_token)
    for u in (user, bystander):
        http.put(f"{V3}/groups/{group['id']}/users/{u['id']}", headers=h(admin_token))
    token, other = token_for(http, user["id"], "Secret-1"), token_for(http, bystander["id"], "Secret-1")
    assert http.delete(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(admin_token)).status_code == 204
    assert not token_valid(http, admin_token, token)
    assert token_valid(http, admin_token, other)


# --- auth and policy ---------------------------------------------------------------------------
def test_groups_need_a_token_and_admin(http, admin_token, demo_token):
    group = make_group(http, admin_token)
    user = make_user(http, admin_token)
    assert http.get(f"{V3}/groups").status_code == 401
    assert http.get(f"{V3}/groups", headers=h(demo_token)).status_code == 403
    assert http.post(f"{V3}/groups", json={"group": {"name": unique("g")}}, headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/groups/{group['id']}", headers=h(demo_token)).status_code == 403
    assert http.patch(f"{V3}/groups/{group['id']}", json={"group": {"name": "x"}},
                      headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/groups/{group['id']}", headers=h(demo_token)).status_code == 403
    assert http.put(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/groups/{group['id']}/users", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{user['id']}/groups", headers=h(demo_token)).status_code == 403


def test_user_may_list_own_groups(http, admin_token):
    group = make_group(http, admin_token)
    user = make_user(http, admin_token)
    http.put(f"{V3}/groups/{group['id']}/users/{user['id']}", headers=h(admin_token))
    r = http.get(f"{V3}/users/{user['id']}/groups", headers=h(token_for(http, user["id"], "Secret-1")))
    assert r.status_code == 200 and [g["id"] for g in r.json()["groups"]] == [group["id"]]
