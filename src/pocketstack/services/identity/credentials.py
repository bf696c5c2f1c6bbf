"""Credentials: /v3/credentials (api-ref: identity, Credentials). Blobs are Fernet-encrypted at rest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links, tokens
from pocketstack.services.identity.tables import credentials

PRIMARY_METHODS = {"password", "token", "totp", "external", "kerberos", "mapped", "openid", "saml2", "x509"}
SCOPED_BLOB_KEYS = ("trust_id", "app_cred_id", "access_token_id", "access_id")
KNOWN = {"id", "user_id", "project_id", "type", "blob", "links"}
MALFORMED = ("The server could not comply with the request since it is either malformed or otherwise "
             "incorrect. The client is assumed to be in error.")

# --- schemas -------------------------------------------------------------------
_PROPS = {"blob": {"type": "string"}, "project_id": {"type": ["string", "null"]}, "type": {"type": "string"},
          "user_id": {"type": "string"}}
CREATE = schemas.wrap("credential", {
    **schemas.obj({"id": {"type": "string"}, **_PROPS}, ["blob", "type", "user_id"]),
    "if": {"properties": {"type": {"const": "ec2"}}, "required": ["type"]},
    "then": {"required": ["blob", "type", "user_id", "project_id"]}})
# quirk: keystone accepts only `blob`; we also take unchanged user_id/type/project_id, which
# `openstack credential set` always sends.
UPDATE = schemas.wrap("credential", schemas.obj(_PROPS, minProperties=1, additional=False))


# --- views -----------------------------------------------------------------------
def render_credential(ctx: Context, row: Any) -> dict[str, Any]:
    return {**(row["extra"] or {}), "id": row["id"], "user_id": row["user_id"], "project_id": row["project_id"],
            "type": row["type"], "blob": decrypt(row["encrypted_blob"]),
            "links": links.entity(ctx, f"credentials/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def delegated(ctx: Context) -> bool:
    """A token from a delegated credential (trust, application credential, ...)."""
    return bool(ctx.trust_id) or not ctx.auth_methods or not set(ctx.auth_methods) <= PRIMARY_METHODS


def require_primary_auth(ctx: Context) -> None:
    if delegated(ctx):
        raise Forbidden("You are not authorized to perform the requested action: Delegated tokens cannot "
                        "access credentials directly.")


def encrypt(blob: str) -> str:
    return tokens.fernet("credential").encrypt(blob.encode()).decode()


def decrypt(encrypted: str) -> str:
    return tokens.fernet("credential").decrypt(encrypted.encode()).decode()


def access_hash(access: str) -> str:
    return hashlib.sha256(access.encode("utf8")).hexdigest()


def parse_ec2_blob(blob: str) -> dict[str, Any]:
    try:
        parsed = json.loads(blob)
    except ValueError:
        raise BadRequest("Invalid blob in credential") from None
    if not parsed or not isinstance(parsed, dict):
        raise BadRequest(f"Expecting to find blob in credential. {MALFORMED}")
    if parsed.get("access") is None:
        raise BadRequest(f"Expecting to find access in credential. {MALFORMED}")
    return parsed


def get_credential(conn: Connection, credential_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(credentials).where(credentials.c.id == credential_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find credential: {credential_id}.")
    return dict(row)


def insert_credential(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    if conn.execute(sa.select(credentials.c.id).where(credentials.c.id == spec["id"])).first():
        raise Conflict("Conflict occurred attempting to store credential - Duplicate entry found with ID "
                       f"{spec['id']}.")
    row = {"id": spec["id"], "user_id": spec["user_id"], "project_id": spec.get("project_id"),
           "type": spec["type"], "encrypted_blob": encrypt(spec["blob"]),
           "extra": {k: v for k, v in spec.items() if k not in KNOWN}, "created_at": utcnow()}
    conn.execute(credentials.insert().values(**row))
    return row


def new_credential(ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    if spec["type"].lower() == "ec2":
        blob = parse_ec2_blob(spec["blob"])
        spec["id"] = access_hash(blob["access"])
        if ctx.trust_id or ctx.application_credential_id:
            blob.update({k: v for k, v in (("trust_id", ctx.trust_id),
                                           ("app_cred_id", ctx.application_credential_id)) if v})
            spec["blob"] = json.dumps(blob)
    else:
        spec["id"] = new_id()
    with db.session() as conn:
        return insert_credential(conn, spec)


def update_credential_row(conn: Connection, current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key in ("user_id", "type", "project_id"):
        if key in changes and changes[key] != current[key]:
            raise BadRequest(f"{key} can not be updated for credential")
    values: dict[str, Any] = {"updated_at": utcnow()}
    if "blob" in changes:
        if current["type"].lower() == "ec2":
            new_blob, old_blob = parse_ec2_blob(changes["blob"]), json.loads(decrypt(current["encrypted_blob"]))
            for key in SCOPED_BLOB_KEYS:
                if old_blob.get(key) != new_blob.get(key):
                    raise BadRequest(f"{key} can not be updated for credential")
        values["encrypted_blob"] = encrypt(changes["blob"])
    conn.execute(credentials.update().where(credentials.c.id == current["id"]).values(**values))
    return get_credential(conn, current["id"])


def visible(ctx: Context, row: Any) -> bool:
    from pocketstack.services.identity import SERVICE
    target = {"target": {"credential": {"user_id": row["user_id"], "project_id": row["project_id"]}}}
    return SERVICE.policy.check("identity:get_credential", target, ctx) and not delegated(ctx)


# --- routes ------------------------------------------------------------------------
def _target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(credentials.c.user_id, credentials.c.project_id).where(
            credentials.c.id == rq.params["credential_id"])).mappings().first()
    return {"target": {"credential": dict(row)}} if row else {}


def _create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = rq.body.get("credential") if isinstance(rq.body, dict) else None
    return {"target": {"credential": spec if isinstance(spec, dict) else {}}}


def _list_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {} if ctx.system_scope else {"target": {"credential": {"user_id": ctx.user_id}}}


def list_credentials(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(credentials).order_by(credentials.c.created_at)
    for key in ("user_id", "type"):
        if rq.query.get(key):
            stmt = stmt.where(credentials.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"credentials": [render_credential(ctx, r) for r in rows if visible(ctx, r)],
            "links": links.collection(ctx, "credentials", str(rq.query))}


def create_credential(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    require_primary_auth(ctx)
    return {"credential": render_credential(ctx, new_credential(ctx, rq.body["credential"]))}


def show_credential(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = get_credential(conn, rq.params["credential_id"])
    require_primary_auth(ctx)
    return {"credential": render_credential(ctx, row)}


def update_credential(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        current = get_credential(conn, rq.params["credential_id"])
        require_primary_auth(ctx)
        return {"credential": render_credential(ctx, update_credential_row(conn, current, rq.body["credential"]))}


def delete_credential(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_credential(conn, rq.params["credential_id"])
        require_primary_auth(ctx)
        conn.execute(credentials.delete().where(credentials.c.id == rq.params["credential_id"]))


C = "/v3/credentials/{credential_id}"
ROUTES = [
    route("GET", "/v3/credentials", list_credentials, policy="identity:list_credentials", target=_list_target),
    route("POST", "/v3/credentials", create_credential, policy="identity:create_credential", body=CREATE,
          target=_create_target, status=201),
    route("GET", C, show_credential, policy="identity:get_credential", target=_target),
    route("PATCH", C, update_credential, policy="identity:update_credential", body=UPDATE, target=_target),
    route("DELETE", C, delete_credential, policy="identity:delete_credential", target=_target, status=204),
]
