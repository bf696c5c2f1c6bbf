"""Accounts and containers: stats headers, metadata limits, listings, ACLs and auth."""

from __future__ import annotations

from tests.conftest import unique


def test_info_advertises_the_implemented_middleware(http):
    info = http.get("/info").json()
    assert info["swift"]["max_meta_count"] == 90 and info["swift"]["container_listing_limit"] == 10000
    assert {"slo", "dlo", "tempurl", "bulk_delete"} <= set(info)
    assert {"formpost", "staticweb"} <= set(info) and info["swift"]["strict_cors_mode"] is True
    assert http.get("/object-store/info").json() == info


def test_openstack_cli_container_and_objects(cli, tmp_path):
    name = unique("c")
    created = cli("container", "create", name, os_cloud="pocketstack")
    assert created[0]["container"] == name
    f = tmp_path / "hello.txt"
    f.write_bytes(b"hello world\n")
    obj = cli("object", "create", name, str(f), os_cloud="pocketstack")
    assert obj[0]["etag"] == "6f5902ac237024bdd0c176cb93063dc4"
    listed = cli("object", "list", name, "--prefix", str(tmp_path)[:5], os_cloud="pocketstack")
    assert [o["Name"] for o in listed] == [str(f)]
    cli("object", "set", "--property", "color=red", name, str(f), os_cloud="pocketstack")
    shown = cli("object", "show", name, str(f), os_cloud="pocketstack")
    assert shown["properties"] == {"color": "red"} and shown["content-length"] == "12"
    out = tmp_path / "saved"
    cli("object", "save", "--file", str(out), name, str(f), os_cloud="pocketstack")
    assert out.read_bytes() == f.read_bytes()


def test_stats_headers_and_counts(swift):
    name = swift.container()
    swift.put(f"/{name}/a", content=b"12345")
    swift.put(f"/{name}/b", content=b"123")
    r = swift.head(f"/{name}")
    assert r.status_code == 204
    assert r.headers["x-container-object-count"] == "2" and r.headers["x-container-bytes-used"] == "8"
    assert r.headers["x-trans-id"].startswith("tx") and "x-timestamp" in r.headers
    swift.put(f"/{name}/a", content=b"1")
    assert swift.head(f"/{name}").headers["x-container-bytes-used"] == "4"
    acct = swift.head()
    assert int(acct.headers["x-account-container-count"]) >= 1 and "x-account-bytes-used" in acct.headers


def test_metadata_set_remove_and_limits(swift):
    name = swift.container(**{"X-Container-Meta-Color": "blue"})
    assert swift.head(f"/{name}").headers["x-container-meta-color"] == "blue"
    assert swift.post(f"/{name}", headers={"X-Remove-Container-Meta-Color": "x"}).status_code == 204
    assert "x-container-meta-color" not in swift.head(f"/{name}").headers
    assert swift.post(f"/{name}", headers={"X-Container-Meta-" + "k" * 129: "v"}).status_code == 400
    assert swift.post(f"/{name}", headers={"X-Container-Meta-K": "v" * 257}).status_code == 400
    many = {f"X-Container-Meta-K{i}": "v" for i in range(91)}
    assert swift.post(f"/{name}", headers=many).status_code == 400
    assert swift.post("", headers={"X-Account-Meta-" + "k" * 129: "v"}).status_code == 400
    assert swift.post("", headers={"X-Account-Meta-Team": "red"}).status_code == 204
    assert swift.head().headers["x-account-meta-team"] == "red"


def test_listings_formats_prefix_delimiter_markers(swift):
    name = swift.container()
    for obj in ("a/1", "a/2", "b", "c/x/y", "\u00e9t\u00e9"):
        assert swift.put(f"/{name}/{obj}", content=b"x").status_code == 201
    text = swift.get(f"/{name}")
    assert text.status_code == 200 and text.text.splitlines() == ["a/1", "a/2", "b", "c/x/y", "\u00e9t\u00e9"]
    js = swift.get(f"/{name}", params={"format": "json", "delimiter": "/"}).json()
    assert [e.get("name") or e.get("subdir") for e in js] == ["a/", "b", "c/", "\u00e9t\u00e9"]
    assert js[1]["hash"] == "9dd4e461268c8034f5c8564e155c67a6" and js[1]["bytes"] == 1
    assert swift.get(f"/{name}", params={"prefix": "a/"}).text.split() == ["a/1", "a/2"]
    assert swift.get(f"/{name}", params={"marker": "a/2", "end_marker": "c"}).text.split() == ["b"]
    assert swift.get(f"/{name}", params={"limit": "2", "reverse": "true"}).text.split() == ["\u00e9t\u00e9", "c/x/y"]
    assert swift.get(f"/{name}", params={"path": "a"}).text.split() == ["a/1", "a/2"]
    xml = swift.get(f"/{name}", headers={"Accept": "application/xml"})
    assert xml.headers["content-type"].startswith("application/xml") and "<name>b</name>" in xml.text
    assert swift.get(f"/{name}", params={"prefix": "zzz"}).status_code == 204
    assert swift.get(f"/{name}", params={"limit": "10001"}).status_code == 412


def test_delete_non_empty_container_conflicts(swift):
    name = swift.container()
    swift.put(f"/{name}/o", content=b"x")
    assert swift.delete(f"/{name}").status_code == 409
    assert swift.delete(f"/{name}/o").status_code == 204
    assert swift.delete(f"/{name}").status_code == 204
    assert swift.head(f"/{name}").status_code == 404


def test_auth_other_project_and_no_token(swift, alt_swift, anon):
    name = swift.container()
    swift.put(f"/{name}/o", content=b"secret")
    assert anon.get(f"/{name}/o").status_code == 401
    assert anon.get("").status_code == 401
    other = alt_swift.client.get(swift.path + f"/{name}/o")
    assert other.status_code == 403
    assert alt_swift.client.put(swift.path + f"/{name}/p", content=b"x").status_code == 403


def test_public_read_acl_and_write_acl(swift, alt_swift, anon):
    name = swift.container(**{"X-Container-Read": ".r:*"})
    swift.put(f"/{name}/o", content=b"public")
    assert anon.get(f"/{name}/o").content == b"public"
    assert anon.get(f"/{name}").status_code == 401          # no .rlistings
    swift.post(f"/{name}", headers={"X-Container-Read": ".r:*,.rlistings"})
    assert anon.get(f"/{name}").text == "o\n"
    alt_project = alt_swift.path.rsplit("AUTH_", 1)[1]
    swift.post(f"/{name}", headers={"X-Container-Write": f"{alt_project}:*"})
    assert alt_swift.client.put(swift.path + f"/{name}/from-alt", content=b"x").status_code == 201
    assert swift.post(f"/{name}", headers={"X-Container-Read": ".r:"}).status_code == 400


def test_invalid_utf8_and_long_names(swift, cloud):
    import httpx
    name = swift.container()
    r = httpx.put(cloud.url + swift.path + f"/{name}/%FF%FE", headers=dict(swift.client.headers), content=b"x")
    assert r.status_code == 412
    assert swift.put(f"/{name}/" + "o" * 1025, content=b"x").status_code == 400
    assert swift.put("/" + "c" * 257).status_code == 400
