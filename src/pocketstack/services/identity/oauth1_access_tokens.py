"""A user's OAuth1 access tokens: /v3/users/{user_id}/OS-OAUTH1/access_tokens (api-ref: identity v3-ext, OS-OAUTH1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, Forbidden, NotFound, Unauthorized
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.roles import get_role, render_role
from pocketstack.services.identity.tables import oauth_access_tokens


# --- views -----------------------------------------------------------------------
def render_access_token(ctx: Context, row: Any) -> dict[str, Any]:
    base = f"users/{row['authorizing_user_id']}/OS-OAUTH1/access_tokens/{row['id']}"
    return {"id": row["id"], "consumer_id": row["consumer_id"], "project_id": row["project_id"],
            "authorizing_user_id": row["authorizing_user_id"],
            "expires_at": isotime(row["expires_at"], subsecond=True),
            "links": {"self": links.entity(ctx, base)["self"], "roles": links.entity(ctx, base + "/roles")["self"]}}


def render_token_role(ctx: Context, role_id: str, conn: Connection) -> dict[str, Any]:
    body = render_role(ctx, get_role(conn, role_id))
    body.pop("description", None)
    return body


# --- logic ------------------------------------------------------------------------
def get_access_token(conn: Connection, token_id: str, *,
                     not_found: Callable[[str], ApiError] = NotFound) -> dict[str, Any]:
    row = conn.execute(sa.select(oauth_access_tokens).where(oauth_access_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise not_found("Access token not found")
    return dict(row)


def _users_token(conn: Connection, rq: ApiRequest, mismatch: Callable[[str], ApiError] = NotFound) -> dict[str, Any]:
    token = get_access_token(conn, rq.params["access_token_id"])
    if token["authorizing_user_id"] != rq.params["user_id"]:
        raise mismatch("User IDs do not match" if mismatch is Unauthorized else "Access token not found")
    return token


def _block_delegated(ctx: Context) -> None:
    if ctx.trust_id or ctx.application_credential_id or "oauth1" in (ctx.auth_methods or []):
        raise Forbidden("Cannot manage OAuth access tokens with a token issued via delegation.")


# --- routes ----------------------------------------------------------------------------
def list_access_tokens(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _block_delegated(ctx)
    t = oauth_access_tokens.c
    with db.reader() as conn:
        rows = conn.execute(sa.select(oauth_access_tokens).where(t.authorizing_user_id == rq.params["user_id"])
                            .order_by(t.id)).mappings().all()
    return {"access_tokens": [render_access_token(ctx, r) for r in rows],
            "links": links.collection(ctx, f"users/{rq.params['user_id']}/OS-OAUTH1/access_tokens")}


def show_access_token(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _block_delegated(ctx)
    with db.reader() as conn:
        return {"access_token": render_access_token(ctx, _users_token(conn, rq))}


def delete_access_token(ctx: Context, rq: ApiRequest) -> None:
    """Tokens issued from it stop validating: auth.token_body looks the access token up."""
    _block_delegated(ctx)
    with db.session() as conn:
        token = _users_token(conn, rq, mismatch=Unauthorized)
        conn.execute(oauth_access_tokens.delete().where(oauth_access_tokens.c.id == token["id"]))


def list_access_token_roles(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        token = _users_token(conn, rq)
        body = [render_token_role(ctx, role_id, conn) for role_id in token["role_ids"] or []]
    return {"roles": body, "links": links.collection(ctx, rq.path.split("/v3/", 1)[-1])}


def show_access_token_role(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        token = _users_token(conn, rq, mismatch=Unauthorized)
        if rq.params["role_id"] not in (token["role_ids"] or []):
            raise NotFound(f"Could not find role: {rq.params['role_id']}.")
        return {"role": render_token_role(ctx, rq.params["role_id"], conn)}


A = "/v3/users/{user_id}/OS-OAUTH1/access_tokens"
ROUTES = [
    route("GET", A, list_access_tokens, policy="identity:list_access_tokens"),
    route("GET", A + "/{access_token_id}", show_access_token, policy="identity:get_access_token"),
    route("DELETE", A + "/{access_token_id}", delete_access_token, policy="identity:delete_access_token", status=204),
    route("GET", A + "/{access_token_id}/roles", list_access_token_roles, policy="identity:list_access_token_roles"),
    route("GET", A + "/{access_token_id}/roles/{role_id}", show_access_token_role,
          policy="identity:get_access_token_role"),
]
