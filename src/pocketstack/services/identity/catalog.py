"""The service catalog as tokens and /v3/auth/catalog show it (api-ref: identity, Get service catalog)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.identity.tables import (
    endpoint_groups, endpoints, project_endpoint_groups, project_endpoints, services)

_SUBST = re.compile(r"\$\((\w+)\)s")


def _format_url(url: str, values: dict[str, str | None]) -> str | None:
    """Keystone's $(project_id)s / $(tenant_id)s substitution; None when a value is missing."""
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(m.group(1))
        if value is None:
            missing = True
            return ""
        return value

    out = _SUBST.sub(sub, url)
    return None if missing else out


def group_endpoint_ids(conn: Connection, filters: dict[str, Any]) -> list[str]:
    """The endpoints an endpoint group's filters select (enabled or not, as keystone does)."""
    stmt = sa.select(endpoints.c.id)
    for key, value in (filters or {}).items():
        if key in endpoints.c:
            stmt = stmt.where(endpoints.c[key] == value)
    return list(conn.execute(stmt).scalars())


def project_endpoint_ids(conn: Connection, project_id: str) -> set[str]:
    """OS-EP-FILTER: the endpoints a project is given, directly or through endpoint groups."""
    ids = set(conn.execute(sa.select(project_endpoints.c.endpoint_id)
                           .where(project_endpoints.c.project_id == project_id)).scalars())
    for filters in conn.execute(sa.select(endpoint_groups.c.filters).select_from(
            endpoint_groups.join(project_endpoint_groups,
                                 project_endpoint_groups.c.endpoint_group_id == endpoint_groups.c.id))
            .where(project_endpoint_groups.c.project_id == project_id)).scalars():
        ids.update(group_endpoint_ids(conn, filters))
    return ids


def build_catalog(conn: Connection, *, project_id: str | None, user_id: str | None) -> list[dict[str, Any]]:
    values = {"project_id": project_id, "tenant_id": project_id, "user_id": user_id}
    rows = conn.execute(
        sa.select(services.c.id.label("service_id"), services.c.type, services.c.extra.label("service_extra"),
                  endpoints.c.id, endpoints.c.interface, endpoints.c.url, endpoints.c.region_id)
        .select_from(services.outerjoin(endpoints, sa.and_(endpoints.c.service_id == services.c.id,
                                                           endpoints.c.enabled.is_(True))))
        .where(services.c.enabled.is_(True))
        .order_by(services.c.type, services.c.id, endpoints.c.interface)).mappings()
    catalog: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = catalog.setdefault(r["service_id"], {
            "endpoints": [], "id": r["service_id"], "type": r["type"],
            "name": (r["service_extra"] or {}).get("name", "")})
        if r["id"] is None:
            continue
        url = _format_url(r["url"], values)
        if url is None:
            continue
        entry["endpoints"].append({"id": r["id"], "interface": r["interface"], "region_id": r["region_id"],
                                   "url": url, "region": r["region_id"]})
    allowed = project_endpoint_ids(conn, project_id) if project_id else set()
    if allowed:  # endpoint filtering applies: only those endpoints, and no service left empty
        for entry in catalog.values():
            entry["endpoints"] = [e for e in entry["endpoints"] if e["id"] in allowed]
        return [entry for entry in catalog.values() if entry["endpoints"]]
    return list(catalog.values())
