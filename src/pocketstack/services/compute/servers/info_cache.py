"""Nova's instance network info cache: the server's ports as the network service last described them, refreshed
from its REST API (nova/network/neutron.py get_instance_nw_info and the refresh_cache decorator;
nova/compute/manager.py external_instance_event for network-changed and network-vif-deleted)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import network_api


def refresh(token: Auth | None, server_id: str, port_id: str | None = None) -> None:
    """Re-read the server's ports (or only `port_id`) and their floating IPs. A port the network service no longer
    shows as plugged into the server leaves the cache, as nova's rebuild of the cache lists ports by device_id."""
    with db.reader() as conn:
        cached = [dict(r) for r in conn.execute(sa.select(t.server_ports).where(
            t.server_ports.c.server_id == server_id)).mappings()]
    for row in cached:
        if port_id is not None and row["port_id"] != port_id:
            continue
        port = network_api.port(token, row["port_id"])
        if port is None:          # hidden from this token, or gone: nova waits for network-vif-deleted
            continue
        where = (t.server_ports.c.server_id == server_id, t.server_ports.c.port_id == row["port_id"])
        with db.session() as conn:
            if port.get("device_id") != server_id:
                conn.execute(t.server_ports.delete().where(*where))
            else:
                described = network_api.describe(token, port)
                described.pop("port_id")
                conn.execute(t.server_ports.update().where(*where).values(**described))


def forget(server_id: str, port_id: str) -> None:
    """network-vif-deleted: the port is gone from the server."""
    with db.session() as conn:
        conn.execute(t.server_ports.delete().where(t.server_ports.c.server_id == server_id,
                                                   t.server_ports.c.port_id == port_id))


def server_of_port(port_id: str) -> str | None:
    with db.reader() as conn:
        return conn.execute(sa.select(t.server_ports.c.server_id).where(
            t.server_ports.c.port_id == port_id)).scalar()


def refresh_all(token: Auth | None, server_ids: Any) -> None:
    for server_id in dict.fromkeys(s for s in server_ids if s):
        refresh(token, server_id)
