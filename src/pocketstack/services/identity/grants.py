"""Role grants on projects, domains and the system, and OS-INHERIT inherited grants
(api-ref: identity, Roles: assignments; OS-INHERIT; System role assignments)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.routing import ApiRequest, Route, route
from pocketstack.services.identity import domains, links, projects, roles
from pocketstack.services.identity.tables import SYSTEM, assignments, groups, users
from pocketstack.services.identity.tables import roles as roles_table

# --- schemas: grants take no body -------------------------------------------------


# --- views -----------------------------------------------------------------------
def render_roles(ctx: Context, rq: ApiRequest, rows: list[Any]) -> dict[str, Any]:
    return {"roles": [roles.render_role(ctx, r) for r in rows],
            "links": {"self": rq.url, "previous": None, "next": None}}


# --- logic ------------------------------------------------------------------------
@dataclass
class Grant:
    actor: str            # "User" | "Group"
    actor_id: str
    target: str           # "Project" | "Domain" | "System"
    target_id: str
    inherited: bool
    role_id: str | None

    @property
    def type(self) -> str:
        return self.actor + self.target

    def where(self) -> list[Any]:
        a = assignments.c
        out = [a.actor_id == self.actor_id, a.target_id == self.target_id, a.inherited.is_(self.inherited),
               a.type.in_([f"User{self.target}", f"Group{self.target}"])]
        return out + ([a.role_id == self.role_id] if self.role_id else [])


def parse(rq: ApiRequest) -> Grant:
    p = rq.params
    actor, actor_id = ("User", p["user_id"]) if "user_id" in p else ("Group", p["group_id"])
    if "project_id" in p:
        target, target_id = "Project", p["project_id"]
    elif "domain_id" in p:
        target, target_id = "Domain", p["domain_id"]
    else:
        target, target_id = "System", SYSTEM
    return Grant(actor, actor_id, target, target_id, rq.path.rstrip("/").endswith("/inherited_to_projects"),
                 p.get("role_id"))


def _row(conn: Connection, table: sa.Table, key: str, row_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(table).where(table.c.id == row_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find {key}: {row_id}.")
    return dict(row)


def load(conn: Connection, grant: Grant, *, allow_missing_actor: bool = False) -> dict[str, Any]:
    """The role, actor and target a grant names, looked up in keystone's order (404s)."""
    found: dict[str, Any] = {}
    if grant.role_id:
        found["role"] = roles.get_role(conn, grant.role_id)
    key, table = ("user", users) if grant.actor == "User" else ("group", groups)
    try:
        found[key] = _row(conn, table, key, grant.actor_id)
    except NotFound:
        if not allow_missing_actor:
            raise
    if grant.target == "Project":
        found["project"] = projects.get_project(conn, grant.target_id)
    elif grant.target == "Domain":
        found["domain"] = domains.get_domain(conn, grant.target_id)
    return found


def exists(conn: Connection, grant: Grant) -> bool:
    return conn.execute(sa.select(assignments.c.role_id).where(*grant.where()).limit(1)).first() is not None


def not_found(grant: Grant) -> NotFound:
    return NotFound(f"Could not find role assignment with role: {grant.role_id}, user or group: "
                    f"{grant.actor_id}, project, domain, or system: {grant.target_id}.")


def create(conn: Connection, grant: Grant, found: dict[str, Any]) -> None:
    role_domain = roles.role_domain(found["role"])
    if role_domain and grant.target == "System":
        raise BadRequest(f"Role {grant.role_id} is a domain-specific role. Unable to use a domain-specific "
                         "role in a system assignment.")
    if role_domain and grant.target == "Project" and found["project"]["domain_id"] != role_domain:
        raise Forbidden(f"Project {grant.target_id} must be in the same domain as the role {grant.role_id} "
                        "being assigned.")
    if not exists(conn, grant):  # quirk: granting twice is silently accepted
        conn.execute(assignments.insert().values(type=grant.type, actor_id=grant.actor_id, target_id=grant.target_id,
                                                 role_id=grant.role_id, inherited=grant.inherited))


