"""Application credentials and access rules: CRUD, policy, and authenticating with them end to end."""

from __future__ import annotations

import datetime as dt
import time

import openstack

from tests.conftest import unique

V3 = "/identity/v3"
RULE = {"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def whoami(http, token: str) -> dict:
    r = http.get(f"{V3}/auth/tokens", headers={**h(token), "X-Subject-Token": token})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def create(http, token: str, user_id: str, status: int = 201, **fields) -> dict:
    body = {"name": unique("ac"), **fields}
    r = http.post(f"{V3}/users/{user_id}/application_credentials", json={"application_credential": body},
                  headers=h(token))
    assert r.status_code == status, r.text
    return r.json()


def login(http, status: int = 201, **ref) -> str:
    r = http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["application_credential"],
                                                                   "application_credential": ref}}})
    assert r.status_code == status, r.text
    return r.headers.get("X-Subject-Token", "")


def test_cli_create_then_sdk_connection(cloud, cli):
    name = unique("cli-ac")
    made = cli("application", "credential", "create", name, "--description", "from the CLI", os_cloud="pocketstack")
    assert made["Secret"] and made["Name"] == name and made["Project ID"]
    assert {r["name"] for r in made["Roles"]} == {"member", "reader"}
    listed = cli("application", "credential", "list", os_cloud="pocketstack")
    assert name in {a["Name"] for a in listed}
    auth_url = cloud.clouds()["pocketstack"]["auth"]["auth_url"]
    conn = openstack.connect(auth_type="v3applicationcredential", auth={
        "auth_url": auth_url, "application_credential_id": made["ID"],
        "application_credential_secret": made["Secret"]})
    assert conn.session.get_project_id() == made["Project ID"]
    own = list(conn.identity.application_credentials(user=conn.session.get_user_id()))
    assert made["ID"] in {a.id for a in own}
    cli("application", "credential", "delete", name, os_cloud="pocketstack")
    assert name not in {a["Name"] for a in cli("application", "credential", "list", os_cloud="pocketstack")}


def test_create_show_list_and_secret_handling(http, demo_token):
    me = whoami(http, demo_token)
    uid = me["user"]["id"]
    ac = create(http, demo_token, uid, description="d", secret="my-own-secret")["application_credential"]
    assert ac["secret"] == "my-own-secret" and ac["project_id"] == me["project"]["id"]
    assert ac["unrestricted"] is False and ac["expires_at"] is None and ac["user_id"] == uid
    assert {r["name"] for r in ac["roles"]} == {r["name"] for r in me["roles"]}
    assert "access_rules" not in ac and ac["links"]["self"].endswith(ac["id"])
    generated = create(http, demo_token, uid)["application_credential"]
    assert len(generated["secret"]) >= 64
    shown = http.get(f"{V3}/users/{uid}/application_credentials/{ac['id']}", headers=h(demo_token)).json()
    assert "secret" not in shown["application_credential"] and shown["application_credential"]["name"] == ac["name"]
    listed = http.get(f"{V3}/users/{uid}/application_credentials", headers=h(demo_token)).json()
    assert {ac["id"], generated["id"]} <= {a["id"] for a in listed["application_credentials"]}
    assert all("secret" not in a for a in listed["application_credentials"])
    one = http.get(f"{V3}/users/{uid}/application_credentials", params={"name": ac["name"]},
                   headers=h(demo_token)).json()["application_credentials"]
    assert [a["id"] for a in one] == [ac["id"]]


def test_authenticate_by_id_and_by_name(http, demo_token):
    me = whoami(http, demo_token)
    uid = me["user"]["id"]
    ac = create(http, demo_token, uid)["application_credential"]
    token = login(http, id=ac["id"], secret=ac["secret"])
    body = whoami(http, token)
    assert body["methods"] == ["application_credential"] and body["project"]["id"] == me["project"]["id"]
    assert body["application_credential"] == {"id": ac["id"], "name": ac["name"], "restricted": True}
    assert login(http, name=ac["name"], user={"id": uid}, secret=ac["secret"])
    assert login(http, name=ac["name"], user={"name": "demo", "domain": {"id": "default"}}, secret=ac["secret"])
    login(http, 401, id=ac["id"], secret="wrong")
    login(http, 401, id="nope", secret="x")


def test_expires_at(http, demo_token):
    uid = whoami(http, demo_token)["user"]["id"]
    soon = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=2)
    ac = create(http, demo_token, uid, expires_at=soon.isoformat())["application_credential"]
    assert ac["expires_at"] == soon.strftime("%Y-%m-%dT%H:%M:%S.%f")
    token = login(http, id=ac["id"], secret=ac["secret"])
    assert dt.datetime.fromisoformat(whoami(http, token)["expires_at"].rstrip("Z")) <= soon
    time.sleep(2.5)
    login(http, 401, id=ac["id"], secret=ac["secret"])
    create(http, demo_token, uid, 400, expires_at="2001-01-01T00:00:00Z")
    create(http, demo_token, uid, 400, expires_at="bad.123Z")


