"""The QEMU compute driver with real guests: a cloud of its own started with `--dataplane linux
--compute-driver qemu`, the project's cirros-like guest image, and checks of the real things (the QEMU
process and its command line, the tap in the integration namespace, QMP's answers, SSH into the guest,
the serial log). Needs root, QEMU and the dataplane's tools; skipped with the reason otherwise. Everything
started is removed at the end, even on failure: servers, QEMU processes (by their pidfiles), namespaces."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud, free_port, start_cloud, stop_cloud

pytestmark = [pytest.mark.qemu, pytest.mark.xdist_group("dataplane")]   # one external 172.24.4.1 at a time
OPTIONS = {"shutdown_timeout": 3, "sync_power_state_interval": 1, "vif_plugging_timeout": 60}


def missing() -> str | None:
    if os.geteuid() != 0:
        return "qemu driver tests skipped: they need root"
    for tool in ("qemu-system-x86_64", "qemu-img", "ssh", "ssh-keygen"):
        if not shutil.which(tool):
            return f"qemu driver tests skipped: {tool} is not on PATH"
    from pocketstack.services.network.dataplane import requirements_error
    if reason := requirements_error("linux"):
        return f"qemu driver tests skipped: {reason}"
    return None


class QemuCloud:
    def __init__(self, tmp: Path) -> None:
        self.tmp, self.name, self.port = tmp, "q" + uuid.uuid4().hex[:6], free_port()
        self.options = {"network": {"dataplane": "linux", "cloud_name": self.name},
                        "compute": {"driver": "qemu", "console_proxy_port": free_port(), **OPTIONS}}
        self.root = tmp / "data" / "compute" / "qemu"
        self.cloud: Cloud | None = None

    def start(self) -> None:
        self.cloud = start_cloud(self.tmp, port=self.port, options=self.options)

    def restart(self, hard: bool) -> None:
        if hard:
            self.cloud.process.send_signal(signal.SIGKILL)
            self.cloud.process.wait()
        else:
            stop_cloud(self.cloud)
        self.start()

    def token(self, cloud: str = "pocketstack-admin") -> str:
        return self.cloud.token(cloud)

    def api(self, service: str = "compute/v2.1", cloud: str = "pocketstack") -> httpx.Client:
        """The demo project's client (its private network and router), admin's with cloud=pocketstack-admin."""
        return httpx.Client(base_url=f"{self.cloud.url}/{service}", timeout=120, headers={
            "X-Auth-Token": self.token(cloud), "OpenStack-API-Version": "compute 2.79"})

    def pid(self, server_id: str) -> int | None:
        try:
            pid = int((self.root / server_id / "pid").read_text())
            return pid if server_id in Path(f"/proc/{pid}/cmdline").read_text() else None
        except (OSError, ValueError):
            return None

    def cmdline(self, server_id: str) -> list[str]:
        pid = self.pid(server_id)
        assert pid is not None, f"no qemu process for {server_id}"
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")

    def qmp(self, server_id: str, command: str, **arguments: Any) -> Any:
        from pocketstack.services.compute.drivers.qemu import qmp
        from pocketstack.services.compute.drivers.qemu.machine import Guest
        return qmp.call(Guest(self.root, server_id).status_sock, command, **arguments)

    def links(self) -> dict[str, Any]:
        out = subprocess.run(["ip", "-j", "-n", f"ps-{self.name}-int", "link"], capture_output=True, text=True)
        return {link["ifname"]: link for link in json.loads(out.stdout or "[]")}

    def close(self) -> None:
        try:
            if self.cloud is not None:
                stop_cloud(self.cloud)
        finally:
            from pocketstack.services.compute.drivers.qemu.consoles import ConsoleProxy
            ConsoleProxy(self.root, "127.0.0.1", 0).stop()          # websockify and its token dir
            for pidfile in self.root.glob("*/pid") if self.root.exists() else []:
                server_id = pidfile.parent.name
                if (pid := self.pid(server_id)) is not None:
                    os.kill(pid, signal.SIGKILL)
                shutil.rmtree(f"/run/pocketstack/qemu/{server_id}", ignore_errors=True)
            subprocess.run([sys.executable, "-m", "pocketstack", "dataplane", "cleanup", "--cloud-name", self.name],
                           capture_output=True)


def prepare(cloud: QemuCloud) -> None:
    """Start the cloud; upload the guest image (public), a keypair `k` for demo, and SSH and ICMP rules in
    demo's default security group."""
    from pocketstack.services.compute import guest_image
    image_path = guest_image.ensure()
    cloud.start()
    token = cloud.token()
    with open(image_path, "rb") as f:
        img = httpx.post(f"{cloud.cloud.url}/image/v2/images", headers={"X-Auth-Token": token}, json={
            "name": "guest", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}).json()
        r = httpx.put(f"{cloud.cloud.url}/image/v2/images/{img['id']}/file", content=f.read(), timeout=120,
                      headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
    cloud.image_id = img["id"]  # type: ignore[attr-defined]
    key = cloud.tmp / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    nova = cloud.api()
    assert nova.post("/os-keypairs", json={"keypair": {"name": "k", "public_key": (
        cloud.tmp / "key.pub").read_text()}}).status_code in (200, 201)
    cloud.key = key  # type: ignore[attr-defined]
    neutron = cloud.api("networking/v2.0")
    groups = neutron.get("/security-groups?name=default&project_id=" + _project(cloud)).json()
    for proto, port in (("tcp", 22), ("icmp", None)):
        rule = {"security_group_id": groups["security_groups"][0]["id"], "direction": "ingress",
                "protocol": proto, **({"port_range_min": port, "port_range_max": port} if port else {})}
        neutron.post("/security-group-rules", json={"security_group_rule": rule})


@pytest.fixture(scope="module")
def qc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if reason := missing():
        pytest.skip(reason)
    cloud = QemuCloud(tmp_path_factory.mktemp("qemucloud"))
    try:
        prepare(cloud)
        yield cloud
    finally:
        cloud.close()


def _project(cloud: QemuCloud) -> str:
    token = cloud.token("pocketstack")
    r = httpx.get(f"{cloud.cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token,
                                                                          "X-Subject-Token": token})
    return str(r.json()["token"]["project"]["id"])


