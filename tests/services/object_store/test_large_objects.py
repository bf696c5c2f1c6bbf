"""SLO, DLO, TempURL and bulk operations, with python-swiftclient and raw HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import httpx


def test_swift_upload_slo_and_dlo_and_download(swift_cli, tmp_path, swift):
    data = os.urandom(300_000)
    (tmp_path / "big.bin").write_bytes(data)
    swift_cli("upload", "--use-slo", "--segment-size", "100000", "slo-c", "big.bin", cwd=tmp_path)
    swift_cli("upload", "--use-dlo", "--segment-size", "100000", "dlo-c", "big.bin", cwd=tmp_path)
    assert swift.head("/slo-c/big.bin").headers["x-static-large-object"] == "True"
    assert swift.head("/dlo-c/big.bin").headers["x-object-manifest"].startswith("dlo-c_segments/")
    for container in ("slo-c", "dlo-c"):
        out = tmp_path / container
        out.mkdir()
        swift_cli("download", container, "big.bin", cwd=out)
        assert (out / "big.bin").read_bytes() == data
    assert swift.get("/slo-c/big.bin", headers={"Range": "bytes=99990-100009"}).content == data[99990:100010]


def test_slo_manifest_put_get_delete_and_validation(swift):
    name = swift.container()
    a, b = b"a" * 10, b"b" * 20
    swift.put(f"/{name}/s1", content=a)
    swift.put(f"/{name}/s2", content=b)
    manifest = [{"path": f"/{name}/s1", "etag": hashlib.md5(a).hexdigest(), "size_bytes": 10},
                {"path": f"/{name}/s2"}]
    r = swift.put(f"/{name}/m", params={"multipart-manifest": "put"}, content=json.dumps(manifest))
    assert r.status_code == 201
    assert swift.get(f"/{name}/m").content == a + b
    got = swift.get(f"/{name}/m", params={"multipart-manifest": "get"}).json()
    assert [s["name"] for s in got] == [f"/{name}/s1", f"/{name}/s2"]
    bad = [{"path": f"/{name}/nope"}]
    r = swift.put(f"/{name}/m2", params={"multipart-manifest": "put"}, content=json.dumps(bad))
    assert r.status_code == 400 and "404 Not Found" in r.text
    assert swift.put(f"/{name}/m2", params={"multipart-manifest": "put"}, content=b"not json").status_code == 400
    wrong = [{"path": f"/{name}/s1", "etag": "0" * 32}]
    assert swift.put(f"/{name}/m2", params={"multipart-manifest": "put"}, content=json.dumps(wrong)).status_code == 400
    r = swift.delete(f"/{name}/m", params={"multipart-manifest": "delete"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["Number Deleted"] == 3
    assert swift.head(f"/{name}").headers["x-container-object-count"] == "0"


def test_tempurl_cli_and_plain_get(swift_cli, swift, cloud):
    name = swift.container()
    swift.put(f"/{name}/o", content=b"temp")
    swift.post("", headers={"X-Account-Meta-Temp-URL-Key": "k3y"})
    url = swift_cli("tempurl", "GET", "600", f"{swift.path}/{name}/o", "k3y").strip()
    r = httpx.get(cloud.url + url)
    assert r.status_code == 200 and r.content == b"temp" and "attachment" in r.headers["content-disposition"]
    assert httpx.get(cloud.url + url.replace("temp_url_sig=", "temp_url_sig=0")).status_code == 401
    assert httpx.put(cloud.url + url, content=b"x").status_code == 401


def test_bulk_delete_and_extract_archive(swift):
    name = swift.container()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for n in ("x", "y/z"):
            info = tarfile.TarInfo(n)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    r = swift.put(f"/{name}", params={"extract-archive": "tar"}, content=buf.getvalue(),
                  headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["Number Files Created"] == 2
    assert swift.get(f"/{name}/y/z").content == b"abc"
    r = swift.post("", params={"bulk-delete": "1"}, content=f"/{name}/x\n/{name}/y/z\n/{name}\n".encode(),
                   headers={"Accept": "application/json", "Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["Number Deleted"] == 3


def test_quotas_and_versions_and_symlinks(swift):
    name = swift.container(**{"X-Container-Meta-Quota-Bytes": "5"})
    assert swift.put(f"/{name}/o", content=b"123456").status_code == 413
    assert swift.put(f"/{name}/o", content=b"12345").status_code == 201
    versions = swift.container()
    name = swift.container(**{"X-Versions-Location": versions})
    swift.put(f"/{name}/o", content=b"v1")
    swift.put(f"/{name}/o", content=b"v2")
    assert swift.head(f"/{versions}").headers["x-container-object-count"] == "1"
    assert swift.delete(f"/{name}/o").status_code == 204
    assert swift.get(f"/{name}/o").content == b"v1"
    swift.put(f"/{name}/link", content=b"", headers={"X-Symlink-Target": f"{name}/o"})
    assert swift.get(f"/{name}/link").content == b"v1"
    assert swift.head(f"/{name}/link", params={"symlink": "get"}).headers["x-symlink-target"] == f"{name}/o"
