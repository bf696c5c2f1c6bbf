"""Several hosts, one cloud: three `pocketstack serve` processes (alpha, beta, gamma), each with its own
data dir and `--host-name`, on one fresh PostgreSQL database. Through openstacksdk: every host is a
compute service and a hypervisor; the scheduler fills alpha and moves on; work on a server runs on its
host (a stopped host's servers wait, the others' do not); cold and live migration and evacuation
move servers between hosts; a killed host's compute service goes down."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import sqlalchemy as sa

from tests.conftest import Cloud, _drop_postgres, _fresh_postgres, start_cloud, stop_cloud

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DOWN_TIME = 4                      # hosts.service_down_time: seconds without a heartbeat before "down"
HOSTS_OPTIONS = {"hosts": {"report_interval": 1, "service_down_time": DOWN_TIME}}
# alpha holds one m1.nano (128 MB: 640 - 512 reserved); beta and gamma the fake driver's default size
SMALL = {"compute": {"memory_mb": 640, "ram_allocation_ratio": 1.0}}
LATEST = "2.96"


def _postgres() -> str:
    url = os.environ.get("POCKETSTACK_TEST_DATABASE_URL") or DEFAULT_URL
    try:
        from pocketstack.core.db import normalize_url
        engine = sa.create_engine(normalize_url(url), connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: no PostgreSQL here
        pytest.skip(f"several hosts need PostgreSQL ({url}, or POCKETSTACK_TEST_DATABASE_URL): {exc}")
    return url


class Hosts:
    """The hosts of one cloud; the catalog (public URL) is alpha's, which always runs."""

    def __init__(self, tmp: Path, database_url: str, extra_args: tuple[str, ...] = ()) -> None:
        self.tmp, self.database_url, self.extra_args = tmp, database_url, list(extra_args)
        self.clouds: dict[str, Cloud] = {}
        self.public_url = ""

    def start(self, name: str) -> Cloud:
        options = {**HOSTS_OPTIONS, **(SMALL if name == "alpha" else {})}
        args = ["--host-name", name, *self.extra_args] + (["--public-url", self.public_url] if self.public_url else [])
        (self.tmp / name).mkdir(exist_ok=True)
        cloud = start_cloud(self.tmp / name, self.database_url, options=options, extra_args=args)
        self.clouds[name] = cloud
        self.public_url = self.public_url or cloud.url
        admin = self.admin()              # a host's resource provider follows its start (nova's resource tracker)
        _until(lambda: any(p.name == name for p in admin.placement.resource_providers()), f"{name}'s provider")
        return cloud

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        cloud = self.clouds.pop(name)
        if sig == signal.SIGKILL:
            cloud.process.kill()
            cloud.process.wait(timeout=15)
        else:
            stop_cloud(cloud)

    def admin(self) -> Any:
        return self._connect("pocketstack-admin")

    def demo(self) -> Any:
        return self._connect("pocketstack")

    def _connect(self, name: str, **overrides: Any) -> Any:
        config = openstack.config.OpenStackConfig(config_files=[str(self.clouds["alpha"].clouds_yaml)],
                                                  load_envvars=False)
        return openstack.connection.Connection(config=config.get_one(cloud=name, **overrides))


@contextlib.contextmanager
def running_hosts(tmp: Path, names: tuple[str, ...], extra_args: tuple[str, ...] = ()) -> Iterator[Hosts]:
    """`names` started in order on a fresh PostgreSQL database (the first bootstraps the cloud, the
    others join it); stopped and the database dropped after."""
    database_url = _fresh_postgres(_postgres())
    running = Hosts(tmp, database_url, extra_args)
    try:
        for name in names:
            running.start(name)
        yield running
    finally:
        for name in list(running.clouds):
            running.stop(name)
        _drop_postgres(database_url)


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    with running_hosts(tmp_path_factory.mktemp("hosts"), ("alpha", "beta", "gamma")) as running:
        yield running


def _nova(conn: Any, method: str, path: str, **kw: Any) -> Any:
    return conn.compute.request(path, method, microversion=kw.pop("microversion", LATEST), **kw)


def _until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def _server(conn: Any, server_id: str) -> dict[str, Any]:
    return _nova(conn, "GET", f"/servers/{server_id}").json()["server"]


def _wait(conn: Any, server_id: str, *statuses: str, timeout: float = 30) -> dict[str, Any]:
    return _until(lambda: (s := _server(conn, server_id))["status"] in statuses and s,
                  f"server {server_id} in {statuses}", timeout)


