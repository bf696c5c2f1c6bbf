"""No secret in any log line: a cloud with --log-requests and debug logging takes a workload that
carries every kind of secret the APIs know (passwords, tokens, application credential secrets,
credential blobs, EC2 secrets, trusts, server admin passwords, Swift temp URL keys, dashboard
logins), then its whole log output is searched for each of them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, start_cloud, stop_cloud


def _secret(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(12)}"


class Workload:
    def __init__(self, url: str, object_store_url: str | None) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.object_store_url = object_store_url
        self.secrets: dict[str, str] = {"admin password": ADMIN_PASSWORD}

    def keep(self, what: str, value: str) -> str:
        self.secrets[f"{what} #{len(self.secrets)}"] = value
        return value

    def token(self, identity: dict[str, Any], scope: dict[str, Any] | None = None, expect: int = 201) -> str:
        body: dict[str, Any] = {"auth": {"identity": identity}}
        if scope:
            body["auth"]["scope"] = scope
        r = self.http.post("/identity/v3/auth/tokens", json=body)
        assert r.status_code == expect, r.text
        return self.keep("token", r.headers["X-Subject-Token"]) if expect == 201 else ""

    def password_token(self, user: dict[str, Any], password: str, project: str | None,
                       expect: int = 201) -> str:
        scope = {"project": {"id": project}} if project else None
        return self.token({"methods": ["password"], "password": {"user": {**user, "password": password}}},
                          scope, expect)

    def call(self, method: str, path: str, token: str, expect: tuple[int, ...], **kw: Any) -> httpx.Response:
        r = self.http.request(method, path, headers={"X-Auth-Token": token, **kw.pop("headers", {})}, **kw)
        assert r.status_code in expect, (method, path, r.status_code, r.text[:500])
        return r


def _ids(w: Workload, admin: str) -> dict[str, str]:
    listed = w.call("GET", "/identity/v3/projects", admin, (200,)).json()["projects"]
    projects = {p["name"]: p["id"] for p in listed}
    roles = {r["name"]: r["id"] for r in w.call("GET", "/identity/v3/roles", admin, (200,)).json()["roles"]}
    return {"demo": projects["demo"], "member": roles["member"]}


def identity_secrets(w: Workload) -> dict[str, str]:
    """Passwords, password changes, tokens, app credentials, credential blobs, EC2, trusts."""
    admin = w.password_token({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD, None)
    ids = _ids(w, admin)
    wrong = w.keep("wrong password", _secret("wrong"))
    w.password_token({"name": "admin", "domain": {"id": "default"}}, wrong, None, expect=401)
    password = w.keep("user password", _secret("pw"))
    user = w.call("POST", "/identity/v3/users", admin, (201,), json={"user": {
        "name": "logged", "password": password, "domain_id": "default"}}).json()["user"]
    grant = f"/identity/v3/projects/{ids['demo']}/users/{user['id']}/roles/{ids['member']}"
    w.call("PUT", grant, admin, (204,))
    token = w.password_token({"id": user["id"]}, password, ids["demo"])
    new_password = w.keep("changed password", _secret("newpw"))
    w.call("POST", f"/identity/v3/users/{user['id']}/password", token, (204,),
           json={"user": {"original_password": password, "password": new_password}})
    token = w.password_token({"id": user["id"]}, new_password, ids["demo"])
    admin_set = w.keep("password set by admin", _secret("adminset"))
    w.call("PATCH", f"/identity/v3/users/{user['id']}", admin, (200,), json={"user": {"password": admin_set}})
    token = w.password_token({"id": user["id"]}, admin_set, ids["demo"])
    app_secret = w.keep("application credential secret", _secret("appcred"))
    app = w.call("POST", f"/identity/v3/users/{user['id']}/application_credentials", token, (201,), json={
        "application_credential": {"name": "a", "secret": app_secret}}).json()["application_credential"]
    generated = w.call("POST", f"/identity/v3/users/{user['id']}/application_credentials", token, (201,),
                       json={"application_credential": {"name": "b"}}).json()["application_credential"]
    w.keep("generated application credential secret", generated["secret"])
    for cred in (app, generated):
        w.token({"methods": ["application_credential"],
                 "application_credential": {"id": cred["id"], "secret": cred["secret"]}})
    blob = w.keep("credential blob secret", _secret("blob"))
    w.call("POST", "/identity/v3/credentials", token, (201,), json={"credential": {
        "type": "totp", "user_id": user["id"], "blob": blob}})
    ec2_secret = w.keep("ec2 secret in a blob", _secret("ec2blob"))
    w.call("POST", "/identity/v3/credentials", token, (201,), json={"credential": {
        "type": "ec2", "user_id": user["id"], "project_id": ids["demo"],
        "blob": json.dumps({"access": secrets.token_hex(8), "secret": ec2_secret})}})
    ec2 = w.call("POST", f"/identity/v3/users/{user['id']}/credentials/OS-EC2", token, (201,),
                 json={"tenant_id": ids["demo"]}).json()["credential"]
    w.keep("OS-EC2 secret", ec2["secret"])
    w.call("GET", f"/identity/v3/users/{user['id']}/credentials/OS-EC2/{ec2['access']}", token, (200,))
    trust = w.call("POST", "/identity/v3/OS-TRUST/trusts", token, (201,), json={"trust": {
        "trustor_user_id": user["id"], "trustee_user_id": _admin_id(w, admin), "project_id": ids["demo"],
        "impersonation": False, "roles": [{"name": "member"}]}}).json()["trust"]
    w.token({"methods": ["token"], "token": {"id": admin}}, {"OS-TRUST:trust": {"id": trust["id"]}})
    w.call("GET", "/identity/v3/auth/tokens", admin, (200,), headers={"X-Subject-Token": token})
    w.call("GET", "/identity/v3/auth/tokens", admin, (404,), headers={"X-Subject-Token": w.keep(
        "bogus token", _secret("gAAAAAbogus"))})
    return {"admin": admin, "user": token, "user_id": user["id"], "project": ids["demo"]}


def _admin_id(w: Workload, admin: str) -> str:
    return w.call("GET", "/identity/v3/auth/tokens", admin, (200,),
                  headers={"X-Subject-Token": admin}).json()["token"]["user"]["id"]


def compute_secrets(w: Workload, token: str) -> None:
    flavor = next(f["id"] for f in w.call("GET", "/compute/v2.1/flavors", token, (200,)).json()["flavors"]
                  if f["name"] == "m1.nano")
    image = next(i["id"] for i in w.call("GET", "/image/v2/images", token, (200,)).json()["images"]
                 if i["name"].startswith("cirros"))
    server = w.call("POST", "/compute/v2.1/servers", token, (202,), json={"server": {
        "name": "logged", "flavorRef": flavor, "imageRef": image, "networks": "none",
        "adminPass": w.keep("server adminPass", _secret("adminpass"))}},
        headers={"OpenStack-API-Version": "compute 2.37"}).json()["server"]
    for _ in range(100):
        shown = w.call("GET", f"/compute/v2.1/servers/{server['id']}", token, (200,)).json()["server"]
        if shown["status"] == "ACTIVE":
            break
        time.sleep(0.1)
    w.call("POST", f"/compute/v2.1/servers/{server['id']}/action", token, (202,),
           json={"changePassword": {"adminPass": w.keep("changePassword", _secret("changepw"))}})
    w.call("POST", f"/compute/v2.1/servers/{server['id']}/action", token, (202,),
           json={"rebuild": {"imageRef": image,
                             "adminPass": w.keep("rebuild adminPass", _secret("rebuildpw"))}})


def object_store_secrets(w: Workload, token: str, project: str) -> None:
    key = w.keep("temp URL key", _secret("tempurl"))
    base = f"{w.object_store_url}/v1/AUTH_{project}"
    w.call("POST", base, token, (204,), headers={"X-Account-Meta-Temp-URL-Key": key})
    key2 = w.keep("temp URL key 2", _secret("tempurl2"))
    w.call("POST", base, token, (204,), headers={"X-Account-Meta-Temp-URL-Key-2": key2})
    w.call("PUT", f"{base}/c", token, (201, 202), headers={
        "X-Container-Meta-Temp-URL-Key": w.keep("container temp URL key", _secret("ctempurl"))})
    w.call("PUT", f"{base}/c/o", token, (201,), content=b"temp")
    w.call("HEAD", base, token, (204,))
    expires = int(time.time()) + 300
    path = f"/v1/AUTH_{project}/c/o"
    sig = hmac.new(key.encode(), f"GET\n{expires}\n{path}".encode(), hashlib.sha256).hexdigest()
    r = httpx.get(f"{w.object_store_url}{path}", params={"temp_url_sig": sig, "temp_url_expires": expires})
    assert r.status_code == 200 and r.content == b"temp"


def dashboard_login(w: Workload) -> None:
    with httpx.Client(base_url=str(w.http.base_url), follow_redirects=True, timeout=30) as c:
        page = c.get("/dashboard/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found
        csrf = found.group(1)
        for password in (ADMIN_PASSWORD, w.keep("dashboard wrong password", _secret("dashwrong"))):
            c.post("/dashboard/auth/login/", data={"username": "admin", "password": password,
                                                   "region": "RegionOne", "domain": "Default",
                                                   "csrfmiddlewaretoken": csrf})
        session = c.cookies.get("pocketstack_session")
        assert session
        w.keep("dashboard session cookie", session)


@pytest.fixture(scope="module")
def logged_cloud(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("logs")
    cloud = start_cloud(tmp, extra_args=["--log-level", "debug"])
    yield cloud, tmp / "server.log"
    stop_cloud(cloud)


def test_no_secret_reaches_the_log(logged_cloud):
    cloud, log = logged_cloud
    w = Workload(cloud.url, cloud.object_store_url)
    ids = identity_secrets(w)
    compute_secrets(w, ids["user"])
    object_store_secrets(w, ids["user"], ids["project"])
    dashboard_login(w)
    time.sleep(1)                                   # jobs (builds, rebuilds) log as they finish
    stop_cloud(cloud)                               # and the shutdown's own lines are in
    text = log.read_text(errors="replace")
    assert " /identity/v3/auth/tokens 201 " in text and "/dashboard/auth/login/ " in text   # the log is on
    found = {what: line for what, value in w.secrets.items() for line in text.splitlines()
             if value in line or value[:20] in line}
    assert not found, found
