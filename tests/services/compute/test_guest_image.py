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
    pytest.mark.full,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespace, tap device)"),
    pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(not shutil.which("dnsmasq"), reason="dnsmasq (dnsmasq-base) is not installed"),
    pytest.mark.skipif(not shutil.which("ssh"), reason="the ssh client (openssh-client) is not installed"),
]

MAC, GUEST_IP, GATEWAY = "52:54:00:12:34:56", "10.90.0.10", "10.90.0.1"
USER_DATA_FILE = "/var/tmp/user-data-ran"
PROLOGUE = "set -eu -o pipefail; PATH=$PATH:/sbin:/usr/sbin;"  # Tempest's validation.ssh_shell_prologue

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
        self.console = tmp / "console.sock"
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
        return _ns(self.ns, "ssh", *opts, f"cirros@{GUEST_IP}", f"{PROLOGUE} {command}", env=env, timeout=timeout,
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

    def eventually(self, command: str, timeout: float = 20) -> str:
        """The output of a command once it succeeds (retried each second)."""
        end = time.monotonic() + timeout
        while (res := self.ssh(command)).returncode != 0 and time.monotonic() < end:
            time.sleep(1)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    def console_session(self, lines: list[tuple[str, str]], timeout: float = 30) -> str:
        """Talk to ttyS0: for each (wait_for, send), read until wait_for shows up, then send."""
        seen = ""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.console))
            s.settimeout(1)
            s.sendall(b"\n")
            for wait_for, send in lines:
                end = time.monotonic() + timeout
                while wait_for not in seen:
                    assert time.monotonic() < end, f"no {wait_for!r} on the console; got {seen[-500:]!r}"
                    try:
                        seen += s.recv(4096).decode(errors="replace")
                    except TimeoutError:
                        pass
                seen = seen[seen.index(wait_for) + len(wait_for):]
                s.sendall(send.encode())
        return seen

    def qmp_command(self, *commands: tuple[str, dict]) -> None:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.qmp))
            f = s.makefile("rw")
            f.readline()
            for cmd, args in (("qmp_capabilities", {}), *commands):
                f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
                f.flush()
                reply = json.loads(f.readline())
                while "event" in reply:
                    reply = json.loads(f.readline())
                assert "return" in reply, reply


@pytest.fixture(scope="module")
def image() -> Path:
    return guest_image.ensure()


def _config_drive(tmp: Path, key: Path) -> Path:
    """A config drive as nova writes one: ISO9660 labelled config-2, openstack/latest/{meta_data.json,user_data}."""
    latest = tmp / "cd/openstack/latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps({
        "uuid": "9f2c2b9e-5b8a-4a57-8f0e-4f3b1c0d7e11", "name": "vm-cd", "hostname": "vm-cd",
        "public_keys": {"testkey": key.with_suffix(".pub").read_text()}, "launch_index": 0,
        "availability_zone": "nova", "keys": [{"name": "testkey", "type": "ssh",
                                               "data": key.with_suffix(".pub").read_text()}]}))
    (latest / "user_data").write_text(f"#!/bin/sh\necho config-drive > {USER_DATA_FILE}\n")
    iso = tmp / "config.iso"
    subprocess.run(["genisoimage", "-quiet", "-o", str(iso), "-V", "config-2", "-r", "-J", str(tmp / "cd")],
                   check=True)
    return iso