def boot(qc: QemuCloud, name: str, **extra: Any) -> dict[str, Any]:
    nova = qc.api()
    private = qc.api("networking/v2.0").get("/networks?name=private").json()["networks"][0]["id"]
    body = {"server": {"name": name, "imageRef": qc.image_id, "flavorRef": "42", "key_name": "k",  # type: ignore
                       "networks": [{"uuid": private}], **extra}}
    r = nova.post("/servers", json=body)
    assert r.status_code == 202, r.text
    return wait(qc, r.json()["server"]["id"], "ACTIVE")


def wait(qc: QemuCloud, server_id: str, status: str, timeout: float = 120) -> dict[str, Any]:
    nova, deadline = qc.api(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = nova.get(f"/servers/{server_id}").json()["server"]
        if server["status"] == status and server.get("OS-EXT-STS:task_state") is None:
            return dict(server)
        assert server["status"] != "ERROR", server.get("fault")
        time.sleep(0.5)
    raise AssertionError(f"server {server_id} is {server['status']}, not {status}")


def action(qc: QemuCloud, server_id: str, body: dict[str, Any]) -> None:
    r = qc.api().post(f"/servers/{server_id}/action", json=body)
    assert r.status_code in (200, 202), r.text


def ssh(qc: QemuCloud, server: dict[str, Any], command: str, timeout: float = 90) -> str:
    """SSH to the guest's fixed address from its router's namespace (the machine's own route to the external
    network may belong to another cloud started by another test run)."""
    router = qc.api("networking/v2.0").get("/routers?name=router1").json()["routers"][0]["id"]
    address = next(a["addr"] for net in server["addresses"].values() for a in net if a["version"] == 4)
    cmd = ["ip", "netns", "exec", f"ps-{qc.name}-qrouter-{router}", "ssh", "-i", str(qc.key),  # type: ignore
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
           "-o", "ConnectTimeout=3", f"cirros@{address}", command]
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if last.returncode == 0:
            return last.stdout
        time.sleep(2)
    raise AssertionError(f"ssh {address} failed: {last.stderr if last else ''}")


@pytest.fixture(scope="module")
def vm(qc: QemuCloud) -> Any:
    server = boot(qc, "vm")
    yield server
    qc.api().delete(f"/servers/{server['id']}")


def test_guest_boots_on_a_tap_and_answers_ssh(qc: QemuCloud, vm: dict[str, Any]) -> None:
    cmd = qc.cmdline(vm["id"])
    port = qc.api("networking/v2.0").get(f"/ports?device_id={vm['id']}").json()["ports"][0]
    tap = "tap" + port["id"][:11]
    netdevs = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-netdev"]
    assert netdevs == [f"tap,id=net-{port['id'][:11]},ifname={tap},script=no,downscript=no"]
    assert not any(n.startswith("user") for n in netdevs) and f"mac={port['mac_address']}" in " ".join(cmd)
    assert "tcg,tb-size=128" in cmd and vm["id"] in cmd and "128" in cmd          # -accel, -uuid, -m 128
    links = qc.links()
    assert links[tap]["master"] == "brq" + port["network_id"][:11]
    assert port["status"] == "ACTIVE"                 # bound to the host and wired: nova had its vif-plugged
    assert ssh(qc, vm, "hostname").strip() == "vm"
    log = qc.api().post(f"/servers/{vm['id']}/action", json={"os-getConsoleOutput": {}}).json()["output"]
    assert "Linux version" in log and "login:" in log
    tail = qc.api().post(f"/servers/{vm['id']}/action", json={"os-getConsoleOutput": {"length": 3}}).json()
    assert len(tail["output"].splitlines()) == 3


def test_novnc_and_serial_consoles_reach_the_guest(qc: QemuCloud, vm: dict[str, Any]) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    nova = qc.api()
    r = nova.post(f"/servers/{vm['id']}/remote-consoles",
                  json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    url = r.json()["remote_console"]["url"]
    assert r.status_code == 200 and "/vnc_lite.html?path=%3Ftoken%3D" in url, r.text
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "noVNC" in page.text
    token = url.rsplit("%3D", 1)[1]
    ws_url = url.split("/vnc_lite.html")[0].replace("http://", "ws://") + f"/?token={token}"
    for _ in range(50):                                  # websockify may still be starting
        try:
            with connect(ws_url, subprotocols=["binary"], open_timeout=5) as ws:
                assert bytes(ws.recv(timeout=10)).startswith(b"RFB 003.")
            break
        except (OSError, ConnectionClosed, TimeoutError):   # websockify (or the guest's VNC) may still be starting
            time.sleep(0.2)
    else:
        raise AssertionError(f"no websocket at {ws_url}")
    r = nova.post(f"/servers/{vm['id']}/remote-consoles",
                  json={"remote_console": {"protocol": "serial", "type": "serial"}})
    url = r.json()["remote_console"]["url"]
    assert url.startswith("ws://") and "?token=" in url
    with connect(url, subprotocols=["binary"], open_timeout=5) as ws:
        ws.send(b"\n")
        seen = b""
        deadline = time.monotonic() + 20
        while b"login:" not in seen and time.monotonic() < deadline:
            seen += bytes(ws.recv(timeout=20))
    assert b"login:" in seen
    r = nova.post(f"/servers/{vm['id']}/remote-consoles",
                  json={"remote_console": {"protocol": "spice", "type": "spice-html5"}})
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Unavailable console type spice-html5."


def test_hypervisor_is_qemu_with_the_probed_accelerator(qc: QemuCloud) -> None:
    nova = qc.api(cloud="pocketstack-admin")
    hv = nova.get("/os-hypervisors/detail", headers={"OpenStack-API-Version": "compute 2.28"}).json()
    shown = hv["hypervisors"][0]
    assert shown["hypervisor_type"] == "QEMU" and shown["hypervisor_version"] > 1000000
    assert shown["cpu_info"]["accel"] == json.loads((qc.root / "accel.json").read_text())["accel"] == "tcg"
    assert shown["vcpus"] == os.cpu_count()


@pytest.mark.full
def test_pause_stop_start_and_reboot_act_on_the_process(qc: QemuCloud, vm: dict[str, Any]) -> None:
    action(qc, vm["id"], {"pause": None})
    wait(qc, vm["id"], "PAUSED")
    assert qc.qmp(vm["id"], "query-status")["status"] == "paused"
    action(qc, vm["id"], {"unpause": None})
    wait(qc, vm["id"], "ACTIVE")
    assert qc.qmp(vm["id"], "query-status")["status"] == "running"
    before = qc.pid(vm["id"])
    action(qc, vm["id"], {"os-stop": None})
    wait(qc, vm["id"], "SHUTOFF")
    assert qc.pid(vm["id"]) is None and (qc.root / vm["id"] / "disk").exists()
    action(qc, vm["id"], {"os-start": None})
    wait(qc, vm["id"], "ACTIVE")
    after = qc.pid(vm["id"])
    assert after is not None and after != before
    action(qc, vm["id"], {"reboot": {"type": "HARD"}})
    wait(qc, vm["id"], "ACTIVE")
    assert qc.pid(vm["id"]) not in (None, after)
    assert ssh(qc, vm, "hostname").strip() == "vm"


def test_volume_attaches_live_and_keeps_its_bytes(qc: QemuCloud, vm: dict[str, Any]) -> None:
    cinder = httpx.Client(base_url=f"{qc.cloud.url}/volume/v3", timeout=60,
                          headers={"X-Auth-Token": qc.token("pocketstack")})
    volume = cinder.post("/volumes", json={"volume": {"size": 1, "name": "data"}}).json()["volume"]
    for _ in range(100):
        if cinder.get(f"/volumes/{volume['id']}").json()["volume"]["status"] == "available":
            break
        time.sleep(0.2)
    nova = qc.api()
    r = nova.post(f"/servers/{vm['id']}/os-volume_attachments", json={"volumeAttachment": {"volumeId": volume["id"]}})
    assert r.status_code == 200 and r.json()["volumeAttachment"]["device"] == "/dev/vdb", r.text
    devices = {b.get("qdev", ""): b for b in qc.qmp(vm["id"], "query-block")}
    assert any(volume["id"][:20] in qdev for qdev in devices)
    assert volume["id"] in next(b for q, b in devices.items() if volume["id"][:20] in q)["inserted"]["file"]
    assert ssh(qc, vm, "echo written-in-vm | sudo dd of=/dev/vdb conv=sync,fsync 2>/dev/null; "
                       "sudo head -c 13 /dev/vdb") == "written-in-vm"
    assert nova.delete(f"/servers/{vm['id']}/os-volume_attachments/{volume['id']}").status_code == 202
    assert not any(volume["id"][:20] in b.get("qdev", "") for b in qc.qmp(vm["id"], "query-block"))
    assert "vdb" not in ssh(qc, vm, "cat /proc/partitions")
    cinder.delete(f"/volumes/{volume['id']}")


def test_volume_swap_mirrors_the_running_guests_disk_and_pivots(qc: QemuCloud, vm: dict[str, Any]) -> None:
    """Cinder migrating an attached volume: nova's swap copies the guest's disk while it runs
    (blockdev-mirror) and pivots the same device onto the new volume, whose file then has the guest's bytes."""
    def volume(name: str) -> dict[str, Any]:
        vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": name}}).json()["volume"]
        for _ in range(100):
            if cinder.get(f"/volumes/{vol['id']}").json()["volume"]["status"] == "available":
                break
            time.sleep(0.2)
        return dict(vol)

    cinder, admin = (httpx.Client(base_url=f"{qc.cloud.url}/volume/v3/{_project(qc)}", timeout=60,
                                  headers={"X-Auth-Token": qc.token(cloud), "OpenStack-API-Version": "volume 3.44"})
                     for cloud in ("pocketstack", "pocketstack-admin"))
    nova = qc.api(cloud="pocketstack-admin")
    old, new = volume("swap-from"), volume("swap-to")
    r = nova.post(f"/servers/{vm['id']}/os-volume_attachments", json={"volumeAttachment": {"volumeId": old["id"]}})
    assert r.status_code == 200, r.text
    assert ssh(qc, vm, "echo before-swap | sudo dd of=/dev/vdb conv=sync,fsync 2>/dev/null; echo ok") == "ok\n"
    assert admin.post(f"/volumes/{old['id']}/action",
                      json={"os-reset_status": {"migration_status": "starting"}}).status_code == 202
    r = nova.put(f"/servers/{vm['id']}/os-volume_attachments/{old['id']}",
                 json={"volumeAttachment": {"volumeId": new["id"]}})
    assert r.status_code == 202, r.text
    device = next(b for b in qc.qmp(vm["id"], "query-block") if old["id"][:20] in b.get("qdev", ""))
    assert new["id"] in device["inserted"]["file"]                 # the guest's device reads the new volume
    assert ssh(qc, vm, "sudo head -c 11 /dev/vdb") == "before-swap"
    assert ssh(qc, vm, "echo after-swap! | sudo dd of=/dev/vdb conv=sync,fsync 2>/dev/null; echo ok") == "ok\n"
    listed = nova.get(f"/servers/{vm['id']}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [new["id"]]
    assert nova.delete(f"/servers/{vm['id']}/os-volume_attachments/{new['id']}").status_code == 202
    for _ in range(100):
        if cinder.get(f"/volumes/{new['id']}").json()["volume"]["status"] == "available":
            break
        time.sleep(0.2)
    assert not any(old["id"][:20] in b.get("qdev", "") for b in qc.qmp(vm["id"], "query-block"))
    assert "vdb" not in ssh(qc, vm, "cat /proc/partitions")
    path = next(p for p in qc.root.parents[1].rglob(f"*{new['id']}*") if p.is_file())
    assert path.read_bytes()[:11] == b"after-swap!"
    for vol in (old, new):
        cinder.delete(f"/volumes/{vol['id']}")


@pytest.mark.full
def test_snapshot_is_a_qcow2_image(qc: QemuCloud, vm: dict[str, Any]) -> None:
    r = qc.api().post(f"/servers/{vm['id']}/action", json={"createImage": {"name": "snap"}},
                      headers={"OpenStack-API-Version": "compute 2.45"})
    image_id = r.json()["image_id"]
    glance = httpx.Client(base_url=f"{qc.cloud.url}/image/v2", headers={"X-Auth-Token": qc.token("pocketstack")},
                          timeout=60)
    for _ in range(120):
        image = glance.get(f"/images/{image_id}").json()
        if image["status"] == "active":
            break
        time.sleep(0.5)
    assert image["status"] == "active" and image["disk_format"] == "qcow2"
    assert glance.get(f"/images/{image_id}/file").content[:4] == b"QFI\xfb"
    wait(qc, vm["id"], "ACTIVE")
    assert qc.qmp(vm["id"], "query-status")["status"] == "running"
    ssh(qc, vm, "echo from-the-snapshot > /home/cirros/snapmark; sync")
    r = qc.api().post(f"/servers/{vm['id']}/action", json={"createImage": {"name": "snap2"}},
                      headers={"OpenStack-API-Version": "compute 2.45"})
    second = r.json()["image_id"]
    for _ in range(120):
        if glance.get(f"/images/{second}").json()["status"] == "active":
            break
        time.sleep(0.5)
    clone = boot(qc, "clone", imageRef=second)                       # the snapshot boots a new guest
    assert ssh(qc, clone, "hostname; cat /home/cirros/snapmark").split() == ["clone", "from-the-snapshot"]
    qc.api().delete(f"/servers/{clone['id']}")
    glance.delete(f"/images/{image_id}")
    glance.delete(f"/images/{second}")


def test_guests_outlive_pocketstack_and_are_adopted(qc: QemuCloud, vm: dict[str, Any]) -> None:
    pid = qc.pid(vm["id"])
    qc.restart(hard=True)                         # kill -9 of pocketstack
    assert qc.pid(vm["id"]) == pid
    time.sleep(3)                                 # a few power-state sync passes
    assert wait(qc, vm["id"], "ACTIVE")["OS-EXT-STS:power_state"] == 1
    assert qc.pid(vm["id"]) == pid
    assert ssh(qc, vm, "hostname").strip() == "vm"


def test_a_guest_that_dies_is_seen_shutoff_and_delete_leaves_nothing(qc: QemuCloud) -> None:
    server = boot(qc, "doomed")
    port = qc.api("networking/v2.0").get(f"/ports?device_id={server['id']}").json()["ports"][0]
    pid = qc.pid(server["id"])
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    shown = wait(qc, server["id"], "SHUTOFF", timeout=30)
    assert shown["OS-EXT-STS:power_state"] == 4
    action(qc, server["id"], {"os-start": None})
    wait(qc, server["id"], "ACTIVE")
    pid = qc.pid(server["id"])
    assert qc.api().delete(f"/servers/{server['id']}").status_code == 204
    for _ in range(100):
        if qc.api().get(f"/servers/{server['id']}").status_code == 404:
            break
        time.sleep(0.3)
    assert qc.pid(server["id"]) is None and gone(pid)
    assert "tap" + port["id"][:11] not in qc.links()
    assert not (qc.root / server["id"]).exists() and not Path(f"/run/pocketstack/qemu/{server['id']}").exists()


def gone(pid: int | None, timeout: float = 10) -> bool:
    """The process exited (a zombie waiting for init to reap it counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.1)
    return False


def test_serve_needs_the_linux_dataplane(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("as a user the root check answers first")
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--compute-driver", "qemu",
                           "--data-dir", str(tmp_path / "d"), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "pocketstack: --compute-driver qemu needs --dataplane linux (a guest's NICs are " \
                                  "taps on its bridges)"


def test_suspend_resume_rescue_resize_rebuild_and_interfaces(qc: QemuCloud) -> None:
    server = boot(qc, "busy")
    sid, nova = server["id"], qc.api()
    action(qc, sid, {"suspend": None})
    wait(qc, sid, "SUSPENDED")
    assert qc.pid(sid) is None and (qc.root / sid / "state").stat().st_size > 0
    action(qc, sid, {"resume": None})
    wait(qc, sid, "ACTIVE")
    assert qc.qmp(sid, "query-status")["status"] == "running" and not (qc.root / sid / "state").exists()
    assert ssh(qc, server, "hostname").strip() == "busy"           # the same guest, not a new boot

    action(qc, sid, {"rescue": None})
    wait(qc, sid, "RESCUE")
    drives = [b["device"] or b["qdev"] for b in qc.qmp(sid, "query-block")]
    assert drives[:2] == ["disk-rescue", "disk-root"]
    action(qc, sid, {"unrescue": None})
    wait(qc, sid, "ACTIVE")
    assert [b["device"] for b in qc.qmp(sid, "query-block")][:1] == ["disk-root"]

    action(qc, sid, {"resize": {"flavorRef": "84"}})                # m1.micro: 192 MB
    wait(qc, sid, "VERIFY_RESIZE")
    cmd = qc.cmdline(sid)
    assert cmd[cmd.index("-m") + 1] == "192" and (qc.root / sid / "disk.resize-backup").exists()
    action(qc, sid, {"revertResize": None})
    wait(qc, sid, "ACTIVE")
    cmd = qc.cmdline(sid)
    assert cmd[cmd.index("-m") + 1] == "128" and not (qc.root / sid / "disk.resize-backup").exists()

    neutron = qc.api("networking/v2.0")
    net = neutron.post("/networks", json={"network": {"name": "second"}}).json()["network"]
    neutron.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/24", "ip_version": 4}})
    r = nova.post(f"/servers/{sid}/os-interface", json={"interfaceAttachment": {"net_id": net["id"]}})
    assert r.status_code == 200, r.text
    port_id = r.json()["interfaceAttachment"]["port_id"]
    for _ in range(50):
        if qc.links().get("tap" + port_id[:11], {}).get("master") == "brq" + net["id"][:11]:
            break
        time.sleep(0.2)
    assert qc.links()["tap" + port_id[:11]]["master"] == "brq" + net["id"][:11]
    assert "eth1" in ssh(qc, server, "ls /sys/class/net")
    assert nova.delete(f"/servers/{sid}/os-interface/{port_id}").status_code == 202
    assert "tap" + port_id[:11] not in qc.links()

    old = qc.pid(sid)
    r = nova.post(f"/servers/{sid}/action", json={"rebuild": {"imageRef": qc.image_id}})  # type: ignore
    assert r.status_code == 202, r.text
    wait(qc, sid, "ACTIVE")
    assert qc.pid(sid) not in (None, old)
    assert ssh(qc, server, "hostname").strip() == "busy"
    assert nova.delete(f"/servers/{sid}").status_code == 204
    neutron.delete(f"/networks/{net['id']}")


@pytest.mark.full
def test_shelve_offloads_the_guest_and_unshelve_boots_its_snapshot(qc: QemuCloud) -> None:
    server = boot(qc, "shelved")
    sid = server["id"]
    ssh(qc, server, "echo kept-across-shelve > /home/cirros/mark; sync")
    action(qc, sid, {"shelve": None})
    wait(qc, sid, "SHELVED_OFFLOADED")
    assert qc.pid(sid) is None and not (qc.root / sid).exists()
    glance = qc.api("image/v2")
    assert [i for i in glance.get("/images").json()["images"] if i["name"] == "shelved-shelved"]
    action(qc, sid, {"unshelve": None})
    server = wait(qc, sid, "ACTIVE")
    assert qc.pid(sid) is not None
    assert ssh(qc, server, "cat /home/cirros/mark").strip() == "kept-across-shelve"
    assert not [i for i in glance.get("/images").json()["images"] if i["name"] == "shelved-shelved"]
    assert qc.api().delete(f"/servers/{sid}").status_code == 204


@pytest.mark.full
def test_boot_from_volume_runs_on_the_volume_file(qc: QemuCloud) -> None:
    bdm = [{"source_type": "image", "destination_type": "volume", "uuid": qc.image_id,  # type: ignore[attr-defined]
            "volume_size": 1, "boot_index": 0, "delete_on_termination": True}]
    server = boot(qc, "bfv", imageRef="", block_device_mapping_v2=bdm)
    blocks = qc.qmp(server["id"], "query-block")
    assert "/volumes/volume-" in blocks[0]["inserted"]["file"] and blocks[0]["inserted"]["drv"] == "raw"
    assert not (qc.root / server["id"] / "disk").exists()
    assert ssh(qc, server, "hostname").strip() == "bfv"
    assert qc.api().delete(f"/servers/{server['id']}").status_code == 204


@pytest.mark.full
def test_ephemeral_and_swap_disks_come_before_volumes(qc: QemuCloud) -> None:
    admin = qc.api(cloud="pocketstack-admin")
    flavor = admin.post("/flavors", json={"flavor": {"name": "eph", "ram": 128, "vcpus": 1, "disk": 1,
                                                     "OS-FLV-EXT-DATA:ephemeral": 1, "swap": 64}}).json()["flavor"]
    server = boot(qc, "eph", flavorRef=flavor["id"])
    disks = ssh(qc, server, "cat /proc/partitions; cat /proc/swaps; sudo dd if=/dev/vdb bs=1 skip=1144 count=10")
    assert "vdb" in disks and "vdc" in disks and "ephemeral0" in disks    # the ext4 label in the superblock
    cinder = httpx.Client(base_url=f"{qc.cloud.url}/volume/v3", timeout=60,
                          headers={"X-Auth-Token": qc.token("pocketstack")})
    volume = cinder.post("/volumes", json={"volume": {"size": 1}}).json()["volume"]
    for _ in range(100):
        if cinder.get(f"/volumes/{volume['id']}").json()["volume"]["status"] == "available":
            break
        time.sleep(0.2)
    r = qc.api().post(f"/servers/{server['id']}/os-volume_attachments",
                      json={"volumeAttachment": {"volumeId": volume["id"]}})
    assert r.json()["volumeAttachment"]["device"] == "/dev/vdd"
    assert "vdd" in ssh(qc, server, "sleep 1; cat /proc/partitions")
    assert qc.api().delete(f"/servers/{server['id']}").status_code == 204
    admin.delete(f"/flavors/{flavor['id']}")


@pytest.mark.full
def test_config_drive_is_an_iso_labelled_config_2(qc: QemuCloud) -> None:
    server = boot(qc, "cd", config_drive=True)
    assert (qc.root / server["id"] / "disk.config").exists()
    label = ssh(qc, server, "sudo dd if=/dev/sr0 bs=1 skip=32808 count=8 2>/dev/null")   # ISO volume id
    assert label == "config-2"
    assert qc.api().delete(f"/servers/{server['id']}").status_code == 204
