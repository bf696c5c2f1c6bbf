"""Account ACLs (X-Account-Access-Control): admin, read-write and read-only grants to other projects
and users; only owners set and see the ACL; malformed ACLs are refused and change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from swiftclient import client as swiftclient
from swiftclient.exceptions import ClientException

HEADER = "X-Account-Access-Control"


def _identity(cloud: Any, token: str) -> tuple[str, str]:
    r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    body = r.json()["token"]
    return body["project"]["id"], body["user"]["id"]


@pytest.fixture()
def grant(swift: Any) -> Iterator[Any]:
    """Sets demo's account ACL; always removes it afterwards (other tests share the account)."""
    def set_acl(acl: dict[str, list[str]]) -> httpx.Response:
        return swift.post("", headers={HEADER: json.dumps(acl)})
    yield set_acl
    assert swift.post("", headers={HEADER: ""}).status_code == 204
    assert HEADER.lower() not in swift.head("").headers


@pytest.fixture(scope="module")
def alt_ids(cloud: Any) -> tuple[str, str]:
    return _identity(cloud, cloud.token("devstack-alt"))


def _as_alt(alt_swift: Any, swift: Any) -> Any:
    """alt's client aimed at demo's account."""
    class OnDemo:
        def __getattr__(self, method: str) -> Any:
            return lambda path="", **kw: alt_swift.client.request(method.upper(), swift.path + path, **kw)
    return OnDemo()


def test_read_only_grant(swift: Any, alt_swift: Any, alt_ids: tuple[str, str], grant: Any) -> None:
    c = swift.container()
    swift.put(f"/{c}/o", content=b"data")
    alt = _as_alt(alt_swift, swift)
    assert alt.get(f"/{c}/o").status_code == 403
    assert grant({"read-only": [alt_ids[0]]}).status_code == 204
    shown = swift.head("").headers[HEADER]
    assert json.loads(shown) == {"read-only": [alt_ids[0]]} and " " not in shown
    assert alt.get(f"/{c}/o").content == b"data"
    assert alt.get("", params={"format": "json"}).status_code == 200
    assert alt.get(f"/{c}", params={"format": "json"}).json()[0]["name"] == "o"
    assert HEADER.lower() not in alt.head("").headers
    swift.post(f"/{c}", headers={"X-Container-Meta-Temp-URL-Key": "secret", "X-Container-Read": "x:y"})
    swift.post("", headers={"X-Account-Meta-Temp-URL-Key": "secret"})
    try:
        assert swift.head(f"/{c}").headers["x-container-meta-temp-url-key"] == "secret"
        hidden = alt.head(f"/{c}").headers
        assert "x-container-meta-temp-url-key" not in hidden and "x-container-read" not in hidden
        assert "x-account-meta-temp-url-key" not in alt.head("").headers
        assert swift.head("").headers["x-account-meta-temp-url-key"] == "secret"
    finally:
        swift.post("", headers={"X-Remove-Account-Meta-Temp-URL-Key": "x"})
    assert alt.put(f"/{c}/new", content=b"x").status_code == 403
    assert alt.delete(f"/{c}/o").status_code == 403
    assert alt.put(f"/{c}-by-alt").status_code == 403
    assert alt.post("", headers={"X-Account-Meta-X": "y"}).status_code == 403


def test_read_write_grant(swift: Any, alt_swift: Any, alt_ids: tuple[str, str], grant: Any) -> None:
    c = swift.container()
    alt = _as_alt(alt_swift, swift)
    assert grant({"read-write": [f"{alt_ids[0]}:*"]}).status_code == 204
    assert alt.put(f"/{c}/by-alt", content=b"hi").status_code == 201
    assert swift.get(f"/{c}/by-alt").content == b"hi"
    assert alt.put(f"/{c}-rw").status_code == 201
    # a non-owner's ACL headers are dropped, as Swift drops swift_owner_headers
    assert alt.post(f"/{c}", headers={"X-Container-Read": ".r:*"}).status_code == 204
    assert "x-container-read" not in swift.head(f"/{c}").headers
    assert alt.post("", headers={"X-Account-Meta-Color": "red"}).status_code == 403
    assert alt.post("", headers={HEADER: json.dumps({"admin": [alt_ids[0]]})}).status_code == 403
    assert HEADER.lower() not in alt.head("").headers
    assert alt.delete(f"/{c}/by-alt").status_code == 204
    assert alt.delete(f"/{c}-rw").status_code == 204


