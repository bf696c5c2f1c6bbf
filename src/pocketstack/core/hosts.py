"""The hosts of one cloud: each `pocketstack serve` process is a host, named by `--host-name` (config
`host_name`; "pocketstack" when not given), and several hosts share one PostgreSQL database.

Each service registers the binaries it runs on this host (nova-compute, cinder-volume, ...) with
`register(binary, host, zone)`; a heartbeat thread in every process stamps `last_seen_up` of its host's
rows every `hosts.report_interval` seconds, and a row is up while its stamp is younger than
`hosts.service_down_time` (nova's and cinder's report_interval and service_down_time), so a host that
stops is shown down after that time. A service's API lists the rows (os-services, hypervisors)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid

LOG = logging.getLogger("pocketstack.hosts")
DEFAULT_NAME = "pocketstack"            # a single-host cloud's name, as it always was

services = sa.Table(
    "host_services", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),   # the legacy integer id (< 2.53)
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("owner", sa.String(255), nullable=False, index=True),     # the pocketstack host that runs it
    sa.Column("host", sa.String(255), nullable=False),                  # as the service shows it (HOST@backend)
    sa.Column("binary", sa.String(64), nullable=False),
    sa.Column("zone", sa.String(255), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled_reason", sa.String(255)),
    sa.Column("forced_down", sa.Boolean, nullable=False, default=False),
    sa.Column("report_count", sa.Integer, nullable=False, default=0),
    sa.Column("last_seen_up", sa.DateTime),
    *db.timestamps(),
    sa.UniqueConstraint("host", "binary", name="uq_host_services_host_binary"),
)

NAME = DEFAULT_NAME                     # this process's host name (configure)
MACHINE = socket.gethostname()          # the machine it runs on (process ids mean something only there)
REPORT_INTERVAL = 10.0
SERVICE_DOWN_TIME = 60.0
_stop = threading.Event()
_thread: threading.Thread | None = None


def configure(settings: Any) -> None:
    """This process's host name and heartbeat timing, from the settings (every start, every worker)."""
    global NAME, REPORT_INTERVAL, SERVICE_DOWN_TIME
    NAME = (getattr(settings, "host_name", None) or DEFAULT_NAME) if settings is not None else DEFAULT_NAME
    option = settings.option if settings is not None else (lambda _k, d=None: d)
    REPORT_INTERVAL = float(option("hosts.report_interval", 10) or 10)
    SERVICE_DOWN_TIME = float(option("hosts.service_down_time", 60) or 60)


def register(binary: str, host: str | None = None, zone: str = "nova") -> str:
    """This host runs `binary` (shown as on `host`, default this host's name): its row, stamped now.
    Returns the row's uuid; a row that exists keeps its id, uuid and disabled state."""
    host = host or NAME
    now = utcnow()
    with db.session() as conn:
        row = conn.execute(sa.select(services.c.uuid).where(services.c.host == host,
                                                            services.c.binary == binary)).first()
        if row is not None:
            conn.execute(services.update().where(services.c.uuid == row.uuid).values(
                owner=NAME, zone=zone, last_seen_up=now, updated_at=now))
            return str(row.uuid)
        uuid = new_uuid()
        conn.execute(services.insert().values(uuid=uuid, owner=NAME, host=host, binary=binary, zone=zone,
                                              disabled=False, forced_down=False, report_count=0,
                                              last_seen_up=now, created_at=now))
        return uuid


def beat() -> int:
    """One heartbeat of this host's services; returns how many rows it stamped."""
    now = utcnow()
    with db.session() as conn:
        done = conn.execute(services.update().where(services.c.owner == NAME).values(   # updated_at: admin changes
            last_seen_up=now, report_count=services.c.report_count + 1, updated_at=services.c.updated_at))
    return done.rowcount


def start_heartbeat() -> None:
    """The heartbeat thread of this process (one per process; `stop_heartbeat` ends it)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    _stop.clear()

    def loop() -> None:
        while not _stop.wait(REPORT_INTERVAL):
            try:
                beat()
            except Exception:  # noqa: BLE001 - a missed beat is retried; service_down_time has slack
                LOG.exception("the heartbeat of host %s failed", NAME)
    _thread = threading.Thread(target=loop, name="host-heartbeat", daemon=True)
    _thread.start()


def stop_heartbeat() -> None:
    _stop.set()


def is_up(row: Any) -> bool:
    """nova's servicegroup db driver: up while the last heartbeat is younger than service_down_time
    and the service is not forced down."""
    if row["forced_down"] or row["last_seen_up"] is None:
        return False
    return utcnow() - row["last_seen_up"] <= dt.timedelta(seconds=SERVICE_DOWN_TIME)


def rows(binary: str | None = None, host: str | None = None) -> list[dict[str, Any]]:
    stmt = sa.select(services).order_by(services.c.id)
    if binary is not None:
        stmt = stmt.where(services.c.binary == binary)
    if host is not None:
        stmt = stmt.where(services.c.host == host)
    with db.reader() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def up_hosts(binary: str) -> set[str]:
    """The hosts whose `binary` is up and enabled (where the scheduler may send work)."""
    return {r["host"] for r in rows(binary) if is_up(r) and not r["disabled"]}


def host_up(binary: str, host: str | None) -> bool:
    """Whether `host` runs `binary` and its heartbeat is recent."""
    return host is not None and any(is_up(r) for r in rows(binary, host))