def test_roles_subset_of_the_token(http, demo_token):
    me = whoami(http, demo_token)
    uid = me["user"]["id"]
    ac = create(http, demo_token, uid, roles=[{"name": "reader"}])["application_credential"]
    assert [r["name"] for r in ac["roles"]] == ["reader"]
    roles = whoami(http, login(http, id=ac["id"], secret=ac["secret"]))["roles"]
    assert [r["name"] for r in roles] == ["reader"]
    member = next(r for r in me["roles"] if r["name"] == "member")
    implied = create(http, demo_token, uid, roles=[{"id": member["id"]}])["application_credential"]
    assert {r["name"] for r in implied["roles"]} == {"member", "reader"}      # implied roles come along
    err = create(http, demo_token, uid, 400, roles=[{"name": "admin"}])["error"]
    assert "unassigned role" in err["message"]
    create(http, demo_token, uid, 404, roles=[{"name": unique("no-such-role")}])
    create(http, demo_token, uid, 400, roles=[{"id": "x", "name": "y"}])


def test_restricted_credentials_cannot_manage_credentials(http, demo_token):
    uid = whoami(http, demo_token)["user"]["id"]
    restricted = create(http, demo_token, uid)["application_credential"]
    token = login(http, id=restricted["id"], secret=restricted["secret"])
    err = create(http, token, uid, 403)["error"]
    assert "application_credential" in err["message"]
    url = f"{V3}/users/{uid}/application_credentials/{restricted['id']}"
    assert http.delete(url, headers=h(token)).status_code == 403
    assert http.get(url, headers=h(token)).status_code == 200
    free = create(http, demo_token, uid, unrestricted=True)["application_credential"]
    assert free["unrestricted"] is True
    free_token = login(http, id=free["id"], secret=free["secret"])
    child = create(http, free_token, uid)["application_credential"]
    assert http.delete(f"{V3}/users/{uid}/application_credentials/{child['id']}",
                       headers=h(free_token)).status_code == 204


def test_delete_revokes_tokens(http, demo_token, admin_token):
    uid = whoami(http, demo_token)["user"]["id"]
    ac = create(http, demo_token, uid)["application_credential"]
    token = login(http, id=ac["id"], secret=ac["secret"])
    assert http.get(f"{V3}/users/{uid}/application_credentials", headers=h(token)).status_code == 200
    url = f"{V3}/users/{uid}/application_credentials/{ac['id']}"
    assert http.delete(url, headers=h(demo_token)).status_code == 204
    assert http.get(f"{V3}/auth/tokens", headers={**h(admin_token), "X-Subject-Token": token}).status_code == 404
    assert http.get(f"{V3}/users/{uid}/application_credentials", headers=h(token)).status_code == 401
    login(http, 401, id=ac["id"], secret=ac["secret"])
    assert http.get(url, headers=h(demo_token)).status_code == 404
    assert http.delete(url, headers=h(demo_token)).status_code == 404


def test_credential_stops_working_when_the_user_loses_the_roles(http, admin_token):
    admin = {"X-Auth-Token": admin_token}
    pid = http.post(f"{V3}/projects", json={"project": {"name": unique("acp")}}, headers=admin).json()["project"]["id"]
    user = http.post(f"{V3}/users", json={"user": {"name": unique("acu"), "password": "Pw-12345"}},
                     headers=admin).json()["user"]["id"]
    reader = http.get(f"{V3}/roles", params={"name": "reader"}, headers=admin).json()["roles"][0]["id"]
    grant = f"{V3}/projects/{pid}/users/{user}/roles/{reader}"
    assert http.put(grant, headers=admin).status_code == 204
    r = http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": user, "password": "Pw-12345"}}}, "scope": {"project": {"id": pid}}}})
    ac = create(http, r.headers["X-Subject-Token"], user)["application_credential"]
    token = login(http, id=ac["id"], secret=ac["secret"])
    assert [r["name"] for r in whoami(http, token)["roles"]] == ["reader"]
    assert http.delete(grant, headers=admin).status_code == 204
    login(http, 401, id=ac["id"], secret=ac["secret"])
    assert http.get(f"{V3}/auth/tokens", headers={**admin, "X-Subject-Token": token}).status_code == 404


