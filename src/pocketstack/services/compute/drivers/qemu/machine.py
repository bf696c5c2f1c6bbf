"""One guest as files and a process: its directory under <data_dir>/compute/qemu/<server id>/ (overlay,
pidfile, QMP sockets, serial log), the QEMU command line built from what the server is now (flavor, disks,
ports, volumes), and the daemonized process started inside the dataplane's integration namespace so that
every NIC is a tap there (`-netdev tap`, never user-mode networking). QEMU outlives pocketstack; the
pidfile and the QMP socket are how the next start finds it again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pocketstack.services.compute.drivers.qemu import qmp

BINARY = "qemu-system-x86_64"
DEV = 11                  # the port-id characters in a device name: nova's and neutron's "tap" + id[:11]
# TCG translation cache (QEMU 7 defaults to 1 GiB, most of an idle guest RSS); 128 MiB boots as fast here
TB_SIZE_MB = 128
PRODUCT = ("OpenStack Foundation", "OpenStack Nova", "Virtual Machine")  # nova's libvirt sysinfo


def tap(port_id: str) -> str:
    """quirk: nova (nova.network.model.VIF devname) and neutron name a port's device the same way, each on
    its own; the dataplane finds the guest's NIC by this name."""
    return "tap" + port_id[:DEV]


@dataclass
class Disk:
    path: Path | str                   # a file, or QEMU's rbd:pool/image:... URL (an RBD volume)
    fmt: str                           # qcow2 or raw
    node: str                          # drive id (and the device's id with a "dev-" prefix)
    serial: str | None = None          # virtio-blk serial: the volume id (nova's, so /dev/disk/by-id works)
    readonly: bool = False
    media: str = "disk"                # disk or cdrom
    shareable: bool = False            # a multiattach volume: share-rw=on, no exclusive write lock


@dataclass
class Nic:
    port_id: str
    mac: str


@dataclass
class Spec:
    """What one QEMU process runs."""
    server_id: str
    name: str                          # the instance name (instance-0000000a)
    memory_mb: int
    vcpus: int
    disks: list[Disk] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)
    incoming: Path | None = None       # resume: the saved state to load
    paused: bool = False               # -S: start with the CPUs stopped (the build waits for its ports)


# quirk: a unix socket's path has to fit in 108 bytes (sun_path), which a data dir under a long path does
# not leave room for; the sockets live under this short runtime dir instead (they go with a reboot, as the
# guests do), the files that must last (disks, pidfile, serial log) in the data dir
RUN_ROOT = Path("/run/pocketstack/qemu")


