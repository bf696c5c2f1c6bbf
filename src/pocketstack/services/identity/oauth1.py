"""OS-OAUTH1 consumers and the delegated flow: /v3/OS-OAUTH1 (api-ref: identity v3-ext, OS-OAUTH1)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from pocketstack.core.ids import new_id
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import effective, links, oauth1_access_tokens
from pocketstack.services.identity import oauth1_signing as signing
from pocketstack.services.identity.projects import get_project
from pocketstack.services.identity.tables import (
    NULL_DOMAIN, generic, oauth_access_tokens, oauth_request_tokens, roles)

CONSUMER = "oauth1_consumer"
REQUEST_TOKEN_DURATION = 28800   # keystone [oauth1] request_token_duration
ACCESS_TOKEN_DURATION = 86400    # keystone [oauth1] access_token_duration

# --- schemas -------------------------------------------------------------------
CONSUMER_CREATE = schemas.obj({"consumer": schemas.obj({"description": schemas.description})})
CONSUMER_UPDATE = schemas.wrap("consumer", schemas.obj({"description": schemas.description}, minProperties=1,
                                                       **{"not": {"required": ["secret"]}}))
_ROLE_REF = schemas.obj({"id": schemas.id_string, "name": schemas.name}, additional=False,
                        minProperties=1, maxProperties=1)
AUTHORIZE = schemas.obj({"roles": {"type": "array", "items": _ROLE_REF, "minItems": 1}}, ["roles"])


# --- views -----------------------------------------------------------------------
def render_consumer(ctx: Context, consumer_id: str, body: dict[str, Any], *, secret: bool = False) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k != "secret"}
    out.update(id=consumer_id, description=body.get("description"),
               links=links.entity(ctx, f"OS-OAUTH1/consumers/{consumer_id}"))
    if secret:
        out["secret"] = body["secret"]
    return out


def form_response(values: dict[str, str]) -> Response:
    # quirk: keystone writes the values unescaped (the expiry keeps its colons)
    text = "&".join(f"{k}={v}" for k, v in values.items())
    return Response(text, status_code=201, media_type="application/x-www-form-urlencoded")


# --- logic: consumers --------------------------------------------------------------
def get_consumer(conn: Connection, consumer_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(generic.c.body).where(generic.c.kind == CONSUMER,
                                                       generic.c.id == consumer_id)).first()
    return {**row.body, "id": consumer_id} if row else None


def must_get_consumer(conn: Connection, consumer_id: str) -> dict[str, Any]:
    consumer = get_consumer(conn, consumer_id)
    if consumer is None:
        raise NotFound("Consumer not found")
    return consumer


def delete_consumer_rows(conn: Connection, consumer_id: str) -> None:
    """Its request and access tokens go too, and with them every token issued from them."""
    must_get_consumer(conn, consumer_id)
    conn.execute(oauth_request_tokens.delete().where(oauth_request_tokens.c.consumer_id == consumer_id))
    conn.execute(oauth_access_tokens.delete().where(oauth_access_tokens.c.consumer_id == consumer_id))
    conn.execute(generic.delete().where(generic.c.kind == CONSUMER, generic.c.id == consumer_id))


# --- logic: request and access tokens ----------------------------------------------------
def get_request_token(conn: Connection, token_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(oauth_request_tokens).where(oauth_request_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise NotFound("Request token not found")
    if row["expires_at"] is not None and row["expires_at"] < utcnow():
        raise Unauthorized("Request token is expired")
    return dict(row)


def requested_role_ids(conn: Connection, refs: list[dict[str, str]]) -> list[str]:
    out = []
    for ref in refs:
        cond = roles.c.id == ref["id"] if "id" in ref else sa.and_(roles.c.name == ref["name"],
                                                                   roles.c.domain_id == NULL_DOMAIN)
        role_id = conn.execute(sa.select(roles.c.id).where(cond)).scalar()
        if role_id is None:
            raise NotFound(f"Could not find role: {ref.get('id') or ref.get('name')}.")
        out.append(role_id)
    return list(dict.fromkeys(out))


def authorize(conn: Connection, ctx: Context, token_id: str, role_refs: list[dict[str, str]]) -> str:
    if ctx.trust_id or ctx.application_credential_id or "oauth1" in (ctx.auth_methods or []):
        raise Forbidden("Cannot authorize a request token with a token issued via delegation.")
    token = get_request_token(conn, token_id)
    wanted = requested_role_ids(conn, role_refs)
    held = {r["id"] for r in effective.user_roles(conn, ctx.user_id, project_id=token["requested_project_id"])}
    if not set(wanted) <= held:
        raise Unauthorized("authorizing user does not have role required")
    verifier = "".join(secrets.choice(signing.VERIFIER_CHARS) for _ in range(8))
    conn.execute(oauth_request_tokens.update().where(oauth_request_tokens.c.id == token_id).values(
        authorizing_user_id=ctx.user_id, verifier=verifier, role_ids=wanted))
    return verifier


def exchange(conn: Connection, request_token: dict[str, Any]) -> dict[str, Any]:
    if not request_token["authorizing_user_id"]:
        raise Unauthorized("Request Token does not have an authorizing user id.")
    row = {"id": new_id(), "access_secret": new_id(), "authorizing_user_id": request_token["authorizing_user_id"],
           "project_id": request_token["requested_project_id"], "role_ids": request_token["role_ids"],
           "consumer_id": request_token["consumer_id"],
           "expires_at": utcnow() + dt.timedelta(seconds=ACCESS_TOKEN_DURATION)}
    conn.execute(oauth_access_tokens.insert().values(**row))
    conn.execute(oauth_request_tokens.delete().where(oauth_request_tokens.c.id == request_token["id"]))
    return row


# --- logic: the "oauth1" auth method (called by auth.py) --------------------------------------
def authenticate(rq: ApiRequest) -> dict[str, Any]:
    """An OAuth-signed POST /v3/auth/tokens: who the access token speaks for."""
    params = signing.oauth_params(rq)
    token_id = signing.required(params, "oauth_token")
    with db.reader() as conn:
        token = oauth1_access_tokens.get_access_token(conn, token_id, not_found=Unauthorized)
        consumer = get_consumer(conn, token["consumer_id"])
    if token["expires_at"] is not None and token["expires_at"] < utcnow():
        raise Unauthorized("Access token is expired")
    signing.verify_resource_request(rq, signing.Validator(consumer, access_token=token))
    return {"user_id": token["authorizing_user_id"], "access_token_id": token["id"],
            "expires_at": token["expires_at"], "methods": ["oauth1"]}


def scope(conn: Connection, access_token_id: str) -> dict[str, Any]:
    """An OAuth token is always scoped to the project its access token was granted on."""
    token = oauth1_access_tokens.get_access_token(conn, access_token_id, not_found=Unauthorized)
    return {"project_id": token["project_id"]}


def apply(conn: Connection, payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The token's "OS-OAUTH1" section and roles: the delegated ones the user still holds."""
    token = oauth1_access_tokens.get_access_token(conn, payload["access_token_id"],
                                                  not_found=lambda _: NotFound("Failed to validate token"))
    delegated = effective.expand_implied(conn, token["role_ids"] or [])
    held = effective.user_roles(conn, token["authorizing_user_id"], project_id=token["project_id"])
    return ({"access_token_id": token["id"], "consumer_id": token["consumer_id"]},
            [r for r in held if r["id"] in delegated])


