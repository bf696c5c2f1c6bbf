"""Users: /v3/users, self-service password change, a user's projects (api-ref: identity, Users)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import isotime, parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, Conflict, NotFound, Unauthorized
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import cleanup, domains, effective, links, passwords, projects, tokens
from pocketstack.services.identity import notifications as identity_notifications
from pocketstack.services.identity.tables import assignments, users
from pocketstack.services.identity.tables import projects as projects_table

# --- schemas -------------------------------------------------------------------
DOMAIN_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[a-zA-Z0-9-]+$"}
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
_TRUE = ("true", "1", "y", "on", "yes")
BOOL = {"type": ["boolean", "string", "null"],   # quirk: keystone takes "yes", "off", "0"... for enabled
        "enum": [True, False, None, "True", "TRUE", "true", "False", "FALSE", "false", "", "1", "0",
                 "y", "Y", "n", "N", "on", "ON", "off", "OFF", "yes", "no"]}
_OPT_BOOL = {"type": ["boolean", "null"], "enum": [True, False, None]}
BOOL_OPTIONS = ("ignore_change_password_upon_first_use", "ignore_password_expiry", "ignore_lockout_failure_attempts",
                "lock_password", "ignore_user_inactivity", "multi_factor_auth_enabled")
MFA_RULES = {"type": ["array", "null"], "uniqueItems": True,
             "items": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True}}
OPTIONS = schemas.obj({**{k: _OPT_BOOL for k in BOOL_OPTIONS}, "multi_factor_auth_rules": MFA_RULES},
                      additional=False)
_PROPS = {"default_project_id": schemas.nullable_string, "description": schemas.nullable_string,
          "domain_id": DOMAIN_ID, "enabled": BOOL, "federated": {"type": "array"}, "name": NAME,
          "password": {"type": ["string", "null"]}, "options": OPTIONS}
CREATE = schemas.obj({"user": schemas.obj(_PROPS, ["name"])}, ["user"], additional=False)
UPDATE = schemas.obj({"user": schemas.obj(_PROPS, minProperties=1)}, ["user"], additional=False)
CHANGE_PASSWORD = schemas.obj({"user": schemas.obj(
    {"original_password": {"type": "string"}, "password": {"type": "string"}},
    ["original_password", "password"], additional=False)}, ["user"], additional=False)
LIST_QUERY = schemas.obj({"domain_id": DOMAIN_ID, "enabled": BOOL, "name": NAME,
                          "password_expires_at": {"type": "string"}, "idp_id": {"type": "string"},
                          "protocol_id": {"type": "string"}, "unique_id": {"type": "string"}})
_COLUMNS = {"id", "name", "domain_id", "enabled", "default_project_id", "password", "options", "federated"}


# --- views -----------------------------------------------------------------------
def render_user(ctx: Context, row: Mapping[str, Any], expires_at: Any) -> dict[str, Any]:
    body = {**(row["extra"] or {}), "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
            "enabled": row["enabled"], "password_expires_at": isotime(expires_at, subsecond=True, suffix=""),
            "options": row["options"] or {}, "links": links.entity(ctx, f"users/{row['id']}")}
    if row["default_project_id"] is not None:
        body["default_project_id"] = row["default_project_id"]
    return body


def render_users(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    expiry = expiry_map(conn, [r["id"] for r in rows])
    return [render_user(ctx, r, expiry.get(r["id"])) for r in rows]


# --- logic ------------------------------------------------------------------------
def find_user(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def get_user(conn: Connection, user_id: str) -> dict[str, Any]:
    row = find_user(conn, user_id)
    if row is None:
        raise NotFound(f"Could not find user: {user_id}.")
    return row


def expiry_map(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """user id -> expires_at of the user's current password."""
    p = passwords.passwords.c
    out: dict[str, Any] = {}
    for user_id, expires_at in conn.execute(sa.select(p.user_id, p.expires_at).where(p.user_id.in_(ids))
                                            .order_by(p.created_at, p.id)):
        out[user_id] = expires_at
    return out


_OPERATORS = {"lt": operator.lt, "gt": operator.gt, "eq": operator.eq, "lte": operator.le, "gte": operator.ge,
              "neq": operator.ne}


def user_filters(query: Any) -> list[Any]:
    """keystone's user filters: domain_id, enabled, name (and name__icontains...), password_expires_at."""
    clauses = attribute_filters(users, query, {"name", "enabled", "domain_id"}, booleans={"enabled"})
    p = passwords.passwords.c
    current = (sa.select(p.expires_at).where(p.user_id == users.c.id).order_by(p.created_at.desc(), p.id.desc())
               .limit(1).correlate(users).scalar_subquery())
    for value in query.getlist("password_expires_at"):
        op, stamp = value.split(":", 1) if ":" in value[2:4] else ("eq", value)
        try:
            when = parse_isotime(stamp)
        except ValueError:
            raise BadRequest("Timestamp not in expected format. The server could not comply with the request "
                             "since it is either malformed or otherwise incorrect. The client is assumed to "
                             "be in error.") from None
        if op not in _OPERATORS:
            raise BadRequest(f"The given operator {op} is not valid. It must be one of the following: 'eq', "
                             "'neq', 'lt', 'lte', 'gt', or 'gte'.")
        clauses.append(_OPERATORS[op](current, when))
    return clauses


