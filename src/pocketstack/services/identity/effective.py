"""Effective roles: direct, through groups, inherited down the project tree, and implied roles.

Shared by tokens (which roles a token carries) and /v3/role_assignments?effective.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.identity.tables import (
    NULL_DOMAIN, SYSTEM, assignments, implied_roles, memberships, projects, roles)


def group_ids(conn: Connection, user_id: str) -> list[str]:
    return list(conn.execute(sa.select(memberships.c.group_id).where(memberships.c.user_id == user_id)).scalars())


def ancestors(conn: Connection, project_id: str) -> list[str]:
    """Parent ids up to and including the domain (a top-level project's parent is its domain)."""
    out: list[str] = []
    current = project_id
    for _ in range(64):
        parent = conn.execute(sa.select(projects.c.parent_id).where(projects.c.id == current)).scalar()
        if not parent or parent in out:
            break
        out.append(parent)
        current = parent
    return out


def direct_role_ids(conn: Connection, actors: list[str], *, project_id: str | None = None,
                    domain_id: str | None = None, system: bool = False) -> set[str]:
    a = assignments.c
    conds = []
    if system:
        conds.append(a.target_id == SYSTEM)
    if domain_id:
        conds.append(sa.and_(a.target_id == domain_id, a.inherited.is_(False), a.type.in_(["UserDomain", "GroupDomain"])))
    if project_id:
        conds.append(sa.and_(a.target_id == project_id, a.inherited.is_(False)))
        parents = ancestors(conn, project_id)
        if parents:
            conds.append(sa.and_(a.target_id.in_(parents), a.inherited.is_(True)))
    if not conds:
        return set()
    stmt = sa.select(a.role_id).where(a.actor_id.in_(actors), sa.or_(*conds))
    return set(conn.execute(stmt).scalars())


def expand_implied(conn: Connection, role_ids: Iterable[str]) -> set[str]:
    rules: dict[str, list[str]] = {}
    for prior, implied in conn.execute(sa.select(implied_roles.c.prior_role_id, implied_roles.c.implied_role_id)):
        rules.setdefault(prior, []).append(implied)
    seen = set(role_ids)
    todo = list(seen)
    while todo:
        for implied in rules.get(todo.pop(), []):
            if implied not in seen:
                seen.add(implied)
                todo.append(implied)
    return seen


def user_roles(conn: Connection, user_id: str, *, project_id: str | None = None,
               domain_id: str | None = None, system: bool = False) -> list[dict[str, str]]:
    """[{id, name}] of the roles a token scoped so would carry (domain-specific roles dropped)."""
    actors = [user_id, *group_ids(conn, user_id)]
    ids = expand_implied(conn, direct_role_ids(conn, actors, project_id=project_id,
                                               domain_id=domain_id, system=system))
    if not ids:
        return []
    rows = conn.execute(sa.select(roles.c.id, roles.c.name, roles.c.domain_id).where(roles.c.id.in_(ids))
                        .order_by(roles.c.name))
    return [{"id": r.id, "name": r.name} for r in rows if r.domain_id == NULL_DOMAIN]