# --- routes ------------------------------------------------------------------------------
def list_consumers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(generic.c.id, generic.c.body).where(generic.c.kind == CONSUMER)
                            .order_by(generic.c.id)).all()
    return {"consumers": [render_consumer(ctx, r.id, r.body) for r in rows],
            "links": links.collection(ctx, "OS-OAUTH1/consumers")}


def create_consumer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    consumer_id = new_id()
    body = {k: v for k, v in (rq.body.get("consumer") or {}).items() if k not in ("id", "links")}
    body.update(secret=new_id(), description=body.get("description"))
    with db.session() as conn:
        conn.execute(generic.insert().values(kind=CONSUMER, id=consumer_id, body=body, created_at=utcnow()))
    return {"consumer": render_consumer(ctx, consumer_id, body, secret=True)}


def show_consumer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        consumer = must_get_consumer(conn, rq.params["consumer_id"])
    return {"consumer": render_consumer(ctx, consumer.pop("id"), consumer)}


def update_consumer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    consumer_id, changes = rq.params["consumer_id"], dict(rq.body["consumer"])
    if changes.pop("id", consumer_id) != consumer_id:
        raise BadRequest("Cannot change consumer ID")
    with db.session() as conn:
        body = {k: v for k, v in must_get_consumer(conn, consumer_id).items() if k != "id"}
        body.update({k: v for k, v in changes.items() if k != "links"})
        conn.execute(generic.update().where(generic.c.kind == CONSUMER, generic.c.id == consumer_id)
                     .values(body=body, updated_at=utcnow()))
    return {"consumer": render_consumer(ctx, consumer_id, body)}


