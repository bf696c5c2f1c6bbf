"""OS-FEDERATION service providers: /v3/OS-FEDERATION/service_providers (api-ref: identity v3-ext)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.tables import generic

SP = "service_provider"
RELAY_STATE_PREFIX = "ss:mem:"  # keystone's [saml] relay_state_prefix default
TRUE_VALUES = {"true", "1", "yes", "on", "t", "y"}

# --- schemas -------------------------------------------------------------------
_PROPS = {"auth_url": schemas.url, "sp_url": schemas.url, "description": schemas.description,
          "enabled": schemas.boolean, "relay_state_prefix": schemas.nullable_string}
CREATE = schemas.wrap(SP, schemas.obj(_PROPS, ["auth_url", "sp_url"], additional=False))
UPDATE = schemas.wrap(SP, schemas.obj(_PROPS, additional=False, minProperties=1))


# --- views -----------------------------------------------------------------------
def render_sp(ctx: Context, sp_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": sp_id, **{k: body.get(k) for k in _PROPS},
            "links": links.entity(ctx, f"OS-FEDERATION/service_providers/{sp_id}")}


# --- logic ------------------------------------------------------------------------
def get_sp(conn: Connection, sp_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(generic.c.body).where(generic.c.kind == SP, generic.c.id == sp_id)).first()
    if row is None:
        raise NotFound(f"Could not find Service Provider: {sp_id}.")
    return dict(row.body)


def token_service_providers(conn: Connection) -> list[dict[str, str]]:
    """What a token shows as "service_providers": every enabled one, as {id, auth_url, sp_url}."""
    rows = conn.execute(sa.select(generic.c.id, generic.c.body).where(generic.c.kind == SP).order_by(generic.c.id))
    return [{"id": r.id, "auth_url": r.body["auth_url"], "sp_url": r.body["sp_url"]}
            for r in rows if r.body.get("enabled")]


# --- routes ----------------------------------------------------------------------------
def list_service_providers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(generic.c.id, generic.c.body).where(generic.c.kind == SP).order_by(generic.c.id)
    if "id" in rq.query:
        stmt = stmt.where(generic.c.id == rq.query["id"])
    with db.reader() as conn:
        rows = conn.execute(stmt).all()
    if "enabled" in rq.query:
        wanted = rq.query["enabled"].lower() in TRUE_VALUES
        rows = [r for r in rows if bool(r.body.get("enabled")) is wanted]
    return {"service_providers": [render_sp(ctx, r.id, r.body) for r in rows],
            "links": links.collection(ctx, "OS-FEDERATION/service_providers", str(rq.query))}


def show_service_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {SP: render_sp(ctx, rq.params["sp_id"], get_sp(conn, rq.params["sp_id"]))}


def create_service_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    sp_id = rq.params["sp_id"]
    body = {"enabled": False, "relay_state_prefix": RELAY_STATE_PREFIX, "description": None, **rq.body[SP]}
    with db.session() as conn:
        if conn.execute(sa.select(generic.c.id).where(generic.c.kind == SP, generic.c.id == sp_id)).first():
            raise Conflict(f"Conflict occurred attempting to store service_provider - Duplicate entry: {sp_id}.")
        conn.execute(generic.insert().values(kind=SP, id=sp_id, body=body, created_at=utcnow()))
    return {SP: render_sp(ctx, sp_id, body)}


def update_service_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    sp_id = rq.params["sp_id"]
    with db.session() as conn:
        body = {**get_sp(conn, sp_id), **rq.body[SP]}
        conn.execute(generic.update().where(generic.c.kind == SP, generic.c.id == sp_id)
                     .values(body=body, updated_at=utcnow()))
    return {SP: render_sp(ctx, sp_id, body)}


def delete_service_provider(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_sp(conn, rq.params["sp_id"])
        conn.execute(generic.delete().where(generic.c.kind == SP, generic.c.id == rq.params["sp_id"]))


S = "/v3/OS-FEDERATION/service_providers"
ROUTES = [
    route("GET", S, list_service_providers, policy="identity:list_service_providers"),
    route("GET", S + "/{sp_id}", show_service_provider, policy="identity:get_service_provider"),
    route("PUT", S + "/{sp_id}", create_service_provider, policy="identity:create_service_provider",
          body=CREATE, status=201),
    route("PATCH", S + "/{sp_id}", update_service_provider, policy="identity:update_service_provider",
          body=UPDATE),
    route("DELETE", S + "/{sp_id}", delete_service_provider, policy="identity:delete_service_provider", status=204),
]
