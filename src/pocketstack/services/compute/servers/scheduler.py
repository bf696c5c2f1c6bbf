"""Nova's scheduler filters and weigher over the compute hosts of the cloud (nova/scheduler/filters,
nova/scheduler/weights/ram.py): which hosts may take a server, and in what order Placement's allocation
candidates are tried. Hosts are core.hosts' nova-compute rows: up (a heartbeat within
service_down_time) and enabled (ComputeFilter); in the requested availability zone, or the forced
`zone:host` (AvailabilityZoneFilter, an admin's forced host); together with or apart from the server's
group (ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter with max_server_per_host); then the most
free RAM first (RAMWeigher's default spreading)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, hosts
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t


def forced_host(server: dict[str, Any]) -> str | None:
    """The host of an admin's `availability_zone: "zone:host"` (None: the scheduler chooses)."""
    parts = (server.get("requested_az") or "").split(":")
    return parts[1] or None if len(parts) > 1 else None


def candidate_hosts(server: dict[str, Any], *, exclude: str | None = None, host: str | None = None,
                    move: bool = False) -> set[str]:
    """The compute hosts that pass the filters for `server` (`host`: only that one, a move's requested
    destination; `exclude`: never that one, the source of a move). A host forced at create binds the
    build only: a move forgets it (nova's reset_forced_destinations)."""
    up = hosts.up_hosts("nova-compute")
    with db.reader() as conn:
        zones = common.host_zones(conn)
        group = conn.execute(sa.select(t.server_groups).join(
            t.server_group_members, t.server_group_members.c.group_id == t.server_groups.c.id).where(
            t.server_group_members.c.server_id == server["id"])).mappings().first()
        members: dict[str, int] = {}
        if group is not None:
            for member_host, in conn.execute(sa.select(t.servers.c.host).join(
                    t.server_group_members, t.server_group_members.c.server_id == t.servers.c.id).where(
                    t.server_group_members.c.group_id == group["id"], t.servers.c.deleted.is_(False),
                    t.servers.c.id != server["id"], t.servers.c.host.isnot(None))).all():
                members[member_host] = members.get(member_host, 0) + 1
    # no zone asked: any host (nova's default_schedule_zone None); nova: any host too, as the one host
    # of a cloud before hosts was always shown in nova as well as in its aggregates' zones
    zone = (server.get("requested_az") or "").split(":")[0] or None
    wanted = host or (None if move else forced_host(server))
    out = set()
    for name in up:
        if name == exclude or (wanted and name != wanted):
            continue
        if zone not in (None, common.DEFAULT_AZ) and zone not in zones.get(name, ()):
            continue
        if group is not None and group["policy"] == "affinity" and members and name not in members:
            continue
        if group is not None and group["policy"] == "anti-affinity" and \
                members.get(name, 0) >= int((group["rules"] or {}).get("max_server_per_host", 1)):
            continue
        out.add(name)
    return out


def order(candidates: list[dict[str, Any]], summaries: dict[str, Any], allowed: set[str]) -> list[tuple[str, Any]]:
    """(host, allocation request) of the candidates on allowed hosts, most free RAM first."""
    by_rp = {common.hypervisor_id(h): h for h in allowed}
    chosen = []
    for candidate in candidates:
        rps = list(candidate["allocations"])
        host = next((by_rp[rp] for rp in rps if rp in by_rp), None)
        if host is None:
            continue
        ram = (summaries.get(common.hypervisor_id(host)) or {}).get("resources", {}).get("MEMORY_MB", {})
        chosen.append((-(ram.get("capacity", 0) - ram.get("used", 0)), host, candidate))
    chosen.sort(key=lambda c: (c[0], c[1]))
    return [(host, candidate) for _, host, candidate in chosen]
