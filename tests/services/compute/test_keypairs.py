"""Keypairs: generated and imported keys, types, per-user scoping, paging, microversion statuses."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.conftest import unique


def _ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def test_generate_and_show(nova_demo):
    name = unique("kp")
    r = nova_demo.post("/os-keypairs", headers=nova_demo.at("2.10"), json={"keypair": {"name": name}})
    assert r.status_code == 201, r.text
    kp = r.json()["keypair"]
    assert kp["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert kp["public_key"].startswith("ssh-rsa ") and kp["type"] == "ssh" and kp["user_id"]
    private = serialization.load_pem_private_key(kp["private_key"].encode(), None)
    assert private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
                                             ).decode() in kp["public_key"]
    shown = nova_demo.get(f"/os-keypairs/{name}").json()["keypair"]
    assert shown["fingerprint"] == kp["fingerprint"] and "private_key" not in shown
    assert nova_demo.delete(f"/os-keypairs/{name}").status_code == 204
    assert nova_demo.get(f"/os-keypairs/{name}").status_code == 404


def test_import_and_errors(nova_demo, nova_alt):
    name = unique("kp")
    r = nova_demo.post("/os-keypairs", json={"keypair": {"name": name, "public_key": _ed25519()}})
    assert r.status_code == 201 and "private_key" not in r.json()["keypair"]
    assert len(r.json()["keypair"]["fingerprint"].split(":")) == 16
    dup = nova_demo.post("/os-keypairs", json={"keypair": {"name": name, "public_key": _ed25519()}})
    assert dup.status_code == 409 and "conflictingRequest" in dup.json()
    bad = nova_demo.post("/os-keypairs", json={"keypair": {"name": unique(), "public_key": "ssh-rsa nonsense"}})
    assert bad.status_code == 400
    assert nova_demo.post("/os-keypairs", json={"keypair": {"name": "bad/name", "public_key": _ed25519()}}
                          ).status_code == 400
    assert nova_demo.post("/os-keypairs", json={"keypair": {"name": unique()}}).status_code == 400  # 2.92
    assert nova_alt.get(f"/os-keypairs/{name}").status_code == 404
    nova_demo.delete(f"/os-keypairs/{name}")


def test_old_microversion_statuses(nova_demo):
    name = unique("kp")
    r = nova_demo.post("/os-keypairs", headers=nova_demo.at("2.1"), json={"keypair": {"name": name}})
    assert r.status_code == 200 and "type" not in r.json()["keypair"]
    assert nova_demo.delete(f"/os-keypairs/{name}", headers=nova_demo.at("2.1")).status_code == 202


def test_x509_and_paging(nova_demo):
    names = sorted(unique("pg") for _ in range(3))
    for n in names:
        nova_demo.post("/os-keypairs", headers=nova_demo.at("2.2"), json={"keypair": {"name": n, "type": "x509"}})
    listed = nova_demo.get("/os-keypairs").json()["keypairs"]
    assert {k["keypair"]["name"] for k in listed} >= set(names)
    assert {k["keypair"]["type"] for k in listed if k["keypair"]["name"] in names} == {"x509"}
    page = nova_demo.get("/os-keypairs?limit=1").json()
    assert len(page["keypairs"]) == 1 and "marker=" in page["keypairs_links"][0]["href"]
    first = page["keypairs"][0]["keypair"]["name"]
    after = nova_demo.get(f"/os-keypairs?marker={first}").json()["keypairs"]
    assert first not in [k["keypair"]["name"] for k in after]
    for n in names:
        nova_demo.delete(f"/os-keypairs/{n}")


def test_admin_other_user(nova_admin, nova_demo):
    name = unique("kp")
    user = nova_demo.post("/os-keypairs", headers=nova_demo.at("2.10"),
                          json={"keypair": {"name": name}}).json()["keypair"]["user_id"]
    assert nova_admin.get(f"/os-keypairs/{name}?user_id={user}").status_code == 200
    assert nova_demo.get(f"/os-keypairs/{name}?user_id=someone-else").status_code == 403
    assert nova_admin.delete(f"/os-keypairs/{name}?user_id={user}").status_code == 204


def test_cli_and_sdk(cli, demo):
    name = unique("kp")
    created = cli("keypair", "create", name, os_cloud="devstack")
    assert "BEGIN" in created.stdout if hasattr(created, "stdout") else True
    assert name in [k.name for k in demo.compute.keypairs()]
    cli("keypair", "delete", name, os_cloud="devstack")
    assert name not in [k.name for k in demo.compute.keypairs()]
