"""Access rules: /v3/users/{user_id}/access_rules (api-ref: identity, Application credentials: access rules).

Rules are stored and shown here; keystonemiddleware enforces them on the services.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.app_cred_auth import rules_for
from pocketstack.services.identity.credentials import delegated
from pocketstack.services.identity.tables import access_rules, app_cred_access_rules, users

# --- schemas -------------------------------------------------------------------
_PROPS = {"path": {"type": "string", "minLength": 0, "maxLength": 225, "pattern": r"^/"},
          "service": schemas.id_string,
          "method": {"type": "string", "enum": ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"]}}
RULE = {"type": "object", "properties": {"id": schemas.id_string, **_PROPS}}


# --- views -----------------------------------------------------------------------
def render_rule(ctx: Context, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "service": row["service"], "path": row["path"], "method": row["method"],
            "links": links.entity(ctx, f"users/{row['user_id']}/access_rules/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def block_delegated(ctx: Context) -> None:
    """Trust-scoped tokens may not manage application credentials or access rules (an app cred token may)."""
    if "application_credential" not in ctx.auth_methods and delegated(ctx):
        raise Forbidden("Cannot manage application credentials with a token issued via delegation.")


def get_rule(conn: Connection, rule_id: str, user_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(access_rules).where(access_rules.c.id == rule_id,
                                                     access_rules.c.user_id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find Access Rule: {rule_id}.")
    return dict(row)


def _find_or_make(conn: Connection, user_id: str, spec: dict[str, Any]) -> str:
    """By id if it exists (and is the user's), else an identical rule of the user's, else a new one."""
    if spec.get("id"):
        owner = conn.execute(sa.select(access_rules.c.user_id).where(access_rules.c.id == spec["id"])).scalar()
        if owner is not None:
            if owner != user_id:
                raise NotFound(f"Could not find Access Rule: {spec['id']}.")
            return spec["id"]
    if not all(spec.get(k) is not None for k in ("service", "path", "method")):
        raise NotFound(f"Could not find Access Rule: {spec.get('id')}.")
    same = conn.execute(sa.select(access_rules.c.id).where(
        access_rules.c.user_id == user_id, access_rules.c.service == spec["service"],
        access_rules.c.path == spec["path"], access_rules.c.method == spec["method"])).scalar()
    if same is not None:
        return same
    rule_id = spec.get("id") or new_id()
    conn.execute(access_rules.insert().values(id=rule_id, user_id=user_id, service=spec["service"],
                                              path=spec["path"], method=spec["method"]))
    return rule_id


def attach(conn: Connection, user_id: str, app_cred_id: str, specs: list[dict[str, Any]]) -> None:
    for rule_id in dict.fromkeys(_find_or_make(conn, user_id, spec) for spec in specs):
        conn.execute(app_cred_access_rules.insert().values(application_credential_id=app_cred_id,
                                                           access_rule_id=rule_id))


# --- routes ------------------------------------------------------------------------
def user_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.domain_id).where(
            users.c.id == rq.params["user_id"])).mappings().first()
    return {"target": {"user": dict(row)}} if row else {}


def list_rules(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    stmt = sa.select(access_rules).where(access_rules.c.user_id == rq.params["user_id"]).order_by(access_rules.c.id)
    for key in ("service", "path", "method"):
        if rq.query.get(key):
            stmt = stmt.where(access_rules.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"access_rules": [render_rule(ctx, r) for r in rows],
            "links": links.collection(ctx, f"users/{rq.params['user_id']}/access_rules", str(rq.query))}


def show_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    block_delegated(ctx)
    with db.reader() as conn:
        return {"access_rule": render_rule(ctx, get_rule(conn, rq.params["access_rule_id"], rq.params["user_id"]))}


def delete_rule(ctx: Context, rq: ApiRequest) -> None:
    block_delegated(ctx)
    with db.session() as conn:
        row = get_rule(conn, rq.params["access_rule_id"], rq.params["user_id"])
        if conn.execute(sa.select(app_cred_access_rules.c.access_rule_id).where(
                app_cred_access_rules.c.access_rule_id == row["id"])).first():
            raise Forbidden("May not delete access rule in use")
        conn.execute(access_rules.delete().where(access_rules.c.id == row["id"]))


R = "/v3/users/{user_id}/access_rules"
ROUTES = [
    route("GET", R, list_rules, policy="identity:list_access_rules", target=user_target),
    route("GET", R + "/{access_rule_id}", show_rule, policy="identity:get_access_rule", target=user_target),
    route("DELETE", R + "/{access_rule_id}", delete_rule, policy="identity:delete_access_rule", target=user_target,
          status=204),
]

__all__ = ["ROUTES", "RULE", "attach", "block_delegated", "rules_for", "render_rule"]
