"""The QEMU compute driver (`pocketstack serve --dataplane linux --compute-driver qemu`): real guests as
daemonized QEMU processes on the Linux dataplane's bridges. `requirements_error` says in one line why this
machine cannot run it."""

from __future__ import annotations

import os
import shutil
from typing import Any

from pocketstack.services.compute.drivers.qemu.driver import QemuDriver


def requirements_error(settings: Any) -> str | None:
    if os.geteuid() != 0:
        return "--compute-driver qemu needs root (QEMU's taps live in the dataplane's namespaces)"
    dataplane = str((settings.option("network.dataplane", "none") if settings is not None else None) or "none")
    if dataplane != "linux":
        return "--compute-driver qemu needs --dataplane linux (a guest's NICs are taps on its bridges)"
    missing = [b for b in ("qemu-system-x86_64", "qemu-img") if not shutil.which(b)]
    if missing:
        return f"--compute-driver qemu needs {' and '.join(missing)} on PATH (Debian: qemu-system-x86 qemu-utils)"
    return None


__all__ = ["QemuDriver", "requirements_error"]
