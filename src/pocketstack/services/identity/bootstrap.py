"""First start: the identity a DevStack cloud has (domain, roles, projects, users, catalog)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.config import Settings
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_id
from pocketstack.services.identity import options, passwords, tokens
from pocketstack.services.identity.tables import (
    NULL_DOMAIN, ROOT_DOMAIN, SYSTEM, assignments, endpoints, implied_roles, projects, regions, roles,
    services, users)

ROLE_CHAIN = ["admin", "manager", "member", "reader"]   # each implies the next, as keystone-manage bootstrap


def _project(conn: Connection, name: str, description: str) -> str:
    pid = new_id()
    conn.execute(projects.insert().values(id=pid, name=name, domain_id="default", parent_id="default",
                                          is_domain=False, enabled=True, description=description,
                                          extra={}, options={}, created_at=utcnow()))
    return pid


def _user(conn: Connection, name: str, password_hash: str, project_id: str | None) -> str:
    uid = new_id()
    conn.execute(users.insert().values(id=uid, domain_id="default", name=name, enabled=True,
                                       default_project_id=project_id, extra={}, options={},
                                       failed_auth_count=0, created_at=utcnow()))
    conn.execute(passwords.passwords.insert().values(user_id=uid, password_hash=password_hash,
                                                     self_service=False, created_at=utcnow()))
    return uid


def run(conn: Connection, settings: Settings, passwords_by_user: dict[str, str],
        mounted: list[Any], hashed: dict[str, str] | None = None) -> dict[str, Any]:
    """Create everything; returns the ids other services' bootstraps need. `hashed`: password ->
    hash already computed (the start hashes the bootstrap password while its modules load)."""
    options.load(settings)
    tokens.ensure_keys(conn, "token")
    tokens.ensure_keys(conn, "credential")
    conn.execute(projects.insert().values(id="default", name="Default", domain_id=ROOT_DOMAIN, parent_id=None,
                                          is_domain=True, enabled=True, description="The default domain",
                                          extra={}, options={}, created_at=utcnow()))
    # ResellerAdmin: DevStack's, for Swift; key-manager:service-admin: DevStack's Barbican plugin's, for quotas
    role_ids = {name: new_id() for name in [*ROLE_CHAIN, "service", "ResellerAdmin", "key-manager:service-admin"]}
    conn.execute(roles.insert(), [dict(id=rid, name=name, domain_id=NULL_DOMAIN, options={}, extra={},
                                       created_at=utcnow()) for name, rid in role_ids.items()])
    conn.execute(implied_roles.insert(), [dict(prior_role_id=role_ids[prior], implied_role_id=role_ids[implied])
                                          for prior, implied in zip(ROLE_CHAIN, ROLE_CHAIN[1:])])
    project_ids = {name: _project(conn, name, desc) for name, desc in (
        ("admin", "Bootstrap project for initializing the cloud."), ("service", "Service project"),
        ("demo", "Demo project"), ("alt_demo", "Alternate demo project"))}
    # one slow hash per distinct password (DevStack gives admin, demo and alt_demo the same one):
    # a quarter of a second each at the default cost, on every first start
    hashed = {pw: (hashed or {}).get(pw) or passwords.hash_password(pw) for pw in set(passwords_by_user.values())}
    user_ids = {name: _user(conn, name, hashed[passwords_by_user[name]], project_ids[name])
                for name in ("admin", "demo", "alt_demo")}
    grants = [("UserProject", user_ids["admin"], project_ids["admin"], role_ids["admin"]),
              ("UserDomain", user_ids["admin"], "default", role_ids["admin"]),
              ("UserSystem", user_ids["admin"], SYSTEM, role_ids["admin"])]
    for name in ("demo", "alt_demo"):
        grants += [("UserProject", user_ids[name], project_ids[name], role_ids["member"]),
                   ("UserProject", user_ids["admin"], project_ids[name], role_ids["admin"])]
    conn.execute(assignments.insert(), [dict(type=kind, actor_id=actor, target_id=target, role_id=role_id,
                                             inherited=False) for kind, actor, target, role_id in grants])
    conn.execute(regions.insert().values(id="RegionOne", description="", parent_region_id=None, extra={}))
    catalog = sync_catalog(conn, settings, mounted, {}, settings.base_url)
    return {"projects": project_ids, "users": user_ids, "roles": role_ids, "domain_id": "default",
            "catalog": catalog}


def endpoint_url(settings: Settings, service: Any, path: str) -> str:
    """Where the catalog sends clients: the service's own listener when it runs (Swift's 8080,
    `/v1/AUTH_...` at its root), else the main port with the service's prefix."""
    own, prefix = settings.listener_url(service.type), service.listener_prefix
    if own and prefix and path.startswith(prefix + "/"):
        return own + path[len(prefix):]
    return settings.base_url + path


def sync_catalog(conn: Connection, settings: Settings, mounted: list[Any], written: dict[str, str] | None,
                 old_base: str) -> dict[str, str]:
    """Every start: the RegionOne entries bootstrap owns follow the cloud. A service type with no
    service yet (new in this version, or a first start) gets one with public, internal and admin
    endpoints; an endpoint whose URL is still the one bootstrap last wrote (`written`, type -> URL;
    None for data dirs from before it was kept: the old base URL and path) takes the new one, so an
    operator's own edits and deletions stay. Returns the URLs now written, for the next start."""
    urls: dict[str, str] = {}
    by_type: dict[str, list[str]] = {}
    for sid, kind in conn.execute(sa.select(services.c.id, services.c.type)):   # one query per start
        by_type.setdefault(kind, []).append(sid)
    added: list[tuple[str, str, str]] = []
    for service in mounted:
        for kind, name, path in service.catalog:
            url = urls[kind] = endpoint_url(settings, service, path)
            ids = by_type.get(kind, [])
            if not ids:
                if written is None or kind not in written:      # else an operator deleted it: leave it so
                    added.append((kind, name, url))
                    by_type[kind] = ["(new)"]
                continue
            previous = (written or {}).get(kind, old_base + path)
            if previous != url:
                for row in conn.execute(sa.select(endpoints.c.id, endpoints.c.extra).where(
                        endpoints.c.service_id.in_(ids), endpoints.c.url == previous)).mappings().all():
                    if (row["extra"] or {}).get("bootstrap"):
                        conn.execute(endpoints.update().where(endpoints.c.id == row["id"]).values(url=url))
    if added:
        _add_services(conn, added)
    return urls


def _add_services(conn: Connection, added: list[tuple[str, str, str]]) -> None:
    """Services (type, name, URL) with their public, internal and admin endpoints: two inserts (a first
    start adds a dozen before it listens)."""
    sids = [new_id() for _ in added]
    conn.execute(services.insert(), [dict(id=sid, type=kind, enabled=True,
                                          extra={"name": name, "description": f"{name} ({kind})"})
                                     for sid, (kind, name, _) in zip(sids, added)])
    conn.execute(endpoints.insert(), [dict(id=new_id(), interface=interface, service_id=sid, url=url,
                                           region_id="RegionOne", enabled=True, extra={"bootstrap": True})
                                      for sid, (_, _, url) in zip(sids, added)
                                      for interface in ("public", "internal", "admin")])