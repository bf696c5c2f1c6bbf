"""Tokens through real clients: issue, validate, revoke, scopes, catalog, discovery."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_PASSWORD


def _password_auth(user: str, password: str, scope: dict | None = None) -> dict:
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "domain": {"id": "default"}, "password": password}}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


def test_version_discovery_at_root_and_prefix(http):
    for path in ("/", "/identity"):
        r = http.get(path)
        assert r.status_code == 300
        assert r.json()["versions"]["values"][0]["id"] == "v3.14"
    assert http.get("/identity/v3").json()["version"]["status"] == "stable"


def test_cli_token_issue_and_catalog(cli):
    token = cli("token", "issue", os_cloud="pocketstack")
    assert token["project_id"] and token["user_id"] and token["id"]
    catalog = cli("catalog", "list")
    assert "identity" in {entry["Type"] for entry in catalog}


def test_token_validate_and_revoke(http, admin_token):
    r = http.post("/identity/v3/auth/tokens", json=_password_auth("demo", ADMIN_PASSWORD))
    assert r.status_code == 201
    subject = r.headers["X-Subject-Token"]
    body = r.json()["token"]
    assert body["project"]["name"] == "demo"   # scoped to the default project
    assert {"member", "reader"} <= {role["name"] for role in body["roles"]}
    assert http.get("/identity/v3/auth/tokens", headers={"X-Auth-Token": admin_token,
                                                         "X-Subject-Token": subject}).status_code == 200
    assert http.head("/identity/v3/auth/tokens", headers={"X-Auth-Token": subject,
                                                          "X-Subject-Token": subject}).status_code == 200
    assert http.delete("/identity/v3/auth/tokens", headers={"X-Auth-Token": admin_token,
                                                            "X-Subject-Token": subject}).status_code == 204
    gone = http.get("/identity/v3/auth/tokens", headers={"X-Auth-Token": admin_token, "X-Subject-Token": subject})
    assert gone.status_code == 404
    assert http.get("/identity/v3/projects", headers={"X-Auth-Token": subject}).status_code == 401


def test_bad_password_is_401_with_keystone_body(http):
    r = http.post("/identity/v3/auth/tokens", json=_password_auth("demo", "wrong"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == 401 and r.json()["error"]["title"] == "Unauthorized"


def test_malformed_auth_body_is_400(http):
    r = http.post("/identity/v3/auth/tokens", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = http.post("/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": "password"}}})
    assert r.status_code == 400


def test_missing_token_is_401_with_www_authenticate(http):
    r = http.get("/identity/v3/projects")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_scopes_unscoped_system_domain(http):
    unscoped = http.post("/identity/v3/auth/tokens", json=_password_auth("admin", ADMIN_PASSWORD, "unscoped"))
    assert unscoped.status_code == 201 and "roles" not in unscoped.json()["token"]
    system = http.post("/identity/v3/auth/tokens",
                       json=_password_auth("admin", ADMIN_PASSWORD, {"system": {"all": True}}))
    assert system.json()["token"]["system"] == {"all": True}
    domain = http.post("/identity/v3/auth/tokens",
                       json=_password_auth("admin", ADMIN_PASSWORD, {"domain": {"id": "default"}}))
    assert domain.json()["token"]["domain"]["id"] == "default"
    denied = http.post("/identity/v3/auth/tokens",
                       json=_password_auth("demo", ADMIN_PASSWORD, {"system": {"all": True}}))
    assert denied.status_code == 401


def test_token_method_rescope_keeps_expiry_and_audit_chain(http):
    first = http.post("/identity/v3/auth/tokens", json=_password_auth("admin", ADMIN_PASSWORD, "unscoped"))
    token = first.headers["X-Subject-Token"]
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": token}},
                     "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}
    second = http.post("/identity/v3/auth/tokens", json=body)
    assert second.status_code == 201
    assert second.json()["token"]["expires_at"] == first.json()["token"]["expires_at"]
    assert second.json()["token"]["audit_ids"][1] == first.json()["token"]["audit_ids"][0]


def test_auth_catalog_projects_system(http, demo_token):
    h = {"X-Auth-Token": demo_token}
    assert http.get("/identity/v3/auth/catalog", headers=h).json()["catalog"]
    assert [p["name"] for p in http.get("/identity/v3/auth/projects", headers=h).json()["projects"]] == ["demo"]
    assert http.get("/identity/v3/auth/system", headers=h).json()["system"] == []


def test_nocatalog(http):
    r = http.post("/identity/v3/auth/tokens?nocatalog", json=_password_auth("demo", ADMIN_PASSWORD))
    assert "catalog" not in r.json()["token"]


def test_request_id_header(http):
    r = http.get("/identity/v3")
    assert r.headers["x-openstack-request-id"].startswith("req-")


def test_sdk_session_works(admin):
    assert admin.identity.get_project(admin.current_project_id).name == "admin"
    assert isinstance(httpx, object)
