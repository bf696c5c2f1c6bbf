"""Jobs keep ids, never a token; nova's jobs act as the `nova` service user for the user who asked
(a token identity mints for them, sent with X-Service-Token), so a build outlives the user's token,
revoked or expired (issue 14). X-Service-Token is checked as keystonemiddleware checks it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pocketstack.core.db import normalize_url
from tests.conftest import TEST_CONFIG, start_cloud, stop_cloud, unique, wait_until as _wait

DELAY = {"jobs": {"start_delay": 5}}       # every job waits 5 s: time to revoke the token first


@pytest.fixture(scope="module")
def delayed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cloud = start_cloud(tmp_path_factory.mktemp("delayed"), options=DELAY)
    yield cloud
    stop_cloud(cloud)


def _engine(cloud: Any) -> sa.Engine:
    url = cloud.database_url or f"sqlite:///{cloud.data_dir / 'pocketstack.db'}"
    return sa.create_engine(normalize_url(url))


def _at_rest(cloud: Any, secrets: list[str]) -> list[str]:
    """Every table, every row: where any of `secrets` is stored."""
    engine, found = _engine(cloud), []
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = repr(tuple(row))
                found += [f"{table.name}: {s[:12]}..." for s in secrets if s in text]
    engine.dispose()
    return found


def _payloads(cloud: Any) -> list[dict[str, Any]]:
    engine = _engine(cloud)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, payload FROM jobs")).all()
    engine.dispose()
    return [{"kind": k, **(json.loads(p) if isinstance(p, str) else p)} for k, p in rows]


def _boot(http: httpx.Client, token: str, network_id: str, image_id: str) -> str:
    r = http.post("/compute/v2.1/servers", headers={"X-Auth-Token": token}, json={"server": {
        "name": unique("outlive"), "flavorRef": "1", "imageRef": image_id,
        "networks": [{"uuid": network_id}]}})
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def _ids(http: httpx.Client, token: str) -> tuple[str, str, str]:
    h = {"X-Auth-Token": token}
    net = http.get("/networking/v2.0/networks?name=private", headers=h).json()["networks"][0]["id"]
    image = http.get("/image/v2/images?name=cirros-0.6.3-x86_64-disk", headers=h).json()["images"][0]["id"]
    project = http.get("/identity/v3/auth/tokens", headers={**h, "X-Subject-Token": token}).json()
    return net, image, project["token"]["project"]["id"]


def _server(http: httpx.Client, token: str, server_id: str) -> dict[str, Any]:
    h = {"X-Auth-Token": token}
    return _wait(lambda: http.get(f"/compute/v2.1/servers/{server_id}", headers=h).json(),
                 lambda b: b["server"]["status"] != "BUILD")["server"]


def test_jobs_outlive_a_revoked_token_and_keep_no_token(delayed):
    cloud = delayed
    waiter, doomed = cloud.token("pocketstack"), cloud.token("pocketstack")
    http = httpx.Client(base_url=cloud.url, timeout=60)
    as_waiter = {"X-Auth-Token": waiter}
    net, image, project = _ids(http, waiter)

    server_id = _boot(http, doomed, net, image)
    r = http.post("/volume/v3/volumes", headers={"X-Auth-Token": doomed}, json={"volume": {
        "size": 1, "imageRef": image, "name": "from-image"}})
    assert r.status_code == 202, r.text
    volume_id = r.json()["volume"]["id"]
    staged = http.post("/image/v2/images", headers={"X-Auth-Token": doomed}, json={
        "name": "staged", "disk_format": "raw", "container_format": "bare"}).json()["id"]
    assert http.put(f"/image/v2/images/{staged}/stage", headers={
        "X-Auth-Token": doomed, "Content-Type": "application/octet-stream"}, content=b"x" * 4096
                    ).status_code == 204
    assert http.post(f"/image/v2/images/{staged}/import", headers={"X-Auth-Token": doomed}, json={
        "method": {"name": "glance-direct"}}).status_code == 202

    pending = _payloads(cloud)
    build = [p for p in pending if p["kind"] == "compute.build_server"]
    assert build and build[0]["v"] == 2 and build[0]["caller"]["user_id"], pending
    assert build[0]["caller"]["project_id"] == project and "member" in build[0]["caller"]["roles"]
    assert build[0]["caller"]["request_id"].startswith("req-")
    assert _at_rest(cloud, [waiter, doomed]) == []

    revoke = http.delete("/identity/v3/auth/tokens", headers={**as_waiter, "X-Subject-Token": doomed})
    assert revoke.status_code == 204
    assert http.get("/compute/v2.1/servers", headers={"X-Auth-Token": doomed}).status_code == 401

    server = _server(http, waiter, server_id)
    assert server["status"] == "ACTIVE", server.get("fault")
    ports = http.get(f"/networking/v2.0/ports?device_id={server_id}", headers=as_waiter).json()["ports"]
    assert ports and all(p["project_id"] == project for p in ports)
    volume = _wait(lambda: http.get(f"/volume/v3/volumes/{volume_id}", headers=as_waiter).json()["volume"],
                   lambda v: v["status"] != "creating")
    assert volume["status"] == "available"
    imported = _wait(lambda: http.get(f"/image/v2/images/{staged}", headers=as_waiter).json(),
                     lambda i: i["status"] != "importing")
    assert imported["status"] == "active"

    stop = http.post(f"/compute/v2.1/servers/{server_id}/action", headers={"X-Auth-Token": waiter},
                     json={"os-stop": None})
    assert stop.status_code == 202
    assert http.delete("/identity/v3/auth/tokens", headers={
        "X-Auth-Token": cloud.token(), "X-Subject-Token": waiter}).status_code == 204
    fresh = cloud.token("pocketstack")
    as_fresh = {"X-Auth-Token": fresh}
    _wait(lambda: http.get(f"/compute/v2.1/servers/{server_id}", headers=as_fresh).json(),
          lambda b: b["server"]["status"] == "SHUTOFF" and b["server"]["OS-EXT-STS:task_state"] is None)
    assert http.delete(f"/compute/v2.1/servers/{server_id}", headers=as_fresh).status_code == 204
    _wait(lambda: http.get(f"/compute/v2.1/servers/{server_id}", headers=as_fresh).status_code,
          lambda status: status == 404)
    assert http.get(f"/networking/v2.0/ports?device_id={server_id}",
                    headers=as_fresh).json()["ports"] == []
    assert _at_rest(cloud, [waiter, doomed, fresh]) == []


def test_a_build_outlives_an_expired_token(tmp_path):
    identity = {**TEST_CONFIG["identity"], "token_expiration": 5}
    cloud = start_cloud(tmp_path, options={"jobs": {"start_delay": 7}, "identity": identity})
    try:
        http = httpx.Client(base_url=cloud.url, timeout=60)
        user = cloud.token("pocketstack")
        net, image, project = _ids(http, user)
        server_id = _boot(http, user, net, image)
        time.sleep(5.5)
        assert http.get("/compute/v2.1/servers", headers={"X-Auth-Token": user}).status_code == 401
        deadline = time.time() + 60
        while time.time() < deadline:
            server = http.get(f"/compute/v2.1/servers/{server_id}",
                              headers={"X-Auth-Token": cloud.token("pocketstack")}).json()["server"]
            if server["status"] != "BUILD":
                break
            time.sleep(0.3)
        assert server["status"] == "ACTIVE", server.get("fault")
        ports = http.get(f"/networking/v2.0/ports?device_id={server_id}",
                         headers={"X-Auth-Token": cloud.token("pocketstack")}).json()["ports"]
        assert ports and all(p["project_id"] == project for p in ports)

        # keystonemiddleware: with a valid service token, an expired user token is still accepted
        service = _service_user_token(http, cloud)
        r = http.get("/compute/v2.1/servers", headers={"X-Auth-Token": user, "X-Service-Token": service})
        assert r.status_code == 200 and server_id in {s["id"] for s in r.json()["servers"]}
    finally:
        stop_cloud(cloud)


def test_x_service_token_is_checked_as_keystonemiddleware_does(cloud, demo_token):
    http = httpx.Client(base_url=cloud.url, timeout=60)
    for bad in ("not-a-token", demo_token):     # invalid; valid but without the service role
        r = http.get("/compute/v2.1/servers", headers={"X-Auth-Token": demo_token, "X-Service-Token": bad})
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")
        r = http.get("/networking/v2.0/networks", headers={"X-Auth-Token": demo_token,
                                                           "X-Service-Token": bad})
        assert r.status_code == 401
    service = _service_user_token(http, cloud)
    r = http.get("/compute/v2.1/servers", headers={"X-Auth-Token": demo_token, "X-Service-Token": service})
    assert r.status_code == 200
    assert http.get("/compute/v2.1/servers", headers={"X-Auth-Token": "bogus", "X-Service-Token": service}
                    ).status_code == 401


def _service_user_token(http: httpx.Client, cloud: Any) -> str:
    """A token of a new user with the `service` role on project `service` (as DevStack's nova)."""
    admin = {"X-Auth-Token": cloud.token()}
    project = http.get("/identity/v3/projects?name=service", headers=admin).json()["projects"][0]["id"]
    return _member(http, admin, project, "service")[1]


def test_a_pending_v1_payload_with_a_token_still_runs(delayed):
    """Upgrade path: a build left pending by a release that stored the user's token (payload v1)
    runs as the user that token names, or, once it is revoked, as the server's owner."""
    cloud = delayed
    http = httpx.Client(base_url=cloud.url, timeout=60)
    waiter, kept, doomed = (cloud.token("pocketstack") for _ in range(3))
    net, image, project = _ids(http, waiter)
    servers = {token: _boot(http, token, net, image) for token in (kept, doomed)}
    engine = _engine(cloud)
    jobs = sa.Table("jobs", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        for job in conn.execute(sa.select(jobs).where(jobs.c.kind == "compute.build_server")).mappings():
            payload = job["payload"] if isinstance(job["payload"], dict) else json.loads(job["payload"])
            token = next(t for t, s in servers.items() if s == payload["server_id"])
            old = {"server_id": payload["server_id"], "token": token, "action_id": payload["action_id"]}
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(payload=old))
    engine.dispose()
    assert http.delete("/identity/v3/auth/tokens", headers={
        "X-Auth-Token": waiter, "X-Subject-Token": doomed}).status_code == 204
    for server_id in servers.values():
        server = _server(http, waiter, server_id)
        assert server["status"] == "ACTIVE", server.get("fault")
        ports = http.get(f"/networking/v2.0/ports?device_id={server_id}",
                         headers={"X-Auth-Token": waiter}).json()["ports"]
        assert ports and all(p["project_id"] == project for p in ports)


def _member(http: httpx.Client, admin: dict[str, str], project: str, role: str = "member") -> tuple[str, str]:
    """A new user with `role` on `project`: (user id, its token)."""
    name, password = unique(role), "member-secret-1"
    user = http.post("/identity/v3/users", headers=admin, json={"user": {
        "name": name, "password": password, "domain_id": "default"}}).json()["user"]["id"]
    role_id = http.get(f"/identity/v3/roles?name={role}", headers=admin).json()["roles"][0]["id"]
    grant = f"/identity/v3/projects/{project}/users/{user}/roles/{role_id}"
    assert http.put(grant, headers=admin).status_code == 204
    r = http.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user, "password": password}}},
        "scope": {"project": {"id": project}}}})
    assert r.status_code == 201, r.text
    return user, r.headers["X-Subject-Token"]


def test_a_job_for_a_disabled_or_deleted_user_fails(delayed):
    """Identity mints no token for a user that is gone or disabled: the build fails (ERROR), as the
    upstream call with that user's token would."""
    http = httpx.Client(base_url=delayed.url, timeout=60)
    admin = {"X-Auth-Token": delayed.token()}
    net, image, project = _ids(http, delayed.token("pocketstack"))
    disabled, disabled_token = _member(http, admin, project)
    deleted, deleted_token = _member(http, admin, project)
    servers = [_boot(http, disabled_token, net, image), _boot(http, deleted_token, net, image)]
    assert http.patch(f"/identity/v3/users/{disabled}", headers=admin,
                      json={"user": {"enabled": False}}).status_code == 200
    assert http.delete(f"/identity/v3/users/{deleted}", headers=admin).status_code == 204
    for server_id in servers:
        server = _server(http, admin["X-Auth-Token"], server_id)
        assert server["status"] == "ERROR"
        assert "can no longer act" in server["fault"]["message"]
