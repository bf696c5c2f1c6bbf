"""Compute version discovery, microversion negotiation and Nova's error bodies."""

from __future__ import annotations


def test_versions_document(http):
    r = http.get("/compute/")
    assert r.status_code == 200
    versions = {v["id"]: v for v in r.json()["versions"]}
    assert versions["v2.1"]["min_version"] == "2.1" and versions["v2.1"]["version"] == "2.104"
    assert versions["v2.1"]["status"] == "CURRENT" and versions["v2.0"]["status"] == "SUPPORTED"
    one = http.get("/compute/v2.1/").json()["version"]
    assert one["id"] == "v2.1" and one["links"][0]["href"].endswith("/compute/v2.1/")


def test_catalog_has_nova(admin):
    endpoint = admin.compute.get_endpoint()
    assert endpoint.rstrip("/").endswith("/compute/v2.1")


def test_microversion_headers(http, demo_token):
    h = {"X-Auth-Token": demo_token}
    r = http.get("/compute/v2.1/flavors", headers={**h, "OpenStack-API-Version": "compute 2.55"})
    assert r.headers["OpenStack-API-Version"] == "compute 2.55"
    assert "OpenStack-API-Version" in r.headers["Vary"]
    assert "description" in r.json()["flavors"][0]
    legacy = http.get("/compute/v2.1/flavors", headers={**h, "X-OpenStack-Nova-API-Version": "2.10"})
    assert legacy.headers["X-OpenStack-Nova-API-Version"] == "2.10"
    assert "description" not in legacy.json()["flavors"][0]
    latest = http.get("/compute/v2.1/flavors", headers={**h, "OpenStack-API-Version": "compute latest"})
    assert latest.headers["OpenStack-API-Version"] == "compute 2.104"
    none = http.get("/compute/v2.1/flavors", headers=h)
    assert none.headers["OpenStack-API-Version"] == "compute 2.1"
    assert none.headers["X-Compute-Request-Id"] == none.headers["X-OpenStack-Request-Id"]


def test_unsupported_microversion_is_406(http, demo_token):
    r = http.get("/compute/v2.1/flavors", headers={"X-Auth-Token": demo_token,
                                                    "OpenStack-API-Version": "compute 2.200"})
    assert r.status_code == 406
    bad = http.get("/compute/v2.1/flavors", headers={"X-Auth-Token": demo_token,
                                                      "OpenStack-API-Version": "compute 2.x"})
    assert bad.status_code == 400


def test_missing_token_is_401(http):
    assert http.get("/compute/v2.1/servers").status_code == 401


def test_error_body_is_novas(http, demo_token):
    r = http.get("/compute/v2.1/flavors/nope", headers={"X-Auth-Token": demo_token})
    assert r.status_code == 404
    assert r.json() == {"itemNotFound": {"code": 404, "message": "Flavor nope could not be found."}}
    forbidden = http.post("/compute/v2.1/flavors", headers={"X-Auth-Token": demo_token},
                          json={"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 1}})
    assert forbidden.status_code == 403
    assert forbidden.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."


def test_hosts_views(nova_admin, nova_demo):
    zones = nova_demo.get("/os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
    detail = nova_admin.get("/os-availability-zone/detail").json()["availabilityZoneInfo"]
    assert {z["zoneName"] for z in detail} == {"nova", "internal"}
    assert nova_demo.get("/os-availability-zone/detail").status_code == 403
    hyps = nova_admin.get("/os-hypervisors/detail").json()["hypervisors"]
    assert len(hyps) == 1 and hyps[0]["hypervisor_hostname"] == "pocketstack" and "vcpus" not in hyps[0]
    old = nova_admin.get("/os-hypervisors/detail", headers=nova_admin.at("2.87")).json()["hypervisors"][0]
    assert old["vcpus"] == 64
    services = nova_admin.get("/os-services").json()["services"]
    assert {s["binary"] for s in services} == {"nova-compute", "nova-scheduler", "nova-conductor"}
    assert nova_demo.get("/os-services").status_code == 403
