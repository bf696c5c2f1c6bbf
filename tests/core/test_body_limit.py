"""Request body size limits as oslo.middleware's sizelimit sets them (114,688 bytes of JSON), in each
service's own error format; heat takes 1 MiB (max_json_body_size); streamed uploads are not limited."""

from __future__ import annotations

import json

import httpx

LIMIT = 114688


def _big(n: int) -> bytes:
    return json.dumps({"server": {"name": "x" * n}}).encode()


def test_oversize_json_bodies_get_413(cloud, demo_token):
    h = {"X-Auth-Token": demo_token, "Content-Type": "application/json"}
    r = httpx.post(f"{cloud.url}/compute/v2.1/servers", content=_big(LIMIT), headers=h)
    assert r.status_code == 413 and r.json()["overLimit"]["message"] == "Request is too large."
    r = httpx.post(f"{cloud.url}/networking/v2.0/networks", content=_big(LIMIT), headers=h)
    assert r.status_code == 413 and "Request is too large." in r.text
    r = httpx.post(f"{cloud.url}/identity/v3/projects", content=_big(LIMIT), headers=h)
    assert r.status_code == 413 and r.json()["error"]["code"] == 413
    # chunked, with no Content-Length: counted while reading
    r = httpx.post(f"{cloud.url}/compute/v2.1/servers", content=iter([b"{" * 65536, b" " * 65536]), headers=h)
    assert r.status_code == 413
    # refused before authentication, as the middleware sits first in the pipeline
    r = httpx.post(f"{cloud.url}/compute/v2.1/servers", content=_big(LIMIT),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    # just under the limit is parsed and judged on its merits
    r = httpx.post(f"{cloud.url}/compute/v2.1/servers", content=_big(1000), headers=h)
    assert r.status_code == 400


def test_heat_and_streamed_uploads_take_more(cloud, demo_token):
    h = {"X-Auth-Token": demo_token}
    project = httpx.get(f"{cloud.url}/identity/v3/auth/tokens",
                        headers={**h, "X-Subject-Token": demo_token}).json()["token"]["project"]["id"]
    template = {"heat_template_version": "2018-08-31", "description": "d" * 300_000, "resources": {}}
    r = httpx.post(f"{cloud.url}/heat-api/v1/{project}/validate", json={"template": template}, headers=h)
    assert r.status_code == 200, r.text
    r = httpx.post(f"{cloud.url}/image/v2/images", json={"name": "big", "disk_format": "raw",
                                                        "container_format": "bare"}, headers=h)
    image = r.json()["id"]
    data = bytes(range(256)) * 2048                                  # 512 KiB of image data
    r = httpx.put(f"{cloud.url}/image/v2/images/{image}/file", content=data,
                  headers={**h, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204
    assert httpx.get(f"{cloud.url}/image/v2/images/{image}/file", headers=h).content == data
    httpx.delete(f"{cloud.url}/image/v2/images/{image}", headers=h)


def test_oversize_headers_get_431_in_plain_text(cloud, demo_token):
    """One header line past eventlet's max_header_line (16,384 bytes), or all of them past 64 KiB."""
    h = {"X-Auth-Token": demo_token}
    for url in (cloud.url, cloud.object_store_url):
        r = httpx.get(f"{url}/healthcheck", headers={**h, "X-Big": "x" * 16384})
        assert r.status_code == 431, (url, r.status_code)
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text == "Request Header Fields Too Large"
        assert r.headers["x-openstack-request-id"].startswith("req-")
    many = {f"X-Part-{i}": "y" * 8000 for i in range(9)}             # each line fine, 72 KiB in all
    r = httpx.post(f"{cloud.url}/compute/v2.1/servers", json={"server": {}}, headers={**h, **many})
    assert r.status_code == 431
    r = httpx.get(f"{cloud.url}/compute/v2.1/flavors", headers={**h, "X-Big": "x" * 1_000_000})
    assert r.status_code == 431                        # a megabyte is refused the same way, never a 5xx
    # just under both limits: served as usual
    under = {"X-Big": "x" * 16000, **{f"X-Part-{i}": "y" * 8000 for i in range(5)}}
    r = httpx.get(f"{cloud.url}/compute/v2.1/flavors", headers={**h, **under})
    assert r.status_code == 200
