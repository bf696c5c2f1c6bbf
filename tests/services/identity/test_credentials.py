"""Credentials (/v3/credentials) and EC2 credentials (/v3/users/{id}/credentials/OS-EC2)."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from tests.conftest import unique

V3 = "/identity/v3"


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def whoami(http, token: str) -> dict:
    r = http.get(f"{V3}/auth/tokens", headers={**h(token), "X-Subject-Token": token})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def ec2_blob(access: str | None = None) -> str:
    return json.dumps({"access": access or unique("acc"), "secret": unique("sec")})


def create(http, token: str, status: int = 201, **fields) -> dict:
    r = http.post(f"{V3}/credentials", json={"credential": fields}, headers=h(token))
    assert r.status_code == status, r.text
    return r.json()


def app_cred_token(http, token: str, user_id: str) -> str:
    r = http.post(f"{V3}/users/{user_id}/application_credentials",
                  json={"application_credential": {"name": unique("ac")}}, headers=h(token))
    assert r.status_code == 201, r.text
    ac = r.json()["application_credential"]
    r = http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["application_credential"],
                  "application_credential": {"id": ac["id"], "secret": ac["secret"]}}}})
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


# --- /v3/credentials --------------------------------------------------------------------
def test_cli_credential_lifecycle(cli):
    data = json.dumps({"access": unique("a"), "secret": "s"})
    cred = cli("credential", "create", "--type", "ec2", "--project", "demo", "demo", data)
    assert cred["type"] == "ec2" and json.loads(cred["blob"]) == json.loads(data)
    assert cred["id"] == hashlib.sha256(json.loads(data)["access"].encode()).hexdigest()
    assert cli("credential", "show", cred["id"])["user_id"] == cred["user_id"]
    assert cred["id"] in {c["ID"] for c in cli("credential", "list", "--type", "ec2")}
    new = json.dumps({"access": json.loads(data)["access"], "secret": "changed"})
    cli("credential", "set", "--user", "demo", "--type", "ec2", "--data", new, "--project", "demo", cred["id"])
    assert json.loads(cli("credential", "show", cred["id"])["blob"])["secret"] == "changed"
    cli("credential", "delete", cred["id"])
    assert cli("credential", "show", cred["id"], check=False).returncode != 0


def test_create_show_update_delete_over_http(http, admin_token, demo_token):
    me = whoami(http, demo_token)
    body = create(http, demo_token, type="cert", user_id=me["user"]["id"], blob="-----BEGIN-----", extra_key="x")
    cred = body["credential"]
    assert len(cred["id"]) == 32 and cred["project_id"] is None and cred["extra_key"] == "x"
    assert cred["links"]["self"].endswith(f"/v3/credentials/{cred['id']}")
    url = f"{V3}/credentials/{cred['id']}"
    r = http.patch(url, json={"credential": {"blob": "updated"}}, headers=h(demo_token))
    assert r.status_code == 200 and r.json()["credential"]["blob"] == "updated"
    assert http.get(url, headers=h(demo_token)).json()["credential"]["blob"] == "updated"
    assert http.delete(url, headers=h(demo_token)).status_code == 204
    assert http.get(url, headers=h(admin_token)).status_code == 404


def test_blob_is_encrypted_at_rest(cloud, http, demo_token):
    me = whoami(http, demo_token)
    marker = unique("plaintext-marker")
    cred = create(http, demo_token, type="cert", user_id=me["user"]["id"], blob=marker)["credential"]
    engine = sa.create_engine(cloud.database_url or f"sqlite:///{cloud.data_dir / 'pocketstack.db'}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT encrypted_blob FROM identity_credentials WHERE id = :i"),
                              {"i": cred["id"]}).scalar()
    engine.dispose()
    assert stored and marker not in stored


def test_users_see_only_their_own_and_filters(http, admin_token, demo_token):
    me = whoami(http, demo_token)["user"]["id"]
    admin = whoami(http, admin_token)["user"]["id"]
    mine = create(http, demo_token, type="cert", user_id=me, blob="m")["credential"]
    theirs = create(http, admin_token, type="totp", user_id=admin, blob="t")["credential"]
    listed = {c["id"] for c in http.get(f"{V3}/credentials", headers=h(demo_token)).json()["credentials"]}
    assert mine["id"] in listed and theirs["id"] not in listed
    everything = http.get(f"{V3}/credentials", headers=h(admin_token)).json()["credentials"]
    assert {mine["id"], theirs["id"]} <= {c["id"] for c in everything}
    by_user = http.get(f"{V3}/credentials", params={"user_id": me}, headers=h(admin_token)).json()["credentials"]
    assert by_user and {c["user_id"] for c in by_user} == {me}
    by_type = http.get(f"{V3}/credentials", params={"type": "totp"}, headers=h(admin_token)).json()["credentials"]
    assert theirs["id"] in {c["id"] for c in by_type} and {c["type"] for c in by_type} == {"totp"}
    url = f"{V3}/credentials/{theirs['id']}"
    assert http.get(url, headers=h(demo_token)).status_code == 403
    assert http.patch(url, json={"credential": {"blob": "x"}}, headers=h(demo_token)).status_code == 403
    assert http.delete(url, headers=h(demo_token)).status_code == 403


def test_create_validation_and_auth_errors(http, admin_token, demo_token):
    me = whoami(http, demo_token)
    uid, pid = me["user"]["id"], me["project"]["id"]
    create(http, demo_token, 400, type="cert", user_id=uid)                            # no blob
    create(http, demo_token, 400, type="ec2", user_id=uid, blob=ec2_blob())            # ec2 needs project_id
    create(http, demo_token, 400, type="ec2", user_id=uid, project_id=pid, blob="{not json")
    create(http, demo_token, 400, type="ec2", user_id=uid, project_id=pid, blob=json.dumps({"secret": "s"}))
    create(http, demo_token, 400, type=5, user_id=uid, blob="x")
    admin = whoami(http, admin_token)["user"]["id"]
    create(http, demo_token, 403, type="cert", user_id=admin, blob="x")                # someone else's
    assert http.post(f"{V3}/credentials", json={"credential": {"type": "cert", "user_id": uid,
                                                               "blob": "x"}}).status_code == 401
    assert http.get(f"{V3}/credentials", headers=h("not-a-token")).status_code == 401
    assert http.get(f"{V3}/credentials/nope", headers=h(admin_token)).status_code == 404


def test_ec2_duplicate_access_is_409(http, demo_token):
    me = whoami(http, demo_token)
    access = unique("dup")
    blob = ec2_blob(access)
    spec = {"type": "ec2", "user_id": me["user"]["id"], "project_id": me["project"]["id"], "blob": blob}
    first = create(http, demo_token, **spec)["credential"]
    assert first["id"] == hashlib.sha256(access.encode()).hexdigest()
    err = create(http, demo_token, 409, **spec)["error"]
    assert err["code"] == 409 and first["id"] in err["message"]


def test_update_rules(http, demo_token):
    me = whoami(http, demo_token)
    access = unique("acc")
    cred = create(http, demo_token, type="ec2", user_id=me["user"]["id"], project_id=me["project"]["id"],
                  blob=ec2_blob(access))["credential"]
    url = f"{V3}/credentials/{cred['id']}"
    for bad in ({"type": "cert"}, {"user_id": "someone"}, {"blob": json.dumps({"secret": "x"})},
                {"blob": json.dumps({"access": access, "trust_id": "t"})}, {"unknown": 1}, {}):
        r = http.patch(url, json={"credential": bad}, headers=h(demo_token))
        assert r.status_code in (400, 403), (bad, r.text)
    assert http.patch(url, json={"credential": {"type": "cert"}}, headers=h(demo_token)).status_code == 400
    assert http.patch(f"{V3}/credentials/missing", json={"credential": {"blob": "x"}},
                      headers=h(demo_token)).status_code == 403   # no target: not the owner


def test_delegated_tokens_cannot_touch_credentials(http, demo_token):
    me = whoami(http, demo_token)
    cred = create(http, demo_token, type="cert", user_id=me["user"]["id"], blob="d")["credential"]
    token = app_cred_token(http, demo_token, me["user"]["id"])
    assert http.get(f"{V3}/credentials/{cred['id']}", headers=h(token)).status_code == 403
    assert http.get(f"{V3}/credentials", headers=h(token)).json()["credentials"] == []
    create(http, token, 403, type="cert", user_id=me["user"]["id"], blob="x")


# --- OS-EC2 -------------------------------------------------------------------------------
def test_cli_ec2_credentials(cli):
    made = cli("ec2", "credentials", "create", os_cloud="pocketstack")
    assert made["access"] and made["secret"]
    listed = cli("ec2", "credentials", "list", os_cloud="pocketstack")
    assert made["access"] in {c["Access"] for c in listed}
    shown = cli("ec2", "credentials", "show", made["access"], os_cloud="pocketstack")
    assert shown["secret"] == made["secret"]
    cli("ec2", "credentials", "delete", made["access"], os_cloud="pocketstack")
    assert cli("ec2", "credentials", "show", made["access"], os_cloud="pocketstack", check=False).returncode != 0


def test_ec2_http_shapes_and_storage(http, demo_token, admin_token):
    me = whoami(http, demo_token)
    uid, pid = me["user"]["id"], me["project"]["id"]
    base = f"{V3}/users/{uid}/credentials/OS-EC2"
    r = http.post(base, json={"tenant_id": pid}, headers=h(demo_token))
    assert r.status_code == 201, r.text
    ec2 = r.json()["credential"]
    assert ec2["user_id"] == uid and ec2["tenant_id"] == pid and ec2["trust_id"] is None
    assert ec2["links"]["self"].endswith(f"/users/{uid}/credentials/OS-EC2/{ec2['access']}")
    stored = http.get(f"{V3}/credentials/{hashlib.sha256(ec2['access'].encode()).hexdigest()}",
                      headers=h(demo_token)).json()["credential"]
    assert stored["type"] == "ec2" and json.loads(stored["blob"])["secret"] == ec2["secret"]
    listed = http.get(base, headers=h(demo_token)).json()["credentials"]
    assert ec2["access"] in {c["access"] for c in listed}
    assert http.get(f"{base}/{ec2['access']}", headers=h(demo_token)).json()["credential"] == ec2
    assert http.delete(f"{base}/{ec2['access']}", headers=h(demo_token)).status_code == 204
    assert http.get(f"{base}/{ec2['access']}", headers=h(demo_token)).status_code == 404


def test_ec2_errors(http, demo_token, admin_token):
    me = whoami(http, demo_token)
    uid, pid = me["user"]["id"], me["project"]["id"]
    admin = whoami(http, admin_token)["user"]["id"]
    base = f"{V3}/users/{uid}/credentials/OS-EC2"
    assert http.post(base, json={"tenant_id": "no-such-project"}, headers=h(demo_token)).status_code == 404
    assert http.post(base, json={"tenant_id": 7}, headers=h(demo_token)).status_code == 400
    assert http.post(f"{V3}/users/{admin}/credentials/OS-EC2", json={"tenant_id": pid},
                     headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/{admin}/credentials/OS-EC2", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/users/nobody/credentials/OS-EC2", headers=h(admin_token)).status_code == 404
    assert http.get(f"{base}/unknown-access", headers=h(demo_token)).status_code == 404
    assert http.get(base).status_code == 401
    theirs = http.post(f"{V3}/users/{admin}/credentials/OS-EC2", json={"tenant_id": pid},
                       headers=h(admin_token)).json()["credential"]
    assert http.get(f"{V3}/users/{admin}/credentials/OS-EC2/{theirs['access']}",
                    headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/users/{admin}/credentials/OS-EC2/{theirs['access']}",
                       headers=h(demo_token)).status_code == 403
    token = app_cred_token(http, demo_token, uid)
    assert http.post(base, json={"tenant_id": pid}, headers=h(token)).status_code == 403
