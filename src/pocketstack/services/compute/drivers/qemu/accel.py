"""Which accelerator guests get: KVM only when a probe guest really boots with it. A nested KVM guest can
hang where /dev/kvm exists (as on the machine this was written on: there SeaBIOS takes 3-4 s to reach a
boot sector under KVM, 0.1-0.2 s under TCG, and a Linux guest never finishes booting), so the device's
presence decides nothing: a 512-byte boot sector that writes `OK` to the serial port is booted with TCG and
with KVM, and KVM is chosen only when it prints OK within a deadline and no slower than TCG did (within
max(2 x TCG's time, 1 s)): a working KVM is many times faster than TCG at this. The decision is cached in the data dir, keyed by the QEMU
binary and the kernel, and `compute: {accel: kvm|tcg}` overrides it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path

LOG = logging.getLogger("pocketstack.compute.qemu")
PROBE_TIMEOUT = 8.0

# mov dx,0x3f8; mov al,'O'; out dx,al; mov al,'K'; out dx,al; mov al,10; out dx,al; cli; hlt; jmp $-1
CODE = bytes([0xBA, 0xF8, 0x03, 0xB0, 0x4F, 0xEE, 0xB0, 0x4B, 0xEE, 0xB0, 0x0A, 0xEE, 0xFA, 0xF4, 0xEB, 0xFD])


def boot_sector() -> bytes:
    return CODE + bytes(510 - len(CODE)) + b"\x55\xaa"


def boots_with(binary: str, accel: str, timeout: float = PROBE_TIMEOUT) -> float | None:
    """Boot the probe sector with `accel`: the seconds it took to print OK, None if it did not in time."""
    with tempfile.TemporaryDirectory(prefix="ps-accel-") as tmp:
        disk, out = Path(tmp) / "boot.img", Path(tmp) / "serial.log"
        disk.write_bytes(boot_sector())
        proc = subprocess.Popen([binary, "-accel", accel, "-machine", "pc", "-m", "16", "-nodefaults",
                                 "-no-user-config", "-display", "none", "-no-reboot",
                                 "-drive", f"file={disk},format=raw,if=ide", "-serial", f"file:{out}"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        try:
            while time.monotonic() < started + timeout and proc.poll() is None:
                if out.exists() and b"OK" in out.read_bytes():
                    return time.monotonic() - started
                time.sleep(0.02)
            return None
        finally:
            proc.kill()
            proc.wait()


def _key(binary: str) -> str:
    st = os.stat(binary)
    return f"{binary}:{st.st_size}:{int(st.st_mtime)}:{os.uname().release}"


def decide(binary: str, cache: Path, forced: str | None = None) -> str:
    """'kvm' or 'tcg'."""
    if forced in ("kvm", "tcg"):
        return forced
    key = _key(binary)
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key and cached.get("accel") in ("kvm", "tcg"):
            return str(cached["accel"])
    except (OSError, ValueError):
        pass
    tcg = boots_with(binary, "tcg")
    if tcg is None:
        LOG.warning("qemu: the TCG probe guest did not boot within %ss", PROBE_TIMEOUT)
    limit = max(2 * (tcg or PROBE_TIMEOUT / 2), 1.0)
    kvm = boots_with(binary, "kvm", limit) if os.path.exists("/dev/kvm") else None
    accel = "kvm" if kvm is not None else "tcg"
    LOG.info("qemu accelerator: %s (probe guest booted in %s s with TCG, %s s with KVM, KVM allowed %.1f s)",
             accel, None if tcg is None else round(tcg, 2), None if kvm is None else round(kvm, 2), limit)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "accel": accel, "tcg_seconds": tcg, "kvm_seconds": kvm,
                                 "probed_at": time.time()}))
    return accel
