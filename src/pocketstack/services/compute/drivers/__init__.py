"""Compute drivers: `fake` (the default: a simulated host) and `qemu` (real guests; needs root and
`--dataplane linux`), chosen by `compute: {driver: ...}` in the config file or `pocketstack serve
--compute-driver`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, jobs
from pocketstack.services.compute import tables as t
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


# What the API asks of the host that runs a guest while the caller waits (nova-api's RPC calls to
# nova-compute): the driver method runs on that host (core.jobs.call), here when it is this one.
GUEST_CALLS = ("console_output", "remote_console", "attach_volume", "detach_volume", "swap_volume", "attach_interface",
               "detach_interface", "set_admin_password")


def on_guest_host(server: dict[str, Any], method: str, *args: Any, **kw: Any) -> Any:
    """`current().<method>(server, *args, **kw)` on the host that runs the server's guest (here, with
    the row the caller holds; another host reads it again)."""
    if jobs.here(server.get("host")):
        return getattr(_current, method)(server, *args, **kw)
    return jobs.call(server.get("host"), "compute." + method, server["id"], list(args), kw)


def _guest_call(method: str) -> Any:
    def run(server_id: str, args: list[Any], kw: dict[str, Any]) -> Any:
        from pocketstack.services.compute import common
        with db.reader() as conn:
            server = conn.execute(sa.select(t.servers).where(t.servers.c.id == server_id)).mappings().first()
        if server is None:
            raise common.server_not_found(server_id)
        return getattr(_current, method)(dict(server), *args, **kw)
    return run


def register_calls() -> None:
    for method in GUEST_CALLS:
        jobs.register_call("compute." + method, _guest_call(method))


__all__ = ["ComputeDriver", "ConsoleTypeInvalid", "ConsoleTypeUnavailable", "HostResources", "configure", "current",
           "on_guest_host", "register_calls", "requirements_error"]