@pytest.fixture
def guest(image: Path, tmp_path: Path, request: pytest.FixtureRequest):
    metadata = getattr(request, "param", "ec2")
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
             f"--dhcp-host={MAC},{GUEST_IP}", "--dhcp-option=option:mtu,1400",
             # as neutron's DHCP agent: the metadata host route and the default route in option 121
             f"--dhcp-option=option:classless-static-route,169.254.169.254/32,{GATEWAY},0.0.0.0/0,{GATEWAY}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        paths = {
            "/latest/meta-data/instance-id": "i-00000001",
            "/latest/meta-data/hostname": "vm-test.novalocal",
            "/latest/meta-data/public-keys/": "0=testkey",
            "/latest/meta-data/public-keys/0/openssh-key": (key.with_suffix(".pub")).read_text(),
            "/latest/user-data": f"#!/bin/sh\ndate > {USER_DATA_FILE}\n",
        }
        extra: list[str] = []
        if metadata == "ec2":
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", METADATA_SERVER,
                                           json.dumps(paths)]))
        else:
            extra = ["-drive", f"file={_config_drive(tmp_path, key)},if=ide,media=cdrom,format=raw"]
        g = Guest(ns, tmp_path, key)
        overlay = tmp_path / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image), "-F", "qcow2", str(overlay),
                        "1G"], check=True)
        volume = tmp_path / "volume.raw"
        volume.write_bytes(b"")
        os.truncate(volume, 64 << 20)
        g.started = time.monotonic()
        qemu = subprocess.Popen(
            ["ip", "netns", "exec", ns, "qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", "128",
             "-smp", "1", "-nographic", "-monitor", "none", "-serial", "chardev:ser0",
             "-chardev", f"socket,id=ser0,path={g.console},server=on,wait=off,logfile={g.serial}",
             "-qmp", f"unix:{g.qmp},server=on,wait=off",
             "-drive", f"file={overlay},if=none,id=d0,format=qcow2", "-device", "virtio-blk-pci,drive=d0",
             "-drive", f"file={volume},if=none,id=d1,format=raw", "-device", "virtio-blk-pci,drive=d1",
             "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
             "-device", f"virtio-net-pci,netdev=n0,mac={MAC}", *extra],
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
    guest.wait_ssh(90)
    took = time.monotonic() - guest.started
    print(f"\nSSH answered {took:.1f} s after QEMU started (TCG)", file=sys.stderr)
    log = guest.serial.read_text(errors="replace")
    assert "Linux version" in log and "Kernel command line" in log
    # getty starts once rcS is done (after user_data)
    for _ in range(30):
        if "vm-test login:" in guest.serial.read_text(errors="replace"):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"no login prompt on ttyS0:\n{guest.serial.read_text(errors='replace')[-3000:]}")

    up = [line for line in guest.serial.read_text(errors="replace").splitlines() if "guest: up" in line]
    print(f"guest's own count at the end of rcS: {up}", file=sys.stderr)
    assert guest.ssh("hostname").stdout.strip() == "vm-test"
    # user_data runs after the SSH server starts, as in cirros
    assert guest.eventually(f"cat {USER_DATA_FILE}")
    assert guest.ssh("sudo id -u").stdout.strip() == "0"
    assert guest.ssh("id -u").stdout.strip() == "1000"
    guest.console_session([("login: ", "cirros\n"), ("Password: ", "gocubsgo\n"), ("$ ", "echo uid=$(id -u)\n"),
                           ("uid=1000", "exit\n")])
    pw = guest.ssh("hostname", password=True)
    assert pw.returncode == 0 and pw.stdout.strip() == "vm-test", pw.stderr
    assert "mtu 1400" in guest.ssh("ip link show eth0").stdout
    routes = guest.ssh("ip route").stdout
    assert f"default via {GATEWAY}" in routes and f"169.254.169.254 via {GATEWAY}" in routes, routes
    lsblk = guest.ssh("lsblk -lb --nodeps").stdout.split("\n")
    assert lsblk[0].split() == ["NAME", "MAJ:MIN", "RM", "SIZE", "RO", "TYPE", "MOUNTPOINTS"], lsblk
    assert any(line.split()[:1] == ["vdb"] and line.split()[3] == str(64 << 20) for line in lsblk[1:]), lsblk
    # the root file system grew to the 1 GiB overlay
    assert int(guest.ssh("df -k / | tail -n 1").stdout.split()[1]) > 900_000
    # what Tempest's remote client runs
    tools = guest.ssh("free; date; cat /proc/meminfo | wc -l; "
                      f"ping -c 1 -W 5 {GATEWAY}; dd if=/dev/zero of=/tmp/z bs=1k count=4; sync; "
                      "ip -o addr show eth0 | grep -c inet; which udhcpc mount umount mkfs.ext4")
    assert tools.returncode == 0, tools.stderr
    assert f"inet {GUEST_IP}/24" in guest.ssh("ip addr").stdout
    curl = guest.ssh("curl -s http://169.254.169.254/latest/meta-data/hostname")
    assert curl.stdout == "vm-test.novalocal", curl
    assert "8021q" in guest.ssh("/sbin/lsmod").stdout
    assert guest.ssh(f"sudo /bin/kill -USR1 $(cat /var/run/udhcpc.eth0.pid)").returncode == 0  # renew_lease
    fmt = guest.ssh("sudo /usr/sbin/mke2fs -q -t ext4 /dev/vdb && sudo mount /dev/vdb /mnt && echo hi | sudo tee /mnt/x"
                    " && sudo umount /mnt")
    assert fmt.returncode == 0, fmt.stderr
    # Tempest's create_timestamp (test_stamp_pattern): make_fs with its default vfat, mkdir, mount, umount
    vfat = guest.ssh(PROLOGUE + "sudo mkfs -t vfat /dev/vdb && sudo mkdir -p /mnt/vdb && "
                     "sudo mount /dev/vdb /mnt/vdb && sudo sh -c 'date > /mnt/vdb/timestamp; sync' && "
                     "sudo cat /mnt/vdb/timestamp && sudo umount /mnt/vdb && sudo blkid /dev/vdb")
    assert vfat.returncode == 0 and 'TYPE="vfat"' in vfat.stdout, (vfat.stdout, vfat.stderr)

    # a volume attached while the guest runs (ACPI PCI hot-plug): lsblk sees it, user cirros can read it
    hot = guest.tmp / "hot.raw"
    hot.write_bytes(b"")
    os.truncate(hot, 32 << 20)
    guest.qmp_command(("blockdev-add", {"driver": "raw", "node-name": "hot0",
                                        "file": {"driver": "file", "filename": str(hot)}}),
                      ("device_add", {"driver": "virtio-blk-pci", "drive": "hot0", "id": "hot0dev"}))
    assert guest.eventually("lsblk -lb --nodeps | grep -w vdc").split()[3] == str(32 << 20)
    assert guest.eventually("ls -l /dev/vdc").startswith("brw-r--r--")

    stamp = str(time.time())
    assert guest.ssh(f"echo {stamp} > /home/cirros/stamp && sync").returncode == 0
    guest.ssh("sudo /sbin/reboot")
    time.sleep(3)
    guest.wait_ssh(90)
    assert guest.ssh("cat /home/cirros/stamp").stdout.strip() == stamp
    assert guest.serial.read_text(errors="replace").count("Linux version") == 2

    # the driver's soft stop: the ACPI power button over QMP
    guest.qmp_command(("system_powerdown", {}))
    assert guest.qemu.wait(60) == 0
    assert "power button pressed" in guest.serial.read_text(errors="replace")


@pytest.mark.parametrize("guest", ["config-drive"], indirect=True)
def test_guest_reads_a_config_drive(guest: Guest) -> None:
    """No metadata server: hostname, key and user_data come from the config-2 ISO (IDE CD-ROM, as nova)."""
    guest.wait_ssh(90)
    assert guest.ssh("hostname").stdout.strip() == "vm-cd"
    assert guest.eventually(f"cat {USER_DATA_FILE}") == "config-drive"
    assert "from config-drive" in guest.serial.read_text(errors="replace")
    # Tempest's config drive check, as user cirros then with sudo
    found = guest.ssh("blkid | grep -i config-2")
    assert found.returncode == 0 and found.stdout.startswith("/dev/sr0:"), (found.stdout, found.stderr)
    meta = guest.ssh("sudo mount /dev/sr0 /mnt && sudo cat /mnt/openstack/latest/meta_data.json && sudo umount /mnt")
    assert json.loads(meta.stdout)["hostname"] == "vm-cd"
