"""Users: CRUD, views, filters, policy, token revocation and PCI-DSS password rules."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import ADMIN_PASSWORD, unique

V3 = "/identity/v3"


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def _auth(user_id: str, password: str, scope: dict | None = None) -> dict:
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": password}}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


def token_for(http, user_id: str, password: str, scope: dict | None = None) -> str:
    r = http.post(f"{V3}/auth/tokens", json=_auth(user_id, password, scope))
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def token_valid(http, admin_token: str, subject: str) -> bool:
    r = http.get(f"{V3}/auth/tokens", headers={**h(admin_token), "X-Subject-Token": subject})
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


def make_user(http, admin_token: str, **fields) -> dict:
    body = {"name": unique("user"), "password": "Secret-1", **fields}
    r = http.post(f"{V3}/users", json={"user": body}, headers=h(admin_token))
    assert r.status_code == 201, r.text
    return r.json()["user"]


def make_domain(http, admin_token: str) -> dict:
    r = http.post(f"{V3}/domains", json={"domain": {"name": unique("dom")}}, headers=h(admin_token))
    assert r.status_code == 201, r.text
    return r.json()["domain"]


# --- CRUD through the CLI and openstacksdk -------------------------------------------------
def test_cli_user_create_show_set_delete(cli):
    name = unique("cliuser")
    created = cli("user", "create", "--password", "Secret-1", "--email", "a@example.com",
                  "--description", "first", name)
    assert created["name"] == name and created["email"] == "a@example.com"
    assert created["description"] == "first" and created["enabled"] is True
    assert created["domain_id"] == "default"
    cli("user", "set", "--email", "b@example.com", "--disable", "--name", name + "-x", created["id"])
    shown = cli("user", "show", created["id"])
    assert shown["email"] == "b@example.com" and shown["enabled"] is False and shown["name"] == name + "-x"
    assert created["id"] in {u["ID"] for u in cli("user", "list")}
    cli("user", "delete", created["id"])
    gone = cli("user", "show", created["id"], check=False)
    assert gone.returncode != 0


def test_sdk_user_roundtrip(admin):
    user = admin.identity.create_user(name=unique("sdk"), password="Secret-1", email="s@example.com")
    try:
        assert admin.identity.get_user(user.id).email == "s@example.com"
        admin.identity.update_user(user, description="changed")
        assert admin.identity.get_user(user.id).description == "changed"
        assert user.id in {u.id for u in admin.identity.users(domain_id="default")}
    finally:
        admin.identity.delete_user(user)
    assert admin.identity.find_user(user.id) is None


# --- views ------------------------------------------------------------------------------
def test_user_view_has_keystone_fields(http, admin_token):
    user = make_user(http, admin_token, email="v@example.com", **{"os:flag": "x"})
    assert set(user) == {"id", "name", "domain_id", "enabled", "password_expires_at", "options", "links",
                         "email", "os_flag"}
    assert user["password_expires_at"] is None and user["options"] == {}
    assert user["links"]["self"].endswith(f"/v3/users/{user['id']}")
    assert "password" not in http.get(f"{V3}/users/{user['id']}", headers=h(admin_token)).json()["user"]
    project = http.get(f"{V3}/projects?name=demo", headers=h(admin_token)).json()["projects"][0]
    with_project = make_user(http, admin_token, default_project_id=project["id"])
    assert with_project["default_project_id"] == project["id"]


def test_head_user_and_users(http, admin_token):
    user = make_user(http, admin_token)
    r = http.head(f"{V3}/users/{user['id']}", headers=h(admin_token))
    assert r.status_code == 200 and r.content == b""
    assert http.head(f"{V3}/users", headers=h(admin_token)).status_code == 200
    assert http.head(f"{V3}/users/{uuid.uuid4().hex}", headers=h(admin_token)).status_code == 404


def test_options_validated_and_merged(http, admin_token):
    user = make_user(http, admin_token, options={"ignore_password_expiry": True,
                                                 "multi_factor_auth_rules": [["password", "totp"]]})
    assert user["options"] == {"ignore_password_expiry": True, "multi_factor_auth_rules": [["password", "totp"]]}
    url = f"{V3}/users/{user['id']}"
    r = http.patch(url, json={"user": {"options": {"lock_password": True, "ignore_password_expiry": None}}},
                   headers=h(admin_token))
    assert r.status_code == 200
    assert r.json()["user"]["options"] == {"lock_password": True, "multi_factor_auth_rules": [["password", "totp"]]}
    for bad in ({"unknown_option": True}, {"lock_password": "yes"},
                {"multi_factor_auth_rules": [[]]}, {"multi_factor_auth_rules": [["a", "a"]]},
                {"multi_factor_auth_rules": [["a"], ["a"]]}, {"multi_factor_auth_rules": ["a"]}):
        r = http.patch(url, json={"user": {"options": bad}}, headers=h(admin_token))
        assert r.status_code == 400, bad


# --- create: negative -------------------------------------------------------------------
def test_create_user_bad_input_is_400(http, admin_token):
    domain_user = {"name": unique("u"), "default_project_id": "default"}   # a domain, not a project
    for body in ({}, {"user": {}}, {"user": {"name": ""}}, {"user": {"name": "   "}},
                 {"user": {"name": "x", "enabled": "maybe"}}, {"user": {"name": "x", "password": 5}},
                 {"user": {"name": "x", "domain_id": "bad id!"}}, {"user": {"name": "x"}, "extra": 1},
                 {"user": domain_user}):
        r = http.post(f"{V3}/users", json=body, headers=h(admin_token))
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["code"] == 400


def test_create_user_in_missing_domain_is_404(http, admin_token):
    r = http.post(f"{V3}/users", json={"user": {"name": unique("u"), "domain_id": uuid.uuid4().hex}},
                  headers=h(admin_token))
    assert r.status_code == 404
    assert "Could not find domain" in r.json()["error"]["message"]


def test_duplicate_user_name_is_409_per_domain(http, admin_token):
    user = make_user(http, admin_token)
    r = http.post(f"{V3}/users", json={"user": {"name": user["name"]}}, headers=h(admin_token))
    assert r.status_code == 409
    domain = make_domain(http, admin_token)
    other = make_user(http, admin_token, name=user["name"], domain_id=domain["id"])
    assert other["domain_id"] == domain["id"]


# --- auth and policy ----------------------------------------------------------------------
def test_users_need_a_token_and_admin(http, admin_token, demo_token):
    user = make_user(http, admin_token)
    assert http.get(f"{V3}/users").status_code == 401
    assert http.get(f"{V3}/users/{user['id']}").status_code == 401
    assert http.get(f"{V3}/users", headers=h(demo_token)).status_code == 403
    assert http.post(f"{V3}/users", json={"user": {"name": unique("u")}}, headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{user['id']}", headers=h(demo_token)).status_code == 403
    assert http.patch(f"{V3}/users/{user['id']}", json={"user": {"enabled": False}},
                      headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/users/{user['id']}", headers=h(demo_token)).status_code == 403
    # a missing user is 403 for those who may not look, as in keystone (the target is empty)
    assert http.get(f"{V3}/users/{uuid.uuid4().hex}", headers=h(demo_token)).status_code == 403


def test_user_may_show_self(http, admin_token):
    user = make_user(http, admin_token)
    token = token_for(http, user["id"], "Secret-1")
    r = http.get(f"{V3}/users/{user['id']}", headers=h(token))
    assert r.status_code == 200 and r.json()["user"]["id"] == user["id"]


def test_domain_scoped_token_lists_only_its_domain(http, admin_token):
    admin_id = http.get(f"{V3}/users?name=admin", headers=h(admin_token)).json()["users"][0]["id"]
    domain = make_domain(http, admin_token)
    elsewhere = make_user(http, admin_token, domain_id=domain["id"])
    scoped = token_for(http, admin_id, ADMIN_PASSWORD, {"domain": {"id": "default"}})
    listed = {u["id"] for u in http.get(f"{V3}/users", headers=h(scoped)).json()["users"]}
    assert admin_id in listed and elsewhere["id"] not in listed
    everything = {u["id"] for u in http.get(f"{V3}/users", headers=h(admin_token)).json()["users"]}
    assert elsewhere["id"] in everything


# --- missing ------------------------------------------------------------------------------
def test_missing_user_is_404(http, admin_token):
    missing = f"{V3}/users/{uuid.uuid4().hex}"
    assert http.get(missing, headers=h(admin_token)).status_code == 404
    r = http.patch(missing, json={"user": {"name": "x"}}, headers=h(admin_token))
    assert r.status_code == 404 and "Could not find user" in r.json()["error"]["message"]
    assert http.delete(missing, headers=h(admin_token)).status_code == 404
    assert http.get(missing + "/projects", headers=h(admin_token)).status_code == 404


# --- list filters ---------------------------------------------------------------------------
def test_list_filters(http, admin_token):
    domain = make_domain(http, admin_token)
    on = make_user(http, admin_token, domain_id=domain["id"], name=unique("Alpha"))
    off = make_user(http, admin_token, domain_id=domain["id"], enabled=False)

    def ids(query: str) -> set[str]:
        r = http.get(f"{V3}/users?{query}", headers=h(admin_token))
        assert r.status_code == 200, r.text
        return {u["id"] for u in r.json()["users"]}

    assert ids(f"domain_id={domain['id']}") == {on["id"], off["id"]}
    assert ids(f"domain_id={domain['id']}&enabled=false") == {off["id"]}
    assert ids(f"domain_id={domain['id']}&enabled=true") == {on["id"]}
    assert ids(f"name={on['name']}") == {on["id"]}
    assert ids(f"name__icontains={on['name'][2:].upper()}") == {on["id"]}
    # no expiry is configured: every password_expires_at is null, which no comparison matches
    assert ids(f"domain_id={domain['id']}&password_expires_at=lt:2100-01-01T00:00:00Z") == set()
    assert ids(f"domain_id={domain['id']}&password_expires_at=neq:2100-01-01T00:00:00Z") == set()
    for bad in ("password_expires_at=lx:2100-01-01T00:00:00Z", "password_expires_at=lt:tomorrow",
                "enabled=maybe", "domain_id=bad%20id"):
        assert http.get(f"{V3}/users?{bad}", headers=h(admin_token)).status_code == 400, bad


# --- update -------------------------------------------------------------------------------
def test_update_user_fields_and_extra(http, admin_token):
    user = make_user(http, admin_token, email="old@example.com")
    url = f"{V3}/users/{user['id']}"
    r = http.patch(url, json={"user": {"name": user["name"] + "-2", "email": "new@example.com",
                                       "project_id": "p1", "enabled": False}}, headers=h(admin_token))
    assert r.status_code == 200, r.text
    got = http.get(url, headers=h(admin_token)).json()["user"]
    assert (got["name"], got["email"], got["project_id"], got["enabled"]) == \
        (user["name"] + "-2", "new@example.com", "p1", False)


def test_update_user_negative(http, admin_token):
    user = make_user(http, admin_token)
    other = make_user(http, admin_token)
    url = f"{V3}/users/{user['id']}"
    assert http.patch(url, json={"user": {}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"user": {"id": "other"}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"user": {"domain_id": "elsewhere"}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"user": {"default_project_id": "default"}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"user": {"name": other["name"]}}, headers=h(admin_token)).status_code == 409


def test_disabling_user_revokes_tokens_and_blocks_auth(http, admin_token):
    user = make_user(http, admin_token)
    token = token_for(http, user["id"], "Secret-1")
    assert token_valid(http, admin_token, token)
    r = http.patch(f"{V3}/users/{user['id']}", json={"user": {"enabled": False}}, headers=h(admin_token))
    assert r.status_code == 200
    assert not token_valid(http, admin_token, token)
    assert http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "Secret-1")).status_code == 401


def test_admin_password_reset_revokes_tokens(http, admin_token):
    user = make_user(http, admin_token)
    token = token_for(http, user["id"], "Secret-1")
    r = http.patch(f"{V3}/users/{user['id']}", json={"user": {"password": "Secret-2"}}, headers=h(admin_token))
    assert r.status_code == 200
    assert not token_valid(http, admin_token, token)
    assert http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "Secret-1")).status_code == 401
    assert token_valid(http, admin_token, token_for(http, user["id"], "Secret-2"))
    # history is not enforced for an admin reset
    assert http.patch(f"{V3}/users/{user['id']}", json={"user": {"password": "Secret-2"}},
                      headers=h(admin_token)).status_code == 200


def test_delete_user(http, admin_token):
    user = make_user(http, admin_token)
    token = token_for(http, user["id"], "Secret-1")
    assert http.delete(f"{V3}/users/{user['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/users/{user['id']}", headers=h(admin_token)).status_code == 404
    assert not token_valid(http, admin_token, token)


# --- self-service password change ----------------------------------------------------------
def change(http, user_id: str, original: str, new: str, token: str | None = None):
    headers = h(token) if token else {}
    return http.post(f"{V3}/users/{user_id}/password",
                     json={"user": {"original_password": original, "password": new}}, headers=headers)


def test_self_service_password_change_and_history(http, admin_token):
    user = make_user(http, admin_token)
    token = token_for(http, user["id"], "Secret-1")
    r = change(http, user["id"], "Secret-1", "Secret-2", token)
    assert r.status_code == 204 and r.content == b""
    assert not token_valid(http, admin_token, token)
    assert http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "Secret-1")).status_code == 401
    token_for(http, user["id"], "Secret-2")
    # unique_last_password_count=2: neither the current nor the previous password may come back
    assert change(http, user["id"], "Secret-2", "Secret-2").status_code == 400
    r = change(http, user["id"], "Secret-2", "Secret-1")
    assert r.status_code == 400 and "identical to a previous password" in r.json()["error"]["message"]
    assert change(http, user["id"], "Secret-2", "Secret-3").status_code == 204
    assert change(http, user["id"], "Secret-3", "Secret-1").status_code == 204


def test_password_change_negative(http, admin_token):
    user = make_user(http, admin_token, options={"ignore_lockout_failure_attempts": True})
    url = f"{V3}/users/{user['id']}/password"
    r = change(http, user["id"], "wrong", "Secret-2")
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    assert change(http, uuid.uuid4().hex, "Secret-1", "Secret-2").status_code == 401
    for body in ({}, {"user": {"password": "x"}}, {"user": {"original_password": "Secret-1"}},
                 {"user": {"original_password": "Secret-1", "password": 5}},
                 {"user": {"original_password": "Secret-1", "password": "x", "extra": 1}}):
        assert http.post(url, json=body).status_code == 400, body
    assert http.get(url, headers=h(admin_token)).status_code == 405
    token_for(http, user["id"], "Secret-1")   # nothing above changed the password


def test_lock_password_option_blocks_self_service(http, admin_token):
    user = make_user(http, admin_token, options={"lock_password": True})
    r = change(http, user["id"], "Secret-1", "Secret-2")
    assert r.status_code == 400
    assert "disallowing password changes" in r.json()["error"]["message"]
    # an administrator can still reset it
    assert http.patch(f"{V3}/users/{user['id']}", json={"user": {"password": "Secret-2"}},
                      headers=h(admin_token)).status_code == 200
    token_for(http, user["id"], "Secret-2")


def test_disabled_user_cannot_change_password(http, admin_token):
    user = make_user(http, admin_token, enabled=False)
    assert change(http, user["id"], "Secret-1", "Secret-2").status_code == 401


def test_lockout_after_failed_attempts(http, admin_token):
    user = make_user(http, admin_token)
    for _ in range(2):   # lockout_failure_attempts=2
        assert http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "bad")).status_code == 401
    r = http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "Secret-1"))
    assert r.status_code == 401 and "locked" in r.json()["error"]["message"]
    assert change(http, user["id"], "Secret-1", "Secret-2").status_code == 401   # locked here too
    time.sleep(5.5)   # lockout_duration=5
    token_for(http, user["id"], "Secret-1")


def test_ignore_lockout_option(http, admin_token):
    user = make_user(http, admin_token, options={"ignore_lockout_failure_attempts": True})
    for _ in range(3):
        assert http.post(f"{V3}/auth/tokens", json=_auth(user["id"], "bad")).status_code == 401
    token_for(http, user["id"], "Secret-1")


# --- a user's projects ------------------------------------------------------------------------
@pytest.fixture()
def member_role(http, admin_token) -> str:
    roles = http.get(f"{V3}/roles?name=member", headers=h(admin_token)).json()["roles"]
    return roles[0]["id"]


def test_list_user_projects_direct_group_and_inherited(http, admin_token, member_role):
    user = make_user(http, admin_token)
    mk = lambda **kw: http.post(f"{V3}/projects", json={"project": {"name": unique("p"), **kw}},  # noqa: E731
                                headers=h(admin_token)).json()["project"]
    direct, via_group, parent = mk(), mk(), mk()
    child = mk(parent_id=parent["id"])
    mk()   # one the user has nothing on
    group = http.post(f"{V3}/groups", json={"group": {"name": unique("g")}}, headers=h(admin_token)).json()["group"]
    for path in (f"projects/{direct['id']}/users/{user['id']}/roles/{member_role}",
                 f"projects/{via_group['id']}/groups/{group['id']}/roles/{member_role}",
                 f"OS-INHERIT/projects/{parent['id']}/users/{user['id']}/roles/{member_role}/inherited_to_projects",
                 f"groups/{group['id']}/users/{user['id']}"):
        assert http.put(f"{V3}/{path}", headers=h(admin_token)).status_code == 204, path
    r = http.get(f"{V3}/users/{user['id']}/projects", headers=h(admin_token))
    assert r.status_code == 200
    assert {p["id"] for p in r.json()["projects"]} == {direct["id"], via_group["id"], child["id"]}
    named = http.get(f"{V3}/users/{user['id']}/projects?name={direct['name']}", headers=h(admin_token))
    assert [p["id"] for p in named.json()["projects"]] == [direct["id"]]
    own = http.get(f"{V3}/users/{user['id']}/projects", headers=h(token_for(http, user["id"], "Secret-1")))
    assert own.status_code == 200 and len(own.json()["projects"]) == 3


def test_list_user_projects_of_someone_else_is_403(http, admin_token, demo_token):
    user = make_user(http, admin_token)
    assert http.get(f"{V3}/users/{user['id']}/projects", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{user['id']}/projects").status_code == 401