def _boot(conn: Any, name: str, zone: str | None = None, network: str | None = None) -> str:
    image = next(i for i in conn.image.images() if i.name.startswith("cirros"))
    body: dict[str, Any] = {"name": name, "imageRef": image.id, "flavorRef": "42", "networks": "none"}
    if network:
        body["networks"] = [{"uuid": conn.network.find_network(network).id}]
    if zone:
        body["availability_zone"] = zone
    r = _nova(conn, "POST", "/servers", json={"server": body})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def _host(conn: Any, server_id: str) -> str:
    return str(_server(conn, server_id)["OS-EXT-SRV-ATTR:host"])


def _action(conn: Any, server_id: str, body: dict[str, Any], **kw: Any) -> Any:
    return _nova(conn, "POST", f"/servers/{server_id}/action", json=body, **kw)


def _computes(conn: Any) -> dict[str, str]:
    return {s.host: s.state for s in conn.compute.services() if s.binary == "nova-compute"}


def test_every_host_is_a_compute_service_a_hypervisor_and_a_resource_provider(hosts: Hosts) -> None:
    admin = hosts.admin()
    services = list(admin.compute.services())
    for binary in ("nova-compute", "nova-scheduler", "nova-conductor"):
        assert sorted(s.host for s in services if s.binary == binary) == ["alpha", "beta", "gamma"]
    assert all(s.state == "up" and s.status == "enabled" for s in services)
    assert {s.availability_zone for s in services if s.binary == "nova-compute"} == {"nova"}
    hypervisors = {h.name: h for h in admin.compute.hypervisors(details=True)}
    assert sorted(hypervisors) == ["alpha", "beta", "gamma"]
    assert all(h.state == "up" for h in hypervisors.values())
    # each host's inventory is its own driver's: alpha was made small
    providers = {p.name: p.id for p in admin.placement.resource_providers()}
    assert {"alpha", "beta", "gamma"} <= set(providers)
    memory = {name: admin.placement.get(f"/resource_providers/{providers[name]}/inventories").json()[
        "inventories"]["MEMORY_MB"]["total"] for name in ("alpha", "beta", "gamma")}
    assert memory["alpha"] == 640 and memory["beta"] == memory["gamma"] > 640
    assert [h["hypervisor_hostname"] for h in _nova(admin, "GET", "/os-hypervisors?hypervisor_hostname_pattern=bet")
            .json()["hypervisors"]] == ["beta"]
    volume = {s["host"]: s["state"] for s in admin.block_storage.get("/os-services?binary=cinder-volume").json()[
        "services"]}
    assert volume == {f"{h}@lvmdriver-1": "up" for h in ("alpha", "beta", "gamma")}


