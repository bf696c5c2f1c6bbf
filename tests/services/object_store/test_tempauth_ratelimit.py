"""Swift's tempauth (GET /auth/v1.0, reseller-prefixed tokens, .admin/.reseller_admin groups, ACLs)
and ratelimit (listed in /info; container PUT/DELETE and object writes held to their rate, 498 past
max_sleep_time_seconds), on a cloud of their own; the default cloud lists ratelimit, not tempauth."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud, unique

OPTIONS = {"object_store": {
    "tempauth": {"enabled": True, "user_test_tester": "testing .admin", "user_test_tester3": "testing3",
                 "user_admin_admin": "admin .admin .reseller_admin", "user_test2_tester2": "testing2 .admin"},
    "ratelimit": {"account_ratelimit": 2, "max_sleep_time_seconds": 1, "container_ratelimit_0": 2}}}


@pytest.fixture(scope="module")
def tcloud(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cloud = start_cloud(tmp_path_factory.mktemp("tempauth"), options=OPTIONS)
    yield cloud
    stop_cloud(cloud)


def token(base: str, user: str, key: str) -> tuple[str, str]:
    r = httpx.get(f"{base}/auth/v1.0", headers={"X-Auth-User": user, "X-Auth-Key": key})
    assert r.status_code == 200, r.text
    return r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]


def test_info_lists_ratelimit_not_tempauth_by_default(cloud):
    info = httpx.get(f"{cloud.url}/info").json()
    assert info["ratelimit"] == {"account_ratelimit": 0.0, "max_sleep_time_seconds": 60.0,
                                 "container_ratelimits": [], "container_listing_ratelimits": []}
    assert "tempauth" not in info
    assert httpx.get(f"{cloud.url}/object-store/auth/v1.0",
                     headers={"X-Auth-User": "test:tester", "X-Auth-Key": "testing"}).status_code == 404


def test_info_with_both(tcloud):
    info = httpx.get(f"{tcloud.object_store_url}/info").json()
    assert info["tempauth"] == {"account_acls": True}
    assert info["ratelimit"]["account_ratelimit"] == 2.0
    assert info["ratelimit"]["container_ratelimits"] == [[0, 2.0]]


def test_get_token_and_use_it_on_both_ports(tcloud):
    tok, url = token(tcloud.object_store_url, "test:tester", "testing")
    assert tok.startswith("AUTH_ftk") and url == f"{tcloud.object_store_url}/v1/AUTH_test"
    tok2, url2 = token(tcloud.url + "/object-store", "test:tester", "testing")
    assert url2 == f"{tcloud.url}/object-store/v1/AUTH_test"
    c = unique("c")
    assert httpx.put(f"{url}/{c}", headers={"X-Auth-Token": tok}).status_code == 201
    assert httpx.put(f"{url2}/{c}/o", headers={"X-Auth-Token": tok2}, content=b"hi").status_code == 201
    r = httpx.get(f"{url}/{c}/o", headers={"X-Storage-Token": tok})
    assert r.status_code == 200 and r.content == b"hi"
    assert httpx.get(url, headers={"X-Auth-Token": tok}, params={"format": "json"}).json()[0]["name"] == c


def test_v1_account_auth_form(tcloud):
    r = httpx.get(f"{tcloud.object_store_url}/auth/v1/test/auth",
                  headers={"X-Storage-User": "tester", "X-Storage-Pass": "testing"})
    assert r.status_code == 200 and r.headers["X-Storage-Url"].endswith("/v1/AUTH_test")
    r = httpx.get(f"{tcloud.object_store_url}/auth/v1/test2/auth",
                  headers={"X-Auth-User": "test:tester", "X-Auth-Key": "testing"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Swift realm="test2"'


@pytest.mark.parametrize("hdrs", [{"X-Auth-User": "test:tester", "X-Auth-Key": "wrong"},
                                  {"X-Auth-User": "test:nobody", "X-Auth-Key": "testing"},
                                  {"X-Auth-User": "tester", "X-Auth-Key": "testing"}, {}])
def test_bad_credentials_401(tcloud, hdrs):
    r = httpx.get(f"{tcloud.object_store_url}/auth/v1.0", headers=hdrs)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Swift realm=")


def test_bad_auth_paths(tcloud):
    assert httpx.get(f"{tcloud.object_store_url}/auth/v2").status_code == 400
    assert httpx.post(f"{tcloud.object_store_url}/auth/v1.0").status_code == 405


def test_invalid_token_401_and_other_accounts_403(tcloud):
    url = f"{tcloud.object_store_url}/v1/AUTH_test"
    r = httpx.get(url, headers={"X-Auth-Token": "AUTH_ftkforged"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Swift realm="AUTH_test"'
    tok2, _ = token(tcloud.object_store_url, "test2:tester2", "testing2")
    assert httpx.get(url, headers={"X-Auth-Token": tok2}).status_code == 403
    assert httpx.get(url).status_code == 401


def test_plain_user_needs_acl_reseller_admin_does_not(tcloud):
    owner, url = token(tcloud.object_store_url, "test:tester", "testing")
    plain, _ = token(tcloud.object_store_url, "test:tester3", "testing3")
    admin, _ = token(tcloud.object_store_url, "admin:admin", "admin")
    c = unique("c")
    assert httpx.put(f"{url}/{c}", headers={"X-Auth-Token": owner}).status_code == 201
    assert httpx.put(f"{url}/{c}/o", headers={"X-Auth-Token": plain}, content=b"x").status_code == 403
    assert httpx.post(f"{url}/{c}", headers={"X-Auth-Token": owner,
                                             "X-Container-Write": "test:tester3"}).status_code == 204
    assert httpx.put(f"{url}/{c}/o", headers={"X-Auth-Token": plain}, content=b"x").status_code == 201
    assert httpx.get(f"{url}/{c}/o", headers={"X-Auth-Token": admin}).status_code == 200


def test_keystone_tokens_still_work(tcloud):
    tok = tcloud.token("pocketstack")
    r = httpx.get(f"{tcloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": tok, "X-Subject-Token": tok})
    url = f"{tcloud.url}/object-store/v1/AUTH_{r.json()['token']['project']['id']}"
    assert httpx.put(f"{url}/{unique('c')}", headers={"X-Auth-Token": tok}).status_code == 201


def test_swiftclient_with_tempauth(tcloud, tmp_path):
    exe = shutil.which("swift", path=str(Path(sys.executable).parent)) or "swift"
    args = [exe, "-A", f"{tcloud.object_store_url}/auth/v1.0", "-U", "test:tester", "-K", "testing"]
    c = unique("c")
    (tmp_path / "f").write_bytes(b"data")
    up = subprocess.run([*args, "upload", c, "f"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert up.returncode == 0, up.stderr
    listing = subprocess.run([*args, "list", c], capture_output=True, text=True, timeout=60)
    assert listing.stdout.split() == ["f"]


def _burst(client: httpx.Client, urls: list[str]) -> list[int]:
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda u: client.put(u, content=b"x").status_code, urls))


def test_container_puts_over_the_account_rate(tcloud):
    """2 container PUTs a second, at most 1 s of waiting: one client in sequence is slowed to the rate;
    a concurrent burst past the wait gets 498 'Slow down', as Swift's proxy answers."""
    tok, url = token(tcloud.object_store_url, "test2:tester2", "testing2")
    with httpx.Client(headers={"X-Auth-Token": tok}) as client:
        time.sleep(1.5)
        started = time.monotonic()
        assert [client.put(f"{url}/{unique('r')}").status_code for _ in range(4)] == [201] * 4
        assert time.monotonic() - started >= 1.2
        time.sleep(6)          # past rate_buffer_seconds: the clock starts again
        codes = _burst(client, [f"{url}/{unique('r')}" for _ in range(8)])
        assert codes.count(201) >= 2 and codes.count(498) >= 4, codes
        r = client.put(f"{url}/{unique('r')}")
        while r.status_code == 498:
            assert r.text == "Slow down"
            time.sleep(0.5)
            r = client.put(f"{url}/{unique('r')}")
        assert r.status_code == 201


def test_object_writes_over_the_container_rate_get_498(tcloud):
    tok, url = token(tcloud.object_store_url, "test:tester", "testing")
    with httpx.Client(headers={"X-Auth-Token": tok}) as client:
        c = unique("c")
        time.sleep(1.5)
        assert client.put(f"{url}/{c}").status_code == 201
        assert client.put(f"{url}/{c}/first", content=b"x").status_code == 201
        codes = _burst(client, [f"{url}/{c}/o{i}" for i in range(8)])
        assert 498 in codes and 201 in codes, codes
        assert all(client.get(f"{url}/{c}/first").status_code == 200 for _ in range(5))  # reads are not limited
