"""Roles and implied roles: /v3/roles, /v3/roles/{id}/implies, /v3/role_inferences."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import unique

V3 = "/identity/v3"


@pytest.fixture()
def api(http, admin_token):
    def call(method: str, path: str, token: str | None = admin_token, **kw: Any):
        headers = {"X-Auth-Token": token} if token else {}
        return http.request(method, V3 + path, headers=headers, **kw)
    return call


def _role(api, **spec: Any) -> dict:
    r = api("POST", "/roles", json={"role": {"name": unique("role"), **spec}})
    assert r.status_code == 201, r.text
    return r.json()["role"]


def _domain(api) -> dict:
    r = api("POST", "/domains", json={"domain": {"name": unique("dom")}})
    assert r.status_code == 201, r.text
    return r.json()["domain"]


# --- roles ---------------------------------------------------------------------------
def test_role_crud_through_sdk(admin):
    name = unique("role")
    role = admin.identity.create_role(name=name, description="first")
    assert role.name == name and role.description == "first" and role.domain_id is None
    assert admin.identity.get_role(role.id).name == name
    admin.identity.update_role(role, name=name + "-x", description="second")
    fetched = admin.identity.get_role(role.id)
    assert (fetched.name, fetched.description) == (name + "-x", "second")
    assert role.id in {r.id for r in admin.identity.roles()}
    admin.identity.delete_role(role)
    assert admin.identity.find_role(role.id) is None


def test_role_body_shape_and_list_equality(api):
    role = _role(api, description=None, color="blue")
    assert set(role) == {"id", "name", "domain_id", "description", "options", "links", "color"}
    assert role["links"]["self"].endswith(f"/identity/v3/roles/{role['id']}")
    listed = api("GET", "/roles").json()
    assert role in listed["roles"]                       # tempest compares whole dicts
    assert listed["links"]["self"].endswith("/identity/v3/roles")
    assert api("GET", f"/roles?name={role['name']}").json()["roles"] == [role]
    assert api("GET", f"/roles?name__icontains={role['name'][5:].upper()}").json()["roles"] == [role]
    assert api("GET", "/roles?name=nope-" + unique()).json()["roles"] == []


def test_role_cli(cli):
    name = unique("role")
    created = cli("role", "create", name, "--description", "cli role")
    assert created["name"] == name and created["description"] == "cli role"
    assert cli("role", "show", name)["id"] == created["id"]
    assert name in {r["Name"] for r in cli("role", "list")}
    cli("role", "delete", name)
    assert cli("role", "show", name, check=False).returncode != 0


def test_domain_roles_are_listed_only_with_domain_id(api):
    domain = _domain(api)
    role = _role(api, domain_id=domain["id"])
    assert role["domain_id"] == domain["id"]
    assert api("GET", f"/roles?domain_id={domain['id']}").json()["roles"] == [role]
    assert role["id"] not in {r["id"] for r in api("GET", "/roles").json()["roles"]}
    # the same name may exist globally and in a domain, but not twice in one domain
    assert api("POST", "/roles", json={"role": {"name": role["name"]}}).status_code == 201
    dup = api("POST", "/roles", json={"role": {"name": role["name"], "domain_id": domain["id"]}})
    assert dup.status_code == 409
    assert f"at domain ID {domain['id']}" in dup.json()["error"]["message"]
    moved = api("PATCH", f"/roles/{role['id']}", json={"role": {"domain_id": None}})
    assert moved.status_code == 400 and "domain_id" in moved.json()["error"]["message"]
    assert api("DELETE", f"/roles/{role['id']}").status_code == 204
    assert api("GET", f"/roles?domain_id={domain['id']}").json()["roles"] == []


def test_duplicate_global_role_is_409(api):
    role = _role(api)
    r = api("POST", "/roles", json={"role": {"name": role["name"]}})
    assert r.status_code == 409
    assert r.json()["error"]["message"] == ("Conflict occurred attempting to store role - Duplicate entry found "
                                           f"with name {role['name']}.")
    other = _role(api)
    assert api("PATCH", f"/roles/{other['id']}", json={"role": {"name": role["name"]}}).status_code == 409


@pytest.mark.parametrize("body", [{}, {"role": {}}, {"role": {"name": ""}}, {"role": {"name": "x" * 256}},
                                  {"role": {"name": "ok", "options": {"bogus": True}}},
                                  {"role": {"name": "ok", "options": {"immutable": "yes"}}},
                                  {"role": {"name": 5}}, {"role": {"name": "ok"}, "extra": 1}])
def test_create_role_bad_input_is_400(api, body):
    assert api("POST", "/roles", json=body).status_code == 400


def test_update_role_bad_input_is_400(api):
    role = _role(api)
    assert api("PATCH", f"/roles/{role['id']}", json={"role": {}}).status_code == 400
    r = api("PATCH", f"/roles/{role['id']}", json={"role": {"id": "other"}})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Cannot change ID"


def test_missing_role_is_404(api):
    for method, kw in (("GET", {}), ("PATCH", {"json": {"role": {"name": "x"}}}), ("DELETE", {})):
        r = api(method, "/roles/does-not-exist", **kw)
        assert r.status_code == 404
        assert r.json()["error"]["message"] == "Could not find role: does-not-exist."


def test_role_create_in_missing_domain_is_404(api):
    assert api("POST", "/roles", json={"role": {"name": unique(), "domain_id": "nope"}}).status_code == 404


def test_immutable_role(api):
    role = _role(api, options={"immutable": True})
    assert role["options"] == {"immutable": True}
    r = api("PATCH", f"/roles/{role['id']}", json={"role": {"description": "x"}})
    assert r.status_code == 403 and "immutable" in r.json()["error"]["message"]
    assert api("DELETE", f"/roles/{role['id']}").status_code == 403
    both = api("PATCH", f"/roles/{role['id']}", json={"role": {"options": {"immutable": False}, "name": "x"}})
    assert both.status_code == 403
    r = api("PATCH", f"/roles/{role['id']}", json={"role": {"options": {"immutable": None}}})
    assert r.status_code == 200 and r.json()["role"]["options"] == {}
    assert api("DELETE", f"/roles/{role['id']}").status_code == 204


def test_roles_need_auth_and_admin(api, demo_token):
    assert api("GET", "/roles", token=None).status_code == 401
    assert api("POST", "/roles", token=None, json={"role": {"name": unique()}}).status_code == 401
    assert api("POST", "/roles", token=demo_token, json={"role": {"name": unique()}}).status_code == 403
    role = _role(api)
    assert api("GET", "/roles", token=demo_token).status_code == 403
    assert api("PATCH", f"/roles/{role['id']}", token=demo_token, json={"role": {"name": "x"}}).status_code == 403
    assert api("DELETE", f"/roles/{role['id']}", token=demo_token).status_code == 403


# --- implied roles ------------------------------------------------------------------------
def test_implied_role_create_check_show_list_delete(api):
    prior, implied = _role(api), _role(api)
    path = f"/roles/{prior['id']}/implies/{implied['id']}"
    r = api("PUT", path)
    assert r.status_code == 201
    body = r.json()
    assert body["role_inference"]["prior_role"] == {"id": prior["id"], "name": prior["name"],
                                                    "links": prior["links"]}
    assert body["role_inference"]["implies"] == {"id": implied["id"], "name": implied["name"],
                                                 "links": implied["links"]}
    assert body["links"]["self"].endswith(V3 + path)
    assert api("PUT", path).status_code == 409
    assert api("HEAD", path).status_code == 204
    assert api("GET", path).json()["role_inference"] == body["role_inference"]
    listed = api("GET", f"/roles/{prior['id']}/implies").json()
    assert [r["id"] for r in listed["role_inference"]["implies"]] == [implied["id"]]
    assert listed["links"]["self"].endswith(f"/roles/{prior['id']}/implies")
    inferences = api("GET", "/role_inferences").json()["role_inferences"]
    mine = [i for i in inferences if i["prior_role"]["id"] == prior["id"]]
    assert mine and mine[0]["implies"][0]["id"] == implied["id"]
    assert api("DELETE", path).status_code == 204
    gone = api("GET", path)
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == f"{prior['id']} does not imply {implied['id']}."
    assert api("HEAD", path).status_code == 404
    assert api("DELETE", path).status_code == 404


def test_implied_role_rules(api):
    domain = _domain(api)
    global_role = _role(api)
    d1, d2 = _role(api, domain_id=domain["id"]), _role(api, domain_id=domain["id"])
    assert api("PUT", f"/roles/{d1['id']}/implies/{d2['id']}").status_code == 201
    assert api("PUT", f"/roles/{d1['id']}/implies/{global_role['id']}").status_code == 201
    r = api("PUT", f"/roles/{global_role['id']}/implies/{d1['id']}")
    assert r.status_code == 403 and r.json()["error"]["message"] == "Global role cannot imply a domain-specific role"
    admin_id = api("GET", "/roles?name=admin").json()["roles"][0]["id"]
    r = api("PUT", f"/roles/{global_role['id']}/implies/{admin_id}")
    assert r.status_code == 403 and r.json()["error"]["message"] == f"{admin_id} cannot be an implied roles."
    assert api("PUT", f"/roles/{global_role['id']}/implies/nope").status_code == 404
    assert api("PUT", f"/roles/nope/implies/{global_role['id']}").status_code == 404
    assert api("GET", "/roles/nope/implies").status_code == 404


def test_implied_roles_need_admin(api, demo_token):
    prior, implied = _role(api), _role(api)
    path = f"/roles/{prior['id']}/implies/{implied['id']}"
    assert api("PUT", path, token=demo_token).status_code == 403
    assert api("PUT", path, token=None).status_code == 401
    assert api("GET", "/role_inferences", token=demo_token).status_code == 403


def test_implied_role_cli(cli):
    prior, implied = cli("role", "create", unique("prior")), cli("role", "create", unique("implied"))
    created = cli("implied", "role", "create", prior["id"], "--implied-role", implied["id"])
    assert created == {"prior_role": prior["id"], "implies": implied["id"]}
    rows = cli("implied", "role", "list")
    assert any(r["Prior Role ID"] == prior["id"] and r["Implied Role ID"] == implied["id"] for r in rows)
    cli("implied", "role", "delete", prior["id"], "--implied-role", implied["id"])
    rows = cli("implied", "role", "list")
    assert not any(r["Prior Role ID"] == prior["id"] for r in rows)


def test_deleting_a_role_removes_its_rules(api):
    prior, implied = _role(api), _role(api)
    assert api("PUT", f"/roles/{prior['id']}/implies/{implied['id']}").status_code == 201
    assert api("DELETE", f"/roles/{implied['id']}").status_code == 204
    assert api("GET", f"/roles/{prior['id']}/implies").json()["role_inference"]["implies"] == []
