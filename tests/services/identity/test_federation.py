"""OS-FEDERATION management APIs: identity providers, protocols, mappings, service providers."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import unique

V3 = "/identity/v3"
FED = f"{V3}/OS-FEDERATION"
RULES = [{"local": [{"user": {"name": "{0}"}}, {"group_ids": "{1}"}],
          "remote": [{"type": "openstack_username"}, {"type": "group_ids", "whitelist": ["abc", "123"]}]}]


def h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def hexid() -> str:
    return uuid.uuid4().hex


def make_idp(http, token: str, idp_id: str | None = None, **fields) -> dict:
    idp_id = idp_id or hexid()
    r = http.put(f"{FED}/identity_providers/{idp_id}", json={"identity_provider": fields}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()["identity_provider"]


def make_mapping(http, token: str, mapping_id: str | None = None, rules: list | None = None) -> dict:
    mapping_id = mapping_id or hexid()
    r = http.put(f"{FED}/mappings/{mapping_id}", json={"mapping": {"rules": rules or RULES}}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()["mapping"]


def make_sp(http, token: str, sp_id: str | None = None, **fields) -> dict:
    body = {"auth_url": "https://sp.example.com/identity/v3/auth", "sp_url": "https://sp.example.com/Shibboleth",
            **fields}
    r = http.put(f"{FED}/service_providers/{sp_id or hexid()}", json={"service_provider": body}, headers=h(token))
    assert r.status_code == 201, r.text
    return r.json()["service_provider"]


# --- identity providers ------------------------------------------------------------------------
def test_idp_create_defaults_and_auto_domain(http, admin_token):
    idp_id = hexid()
    idp = make_idp(http, admin_token, idp_id, description="d")
    assert idp["id"] == idp_id and idp["enabled"] is False and idp["remote_ids"] == []
    assert idp["description"] == "d" and idp["authorization_ttl"] is None
    assert idp["links"]["self"].endswith(f"/v3/OS-FEDERATION/identity_providers/{idp_id}")
    assert idp["links"]["protocols"] == idp["links"]["self"] + "/protocols"
    domain = http.get(f"{V3}/domains/{idp['domain_id']}", headers=h(admin_token)).json()["domain"]
    assert domain["name"] == idp["domain_id"] and idp_id in domain["description"]
    shown = http.get(f"{FED}/identity_providers/{idp_id}", headers=h(admin_token)).json()["identity_provider"]
    assert shown == idp


def test_idp_with_domain_remote_ids_update_list_delete(http, admin_token):
    rid = [hexid(), hexid()]
    idp = make_idp(http, admin_token, enabled=True, remote_ids=rid, domain_id="default", authorization_ttl=5)
    assert idp["domain_id"] == "default" and sorted(idp["remote_ids"]) == sorted(rid)
    assert idp["enabled"] is True and idp["authorization_ttl"] == 5
    url = f"{FED}/identity_providers/{idp['id']}"
    r = http.patch(url, json={"identity_provider": {"enabled": False, "remote_ids": [rid[0]]}}, headers=h(admin_token))
    assert r.status_code == 200, r.text
    assert r.json()["identity_provider"]["enabled"] is False and r.json()["identity_provider"]["remote_ids"] == [rid[0]]
    # the released remote id can be used by another provider
    other = make_idp(http, admin_token, remote_ids=[rid[1]], domain_id="default")
    listed = http.get(f"{FED}/identity_providers", headers=h(admin_token)).json()["identity_providers"]
    assert {idp["id"], other["id"]} <= {i["id"] for i in listed}
    only = http.get(f"{FED}/identity_providers", params={"id": idp["id"]}, headers=h(admin_token)).json()
    assert [i["id"] for i in only["identity_providers"]] == [idp["id"]]
    enabled = http.get(f"{FED}/identity_providers", params={"enabled": "true"}, headers=h(admin_token)).json()
    assert idp["id"] not in {i["id"] for i in enabled["identity_providers"]}
    assert http.delete(url, headers=h(admin_token)).status_code == 204
    assert http.get(url, headers=h(admin_token)).status_code == 404
    assert http.delete(url, headers=h(admin_token)).status_code == 404


def test_idp_conflicts(http, admin_token):
    rid = hexid()
    idp = make_idp(http, admin_token, remote_ids=[rid])
    r = http.put(f"{FED}/identity_providers/{idp['id']}", json={"identity_provider": {}}, headers=h(admin_token))
    assert r.status_code == 409
    r = http.put(f"{FED}/identity_providers/{hexid()}", json={"identity_provider": {"remote_ids": [rid]}},
                 headers=h(admin_token))
    assert r.status_code == 409 and "Duplicate remote ID" in r.json()["error"]["message"]
    other = make_idp(http, admin_token)
    r = http.patch(f"{FED}/identity_providers/{other['id']}", json={"identity_provider": {"remote_ids": [rid]}},
                   headers=h(admin_token))
    assert r.status_code == 409


@pytest.mark.parametrize("body", [
    {"identity_provider": {"enabled": "yes"}},
    {"identity_provider": {"bogus": 1}},
    {"identity_provider": {"remote_ids": ["a", "a"]}},
    {"identity_provider": {"authorization_ttl": -1}},
    {"identity_provider": {"remote_ids": ["x" * 65]}},
])
def test_idp_create_bad_input(http, admin_token, body):
    r = http.put(f"{FED}/identity_providers/{hexid()}", json=body, headers=h(admin_token))
    assert r.status_code == 400, r.text


def test_idp_bad_update_missing_and_unknown_domain(http, admin_token):
    idp = make_idp(http, admin_token)
    url = f"{FED}/identity_providers/{idp['id']}"
    assert http.patch(url, json={"identity_provider": {}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"identity_provider": {"domain_id": "x"}}, headers=h(admin_token)).status_code == 400
    missing = f"{FED}/identity_providers/{hexid()}"
    assert http.patch(missing, json={"identity_provider": {"enabled": True}}, headers=h(admin_token)).status_code == 404
    r = http.put(missing, json={"identity_provider": {"domain_id": hexid()}}, headers=h(admin_token))
    assert r.status_code == 404


def test_idp_policy(http, admin_token, demo_token):
    idp = make_idp(http, admin_token)
    url = f"{FED}/identity_providers/{idp['id']}"
    assert http.get(f"{FED}/identity_providers").status_code == 401
    assert http.get(f"{FED}/identity_providers", headers=h(demo_token)).status_code == 403
    assert http.get(url, headers=h(demo_token)).status_code == 403
    assert http.put(f"{FED}/identity_providers/{hexid()}", json={"identity_provider": {}},
                    headers=h(demo_token)).status_code == 403
    assert http.patch(url, json={"identity_provider": {"enabled": True}}, headers=h(demo_token)).status_code == 403
    assert http.delete(url, headers=h(demo_token)).status_code == 403


def test_cli_identity_provider(cli):
    name = unique("idp")
    created = cli("identity", "provider", "create", "--remote-id", f"https://{name}.example.com",
                  "--enable", "--domain", "default", name)
    assert created["id"] == name and created["enabled"] is True and created["domain_id"] == "default"
    cli("identity", "provider", "set", "--disable", name)
    shown = cli("identity", "provider", "show", name)
    assert shown["enabled"] is False and shown["remote_ids"] == [f"https://{name}.example.com"]
    assert name in [i["ID"] for i in cli("identity", "provider", "list")]
    cli("identity", "provider", "delete", name)
    assert cli("identity", "provider", "show", name, check=False).returncode != 0


# --- protocols ------------------------------------------------------------------------------------
def test_protocol_crud(http, admin_token):
    idp = make_idp(http, admin_token, enabled=True)
    m1, m2 = make_mapping(http, admin_token), make_mapping(http, admin_token)
    base = f"{FED}/identity_providers/{idp['id']}/protocols"
    r = http.put(f"{base}/saml2", json={"protocol": {"mapping_id": m1["id"]}}, headers=h(admin_token))
    assert r.status_code == 201, r.text
    proto = r.json()["protocol"]
    assert proto["id"] == "saml2" and proto["mapping_id"] == m1["id"]
    assert proto["links"]["self"].endswith(f"/identity_providers/{idp['id']}/protocols/saml2")
    assert proto["links"]["identity_provider"].endswith(f"/identity_providers/{idp['id']}")
    r = http.patch(f"{base}/saml2", json={"protocol": {"mapping_id": m2["id"], "remote_id_attribute": "rid"}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["protocol"]["mapping_id"] == m2["id"]
    shown = http.get(f"{base}/saml2", headers=h(admin_token)).json()["protocol"]
    assert shown["mapping_id"] == m2["id"] and shown["remote_id_attribute"] == "rid"
    listed = http.get(base, headers=h(admin_token)).json()["protocols"]
    assert [(p["id"], p["idp_id"]) for p in listed] == [("saml2", idp["id"])]
    assert http.delete(f"{base}/saml2", headers=h(admin_token)).status_code == 204
    assert http.get(f"{base}/saml2", headers=h(admin_token)).status_code == 404


def test_protocol_negative(http, admin_token, demo_token):
    idp = make_idp(http, admin_token)
    mapping = make_mapping(http, admin_token)
    base = f"{FED}/identity_providers/{idp['id']}/protocols"
    r = http.put(f"{base}/oidc", json={"protocol": {"mapping_id": hexid()}}, headers=h(admin_token))
    assert r.status_code == 400 and "Invalid mapping id" in r.json()["error"]["message"]
    assert http.put(f"{base}/oidc", json={"protocol": {}}, headers=h(admin_token)).status_code == 400
    ok = http.put(f"{base}/oidc", json={"protocol": {"mapping_id": mapping["id"]}}, headers=h(admin_token))
    assert ok.status_code == 201
    dup = http.put(f"{base}/oidc", json={"protocol": {"mapping_id": mapping["id"]}}, headers=h(admin_token))
    assert dup.status_code == 409
    r = http.patch(f"{base}/oidc", json={"protocol": {"mapping_id": hexid()}}, headers=h(admin_token))
    assert r.status_code == 400
    assert http.get(f"{base}/nope", headers=h(admin_token)).status_code == 404
    missing_idp = f"{FED}/identity_providers/{hexid()}/protocols"
    assert http.get(missing_idp, headers=h(admin_token)).status_code == 404
    r = http.put(f"{missing_idp}/x", json={"protocol": {"mapping_id": mapping["id"]}}, headers=h(admin_token))
    assert r.status_code == 404
    assert http.get(base, headers=h(demo_token)).status_code == 403
    # deleting the provider removes its protocols
    assert http.delete(f"{FED}/identity_providers/{idp['id']}", headers=h(admin_token)).status_code == 204
    make_idp(http, admin_token, idp["id"])
    assert http.get(base, headers=h(admin_token)).json()["protocols"] == []


# --- mappings ---------------------------------------------------------------------------------------
def test_mapping_crud(http, admin_token):
    mapping = make_mapping(http, admin_token)
    assert mapping["rules"] == RULES and mapping["schema_version"] == "1.0"
    url = f"{FED}/mappings/{mapping['id']}"
    assert mapping["links"]["self"].endswith(f"/v3/OS-FEDERATION/mappings/{mapping['id']}")
    new_rules = [{"local": [{"group": {"id": hexid()}}], "remote": [{"type": "REMOTE_USER"}]}]
    r = http.patch(url, json={"mapping": {"rules": new_rules, "schema_version": "2.0"}}, headers=h(admin_token))
    assert r.status_code == 200 and r.json()["mapping"]["rules"] == new_rules
    shown = http.get(url, headers=h(admin_token)).json()["mapping"]
    assert shown["rules"] == new_rules and shown["schema_version"] == "2.0"
    assert mapping["id"] in {m["id"] for m in http.get(f"{FED}/mappings", headers=h(admin_token)).json()["mappings"]}
    assert http.delete(url, headers=h(admin_token)).status_code == 204
    assert http.get(url, headers=h(admin_token)).status_code == 404
    assert http.delete(url, headers=h(admin_token)).status_code == 404


@pytest.mark.parametrize("mapping", [
    {},
    {"rules": []},
    {"rules": [{"local": [{"user": {"name": "x"}}]}]},
    {"rules": [{"local": [{"user": {"name": "x"}}], "remote": []}]},
    {"rules": [{"local": [{"bogus": 1}], "remote": [{"type": "a"}]}]},
    {"rules": [{"local": [{"group": {"name": "g"}}], "remote": [{"type": "a"}]}]},
    {"rules": [{"local": [{"user": {"type": "weird"}}], "remote": [{"type": "a"}]}]},
    {"rules": [{"local": [], "remote": [{"type": "a", "any_one_of": ["x"], "not_any_of": ["y"]}]}]},
    {"rules": [{"local": [{"projects": [{"name": "p", "roles": [], "domain": {"id": "x"}}]}],
                "remote": [{"type": "a"}]}]},
    {"rules": RULES, "schema_version": "9.9"},
])
def test_mapping_bad_rules(http, admin_token, mapping):
    r = http.put(f"{FED}/mappings/{hexid()}", json={"mapping": mapping}, headers=h(admin_token))
    assert r.status_code == 400, r.text


def test_mapping_versions_conflict_policy(http, admin_token, demo_token):
    rules = [{"local": [{"projects": [{"name": "p", "roles": [{"name": "member"}], "domain": {"id": "default"}}]}],
              "remote": [{"type": "a"}]}]
    r = http.put(f"{FED}/mappings/{hexid()}", json={"mapping": {"rules": rules, "schema_version": "2.0"}},
                 headers=h(admin_token))
    assert r.status_code == 201
    mapping = make_mapping(http, admin_token)
    url = f"{FED}/mappings/{mapping['id']}"
    assert http.put(url, json={"mapping": {"rules": RULES}}, headers=h(admin_token)).status_code == 409
    assert http.patch(url, json={"mapping": {"rules": []}}, headers=h(admin_token)).status_code == 400
    assert http.patch(f"{FED}/mappings/{hexid()}", json={"mapping": {"rules": RULES}},
                      headers=h(admin_token)).status_code == 404
    assert http.get(url, headers=h(demo_token)).status_code == 403
    assert http.put(f"{FED}/mappings/{hexid()}", json={"mapping": {"rules": RULES}},
                    headers=h(demo_token)).status_code == 403
    assert http.get(f"{FED}/mappings").status_code == 401


def test_cli_mapping_and_protocol(cli, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    mapping, idp = unique("map"), unique("idp")
    created = cli("mapping", "create", "--rules", str(rules), mapping)
    assert created["id"] == mapping
    cli("identity", "provider", "create", idp)
    proto = cli("federation", "protocol", "create", "--identity-provider", idp, "--mapping", mapping, "mapped")
    assert proto["mapping"] == mapping or proto.get("mapping_id") == mapping
    listed = cli("federation", "protocol", "list", "--identity-provider", idp)
    assert [p["id"] for p in listed] == ["mapped"]
    cli("federation", "protocol", "delete", "--identity-provider", idp, "mapped")
    cli("identity", "provider", "delete", idp)
    cli("mapping", "delete", mapping)
    assert mapping not in [m["ID"] for m in cli("mapping", "list")]


# --- service providers ----------------------------------------------------------------------------
def test_sp_crud(http, admin_token):
    sp = make_sp(http, admin_token, description="remote cloud")
    assert sp["enabled"] is False and sp["relay_state_prefix"] == "ss:mem:" and sp["description"] == "remote cloud"
    assert sp["links"]["self"].endswith(f"/v3/OS-FEDERATION/service_providers/{sp['id']}")
    url = f"{FED}/service_providers/{sp['id']}"
    r = http.patch(url, json={"service_provider": {"enabled": True, "relay_state_prefix": "x:"}},
                   headers=h(admin_token))
    assert r.status_code == 200 and r.json()["service_provider"]["enabled"] is True
    shown = http.get(url, headers=h(admin_token)).json()["service_provider"]
    assert shown["relay_state_prefix"] == "x:" and shown["auth_url"] == sp["auth_url"]
    listed = http.get(f"{FED}/service_providers", params={"enabled": "false"}, headers=h(admin_token)).json()
    assert sp["id"] not in {s["id"] for s in listed["service_providers"]}
    assert http.delete(url, headers=h(admin_token)).status_code == 204
    assert http.get(url, headers=h(admin_token)).status_code == 404


@pytest.mark.parametrize("body", [
    {},
    {"auth_url": "https://a.example.com"},
    {"auth_url": "not-a-url", "sp_url": "https://b.example.com"},
    {"auth_url": "https://a.example.com", "sp_url": "nope"},
    {"auth_url": "https://a.example.com", "sp_url": "https://b.example.com", "enabled": "yes"},
    {"auth_url": "https://a.example.com", "sp_url": "https://b.example.com", "extra": 1},
])
def test_sp_bad_input(http, admin_token, body):
    r = http.put(f"{FED}/service_providers/{hexid()}", json={"service_provider": body}, headers=h(admin_token))
    assert r.status_code == 400, r.text


def test_sp_negative(http, admin_token, demo_token):
    sp = make_sp(http, admin_token)
    url = f"{FED}/service_providers/{sp['id']}"
    assert http.patch(url, json={"service_provider": {"auth_url": hexid()}}, headers=h(admin_token)).status_code == 400
    assert http.patch(url, json={"service_provider": {}}, headers=h(admin_token)).status_code == 400
    dup = http.put(url, json={"service_provider": {"auth_url": "https://a.example.com", "sp_url": "https://b.example.com"}},
                   headers=h(admin_token))
    assert dup.status_code == 409
    missing = f"{FED}/service_providers/{hexid()}"
    assert http.patch(missing, json={"service_provider": {"enabled": True}}, headers=h(admin_token)).status_code == 404
    assert http.delete(missing, headers=h(admin_token)).status_code == 404
    assert http.get(url, headers=h(demo_token)).status_code == 403
    assert http.delete(url, headers=h(demo_token)).status_code == 403


def test_cli_service_provider(cli):
    name = unique("sp")
    created = cli("service", "provider", "create", "--auth-url", "https://sp.example.com/v3/auth",
                  "--service-provider-url", "https://sp.example.com/ECP", "--enable", name)
    assert created["id"] == name and created["enabled"] is True
    assert name in [s["ID"] for s in cli("service", "provider", "list")]
    cli("service", "provider", "delete", name)


def test_enabled_service_providers_in_token(http, admin_token, cloud):
    on, off = make_sp(http, admin_token, enabled=True), make_sp(http, admin_token, enabled=False)
    body = http.post(f"{V3}/auth/tokens?nocatalog", json={"auth": {"identity": {"methods": ["token"],
                                                                          "token": {"id": admin_token}}}}).json()
    ids = [s["id"] for s in body["token"].get("service_providers", [])]
    assert on["id"] in ids and off["id"] not in ids
    assert {"id", "auth_url", "sp_url"} == set(body["token"]["service_providers"][0])