def delete_consumer(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_consumer_rows(conn, rq.params["consumer_id"])


def create_request_token(ctx: Context, rq: ApiRequest) -> Response:
    params = signing.oauth_params(rq)
    consumer_id = signing.required(params, "oauth_consumer_key")
    project_id = signing.required({"Requested-Project-Id": rq.headers.get("requested-project-id", "")},
                                  "Requested-Project-Id")
    with db.session() as conn:
        get_project(conn, project_id)
        consumer = must_get_consumer(conn, consumer_id)
        signing.verify_request_token_request(rq, signing.Validator(consumer))
        row = {"id": new_id(), "request_secret": new_id(), "requested_project_id": project_id,
               "consumer_id": consumer_id, "expires_at": utcnow() + dt.timedelta(seconds=REQUEST_TOKEN_DURATION)}
        conn.execute(oauth_request_tokens.insert().values(**row))
    return form_response({"oauth_token": row["id"], "oauth_token_secret": row["request_secret"],
                          "oauth_expires_at": isotime(row["expires_at"], subsecond=True) or ""})


def authorize_request_token(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        verifier = authorize(conn, ctx, rq.params["request_token_id"], rq.body["roles"])
    return {"token": {"oauth_verifier": verifier}}


def _access_token_consumer(conn: Connection, consumer_id: str, request_token: dict[str, Any]) -> dict[str, Any]:
    consumer = get_consumer(conn, consumer_id)
    if consumer is None:
        raise Unauthorized("Provided consumer does not exist.")
    if request_token["consumer_id"] != consumer_id:
        raise Unauthorized("Provided consumer key does not match stored consumer key.")
    return consumer


def create_access_token(ctx: Context, rq: ApiRequest) -> Response:
    params = signing.oauth_params(rq)
    consumer_id, token_id = signing.required(params, "oauth_consumer_key"), signing.required(params, "oauth_token")
    signing.required(params, "oauth_verifier")
    with db.session() as conn:
        request_token = get_request_token(conn, token_id)
        consumer = _access_token_consumer(conn, consumer_id, request_token)
        signing.verify_access_token_request(rq, signing.Validator(consumer, request_token=request_token))
        row = exchange(conn, request_token)
    return form_response({"oauth_token": row["id"], "oauth_token_secret": row["access_secret"],
                          "oauth_expires_at": isotime(row["expires_at"], subsecond=True) or ""})


C = "/v3/OS-OAUTH1/consumers"
ROUTES = [
    route("GET", C, list_consumers, policy="identity:list_consumers"),
    route("POST", C, create_consumer, policy="identity:create_consumer", body=CONSUMER_CREATE, status=201),
    route("GET", C + "/{consumer_id}", show_consumer, policy="identity:get_consumer"),
    route("PATCH", C + "/{consumer_id}", update_consumer, policy="identity:update_consumer", body=CONSUMER_UPDATE),
    route("DELETE", C + "/{consumer_id}", delete_consumer, policy="identity:delete_consumer", status=204),
    route("POST", "/v3/OS-OAUTH1/request_token", create_request_token, policy=PUBLIC, auth=False, raw_body=True),
    route("POST", "/v3/OS-OAUTH1/access_token", create_access_token, policy=PUBLIC, auth=False, raw_body=True),
    route("PUT", "/v3/OS-OAUTH1/authorize/{request_token_id}", authorize_request_token,
          policy="identity:authorize_request_token", body=AUTHORIZE),
    *oauth1_access_tokens.ROUTES,
]