def as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in _TRUE


def normalize(spec: dict[str, Any]) -> dict[str, Any]:
    """keystone's _normalize_dict: `os:thing` and `os-thing` attributes become `os_thing`."""
    return {k.replace(":", "_").replace("-", "_"): v for k, v in spec.items()}


def _check_name(conn: Connection, name: str, domain_id: str, exclude: str | None = None) -> None:
    stmt = sa.select(users.c.id).where(users.c.domain_id == domain_id, users.c.name == name)
    if exclude:
        stmt = stmt.where(users.c.id != exclude)
    if conn.execute(stmt).first():
        raise Conflict(f"Conflict occurred attempting to store user - Duplicate entry found with name {name} "
                       f"at domain ID {domain_id}.")


def _check_default_project(conn: Connection, project_id: str | None) -> None:
    if not project_id:
        return
    is_domain = conn.execute(sa.select(projects_table.c.is_domain).where(projects_table.c.id == project_id)).scalar()
    if is_domain:
        raise BadRequest(f"User's default project ID cannot be a domain ID: {project_id}")


def _merge_options(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A null option is removed (back to the default), as keystone's resource options."""
    merged = {**current, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def create_user_row(conn: Connection, ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    spec = normalize(spec)
    domain_id = spec.get("domain_id") or ctx.domain_id or "default"
    domains.get_domain(conn, domain_id)
    name = spec["name"].strip()
    _check_name(conn, name, domain_id)
    _check_default_project(conn, spec.get("default_project_id"))
    row = {"id": new_id(), "domain_id": domain_id, "name": name,
           "enabled": as_bool(spec["enabled"]) if spec.get("enabled") is not None else True,
           "default_project_id": spec.get("default_project_id"), "options": _merge_options({}, spec.get("options") or {}),
           "extra": {k: v for k, v in spec.items() if k not in _COLUMNS}, "failed_auth_count": 0,
           "created_at": utcnow()}
    conn.execute(users.insert().values(**row))
    if spec.get("password") is not None:
        passwords.set_password(conn, row, spec["password"], self_service=False)
    return row


def update_user_row(conn: Connection, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_user(conn, user_id)
    if changes.get("id") is not None and changes["id"] != user_id:
        raise BadRequest("Cannot change user ID")
    if "domain_id" in changes and changes["domain_id"] != current["domain_id"]:
        raise BadRequest("Cannot change Domain ID")
    _check_default_project(conn, changes.get("default_project_id"))
    values: dict[str, Any] = {k: changes[k] for k in ("default_project_id",) if k in changes}
    if "name" in changes:
        values["name"] = changes["name"].strip()
        _check_name(conn, values["name"], current["domain_id"], exclude=user_id)
    if changes.get("enabled") is not None:
        values["enabled"] = as_bool(changes["enabled"])
    if "options" in changes:
        values["options"] = _merge_options(current["options"] or {}, changes["options"] or {})
    extra = {k: v for k, v in changes.items() if k not in _COLUMNS}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    conn.execute(users.update().where(users.c.id == user_id).values(**values, updated_at=utcnow()))
    updated = get_user(conn, user_id)
    if "password" in changes:
        if changes["password"] is None:
            passwords.clear_password(conn, user_id)
        else:
            passwords.set_password(conn, updated, changes["password"], self_service=False)
    if (values.get("enabled") is False and current["enabled"]) or changes.get("password") is not None:
        tokens.revoke(conn, user_id=user_id)
    return updated


def change_password(user_id: str, original: str, new: str) -> None:
    """Self-service: the original password must authenticate (an expired one may); lockout counts."""
    failure: ApiError | None = None
    with db.session() as conn:
        user = find_user(conn, user_id)
        if user is None:
            raise Unauthorized("Error when changing user password: Invalid user / password")
        try:
            passwords.authenticate(conn, user, original, allow_expired=True)
        except Unauthorized as err:
            failure = err   # leave the block normally so the failed-attempt counter commits
        else:
            _replace_password(conn, user, new)
    if failure is not None:
        raise (Unauthorized("Error when changing user password: Invalid user / password")
               if failure.kind == "bad_password" else failure)


def _replace_password(conn: Connection, user: dict[str, Any], new: str) -> None:
    if not user["enabled"]:
        raise Unauthorized(f"The account is disabled for user: {user['id']}.")
    if (user["options"] or {}).get("lock_password"):
        raise BadRequest("You cannot change your password at this time due to password policy disallowing "
                         "password changes. Please contact your administrator to reset your password.")
    passwords.set_password(conn, user, new, self_service=True)
    tokens.revoke(conn, user_id=user["id"])


def user_project_ids(conn: Connection, user_id: str) -> set[str]:
    """Projects where the user has an effective role: direct, through groups, or inherited."""
    a = assignments.c
    actors = [user_id, *effective.group_ids(conn, user_id)]
    ids: set[str] = set()
    for target, kind, inherited in conn.execute(sa.select(a.target_id, a.type, a.inherited).where(
            a.actor_id.in_(actors), a.type.in_(["UserProject", "GroupProject", "UserDomain", "GroupDomain"]))):
        if kind.endswith("Project"):
            ids |= set(projects.subtree_ids(conn, target)[1:]) if inherited else {target}
        elif inherited:
            ids |= set(conn.execute(sa.select(projects_table.c.id).where(
                projects_table.c.domain_id == target, projects_table.c.is_domain.is_(False))).scalars())
    return ids


# --- routes ------------------------------------------------------------------------
def user_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """keystone's _build_user_target_enforcement: a missing user leaves the target empty (404 later)."""
    with db.reader() as conn:
        row = find_user(conn, rq.params["user_id"])
    target = {"user": {k: row[k] for k in ("id", "name", "domain_id", "enabled", "default_project_id")}} if row else {}
    return {"user_id": rq.params["user_id"], "target": target}


def _create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = (rq.body or {}).get("user") if isinstance(rq.body, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    shown = {k: v for k, v in spec.items() if k != "password"}
    return {"target": {"user": shown}}  # quirk: as keystone, the body as given (no defaulted domain_id)


def _list_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"target": {"domain_id": ctx.domain_id}} if ctx.domain_id else {}


def list_users(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    clauses = user_filters(rq.query)
    if ctx.domain_id:   # a domain-scoped token sees only its own domain's users
        clauses.append(users.c.domain_id == ctx.domain_id)
    with db.reader() as conn:
        rows = conn.execute(sa.select(users).where(*clauses).order_by(users.c.name)).mappings().all()
        body = render_users(conn, ctx, list(rows))
    return {"users": body, "links": links.collection(ctx, "users", str(rq.query))}


def create_user(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = create_user_row(conn, ctx, rq.body["user"])
        identity_notifications.audit(conn, ctx, rq, "created", "user", row["id"])
        return {"user": render_users(conn, ctx, [row])[0]}


def show_user(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"user": render_users(conn, ctx, [get_user(conn, rq.params["user_id"])])[0]}


def update_user(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = update_user_row(conn, rq.params["user_id"], rq.body["user"])
        return {"user": render_users(conn, ctx, [row])[0]}


def delete_user(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        user_id = get_user(conn, rq.params["user_id"])["id"]
        cleanup.delete_user(conn, user_id)
        identity_notifications.audit(conn, ctx, rq, "deleted", "user", user_id)


def change_user_password(ctx: Context, rq: ApiRequest) -> None:
    spec = rq.body["user"]
    change_password(rq.params["user_id"], spec["original_password"], spec["password"])


def list_user_projects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    p = projects_table
    clauses = attribute_filters(p, rq.query, {"name", "enabled", "domain_id"}, booleans={"enabled"})
    with db.reader() as conn:
        ids = user_project_ids(conn, get_user(conn, rq.params["user_id"])["id"])
        rows = conn.execute(sa.select(p).where(p.c.id.in_(ids), *clauses).order_by(p.c.name)).mappings().all()
        body = [projects.render_project(conn, ctx, r) for r in rows]
    return {"projects": body, "links": links.collection(ctx, f"users/{rq.params['user_id']}/projects", str(rq.query))}


U = "/v3/users/{user_id}"
ROUTES = [
    route("GET", "/v3/users", list_users, policy="identity:list_users", query=LIST_QUERY, target=_list_target),
    route("POST", "/v3/users", create_user, policy="identity:create_user", body=CREATE, target=_create_target,
          status=201),
    route("GET", U, show_user, policy="identity:get_user", target=user_target),
    route("PATCH", U, update_user, policy="identity:update_user", body=UPDATE, target=user_target),
    route("DELETE", U, delete_user, policy="identity:delete_user", target=user_target, status=204),
    route("POST", U + "/password", change_user_password, policy=PUBLIC, body=CHANGE_PASSWORD, auth="optional",
          status=204),
    route("GET", U + "/projects", list_user_projects, policy="identity:list_user_projects", target=user_target),
]
