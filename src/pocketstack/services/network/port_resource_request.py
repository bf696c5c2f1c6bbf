"""A port's `resource_request` (api-ref: network, Ports; port-resource-request): what Placement must give
the port's host for the minimum-bandwidth rules of its QoS policy (the port's own, else its network's), in
the form neutron's QoS plugin writes without port-resource-request-groups: the physnet trait of the
network's first segment and the vnic_type trait required, one NET_BW_*_KILOBIT_PER_SEC amount per
direction. None without such rules or without a physical network (neutron's _get_traits)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.network import tables as t

RESOURCE_CLASS = {"ingress": "NET_BW_IGR_KILOBIT_PER_SEC", "egress": "NET_BW_EGR_KILOBIT_PER_SEC"}


def trait(prefix: str, name: str) -> str:
    """os_traits.normalize_name: CUSTOM_ + the name, runs of other characters as one underscore, upper case."""
    return "CUSTOM_" + re.sub("[^0-9A-Za-z]+", "_", prefix + name).upper()


def resource_requests(conn: Connection, rows: list[Any]) -> dict[str, dict[str, Any] | None]:
    """port id -> its resource_request, for port rows."""
    out: dict[str, dict[str, Any] | None] = {r["id"]: None for r in rows}
    b = t.qos_bindings
    network_ids = {r["network_id"] for r in rows}
    bound = dict(conn.execute(sa.select(b.c.resource_id, b.c.policy_id).where(
        b.c.resource_id.in_([*out, *network_ids]))).all())
    policy_of = {r["id"]: bound.get(r["id"]) or bound.get(r["network_id"]) for r in rows}
    wanted = {p for p in policy_of.values() if p}
    if not wanted:
        return out
    q = t.qos_rules
    amounts: dict[str, dict[str, int]] = {}
    for policy_id, direction, min_kbps in conn.execute(sa.select(q.c.policy_id, q.c.direction, q.c.min_kbps).where(
            q.c.policy_id.in_(wanted), q.c.type == "minimum_bandwidth")):
        amounts.setdefault(policy_id, {})[RESOURCE_CLASS[direction or "egress"]] = min_kbps
    physnets = dict(conn.execute(sa.select(t.networks.c.id, t.networks.c.physical_network).where(
        t.networks.c.id.in_(network_ids))).all())
    for r in rows:
        resources = amounts.get(policy_of[r["id"]] or "")
        physnet = physnets.get(r["network_id"])
        if resources and physnet:
            out[r["id"]] = {"required": [trait("PHYSNET_", physnet), trait("VNIC_TYPE_", r["binding_vnic_type"])],
                            "resources": dict(resources)}
    return out
