"""Objects: etags, conditionals, ranges, content types, copies, expiry, chunked and cut-off uploads."""

from __future__ import annotations

import hashlib
import socket
import time
from urllib.parse import urlparse

DATA = bytes(range(256)) * 10


def test_put_get_etag_and_mismatch(swift):
    name = swift.container()
    r = swift.put(f"/{name}/o", content=DATA, headers={"X-Object-Meta-Color": "red"})
    assert r.status_code == 201 and r.headers["etag"] == hashlib.md5(DATA).hexdigest()
    g = swift.get(f"/{name}/o")
    assert g.content == DATA and g.headers["x-object-meta-color"] == "red" and g.headers["etag"] == r.headers["etag"]
    assert "last-modified" in g.headers and g.headers["accept-ranges"] == "bytes"
    assert swift.put(f"/{name}/o", content=b"new", headers={"ETag": "0" * 32}).status_code == 422
    assert swift.get(f"/{name}/o").content == DATA          # the old version is intact


def test_missing_length_and_chunked(swift, cloud):
    name = swift.container()
    url = urlparse(cloud.url)
    token = swift.client.headers["X-Auth-Token"]
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall((f"PUT {swift.path}/{name}/nolen HTTP/1.1\r\nHost: {url.netloc}\r\nX-Auth-Token: {token}\r\n"
                   "Connection: close\r\n\r\n").encode())
        assert b" 411 " in s.recv(1024).split(b"\r\n")[0]

    def chunks():
        yield b"abc"
        yield b"def"
    assert swift.put(f"/{name}/chunked", content=chunks()).status_code == 201
    assert swift.get(f"/{name}/chunked").content == b"abcdef"


def test_cut_off_upload_keeps_previous_version(swift, cloud):
    name = swift.container()
    swift.put(f"/{name}/o", content=b"old")
    url = urlparse(cloud.url)
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall((f"PUT {swift.path}/{name}/o HTTP/1.1\r\nHost: {url.netloc}\r\n"
                   f"X-Auth-Token: {swift.client.headers['X-Auth-Token']}\r\nContent-Length: 1000000\r\n\r\n").encode())
        s.sendall(b"x" * 1000)
    time.sleep(0.5)
    assert swift.get(f"/{name}/o").content == b"old"
    assert swift.head(f"/{name}").headers["x-container-object-count"] == "1"


def test_conditional_requests(swift):
    name = swift.container()
    etag = swift.put(f"/{name}/o", content=DATA).headers["etag"]
    assert swift.get(f"/{name}/o", headers={"If-None-Match": etag}).status_code == 304
    assert swift.get(f"/{name}/o", headers={"If-Match": "nope"}).status_code == 412
    assert swift.get(f"/{name}/o", headers={"If-Match": etag}).status_code == 200
    lm = swift.head(f"/{name}/o").headers["last-modified"]
    assert swift.get(f"/{name}/o", headers={"If-Modified-Since": lm}).status_code == 304
    assert swift.get(f"/{name}/o", headers={"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 412
    assert swift.put(f"/{name}/o", content=b"x", headers={"If-None-Match": "*"}).status_code == 412


def test_ranges(swift):
    name = swift.container()
    swift.put(f"/{name}/o", content=DATA)
    r = swift.get(f"/{name}/o", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == DATA[10:20] and r.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    assert swift.get(f"/{name}/o", headers={"Range": "bytes=-5"}).content == DATA[-5:]
    multi = swift.get(f"/{name}/o", headers={"Range": "bytes=0-1,5-6"})
    assert multi.status_code == 206 and multi.headers["content-type"].startswith("multipart/byteranges")
    assert b"Content-Range: bytes 0-1/2560" in multi.content and b"Content-Range: bytes 5-6/2560" in multi.content
    bad = swift.get(f"/{name}/o", headers={"Range": f"bytes={len(DATA)}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(DATA)}"


def test_content_type_guessing_and_headers(swift):
    name = swift.container()
    swift.put(f"/{name}/page.html", content=b"<p>", headers={"Content-Type": ""})
    assert swift.head(f"/{name}/page.html").headers["content-type"].startswith("text/html")
    swift.put(f"/{name}/x.json", content=b"{}", headers={"Content-Type": "text/plain", "X-Detect-Content-Type": "true"})
    assert swift.head(f"/{name}/x.json").headers["content-type"] == "application/json"
    swift.put(f"/{name}/d", content=b"x", headers={"Content-Disposition": "attachment; filename=a.txt",
                                                   "Content-Encoding": "gzip"})
    h = swift.head(f"/{name}/d").headers
    assert h["content-disposition"] == "attachment; filename=a.txt" and h["content-encoding"] == "gzip"
    assert swift.put(f"/{name}/m", content=b"x", headers={"X-Object-Meta-" + "k" * 129: "v"}).status_code == 400


def test_copy_and_x_copy_from(swift):
    name = swift.container()
    swift.put(f"/{name}/src", content=DATA, headers={"X-Object-Meta-A": "1"})
    r = swift.put(f"/{name}/dst", headers={"X-Copy-From": f"{name}/src", "Content-Length": "0"})
    assert r.status_code == 201 and r.headers["x-copied-from"] == f"{name}/src"
    assert swift.get(f"/{name}/dst").headers["x-object-meta-a"] == "1"
    r = swift.request("COPY", f"/{name}/src", headers={"Destination": f"{name}/dst2", "X-Object-Meta-B": "2"})
    assert r.status_code == 201
    g = swift.get(f"/{name}/dst2")
    assert g.content == DATA and g.headers["x-object-meta-b"] == "2"


def test_post_replaces_metadata_and_expiry(swift):
    name = swift.container()
    swift.put(f"/{name}/o", content=b"x", headers={"X-Object-Meta-A": "1"})
    assert swift.post(f"/{name}/o", headers={"X-Object-Meta-B": "2"}).status_code == 202
    h = swift.head(f"/{name}/o").headers
    assert "x-object-meta-a" not in h and h["x-object-meta-b"] == "2"
    assert swift.put(f"/{name}/gone", content=b"x", headers={"X-Delete-After": "1"}).status_code == 201
    assert swift.put(f"/{name}/bad", content=b"x", headers={"X-Delete-At": "1"}).status_code == 400
    time.sleep(2.1)
    assert swift.get(f"/{name}/gone").status_code == 404
    deadline = time.time() + 10
    while swift.head(f"/{name}").headers["x-container-object-count"] != "1":
        assert time.time() < deadline
        time.sleep(0.2)
