"""The host as the QEMU driver reports it: the real machine's CPUs, memory and the disk holding the guests
(nova's libvirt get_available_resource), and the accelerator the probe chose."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path
from typing import Any

from pocketstack.services.compute.drivers.base import HostResources


def meminfo_mb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_info(accel: str) -> dict[str, Any]:
    """nova's libvirt cpu_info (arch, model, vendor, topology, features), plus the accelerator guests get:
    `hypervisor_type` is QEMU for KVM and TCG alike, as libvirt reports it."""
    fields: dict[str, str] = {}
    sockets: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "physical id":
                sockets.add(value.strip())
            fields.setdefault(key, value.strip())
    except OSError:
        pass
    cpus = os.cpu_count() or 1
    cores = int(fields.get("cpu cores", cpus) or cpus)
    n_sockets = max(len(sockets), 1)
    threads = max(cpus // max(cores * n_sockets, 1), 1)
    return {"arch": platform.machine(), "model": fields.get("model name", "unknown"),
            "vendor": fields.get("vendor_id", "unknown"),
            "topology": {"sockets": n_sockets, "cores": cores, "threads": threads},
            "features": sorted(fields.get("flags", "").split()), "accel": accel,
            "guest_cpu_model": "host" if accel == "kvm" else "qemu64"}


def resources(root: Path, version: int, accel: str) -> HostResources:
    disk = shutil.disk_usage(root)
    return HostResources(vcpus=os.cpu_count() or 1, memory_mb=meminfo_mb(), local_gb=disk.total // 1024 ** 3,
                         hypervisor_type="QEMU", hypervisor_version=version, cpu_info=cpu_info(accel))