def test_conflicts_validation_and_policy(http, demo_token, admin_token):
    uid = whoami(http, demo_token)["user"]["id"]
    admin = whoami(http, admin_token)["user"]["id"]
    name = unique("same")
    create(http, demo_token, uid, name=name)
    err = create(http, demo_token, uid, 409, name=name)["error"]
    assert err["code"] == 409 and name in err["message"]
    create(http, admin_token, admin, name=name)                       # unique per user only
    r = http.post(f"{V3}/users/{uid}/application_credentials", json={"application_credential": {}},
                  headers=h(demo_token))
    assert r.status_code == 400
    create(http, demo_token, uid, 400, bogus=True)
    create(http, demo_token, uid, 400, access_rules=[{**RULE, "method": "FETCH"}])
    create(http, demo_token, uid, 400, access_rules=[{**RULE, "path": "no-slash"}])
    create(http, demo_token, admin, 403)                              # not yourself
    theirs = create(http, admin_token, admin)["application_credential"]
    for path in (f"{V3}/users/{admin}/application_credentials/{theirs['id']}",
                 f"{V3}/users/{uid}/application_credentials/{theirs['id']}"):
        assert http.get(path, headers=h(demo_token)).status_code == 403
        assert http.delete(path, headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{admin}/application_credentials", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{uid}/application_credentials", headers=h(admin_token)).status_code == 200
    assert http.get(f"{V3}/users/{uid}/application_credentials/missing", headers=h(demo_token)).status_code == 404
    assert http.get(f"{V3}/users/{uid}/application_credentials").status_code == 401


# --- access rules ------------------------------------------------------------------------
def test_access_rules_create_reuse_show_delete(http, demo_token):
    uid = whoami(http, demo_token)["user"]["id"]
    ac = create(http, demo_token, uid, access_rules=[RULE])["application_credential"]
    rule = ac["access_rules"][0]
    assert {k: v for k, v in rule.items() if k != "id"} == RULE
    shown = http.get(f"{V3}/users/{uid}/application_credentials/{ac['id']}", headers=h(demo_token)).json()
    assert shown["application_credential"]["access_rules"] == [rule]
    token = whoami(http, login(http, id=ac["id"], secret=ac["secret"]))
    assert token["application_credential"]["access_rules"] == [rule]
    same = create(http, demo_token, uid, access_rules=[RULE])["application_credential"]
    by_id = create(http, demo_token, uid, access_rules=[{"id": rule["id"]}])["application_credential"]
    assert same["access_rules"][0]["id"] == by_id["access_rules"][0]["id"] == rule["id"]
    base = f"{V3}/users/{uid}/access_rules"
    listed = http.get(base, headers=h(demo_token)).json()["access_rules"]
    assert [r["id"] for r in listed].count(rule["id"]) == 1
    assert http.get(base, params={"service": "compute"}, headers=h(demo_token)).json()["access_rules"]
    assert not http.get(base, params={"service": "nothing"}, headers=h(demo_token)).json()["access_rules"]
    one = http.get(f"{base}/{rule['id']}", headers=h(demo_token)).json()["access_rule"]
    assert one["method"] == "GET" and one["links"]["self"].endswith(f"/access_rules/{rule['id']}")
    assert http.delete(f"{base}/{rule['id']}", headers=h(demo_token)).status_code == 403   # in use
    for cred in (ac, same, by_id):
        http.delete(f"{V3}/users/{uid}/application_credentials/{cred['id']}", headers=h(demo_token))
    assert rule["id"] in {r["id"] for r in http.get(base, headers=h(demo_token)).json()["access_rules"]}
    assert http.delete(f"{base}/{rule['id']}", headers=h(demo_token)).status_code == 204
    assert http.get(f"{base}/{rule['id']}", headers=h(demo_token)).status_code == 404
    assert http.delete(f"{base}/{rule['id']}", headers=h(demo_token)).status_code == 404


def test_access_rules_belong_to_their_user(cloud, http, demo_token, admin_token):
    uid = whoami(http, demo_token)["user"]["id"]
    admin = whoami(http, admin_token)["user"]["id"]
    mine = create(http, demo_token, uid, access_rules=[{**RULE, "service": "image"}])["application_credential"]
    rule_id = mine["access_rules"][0]["id"]
    create(http, admin_token, admin, 404, access_rules=[{"id": rule_id}])      # someone else's rule
    create(http, demo_token, uid, 404, access_rules=[{"id": unique("unknown")}])
    assert http.get(f"{V3}/users/{admin}/access_rules", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{admin}/access_rules/{rule_id}", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{V3}/users/{admin}/access_rules/{rule_id}", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{uid}/access_rules", headers=h(admin_token)).status_code == 403
    system = cloud.token("devstack-system-admin")
    assert http.get(f"{V3}/users/{uid}/access_rules", headers=h(system)).status_code == 200
    assert http.get(f"{V3}/users/{uid}/access_rules").status_code == 401
