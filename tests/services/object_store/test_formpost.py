"""FormPost: signed multipart uploads to a container (swift formpost middleware)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx

KEY = "formkey"


def form(path: str, files: list[tuple[str, bytes]], *, key: str = KEY, redirect: str = "", max_size: int = 1024,
         max_count: int = 10, expires: int | None = None, algo: str = "sha1", extra: dict[str, str] | None = None
         ) -> tuple[bytes, str]:
    expires = int(time.time()) + 600 if expires is None else expires
    sig = hmac.new(key.encode(), f"{path}\n{redirect}\n{max_size}\n{max_count}\n{expires}".encode(),
                   getattr(hashlib, algo)).hexdigest()
    fields = {"redirect": redirect, "max_file_size": str(max_size), "max_file_count": str(max_count),
              "expires": str(expires), "signature": sig, **(extra or {})}
    b = "xXxBoundary"
    out: list[bytes] = []
    for k, v in fields.items():
        out += [f"--{b}".encode(), f'Content-Disposition: form-data; name="{k}"'.encode(), b"", v.encode()]
    for i, (name, data) in enumerate(files):
        out += [f"--{b}".encode(), f'Content-Disposition: form-data; name="file{i}"; filename="{name}"'.encode(),
                b"Content-Type: text/plain", b"", data]
    out += [f"--{b}--".encode(), b""]
    return b"\r\n".join(out), f"multipart/form-data; boundary={b}"


def setup(swift: Any) -> str:
    assert swift.post("", headers={"X-Account-Meta-Temp-URL-Key": KEY}).status_code == 204
    return swift.container()


def send(client: Any, path: str, body: bytes, ctype: str) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": ctype})


def test_formpost_creates_objects_with_prefix(swift: Any, anon: Any) -> None:
    c = setup(swift)
    body, ctype = form(f"{swift.path}/{c}/up/", [("a.txt", b"hello"), ("b.txt", b"world")])
    r = send(anon, f"/{c}/up/", body, ctype)
    assert r.status_code == 201, r.text
    assert r.text.startswith("201 Created")
    assert swift.get(f"/{c}/up/a.txt").content == b"hello"
    got = swift.get(f"/{c}/up/b.txt")
    assert got.content == b"world" and got.headers["content-type"].startswith("text/plain")


def test_formpost_container_path_redirect_and_sha512(swift: Any, anon: Any) -> None:
    c = setup(swift)
    body, ctype = form(f"{swift.path}/{c}", [("x.bin", b"1")], redirect="https://example.com/done",
                       algo="sha512")
    r = send(anon, f"/{c}", body, ctype)
    assert r.status_code == 303
    assert r.headers["location"] == "https://example.com/done?status=201&message="
    assert swift.get(f"/{c}/x.bin").content == b"1"


def test_formpost_path_without_service_prefix_and_container_key(swift: Any, anon: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Temp-URL-Key": "ckey"})
    path = swift.path[swift.path.index("/v1/"):]
    body, ctype = form(f"{path}/{c}/p", [("f", b"data")], key="ckey", algo="sha256")
    assert send(anon, f"/{c}/p", body, ctype).status_code == 201
    assert swift.get(f"/{c}/pf").content == b"data"


def test_formpost_errors(swift: Any, anon: Any) -> None:
    c = setup(swift)
    body, ctype = form(f"{swift.path}/{c}/o", [("f", b"x")], expires=int(time.time()) - 1)
    r = send(anon, f"/{c}/o", body, ctype)
    assert r.status_code == 401 and "FormPost: Form Expired" in r.text
    body, ctype = form(f"{swift.path}/{c}/o", [("f", b"x")], key="wrong")
    r = send(anon, f"/{c}/o", body, ctype)
    assert r.status_code == 401 and "FormPost: Invalid Signature" in r.text
    body, ctype = form(f"{swift.path}/{c}/o", [("f", b"x" * 20)], max_size=10)
    r = send(anon, f"/{c}/o", body, ctype)
    assert r.status_code == 400 and "max_file_size exceeded" in r.text
    body, ctype = form(f"{swift.path}/{c}/o", [("f", b"1"), ("g", b"2")], max_count=1)
    r = send(anon, f"/{c}/o", body, ctype)
    assert r.status_code == 400 and "Max File Count Exceeded" in r.text
    assert swift.get(f"/{c}/of").status_code == 200 and swift.get(f"/{c}/og").status_code == 404
    body, ctype = form(f"{swift.path}/{c}/o", [])
    r = send(anon, f"/{c}/o", body, ctype)
    assert r.status_code == 400 and "No Files To Process" in r.text
    body, ctype = form(f"{swift.path}/{c}/o", [("f", b"x")], redirect="http://r/?a=1", key="wrong")
    assert send(anon, f"/{c}/o", body, ctype).status_code == 401


def test_formpost_in_info(cloud: Any) -> None:
    assert "formpost" in httpx.get(f"{cloud.url}/object-store/info").json() or \
        "formpost" in httpx.get(f"{cloud.url}/info").json()
