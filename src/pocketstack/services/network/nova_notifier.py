"""Neutron's nova notifier: port and floating IP changes that concern a server, sent to compute as server
external events through compute's REST API (neutron/notifiers/nova.py, api-ref: compute, Create external events).

Upstream queues the events and sends them in batches every `send_events_interval` seconds; here they go out
right after the change commits, so a client sees the server's new `addresses` as soon as neutron answers.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import internal_client
from pocketstack.core.context import Context
from pocketstack.services.network import tables as t

LOG = logging.getLogger(__name__)
EVENTS = "/compute/v2.1/os-server-external-events"
NETWORK_CHANGED = "network-changed"
VIF_DELETED = "network-vif-deleted"
COMPUTE_PREFIX = "compute:"


def is_compute_port(port: Any) -> bool:
    """A port nova plugged into a server (neutron's _is_compute_port)."""
    if not port or not port["device_id"] or not str(port["device_owner"] or "").startswith(COMPUTE_PREFIX):
        return False
    try:
        uuid.UUID(port["device_id"])
    except ValueError:
        return False
    return True


def port_event(port: Any, name: str = NETWORK_CHANGED) -> dict[str, str] | None:
    return {"name": name, "server_uuid": port["device_id"], "tag": port["id"]} if is_compute_port(port) else None


def floatingip_events(conn: Connection, *port_ids: str | None) -> list[dict[str, str]]:
    """network-changed for each server port a floating IP left or joined (the original port first, as neutron
    sends one for the original instance when a floating IP moves without being disassociated first)."""
    out: list[dict[str, str]] = []
    for port_id in dict.fromkeys(p for p in port_ids if p):
        port = conn.execute(sa.select(t.ports.c.id, t.ports.c.device_id, t.ports.c.device_owner).where(
            t.ports.c.id == port_id)).mappings().first()
        event = port_event(port)
        if event:
            out.append(event)
    return out


def _token(ctx: Context) -> str | None:
    """The credentials neutron's [nova] section names: the network service user's token where the cloud has
    service users; otherwise the caller's (compute takes events from a service or an admin only, so then a
    member's change reaches nova's cache through nova's own refresh alone: addFloatingIp, interface attach)."""
    try:
        from pocketstack.core import service_auth  # type: ignore[attr-defined,unused-ignore]
        return str(service_auth.token("network"))
    except Exception:  # noqa: BLE001 - no service identity (yet): fall back to the caller
        return ctx.token


def send(ctx: Context, events: list[dict[str, str]]) -> None:
    """POST the events; never fails the neutron call that caused them (upstream logs and goes on)."""
    if not events:
        return
    try:
        r = internal_client.call("POST", EVENTS, token=_token(ctx), json={"events": events})
    except Exception:  # noqa: BLE001 - a failed notification must not fail the user's request
        LOG.exception("Failed to notify nova on events: %s", events)
        return
    if r.status_code not in (200, 207):
        LOG.info("Nova returned %s for events %s", r.status_code, events)
