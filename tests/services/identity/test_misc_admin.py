"""Smaller admin APIs: policies, OS-ENDPOINT-POLICY and domain configuration."""

from __future__ import annotations

import pytest

from tests.conftest import unique

V3 = "/identity/v3"
LDAP = {"identity": {"driver": "ldap"}, "ldap": {"url": "ldap://myldap.com:389/", "user_tree_dn": "ou=Users"}}


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def make(http, token: str, path: str, key: str, body: dict) -> dict:
    r = http.post(f"{V3}/{path}", json={key: body}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()[key]


@pytest.fixture()
def domain(http, admin_token) -> dict:
    return make(http, admin_token, "domains", "domain", {"name": unique("dom")})


# --- policies --------------------------------------------------------------------------
def test_policy_crud(http, admin_token):
    policy = make(http, admin_token, "policies", "policy", {"blob": '{"a": "b"}', "type": "application/json",
                                                            "extra_attr": 1})
    assert policy["blob"] == '{"a": "b"}' and policy["extra_attr"] == 1
    assert policy["links"]["self"].endswith(f"/v3/policies/{policy['id']}")
    path = f"{V3}/policies/{policy['id']}"
    assert http.get(path, headers=h(admin_token)).json()["policy"] == policy
    r = http.get(f"{V3}/policies", params={"type": "application/json"}, headers=h(admin_token))
    assert policy["id"] in [p["id"] for p in r.json()["policies"]]
    r = http.get(f"{V3}/policies", params={"type": "other"}, headers=h(admin_token))
    assert policy["id"] not in [p["id"] for p in r.json()["policies"]]
    r = http.patch(path, json={"policy": {"type": "text/yaml"}}, headers=h(admin_token))
    assert r.status_code == 200 and r.json()["policy"]["type"] == "text/yaml"
    assert r.json()["policy"]["blob"] == policy["blob"]
    assert http.delete(path, headers=h(admin_token)).status_code == 204
    assert http.get(path, headers=h(admin_token)).status_code == 404
    assert http.delete(path, headers=h(admin_token)).status_code == 404


def test_policy_errors(http, admin_token, demo_token):
    for body in ({"blob": "x"}, {"type": "t"}, {"blob": 1, "type": "t"}, {"blob": "x", "type": "t" * 256}):
        assert http.post(f"{V3}/policies", json={"policy": body}, headers=h(admin_token)).status_code == 400
    assert http.post(f"{V3}/policies", json={"policy": {"blob": "x", "type": "t"}},
                     headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/policies", headers=h(demo_token)).status_code == 403
    assert http.get(f"{V3}/policies").status_code == 401
    policy = make(http, admin_token, "policies", "policy", {"blob": "x", "type": "t"})
    r = http.patch(f"{V3}/policies/{policy['id']}", json={"policy": {}}, headers=h(admin_token))
    assert r.status_code == 400
    r = http.patch(f"{V3}/policies/{policy['id']}", json={"policy": {"id": "other"}}, headers=h(admin_token))
    assert r.status_code == 400


def test_endpoint_policy_associations(http, admin_token, demo_token):
    policy = make(http, admin_token, "policies", "policy", {"blob": "x", "type": "t"})
    other = make(http, admin_token, "policies", "policy", {"blob": "y", "type": "t"})
    svc = make(http, admin_token, "services", "service", {"type": unique("type")})
    parent = make(http, admin_token, "regions", "region", {})
    child = make(http, admin_token, "regions", "region", {"parent_region_id": parent["id"]})
    ep = make(http, admin_token, "endpoints", "endpoint", {"service_id": svc["id"], "interface": "public",
                                                           "url": "https://x", "region_id": child["id"]})
    base = f"{V3}/policies/{policy['id']}/OS-ENDPOINT-POLICY"
    lookup = f"{V3}/endpoints/{ep['id']}/OS-ENDPOINT-POLICY/policy"
    assert http.get(lookup, headers=h(admin_token)).status_code == 404
    assert http.get(f"{base}/services/{svc['id']}", headers=h(admin_token)).status_code == 404
    assert http.put(f"{base}/services/{svc['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(f"{base}/services/{svc['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(lookup, headers=h(admin_token)).json()["policy"]["id"] == policy["id"]
    assert [e["id"] for e in http.get(f"{base}/endpoints", headers=h(admin_token)).json()["endpoints"]] == [ep["id"]]
    # a service in a parent region beats the bare service; the endpoint's own association beats both
    other_base = f"{V3}/policies/{other['id']}/OS-ENDPOINT-POLICY"
    region_path = f"{other_base}/services/{svc['id']}/regions/{parent['id']}"
    assert http.put(region_path, headers=h(admin_token)).status_code == 204
    assert http.get(lookup, headers=h(admin_token)).json()["policy"]["id"] == other["id"]
    assert http.put(f"{base}/endpoints/{ep['id']}", headers=h(admin_token)).status_code == 204
    assert http.get(lookup, headers=h(admin_token)).json()["policy"]["id"] == policy["id"]
    assert http.delete(f"{base}/endpoints/{ep['id']}", headers=h(admin_token)).status_code == 204
    assert http.delete(f"{base}/endpoints/{ep['id']}", headers=h(admin_token)).status_code == 404
    assert http.get(region_path, headers=h(admin_token)).status_code == 204
    assert http.put(f"{base}/endpoints/missing", headers=h(admin_token)).status_code == 404
    assert http.put(f"{V3}/policies/missing/OS-ENDPOINT-POLICY/services/{svc['id']}",
                    headers=h(admin_token)).status_code == 404
    assert http.put(f"{base}/services/{svc['id']}/regions/missing", headers=h(admin_token)).status_code == 404
    assert http.put(f"{base}/services/{svc['id']}", headers=h(demo_token)).status_code == 403


# --- domain configuration ------------------------------------------------------------
def test_domain_config_defaults(http, admin_token, demo_token):
    r = http.get(f"{V3}/domains/config/default", headers=h(admin_token))
    assert r.status_code == 200 and {"identity", "ldap"} <= set(r.json()["config"])
    assert r.json()["config"]["identity"]["driver"] == "sql" and "password" not in r.json()["config"]["ldap"]
    r = http.get(f"{V3}/domains/config/ldap/default", headers=h(admin_token))
    assert list(r.json()["config"]) == ["ldap"] and r.json()["config"]["ldap"]["url"] == "ldap://localhost"
    r = http.get(f"{V3}/domains/config/identity/list_limit/default", headers=h(admin_token))
    assert r.json() == {"config": {"list_limit": None}}
    assert http.get(f"{V3}/domains/config/bogus/default", headers=h(admin_token)).status_code == 403
    assert http.get(f"{V3}/domains/config/ldap/password/default", headers=h(admin_token)).status_code == 403
    assert http.get(f"{V3}/domains/config/default", headers=h(demo_token)).status_code == 403


def test_domain_config_lifecycle(http, admin_token, domain):
    path = f"{V3}/domains/{domain['id']}/config"
    assert http.get(path, headers=h(admin_token)).status_code == 404
    config = {**LDAP, "ldap": {**LDAP["ldap"], "password": "secret"}}
    r = http.put(path, json={"config": config}, headers=h(admin_token))
    assert r.status_code == 201 and r.json()["config"] == LDAP  # the password is never shown
    assert http.put(path, json={"config": LDAP}, headers=h(admin_token)).status_code == 200
    assert http.get(path, headers=h(admin_token)).json()["config"] == LDAP
    assert http.get(f"{path}/ldap", headers=h(admin_token)).json()["config"] == {"ldap": LDAP["ldap"]}
    assert http.get(f"{path}/ldap/url", headers=h(admin_token)).json()["config"] == {"url": LDAP["ldap"]["url"]}
    assert http.get(f"{path}/ldap/user_filter", headers=h(admin_token)).status_code == 404
    r = http.patch(f"{path}/identity", json={"config": {"identity": {"driver": "sql", "list_limit": 5}}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["config"]["identity"] == {"driver": "sql", "list_limit": 5}
    r = http.patch(f"{path}/identity/driver", json={"config": {"driver": "ldap"}}, headers=h(admin_token))
    assert r.json()["config"]["identity"]["driver"] == "ldap"
    r = http.patch(path, json={"config": {"ldap": {"user_filter": "(x)"}}}, headers=h(admin_token))
    assert r.json()["config"]["ldap"]["user_filter"] == "(x)" and r.json()["config"]["ldap"]["url"]
    assert http.delete(f"{path}/identity/driver", headers=h(admin_token)).status_code == 204
    assert http.get(f"{path}/identity/driver", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{path}/identity/driver", headers=h(admin_token)).status_code == 404
    assert http.delete(f"{path}/identity", headers=h(admin_token)).status_code == 204
    assert http.get(f"{path}/identity", headers=h(admin_token)).status_code == 404
    assert http.delete(path, headers=h(admin_token)).status_code == 204
    assert http.get(path, headers=h(admin_token)).status_code == 404


def test_domain_config_errors(http, admin_token, demo_token, domain):
    path = f"{V3}/domains/{domain['id']}/config"
    for config in ({}, {"bogus": {"a": 1}}, {"ldap": {"bogus": 1}}, {"ldap": "url"}, {"ldap": {}}):
        r = http.put(path, json={"config": config}, headers=h(admin_token))
        assert r.status_code == 403 and "Invalid domain specific configuration" in r.json()["error"]["message"]
    assert http.put(path, json={"nothing": 1}, headers=h(admin_token)).status_code == 400
    assert http.put(f"{V3}/domains/missing/config", json={"config": LDAP}, headers=h(admin_token)).status_code == 404
    assert http.get(f"{V3}/domains/missing/config", headers=h(admin_token)).status_code == 404
    assert http.put(path, json={"config": LDAP}, headers=h(demo_token)).status_code == 403
    assert http.put(path, json={"config": LDAP}, headers=h(admin_token)).status_code == 201
    assert http.get(path, headers=h(demo_token)).status_code == 403
    r = http.patch(f"{path}/identity", json={"config": {"ldap": {"url": "x"}}}, headers=h(admin_token))
    assert r.status_code == 403
    r = http.patch(f"{path}/ldap/user_filter", json={"config": {"user_filter": "x"}}, headers=h(admin_token))
    assert r.status_code == 404
    assert http.get(f"{path}/bogus", headers=h(admin_token)).status_code == 403


def test_security_compliance_config_is_readable_by_anyone(http, demo_token, admin_token, domain):
    r = http.get(f"{V3}/domains/default/config/security_compliance", headers=h(demo_token))
    assert r.status_code == 200
    assert set(r.json()["config"]["security_compliance"]) == {"password_regex", "password_regex_description"}
    r = http.get(f"{V3}/domains/default/config/security_compliance/password_regex", headers=h(demo_token))
    assert r.status_code == 200 and list(r.json()["config"]) == ["password_regex"]
    r = http.get(f"{V3}/domains/default/config/security_compliance/lockout_duration", headers=h(demo_token))
    assert r.status_code == 403
    r = http.get(f"{V3}/domains/{domain['id']}/config/security_compliance", headers=h(admin_token))
    assert r.status_code == 403
