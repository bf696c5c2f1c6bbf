"""Trusts: /v3/OS-TRUST/trusts (api-ref: identity, OS-TRUST). Trust-scoped tokens live in trust_auth.py."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import effective, links, tokens, trust_auth
from pocketstack.services.identity.application_credentials import parse_expiry, render_role
from pocketstack.services.identity.credentials import PRIMARY_METHODS
from pocketstack.services.identity.tables import NULL_DOMAIN, projects, roles, trust_roles, trusts, users

MAX_REDELEGATION_COUNT = 3
COLUMNS = ("id", "trustor_user_id", "trustee_user_id", "project_id", "impersonation", "remaining_uses",
           "redelegated_trust_id", "redelegation_count")
FORBIDDEN = "You are not authorized to perform the requested action: {}."

# --- schemas -------------------------------------------------------------------
ROLE_REF = {"type": "object", "properties": {"id": schemas.id_string, "name": schemas.name},
            "minProperties": 1, "maxProperties": 1, "additionalProperties": False}
CREATE = {**schemas.wrap("trust", schemas.obj({
    "trustor_user_id": {"type": "string"}, "trustee_user_id": {"type": "string"},
    "impersonation": {"type": "boolean"}, "project_id": {"type": ["string", "null"]},
    "remaining_uses": {"type": ["integer", "null"], "minimum": 1},
    "expires_at": {"type": ["null", "string"]}, "allow_redelegation": {"type": ["boolean", "null"]},
    "redelegation_count": {"type": ["integer", "null"], "minimum": 0},
    "roles": {"type": "array", "items": ROLE_REF}}, ["trustor_user_id", "trustee_user_id", "impersonation"])),
    "additionalProperties": False}


# --- views -----------------------------------------------------------------------
def render_trust_role(ctx: Context, row: Any) -> dict[str, Any]:
    return {**render_role(ctx, row), "links": links.entity(ctx, f"roles/{row['id']}")}


def render_trust(conn: Connection, ctx: Context, row: Any, *, with_roles: bool = True) -> dict[str, Any]:
    body = {**(row["extra"] or {}), **{k: row[k] for k in COLUMNS},
            "expires_at": isotime(row["expires_at"], subsecond=True),
            "deleted_at": isotime(row["deleted_at"], subsecond=True),
            "links": links.entity(ctx, f"OS-TRUST/trusts/{row['id']}")}
    if with_roles:
        body["roles"] = [render_trust_role(ctx, r) for r in trust_role_rows(conn, row["id"])]
        body["roles_links"] = links.collection(ctx, f"OS-TRUST/trusts/{row['id']}/roles")
    return body


# --- logic ------------------------------------------------------------------------
def trust_role_rows(conn: Connection, trust_id: str) -> list[Any]:
    return list(conn.execute(sa.select(roles).join(trust_roles, trust_roles.c.role_id == roles.c.id).where(
        trust_roles.c.trust_id == trust_id).order_by(roles.c.name)).mappings())


def get_trust(conn: Connection, trust_id: str) -> dict[str, Any]:
    """A usable trust: not deleted, not expired, uses left; else keystone's 404."""
    row = trust_auth.live_trust(conn, trust_id)
    if row is None or (row["remaining_uses"] is not None and row["remaining_uses"] <= 0):
        raise NotFound(f"Could not find trust: {trust_id}.")
    return row


def block_delegated(ctx: Context) -> None:
    """Application-credential (and other delegated-method) tokens may not touch trusts; trust tokens may."""
    if not ctx.auth_methods or not set(ctx.auth_methods) <= PRIMARY_METHODS:
        raise Forbidden(FORBIDDEN.format("Delegated tokens cannot manage trusts"))


def _role_ids(conn: Connection, refs: list[dict[str, str]]) -> list[str]:
    out = []
    for ref in refs:
        cond = roles.c.id == ref["id"] if "id" in ref else sa.and_(roles.c.name == ref["name"],
                                                                    roles.c.domain_id == NULL_DOMAIN)
        found = conn.execute(sa.select(roles.c.id).where(cond)).scalar()
        if found is None:
            raise NotFound(f"Could not find role: {ref.get('id') or ref.get('name')}.")
        out.append(found)
    return list(dict.fromkeys(out))


def _check_trustor_roles(conn: Connection, trustor_id: str, project_id: str | None, role_ids: list[str]) -> None:
    held: set[str] = set()
    if project_id:
        if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
            raise NotFound(f"Could not find project: {project_id}.")
        actors = [trustor_id, *effective.group_ids(conn, trustor_id)]
        held = effective.expand_implied(conn, effective.direct_role_ids(conn, actors, project_id=project_id))
    for role_id in role_ids:
        if role_id not in held:
            raise NotFound(f"Could not find role: {role_id}.")


