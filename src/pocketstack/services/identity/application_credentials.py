"""Application credentials: /v3/users/{user_id}/application_credentials (api-ref: identity, Application credentials)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import access_rules as rules
from pocketstack.services.identity import cleanup, effective, links, passwords
from pocketstack.services.identity.tables import NULL_DOMAIN, app_cred_roles, app_creds, roles

MALFORMED = ("The server could not comply with the request since it is either malformed or otherwise "
             "incorrect. The client is assumed to be in error.")

# --- schemas -------------------------------------------------------------------
ROLE_REF = {"type": "object", "properties": {"id": schemas.id_string, "name": schemas.name},
            "minProperties": 1, "maxProperties": 1, "additionalProperties": False}
CREATE = schemas.wrap("application_credential", schemas.obj({
    "id": {"type": "string"}, "name": schemas.name, "secret": {"type": ["string", "null"]},
    "description": {"type": ["string", "null"]}, "expires_at": {"type": ["string", "null"]},
    "project_id": {"type": "string"}, "unrestricted": {"type": ["boolean", "null"]},
    "system": {"type": ["string", "null"]}, "roles": {"type": "array", "items": ROLE_REF},
    "access_rules": {"type": "array", "items": rules.RULE}}, ["name"], additional=False))


# --- views -----------------------------------------------------------------------
def render_time(value: dt.datetime | None) -> str | None:
    """oslo.serialization's datetime form, which keystone returns here: no zone suffix."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def render_role(ctx: Context, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"],
            "domain_id": None if row["domain_id"] == NULL_DOMAIN else row["domain_id"],
            "description": row["description"], "options": row["options"] or {}}


def render_app_cred(conn: Connection, ctx: Context, row: Any, secret: str | None = None) -> dict[str, Any]:
    role_rows = conn.execute(sa.select(roles).join(app_cred_roles, app_cred_roles.c.role_id == roles.c.id).where(
        app_cred_roles.c.application_credential_id == row["id"]).order_by(roles.c.name)).mappings()
    body = {"id": row["id"], "name": row["name"], "description": row["description"], "user_id": row["user_id"],
            "project_id": row["project_id"], "system": row["system"], "expires_at": render_time(row["expires_at"]),
            "unrestricted": row["unrestricted"], "roles": [render_role(ctx, r) for r in role_rows],
            "links": links.entity(ctx, f"users/{row['user_id']}/application_credentials/{row['id']}")}
    found = rules.rules_for(conn, row["id"])
    if found:
        body["access_rules"] = found
    if secret is not None:
        body["secret"] = secret
    return body


# --- logic ------------------------------------------------------------------------
def require_unrestricted(ctx: Context) -> None:
    if "application_credential" in ctx.auth_methods and \
            (ctx.token_data.get("application_credential") or {}).get("restricted", True):
        raise Forbidden("You are not authorized to perform the requested action: Using method "
                        "'application_credential' is not allowed for managing additional application credentials.")


