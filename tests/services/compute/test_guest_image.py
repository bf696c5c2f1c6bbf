"""The cirros-like guest image, booted for real under QEMU (TCG) on a namespaced bridge with dnsmasq
(DHCP only) and an EC2-style metadata server on 169.254.169.254, reached over SSH like Tempest does."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pocketstack.services.compute import guest_image

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespace, tap device)"),
    pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(not shutil.which("dnsmasq"), reason="dnsmasq (dnsmasq-base) is not installed"),
    pytest.mark.skipif(not shutil.which("ssh"), reason="the ssh client (openssh-client) is not installed"),
]

MAC, GUEST_IP, GATEWAY = "52:54:00:12:34:56", "10.90.0.10", "10.90.0.1"
USER_DATA_FILE = "/var/tmp/user-data-ran"

METADATA_SERVER = r"""
import http.server, json, sys
paths = json.loads(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = paths.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write((body or "not found").encode())
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("169.254.169.254", 80), H).serve_forever()
"""


def _ns(ns: str, *cmd: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, **kw)


class Guest:
    def __init__(self, ns: str, tmp: Path, key: Path) -> None:
        self.ns, self.tmp, self.key = ns, tmp, key
        self.serial = tmp / "serial.log"
        self.qmp = tmp / "qmp.sock"
        askpass = tmp / "askpass"
        askpass.write_text("#!/bin/sh\necho gocubsgo\n")
        askpass.chmod(0o700)
        self.askpass = askpass

    def ssh(self, command: str, *, password: bool = False, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        opts = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                "-o", "LogLevel=ERROR"]
        env = dict(os.environ)
        if password:
            opts += ["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"]
            env.update(SSH_ASKPASS=str(self.askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        else:
            opts += ["-o", "BatchMode=yes", "-i", str(self.key)]
        return _ns(self.ns, "ssh", *opts, f"cirros@{GUEST_IP}", command, env=env, timeout=timeout,
                   stdin=subprocess.DEVNULL)

    def wait_ssh(self, deadline: float) -> float:
        start = time.monotonic()
        while time.monotonic() < start + deadline:
            try:
                if self.ssh("true", timeout=10).returncode == 0:
                    return time.monotonic() - start
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.5)
        raise AssertionError(f"no SSH within {deadline} s; serial log:\n{self.serial.read_text()[-4000:]}")

    def qmp_command(self, command: str) -> None:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.qmp))
            f = s.makefile("rw")
            f.readline()
            for cmd in ("qmp_capabilities", command):
                f.write(json.dumps({"execute": cmd}) + "\n")
                f.flush()
                reply = json.loads(f.readline())
                while "event" in reply:
                    reply = json.loads(f.readline())
                assert "return" in reply, reply


@pytest.fixture(scope="module")
def image() -> Path:
    return guest_image.ensure()


@pytest.fixture
def guest(image: Path, tmp_path: Path):
    ns = f"ps-gitest-{secrets.token_hex(3)}"
    procs: list[subprocess.Popen] = []
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        for cmd in (["link", "set", "lo", "up"], ["link", "add", "br0", "type", "bridge"],
                    ["addr", "add", f"{GATEWAY}/24", "dev", "br0"],
                    ["addr", "add", "169.254.169.254/32", "dev", "br0"], ["link", "set", "br0", "up"],
                    ["tuntap", "add", "tap0", "mode", "tap"], ["link", "set", "tap0", "master", "br0", "up"]):
            subprocess.run(["ip", "-n", ns, *cmd], check=True)
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ns, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
             "--port=0", "--conf-file=/dev/null", "--interface=br0", "--bind-interfaces",
             f"--dhcp-leasefile={tmp_path}/leases", "--dhcp-range=10.90.0.10,10.90.0.20,255.255.255.0,1h",
             f"--dhcp-host={MAC},{GUEST_IP}", "--dhcp-option=option:mtu,1400"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        paths = {
            "/latest/meta-data/instance-id": "i-00000001",
            "/latest/meta-data/hostname": "vm-test.novalocal",
            "/latest/meta-data/public-keys/": "0=testkey",
            "/latest/meta-data/public-keys/0/openssh-key": (key.with_suffix(".pub")).read_text(),
            "/latest/user-data": f"#!/bin/sh\ndate > {USER_DATA_FILE}\n",
        }
        procs.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", METADATA_SERVER,
                                       json.dumps(paths)]))
        g = Guest(ns, tmp_path, key)
        overlay = tmp_path / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image), "-F", "qcow2", str(overlay),
                        "1G"], check=True)
        volume = tmp_path / "volume.raw"
        volume.write_bytes(b"")
        os.truncate(volume, 64 << 20)
        g.started = time.monotonic()
        qemu = subprocess.Popen(
            ["ip", "netns", "exec", ns, "qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", "256",
             "-smp", "1", "-nographic", "-serial", f"file:{g.serial}", "-monitor", "none",
             "-qmp", f"unix:{g.qmp},server=on,wait=off",
             "-drive", f"file={overlay},if=none,id=d0,format=qcow2", "-device", "virtio-blk-pci,drive=d0",
             "-drive", f"file={volume},if=none,id=d1,format=raw", "-device", "virtio-blk-pci,drive=d1",
             "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
             "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(qemu)
        g.qemu = qemu
        yield g
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_guest_boots_like_cirros(guest: Guest) -> None:
    took = guest.wait_ssh(90)
    print(f"\nSSH answered {took:.1f} s after QEMU started (TCG)", file=sys.stderr)
    log = guest.serial.read_text(errors="replace")
    assert "Linux version" in log and "Kernel command line" in log
    assert "vm-test login:" in log or "cirros login:" in log

    assert guest.ssh("hostname").stdout.strip() == "vm-test"
    # user_data runs after the SSH server starts, as in cirros
    assert any(guest.ssh(f"cat {USER_DATA_FILE}").returncode == 0 or time.sleep(1) for _ in range(20))
    assert guest.ssh("sudo id -u").stdout.strip() == "0"
    assert guest.ssh("id -u").stdout.strip() == "1000"
    pw = guest.ssh("hostname", password=True)
    assert pw.returncode == 0 and pw.stdout.strip() == "vm-test", pw.stderr
    assert "mtu 1400" in guest.ssh("ip link show eth0").stdout
    lsblk = guest.ssh("lsblk -lb --nodeps").stdout.split("\n")
    assert lsblk[0].split() == ["NAME", "MAJ:MIN", "RM", "SIZE", "RO", "TYPE", "MOUNTPOINTS"], lsblk
    assert any(line.split()[:1] == ["vdb"] and line.split()[3] == str(64 << 20) for line in lsblk[1:]), lsblk
    # the root file system grew to the 1 GiB overlay
    assert int(guest.ssh("df -k / | tail -n 1").stdout.split()[1]) > 900_000
    # what Tempest's remote client runs, its way (set -eu -o pipefail)
    tools = guest.ssh("set -eu -o pipefail; PATH=$PATH:/sbin:/usr/sbin; free; date; cat /proc/meminfo | wc -l; "
                      f"ping -c 1 -W 5 {GATEWAY}; dd if=/dev/zero of=/tmp/z bs=1k count=4; sync; "
                      "ip -o addr show eth0 | grep -c inet; which udhcpc mount umount mkfs.ext4")
    assert tools.returncode == 0, tools.stderr
    assert f"inet {GUEST_IP}/24" in guest.ssh("ip addr").stdout
    fmt = guest.ssh("sudo mkfs.ext4 -q /dev/vdb && sudo mount /dev/vdb /mnt && echo hi | sudo tee /mnt/x"
                    " && sudo umount /mnt")
    assert fmt.returncode == 0, fmt.stderr

    stamp = str(time.time())
    assert guest.ssh(f"echo {stamp} > /home/cirros/stamp && sync").returncode == 0
    guest.ssh("sudo /sbin/reboot")
    time.sleep(3)
    guest.wait_ssh(90)
    assert guest.ssh("cat /home/cirros/stamp").stdout.strip() == stamp
    assert guest.serial.read_text(errors="replace").count("Linux version") == 2

    # the driver's soft stop: the ACPI power button over QMP
    guest.qmp_command("system_powerdown")
    assert guest.qemu.wait(60) == 0
    assert "power button pressed" in guest.serial.read_text(errors="replace")
