"""Secure RBAC on /v3/domains: domain-scoped readers and managers, 403 vs 404 (keystone 30 rules).

Also holds the personas the other test_rbac_* modules use: two domains, and users holding
manager / reader on the first one, with domain- and project-scoped tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import unique

V3 = "/identity/v3"
PASSWORD = "Secret-rbac-1"


class Api:
    def __init__(self, client: httpx.Client, admin_token: str) -> None:
        self.client, self.admin_token = client, admin_token

    def __call__(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.client.request(method, V3 + path, headers={"X-Auth-Token": token or self.admin_token}, **kw)

    def make(self, kind: str, **spec: Any) -> dict:
        r = self("POST", f"/{kind}s", json={kind: {"name": unique(kind), **spec}})
        assert r.status_code == 201, r.text
        return r.json()[kind]

    def role_id(self, name: str) -> str:
        return self("GET", f"/roles?name={name}").json()["roles"][0]["id"]

    def token(self, user: dict, scope: dict) -> str:
        r = self.client.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"id": user["id"], "password": PASSWORD}}}, "scope": scope}})
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"]


@dataclass
class Personas:
    api: Api
    own: dict              # the personas' domain
    other: dict            # a domain they hold nothing on
    own_project: dict
    other_project: dict
    manager: str           # domain-scoped token, role manager on `own`
    reader: str            # domain-scoped token, role reader on `own`
    admin: str             # domain-scoped token, role admin on `own`
    project_reader: str    # project-scoped token, role reader on `own_project`


@pytest.fixture(scope="module")
def personas(cloud, admin_token) -> Iterator[Personas]:
    with httpx.Client(base_url=cloud.url, timeout=30) as client:
        api = Api(client, admin_token)
        own, other = api.make("domain"), api.make("domain")
        own_project = api.make("project", domain_id=own["id"])
        other_project = api.make("project", domain_id=other["id"])
        tokens = {}
        for role in ("manager", "reader", "admin"):
            user = api.make("user", domain_id=own["id"], password=PASSWORD)
            assert api("PUT", f"/domains/{own['id']}/users/{user['id']}/roles/{api.role_id(role)}").status_code == 204
            tokens[role] = api.token(user, {"domain": {"id": own["id"]}})
        user = api.make("user", domain_id=own["id"], password=PASSWORD)
        assert api("PUT", f"/projects/{own_project['id']}/users/{user['id']}/roles/{api.role_id('reader')}"
                   ).status_code == 204
        project_reader = api.token(user, {"project": {"id": own_project["id"]}})
        yield Personas(api, own, other, own_project, other_project, tokens["manager"], tokens["reader"],
                       tokens["admin"], project_reader)


def missing() -> str:
    return uuid.uuid4().hex


# --- list ----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["manager", "reader", "admin"])
def test_domain_scoped_list_domains_shows_only_own(personas, who):
    r = personas.api("GET", "/domains", getattr(personas, who))
    assert r.status_code == 200, r.text
    assert [d["id"] for d in r.json()["domains"]] == [personas.own["id"]]
    # the filters still apply within the own domain
    r = personas.api("GET", f"/domains?name={personas.other['name']}", getattr(personas, who))
    assert r.status_code == 200 and r.json()["domains"] == []


def test_system_admin_lists_every_domain(personas):
    ids = {d["id"] for d in personas.api("GET", "/domains").json()["domains"]}
    assert {personas.own["id"], personas.other["id"], "default"} <= ids


def test_project_reader_cannot_list_domains(personas):
    r = personas.api("GET", "/domains", personas.project_reader)
    assert r.status_code == 403 and "identity:list_domains" in r.json()["error"]["message"]


# --- show ----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["manager", "reader", "project_reader"])
def test_show_domain_own_foreign_missing(personas, who):
    token = getattr(personas, who)
    assert personas.api("GET", f"/domains/{personas.own['id']}", token).status_code == 200
    assert personas.api("GET", f"/domains/{personas.other['id']}", token).status_code == 403
    assert personas.api("GET", f"/domains/{missing()}", token).status_code == 403   # learns nothing
    assert personas.api("GET", f"/domains/{missing()}").status_code == 404          # system admin


# --- update / delete: a missing domain is a 404 before policy, as keystone ------------------
@pytest.mark.parametrize("who", ["manager", "reader", "admin", "project_reader"])
def test_update_delete_domain_refused_but_missing_is_404(personas, who):
    token = getattr(personas, who)
    for method, kw in (("PATCH", {"json": {"domain": {"description": "x"}}}), ("DELETE", {})):
        r = personas.api(method, f"/domains/{personas.own['id']}", token, **kw)
        assert r.status_code == 403, (method, r.text)
        assert personas.api(method, f"/domains/{personas.other['id']}", token, **kw).status_code == 403
        r = personas.api(method, f"/domains/{missing()}", token, **kw)
        assert r.status_code == 404 and r.json()["error"]["message"].startswith("Could not find domain"), r.text
    shown = personas.api("GET", f"/domains/{personas.own['id']}").json()["domain"]
    assert shown["description"] == personas.own["description"]


def test_admin_updates_domain_and_missing_is_404(personas):
    domain = personas.api.make("domain")
    r = personas.api("PATCH", f"/domains/{domain['id']}", json={"domain": {"description": "new"}})
    assert r.status_code == 200 and r.json()["domain"]["description"] == "new"
    assert personas.api("PATCH", f"/domains/{missing()}", json={"domain": {"description": "x"}}).status_code == 404
    assert personas.api("DELETE", f"/domains/{missing()}").status_code == 404
    assert personas.api("PATCH", f"/domains/{domain['id']}", json={"domain": {"enabled": False}}).status_code == 200
    assert personas.api("DELETE", f"/domains/{domain['id']}").status_code == 204