class Guest:
    def __init__(self, root: Path, server_id: str) -> None:
        self.dir = root / server_id
        self.run = RUN_ROOT / server_id
        self.server_id = server_id

    disk = property(lambda self: self.dir / "disk")
    pidfile = property(lambda self: self.dir / "pid")
    qmp_sock = property(lambda self: self.run / "qmp.sock")
    status_sock = property(lambda self: self.run / "status.sock")    # the power-state sync's own monitor
    serial_sock = property(lambda self: self.run / "serial.sock")
    vnc_sock = property(lambda self: self.run / "vnc.sock")
    console_log = property(lambda self: self.dir / "console.log")
    state_file = property(lambda self: self.dir / "state")          # suspend: the saved machine state
    rescue_disk = property(lambda self: self.dir / "disk.rescue")
    resize_backup = property(lambda self: self.dir / "disk.resize-backup")

    # --- the process -----------------------------------------------------------------
    def pid(self) -> int | None:
        """The QEMU process of this server, if it runs (the pid is checked against its command line, so a
        reused pid is never taken for the guest)."""
        try:
            pid = int(self.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        if f"\0-uuid\0{self.server_id}\0".encode() not in b"\0" + cmdline:
            return None
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return None
        except (OSError, IndexError):
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def status(self, sock: Path | None = None) -> str | None:
        """QMP query-status: running, paused, shutdown, inmigrate, ... (None: no process)."""
        if not self.running():
            return None
        try:
            return str(qmp.call(sock or self.qmp_sock, "query-status", timeout=5)["status"])
        except qmp.QmpError:
            return "running" if self.running() else None

    def command(self, spec: Spec, accel: str, version: str) -> list[str]:
        manufacturer, product, family = PRODUCT
        cmd = [BINARY, "-name", f"guest={spec.name},debug-threads=on", "-uuid", spec.server_id,
               "-machine", "pc", "-accel", "kvm" if accel == "kvm" else f"tcg,tb-size={TB_SIZE_MB}",
               "-cpu", "host" if accel == "kvm" else "qemu64",
               "-m", str(spec.memory_mb), "-smp", str(spec.vcpus),
               "-smbios", f"type=1,manufacturer={manufacturer},product={product},version={version},"
                          f"serial={spec.server_id},uuid={spec.server_id},family={family}",
               "-nodefaults", "-no-user-config", "-rtc", "base=utc", "-display", "none", "-vga", "std",
               "-vnc", f"unix:{self.vnc_sock}",
               "-chardev", f"socket,id=serial0,path={self.serial_sock},server=on,wait=off,"
                           f"logfile={self.console_log},logappend=on",
               "-device", "isa-serial,chardev=serial0",
               "-qmp", f"unix:{self.qmp_sock},server=on,wait=off",
               "-qmp", f"unix:{self.status_sock},server=on,wait=off",
               "-device", "virtio-balloon-pci,id=balloon0",
               "-daemonize", "-pidfile", str(self.pidfile)]
        for boot, disk in enumerate(spec.disks):
            ro = ",readonly=on" if disk.readonly else ""
            cmd += ["-drive", f"file={disk.path},format={disk.fmt},if=none,id={disk.node},"
                              f"{'media=cdrom,' if disk.media == 'cdrom' else ''}discard=unmap{ro}"]
            if disk.media == "cdrom":
                cmd += ["-device", f"ide-cd,drive={disk.node},id=dev-{disk.node}"]
                continue
            serial = f",serial={disk.serial[:20]}" if disk.serial else ""
            cmd += ["-device", f"virtio-blk-pci,drive={disk.node},id=dev-{disk.node}{serial}"
                               f"{',share-rw=on' if disk.shareable else ''}{',bootindex=1' if boot == 0 else ''}"]
        for nic in spec.nics:
            cmd += ["-netdev", f"tap,id=net-{nic.port_id[:DEV]},ifname={tap(nic.port_id)},script=no,downscript=no",
                    "-device", f"virtio-net-pci,netdev=net-{nic.port_id[:DEV]},id=nic-{nic.port_id[:DEV]},"
                               f"mac={nic.mac}"]
        if spec.paused:
            cmd.append("-S")
        if spec.incoming is not None:
            cmd += ["-incoming", f"exec:cat {spec.incoming}"]
        return cmd

    def launch(self, spec: Spec, accel: str, version: str, netns: str) -> int:
        """Start QEMU daemonized inside `netns`; returns its pid. QEMU's own error is raised as is."""
        self.run.mkdir(parents=True, exist_ok=True)
        for sock in (self.qmp_sock, self.status_sock, self.serial_sock, self.vnc_sock):
            sock.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)
        cmd = ["ip", "netns", "exec", netns, *self.command(spec, accel, version)]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                              start_new_session=True)
        if proc.returncode != 0:
            raise RuntimeError(f"qemu did not start: {proc.stderr.strip()[-1000:]}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid is not None and self.qmp_sock.exists():
                return pid
            time.sleep(0.05)
        raise RuntimeError(f"qemu started but {self.pidfile} names no running guest")

    def wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return True
            time.sleep(0.1)
        return not self.running()

    def kill(self, grace: float = 5.0) -> None:
        """QMP quit, then SIGKILL by pidfile when it is still there after `grace` seconds."""
        pid = self.pid()
        if pid is None:
            return
        try:
            qmp.call(self.qmp_sock, "quit", timeout=3)
        except qmp.QmpError:
            pass
        if not self.wait_gone(grace) and (pid := self.pid()) is not None:
            os.kill(pid, signal.SIGKILL)
            self.wait_gone(5)

    def powerdown(self, timeout: float) -> bool:
        """ACPI power button; True when the guest shut down within `timeout` seconds."""
        try:
            qmp.call(self.qmp_sock, "system_powerdown", timeout=3)
        except qmp.QmpError:
            return not self.running()
        return self.wait_gone(timeout)


def qemu_version(binary: str = BINARY) -> tuple[str, int]:
    """('7.2.22', 7002022): nova's versionutils.convert_version_to_int of the QEMU version."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    words = out.split()
    text = words[words.index("version") + 1] if "version" in words else "0.0.0"
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in text.split(".")[:3]] + [0, 0, 0]
    return text, parts[0] * 1000000 + parts[1] * 1000 + parts[2]


def info(path: Path, fmt: str | None = None) -> dict[str, Any]:
    import json
    cmd = ["qemu-img", "info", "--output=json", "-U"] + (["-f", fmt] if fmt else []) + [str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"qemu-img info {path}: {proc.stderr.strip()}")
    return dict(json.loads(proc.stdout))
