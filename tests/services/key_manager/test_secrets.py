"""Barbican secrets: create/list/get/payload/put/delete, metadata, expiration, encryption at rest,
consumers (1.1, 1.2), errors in Barbican's format."""

from __future__ import annotations

import base64
import datetime as dt
import os
import sqlite3
import stat

from tests.conftest import unique
from tests.services.key_manager.conftest import Barbican


def test_versions_and_catalog(http, demo):
    r = http.get("/key-manager/")
    assert r.status_code == 300
    assert r.json()["versions"]["values"][0]["id"] == "v1"
    r = http.get("/key-manager/", headers={"OpenStack-API-Version": "key-manager 1.1"})
    assert r.json()["versions"][0]["max_version"] == "1.2"
    assert http.get("/key-manager/v1").json()["version"]["status"] == "stable"
    endpoint = demo.endpoint_for("key-manager")
    assert endpoint.rstrip("/").endswith("/key-manager")


def test_sdk_store_get_list_delete(demo, km):
    name = unique("sdk")
    s = demo.key_manager.create_secret(name=name, payload="s3cret", payload_content_type="text/plain",
                                       secret_type="passphrase")
    secret_id = s.secret_ref.rsplit("/", 1)[1]
    got = demo.key_manager.get_secret(secret_id)
    assert got.name == name and got.payload == "s3cret" and got.secret_type == "passphrase"
    assert name in [x.name for x in demo.key_manager.secrets(name=name)]
    demo.key_manager.delete_secret(secret_id)
    assert km.get(f"/secrets/{secret_id}").status_code == 404   # (the SDK's Secret.fetch ignores a 404)


def test_payload_accept_and_binary(km):
    raw = os.urandom(32)
    sid = km.secret(payload=base64.b64encode(raw).decode(), payload_content_type="application/octet-stream",
                    payload_content_encoding="base64", algorithm="aes", bit_length=256, mode="cbc",
                    secret_type="symmetric")
    r = km.get(f"/secrets/{sid}/payload", headers={"Accept": "application/octet-stream"})
    assert r.status_code == 200 and r.content == raw
    meta = km.get(f"/secrets/{sid}").json()
    assert meta["content_types"] == {"default": "application/octet-stream"} and meta["bit_length"] == 256
    assert meta["status"] == "ACTIVE" and meta["secret_ref"].endswith(sid) and "consumers" not in meta
    # the deprecated way: GET the secret itself with a payload Accept
    assert km.get(f"/secrets/{sid}", headers={"Accept": "application/octet-stream"}).content == raw
    r = km.get(f"/secrets/{sid}/payload", headers={"Accept": "application/json"})
    assert r.status_code == 406
    assert r.json() == {"code": 406, "title": "Not Acceptable",
                        "description": "Secret payload retrieval issue seen - Wrong payload content-type."}
    assert km.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"}).status_code == 406  # not UTF-8


def test_metadata_only_then_put_payload_once(km):
    sid = km.secret(name="later")
    r = km.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"})
    assert r.status_code == 404 and r.json()["description"] == "Not Found. Sorry but your secret has no payload."
    assert km.put(f"/secrets/{sid}", content=b"x", headers={"Content-Type": "application/json"}).status_code == 415
    r = km.put(f"/secrets/{sid}", content=b"text payload", headers={"Content-Type": "text/plain"})
    assert r.status_code == 204
    assert km.get(f"/secrets/{sid}/payload", headers={"Accept": "text/plain"}).text == "text payload"
    r = km.put(f"/secrets/{sid}", content=b"again", headers={"Content-Type": "text/plain"})
    assert r.status_code == 409 and r.json()["description"] == "Secret already has data, cannot modify it."


