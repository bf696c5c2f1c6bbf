"""Trusts (OS-TRUST): CRUD, policy, and trust-scoped tokens end to end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import unique

V3 = "/identity/v3"
PASSWORD = "Trust-Secret-1"


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def ok(r, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def password_token(http, user_id: str, scope: dict | None = None, status: int = 201) -> str:
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": PASSWORD}}}}}
    if scope:
        body["auth"]["scope"] = scope
    r = http.post(f"{V3}/auth/tokens", json=body)
    assert r.status_code == status, r.text
    return r.headers.get("X-Subject-Token", "")


@dataclass
class World:
    project: str
    trustor: str
    trustee: str
    delegated: dict
    other: dict
    trustor_token: str
    trustee_token: str


@pytest.fixture()
def world(http, admin_token) -> World:
    project = ok(http.post(f"{V3}/projects", json={"project": {"name": unique("tp")}}, headers=h(admin_token)), 201)
    users = [ok(http.post(f"{V3}/users", json={"user": {"name": unique(n), "password": PASSWORD}},
                          headers=h(admin_token)), 201)["user"]["id"] for n in ("trustor", "trustee")]
    roles = [ok(http.post(f"{V3}/roles", json={"role": {"name": unique(n)}}, headers=h(admin_token)), 201)["role"]
             for n in ("delegated", "kept")]
    pid = project["project"]["id"]
    for role in roles:
        ok(http.put(f"{V3}/projects/{pid}/users/{users[0]}/roles/{role['id']}", headers=h(admin_token)), 204)
    member = next(r for r in ok(http.get(f"{V3}/roles", params={"name": "member"},
                                         headers=h(admin_token)))["roles"])
    ok(http.put(f"{V3}/projects/{pid}/users/{users[1]}/roles/{member['id']}", headers=h(admin_token)), 204)
    scope = {"project": {"id": pid}}
    return World(pid, users[0], users[1], roles[0], roles[1], password_token(http, users[0], scope),
                 password_token(http, users[1], scope))


def make_trust(http, w: World, status: int = 201, **fields) -> dict:
    body = {"trustor_user_id": w.trustor, "trustee_user_id": w.trustee, "project_id": w.project,
            "impersonation": True, "roles": [{"name": w.delegated["name"]}], **fields}
    return ok(http.post(f"{V3}/OS-TRUST/trusts", json={"trust": body}, headers=h(w.trustor_token)), status)


def trust_token(http, w: World, trust_id: str, status: int = 201) -> str:
    return password_token(http, w.trustee, {"OS-TRUST:trust": {"id": trust_id}}, status)


def whoami(http, token: str, status: int = 200) -> dict:
    r = http.get(f"{V3}/auth/tokens", headers={**h(token), "X-Subject-Token": token})
    assert r.status_code == status, r.text
    return r.json().get("token", {})


def test_cli_trust_lifecycle(http, cli, admin_token, demo_token):
    admin = whoami(http, admin_token)["user"]["id"]
    demo = whoami(http, demo_token)
    made = cli("trust", "create", "--project", demo["project"]["id"], "--role", "member", "--impersonate",
               admin, demo["user"]["id"])
    assert made["trustor_user_id"] == admin and made["is_impersonation"] is True and "member" in str(made["roles"])
    assert cli("trust", "show", made["id"])["project_id"] == demo["project"]["id"]
    assert made["id"] in {t["ID"] for t in cli("trust", "list")}
    cli("trust", "delete", made["id"])
    assert cli("trust", "show", made["id"], check=False).returncode != 0


def test_create_show_roles_and_list(http, world, admin_token):
    w = world
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
    trust = make_trust(http, w, expires_at=expires.isoformat() + "Z", color="blue")["trust"]
    assert trust["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert trust["trustor_user_id"] == w.trustor and trust["trustee_user_id"] == w.trustee
    assert trust["remaining_uses"] is None and trust["redelegation_count"] == 0 and trust["color"] == "blue"
    assert [r["id"] for r in trust["roles"]] == [w.delegated["id"]]
    assert trust["roles"][0]["links"]["self"].endswith(f"/v3/roles/{w.delegated['id']}")
    assert "v3/OS-TRUST/trusts" in trust["links"]["self"]
    url = f"{V3}/OS-TRUST/trusts/{trust['id']}"
    for token in (w.trustor_token, w.trustee_token, admin_token):
        assert ok(http.get(url, headers=h(token)))["trust"]["id"] == trust["id"]
    roles = ok(http.get(f"{url}/roles", headers=h(w.trustor_token)))["roles"]
    assert [(r["id"], r["name"]) for r in roles] == [(w.delegated["id"], w.delegated["name"])]
    assert ok(http.get(f"{url}/roles/{w.delegated['id']}", headers=h(w.trustee_token)))["role"]["id"] == \
        w.delegated["id"]
    assert http.head(f"{url}/roles/{w.delegated['id']}", headers=h(w.trustor_token)).status_code == 200
    assert http.get(f"{url}/roles/{w.other['id']}", headers=h(w.trustor_token)).status_code == 404
    assert http.head(f"{url}/roles/{w.other['id']}", headers=h(w.trustor_token)).status_code == 404
    mine = ok(http.get(f"{V3}/OS-TRUST/trusts", params={"trustor_user_id": w.trustor},
                       headers=h(w.trustor_token)))["trusts"]
    assert [t["id"] for t in mine] == [trust["id"]] and "roles" not in mine[0]
    theirs = ok(http.get(f"{V3}/OS-TRUST/trusts", params={"trustee_user_id": w.trustee},
                         headers=h(w.trustee_token)))["trusts"]
    assert [t["id"] for t in theirs] == [trust["id"]]
    assert trust["id"] in {t["id"] for t in ok(http.get(f"{V3}/OS-TRUST/trusts", headers=h(admin_token)))["trusts"]}
    assert http.get(f"{V3}/OS-TRUST/trusts", headers=h(w.trustor_token)).status_code == 403
    assert http.get(f"{V3}/OS-TRUST/trusts", params={"trustor_user_id": w.trustee},
                    headers=h(w.trustor_token)).status_code == 403


def test_create_errors(http, world, demo_token):
    w = world
    make_trust(http, w, 403, trustor_user_id=w.trustee)                     # not the caller
    make_trust(http, w, 404, trustee_user_id=unique("nobody"))
    make_trust(http, w, 404, roles=[{"id": w.other["id"]}, {"name": "admin"}])   # trustor lacks admin
    make_trust(http, w, 404, roles=[{"name": unique("no-role")}])
    make_trust(http, w, 403, roles=[])
    make_trust(http, w, 400, expires_at="bad.123Z")
    make_trust(http, w, 400, expires_at="2001-01-01T00:00:00Z")
    make_trust(http, w, 400, remaining_uses=0)
    make_trust(http, w, 400, impersonation="yes")
    make_trust(http, w, 400, roles=[{"id": "a", "name": "b"}])
    make_trust(http, w, 400, allow_redelegation=True, remaining_uses=2)
    make_trust(http, w, 403, allow_redelegation=True, redelegation_count=9)
    first = make_trust(http, w)["trust"]
    # keystone's unique constraint: the same trust with the same expiry is a conflict; without an
    # expiry NULLs never collide, so a second one is a new trust (Heat holds one per stack)
    expiry = "2099-01-01T00:00:00.000000Z"
    make_trust(http, w, expires_at=expiry)
    assert make_trust(http, w, 409, expires_at=expiry)["error"]["code"] == 409
    assert make_trust(http, w)["trust"]["id"] != first["id"]
    r = http.post(f"{V3}/OS-TRUST/trusts", json={"trust": {"trustor_user_id": w.trustor}},
                  headers=h(w.trustor_token))
    assert r.status_code == 400
    assert http.post(f"{V3}/OS-TRUST/trusts", json={"trust": {}}).status_code == 401
    url = f"{V3}/OS-TRUST/trusts/{first['id']}"
    assert http.get(url, headers=h(demo_token)).status_code == 403           # unrelated user
    assert http.delete(url, headers=h(w.trustee_token)).status_code == 403   # only trustor (or admin)
    assert http.get(f"{V3}/OS-TRUST/trusts/{unique('none')}", headers=h(w.trustor_token)).status_code == 404


@pytest.mark.parametrize("impersonation", [True, False])
def test_trust_scoped_token(http, world, impersonation):
    w = world
    trust = make_trust(http, w, impersonation=impersonation)["trust"]
    body = whoami(http, trust_token(http, w, trust["id"]))
    assert body["user"]["id"] == (w.trustor if impersonation else w.trustee)
    assert body["project"]["id"] == w.project
    assert [r["name"] for r in body["roles"]] == [w.delegated["name"]]
    assert body["OS-TRUST:trust"] == {"id": trust["id"], "impersonation": impersonation,
                                      "trustee_user": {"id": w.trustee}, "trustor_user": {"id": w.trustor}}
    other = password_token(http, w.trustor, {"project": {"id": w.project}})
    trust_token_by = {"auth": {"identity": {"methods": ["token"], "token": {"id": other}},
                               "scope": {"OS-TRUST:trust": {"id": trust["id"]}}}}
    assert http.post(f"{V3}/auth/tokens", json=trust_token_by).status_code == 403   # trustor is not the trustee


def test_remaining_uses_run_out(http, world):
    w = world
    trust = make_trust(http, w, remaining_uses=1)["trust"]
    assert trust["remaining_uses"] == 1
    token = trust_token(http, w, trust["id"])
    assert whoami(http, token)["OS-TRUST:trust"]["id"] == trust["id"]
    trust_token(http, w, trust["id"], 404)
    assert http.get(f"{V3}/OS-TRUST/trusts/{trust['id']}", headers=h(w.trustor_token)).status_code == 404


def test_deleting_the_trust_invalidates_its_tokens(http, world, admin_token):
    w = world
    trust = make_trust(http, w)["trust"]
    token = trust_token(http, w, trust["id"])
    assert http.get(f"{V3}/auth/projects", headers=h(token)).status_code == 200
    assert http.delete(f"{V3}/OS-TRUST/trusts/{trust['id']}", headers=h(w.trustor_token)).status_code == 204
    assert http.get(f"{V3}/auth/projects", headers=h(token)).status_code == 401
    assert http.get(f"{V3}/auth/tokens", headers={**h(admin_token), "X-Subject-Token": token}).status_code == 404
    trust_token(http, w, trust["id"], 404)
    assert http.delete(f"{V3}/OS-TRUST/trusts/{trust['id']}", headers=h(w.trustor_token)).status_code == 404


def test_trustor_losing_the_role_invalidates_tokens(http, world, admin_token):
    w = world
    trust = make_trust(http, w)["trust"]
    token = trust_token(http, w, trust["id"])
    assert whoami(http, token)["roles"]
    grant = f"{V3}/projects/{w.project}/users/{w.trustor}/roles/{w.delegated['id']}"
    assert http.delete(grant, headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/auth/tokens", headers={**h(admin_token), "X-Subject-Token": token}).status_code == 404
    trust_token(http, w, trust["id"], 403)


def test_delegated_tokens_are_fenced(http, world):
    w = world
    trust = make_trust(http, w, impersonation=False)["trust"]
    token = trust_token(http, w, trust["id"])
    r = http.post(f"{V3}/users/{w.trustee}/application_credentials",
                  json={"application_credential": {"name": unique("ac")}}, headers=h(token))
    assert r.status_code == 403
    assert http.get(f"{V3}/credentials", headers=h(token)).json()["credentials"] == []
    ac = ok(http.post(f"{V3}/users/{w.trustor}/application_credentials",
                      json={"application_credential": {"name": unique("ac"), "unrestricted": True}},
                      headers=h(w.trustor_token)), 201)["application_credential"]
    r = http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["application_credential"],
                  "application_credential": {"id": ac["id"], "secret": ac["secret"]}}}})
    ac_token = r.headers["X-Subject-Token"]
    body = {"trustor_user_id": w.trustor, "trustee_user_id": w.trustee, "impersonation": False}
    assert http.post(f"{V3}/OS-TRUST/trusts", json={"trust": body}, headers=h(ac_token)).status_code == 403
    assert http.get(f"{V3}/OS-TRUST/trusts/{trust['id']}", headers=h(ac_token)).status_code == 403


def test_redelegation(http, world, admin_token):
    w = world
    third = ok(http.post(f"{V3}/users", json={"user": {"name": unique("third"), "password": PASSWORD}},
                         headers=h(admin_token)), 201)["user"]["id"]
    parent = make_trust(http, w, impersonation=False, allow_redelegation=True)["trust"]
    assert parent["redelegation_count"] == 3
    token = trust_token(http, w, parent["id"])
    body = {"trustor_user_id": w.trustee, "trustee_user_id": third, "project_id": w.project,
            "impersonation": False, "roles": [{"id": w.delegated["id"]}], "allow_redelegation": True}
    child = ok(http.post(f"{V3}/OS-TRUST/trusts", json={"trust": body}, headers=h(token)), 201)["trust"]
    assert child["redelegated_trust_id"] == parent["id"] and child["redelegation_count"] == 2
    wider = {**body, "roles": [{"id": w.other["id"]}]}
    assert http.post(f"{V3}/OS-TRUST/trusts", json={"trust": wider}, headers=h(token)).status_code in (403, 404)
    impersonating = {**body, "impersonation": True, "expires_at": None}
    assert http.post(f"{V3}/OS-TRUST/trusts", json={"trust": impersonating}, headers=h(token)).status_code == 403
    final = make_trust(http, w, impersonation=False, expires_at="2099-01-01T00:00:00Z")["trust"]
    final_token = trust_token(http, w, final["id"])
    assert http.post(f"{V3}/OS-TRUST/trusts", json={"trust": {**body, "trustee_user_id": w.trustor}},
                     headers=h(final_token)).status_code == 403             # not redelegatable
    assert http.delete(f"{V3}/OS-TRUST/trusts/{parent['id']}", headers=h(w.trustor_token)).status_code == 204
    assert http.get(f"{V3}/OS-TRUST/trusts/{child['id']}", headers=h(admin_token)).status_code == 404
