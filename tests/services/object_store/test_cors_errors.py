"""CORS on error responses and preflight edge cases (swift/proxy/controllers/base.py:
cors_validation wraps every controller method, errors included; OPTIONS answers)."""

from __future__ import annotations

from typing import Any

ORIGIN = "http://web.example.org"


def test_errors_carry_cors_headers_for_allowed_origins(swift: Any, anon: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": ORIGIN,
                           "X-Container-Meta-Access-Control-Expose-Headers": "X-Extra"})
    missing = swift.get(f"/{c}/nothing-here", headers={"Origin": ORIGIN})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in missing.headers["vary"]
    exposed = set(missing.headers["access-control-expose-headers"].split(", "))
    assert {"x-trans-id", "etag", "x-extra"} <= exposed
    denied = anon.get(f"/{c}/nothing-here", headers={"Origin": ORIGIN})
    assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == ORIGIN
    assert "www-authenticate" in denied.headers
    bad = swift.put(f"/{c}/o", content=b"x", headers={"Origin": ORIGIN, "X-Delete-At": "soon"})
    assert bad.status_code == 400 and bad.headers["access-control-allow-origin"] == ORIGIN
    too_long = swift.put(f"/{c}/" + "n" * 1025, content=b"x", headers={"Origin": ORIGIN})
    assert too_long.status_code == 400 and too_long.headers["access-control-allow-origin"] == ORIGIN
    head = swift.head(f"/{c}/nothing-here", headers={"Origin": ORIGIN})
    assert head.status_code == 404 and head.content == b"" and head.headers["access-control-allow-origin"] == ORIGIN


def test_errors_stay_plain_without_an_allowed_origin(swift: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": ORIGIN})
    other = swift.get(f"/{c}/nothing-here", headers={"Origin": "http://evil.example"})
    assert other.status_code == 404 and "access-control-allow-origin" not in other.headers
    plain = swift.get(f"/{c}/nothing-here")
    assert plain.status_code == 404 and "access-control-allow-origin" not in plain.headers
    no_container = swift.get("/no-such-container-here/o", headers={"Origin": ORIGIN})
    assert no_container.status_code == 404 and "access-control-allow-origin" not in no_container.headers
    # the body and status of an error are the same with or without an Origin
    assert other.content == plain.content


def test_wildcard_origin_on_errors(swift: Any, anon: Any) -> None:
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": "*"})
    r = anon.put(f"/{c}/o", content=b"x", headers={"Origin": ORIGIN})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "*"
    assert "vary" not in r.headers


def test_preflight_edge_cases(swift: Any, anon: Any) -> None:
    account = anon.options("", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert account.status_code == 200 and "access-control-allow-origin" not in account.headers
    assert set(account.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": "*"})
    assert set(anon.options(f"/{c}").headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS",
                                                                      "POST", "PUT"}
    assert "COPY" in anon.options(f"/{c}/o").headers["allow"]
    no_method = anon.options(f"/{c}/o", headers={"Origin": ORIGIN})
    assert no_method.status_code == 401 and "access-control-allow-origin" not in no_method.headers
    star = anon.options(f"/{c}/o", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"})
    assert star.status_code == 200 and star.headers["access-control-allow-origin"] == "*"
    assert "vary" not in star.headers and "access-control-max-age" not in star.headers
    copy = anon.options(f"/{c}", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "COPY"})
    assert copy.status_code == 401


def test_swiftclient_sees_cors_headers_on_errors(swift: Any, demo_token: str) -> None:
    from swiftclient import client as swiftclient
    from swiftclient.exceptions import ClientException
    c = swift.container(**{"X-Container-Meta-Access-Control-Allow-Origin": ORIGIN})
    conn = swiftclient.Connection(preauthurl=swift.url, preauthtoken=demo_token, retries=0)
    try:
        conn.get_object(c, "missing", headers={"Origin": ORIGIN})
    except ClientException as err:
        assert err.http_status == 404
        assert err.http_response_headers["access-control-allow-origin"] == ORIGIN
    else:
        raise AssertionError("a missing object must be 404")
    headers = conn.head_container(c, headers={"Origin": ORIGIN})
    assert headers["access-control-allow-origin"] == ORIGIN
