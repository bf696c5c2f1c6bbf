"""EC2 credentials: /v3/users/{user_id}/credentials/OS-EC2 (api-ref: identity, OS-EC2 credentials).

Stored in the credentials table as type "ec2", id = sha256(access), as keystone does.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound, Unauthorized
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import credentials as creds
from pocketstack.services.identity import links
from pocketstack.services.identity.tables import credentials, projects, users

# --- schemas -------------------------------------------------------------------
CREATE = schemas.obj({"tenant_id": {"type": ["string", "null"]}})


# --- views -----------------------------------------------------------------------
def render_ec2(ctx: Context, row: Any) -> dict[str, Any]:
    blob = json.loads(creds.decrypt(row["encrypted_blob"]))
    return {"user_id": row["user_id"], "tenant_id": row["project_id"], "access": blob.get("access"),
            "secret": blob.get("secret"), "trust_id": blob.get("trust_id"),
            "links": links.entity(ctx, f"users/{row['user_id']}/credentials/OS-EC2/{blob.get('access')}")}


# --- logic ------------------------------------------------------------------------
def require_user(conn: Connection, user_id: str) -> None:
    if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
        raise NotFound(f"Could not find user: {user_id}.")


def require_project(conn: Connection, project_id: str | None) -> None:
    if project_id is None or conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFound(f"Could not find project: {project_id}.")


def get_ec2(conn: Connection, user_id: str, access: str) -> dict[str, Any]:
    require_user(conn, user_id)
    row = creds.get_credential(conn, creds.access_hash(access))
    if row["type"] != "ec2":
        raise Unauthorized("EC2 access key not found.")
    return row


def create_ec2(ctx: Context, user_id: str, tenant_id: str | None) -> dict[str, Any]:
    blob = {"access": new_id(), "secret": new_id(), "trust_id": ctx.trust_id}
    with db.session() as conn:
        require_user(conn, user_id)
        require_project(conn, tenant_id)
        creds.require_primary_auth(ctx)
        return creds.insert_credential(conn, {"id": creds.access_hash(blob["access"]), "user_id": user_id,
                                              "project_id": tenant_id, "type": "ec2", "blob": json.dumps(blob)})


# --- routes ------------------------------------------------------------------------
def _target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = creds.get_credential(conn, creds.access_hash(rq.params["credential_id"]))
    return {"target": {"credential": {"user_id": row["user_id"], "project_id": row["project_id"]}},
            "user_id": rq.params["user_id"]}


def list_ec2(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    creds.require_primary_auth(ctx)
    with db.reader() as conn:
        require_user(conn, rq.params["user_id"])
        rows = conn.execute(sa.select(credentials).where(credentials.c.user_id == rq.params["user_id"],
                                                         credentials.c.type == "ec2")).mappings().all()
    return {"credentials": [render_ec2(ctx, r) for r in rows],
            "links": links.collection(ctx, f"users/{rq.params['user_id']}/credentials/OS-EC2")}


def create_ec2_credential(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    row = create_ec2(ctx, rq.params["user_id"], (rq.body or {}).get("tenant_id"))
    return {"credential": render_ec2(ctx, row)}


def show_ec2(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = get_ec2(conn, rq.params["user_id"], rq.params["credential_id"])
    creds.require_primary_auth(ctx)
    return {"credential": render_ec2(ctx, row)}


def delete_ec2(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = get_ec2(conn, rq.params["user_id"], rq.params["credential_id"])
        creds.require_primary_auth(ctx)
        conn.execute(credentials.delete().where(credentials.c.id == row["id"]))


E = "/v3/users/{user_id}/credentials/OS-EC2"
ROUTES = [
    route("GET", E, list_ec2, policy="identity:ec2_list_credentials",
          target=lambda ctx, rq: {"user_id": rq.params["user_id"]}),
    route("POST", E, create_ec2_credential, policy="identity:ec2_create_credential", body=CREATE, status=201,
          target=lambda ctx, rq: {"target": {"credential": {"user_id": rq.params["user_id"]}},
                                  "user_id": rq.params["user_id"]}),
    route("GET", E + "/{credential_id}", show_ec2, policy="identity:ec2_get_credential", target=_target),
    route("DELETE", E + "/{credential_id}", delete_ec2, policy="identity:ec2_delete_credential", target=_target,
          status=204),
]
