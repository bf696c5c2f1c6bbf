"""Cascades: what goes with a deleted domain, project, user, group or role, as keystone does it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.identity import tokens
from pocketstack.services.identity.tables import (
    app_cred_access_rules, app_cred_roles, app_creds, assignments, credentials, generic, groups,
    implied_roles, limits, memberships, passwords, project_endpoint_groups, project_endpoints, project_tags,
    projects, roles, trust_roles, trusts, users)


def delete_project(conn: Connection, project_id: str) -> None:
    conn.execute(assignments.delete().where(assignments.c.target_id == project_id))
    conn.execute(project_tags.delete().where(project_tags.c.project_id == project_id))
    conn.execute(limits.delete().where(sa.or_(limits.c.project_id == project_id, limits.c.domain_id == project_id)))
    conn.execute(project_endpoints.delete().where(project_endpoints.c.project_id == project_id))
    conn.execute(project_endpoint_groups.delete().where(project_endpoint_groups.c.project_id == project_id))
    conn.execute(credentials.delete().where(credentials.c.project_id == project_id))
    conn.execute(generic.delete().where(generic.c.kind == "domain_config", generic.c.id == project_id))
    trust_ids = conn.execute(sa.select(trusts.c.id).where(trusts.c.project_id == project_id)).scalars().all()
    _delete_trusts(conn, trust_ids)
    ids = conn.execute(sa.select(app_creds.c.id).where(app_creds.c.project_id == project_id)).scalars().all()
    delete_app_creds(conn, ids)
    conn.execute(projects.delete().where(projects.c.id == project_id))
    tokens.revoke(conn, project_id=project_id)


def delete_user(conn: Connection, user_id: str) -> None:
    conn.execute(assignments.delete().where(assignments.c.actor_id == user_id))
    conn.execute(memberships.delete().where(memberships.c.user_id == user_id))
    conn.execute(passwords.delete().where(passwords.c.user_id == user_id))
    conn.execute(credentials.delete().where(credentials.c.user_id == user_id))
    delete_app_creds(conn, conn.execute(sa.select(app_creds.c.id).where(app_creds.c.user_id == user_id)).scalars().all())
    trust_ids = conn.execute(sa.select(trusts.c.id).where(sa.or_(trusts.c.trustor_user_id == user_id,
                                                                 trusts.c.trustee_user_id == user_id))).scalars().all()
    _delete_trusts(conn, trust_ids)
    conn.execute(users.delete().where(users.c.id == user_id))
    tokens.revoke(conn, user_id=user_id)


def delete_group(conn: Connection, group_id: str) -> None:
    members = conn.execute(sa.select(memberships.c.user_id).where(memberships.c.group_id == group_id)).scalars().all()
    conn.execute(assignments.delete().where(assignments.c.actor_id == group_id))
    conn.execute(memberships.delete().where(memberships.c.group_id == group_id))
    conn.execute(groups.delete().where(groups.c.id == group_id))
    for user_id in members:
        tokens.revoke(conn, user_id=user_id)


def delete_role(conn: Connection, role_id: str) -> None:
    holders = conn.execute(sa.select(assignments.c.actor_id).where(assignments.c.role_id == role_id)).scalars().all()
    conn.execute(assignments.delete().where(assignments.c.role_id == role_id))
    conn.execute(implied_roles.delete().where(sa.or_(implied_roles.c.prior_role_id == role_id,
                                                     implied_roles.c.implied_role_id == role_id)))
    conn.execute(app_cred_roles.delete().where(app_cred_roles.c.role_id == role_id))
    conn.execute(trust_roles.delete().where(trust_roles.c.role_id == role_id))
    conn.execute(roles.delete().where(roles.c.id == role_id))
    for actor in set(holders):
        tokens.revoke(conn, user_id=actor)
        for member in conn.execute(sa.select(memberships.c.user_id).where(memberships.c.group_id == actor)).scalars():
            tokens.revoke(conn, user_id=member)


def delete_domain_contents(conn: Connection, domain_id: str) -> None:
    """A disabled domain goes with its projects (leaves first), users, groups and roles."""
    ids = conn.execute(sa.select(projects.c.id).where(projects.c.domain_id == domain_id)).scalars().all()
    for project_id in _leaves_first(conn, ids):
        delete_project(conn, project_id)
    for user_id in conn.execute(sa.select(users.c.id).where(users.c.domain_id == domain_id)).scalars().all():
        delete_user(conn, user_id)
    for group_id in conn.execute(sa.select(groups.c.id).where(groups.c.domain_id == domain_id)).scalars().all():
        delete_group(conn, group_id)
    for role_id in conn.execute(sa.select(roles.c.id).where(roles.c.domain_id == domain_id)).scalars().all():
        delete_role(conn, role_id)
    delete_project(conn, domain_id)
    tokens.revoke(conn, domain_id=domain_id)


def _leaves_first(conn: Connection, ids: list[str]) -> list[str]:
    parents = dict(conn.execute(sa.select(projects.c.id, projects.c.parent_id).where(projects.c.id.in_(ids))).all())

    def depth(pid: str) -> int:
        d = 0
        while pid in parents and d < 100:
            pid, d = parents[pid], d + 1
        return d

    return sorted(ids, key=depth, reverse=True)


def delete_app_creds(conn: Connection, ids: list[str]) -> None:
    if not ids:
        return
    conn.execute(app_cred_roles.delete().where(app_cred_roles.c.application_credential_id.in_(ids)))
    conn.execute(app_cred_access_rules.delete().where(app_cred_access_rules.c.application_credential_id.in_(ids)))
    conn.execute(app_creds.delete().where(app_creds.c.id.in_(ids)))
    for app_cred_id in ids:
        tokens.revoke(conn, application_credential_id=app_cred_id)


def _delete_trusts(conn: Connection, ids: list[str]) -> None:
    if not ids:
        return
    conn.execute(trust_roles.delete().where(trust_roles.c.trust_id.in_(ids)))
    conn.execute(trusts.delete().where(trusts.c.id.in_(ids)))
    for trust_id in ids:
        tokens.revoke(conn, trust_id=trust_id)