def test_bad_input(km):
    r = km.post("/secrets", json={"name": "x", "payload": "abc"})
    assert r.status_code == 400 and r.json()["title"] == "Bad Request"
    assert "'payload_content_type' must also be supplied" in r.json()["description"]
    r = km.post("/secrets", json={"payload": "abc", "payload_content_type": "text/html"})
    assert r.status_code == 400 and "payload_content_type is not one of" in r.json()["description"]
    r = km.post("/secrets", json={"payload": "abc", "payload_content_type": "application/octet-stream"})
    assert r.status_code == 400 and "payload_content_encoding" in r.json()["description"]
    r = km.post("/secrets", json={"expiration": "2000-01-01T00:00:00Z"})
    assert r.json()["description"] == ("Provided object does not match schema 'Secret': 'expiration' is before "
                                       "current time. Invalid property: 'expiration'")
    r = km.post("/secrets", json={"secret_type": "nope"})
    assert r.status_code == 400 and "Invalid property: 'secret_type'" in r.json()["description"]
    r = km.post("/secrets", json={"payload": "x" * 20001, "payload_content_type": "text/plain"})
    assert r.status_code == 413
    r = km.post("/secrets", content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["description"] == "Malformed JSON"
    r = km.post("/secrets", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert km.get("/secrets/not-a-uuid").json()["description"] == "Not Found. Provided secret id is invalid."
    assert km.get("/secrets/00000000-0000-0000-0000-000000000000").json() == {
        "code": 404, "title": "Not Found", "description": "Secret not found."}
    assert km.get("/secrets", params={"sort": "bogus"}).status_code == 400
    assert km.get("/secrets", params={"created": "gt:nope"}).status_code == 400


def test_no_token_and_other_project(cloud, km, km_alt):
    sid = km.secret(payload="mine", payload_content_type="text/plain")
    r = Barbican(cloud.url, None).get(f"/secrets/{sid}")
    assert r.status_code == 401
    r = km_alt.get(f"/secrets/{sid}")
    assert r.status_code == 403 and r.json()["description"] == (
        "Secret retrieval attempt not allowed - please review your user/project privileges")
    assert km_alt.get(f"/secrets/{sid}/payload").status_code == 403
    assert km_alt.delete(f"/secrets/{sid}").status_code == 403
    assert sid not in [s["secret_ref"] for s in km_alt.get("/secrets").json()["secrets"]]


def test_list_paging_and_filters(km):
    name = unique("page")
    ids = [km.secret(name=name, algorithm="aes", bit_length=128 + 64 * (i % 2)) for i in range(5)]
    page = km.get("/secrets", params={"name": name, "limit": 2}).json()
    assert page["total"] == 5 and len(page["secrets"]) == 2 and "next" in page and "previous" not in page
    assert "offset=2" in page["next"] and f"name={name}" in page["next"]
    last = km.get("/secrets", params={"name": name, "limit": 2, "offset": 4}).json()
    assert len(last["secrets"]) == 1 and "next" not in last and "offset=2" in last["previous"]
    assert km.get("/secrets", params={"name": name, "bits": 192}).json()["total"] == 2
    desc = km.get("/secrets", params={"name": name, "sort": "created:desc", "limit": 5}).json()["secrets"]
    assert desc[0]["secret_ref"].endswith(ids[-1])
    assert km.get("/secrets", params={"name": unique("none")}).json() == {"secrets": [], "total": 0}


def test_expired_secret_is_gone(km):
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat()
    sid = km.secret(expiration=soon, payload="short", payload_content_type="text/plain")
    assert km.get(f"/secrets/{sid}").json()["expiration"]
    import time
    time.sleep(1.5)
    assert km.get(f"/secrets/{sid}").status_code == 404
    assert km.get(f"/secrets/{sid}/payload").status_code == 404


def test_payload_encrypted_at_rest(cloud, km):
    marker = unique("plaintext-marker")
    sid = km.secret(payload=marker, payload_content_type="text/plain")
    key = cloud.data_dir / "key-manager" / "master.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    if cloud.database_url is None:
        with sqlite3.connect(cloud.data_dir / "pocketstack.db") as conn:
            blob = conn.execute("SELECT encrypted FROM key_manager_secrets WHERE id = ?", (sid,)).fetchone()[0]
            wrapped = conn.execute("SELECT count(*) FROM key_manager_keks").fetchone()[0]
        assert marker.encode() not in blob and len(blob) > len(marker) and wrapped >= 1


def test_metadata(km, km_alt):
    sid = km.secret()
    assert km.put(f"/secrets/{sid}/metadata", json={"metadata": {"Color": "red", "size": "L"}}).status_code == 201
    assert km.get(f"/secrets/{sid}/metadata").json() == {"metadata": {"color": "red", "size": "L"}}
    r = km.post(f"/secrets/{sid}/metadata", json={"key": "shape", "value": "round"})
    assert r.status_code == 201 and r.headers["Location"].endswith("/metadata/shape")
    assert km.post(f"/secrets/{sid}/metadata", json={"key": "shape", "value": "x"}).status_code == 409
    assert km.put(f"/secrets/{sid}/metadata/shape", json={"key": "shape", "value": "flat"}).json()["value"] == "flat"
    assert km.get(f"/secrets/{sid}/metadata/shape").json() == {"key": "shape", "value": "flat"}
    assert km.delete(f"/secrets/{sid}/metadata/shape").status_code == 204
    assert km.get(f"/secrets/{sid}/metadata/shape").status_code == 404
    r = km.put(f"/secrets/{sid}/metadata", json={"metadata": {"bad key!": "v"}})
    assert r.status_code == 400 and r.json()["description"] == "Invalid Key. Key must be URL safe."
    assert km.put(f"/secrets/{sid}/metadata", json={"metadata": {"k": 1}}).status_code == 400
    assert km_alt.get(f"/secrets/{sid}/metadata").status_code == 403


def test_secret_consumers_microversions(cloud, demo_token):
    km11, km12 = Barbican(cloud.url, demo_token, "1.1"), Barbican(cloud.url, demo_token, "1.2")
    sid = km11.secret(payload="c", payload_content_type="text/plain")
    assert Barbican(cloud.url, demo_token).get(f"/secrets/{sid}/consumers").json()["total"] == 0   # quirk: any version
    body = {"service": "image", "resource_type": "image", "resource_id": "abc"}
    r = km11.post(f"/secrets/{sid}/consumers", json=body)
    assert r.status_code == 200 and r.json()["consumers"] == [body]
    listed = km11.get(f"/secrets/{sid}/consumers").json()
    assert listed["total"] == 1 and listed["consumers"][0]["service"] == "image"
    r = km12.delete(f"/secrets/{sid}")
    assert r.status_code == 400 and "has consumers" in r.json()["description"]
    assert km11.request("DELETE", f"/secrets/{sid}/consumers", json=body).json()["consumers"] == []
    assert km11.request("DELETE", f"/secrets/{sid}/consumers", json=body).status_code == 404
    km11.post(f"/secrets/{sid}/consumers", json=body)
    assert km12.delete(f"/secrets/{sid}", params={"force": "true"}).status_code == 204
    assert km12.post(f"/secrets/{sid}/consumers", json={"service": "x"}).status_code == 404
    assert "consumers" not in Barbican(cloud.url, demo_token).get(f"/secrets/{km11.secret()}").json()
