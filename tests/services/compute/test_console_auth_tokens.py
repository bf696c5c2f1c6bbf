"""/os-console-auth-tokens/{console_token} (services/compute/console_auth_tokens.py): every remote console's
token is recorded (as a hash) with its connection, and an admin sees it from 2.31, as nova shows it."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

import pytest


def _token(url: str) -> str:
    """nova's noVNC URL: .../vnc_lite.html?path=%3Ftoken%3D<token>"""
    path = parse_qs(urlparse(url).query)["path"][0]
    return parse_qs(urlparse(unquote(path)).query)["token"][0]


def _console(nova, server: str, version: str = "2.6") -> str:
    r = nova.post(f"/servers/{server}/remote-consoles", headers=nova.at(version),
                  json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert r.status_code == 200, r.text
    return _token(r.json()["remote_console"]["url"])


def test_admin_sees_the_connection_behind_a_token(nova_demo, nova_admin, server) -> None:
    token = _console(nova_demo, server)
    r = nova_admin.get(f"/os-console-auth-tokens/{token}", headers=nova_admin.at("2.31"))
    assert r.status_code == 200, r.text
    console = r.json()["console"]
    assert set(console) == {"instance_uuid", "host", "port", "internal_access_path"}
    assert console["instance_uuid"] == server and console["port"] == 5900 and console["host"]
    assert console["internal_access_path"] is None
    # 2.99 adds tls_port for spice-direct consoles only; a VNC one shows the same four keys
    newer = nova_admin.get(f"/os-console-auth-tokens/{token}", headers=nova_admin.at("2.99")).json()["console"]
    assert newer == console
    # the legacy action's token is recorded too
    legacy = nova_demo.action(server, {"os-getVNCConsole": {"type": "novnc"}}, headers=nova_demo.at("2.5"))
    old_token = _token(legacy.json()["console"]["url"])
    assert nova_admin.get(f"/os-console-auth-tokens/{old_token}", headers=nova_admin.at("2.31")).status_code == 200


def test_unknown_token_is_404_and_old_microversions_400(nova_admin, server) -> None:
    r = nova_admin.get("/os-console-auth-tokens/not-a-token", headers=nova_admin.at("2.31"))
    assert r.status_code == 404
    assert r.json() == {"itemNotFound": {"code": 404, "message": "Token not found"}}
    # nova: only rdp-html5 until 2.30, gone with Hyper-V: 400 whatever the token
    token = _console(nova_admin, server)
    for version in ("2.1", "2.30"):
        old = nova_admin.get(f"/os-console-auth-tokens/{token}", headers=nova_admin.at(version))
        assert old.status_code == 400 and "badRequest" in old.json()
    # 2.99 closes the query string
    assert nova_admin.get(f"/os-console-auth-tokens/{token}?x=1", headers=nova_admin.at("2.98")).status_code == 200
    assert nova_admin.get(f"/os-console-auth-tokens/{token}?x=1", headers=nova_admin.at("2.99")).status_code == 400


def test_only_an_admin_may_look_and_a_deleted_server_drops_its_tokens(nova_demo, nova_alt, nova_admin) -> None:
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    token = _console(nova_demo, sid)
    for who in (nova_demo, nova_alt):           # the owner (a member) and another project alike
        r = who.get(f"/os-console-auth-tokens/{token}", headers=who.at("2.31"))
        assert r.status_code == 403
        assert r.json()["forbidden"]["message"] == \
            "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed."
    assert nova_admin.get(f"/os-console-auth-tokens/{token}", headers=nova_admin.at("2.31")).status_code == 200
    assert nova_demo.delete(f"/servers/{sid}").status_code == 204
    nova_demo.wait_gone(sid)
    assert nova_admin.get(f"/os-console-auth-tokens/{token}", headers=nova_admin.at("2.31")).status_code == 404


def test_no_token_without_auth(http, nova_demo, server) -> None:
    token = _console(nova_demo, server)
    assert http.get(f"/compute/v2.1/os-console-auth-tokens/{token}").status_code == 401


def test_openstacksdk_and_the_cli_show_the_connection(admin, cli, nova_demo, server) -> None:
    token = _console(nova_demo, server)
    shown = admin.compute.validate_console_auth_token(token)         # openstacksdk asks at 2.99
    assert shown.instance_uuid == server and shown.port == 5900 and shown.tls_port is None
    row = cli("console", "connection", "show", token)                 # OSC's `console connection show`
    assert row["instance_uuid"] == server and row["port"] == 5900
    missing = cli("console", "connection", "show", "no-such-token", check=False)
    assert missing.returncode != 0 and "Token not found" in missing.stderr
