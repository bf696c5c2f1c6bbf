"""Roles and implied roles: /v3/roles, /v3/roles/{id}/implies, /v3/role_inferences
(api-ref: identity, Roles)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import cleanup, domains, links, options
from pocketstack.services.identity.tables import NULL_DOMAIN, implied_roles, roles

# --- schemas -------------------------------------------------------------------
_OPTIONS = schemas.obj({"immutable": {"type": ["boolean", "null"]}}, additional=False)
_PROPS = {"name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"},
          "description": schemas.description, "domain_id": schemas.nullable_id, "options": _OPTIONS}
CREATE = schemas.obj({"role": schemas.obj(_PROPS, ["name"])}, ["role"], additional=False)
UPDATE = schemas.obj({"role": schemas.obj(_PROPS, minProperties=1)}, ["role"], additional=False)
_KNOWN = {"id", "name", "description", "domain_id", "options", "links"}


# --- views -----------------------------------------------------------------------
def render_role(ctx: Context, row: Any) -> dict[str, Any]:
    return {**(row["extra"] or {}), "id": row["id"], "name": row["name"],
            "domain_id": None if row["domain_id"] == NULL_DOMAIN else row["domain_id"],
            "description": row["description"], "options": row["options"] or {},
            "links": links.entity(ctx, f"roles/{row['id']}")}


def render_brief(ctx: Context, row: Any) -> dict[str, Any]:
    """A prior or implied role inside a role_inference."""
    return {"id": row["id"], "name": row["name"], "links": links.entity(ctx, f"roles/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def get_role(conn: Connection, role_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(roles).where(roles.c.id == role_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find role: {role_id}.")
    return dict(row)


def role_domain(row: dict[str, Any]) -> str | None:
    return None if row["domain_id"] == NULL_DOMAIN else row["domain_id"]


def _check_name(conn: Connection, name: str, domain_id: str | None, exclude: str | None = None) -> None:
    stmt = sa.select(roles.c.id).where(roles.c.name == name, roles.c.domain_id == (domain_id or NULL_DOMAIN))
    if exclude:
        stmt = stmt.where(roles.c.id != exclude)
    if conn.execute(stmt).first():
        where = f" at domain ID {domain_id}" if domain_id else ""
        raise Conflict(f"Conflict occurred attempting to store role - Duplicate entry found with name {name}{where}.")


def _options(current: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(current)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)  # quirk: a null option resets it
        else:
            merged[key] = value
    return merged


def create_role_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    domain_id = spec.get("domain_id")
    if domain_id:
        domains.get_domain(conn, domain_id)
    _check_name(conn, spec["name"], domain_id)
    row = {"id": new_id(), "name": spec["name"], "domain_id": domain_id or NULL_DOMAIN,
           "description": spec.get("description"), "options": _options({}, spec.get("options")),
           "extra": {k: v for k, v in spec.items() if k not in _KNOWN}, "created_at": utcnow()}
    conn.execute(roles.insert().values(**row))
    return row


def update_role_row(conn: Connection, role_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    if changes.get("id") not in (None, role_id):
        raise BadRequest("Cannot change ID")
    current = get_role(conn, role_id)
    if current["options"].get("immutable"):
        opts = changes.get("options") or {}
        if len(changes) > 1 or "immutable" not in opts or opts["immutable"] not in (False, None):
            raise Forbidden(f"Unable to update immutable role resource: `{role_id}. Set resource option "
                            '"immutable" to false first.')
    if "domain_id" in changes and changes["domain_id"] != role_domain(current):
        raise BadRequest("Update of `domain_id` is not allowed.")
    if "name" in changes:
        _check_name(conn, changes["name"], role_domain(current), exclude=role_id)
    values: dict[str, Any] = {k: changes[k] for k in ("name", "description") if k in changes}
    if "options" in changes:
        values["options"] = _options(current["options"], changes["options"])
    extra = {k: v for k, v in changes.items() if k not in _KNOWN}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    conn.execute(roles.update().where(roles.c.id == role_id).values(**values, updated_at=utcnow()))
    return get_role(conn, role_id)


def delete_role_row(conn: Connection, role_id: str) -> None:
    row = get_role(conn, role_id)
    if row["options"].get("immutable"):
        raise Forbidden(f"Unable to delete immutable role resource: `{role_id}. Set resource option "
                        '"immutable" to false first.')
    cleanup.delete_role(conn, role_id)


def _prohibited_implied() -> list[str]:
    try:
        return list(options.get("prohibited_implied_role"))
    except KeyError:
        return ["admin"]  # keystone.conf [assignment] prohibited_implied_role default


def get_rule(conn: Connection, prior_id: str, implied_id: str) -> None:
    found = conn.execute(sa.select(implied_roles).where(implied_roles.c.prior_role_id == prior_id,
                                                        implied_roles.c.implied_role_id == implied_id)).first()
    if found is None:
        raise NotFound(f"{prior_id} does not imply {implied_id}.")


def create_rule(conn: Connection, prior: dict[str, Any], implied: dict[str, Any]) -> None:
    if implied["name"] in _prohibited_implied():
        raise Forbidden(f"{implied['id']} cannot be an implied roles.")
    if role_domain(prior) is None and role_domain(implied) is not None:
        raise Forbidden("Global role cannot imply a domain-specific role")
    try:
        get_rule(conn, prior["id"], implied["id"])
    except NotFound:
        conn.execute(implied_roles.insert().values(prior_role_id=prior["id"], implied_role_id=implied["id"]))
        return
    raise Conflict("Conflict occurred attempting to store implied_role - Duplicate entry.")


def inference_body(ctx: Context, prior: dict[str, Any], implied: list[dict[str, Any]] | dict[str, Any],
                   path: str) -> dict[str, Any]:
    implies = [render_brief(ctx, r) for r in implied] if isinstance(implied, list) else render_brief(ctx, implied)
    return {"role_inference": {"prior_role": render_brief(ctx, prior), "implies": implies},
            "links": {"self": f"{ctx.base_url}/identity/v3/{path}"}}


# --- routes ------------------------------------------------------------------------
def role_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = get_role(conn, rq.params["role_id"])
    return {"target": {"role": {"id": row["id"], "name": row["name"], "domain_id": role_domain(row)}}}


def _authorize(ctx: Context, action: str, target: dict[str, Any]) -> None:
    """keystone's RolesResource/RoleResource: a domain-specific role is guarded by the *_domain_role
    rule instead of the *_role one, so the rule is chosen here, from the role, not in the route row."""
    from pocketstack.services.identity import SERVICE
    role = target.get("target", {}).get("role") or {}
    kind = "domain_role" if role.get("domain_id") else "role"
    SERVICE.policy.enforce(f"identity:{action}_{kind}", target, ctx)


def _authorize_member(ctx: Context, rq: ApiRequest, action: str) -> None:
    _authorize(ctx, action, role_target(ctx, rq))   # a missing role is a 404 before policy


def rule_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        found = {"prior_role": get_role(conn, rq.params["prior_role_id"])}
        if "implied_role_id" in rq.params:
            found["implied_role"] = get_role(conn, rq.params["implied_role_id"])
    rq.target_cache = found
    return {"target": {k: {"id": r["id"], "name": r["name"], "domain_id": role_domain(r)} for k, r in found.items()}}


def list_roles(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    from pocketstack.services.identity import SERVICE
    rule = "identity:list_domain_roles" if rq.query.get("domain_id") else "identity:list_roles"
    SERVICE.policy.enforce(rule, {}, ctx)
    clauses = attribute_filters(roles, rq.query, {"name"})
    clauses.append(roles.c.domain_id == (rq.query.get("domain_id") or NULL_DOMAIN))
    with db.reader() as conn:
        rows = conn.execute(sa.select(roles).where(*clauses).order_by(roles.c.name)).mappings().all()
    return {"roles": [render_role(ctx, r) for r in rows], "links": links.collection(ctx, "roles", str(rq.query))}


def create_role(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _authorize(ctx, "create", {"target": {"role": rq.body["role"]}})
    with db.session() as conn:
        row = create_role_row(conn, rq.body["role"])
    return {"role": render_role(ctx, row)}


def show_role(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _authorize_member(ctx, rq, "get")
    with db.reader() as conn:
        return {"role": render_role(ctx, get_role(conn, rq.params["role_id"]))}


def update_role(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _authorize_member(ctx, rq, "update")
    with db.session() as conn:
        return {"role": render_role(ctx, update_role_row(conn, rq.params["role_id"], rq.body["role"]))}


def delete_role(ctx: Context, rq: ApiRequest) -> None:
    _authorize_member(ctx, rq, "delete")
    with db.session() as conn:
        delete_role_row(conn, rq.params["role_id"])


def list_implied(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    prior = rq.target_cache["prior_role"]
    with db.reader() as conn:
        ids = conn.execute(sa.select(implied_roles.c.implied_role_id)
                           .where(implied_roles.c.prior_role_id == prior["id"])).scalars().all()
        rows = conn.execute(sa.select(roles).where(roles.c.id.in_(ids)).order_by(roles.c.name)).mappings().all()
    return inference_body(ctx, prior, list(rows), f"roles/{prior['id']}/implies")


def show_implied(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    prior, implied = rq.target_cache["prior_role"], rq.target_cache["implied_role"]
    with db.reader() as conn:
        get_rule(conn, prior["id"], implied["id"])
    return inference_body(ctx, prior, implied, f"roles/{prior['id']}/implies/{implied['id']}")


def check_implied(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        get_rule(conn, rq.params["prior_role_id"], rq.params["implied_role_id"])


def create_implied(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    prior, implied = rq.target_cache["prior_role"], rq.target_cache["implied_role"]
    with db.session() as conn:
        create_rule(conn, prior, implied)
    return inference_body(ctx, prior, implied, f"roles/{prior['id']}/implies/{implied['id']}")


def delete_implied(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_rule(conn, rq.params["prior_role_id"], rq.params["implied_role_id"])
        conn.execute(implied_roles.delete().where(implied_roles.c.prior_role_id == rq.params["prior_role_id"],
                                                  implied_roles.c.implied_role_id == rq.params["implied_role_id"]))


def list_inferences(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        by_id = {r["id"]: r for r in conn.execute(sa.select(roles)).mappings()}
        rules = conn.execute(sa.select(implied_roles)).mappings().all()
    grouped: dict[str, list[Any]] = {}
    for rule in rules:
        grouped.setdefault(rule["prior_role_id"], []).append(by_id[rule["implied_role_id"]])
    return {"role_inferences": [{"prior_role": render_brief(ctx, by_id[p]),
                                 "implies": [render_brief(ctx, r) for r in implied]}
                                for p, implied in grouped.items()]}


# checked in the handlers (a resource the caller may not see is concealed as 404)
CREATE_ROLE_RULES = in_handler("identity:create_role", "identity:create_domain_role")
UPDATE_ROLE_RULES = in_handler("identity:update_role", "identity:update_domain_role")
DELETE_ROLE_RULES = in_handler("identity:delete_role", "identity:delete_domain_role")
R = "/v3/roles/{role_id}"
I = "/v3/roles/{prior_role_id}/implies"
ROUTES = [
    # in_handler: the handlers pick identity:*_role or identity:*_domain_role (see _authorize)
    route("GET", "/v3/roles", list_roles, policy=in_handler("identity:list_roles", "identity:list_domain_roles")),
    route("POST", "/v3/roles", create_role, policy=CREATE_ROLE_RULES, body=CREATE, status=201),
    route("GET", R, show_role, policy=in_handler("identity:get_role", "identity:get_domain_role")),
    route("PATCH", R, update_role, policy=UPDATE_ROLE_RULES, body=UPDATE),
    route("DELETE", R, delete_role, policy=DELETE_ROLE_RULES, status=204),
    route("GET", I, list_implied, policy="identity:list_implied_roles", target=rule_target),
    route("GET", I + "/{implied_role_id}", show_implied, policy="identity:get_implied_role", target=rule_target),
    # quirk: HEAD answers 204, not GET's 200 (keystone keeps it for API compatibility)
    route("HEAD", I + "/{implied_role_id}", check_implied, policy="identity:check_implied_role",
          target=rule_target, status=204),
    route("PUT", I + "/{implied_role_id}", create_implied, policy="identity:create_implied_role",
          target=rule_target, status=201),
    route("DELETE", I + "/{implied_role_id}", delete_implied, policy="identity:delete_implied_role",
          target=rule_target, status=204),
    route("GET", "/v3/role_inferences", list_inferences, policy="identity:list_role_inference_rules"),
]
