"""Capacity in SQL: which providers can take an amount of a resource class (placement's
research_context / get_providers_with_resource), and the usages that feed it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.placement import tables as t


def usage_subquery() -> Any:
    a = t.allocations
    return (sa.select(a.c.resource_provider_id.label("rp_id"), a.c.resource_class_id.label("rc_id"),
                      sa.func.sum(a.c.used).label("used"))
            .group_by(a.c.resource_provider_id, a.c.resource_class_id).subquery())


def providers_with(conn: Connection, rc_id: int, amount: int, within: Iterable[int] | None = None,
                   check_units: bool = True) -> dict[int, dict[str, Any]]:
    """Providers with inventory of the class that fits `amount` now: {rp_id: inventory and usage}."""
    inv, usage = t.inventories, usage_subquery()
    used = sa.func.coalesce(usage.c.used, 0)
    stmt = (sa.select(inv.c.resource_provider_id, inv.c.total, inv.c.reserved, inv.c.allocation_ratio,
                      inv.c.min_unit, inv.c.max_unit, inv.c.step_size, used.label("used"))
            .select_from(inv.outerjoin(usage, sa.and_(usage.c.rp_id == inv.c.resource_provider_id,
                                                      usage.c.rc_id == inv.c.resource_class_id)))
            .where(inv.c.resource_class_id == rc_id,
                   (inv.c.total - inv.c.reserved) * inv.c.allocation_ratio >= used + amount))
    if check_units:
        stmt = stmt.where(inv.c.min_unit <= amount, inv.c.max_unit >= amount,
                          sa.literal(amount) % inv.c.step_size == 0)
    if within is not None:
        stmt = stmt.where(inv.c.resource_provider_id.in_(list(within)))
    return {r.resource_provider_id: r._asdict() for r in conn.execute(stmt)}


def capacity(row: Any) -> int:
    return int((row["total"] - row["reserved"]) * row["allocation_ratio"])


def usages_of(conn: Connection, rp_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{rp_id: {rc_id: used}} for the providers, in one query."""
    ids = list(rp_ids)
    out: dict[int, dict[int, int]] = {i: {} for i in ids}
    if not ids:
        return out
    a = t.allocations
    for rp_id, rc_id, used in conn.execute(
            sa.select(a.c.resource_provider_id, a.c.resource_class_id, sa.func.sum(a.c.used))
            .where(a.c.resource_provider_id.in_(ids)).group_by(a.c.resource_provider_id, a.c.resource_class_id)):
        out[rp_id][rc_id] = int(used)
    return out


def inventories_of(conn: Connection, rp_ids: Iterable[int]) -> dict[int, dict[int, dict[str, Any]]]:
    ids = list(rp_ids)
    out: dict[int, dict[int, dict[str, Any]]] = {i: {} for i in ids}
    if not ids:
        return out
    for r in conn.execute(sa.select(t.inventories).where(t.inventories.c.resource_provider_id.in_(ids))).mappings():
        out[r["resource_provider_id"]][r["resource_class_id"]] = dict(r)
    return out


def traits_of(conn: Connection, rp_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = list(rp_ids)
    out: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return out
    pt = t.provider_traits
    for rp_id, name in conn.execute(sa.select(pt.c.resource_provider_id, t.traits.c.name).join(
            t.traits, t.traits.c.id == pt.c.trait_id).where(pt.c.resource_provider_id.in_(ids))):
        out[rp_id].add(name)
    return out


def aggregates_of(conn: Connection, rp_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = list(rp_ids)
    out: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return out
    pa = t.provider_aggregates
    for rp_id, agg in conn.execute(sa.select(pa.c.resource_provider_id, pa.c.aggregate_uuid).where(
            pa.c.resource_provider_id.in_(ids))):
        out[rp_id].add(agg)
    return out