def parse_expiry(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = parse_isotime(value)
    except ValueError:
        raise BadRequest(f"Timestamp not in expected format. {MALFORMED}") from None
    if when < utcnow():
        raise BadRequest(f"The 'expires_at' must not be before now. {MALFORMED}")
    return when


def resolve_roles(conn: Connection, ctx: Context, refs: list[dict[str, str]] | None) -> set[str]:
    """The credential's roles: the named ones plus what they imply, all held by the token; or the token's."""
    if not refs:
        return set(ctx.role_ids)
    ids = set()
    for ref in refs:
        if "id" in ref:
            ids.add(ref["id"])
            continue
        found = conn.execute(sa.select(roles.c.id).where(roles.c.name == ref["name"],
                                                         roles.c.domain_id == NULL_DOMAIN)).scalar()
        if found is None:
            raise NotFound(f"Could not find role: {ref['name']}.")
        ids.add(found)
    ids = effective.expand_implied(conn, ids)
    if not ids <= set(ctx.role_ids):
        raise BadRequest("Invalid application credential: Cannot create an application credential with "
                         "unassigned role")
    return ids


def create_app_cred(conn: Connection, ctx: Context, user_id: str, spec: dict[str, Any]) -> tuple[dict, str]:
    if ctx.project_id is None:
        raise Forbidden("You are not authorized to perform the requested action: Application credentials "
                        "must be created with a project-scoped token.")
    role_ids = resolve_roles(conn, ctx, spec.get("roles"))
    held = {r["id"] for r in effective.user_roles(conn, user_id, project_id=ctx.project_id)}
    missing = sorted(role_ids - held)
    if missing:
        raise BadRequest(f"Invalid application credential: Could not find role assignment with role: "
                         f"{missing[0]}, user or group: {user_id}, project, domain, or system: {ctx.project_id}.")
    if conn.execute(sa.select(app_creds.c.id).where(app_creds.c.user_id == user_id,
                                                    app_creds.c.name == spec["name"])).first():
        raise Conflict("Conflict occurred attempting to store application_credential - Duplicate entry found "
                       f"with name {spec['name']}.")
    secret = spec.get("secret") or base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    row = {"id": new_id(), "name": spec["name"], "secret_hash": passwords.hash_password(secret),
           "description": spec.get("description"), "user_id": user_id, "project_id": ctx.project_id,
           "system": None, "expires_at": parse_expiry(spec.get("expires_at")),
           "unrestricted": bool(spec.get("unrestricted")), "created_at": utcnow()}
    conn.execute(app_creds.insert().values(**row))
    for role_id in sorted(role_ids):
        conn.execute(app_cred_roles.insert().values(application_credential_id=row["id"], role_id=role_id))
    rules.attach(conn, user_id, row["id"], spec.get("access_rules") or [])
    return row, secret


def get_app_cred(conn: Connection, app_cred_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(app_creds).where(app_creds.c.id == app_cred_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find Application Credential: {app_cred_id}.")
    return dict(row)


# --- routes ------------------------------------------------------------------------
def _owner_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """rule:owner compares with the credential's owner, not the path's (keystone closes that hole too)."""
    with db.reader() as conn:
        owner = conn.execute(sa.select(app_creds.c.user_id).where(
            app_creds.c.id == rq.params["application_credential_id"])).scalar()
    return {"user_id": owner or rq.params["user_id"]}


def list_app_creds(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    rules.block_delegated(ctx)
    stmt = sa.select(app_creds).where(app_creds.c.user_id == rq.params["user_id"]).order_by(app_creds.c.name)
    if rq.query.get("name"):
        stmt = stmt.where(app_creds.c.name == rq.query["name"])
    with db.reader() as conn:
        body = [render_app_cred(conn, ctx, r) for r in conn.execute(stmt).mappings().all()]
    return {"application_credentials": body,
            "links": links.collection(ctx, f"users/{rq.params['user_id']}/application_credentials", str(rq.query))}


def create_application_credential(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    rules.block_delegated(ctx)
    require_unrestricted(ctx)
    if ctx.user_id != rq.params["user_id"]:
        raise Forbidden("You are not authorized to perform the requested action: Cannot create an application "
                        "credential for another user.")
    with db.session() as conn:
        row, secret = create_app_cred(conn, ctx, rq.params["user_id"], rq.body["application_credential"])
        return {"application_credential": render_app_cred(conn, ctx, row, secret)}


def show_app_cred(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    rules.block_delegated(ctx)
    with db.reader() as conn:
        row = get_app_cred(conn, rq.params["application_credential_id"])
        return {"application_credential": render_app_cred(conn, ctx, row)}


def delete_app_cred(ctx: Context, rq: ApiRequest) -> None:
    rules.block_delegated(ctx)
    require_unrestricted(ctx)
    with db.session() as conn:
        row = get_app_cred(conn, rq.params["application_credential_id"])
        cleanup.delete_app_creds(conn, [row["id"]])


A = "/v3/users/{user_id}/application_credentials"
ROUTES = [
    route("GET", A, list_app_creds, policy="identity:list_application_credentials",
          target=lambda ctx, rq: {"user_id": rq.params["user_id"]}),
    route("POST", A, create_application_credential, policy="identity:create_application_credential", body=CREATE,
          target=lambda ctx, rq: {"user_id": rq.params["user_id"]}, status=201),
    route("GET", A + "/{application_credential_id}", show_app_cred, policy="identity:get_application_credential",
          target=_owner_target),
    route("DELETE", A + "/{application_credential_id}", delete_app_cred,
          policy="identity:delete_application_credential", target=_owner_target, status=204),
]