def _redelegation(conn: Connection, spec: dict[str, Any], parent: dict[str, Any] | None) -> None:
    """keystone's redelegation rules: fills spec's redelegation_count and maybe expires_at."""
    requested = spec.get("redelegation_count")
    redelegatable = bool(spec.get("allow_redelegation")) and requested != 0
    if not redelegatable:
        spec["redelegation_count"] = requested = 0
    elif requested and requested > MAX_REDELEGATION_COUNT:
        raise Forbidden(f"Requested redelegation depth of {requested} is greater than allowed "
                        f"{MAX_REDELEGATION_COUNT}")
    elif spec.get("remaining_uses") is not None:
        raise BadRequest("remaining_uses must not be set if redelegation is allowed")
    if parent is not None:
        remaining = (parent["redelegation_count"] or 0) - 1
        if redelegatable and requested and requested != remaining:
            raise Forbidden('Modifying "redelegation_count" upon redelegation is forbidden. Omitting this '
                            'parameter is advised.')
        if spec.get("redelegation_count") is None:
            spec["redelegation_count"] = remaining
        spec["redelegated_trust_id"] = parent["id"]
        for ancestor in trust_auth.pedigree(conn, parent):
            _validate_redelegation(conn, ancestor, spec)
    if spec.get("redelegation_count") is None:
        spec["redelegation_count"] = MAX_REDELEGATION_COUNT


def _validate_redelegation(conn: Connection, parent: dict[str, Any], spec: dict[str, Any]) -> None:
    depth = parent["redelegation_count"] or 0
    if not 0 < depth <= MAX_REDELEGATION_COUNT:
        raise Forbidden(f"Remaining redelegation depth of {depth} out of allowed range of "
                        f"[0..{MAX_REDELEGATION_COUNT}]")
    if spec.get("remaining_uses") is not None:
        raise Forbidden(f'Field "remaining_uses" is set to {spec["remaining_uses"]} while it must not be set '
                        "in order to redelegate a trust")
    if spec.get("expires_at") is None:
        spec["expires_at"] = parent["expires_at"]
    elif parent["expires_at"] is not None and parent["expires_at"] < spec["expires_at"]:
        raise Forbidden("Requested expiration time is more than redelegated trust can provide")
    parent_roles = {r["id"] for r in trust_role_rows(conn, parent["id"])}
    if not set(spec["role_ids"]) <= parent_roles:
        raise Forbidden("Some of requested roles are not in redelegated trust")
    if spec["impersonation"] and not parent["impersonation"]:
        raise Forbidden("Impersonation is not allowed because redelegated trust does not specify "
                        f"impersonation. Redelegated trust id: {parent['id']}")


