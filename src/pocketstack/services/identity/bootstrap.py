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


def _user(conn: Connection, name: str, password: str, project_id: str | None) -> str:
    uid = new_id()
    conn.execute(users.insert().values(id=uid, domain_id="default", name=name, enabled=True,
                                       default_project_id=project_id, extra={}, options={},
                                       failed_auth_count=0, created_at=utcnow()))
    conn.execute(passwords.passwords.insert().values(user_id=uid, password_hash=passwords.hash_password(password),
                                                     self_service=False, created_at=utcnow()))
    return uid


def _grant(conn: Connection, kind: str, actor: str, target: str, role_id: str) -> None:
    conn.execute(assignments.insert().values(type=kind, actor_id=actor, target_id=target, role_id=role_id,
                                             inherited=False))


def run(conn: Connection, settings: Settings, passwords_by_user: dict[str, str],
        mounted: list[Any]) -> dict[str, Any]:
    """Create everything; returns the ids other services' bootstraps need."""
    options.load(settings)
    tokens.ensure_keys(conn, "token")
    tokens.ensure_keys(conn, "credential")
    conn.execute(projects.insert().values(id="default", name="Default", domain_id=ROOT_DOMAIN, parent_id=None,
                                          is_domain=True, enabled=True, description="The default domain",
                                          extra={}, options={}, created_at=utcnow()))
    role_ids = {}
    for name in [*ROLE_CHAIN, "service", "ResellerAdmin"]:   # ResellerAdmin: DevStack's, for Swift
        role_ids[name] = new_id()
        conn.execute(roles.insert().values(id=role_ids[name], name=name, domain_id=NULL_DOMAIN, options={},
                                           extra={}, created_at=utcnow()))
    for prior, implied in zip(ROLE_CHAIN, ROLE_CHAIN[1:]):
        conn.execute(implied_roles.insert().values(prior_role_id=role_ids[prior], implied_role_id=role_ids[implied]))
    project_ids = {name: _project(conn, name, desc) for name, desc in (
        ("admin", "Bootstrap project for initializing the cloud."), ("service", "Service project"),
        ("demo", "Demo project"), ("alt_demo", "Alternate demo project"))}
    user_ids = {"admin": _user(conn, "admin", passwords_by_user["admin"], project_ids["admin"]),
                "demo": _user(conn, "demo", passwords_by_user["demo"], project_ids["demo"]),
                "alt_demo": _user(conn, "alt_demo", passwords_by_user["alt_demo"], project_ids["alt_demo"])}
    _grant(conn, "UserProject", user_ids["admin"], project_ids["admin"], role_ids["admin"])
    _grant(conn, "UserDomain", user_ids["admin"], "default", role_ids["admin"])
    _grant(conn, "UserSystem", user_ids["admin"], SYSTEM, role_ids["admin"])
    for name in ("demo", "alt_demo"):
        _grant(conn, "UserProject", user_ids[name], project_ids[name], role_ids["member"])
        _grant(conn, "UserProject", user_ids["admin"], project_ids[name], role_ids["admin"])
    conn.execute(regions.insert().values(id="RegionOne", description="", parent_region_id=None, extra={}))
    write_catalog(conn, settings.base_url, mounted)
    return {"projects": project_ids, "users": user_ids, "roles": role_ids, "domain_id": "default"}


def write_catalog(conn: Connection, base_url: str, mounted: list[Any]) -> None:
    for service in mounted:
        for kind, name, path in service.catalog:
            sid = new_id()
            conn.execute(services.insert().values(id=sid, type=kind, enabled=True,
                                                  extra={"name": name, "description": f"{name} ({kind})"}))
            for interface in ("public", "internal", "admin"):
                conn.execute(endpoints.insert().values(id=new_id(), interface=interface, service_id=sid,
                                                       url=base_url + path, region_id="RegionOne", enabled=True,
                                                       extra={"bootstrap": True}))


def rebase_catalog(conn: Connection, old_base: str, new_base: str) -> None:
    """The cloud moved (another host or port): move the endpoints bootstrap made with it."""
    for row in conn.execute(sa.select(endpoints.c.id, endpoints.c.url, endpoints.c.extra)).mappings().all():
        if (row["extra"] or {}).get("bootstrap") and row["url"].startswith(old_base):
            conn.execute(endpoints.update().where(endpoints.c.id == row["id"]).values(
                url=new_base + row["url"][len(old_base):]))