def revoke(conn: Connection, grant: Grant) -> None:
    """Tokens are not revoked: their roles are recomputed on every validation, as keystone does."""
    if not conn.execute(assignments.delete().where(*grant.where())).rowcount:
        raise not_found(grant)


def granted_roles(conn: Connection, grant: Grant) -> list[Any]:
    ids = conn.execute(sa.select(assignments.c.role_id).where(*grant.where())).scalars().all()
    return list(conn.execute(sa.select(roles_table).where(roles_table.c.id.in_(ids))
                             .order_by(roles_table.c.name)).mappings())


# --- routes ------------------------------------------------------------------------
def _policy_view(key: str, row: dict[str, Any]) -> dict[str, Any]:
    if key == "role":
        return {"id": row["id"], "name": row["name"], "domain_id": roles.role_domain(row)}
    return {"id": row["id"], "name": row["name"], "domain_id": row["domain_id"]}


def grant_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    grant = parse(rq)
    with db.reader() as conn:
        found = load(conn, grant, allow_missing_actor=rq.method == "DELETE")
    rq.target_cache = {"grant": grant, **found}
    return {"target": {k: _policy_view(k, v) for k, v in found.items()}}


def list_grants(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return render_roles(ctx, rq, granted_roles(conn, rq.target_cache["grant"]))


def check_grant(ctx: Context, rq: ApiRequest) -> None:
    grant = rq.target_cache["grant"]
    with db.reader() as conn:
        if not exists(conn, grant):
            raise not_found(grant)


def create_grant(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        create(conn, rq.target_cache["grant"], rq.target_cache)


def revoke_grant(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        revoke(conn, rq.target_cache["grant"])


def _rows(base: str, suffix: str, policies: tuple[str | None, str, str, str]) -> list[Route]:
    """list (when it has a policy), check, create and revoke rows for one actor on one target."""
    list_rule, check_rule, create_rule, revoke_rule = policies
    member = f"{base}/{{role_id}}{suffix}"
    rows = [route("GET", member, check_grant, policy=check_rule, target=grant_target, status=204),
            route("PUT", member, create_grant, policy=create_rule, target=grant_target, status=204),
            route("DELETE", member, revoke_grant, policy=revoke_rule, target=grant_target, status=204)]
    if list_rule:
        rows.insert(0, route("GET", base + suffix, list_grants, policy=list_rule, target=grant_target))
    return rows


_GRANT = ("identity:list_grants", "identity:check_grant", "identity:create_grant", "identity:revoke_grant")
_INHERITED = "/inherited_to_projects"


_SYSTEM_USER = ("identity:list_system_grants_for_user", "identity:check_system_grant_for_user",
                "identity:create_system_grant_for_user", "identity:revoke_system_grant_for_user")
_SYSTEM_GROUP = ("identity:list_system_grants_for_group", "identity:check_system_grant_for_group",
                 "identity:create_system_grant_for_group", "identity:revoke_system_grant_for_group")


ROUTES = [
    *_rows("/v3/projects/{project_id}/users/{user_id}/roles", "", _GRANT),
    *_rows("/v3/projects/{project_id}/groups/{group_id}/roles", "", _GRANT),
    *_rows("/v3/domains/{domain_id}/users/{user_id}/roles", "", _GRANT),
    *_rows("/v3/domains/{domain_id}/groups/{group_id}/roles", "", _GRANT),
    *_rows("/v3/OS-INHERIT/domains/{domain_id}/users/{user_id}/roles", _INHERITED, _GRANT),
    *_rows("/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles", _INHERITED, _GRANT),
    *_rows("/v3/OS-INHERIT/projects/{project_id}/users/{user_id}/roles", _INHERITED, (None, *_GRANT[1:])),
    *_rows("/v3/OS-INHERIT/projects/{project_id}/groups/{group_id}/roles", _INHERITED, (None, *_GRANT[1:])),
    *_rows("/v3/system/users/{user_id}/roles", "", _SYSTEM_USER),
    *_rows("/v3/system/groups/{group_id}/roles", "", _SYSTEM_GROUP),
]
