"""Unified limits: registered limits, project and domain limits, the flat enforcement model."""

from __future__ import annotations

import pytest

from tests.conftest import unique

V3 = "/identity/v3"


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


@pytest.fixture()
def service(http, admin_token) -> dict:
    r = http.post(f"{V3}/services", json={"service": {"type": unique("type"), "name": unique("svc")}},
                  headers=h(admin_token))
    assert r.status_code == 201, r.text
    return r.json()["service"]


def register(http, token: str, *items: dict) -> list[dict]:
    r = http.post(f"{V3}/registered_limits", json={"registered_limits": list(items)}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()["registered_limits"]


def create_limits(http, token: str, *items: dict) -> list[dict]:
    r = http.post(f"{V3}/limits", json={"limits": list(items)}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()["limits"]


def project_id_of(http, token: str) -> str:
    r = http.get(f"{V3}/auth/tokens", headers={**h(token), "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


def test_limit_model_is_flat(http, demo_token):
    r = http.get(f"{V3}/limits/model", headers=h(demo_token))
    assert r.status_code == 200 and r.json()["model"]["name"] == "flat"
    assert "hierarchy" in r.json()["model"]["description"]
    assert http.get(f"{V3}/limits/model").status_code == 401


def test_cli_registered_limit_and_limit(cli, service):
    reg = cli("registered", "limit", "create", "--service", service["id"], "--default-limit", "10",
              "--region", "RegionOne", "cores")
    assert reg["default_limit"] == 10 and reg["resource_name"] == "cores" and reg["region_id"] == "RegionOne"
    limit = cli("limit", "create", "--project", "demo", "--service", service["id"], "--resource-limit", "5",
                "--region", "RegionOne", "cores")
    assert limit["resource_limit"] == 5 and limit["service_id"] == service["id"]
    listed = cli("limit", "list", "--service", service["id"])
    assert [x["ID"] for x in listed] == [limit["id"]]
    assert any(x["ID"] == reg["id"] for x in cli("registered", "limit", "list"))
    cli("limit", "delete", limit["id"])
    cli("registered", "limit", "delete", reg["id"])
    assert cli("limit", "list", "--service", service["id"]) == []


def test_registered_limit_crud(http, admin_token, demo_token, service):
    a, b = register(http, admin_token, {"service_id": service["id"], "resource_name": "ram", "default_limit": 1},
                    {"service_id": service["id"], "resource_name": "disk", "default_limit": -1,
                     "region_id": "RegionOne", "description": "d"})
    assert a["region_id"] is None and a["description"] is None and b["default_limit"] == -1
    r = http.get(f"{V3}/registered_limits", params={"service_id": service["id"]}, headers=h(demo_token))
    assert {x["id"] for x in r.json()["registered_limits"]} == {a["id"], b["id"]}
    r = http.get(f"{V3}/registered_limits", params={"service_id": service["id"], "resource_name": "disk"},
                 headers=h(admin_token))
    assert [x["id"] for x in r.json()["registered_limits"]] == [b["id"]]
    assert http.get(f"{V3}/registered_limits/{a['id']}", headers=h(demo_token)).json()["registered_limit"] == a
    r = http.patch(f"{V3}/registered_limits/{a['id']}", json={"registered_limit": {"default_limit": 7}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["registered_limit"]["default_limit"] == 7
    r = http.patch(f"{V3}/registered_limits/{a['id']}", json={"registered_limit": {
        "resource_name": "disk", "region_id": "RegionOne"}}, headers=h(admin_token))
    assert r.status_code == 409
    assert http.delete(f"{V3}/registered_limits/{a['id']}", headers=h(demo_token)).status_code == 403
    assert http.delete(f"{V3}/registered_limits/{a['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{V3}/registered_limits/{a['id']}", headers=h(admin_token)).status_code == 404


def test_registered_limit_validation(http, admin_token, demo_token, service):
    good = {"service_id": service["id"], "resource_name": "x", "default_limit": 1}
    for bad in ({**good, "service_id": "0" * 32}, {**good, "region_id": "nowhere"}):
        r = http.post(f"{V3}/registered_limits", json={"registered_limits": [bad]}, headers=h(admin_token))
        assert r.status_code == 400, bad
    for bad in ({**good, "default_limit": -2}, {**good, "default_limit": "1"}, {**good, "bogus": 1},
                {k: v for k, v in good.items() if k != "resource_name"}, {**good, "service_id": "not-a-uuid"}):
        r = http.post(f"{V3}/registered_limits", json={"registered_limits": [bad]}, headers=h(admin_token))
        assert r.status_code == 400, bad
    r = http.post(f"{V3}/registered_limits", json={"registered_limits": []}, headers=h(admin_token))
    assert r.status_code == 400
    r = http.post(f"{V3}/registered_limits", json={"registered_limits": [good]}, headers=h(demo_token))
    assert r.status_code == 403
    register(http, admin_token, good)
    r = http.post(f"{V3}/registered_limits", json={"registered_limits": [good]}, headers=h(admin_token))
    assert r.status_code == 409
    r = http.post(f"{V3}/registered_limits", json={"registered_limits": [{**good, "resource_name": "y"}] * 2},
                  headers=h(admin_token))
    assert r.status_code == 409
    r = http.get(f"{V3}/registered_limits", params={"service_id": service["id"], "resource_name": "y"},
                 headers=h(admin_token))
    assert r.json()["registered_limits"] == []  # the whole batch rolled back


def test_limits_need_registered_limit_and_are_unique(http, admin_token, demo_token, service):
    project_id = project_id_of(http, demo_token)
    spec = {"service_id": service["id"], "resource_name": "cores", "resource_limit": 3, "project_id": project_id}
    r = http.post(f"{V3}/limits", json={"limits": [spec]}, headers=h(admin_token))
    assert r.status_code == 403 and "registered limit" in r.json()["error"]["message"]
    reg = register(http, admin_token, {"service_id": service["id"], "resource_name": "cores", "default_limit": 10})[0]
    (limit,) = create_limits(http, admin_token, spec)
    assert limit["project_id"] == project_id and limit["domain_id"] is None and limit["resource_limit"] == 3
    r = http.post(f"{V3}/limits", json={"limits": [spec]}, headers=h(admin_token))
    assert r.status_code == 409
    (domain_limit,) = create_limits(http, admin_token, {**{k: v for k, v in spec.items() if k != "project_id"},
                                                        "domain_id": "default"})
    assert domain_limit["domain_id"] == "default" and domain_limit["project_id"] is None
    r = http.delete(f"{V3}/registered_limits/{reg['id']}", headers=h(admin_token))
    assert r.status_code == 403 and "associated" in r.json()["error"]["message"]
    r = http.patch(f"{V3}/limits/{limit['id']}", json={"limit": {"resource_limit": 4, "description": "more"}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["limit"]["resource_limit"] == 4
    assert r.json()["limit"]["description"] == "more"
    r = http.patch(f"{V3}/limits/{limit['id']}", json={"limit": {"project_id": "x"}}, headers=h(admin_token))
    assert r.status_code == 400
    assert http.patch(f"{V3}/limits/{limit['id']}", json={"limit": {"resource_limit": 1}},
                      headers=h(demo_token)).status_code == 403


def test_limit_create_validation(http, admin_token, demo_token, service):
    register(http, admin_token, {"service_id": service["id"], "resource_name": "gpus", "default_limit": 1})
    base = {"service_id": service["id"], "resource_name": "gpus", "resource_limit": 1}
    for bad in (base, {**base, "project_id": "p", "domain_id": "default"}, {**base, "project_id": "bad id!"},
                {**base, "project_id": "missing"}, {**base, "domain_id": "missing"}, {**base, "resource_limit": -5}):
        r = http.post(f"{V3}/limits", json={"limits": [bad]}, headers=h(admin_token))
        assert r.status_code == 400, bad
    r = http.post(f"{V3}/limits", json={"limits": [{**base, "project_id": project_id_of(http, demo_token)}]},
                  headers=h(demo_token))
    assert r.status_code == 403


def test_limit_visibility(http, admin_token, demo_token, service, admin):
    demo_project = project_id_of(http, demo_token)
    other = admin.identity.create_project(name=unique("proj"), domain_id="default")
    register(http, admin_token, {"service_id": service["id"], "resource_name": "vis", "default_limit": 1})
    base = {"service_id": service["id"], "resource_name": "vis", "resource_limit": 2}
    mine, theirs = create_limits(http, admin_token, {**base, "project_id": demo_project},
                                 {**base, "project_id": other.id})
    r = http.get(f"{V3}/limits", params={"service_id": service["id"]}, headers=h(admin_token))
    assert {x["id"] for x in r.json()["limits"]} == {mine["id"], theirs["id"]}
    r = http.get(f"{V3}/limits", params={"service_id": service["id"]}, headers=h(demo_token))
    assert [x["id"] for x in r.json()["limits"]] == [mine["id"]]
    assert http.get(f"{V3}/limits/{mine['id']}", headers=h(demo_token)).json()["limit"] == mine
    assert http.get(f"{V3}/limits/{theirs['id']}", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/limits/missing", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{V3}/limits/missing", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{V3}/limits/{mine['id']}", headers=h(demo_token)).status_code == 403
    admin.identity.delete_project(other.id)
    assert http.get(f"{V3}/limits/{theirs['id']}", headers=h(admin_token)).status_code == 404


def test_sdk_limits(admin, service):
    reg = admin.identity.create_registered_limit(service_id=service["id"], resource_name="sdk", default_limit=2)
    assert reg.default_limit == 2
    project = admin.identity.find_project("demo")
    limit = admin.identity.create_limit(service_id=service["id"], resource_name="sdk", resource_limit=1,
                                        project_id=project.id)
    assert admin.identity.get_limit(limit.id).resource_limit == 1
    admin.identity.delete_limit(limit.id)
    admin.identity.delete_registered_limit(reg.id)
    assert not [x for x in admin.identity.registered_limits() if x.id == reg.id]


def test_registered_limit_moved_to_a_service_deleted_first(cli, service):
    """OSC's functional test `registered limit set --service` cleans up the new service before the
    registered limit: keystone deletes only the service's endpoints, so the limit is still there to delete."""
    reg = cli("registered", "limit", "create", "--service", service["id"], "--default-limit", "10",
              unique("res"), os_cloud="devstack-system-admin")
    other = cli("service", "create", "--name", unique("svc"), unique("type"))
    moved = cli("registered", "limit", "set", reg["id"], "--service", other["name"], "-f", "json",
                os_cloud="devstack-system-admin")
    assert moved["service_id"] == other["id"]
    cli("service", "delete", other["id"])
    assert cli("registered", "limit", "show", reg["id"], os_cloud="devstack-system-admin")["service_id"] == other["id"]
    cli("registered", "limit", "delete", reg["id"], os_cloud="devstack-system-admin")
    gone = cli("registered", "limit", "show", reg["id"], os_cloud="devstack-system-admin", check=False)
    assert gone.returncode != 0 and "Could not find registered limit" in gone.stderr
