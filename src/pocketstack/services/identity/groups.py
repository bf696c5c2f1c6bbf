"""Groups and membership: /v3/groups, /v3/users/{user_id}/groups (api-ref: identity, Groups)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import cleanup, domains, links, tokens, users
from pocketstack.services.identity.tables import groups, memberships
from pocketstack.services.identity.tables import users as users_table

# --- schemas -------------------------------------------------------------------
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
_PROPS = {"description": schemas.nullable_string, "name": NAME}
CREATE = schemas.obj({"group": schemas.obj({**_PROPS, "domain_id": users.DOMAIN_ID}, ["name"])}, ["group"],
                     additional=False)
UPDATE = schemas.obj({"group": schemas.obj(_PROPS, minProperties=1)}, ["group"], additional=False)
LIST_QUERY = schemas.obj({"domain_id": users.DOMAIN_ID, "name": NAME})
_COLUMNS = {"id", "name", "domain_id", "description"}


# --- views -----------------------------------------------------------------------
def render_group(ctx: Context, row: Mapping[str, Any]) -> dict[str, Any]:
    return {**(row["extra"] or {}), "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
            "description": row["description"], "links": links.entity(ctx, f"groups/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def find_group(conn: Connection, group_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(groups).where(groups.c.id == group_id)).mappings().first()
    return dict(row) if row else None


def get_group(conn: Connection, group_id: str) -> dict[str, Any]:
    row = find_group(conn, group_id)
    if row is None:
        raise NotFound(f"Could not find group: {group_id}.")
    return row


def _check_name(conn: Connection, name: str, domain_id: str, exclude: str | None = None) -> None:
    stmt = sa.select(groups.c.id).where(groups.c.domain_id == domain_id, groups.c.name == name)
    if exclude:
        stmt = stmt.where(groups.c.id != exclude)
    if conn.execute(stmt).first():
        raise Conflict(f"Conflict occurred attempting to store group - Duplicate entry found with name {name} "
                       f"at domain ID {domain_id}.")


def create_group_row(conn: Connection, ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    spec = users.normalize(spec)
    domain_id = spec.get("domain_id") or ctx.domain_id or "default"
    domains.get_domain(conn, domain_id)
    name = spec["name"].strip()
    _check_name(conn, name, domain_id)
    row = {"id": new_id(), "domain_id": domain_id, "name": name, "description": spec.get("description", ""),
           "extra": {k: v for k, v in spec.items() if k not in _COLUMNS}, "created_at": utcnow()}
    conn.execute(groups.insert().values(**row))
    return row


def update_group_row(conn: Connection, group_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_group(conn, group_id)
    if changes.get("id") is not None and changes["id"] != group_id:
        raise BadRequest("Cannot change ID")
    if "domain_id" in changes and changes["domain_id"] != current["domain_id"]:
        raise BadRequest("Cannot change Domain ID")
    values = {k: changes[k] for k in ("description",) if k in changes}
    if "name" in changes:
        values["name"] = changes["name"].strip()
        _check_name(conn, values["name"], current["domain_id"], exclude=group_id)
    extra = {k: v for k, v in changes.items() if k not in _COLUMNS}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    conn.execute(groups.update().where(groups.c.id == group_id).values(**values, updated_at=utcnow()))
    return get_group(conn, group_id)


def is_member(conn: Connection, user_id: str, group_id: str) -> bool:
    return conn.execute(sa.select(memberships.c.user_id).where(
        memberships.c.user_id == user_id, memberships.c.group_id == group_id)).first() is not None


def require_member(conn: Connection, user_id: str, group_id: str) -> None:
    get_group(conn, group_id)
    users.get_user(conn, user_id)
    if not is_member(conn, user_id, group_id):
        raise NotFound(f"User '{user_id}' not found in group '{group_id}'")


def add_member(conn: Connection, user_id: str, group_id: str) -> None:
    get_group(conn, group_id)
    users.get_user(conn, user_id)
    if not is_member(conn, user_id, group_id):
        conn.execute(memberships.insert().values(user_id=user_id, group_id=group_id))


def remove_member(conn: Connection, user_id: str, group_id: str) -> None:
    """Tokens of a removed member are revoked: their roles through the group are gone."""
    require_member(conn, user_id, group_id)
    conn.execute(memberships.delete().where(memberships.c.user_id == user_id, memberships.c.group_id == group_id))
    tokens.revoke(conn, user_id=user_id)


# --- routes ------------------------------------------------------------------------
def group_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """keystone's targets: what exists of the group (and user) in the path; a missing one is left out."""
    target: dict[str, Any] = {}
    with db.reader() as conn:
        group = find_group(conn, rq.params["group_id"])
        user = users.find_user(conn, rq.params["user_id"]) if "user_id" in rq.params else None
    if group:
        target["group"] = {k: group[k] for k in ("id", "name", "domain_id")}
    if user:
        target["user"] = {k: user[k] for k in ("id", "name", "domain_id", "enabled")}
    return {**rq.params, "target": target}


