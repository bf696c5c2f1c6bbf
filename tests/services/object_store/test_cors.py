"""CORS: preflight OPTIONS and Access-Control-* on actual responses, from container metadata."""

from __future__ import annotations

from typing import Any

ORIGIN = "http://app.example.com"


def test_preflight(swift: Any, anon: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": f"{ORIGIN} http://other",
                           "X-Container-Meta-Access-Control-Max-Age": "300"})
    r = anon.options(f"/{c}/obj", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
                                           "Access-Control-Request-Headers": "x-auth-token, content-type"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-max-age"] == "300"
    assert "PUT" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"] == "x-auth-token, content-type"
    assert "Origin" in r.headers["vary"]
    bad = anon.options(f"/{c}/obj", headers={"Origin": "http://evil", "Access-Control-Request-Method": "GET"})
    assert bad.status_code == 401 and "access-control-allow-origin" not in bad.headers
    assert anon.options(f"/{c}", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "BREW"}
                        ).status_code == 401
    plain = anon.options(f"/{c}")
    assert plain.status_code == 200 and "GET" in plain.headers["allow"]
    assert anon.options("", headers={"Origin": ORIGIN}).status_code == 200
    missing = anon.options("/nosuchcontainer/o", headers={"Origin": ORIGIN,
                                                          "Access-Control-Request-Method": "GET"})
    assert missing.status_code == 401


def test_actual_request_headers(swift: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": "*",
                           "X-Container-Meta-Access-Control-Expose-Headers": "X-Custom-One"})
    assert swift.put(f"/{c}/o", content=b"x", headers={"X-Object-Meta-Color": "red"}).status_code == 201
    r = swift.get(f"/{c}/o", headers={"Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = r.headers["access-control-expose-headers"].split(", ")
    assert {"etag", "x-trans-id", "x-object-meta-color", "x-custom-one"} <= set(exposed)
    assert "access-control-allow-origin" not in swift.get(f"/{c}/o").headers
    strict = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": "http://only"})
    r = swift.head(f"/{strict}", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers
    r = swift.head(f"/{strict}", headers={"Origin": "http://only"})
    assert r.headers["access-control-allow-origin"] == "http://only" and r.headers["vary"] == "Origin"
