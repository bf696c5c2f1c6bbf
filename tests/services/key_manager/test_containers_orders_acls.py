"""Barbican containers (generic, rsa, certificate), container secrets and consumers, orders (key,
asymmetric), ACLs on secrets and containers, quotas; the openstack CLI (python-barbicanclient)."""

from __future__ import annotations

from tests.conftest import unique


def _id(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def _ref(km, sid: str) -> str:
    return f"{km.base}/secrets/{sid}"


def test_generic_container_and_consumers(km, km_alt):
    a, b = km.secret(payload="a", payload_content_type="text/plain"), km.secret()
    r = km.post("/containers", json={"name": "gen", "type": "generic",
                                     "secret_refs": [{"name": "a", "secret_ref": _ref(km, a)}]})
    assert r.status_code == 201 and r.headers["Location"] == r.json()["container_ref"]
    cid = _id(r.json()["container_ref"])
    r = km.post(f"/containers/{cid}/secrets", json={"name": "b", "secret_ref": _ref(km, b)})
    assert r.status_code == 201
    assert km.post(f"/containers/{cid}/secrets", json={"name": "b", "secret_ref": _ref(km, b)}).status_code == 409
    body = km.get(f"/containers/{cid}").json()
    assert body["type"] == "generic" and body["status"] == "ACTIVE"
    assert sorted(x["name"] for x in body["secret_refs"]) == ["a", "b"]
    r = km.request("DELETE", f"/containers/{cid}/secrets", json={"name": "b", "secret_ref": _ref(km, b)})
    assert r.status_code == 204 and len(km.get(f"/containers/{cid}").json()["secret_refs"]) == 1
    consumer = {"name": "lb", "URL": "http://lb/1"}
    r = km.post(f"/containers/{cid}/consumers", json=consumer)
    assert r.status_code == 200 and r.json()["consumers"] == [consumer]
    assert km.get(f"/containers/{cid}/consumers").json()["total"] == 1
    assert km.post(f"/containers/{cid}/consumers", json={"name": "x"}).status_code == 400
    r = km.request("DELETE", f"/containers/{cid}/consumers", json=consumer)
    assert r.status_code == 200 and r.json()["consumers"] == []
    assert km.request("DELETE", f"/containers/{cid}/consumers", json=consumer).status_code == 404
    assert km_alt.get(f"/containers/{cid}").status_code == 403
    assert km.delete(f"/containers/{cid}").status_code == 204
    assert km.get(f"/containers/{cid}").json() == {"code": 404, "title": "Not Found",
                                                   "description": "Container not found."}


def test_container_bad_input(km, km_alt):
    sid = km.secret()
    r = km.post("/containers", json={"type": "rsa", "secret_refs": [{"name": "public_key",
                                                                      "secret_ref": _ref(km, sid)}]})
    assert r.status_code == 400 and "minimum required reference names" in r.json()["description"]
    r = km.post("/containers", json={"type": "certificate", "secret_refs": [{"name": "x",
                                                                              "secret_ref": _ref(km, sid)}]})
    assert r.status_code == 400
    assert km.post("/containers", json={"type": "nope"}).status_code == 400
    assert km.post("/containers", json={"name": "no type"}).status_code == 400
    r = km.post("/containers", json={"type": "generic", "secret_refs": [
        {"name": "a", "secret_ref": _ref(km, sid)}, {"name": "b", "secret_ref": _ref(km, sid)}]})
    assert r.json()["description"].startswith("Provided object does not match schema 'Container': Duplicate secret")
    # another project's secret cannot go into a container
    r = km_alt.post("/containers", json={"type": "generic", "secret_refs": [{"name": "x",
                                                                             "secret_ref": _ref(km, sid)}]})
    assert r.status_code == 404 and r.json()["description"] == "Secret provided for 'x' doesn't exist."
    rsa = km.post("/containers", json={"type": "rsa"}).json()["container_ref"]
    r = km.post(f"/containers/{_id(rsa)}/secrets", json={"secret_ref": _ref(km, sid)})
    assert r.status_code == 400 and r.json()["description"] == "Only 'generic' containers can be modified."
    assert km.get("/containers/abc").json()["description"] == "Not Found. Provided container id is invalid."


def test_container_list_paging(km):
    name = unique("ctr")
    for _ in range(3):
        km.post("/containers", json={"name": name, "type": "generic"})
    page = km.get("/containers", params={"name": name, "limit": 2}).json()
    assert page["total"] == 3 and len(page["containers"]) == 2 and "next" in page


def test_orders_key_and_asymmetric(km, km_alt):
    r = km.post("/orders", json={"type": "key", "meta": {"name": "k", "algorithm": "aes", "bit_length": 256,
                                                          "mode": "cbc", "payload_content_type":
                                                          "application/octet-stream"}})
    assert r.status_code == 202
    order = km.get(f"/orders/{_id(r.json()['order_ref'])}").json()
    assert order["status"] == "ACTIVE" and order["type"] == "key" and order["meta"]["bit_length"] == 256
    key = km.get(f"/secrets/{_id(order['secret_ref'])}/payload", headers={"Accept": "application/octet-stream"})
    assert len(key.content) == 32
    assert km.get(f"/secrets/{_id(order['secret_ref'])}").json()["secret_type"] == "symmetric"
    r = km.post("/orders", json={"type": "asymmetric", "meta": {"name": "pair", "algorithm": "rsa",
                                                                 "bit_length": 1024}})
    order = km.get(f"/orders/{_id(r.json()['order_ref'])}").json()
    assert order["status"] == "ACTIVE"
    container = km.get(f"/containers/{_id(order['container_ref'])}").json()
    assert container["type"] == "rsa"
    refs = {x["name"]: x["secret_ref"] for x in container["secret_refs"]}
    octets = {"Accept": "application/octet-stream"}
    assert km.get(f"/secrets/{_id(refs['private_key'])}/payload").status_code == 406    # httpx's */*, as upstream
    private = km.get(f"/secrets/{_id(refs['private_key'])}/payload", headers=octets).content
    assert private.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert km.get(f"/secrets/{_id(refs['public_key'])}/payload", headers=octets).content.startswith(b"-----BEGIN PUBLIC KEY")
    assert km.get("/orders").json()["total"] >= 2
    assert km_alt.get(f"/orders/{_id(r.json()['order_ref'])}").status_code == 404    # by project, as order_repo.get
    assert km.delete(f"/orders/{_id(r.json()['order_ref'])}").status_code == 204
    assert km.get(f"/orders/{_id(r.json()['order_ref'])}").json()["description"] == "Order not found."


def test_order_errors(km):
    r = km.post("/orders", json={"type": "key", "meta": {"algorithm": "aes"}})
    assert r.status_code == 400 and "'bit_length' is required field for key type order" in r.json()["description"]
    r = km.post("/orders", json={"type": "key", "meta": {"algorithm": "aes", "bit_length": 130}})
    assert r.status_code == 400
    assert km.post("/orders", json={"type": "certificate", "meta": {}}).status_code == 400
    assert km.post("/orders", json={"type": "key", "meta": {"algorithm": "aes", "bit_length": 128,
                                                             "payload": "x"}}).status_code == 400
    r = km.post("/orders", json={"type": "key", "meta": {"algorithm": "blowfish", "bit_length": 128}})
    order = km.get(f"/orders/{_id(r.json()['order_ref'])}").json()
    assert order["status"] == "ERROR" and order["error_status_code"] == "400"
    assert km.put("/orders", json={}).status_code == 405


def test_secret_acl_grants_read_to_another_user(km, km_alt, alt):
    sid = km.secret(payload="shared", payload_content_type="text/plain")
    assert km.get(f"/secrets/{sid}/acl").json() == {"read": {"project-access": True}}
    assert km_alt.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"}).status_code == 403
    r = km.put(f"/secrets/{sid}/acl", json={"read": {"users": [alt.current_user_id], "project-access": False}})
    assert r.status_code == 200 and r.json()["acl_ref"].endswith(f"/secrets/{sid}/acl")
    acl = km.get(f"/secrets/{sid}/acl").json()["read"]
    assert acl["users"] == [alt.current_user_id] and acl["project-access"] is False
    assert km_alt.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"}).text == "shared"
    listed = km_alt.get("/secrets", params={"acl_only": "true"}).json()["secrets"]
    assert [s["secret_ref"] for s in listed] == [km.get(f"/secrets/{sid}").json()["secret_ref"]]
    assert km_alt.put(f"/secrets/{sid}/acl", json={"read": {"users": []}}).status_code == 403
    r = km.patch(f"/secrets/{sid}/acl", json={"read": {"project-access": True}})
    assert r.status_code == 200 and km.get(f"/secrets/{sid}/acl").json()["read"]["users"] == [alt.current_user_id]
    assert km.put(f"/secrets/{sid}/acl", json={"write": {}}).status_code == 400
    assert km.put(f"/secrets/{sid}/acl", json={"read": {"users": "x"}}).status_code == 400
    assert km.delete(f"/secrets/{sid}/acl").status_code == 200
    assert km_alt.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"}).status_code == 403


def test_container_acl(km, km_alt, alt):
    cid = _id(km.post("/containers", json={"type": "generic"}).json()["container_ref"])
    assert km_alt.get(f"/containers/{cid}").status_code == 403
    km.put(f"/containers/{cid}/acl", json={"read": {"users": [alt.current_user_id]}})
    assert km_alt.get(f"/containers/{cid}").status_code == 200
    assert km.get(f"/containers/{cid}/acl").json()["read"]["project-access"] is True


def test_quotas(km, km_admin, demo):
    assert km.get("/quotas").json()["quotas"]["secrets"] == -1
    pid = demo.current_project_id
    assert km.get("/project-quotas").status_code == 403
    assert km.put(f"/project-quotas/{pid}", json={"project_quotas": {"secrets": 5}}).status_code == 403
    r = km_admin.put(f"/project-quotas/{pid}", json={"project_quotas": {"secrets": 5, "orders": 2}})
    assert r.status_code == 204
    assert km_admin.put(f"/project-quotas/{pid}", json={"project_quotas": {"secrets": "x"}}).status_code == 400
    assert km_admin.get(f"/project-quotas/{pid}").json() == {"project_quotas": {"secrets": 5, "orders": 2}}
    listed = km_admin.get("/project-quotas").json()
    assert {"project_id": pid, "project_quotas": {"secrets": 5, "orders": 2}} in listed["project_quotas"]
    assert km.get("/quotas").json()["quotas"] == {"secrets": 5, "orders": 2, "containers": -1, "consumers": -1,
                                                  "cas": -1}
    assert km_admin.delete(f"/project-quotas/{pid}").status_code == 204
    r = km_admin.delete(f"/project-quotas/{pid}")
    assert r.status_code == 404 and r.json()["description"].startswith("Not Found. Sorry but project quotas")


def test_transport_keys(km, km_admin):
    assert km.post("/transport_keys", json={"plugin_name": "simple-crypto", "transport_key": "K"}).status_code == 403
    r = km_admin.post("/transport_keys", json={"plugin_name": "simple-crypto", "transport_key": "K"})
    assert r.status_code == 201
    assert km_admin.post("/transport_keys", json={"transport_key": "K"}).status_code == 400
    listed = km.get("/transport_keys", params={"plugin_name": "simple-crypto"}).json()
    assert r.json()["transport_key_ref"] in [k["transport_key_ref"] for k in listed["transport_keys"]]
    key_id = _id(r.json()["transport_key_ref"])
    assert km.get(f"/transport_keys/{key_id}").json()["transport_key"] == "K"
    assert km.delete(f"/transport_keys/{key_id}").status_code == 403
    assert km_admin.delete(f"/transport_keys/{key_id}").status_code == 204
    assert km.get(f"/transport_keys/{key_id}").status_code == 404


def test_cli(cli, cloud):
    name = unique("cli")
    stored = cli("secret", "store", "--name", name, "--payload", "from-cli", "-f", "json", os_cloud="devstack")
    href = stored["Secret href"]
    got = cli("secret", "get", href, "--payload", "-f", "json", os_cloud="devstack")
    assert got["Payload"] == "from-cli"
    assert name in [s["Name"] for s in cli("secret", "list", "--name", name, os_cloud="devstack")]
    ctr = cli("secret", "container", "create", "--name", name, "--type", "generic", "--secret", f"one={href}",
              "-f", "json", os_cloud="devstack")
    assert ctr["Type"] == "generic" and href in ctr["Secrets"]
    assert cli("secret", "get", href, "-f", "json", os_cloud="devstack-alt", check=False).returncode != 0
    cli("secret", "delete", href, os_cloud="devstack")