def _create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = (rq.body or {}).get("group") if isinstance(rq.body, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    return {"target": {"group": spec}}  # quirk: as keystone, the body as given (no defaulted domain_id)


def _delete_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """keystone's inferred member target for delete: a missing group is a 404 before policy."""
    with db.reader() as conn:
        group = get_group(conn, rq.params["group_id"])
    return {**rq.params, "target": {"group": {k: group[k] for k in ("id", "name", "domain_id")}}}


def _list_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"target": {"group": {"domain_id": ctx.domain_id}}} if ctx.domain_id else {}


def _in_scope(ctx: Context, table: sa.Table) -> list[Any]:
    """A domain-scoped token sees only its own domain's users and groups."""
    return [table.c.domain_id == ctx.domain_id] if ctx.domain_id else []


def list_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    clauses = attribute_filters(groups, rq.query, {"name", "domain_id"}) + _in_scope(ctx, groups)
    with db.reader() as conn:
        rows = conn.execute(sa.select(groups).where(*clauses).order_by(groups.c.name)).mappings().all()
    return {"groups": [render_group(ctx, r) for r in rows], "links": links.collection(ctx, "groups", str(rq.query))}


def create_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"group": render_group(ctx, create_group_row(conn, ctx, rq.body["group"]))}


def show_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"group": render_group(ctx, get_group(conn, rq.params["group_id"]))}


def update_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"group": render_group(ctx, update_group_row(conn, rq.params["group_id"], rq.body["group"]))}


def delete_group(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        cleanup.delete_group(conn, get_group(conn, rq.params["group_id"])["id"])


def list_group_users(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    u = users_table
    clauses = users.user_filters(rq.query) + _in_scope(ctx, u)
    with db.reader() as conn:
        group = get_group(conn, rq.params["group_id"])
        member = sa.select(memberships.c.user_id).where(memberships.c.group_id == group["id"])
        rows = conn.execute(sa.select(u).where(u.c.id.in_(member), *clauses).order_by(u.c.name)).mappings().all()
        body = users.render_users(conn, ctx, list(rows))
    return {"users": body, "links": links.collection(ctx, f"groups/{group['id']}/users", str(rq.query))}


def list_user_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    clauses = attribute_filters(groups, rq.query, {"name"}) + _in_scope(ctx, groups)
    with db.reader() as conn:
        user = users.get_user(conn, rq.params["user_id"])
        mine = sa.select(memberships.c.group_id).where(memberships.c.user_id == user["id"])
        rows = conn.execute(sa.select(groups).where(groups.c.id.in_(mine), *clauses).order_by(groups.c.name))
        body = [{**render_group(ctx, r), "membership_expires_at": None} for r in rows.mappings()]
    return {"groups": body, "links": links.collection(ctx, f"users/{user['id']}/groups", str(rq.query))}


def check_group_user(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        require_member(conn, rq.params["user_id"], rq.params["group_id"])


def add_group_user(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        add_member(conn, rq.params["user_id"], rq.params["group_id"])


def remove_group_user(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        remove_member(conn, rq.params["user_id"], rq.params["group_id"])


G = "/v3/groups/{group_id}"
ROUTES = [
    route("GET", "/v3/groups", list_groups, policy="identity:list_groups", query=LIST_QUERY, target=_list_target),
    route("POST", "/v3/groups", create_group, policy="identity:create_group", body=CREATE, target=_create_target,
          status=201),
    route("GET", G, show_group, policy="identity:get_group", target=group_target),
    route("PATCH", G, update_group, policy="identity:update_group", body=UPDATE, target=group_target),
    route("DELETE", G, delete_group, policy="identity:delete_group", target=_delete_target, status=204),
    route("GET", G + "/users", list_group_users, policy="identity:list_users_in_group", query=users.LIST_QUERY,
          target=group_target),
    route("GET", G + "/users/{user_id}", check_group_user, policy="identity:check_user_in_group",
          target=group_target, status=204),
    route("PUT", G + "/users/{user_id}", add_group_user, policy="identity:add_user_to_group", target=group_target,
          status=204),
    route("DELETE", G + "/users/{user_id}", remove_group_user, policy="identity:remove_user_from_group",
          target=group_target, status=204),
    route("GET", "/v3/users/{user_id}/groups", list_user_groups, policy="identity:list_groups_for_user",
          target=users.user_target),
]
