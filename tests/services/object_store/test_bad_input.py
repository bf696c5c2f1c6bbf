"""Bad input: Swift's status codes and bodies for over-long names, invalid UTF-8, missing lengths,
metadata over the limits and bad SLO manifests; and after each refusal nothing has changed."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest


def _raw(cloud: Any, swift: Any, request_line: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request written by hand (no client adds a Content-Length for us)."""
    url = urlparse(cloud.url)
    lines = [request_line, f"Host: {url.netloc}", f"X-Auth-Token: {swift.client.headers['X-Auth-Token']}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((url.hostname, url.port), timeout=30) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest


def _state(swift: Any, c: str) -> tuple[str, list[str]]:
    head = swift.head(f"/{c}")
    return head.headers["x-container-object-count"], swift.get(f"/{c}").text.split()


def test_names_over_the_limit(swift: Any) -> None:
    c = swift.container()
    before = _state(swift, c)
    r = swift.put(f"/{c}/" + "o" * 1025, content=b"x")
    assert r.status_code == 400 and r.text == "Object name length of 1025 longer than 1024"
    r = swift.put(f"/{c}/" + "é" * 513, content=b"x")        # 1026 bytes of UTF-8
    assert r.status_code == 400 and "longer than 1024" in r.text
    assert swift.put(f"/{c}/" + "o" * 1024, content=b"x").status_code == 201
    r = swift.put("/" + "c" * 257)
    assert r.status_code == 400 and "Container name length of 257 longer than 256" in r.text
    assert swift.put("/" + "é" * 129).status_code == 400           # 258 bytes
    assert swift.get(f"/{c}").text.split() == [*before[1], "o" * 1024]


def test_invalid_utf8_and_nul_in_names(swift: Any, cloud: Any) -> None:
    c = swift.container()
    before = _state(swift, c)
    hdrs = dict(swift.client.headers)
    for path in (f"/{c}/%FF%FE", f"/{c}/a%00b", "/%C3%28"):
        r = httpx.put(cloud.url + swift.path + path, headers=hdrs, content=b"x")
        assert r.status_code == 412 and r.text == "Invalid UTF8 or contains NULL", path
    assert httpx.get(cloud.url + swift.path + f"/{c}/%FF", headers=hdrs).status_code == 412
    assert _state(swift, c) == before


def test_missing_content_length(swift: Any, cloud: Any) -> None:
    c = swift.container()
    status, body = _raw(cloud, swift, f"PUT {swift.path}/{c}/o HTTP/1.1", {})
    assert status == 411 and body == b"Missing Content-Length header."
    status, _ = _raw(cloud, swift, f"PUT {swift.path}/{c}/m?multipart-manifest=put HTTP/1.1", {})
    assert status == 411
    status, _ = _raw(cloud, swift, f"PUT {swift.path}/{c}/o HTTP/1.1", {"Content-Length": "abc"})
    assert status == 400
    assert _state(swift, c) == ("0", [])


def test_metadata_over_the_limits(swift: Any) -> None:
    c = swift.container()
    swift.put(f"/{c}/o", content=b"x", headers={"X-Object-Meta-Keep": "me"})
    cases = [
        ({"X-Object-Meta-" + "k" * 129: "v"}, "Metadata name too long"),
        ({"X-Object-Meta-K": "v" * 257}, "Metadata value longer than 256"),
        ({f"X-Object-Meta-K{i}": "v" for i in range(91)}, "Too many metadata items; max 90"),
        ({f"X-Object-Meta-K{i}": "v" * 250 for i in range(17)}, "Total metadata too large; max 4096"),
        ({"X-Object-Meta-": "v"}, "Metadata name cannot be empty"),
    ]
    for hdrs, message in cases:
        for method in ("PUT", "POST"):
            r = swift.request(method, f"/{c}/o", headers=hdrs, content=b"y" if method == "PUT" else None)
            assert r.status_code == 400 and message in r.text, (method, message, r.text)
    g = swift.get(f"/{c}/o")
    assert g.content == b"x" and g.headers["x-object-meta-keep"] == "me"
    assert [k for k in g.headers if k.startswith("x-object-meta-")] == ["x-object-meta-keep"]
    r = swift.post(f"/{c}", headers={f"X-Container-Meta-K{i}": "v" for i in range(91)})
    assert r.status_code == 400 and "Too many metadata items" in r.text
    r = swift.post("", headers={"X-Account-Meta-" + "n" * 129: "v"})
    assert r.status_code == 400 and "Metadata name too long" in r.text
    r = swift.post(f"/{c}", headers={"X-Container-Meta-Big": "v" * 8193})
    assert r.status_code == 400 and r.text.startswith("Header value too long")
    assert not [k for k in swift.head(f"/{c}").headers if k.startswith("x-container-meta-")]


def test_metadata_must_be_utf8_on_accounts_and_containers(swift: Any, cloud: Any) -> None:
    c = swift.container()
    hdrs = [(b"X-Auth-Token", swift.client.headers["X-Auth-Token"].encode()), (b"X-Container-Meta-Bad", b"\xff\xfe")]
    r = httpx.post(cloud.url + swift.path + f"/{c}", headers=hdrs)
    assert r.status_code == 400 and r.text == "Metadata must be valid UTF-8"
    assert "x-container-meta-bad" not in swift.head(f"/{c}").headers
    ok = [(b"X-Auth-Token", swift.client.headers["X-Auth-Token"].encode()),
          (b"X-Container-Meta-Good", "caf\u00e9".encode())]
    assert httpx.post(cloud.url + swift.path + f"/{c}", headers=ok).status_code == 204


@pytest.mark.parametrize("manifest, status", [
    (b"not json", 400),
    (b'{"path": "/c/o"}', 400),
    (b'[1]', 400),
    (b'[{"path": "/c/o", "bogus": 1}]', 400),
    (b'[{"path": 5}]', 400),
    (b'[{"path": "/c/o", "size_bytes": "ten"}]', 400),
    (b'[{"data": "not base64!"}, {"path": "/c/o"}]', 400),
])
def test_bad_slo_manifests(swift: Any, manifest: bytes, status: int) -> None:
    c = swift.container()
    r = swift.put(f"/{c}/m", params={"multipart-manifest": "put"}, content=manifest)
    assert r.status_code == status, r.text
    assert _state(swift, c) == ("0", [])


def test_slo_manifest_segment_problems(swift: Any) -> None:
    c = swift.container()
    swift.put(f"/{c}/seg", content=b"12345")
    swift.put(f"/{c}/empty", content=b"")
    cases = [
        ([{"path": f"/{c}/missing"}], "404 Not Found"),
        ([{"path": f"/{c}/seg", "etag": "0" * 32}], "Etag Mismatch"),
        ([{"path": f"/{c}/seg", "size_bytes": 6}], "Size Mismatch"),
        ([{"path": f"/{c}/empty"}, {"path": f"/{c}/seg"}], "at least 1 byte"),
    ]
    for manifest, why in cases:
        r = swift.put(f"/{c}/m", params={"multipart-manifest": "put"}, content=json.dumps(manifest))
        assert r.status_code == 400 and why in r.text, (why, r.text)
    r = swift.put(f"/{c}/m", params={"multipart-manifest": "put"}, headers={"Etag": "0" * 32},
                  content=json.dumps([{"path": f"/{c}/seg"}]))
    assert r.status_code == 422
    assert sorted(_state(swift, c)[1]) == ["empty", "seg"]
    r = swift.put(f"/{c}/m", params={"multipart-manifest": "put"}, content=b"x" * (8 * 1024 * 1024 + 1))
    assert r.status_code == 413
    assert sorted(_state(swift, c)[1]) == ["empty", "seg"]
