"""Power-state sync (nova's ComputeManager._sync_power_states and its lifecycle-event handling): what the
hypervisor says of each guest is written to the database, and a guest that stopped on its own takes its
server to SHUTOFF, as nova calls the stop API when a guest shut down by itself. Servers with an action in
progress are left alone, and a decision is taken only when the server's row did not change while the
driver was asked (so a start or stop that finishes meanwhile is never undone)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute import tables as t

LOG = logging.getLogger("pocketstack.compute.power_sync")
SYNCED = ("active", "stopped", "paused", "suspended", "rescued", "resized")
DOWN = (common.NOSTATE, common.SHUTDOWN, common.CRASHED)


def _rows() -> dict[str, dict[str, Any]]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(t.servers).where(
            t.servers.c.deleted.is_(False), t.servers.c.host == common.HOST,
            t.servers.c.vm_state.in_(SYNCED))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


def sync_once() -> int:
    """One pass; returns how many servers changed."""
    before = {k: r for k, r in _rows().items() if r["task_state"] is None}
    states = drivers.current().power_states(list(before.values()))
    after = _rows()
    changed = 0
    for server_id, row in before.items():
        now = after.get(server_id)
        if now is None or (now["vm_state"], now["task_state"], now["updated_at"]) != \
                (row["vm_state"], row["task_state"], row["updated_at"]):
            continue                                   # something happened meanwhile: next pass
        power = states.get(server_id, common.NOSTATE)
        values: dict[str, Any] = {}
        if power != row["power_state"]:
            values["power_state"] = power
        if row["vm_state"] in ("active", "paused", "rescued", "resized") and power in DOWN:
            LOG.warning("server %s: the guest is gone (power state %s): stopping it, as nova does when an "
                        "instance shut down by itself", server_id, power)
            values.update(vm_state="stopped", power_state=common.SHUTDOWN)
        elif row["vm_state"] == "stopped" and power == common.RUNNING:
            LOG.warning("server %s is stopped but its guest runs: powering it off", server_id)
            drivers.current().power_off(row)
            values["power_state"] = common.SHUTDOWN
        if values:
            with db.session() as conn:
                common.set_server(conn, server_id, **values)
            changed += 1
    return changed


def loop(interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            sync_once()
        except Exception:  # noqa: BLE001 - the next pass retries
            LOG.exception("power-state sync failed")


def start(settings: Any) -> None:
    """Only a driver with real guests needs it (the fake driver's guests are what the database says). The
    interval is short by default since the QEMU driver has no libvirt lifecycle events to wait for."""
    if drivers.current().name == "fake":
        return
    interval = float((settings.option("compute.sync_power_state_interval", 5) if settings else 5) or 5)
    threading.Thread(target=loop, args=(interval,), name="power-sync", daemon=True).start()
