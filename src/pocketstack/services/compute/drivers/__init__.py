"""Compute drivers: `fake` (the default: a simulated host) and `qemu` (real guests; needs root and
`--dataplane linux`), chosen by `compute: {driver: ...}` in the config file or `pocketstack serve
--compute-driver`."""

from __future__ import annotations

from typing import Any

from pocketstack.services.compute.drivers.base import (
    ComputeDriver, ConsoleTypeInvalid, ConsoleTypeUnavailable, HostResources)
from pocketstack.services.compute.drivers.fake import FakeDriver

NAMES = ("fake", "qemu")
_current: ComputeDriver = FakeDriver()


def requirements_error(name: str, settings: Any = None) -> str | None:
    """One line when the driver cannot run here (checked by `serve` before anything starts)."""
    if name == "fake":
        return None
    if name == "qemu":
        from pocketstack.services.compute.drivers import qemu
        return qemu.requirements_error(settings)
    return f"unknown compute driver {name!r}: choose one of {', '.join(NAMES)}"


def name_in(settings: Any) -> str:
    return str((settings.option("compute.driver", "fake") if settings is not None else None) or "fake")


def configure(settings: Any) -> ComputeDriver:
    global _current
    name = name_in(settings)
    if error := requirements_error(name, settings):
        raise RuntimeError(error)
    options = (settings.option("compute") if settings is not None else None) or {}
    if name == "qemu":
        from pocketstack.services.compute.drivers.qemu import QemuDriver
        cloud = str(settings.option("network.cloud_name", "pocket") or "pocket")
        _current = QemuDriver(options, settings.data_dir, cloud, settings.host)
    else:
        _current = FakeDriver(options)
    return _current


def current() -> ComputeDriver:
    return _current


__all__ = ["ComputeDriver", "ConsoleTypeInvalid", "ConsoleTypeUnavailable", "HostResources", "configure", "current",
           "requirements_error"]
