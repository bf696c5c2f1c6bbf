"""Object versioning with X-Versions-Enabled (Swift's object_versioning middleware): version ids,
?versions listings, ?version-id= reads, deletes and restores, delete markers; raw HTTP for the
headers, python-swiftclient and openstacksdk as clients use it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from swiftclient import client as swiftclient
from swiftclient.exceptions import ClientException

MARKER = "application/x-deleted;swift_versions_deleted=1"


def _versioned(swift: Any) -> str:
    return swift.container(**{"X-Versions-Enabled": "true"})


def _versions(swift: Any, c: str, **params: str) -> list[dict[str, Any]]:
    r = swift.get(f"/{c}", params={"versions": "", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def test_info_advertises_object_versioning(http: httpx.Client) -> None:
    info = http.get("/info").json()
    assert "object_versioning" in info and "versioned_writes" in info


def test_enable_put_versions_and_read_each(swift: Any) -> None:
    c = _versioned(swift)
    head = swift.head(f"/{c}")
    assert head.headers["x-versions-enabled"] == "True"
    r1 = swift.put(f"/{c}/o", content=b"one")
    r2 = swift.put(f"/{c}/o", content=b"two!")
    assert r1.status_code == r2.status_code == 201
    v1, v2 = r1.headers["x-object-version-id"], r2.headers["x-object-version-id"]
    assert v1 != v2 and float(v2) > float(v1)
    cur = swift.get(f"/{c}/o")
    assert cur.content == b"two!" and cur.headers["x-object-version-id"] == v2
    assert cur.headers["content-location"].endswith(f"/{c}/o?version-id={v2}")
    old = swift.get(f"/{c}/o", params={"version-id": v1})
    assert old.status_code == 200 and old.content == b"one" and old.headers["x-object-version-id"] == v1
    assert swift.head(f"/{c}/o", params={"version-id": v2}).headers["content-length"] == "4"
    listed = _versions(swift, c)
    assert [(e["name"], e["version_id"], e["is_latest"]) for e in listed] == [("o", v2, True), ("o", v1, False)]
    assert [e["bytes"] for e in listed] == [4, 3]
    plain = swift.get(f"/{c}", params={"format": "json"}).json()
    assert len(plain) == 1 and plain[0]["version_symlink"] is True
    assert plain[0]["symlink_path"].endswith(f"/{c}/o?version-id={v2}")
    assert swift.head(f"/{c}").headers["x-container-bytes-used"] == "7"
    assert swift.head(f"/{c}").headers["x-container-object-count"] == "1"
    names = [x["name"] for x in swift.get("", params={"format": "json"}).json()]
    assert c in names and not any("/" in n for n in names)
    entry = next(x for x in swift.get("", params={"format": "json", "prefix": c}).json() if x["name"] == c)
    assert entry["bytes"] == 7


def test_delete_marker_restore_and_delete_version(swift: Any) -> None:
    c = _versioned(swift)
    v1 = swift.put(f"/{c}/o", content=b"first").headers["x-object-version-id"]
    v2 = swift.put(f"/{c}/o", content=b"second").headers["x-object-version-id"]
    d = swift.delete(f"/{c}/o")
    assert d.status_code == 204
    marker = d.headers["x-object-version-id"]
    assert swift.get(f"/{c}/o").status_code == 404
    gone = swift.get(f"/{c}/o", params={"version-id": marker})
    assert gone.status_code == 404 and gone.headers["x-object-version-id"] == marker
    assert gone.headers["content-type"] == MARKER
    listed = _versions(swift, c)
    assert [(e["version_id"], e["is_latest"]) for e in listed] == [(marker, True), (v2, False), (v1, False)]
    assert listed[0]["content_type"] == MARKER and listed[0]["bytes"] == 0
    # restore v1: it becomes the current version again
    r = swift.put(f"/{c}/o", params={"version-id": v1}, headers={"Content-Length": "0"})
    assert r.status_code == 201 and r.headers["x-object-version-id"] == v1
    cur = swift.get(f"/{c}/o")
    assert cur.content == b"first" and cur.headers["x-object-version-id"] == v1
    # delete a non-current version: the current one stays
    d = swift.delete(f"/{c}/o", params={"version-id": v2})
    assert d.status_code == 204
    assert d.headers["x-object-version-id"] == v2 and d.headers["x-object-current-version-id"] == v1
    assert swift.get(f"/{c}/o", params={"version-id": v2}).status_code == 404
    # delete the current version: no delete marker, no current version left
    d = swift.delete(f"/{c}/o", params={"version-id": v1})
    assert d.status_code == 204 and d.headers["x-object-current-version-id"] == "null"
    assert swift.get(f"/{c}/o").status_code == 404
    assert [e["version_id"] for e in _versions(swift, c)] == [marker]
    assert swift.delete(f"/{c}/o", params={"version-id": v1}).status_code == 404


def test_container_delete_needs_all_versions_gone(swift: Any) -> None:
    c = _versioned(swift)
    swift.put(f"/{c}/o", content=b"x")
    assert swift.delete(f"/{c}/o").status_code == 204
    r = swift.delete(f"/{c}")
    assert r.status_code == 409 and b"Delete all versions" in r.content
    for e in _versions(swift, c):
        assert swift.delete(f"/{c}/o", params={"version-id": e["version_id"]}).status_code == 204
    assert swift.delete(f"/{c}").status_code == 204
    assert swift.head(f"/{c}").status_code == 404


def test_disable_keeps_versions_and_writes_null_versions(swift: Any) -> None:
    c = _versioned(swift)
    v1 = swift.put(f"/{c}/o", content=b"kept").headers["x-object-version-id"]
    assert swift.post(f"/{c}", headers={"X-Versions-Enabled": "false"}).status_code == 204
    assert swift.head(f"/{c}").headers["x-versions-enabled"] == "False"
    r = swift.put(f"/{c}/o", content=b"unversioned")
    assert r.status_code == 201 and "x-object-version-id" not in r.headers
    assert swift.head(f"/{c}/o").headers["x-object-version-id"] == "null"
    assert swift.get(f"/{c}/o", params={"version-id": "null"}).content == b"unversioned"
    assert swift.get(f"/{c}/o", params={"version-id": v1}).content == b"kept"
    listed = _versions(swift, c)
    assert [(e["version_id"], e["is_latest"]) for e in listed] == [("null", True), (v1, False)]
    # enabling again versions the null object off with an id of its own
    swift.post(f"/{c}", headers={"X-Versions-Enabled": "true"})
    v3 = swift.put(f"/{c}/o", content=b"three").headers["x-object-version-id"]
    ids = [e["version_id"] for e in _versions(swift, c)]
    assert ids[0] == v3 and "null" not in ids and len(ids) == 3


def test_versions_listing_paging_and_prefix(swift: Any) -> None:
    c = _versioned(swift)
    ids = {n: [swift.put(f"/{c}/{n}", content=n.encode() * i).headers["x-object-version-id"] for i in (1, 2)]
           for n in ("a", "b")}
    assert [(e["name"], e["version_id"]) for e in _versions(swift, c, limit="2")] == \
        [("a", ids["a"][1]), ("a", ids["a"][0])]
    page = _versions(swift, c, marker="a", version_marker=ids["a"][1], limit="2")
    assert [(e["name"], e["version_id"]) for e in page] == [("a", ids["a"][0]), ("b", ids["b"][1])]
    assert [e["name"] for e in _versions(swift, c, marker="a")] == ["b", "b"]
    assert [(e["name"], e["version_id"]) for e in _versions(swift, c, reverse="true")] == \
        [("b", ids["b"][0]), ("b", ids["b"][1]), ("a", ids["a"][0]), ("a", ids["a"][1])]
    assert {e["name"] for e in _versions(swift, c, prefix="b")} == {"b"}
    assert _versions(swift, c, prefix="zzz") == []
    assert swift.get(f"/{c}", params={"versions": "", "version_marker": "1"}).status_code == 400
    assert swift.get(f"/{c}", params={"versions": "", "delimiter": "1"}).status_code == 400
    # a never-versioned container lists its objects as null versions
    plain = swift.container()
    swift.put(f"/{plain}/x", content=b"x")
    assert [(e["name"], e["version_id"], e["is_latest"]) for e in _versions(swift, plain)] == [("x", "null", True)]


def test_bad_version_requests(swift: Any, alt_swift: Any, anon: Any) -> None:
    c = _versioned(swift)
    vid = swift.put(f"/{c}/o", content=b"x").headers["x-object-version-id"]
    r = swift.post(f"/{c}/o", params={"version-id": vid})
    assert r.status_code == 400 and b"not allowed" in r.content
    assert swift.get(f"/{c}/o", params={"version-id": "bogus"}).status_code == 400
    assert swift.delete(f"/{c}/o", params={"version-id": "nope"}).status_code == 400
    assert swift.put(f"/{c}/o", params={"version-id": "null"}, headers={"Content-Length": "0"}).status_code == 400
    r = swift.put(f"/{c}/o", params={"version-id": vid}, content=b"body")
    assert r.status_code == 400 and b"zero byte body" in r.content
    r = swift.put(f"/{c}/o", params={"version-id": "1234567890.12345"}, headers={"Content-Length": "0"})
    assert r.status_code == 404
    assert swift.get(f"/{c}/o", params={"version-id": "1234567890.12345"}).status_code == 404
    plain = swift.container()
    swift.put(f"/{plain}/o", content=b"x")
    r = swift.get(f"/{plain}/o", params={"version-id": vid})
    assert r.status_code == 400 and b"versioned" in r.content
    assert swift.get(f"/{plain}/o", params={"version-id": "null"}).content == b"x"
    assert alt_swift.client.get(swift.url + f"/{c}/o", params={"version-id": vid}).status_code == 403
    assert anon.get(f"/{c}/o", params={"version-id": vid}).status_code == 401
    assert anon.get(f"/{c}", params={"versions": ""}).status_code == 401
    assert swift.get("/nosuchcontainer/o", params={"version-id": vid}).status_code == 404
    # nothing changed by the refused requests
    assert [e["version_id"] for e in _versions(swift, c)] == [vid]


def test_mixing_with_legacy_versioning_is_refused(swift: Any) -> None:
    archive = swift.container()
    legacy = swift.container(**{"X-Versions-Location": archive})
    r = swift.post(f"/{legacy}", headers={"X-Versions-Enabled": "true"})
    assert r.status_code == 400 and b"legacy" in r.content
    assert "x-versions-enabled" not in swift.head(f"/{legacy}").headers
    new = _versioned(swift)
    assert swift.post(f"/{new}", headers={"X-Versions-Location": archive}).status_code == 400
    assert swift.post(f"/{new}", headers={"X-History-Location": archive}).status_code == 400
    assert "x-versions-location" not in swift.head(f"/{new}").headers
    both = swift.put(f"/{archive}-both", headers={"X-Versions-Enabled": "true", "X-Versions-Location": archive})
    assert both.status_code == 400
    # legacy versioning keeps working
    swift.put(f"/{legacy}/o", content=b"1")
    swift.put(f"/{legacy}/o", content=b"2")
    assert len(swift.get(f"/{archive}", params={"format": "json"}).json()) == 1


def test_swiftclient_versions(swift: Any, demo_token: str) -> None:
    conn = swiftclient.Connection(preauthurl=swift.url, preauthtoken=demo_token, retries=0)
    c = "sc-" + swift.container()
    conn.put_container(c, headers={"X-Versions-Enabled": "true"})
    assert conn.head_container(c)["x-versions-enabled"] == "True"
    got: dict[str, Any] = {}
    conn.put_object(c, "doc", b"v1", response_dict=got)
    v1 = got["headers"]["x-object-version-id"]
    conn.put_object(c, "doc", b"v2")
    headers, body = conn.get_object(c, "doc", query_string=f"version-id={v1}")
    assert body == b"v1" and headers["x-object-version-id"] == v1
    _, listing = conn.get_container(c, query_string="versions")
    assert [e["is_latest"] for e in listing] == [True, False]
    conn.delete_object(c, "doc", query_string=f"version-id={v1}")
    with pytest.raises(ClientException) as err:
        conn.get_object(c, "doc", query_string=f"version-id={v1}")
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        conn.get_object(c, "doc", query_string="version-id=garbage")
    assert err.value.http_status == 400


def test_openstacksdk_versions(demo: Any, swift: Any) -> None:
    name = swift.container(**{"X-Versions-Enabled": "true"})
    demo.object_store.upload_object(container=name, name="f", data=b"alpha")
    demo.object_store.upload_object(container=name, name="f", data=b"beta")
    assert demo.object_store.download_object("f", container=name) == b"beta"
    assert [o.name for o in demo.object_store.objects(name)] == ["f"]
    r = demo.object_store.get(f"/{name}", params={"versions": ""})
    versions = r.json()
    assert [v["is_latest"] for v in versions] == [True, False]
    old = demo.object_store.get(f"/{name}/f", params={"version-id": versions[1]["version_id"]})
    assert old.content == b"alpha"
    demo.object_store.delete_object("f", container=name)
    assert [o.name for o in demo.object_store.objects(name)] == []
    assert demo.object_store.get(f"/{name}", params={"versions": ""}).json()[0]["content_type"] == MARKER


def test_copy_a_version(swift: Any) -> None:
    c = _versioned(swift)
    v1 = swift.put(f"/{c}/o", content=b"one").headers["x-object-version-id"]
    swift.put(f"/{c}/o", content=b"two")
    r = swift.request("COPY", f"/{c}/o", params={"version-id": v1}, headers={"Destination": f"{c}/copy"})
    assert r.status_code == 201 and r.headers["x-copied-from-version-id"] == v1
    assert r.headers["x-object-version-id"] not in ("", v1)
    assert swift.get(f"/{c}/copy").content == b"one"
    r = swift.put(f"/{c}/copy2", params={"version-id": v1}, headers={"X-Copy-From": f"{c}/o", "Content-Length": "0"})
    assert r.status_code == 201 and swift.get(f"/{c}/copy2").content == b"one"
    assert swift.get(f"/{c}/o").content == b"two"
    marker = swift.delete(f"/{c}/o").headers["x-object-version-id"]
    r = swift.request("COPY", f"/{c}/o", params={"version-id": marker}, headers={"Destination": f"{c}/x"})
    assert r.status_code == 404 and swift.head(f"/{c}/x").status_code == 404
    plain = swift.container()
    swift.put(f"/{plain}/p", content=b"p")
    r = swift.request("COPY", f"/{plain}/p", params={"version-id": v1}, headers={"Destination": f"{plain}/q"})
    assert r.status_code == 400


def test_longest_container_name_can_be_versioned(swift: Any) -> None:
    c = "v" * 256
    assert swift.put(f"/{c}", headers={"X-Versions-Enabled": "true"}).status_code in (201, 202)
    try:
        v1 = swift.put(f"/{c}/o", content=b"a").headers["x-object-version-id"]
        swift.put(f"/{c}/o", content=b"bb")
        assert swift.get(f"/{c}/o", params={"version-id": v1}).content == b"a"
        assert swift.head(f"/{c}").headers["x-container-bytes-used"] == "3"
    finally:
        for e in swift.get(f"/{c}", params={"versions": ""}).json():
            swift.delete(f"/{c}/o", params={"version-id": e["version_id"]})
        assert swift.delete(f"/{c}").status_code == 204


def test_bulk_delete_in_a_versioned_container_writes_a_delete_marker(swift: Any) -> None:
    c = _versioned(swift)
    v1 = swift.put(f"/{c}/o", content=b"kept").headers["x-object-version-id"]
    r = swift.post("", params={"bulk-delete": "1"}, content=f"/{c}/o\n/{c}/missing\n".encode(),
                   headers={"Content-Type": "text/plain", "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["Number Deleted"] == 1 and r.json()["Number Not Found"] == 1
    assert swift.get(f"/{c}/o").status_code == 404

