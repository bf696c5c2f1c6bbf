"""The compute driver seam (services/compute/drivers/): the fake driver says what it is through the real server:
hypervisor_type fake, a console log that states no guest runs, remote consoles refused as nova refuses a console
type that is not enabled, and `serve --compute-driver` choosing the driver (qemu refused in one line)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
import yaml

from pocketstack import cli as pocketstack_cli
from pocketstack.services.compute import drivers
from tests.conftest import Cloud, start_cloud, stop_cloud

QEMU_LINE = "pocketstack: --compute-driver qemu needs --dataplane linux (a guest's NICs are taps on its bridges)"
QEMU_ROOT_LINE = "pocketstack: --compute-driver qemu needs root (QEMU's taps live in the dataplane's namespaces)"


@pytest.fixture
def server(nova_demo):
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    yield sid
    nova_demo.delete(f"/servers/{sid}")


def test_console_log_says_the_host_is_simulated(cloud, cli, nova_demo, server) -> None:
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml)}
    proc = subprocess.run([cli.exe, "--os-cloud", "devstack", "console", "log", "show", server],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    log = proc.stdout
    assert "pocketstack compute driver: fake" in log and server in log
    assert "This host is simulated: no guest runs" in log and "No line of this log came from a guest." in log
    for invented in ("Linux version", "login:", "udhcpc", "cirros", "Nova"):
        assert invented not in log
    # any tail still says it plainly; nova's `length` semantics are kept
    tail = nova_demo.action(server, {"os-getConsoleOutput": {"length": 2}}).json()["output"]
    assert tail.splitlines() == ["This host is simulated: no guest runs, so nothing boots and nothing writes to "
                                 "a serial console.", "No line of this log came from a guest."]
    assert nova_demo.action(server, {"os-getConsoleOutput": {"length": 0}}).json()["output"] == ""
    assert len(nova_demo.action(server, {"os-getConsoleOutput": {}}).json()["output"].splitlines()) > 3


def test_hypervisor_is_fake_with_no_invented_cpu_or_uptime(cli, nova_admin) -> None:
    shown = cli("hypervisor", "show", "pocketstack")
    assert shown["hypervisor_type"] == "fake" and shown["hypervisor_version"] == 1000
    old = nova_admin.get("/os-hypervisors/detail", headers=nova_admin.at("2.27")).json()["hypervisors"][0]
    assert old["hypervisor_type"] == "fake" and old["cpu_info"] == "{}"
    new = nova_admin.get("/os-hypervisors/detail", headers=nova_admin.at("2.28")).json()["hypervisors"][0]
    assert new["cpu_info"] == {}
    uptime = nova_admin.get(f"/os-hypervisors/{new['id']}/uptime", headers=nova_admin.at("2.87")).json()
    text = uptime["hypervisor"]["uptime"]
    assert " up " in text and "load average" in text and "93 days" not in text and "users" not in text
    with open("/proc/uptime") as f:
        days = int(float(f.read().split()[0])) // 86400
    assert (f"up {days} day" in text) == (days > 0)


def test_remote_consoles_refused_as_nova_refuses_an_unavailable_type(nova_demo, server) -> None:
    for protocol, kind in (("spice", "spice-html5"), ("serial", "serial"), ("rdp", "rdp-html5"), ("mks", "webmks")):
        r = nova_demo.post(f"/servers/{server}/remote-consoles", headers=nova_demo.at("2.8"),
                           json={"remote_console": {"protocol": protocol, "type": kind}})
        assert r.status_code == 400, r.text
        assert r.json() == {"badRequest": {"code": 400, "message": f"Unavailable console type {kind}."}}
    r = nova_demo.action(server, {"os-getSerialConsole": {"type": "serial"}}, headers=nova_demo.at("2.1"))
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Unavailable console type serial."
    r = nova_demo.action(server, {"os-getVNCConsole": {"type": "xvpvnc"}}, headers=nova_demo.at("2.1"))
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Invalid console type xvpvnc"
    for action, kind in (("os-getSPICEConsole", "spice-html5"), ("os-getRDPConsole", "rdp-html5")):
        r = nova_demo.action(server, {action: {"type": kind}}, headers=nova_demo.at("2.5"))
        assert r.status_code == 400
        assert r.json()["badRequest"]["message"] == f"Unavailable console type {kind}."
    # an enabled protocol with another protocol's type: nova's ConsoleTypeInvalid
    r = nova_demo.post(f"/servers/{server}/remote-consoles",
                       json={"remote_console": {"protocol": "vnc", "type": "serial"}})
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Invalid console type serial"
    # mks and webmks came with 2.8, spice-direct with 2.99 (past the newest version here)
    for protocol, kind, version in (("mks", "webmks", "2.7"), ("vnc", "webmks", "2.7"),
                                    ("spice", "spice-direct", "2.96")):
        r = nova_demo.post(f"/servers/{server}/remote-consoles", headers=nova_demo.at(version),
                           json={"remote_console": {"protocol": protocol, "type": kind}})
        assert r.status_code == 400 and "Invalid input for field/attribute" in r.text, r.text


def test_vnc_url_leads_to_a_page_that_says_there_is_no_console(nova_demo, server) -> None:
    """VNC is enabled by default, as in nova.conf; its URL opens a page that says plainly no console exists."""
    r = nova_demo.post(f"/servers/{server}/remote-consoles",
                       json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert r.status_code == 200, r.text
    url = r.json()["remote_console"]["url"]
    assert "/compute/vnc_lite.html?path=%3Ftoken%3D" in url
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "fake" in page.text and "no guest runs" in page.text
    legacy = nova_demo.action(server, {"os-getVNCConsole": {"type": "novnc"}}, headers=nova_demo.at("2.5"))
    assert legacy.status_code == 200 and httpx.get(legacy.json()["console"]["url"], timeout=30).status_code == 200


@pytest.fixture(scope="module")
def no_vnc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cloud = start_cloud(tmp_path_factory.mktemp("novnc"), options={"compute": {"driver": "fake",
                                                                              "vnc": {"enabled": False}}})
    yield cloud
    stop_cloud(cloud)


def test_vnc_disabled_in_config_is_refused_too(no_vnc: Cloud) -> None:
    token = no_vnc.token("pocketstack-admin")
    nova = httpx.Client(base_url=no_vnc.url + "/compute/v2.1", timeout=60,
                        headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"})
    image = httpx.get(no_vnc.url + "/image/v2/images", headers={"X-Auth-Token": token}).json()["images"][0]["id"]
    sid = nova.post("/servers", json={"server": {"name": "novnc", "imageRef": image, "networks": "none",
                                                 "flavorRef": "42"}}).json()["server"]["id"]
    for _ in range(300):
        if nova.get(f"/servers/{sid}").json()["server"]["status"] == "ACTIVE":
            break
    r = nova.post(f"/servers/{sid}/remote-consoles", json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Unavailable console type novnc."
    legacy = nova.post(f"/servers/{sid}/action", json={"os-getVNCConsole": {"type": "novnc"}},
                       headers={"OpenStack-API-Version": "compute 2.5"})
    assert legacy.status_code == 400 and legacy.json()["badRequest"]["message"] == "Unavailable console type novnc."
    nova.delete(f"/servers/{sid}")


def test_compute_driver_option(tmp_path: Any) -> None:
    args = argparse_args(["serve", "--compute-driver", "fake"])
    assert pocketstack_cli.settings_from(args).option("compute.driver") == "fake"
    assert pocketstack_cli.settings_from(argparse_args(["serve"])).option("compute.driver") is None
    assert drivers.requirements_error("fake") is None
    assert drivers.requirements_error("qemu") == (QEMU_LINE if os.geteuid() == 0 else QEMU_ROOT_LINE).removeprefix(
        "pocketstack: ")
    assert "unknown compute driver" in (drivers.requirements_error("xen") or "")


def test_serve_refuses_qemu_in_one_line(tmp_path: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--compute-driver", "qemu",
                           "--data-dir", str(tmp_path / "a")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == (QEMU_LINE if os.geteuid() == 0 else QEMU_ROOT_LINE)
    config = tmp_path / "qemu.yaml"
    config.write_text(yaml.safe_dump({"compute": {"driver": "qemu"}}))
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--config", str(config),
                           "--data-dir", str(tmp_path / "b")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == (QEMU_LINE if os.geteuid() == 0 else QEMU_ROOT_LINE)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # refused before anything starts


def argparse_args(argv: list[str]) -> Any:
    import argparse
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    pocketstack_cli._serve_args(sub)
    return parser.parse_args(argv)