def test_admin_grant(swift: Any, alt_swift: Any, alt_ids: tuple[str, str], grant: Any) -> None:
    alt = _as_alt(alt_swift, swift)
    project, user = alt_ids
    assert grant({"admin": [f"{project}:{user}"], "read-only": ["someone"]}).status_code == 204
    assert alt.post("", headers={"X-Account-Meta-Granted": "yes"}).status_code == 204
    assert swift.head("").headers["x-account-meta-granted"] == "yes"
    assert json.loads(alt.head("").headers[HEADER])["admin"] == [f"{project}:{user}"]
    c = swift.container(**{"X-Container-Read": "nobody:nobody"})
    assert alt.head(f"/{c}").headers["x-container-read"] == "nobody:nobody"
    assert swift.post("", headers={"X-Remove-Account-Meta-Granted": "x"}).status_code == 204


def test_swiftclient_sets_and_reads_the_acl(swift: Any, demo_token: str, alt_ids: tuple[str, str],
                                            grant: Any) -> None:
    conn = swiftclient.Connection(preauthurl=swift.url, preauthtoken=demo_token, retries=0)
    conn.post_account(headers={HEADER: json.dumps({"read-write": [alt_ids[0]], "read-only": []})})
    assert json.loads(conn.head_account()[HEADER.lower()]) == {"read-only": [], "read-write": [alt_ids[0]]}
    with pytest.raises(ClientException) as err:
        conn.post_account(headers={HEADER: "not json"})
    assert err.value.http_status == 400


@pytest.mark.parametrize("value, message", [
    ("not json", "Syntax error in input"),
    ('["a"]', "Syntax error in input"),
    ('{"owners": ["a"]}', 'Key "owners" not recognized'),
    ('{"admin": "a"}', 'Value for key "admin" must be a list'),
    ('{"read-only": [1]}', 'Elements of "read-only" list must be strings'),
])
def test_malformed_acl_is_refused(swift: Any, value: str, message: str) -> None:
    before = swift.head("").headers.get(HEADER)
    r = swift.post("", headers={HEADER: value})
    assert r.status_code == 400
    assert r.text.startswith("X-Account-Access-Control invalid: ") and message in r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert swift.head("").headers.get(HEADER) == before


def test_only_owners_set_or_see_the_acl(swift: Any, alt_swift: Any, anon: Any, alt_ids: tuple[str, str],
                                        grant: Any) -> None:
    alt = _as_alt(alt_swift, swift)
    assert alt.post("", headers={HEADER: json.dumps({"admin": [alt_ids[0]]})}).status_code == 403
    assert anon.post("", headers={HEADER: json.dumps({"admin": ["*:*"]})}).status_code == 401
    assert HEADER.lower() not in swift.head("").headers
    grant({"read-only": ["*:*"]})
    assert HEADER.lower() not in alt.head("").headers
    assert anon.head("").status_code == 401
    assert HEADER.lower() in swift.head("").headers


def test_openstacksdk_cross_project_access(demo: Any, alt: Any, swift: Any, alt_ids: tuple[str, str],
                                           grant: Any) -> None:
    c = swift.container()
    demo.object_store.upload_object(container=c, name="shared", data=b"from demo")
    url = f"{demo.object_store.get_endpoint()}/{c}/shared"
    assert alt.object_store.get(url, raise_exc=False).status_code == 403
    demo.object_store.post(demo.object_store.get_endpoint(),
                           headers={HEADER: json.dumps({"read-only": [alt_ids[0]]})})
    assert alt.object_store.get(url).content == b"from demo"
    assert alt.object_store.put(url, data=b"x", raise_exc=False).status_code == 403
    grant({})
    assert alt.object_store.get(url, raise_exc=False).status_code == 403