def test_a_full_host_sends_builds_elsewhere_and_a_forced_host_is_for_admins(hosts: Hosts) -> None:
    admin, demo = hosts.admin(), hosts.demo()
    first = _boot(admin, "on-alpha", "nova:alpha")
    assert _wait(admin, first, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "alpha"
    again = _boot(admin, "alpha-is-full", "nova:alpha")        # alpha holds one: nowhere to put it
    failed = _wait(admin, again, "ERROR")
    assert "No valid host" in failed["fault"]["message"]
    spread = [_boot(admin, f"anywhere-{i}") for i in range(2)]
    assert {_wait(admin, s, "ACTIVE")["OS-EXT-SRV-ATTR:host"] for s in spread} <= {"beta", "gamma"}
    r = _nova(demo, "POST", "/servers", json={"server": {
        "name": "forced", "imageRef": _server(admin, first)["image"]["id"], "flavorRef": "42",
        "networks": "none", "availability_zone": "nova:beta"}})
    assert r.status_code == 403, r.text                        # forcing a host is an admin's
    for server_id in (first, again, *spread):
        admin.compute.delete_server(server_id)


def test_a_disabled_host_gets_no_builds_and_only_admins_disable(hosts: Hosts) -> None:
    admin, demo = hosts.admin(), hosts.demo()
    gamma = next(s for s in _nova(admin, "GET", "/os-services?binary=nova-compute&host=gamma").json()["services"])
    assert _nova(demo, "PUT", f"/os-services/{gamma['id']}", json={"status": "disabled"}).status_code == 403
    r = _nova(admin, "PUT", f"/os-services/{gamma['id']}", json={"status": "disabled", "disabled_reason": "bench"})
    assert r.status_code == 200 and r.json()["service"]["status"] == "disabled", r.text
    assert _nova(admin, "PUT", "/os-services/nope", json={"status": "enabled"}).status_code == 404
    try:
        booted = [_boot(admin, f"not-gamma-{i}") for i in range(2)]
        assert "gamma" not in {_wait(admin, s, "ACTIVE")["OS-EXT-SRV-ATTR:host"] for s in booted}
        assert _computes(admin)["gamma"] == "up"            # disabled is not down
    finally:
        _nova(admin, "PUT", f"/os-services/{gamma['id']}", json={"status": "enabled"})
    for server_id in booted:
        admin.compute.delete_server(server_id)


def test_cold_migration_with_confirm_and_revert(hosts: Hosts) -> None:
    admin = hosts.admin()
    server = _boot(admin, "cold", "nova:beta", network="public")
    _wait(admin, server, "ACTIVE")
    r = _action(admin, server, {"migrate": {"host": "gamma"}})
    assert r.status_code == 202, r.text
    resized = _wait(admin, server, "VERIFY_RESIZE")
    assert resized["OS-EXT-SRV-ATTR:host"] == "gamma"
    migration = next(m for m in _nova(admin, "GET", f"/os-migrations?instance_uuid={server}").json()["migrations"])
    assert (migration["migration_type"], migration["source_compute"], migration["dest_compute"],
            migration["status"]) == ("migration", "beta", "gamma", "finished")
    r = _action(admin, server, {"confirmResize": None})
    assert r.status_code == 204, r.text
    assert _wait(admin, server, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "gamma"
    port = next(admin.network.ports(device_id=server))
    assert port.binding_host_id == "gamma"                      # its port followed it
    # the server holds resources on gamma only once confirmed
    allocations = admin.placement.get(f"/allocations/{server}").json()["allocations"]
    providers = {p.id: p.name for p in admin.placement.resource_providers()}
    assert [providers[rp] for rp in allocations] == ["gamma"]
    # the scheduler's choice, then revert: back on gamma
    assert _action(admin, server, {"migrate": None}).status_code == 202
    assert _wait(admin, server, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"] in ("alpha", "beta")
    assert _action(admin, server, {"revertResize": None}).status_code == 202
    assert _wait(admin, server, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "gamma"
    admin.compute.delete_server(server)


def test_live_migration_to_a_host_or_where_the_scheduler_chooses(hosts: Hosts) -> None:
    admin = hosts.admin()
    server = _boot(admin, "live", "nova:beta")
    _wait(admin, server, "ACTIVE")
    r = _action(admin, server, {"os-migrateLive": {"host": "gamma", "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    _until(lambda: _host(admin, server) == "gamma" and _server(admin, server)["status"] == "ACTIVE", "on gamma")
    r = _action(admin, server, {"os-migrateLive": {"host": None, "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    _until(lambda: _host(admin, server) != "gamma" and _server(admin, server)["status"] == "ACTIVE", "moved")
    kinds = {(m["source_compute"], m["status"]) for m in _nova(
        admin, "GET", f"/os-migrations?instance_uuid={server}&migration_type=live-migration").json()["migrations"]}
    assert kinds == {("beta", "completed"), ("gamma", "completed")}
    admin.compute.delete_server(server)


def test_moves_refused_to_the_same_or_an_unknown_host_and_to_non_admins(hosts: Hosts) -> None:
    admin, demo = hosts.admin(), hosts.demo()
    server = _boot(demo, "mine")
    host = _wait(demo, server, "ACTIVE") and _host(admin, server)
    for body in ({"migrate": {"host": host}}, {"os-migrateLive": {"host": host, "block_migration": "auto"}}):
        r = _action(admin, server, body)
        assert r.status_code == 400 and "current host" in r.json()["badRequest"]["message"], r.text
    for body in ({"migrate": {"host": "nowhere"}}, {"os-migrateLive": {"host": "nowhere", "block_migration": "auto"}}):
        r = _action(admin, server, body)
        assert r.status_code == 400 and "nowhere could not be found" in r.json()["badRequest"]["message"], r.text
    for body in ({"migrate": None}, {"os-migrateLive": {"host": None, "block_migration": "auto"}},
                 {"evacuate": {}}):
        assert _action(demo, server, body).status_code == 403
    r = _action(admin, server, {"evacuate": {}})
    assert r.status_code == 400 and "still in use" in r.json()["badRequest"]["message"], r.text
    demo.compute.delete_server(server)


def test_console_and_attachments_are_done_by_the_host_that_runs_the_guest(hosts: Hosts) -> None:
    """The API answers on alpha; the driver calls on a guest (console, volume and interface attach and
    detach) run on its host, beta, as nova-api asks nova-compute; errors come back as the API's."""
    admin = hosts.admin()
    server = _boot(admin, "remote", "nova:beta")
    _wait(admin, server, "ACTIVE")
    out = _action(admin, server, {"os-getConsoleOutput": {"length": None}})
    assert out.status_code == 200, out.text
    assert "on compute host beta" in out.json()["output"]
    console = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    r = _nova(admin, "POST", f"/servers/{server}/remote-consoles", json=console, microversion="2.6")
    assert r.status_code == 200 and "token" in r.json()["remote_console"]["url"], r.text
    token = r.json()["remote_console"]["url"].rsplit("%3D", 1)[-1]                # beta's token, recorded by alpha
    assert admin.compute.validate_console_auth_token(token).host == "beta"
    changed = _action(admin, server, {"changePassword": {"adminPass": "Newpass1234"}})   # beta's driver sets it
    assert changed.status_code == 202, changed.text
    console = {"remote_console": {"protocol": "spice", "type": "spice-html5"}}      # beta's 400, through alpha
    r = _nova(admin, "POST", f"/servers/{server}/remote-consoles", json=console, microversion="2.6")
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Unavailable console type spice-html5.", r.text
    volume = admin.block_storage.create_volume(size=1, name="remote-vol")
    admin.block_storage.wait_for_status(volume, "available", wait=30)
    r = _nova(admin, "POST", f"/servers/{server}/os-volume_attachments",
              json={"volumeAttachment": {"volumeId": volume.id}})
    assert r.status_code == 200, r.text
    admin.block_storage.wait_for_status(volume, "in-use", wait=30)
    r = _nova(admin, "DELETE", f"/servers/{server}/os-volume_attachments/{volume.id}")
    assert r.status_code == 202, r.text
    admin.block_storage.wait_for_status(volume, "available", wait=30)
    net = admin.network.create_network(name="remote-net")
    admin.network.create_subnet(network_id=net.id, cidr="10.77.0.0/24", ip_version=4)
    r = _nova(admin, "POST", f"/servers/{server}/os-interface", json={"interfaceAttachment": {"net_id": net.id}})
    assert r.status_code == 200, r.text
    port_id = r.json()["interfaceAttachment"]["port_id"]
    assert admin.network.get_port(port_id).binding_host_id == "beta"
    r = _nova(admin, "DELETE", f"/servers/{server}/os-interface/{port_id}")
    assert r.status_code == 202, r.text
    r = _nova(admin, "POST", f"/servers/{server}/os-interface/{port_id}/nothing")
    assert r.status_code in (404, 405)
    admin.compute.delete_server(server)
    admin.compute.wait_for_delete(admin.compute.get_server(server), wait=30)
    admin.block_storage.delete_volume(volume)
    admin.network.delete_network(net)


def test_work_waits_for_its_host_and_a_killed_host_goes_down_then_evacuate(hosts: Hosts) -> None:
    admin = hosts.admin()
    on_gamma, on_beta = _boot(admin, "g", "nova:gamma"), _boot(admin, "b", "nova:beta")
    for server in (on_gamma, on_beta):
        _wait(admin, server, "ACTIVE")
    hosts.stop("gamma")
    assert _action(admin, on_gamma, {"os-stop": None}).status_code == 202
    assert _action(admin, on_beta, {"os-stop": None}).status_code == 202
    assert _wait(admin, on_beta, "SHUTOFF")["OS-EXT-SRV-ATTR:host"] == "beta"      # beta runs its own
    time.sleep(2)                                   # alpha and beta claim jobs all along; gamma's stays
    waiting = _server(admin, on_gamma)
    assert (waiting["status"], waiting["OS-EXT-STS:task_state"]) == ("ACTIVE", "powering-off")
    hosts.start("gamma")                            # back: it runs what waited for it
    assert _wait(admin, on_gamma, "SHUTOFF")["OS-EXT-SRV-ATTR:host"] == "gamma"
    # a killed host: its compute service goes down after service_down_time, then its servers evacuate
    hosts.stop("gamma", signal.SIGKILL)
    _until(lambda: _computes(admin).get("gamma") == "down", "gamma down", timeout=DOWN_TIME * 4)
    assert _computes(admin)["beta"] == "up"
    volume = {s["host"]: s["state"] for s in admin.block_storage.get("/os-services").json()["services"]}
    assert volume["gamma@lvmdriver-1"] == "down" and volume["beta@lvmdriver-1"] == "up"
    hypervisors = {h.name: h.state for h in admin.compute.hypervisors()}
    assert hypervisors["gamma"] == "down" and hypervisors["beta"] == "up"
    r = _action(admin, on_gamma, {"evacuate": {"host": "gamma"}})
    assert r.status_code == 400, r.text                     # not to itself
    r = _action(admin, on_gamma, {"evacuate": {}})
    assert r.status_code == 200, r.text
    evacuated = _until(lambda: (s := _server(admin, on_gamma))["OS-EXT-SRV-ATTR:host"] != "gamma" and
                       s["OS-EXT-STS:task_state"] is None and s, "evacuated")
    assert evacuated["status"] == "SHUTOFF" and evacuated["OS-EXT-SRV-ATTR:host"] in ("alpha", "beta")
    migration = _nova(admin, "GET", f"/os-migrations?instance_uuid={on_gamma}&migration_type=evacuation").json()
    assert [(m["source_compute"], m["status"]) for m in migration["migrations"]] == [("gamma", "done")]
    for server in (on_gamma, on_beta):
        admin.compute.delete_server(server)