def create_trust_row(conn: Connection, ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    if spec.get("project_id") and not spec.get("roles"):
        raise Forbidden(FORBIDDEN.format("At least one role should be specified"))
    if ctx.user_id != spec["trustor_user_id"]:
        raise Forbidden(FORBIDDEN.format("The authenticated user should match the trustor"))
    if conn.execute(sa.select(users.c.id).where(users.c.id == spec["trustee_user_id"])).first() is None:
        raise NotFound(f"Could not find user: {spec['trustee_user_id']}.")
    spec["role_ids"] = _role_ids(conn, spec.get("roles") or [])
    parent = get_trust(conn, ctx.trust_id) if ctx.trust_id else None
    trustor = trust_auth.original_trustor(conn, parent) if parent else spec["trustor_user_id"]
    _check_trustor_roles(conn, trustor, spec.get("project_id"), spec["role_ids"])
    spec["expires_at"] = parse_expiry(spec.get("expires_at"))
    _redelegation(conn, spec, parent)
    _check_duplicate(conn, spec)
    known = {*COLUMNS, "expires_at", "roles", "role_ids", "allow_redelegation"}
    row = {**{k: spec.get(k) for k in COLUMNS}, "id": new_id(), "expires_at": spec["expires_at"],
           "deleted_at": None, "extra": {k: v for k, v in spec.items() if k not in known}, "created_at": utcnow()}
    conn.execute(trusts.insert().values(**row))
    for role_id in spec["role_ids"]:
        conn.execute(trust_roles.insert().values(trust_id=row["id"], role_id=role_id))
    return row


def _check_duplicate(conn: Connection, spec: dict[str, Any]) -> None:
    """Keystone's unique constraint over trustor, trustee, project, impersonation and expiry. As in
    SQL, a NULL never equals another: trusts without a project or without an expiry never collide,
    so Heat can hold one trust per stack."""
    if spec.get("project_id") is None or spec.get("expires_at") is None:
        return
    t = trusts.c
    if conn.execute(sa.select(t.id).where(
            t.trustor_user_id == spec["trustor_user_id"], t.trustee_user_id == spec["trustee_user_id"],
            t.impersonation.is_(bool(spec["impersonation"])), t.project_id == spec["project_id"],
            t.expires_at == spec["expires_at"], t.deleted_at.is_(None))).first():
        raise Conflict("Conflict occurred attempting to store trust - Duplicate entry.")


def delete_trust_tree(conn: Connection, trust_id: str) -> None:
    """Soft-delete the trust and every trust redelegated from it; their tokens go with them."""
    for child in conn.execute(sa.select(trusts.c.id).where(trusts.c.redelegated_trust_id == trust_id,
                                                           trusts.c.deleted_at.is_(None))).scalars().all():
        delete_trust_tree(conn, child)
    conn.execute(trusts.update().where(trusts.c.id == trust_id).values(deleted_at=utcnow()))
    tokens.revoke(conn, trust_id=trust_id)


# --- routes ------------------------------------------------------------------------
def trust_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = get_trust(conn, rq.params["trust_id"])
    return {"target": {"trust": {k: row[k] for k in COLUMNS}}}


def _create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = rq.body.get("trust") if isinstance(rq.body, dict) else None
    return {"target": {"trust": spec if isinstance(spec, dict) else {}}}


def _list_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    keys = ("trustor_user_id", "trustee_user_id")
    return {"target": {"trust": {k: rq.query[k] for k in keys if rq.query.get(k)}}}


def _list_rule(rq: ApiRequest) -> str:
    if rq.query.get("trustor_user_id"):
        return "identity:list_trusts_for_trustor"
    return "identity:list_trusts_for_trustee" if rq.query.get("trustee_user_id") else "identity:list_trusts"


def list_trusts(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    from pocketstack.services.identity import SERVICE
    SERVICE.policy.enforce(_list_rule(rq), _list_target(ctx, rq), ctx)
    block_delegated(ctx)
    stmt = sa.select(trusts).where(trusts.c.deleted_at.is_(None)).order_by(trusts.c.created_at)
    key = next((k for k in ("trustor_user_id", "trustee_user_id") if rq.query.get(k)), None)
    if key:
        stmt = stmt.where(trusts.c[key] == rq.query[key])
    with db.reader() as conn:
        body = [render_trust(conn, ctx, r, with_roles=False) for r in conn.execute(stmt).mappings().all()]
    return {"trusts": body, "links": links.collection(ctx, "OS-TRUST/trusts", str(rq.query))}


def create_trust(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    with db.session() as conn:
        row = create_trust_row(conn, ctx, rq.body["trust"])
        return {"trust": render_trust(conn, ctx, row)}


def show_trust(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    with db.reader() as conn:
        return {"trust": render_trust(conn, ctx, get_trust(conn, rq.params["trust_id"]))}


def delete_trust(ctx: Context, rq: ApiRequest) -> None:
    block_delegated(ctx)
    with db.session() as conn:
        delete_trust_tree(conn, get_trust(conn, rq.params["trust_id"])["id"])


def list_trust_roles(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    with db.reader() as conn:
        rows = trust_role_rows(conn, get_trust(conn, rq.params["trust_id"])["id"])
    return {"roles": [render_trust_role(ctx, r) for r in rows],
            "links": links.collection(ctx, f"OS-TRUST/trusts/{rq.params['trust_id']}/roles")}


def show_trust_role(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    with db.reader() as conn:
        rows = trust_role_rows(conn, get_trust(conn, rq.params["trust_id"])["id"])
    found = next((r for r in rows if r["id"] == rq.params["role_id"]), None)
    if found is None:
        raise NotFound(f"Could not find role: {rq.params['role_id']}.")
    return {"role": render_trust_role(ctx, found)}


# checked in the handlers (a resource the caller may not see is concealed as 404)
LIST_TRUSTS_RULES = in_handler(
    "identity:list_trusts", "identity:list_trusts_for_trustee", "identity:list_trusts_for_trustor")
T = "/v3/OS-TRUST/trusts"
ROUTES = [
    # list: the rule depends on the query (trustor / trustee / all), so the handler enforces it
    route("GET", T, list_trusts, policy=LIST_TRUSTS_RULES),
    route("POST", T, create_trust, policy="identity:create_trust", body=CREATE, status=201,
          target=_create_target),
    route("GET", T + "/{trust_id}", show_trust, policy="identity:get_trust", target=trust_target),
    route("DELETE", T + "/{trust_id}", delete_trust, policy="identity:delete_trust", target=trust_target,
          status=204),
    route("GET", T + "/{trust_id}/roles", list_trust_roles, policy="identity:list_roles_for_trust",
          target=trust_target),
    route("GET", T + "/{trust_id}/roles/{role_id}", show_trust_role, policy="identity:get_role_for_trust",
          target=trust_target),
]
