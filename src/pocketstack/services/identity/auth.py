"""Authentication: /v3/auth/tokens, /v3/auth/catalog|projects|domains|system (api-ref: identity, Authentication and token management)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, snapshots
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, Forbidden, NotFound, Unauthorized
from pocketstack.core.http import json_response
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import (
    app_cred_auth, effective, federation_sps, oauth1, passwords, tokens, trust_auth)
from pocketstack.services.identity import notifications as identity_notifications
from pocketstack.services.identity.catalog import build_catalog
from pocketstack.services.identity.tables import ROOT_DOMAIN, SYSTEM, assignments, projects, users

AUTH_FAILED = "The request you have made requires authentication."

# --- schemas -------------------------------------------------------------------
_ref = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                         "domain": {"type": "object"}}}
AUTH_BODY = {"type": "object", "required": ["auth"], "properties": {"auth": {
    "type": "object", "required": ["identity"], "properties": {
        "identity": {"type": "object", "required": ["methods"], "properties": {
            "methods": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "password": {"type": "object", "required": ["user"], "properties": {"user": {
                **_ref, "properties": {**_ref["properties"], "password": {"type": "string"}}}}},
            "token": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            "application_credential": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "secret": {"type": "string"},
                "user": {"type": "object"}}, "required": ["secret"]},
        }},
        "scope": {"type": ["object", "string"]},
    }}}}


# --- views -----------------------------------------------------------------------
def _named(conn: Connection, project_id: str | None) -> dict[str, Any] | None:
    if project_id is None:
        return None
    row = conn.execute(sa.select(projects.c.id, projects.c.name).where(projects.c.id == project_id)).first()
    return {"id": row.id, "name": row.name} if row else None


def token_body(conn: Connection, payload: dict[str, Any], *, catalog: bool = True,
               check_roles: bool = True) -> dict[str, Any]:
    """The token document; raises NotFound when what the token names is gone or disabled."""
    user = conn.execute(sa.select(users).where(users.c.id == payload["user_id"])).mappings().first()
    if user is None or not user["enabled"]:
        raise NotFound("Failed to validate token")
    domain = _named(conn, user["domain_id"])
    expires_at, issued_at = tokens.times(payload)
    pw_expires = passwords.password_expires_at(conn, user["id"])
    body: dict[str, Any] = {
        "methods": payload["methods"],
        "user": {"domain": domain, "id": user["id"], "name": user["name"],
                 "password_expires_at": isotime(pw_expires, subsecond=True)},
        "audit_ids": payload["audit_ids"], "expires_at": expires_at, "issued_at": issued_at}
    scope, project_id = payload["scope"], None
    roles: list[dict[str, str]] = []
    if "project_id" in scope:
        project_id = scope["project_id"]
        project = conn.execute(sa.select(projects).where(projects.c.id == project_id)).mappings().first()
        if project is None or not project["enabled"] or not _domain_enabled(conn, project["domain_id"]):
            raise NotFound("Failed to validate token")
        body["project"] = {"domain": _named(conn, project["domain_id"]), "id": project["id"], "name": project["name"]}
        body["is_domain"] = False
        roles = effective.user_roles(conn, user["id"], project_id=project_id)
    elif "domain_id" in scope:
        if not _domain_enabled(conn, scope["domain_id"]):
            raise NotFound("Failed to validate token")
        body["domain"] = _named(conn, scope["domain_id"])
        roles = effective.user_roles(conn, user["id"], domain_id=scope["domain_id"])
    elif scope.get("system"):
        body["system"] = {"all": True}
        roles = effective.user_roles(conn, user["id"], system=True)
    if payload.get("trust_id"):
        body, roles = trust_auth.apply(conn, payload, body)
    elif payload.get("application_credential_id"):
        body["application_credential"], roles = app_cred_auth.apply(conn, payload, roles)
    elif payload.get("access_token_id"):
        body["OS-OAUTH1"], roles = oauth1.apply(conn, payload)
    if scope and check_roles and not roles:
        raise NotFound("Failed to validate token")
    if scope:
        body["roles"] = roles
    if catalog and scope:
        body["catalog"] = build_catalog(conn, project_id=project_id, user_id=user["id"])
    service_providers = federation_sps.token_service_providers(conn)
    if service_providers:
        body["service_providers"] = service_providers
    return body


def _domain_enabled(conn: Connection, domain_id: str) -> bool:
    return bool(conn.execute(sa.select(projects.c.enabled).where(projects.c.id == domain_id,
                                                                  projects.c.is_domain.is_(True))).scalar())


# --- logic: who is authenticating ----------------------------------------------------
def find_domain(conn: Connection, ref: dict[str, Any]) -> dict[str, Any]:
    cond = projects.c.id == ref["id"] if "id" in ref else projects.c.name == ref.get("name")
    row = conn.execute(sa.select(projects).where(cond, projects.c.is_domain.is_(True))).mappings().first()
    if row is None or not row["enabled"]:
        raise Unauthorized(AUTH_FAILED)
    return dict(row)


def find_user(conn: Connection, ref: dict[str, Any]) -> dict[str, Any]:
    if "id" in ref:
        row = conn.execute(sa.select(users).where(users.c.id == ref["id"])).mappings().first()
    elif "name" in ref and isinstance(ref.get("domain"), dict):
        domain = find_domain(conn, ref["domain"])
        row = conn.execute(sa.select(users).where(users.c.name == ref["name"],
                                                  users.c.domain_id == domain["id"])).mappings().first()
    else:
        raise BadRequest("Expecting to find id or name and domain in user. The server could not comply "
                         "with the request since it is either malformed or otherwise incorrect. The "
                         "client is assumed to be in error.")
    if row is None or not row["enabled"] or not _domain_enabled(conn, row["domain_id"]):
        raise Unauthorized(AUTH_FAILED)
    return dict(row)


def _password(identity: dict[str, Any], rq: ApiRequest | None = None) -> dict[str, Any]:
    spec = identity.get("password")
    if not spec:
        raise BadRequest("Expecting to find password in identity.")
    ref = spec["user"]
    if "password" not in ref:
        raise BadRequest("Expecting to find password in user.")
    failure: ApiError | None = None
    with db.reader() as conn:   # the slow hash outside the write transaction
        verified = passwords.verify(conn, find_user(conn, ref)["id"], ref["password"])
    with db.session() as conn:
        user = find_user(conn, ref)
        try:
            passwords.authenticate(conn, user, ref["password"], verified=verified)
        except Unauthorized as err:
            failure = err  # the transaction commits the failed-attempt counter
        else:
            conn.execute(users.update().where(users.c.id == user["id"]).values(last_active_at=utcnow()))
    identity_notifications.authenticated(rq, user["id"], "success" if failure is None else "failure")
    if failure is not None:
        raise Unauthorized(AUTH_FAILED) if failure.kind == "bad_password" else failure
    return {"user_id": user["id"], "default_project_id": user["default_project_id"]}


def _token(identity: dict[str, Any], scope: Any) -> dict[str, Any]:
    with db.reader() as conn:
        payload = tokens.validate(conn, identity["token"]["id"], for_subject=True)  # quirk: 404, not 401
        token_body(conn, payload, catalog=False)
    if payload.get("trust_id"):
        raise Forbidden("You are not authorized to perform the requested action: Using trust-scoped "
                        "token to create another token. Create a new trust-scoped token instead.")
    if payload["application_credential_id"] or payload.get("access_token_id") or \
            "application_credential" in payload["methods"]:
        raise Forbidden("You are not authorized to perform the requested action: Using a delegated "
                        "token to create another token is not allowed.")
    if payload["scope"].get("system") and isinstance(scope, dict) and ("project" in scope or "domain" in scope):
        raise Forbidden("You are not authorized to perform the requested action: Using a system-scoped "
                        "token to create a project-scoped or domain-scoped token is not allowed.")
    return {"user_id": payload["user_id"], "expires_at": payload["expires_at"],
            "parent_audit": payload["audit_ids"][-1], "methods": [*payload["methods"], "token"]}


def authenticate(body: dict[str, Any], rq: ApiRequest | None = None) -> dict[str, Any]:
    identity = body["auth"]["identity"]
    scope = body["auth"].get("scope")
    result: dict[str, Any] = {"methods": []}
    for method in identity["methods"]:
        if method == "password":
            step = _password(identity, rq)
        elif method == "token":
            step = _token(identity, scope)
        elif method == "application_credential":
            step = app_cred_auth.authenticate(identity.get("application_credential") or {})
        elif method == "oauth1" and rq is not None:
            step = oauth1.authenticate(rq)
        else:
            raise Unauthorized("Attempted to authenticate with an unsupported method.")
        if result.get("user_id") and step["user_id"] != result["user_id"]:
            raise Unauthorized(AUTH_FAILED)
        result.update({k: v for k, v in step.items() if k != "methods"})
        result["methods"] = list(dict.fromkeys(result["methods"] + step.get("methods", [method])))
    return result


# --- logic: scope ---------------------------------------------------------------------
def find_project(conn: Connection, ref: dict[str, Any]) -> dict[str, Any]:
    if "id" in ref:
        row = conn.execute(sa.select(projects).where(projects.c.id == ref["id"])).mappings().first()
    elif "name" in ref and isinstance(ref.get("domain"), dict):
        domain = find_domain(conn, ref["domain"])
        row = conn.execute(sa.select(projects).where(projects.c.name == ref["name"],
                                                     projects.c.domain_id == domain["id"])).mappings().first()
    else:
        raise BadRequest("Expecting to find id or name and domain in project.")
    if row is None or not row["enabled"] or row["is_domain"] or not _domain_enabled(conn, row["domain_id"]):
        raise Unauthorized(AUTH_FAILED)
    return dict(row)


def resolve_scope(conn: Connection, result: dict[str, Any], scope: Any) -> dict[str, Any]:
    user_id = result["user_id"]
    if result.get("access_token_id"):
        return oauth1.scope(conn, result["access_token_id"])
    if scope is None:
        if result.get("app_cred"):
            return app_cred_auth.scope(result["app_cred"])
        default = result.get("default_project_id")
        if default and effective.user_roles(conn, user_id, project_id=default):
            row = conn.execute(sa.select(projects.c.enabled).where(projects.c.id == default)).first()
            if row and row.enabled:
                return {"project_id": default}
        return {}
    if scope == "unscoped" or (isinstance(scope, dict) and "unscoped" in scope):
        return {}
    if not isinstance(scope, dict):
        raise BadRequest("Invalid scope.")
    if sum(k in scope for k in ("project", "domain", "system", "OS-TRUST:trust")) > 1:
        raise BadRequest("Specify a project or domain, but not both")
    if result.get("app_cred"):
        return app_cred_auth.scope(result["app_cred"], requested=scope, conn=conn)
    if "OS-TRUST:trust" in scope:
        return trust_auth.scope(conn, user_id, scope["OS-TRUST:trust"])
    if "project" in scope:
        project = find_project(conn, scope["project"])
        if not effective.user_roles(conn, user_id, project_id=project["id"]):
            raise Unauthorized(f"User {user_id} has no access to project {project['id']}")
        return {"project_id": project["id"]}
    if "domain" in scope:
        domain = find_domain(conn, scope["domain"])
        if not effective.user_roles(conn, user_id, domain_id=domain["id"]):
            raise Unauthorized(f"User {user_id} has no access to domain {domain['id']}")
        return {"domain_id": domain["id"]}
    if "system" in scope:
        if not effective.user_roles(conn, user_id, system=True):
            raise Unauthorized(f"User {user_id} has no access to the system")
        return {"system": "all"}
    raise BadRequest("Invalid scope.")


def issue_token(body: dict[str, Any], *, catalog: bool, rq: ApiRequest | None = None) -> tuple[str, dict[str, Any]]:
    result = authenticate(body, rq)
    now = utcnow()
    with db.reader() as conn:
        scope = resolve_scope(conn, result, body["auth"].get("scope"))
        expires_at = min(d for d in (tokens.expiry(now), result.get("expires_at"),
                                     result.get("limit_expires_at"), scope.pop("expires_at", None)) if d)
        audit = [tokens.new_audit_id()] + ([result["parent_audit"]] if result.get("parent_audit") else [])
        payload = {"user_id": scope.pop("user_id", result["user_id"]), "methods": result["methods"],
                   "scope": {k: v for k, v in scope.items() if k != "trust_id"}, "expires_at": expires_at,
                   "issued_at": now, "audit_ids": audit, "trust_id": scope.get("trust_id"),
                   "application_credential_id": result.get("app_cred", {}).get("id"),
                   "access_token_id": result.get("access_token_id")}
        document = token_body(conn, payload, catalog=catalog)
    if payload["trust_id"]:
        trust_auth.consume(payload["trust_id"])
    return tokens.issue(payload), document


# --- logic: the validator core.auth uses ------------------------------------------------
_VALIDATED: dict[tuple[str, bool], tuple[tuple[int, int], float, dict[str, Any], dict[str, Any]]] = {}
snapshots.forget_on_restore(_VALIDATED.clear)
CACHE_SECONDS = 2.0  # bounds what another worker's change (other than a revocation) takes to show


def validated(conn: Connection, token: str, *, catalog: bool, for_subject: bool = False
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(payload, token body) of a valid token, from a short cache that any identity write in this
    process, any revocation anywhere, and the token's own expiry invalidate."""
    generation = (db.generation("identity_"), tokens.revocation_mark(conn))
    hit = _VALIDATED.get((token, catalog))
    now = time.monotonic()
    if hit is not None and hit[0] == generation and hit[1] > now and hit[2]["expires_at"] > utcnow():
        return hit[2], hit[3]
    payload = tokens.validate(conn, token, for_subject=for_subject)
    try:
        body = token_body(conn, payload, catalog=catalog)
    except NotFound:
        if for_subject:
            raise NotFound(f"Could not find token: {token}.") from None
        raise Unauthorized(AUTH_FAILED) from None
    if len(_VALIDATED) > 20000:
        _VALIDATED.clear()
    _VALIDATED[(token, catalog)] = (generation, now + CACHE_SECONDS, payload, body)
    return payload, body


def validated_expired(conn: Connection, token: str, *, catalog: bool, for_subject: bool = False
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """`validated` for `allow_expired`: a token expired within `allow_expired_window` (not revoked,
    and what it names still there and enabled) passes; never cached."""
    payload = tokens.validate(conn, token, allow_expired=True, for_subject=for_subject)
    try:
        return payload, token_body(conn, payload, catalog=catalog)
    except NotFound:
        if for_subject:
            raise NotFound(f"Could not find token: {token}.") from None
        raise Unauthorized(AUTH_FAILED) from None


def validate_token(token: str, ctx: Context, *, allow_expired: bool = False) -> Context:
    """core.auth's TokenValidator; `allow_expired` only when a valid service token came with it."""
    with db.reader() as conn:
        check = validated_expired if allow_expired else validated
        payload, body = check(conn, token, catalog=False)
    user, project, domain = body["user"], body.get("project"), body.get("domain")
    ctx.token, ctx.token_data = token, body
    ctx.user_id, ctx.user_name = user["id"], user["name"]
    ctx.user_domain_id, ctx.user_domain_name = user["domain"]["id"], user["domain"]["name"]
    if project:
        ctx.project_id, ctx.project_name = project["id"], project["name"]
        ctx.project_domain_id, ctx.project_domain_name = project["domain"]["id"], project["domain"]["name"]
    if domain:
        ctx.domain_id, ctx.domain_name = domain["id"], domain["name"]
    ctx.system_scope = "all" if "system" in body else None
    ctx.roles = [r["name"] for r in body.get("roles", [])]
    ctx.role_ids = [r["id"] for r in body.get("roles", [])]
    ctx.audit_ids, ctx.auth_methods = body["audit_ids"], body["methods"]
    ctx.application_credential_id = payload.get("application_credential_id")
    ctx.trust_id = payload.get("trust_id")
    ctx.is_admin_project = bool(project) and "admin" in ctx.roles
    return ctx


# --- routes ------------------------------------------------------------------------------
def create_token(ctx: Context, rq: ApiRequest) -> Any:
    token, document = issue_token(rq.body, catalog="nocatalog" not in rq.query, rq=rq)
    return json_response(201, {"token": document}, {"X-Subject-Token": token})


def _subject(ctx: Context, rq: ApiRequest) -> tuple[str, dict[str, Any]]:
    subject = rq.headers.get("x-subject-token")
    if not subject:
        raise BadRequest("Expecting to find X-Subject-Token in headers.")
    allow_expired = rq.query.get("allow_expired", "").lower() in ("1", "true", "yes")
    with db.reader() as conn:
        check = validated_expired if allow_expired else validated
        payload, document = check(conn, subject, catalog="nocatalog" not in rq.query, for_subject=True)
    return subject, {"payload": payload, "document": document}


def subject_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    subject, found = _subject(ctx, rq)
    rq.target_cache = {"subject": subject, **found}
    return {"target": {"token": {"user_id": found["payload"]["user_id"]}},
            "token": {"user_id": found["payload"]["user_id"]}}


def validate_subject_token(ctx: Context, rq: ApiRequest) -> Any:
    cache = rq.target_cache or {}
    return json_response(200, {"token": cache["document"]}, {"X-Subject-Token": cache["subject"]})


def revoke_subject_token(ctx: Context, rq: ApiRequest) -> None:
    payload = (rq.target_cache or {})["payload"]
    with db.session() as conn:
        tokens.revoke(conn, audit_id=payload["audit_ids"][0])


def show_catalog(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if not (ctx.project_id or ctx.domain_id or ctx.system_scope):
        raise Forbidden("A project-scoped token is required to produce a service catalog.")
    with db.reader() as conn:
        catalog = build_catalog(conn, project_id=ctx.project_id, user_id=ctx.user_id)
    return {"catalog": catalog, "links": {"self": f"{ctx.base_url}{rq.path}", "previous": None, "next": None}}


def _targets(conn: Connection, user_id: str, types: tuple[str, str]) -> set[str]:
    actors = [user_id, *effective.group_ids(conn, user_id)]
    a = assignments.c
    rows = conn.execute(sa.select(a.target_id, a.inherited).where(a.actor_id.in_(actors), a.type.in_(types)))
    return {r.target_id for r in rows}


def list_auth_projects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    from pocketstack.services.identity.projects import render_project, subtree_ids
    with db.reader() as conn:
        ids = set()
        for target in _targets(conn, ctx.user_id, ("UserProject", "GroupProject")):
            ids.add(target)
        a = assignments.c
        inherited = conn.execute(sa.select(a.target_id).where(
            a.actor_id.in_([ctx.user_id, *effective.group_ids(conn, ctx.user_id)]), a.inherited.is_(True))).scalars()
        for target in inherited:
            ids |= set(subtree_ids(conn, target))
        rows = conn.execute(sa.select(projects).where(projects.c.id.in_(ids), projects.c.enabled.is_(True),
                                                      projects.c.is_domain.is_(False))).mappings().all()
        body = [render_project(conn, ctx, r) for r in rows]
    return {"projects": body, "links": {"self": f"{ctx.base_url}{rq.path}", "previous": None, "next": None}}


def list_auth_domains(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    from pocketstack.services.identity.domains import render_domain
    with db.reader() as conn:
        ids = _targets(conn, ctx.user_id, ("UserDomain", "GroupDomain"))
        rows = conn.execute(sa.select(projects).where(projects.c.id.in_(ids), projects.c.enabled.is_(True),
                                                      projects.c.is_domain.is_(True))).mappings().all()
        body = [render_domain(ctx, r) for r in rows]
    return {"domains": body, "links": {"self": f"{ctx.base_url}{rq.path}", "previous": None, "next": None}}


def list_auth_system(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        has = bool(effective.user_roles(conn, ctx.user_id, system=True))
    return {"system": [{"all": True}] if has else [],
            "links": {"self": f"{ctx.base_url}{rq.path}", "previous": None, "next": None}}


ROUTES = [
    route("POST", "/v3/auth/tokens", create_token, policy=PUBLIC, body=AUTH_BODY, auth=False, status=201),
    route("GET", "/v3/auth/tokens", validate_subject_token, policy="identity:validate_token", target=subject_target),
    route("HEAD", "/v3/auth/tokens", validate_subject_token, policy="identity:check_token", target=subject_target),
    route("DELETE", "/v3/auth/tokens", revoke_subject_token, policy="identity:revoke_token",
          target=subject_target, status=204),
    route("GET", "/v3/auth/catalog", show_catalog, policy="identity:get_auth_catalog"),
    route("GET", "/v3/auth/projects", list_auth_projects, policy="identity:get_auth_projects"),
    route("GET", "/v3/auth/domains", list_auth_domains, policy="identity:get_auth_domains"),
    route("GET", "/v3/auth/system", list_auth_system, policy="identity:get_auth_system"),
    route("GET", "/v3/OS-FEDERATION/projects", list_auth_projects, policy="identity:get_auth_projects"),
    route("GET", "/v3/OS-FEDERATION/domains", list_auth_domains, policy="identity:get_auth_domains"),
]

__all__ = ["ROUTES", "validate_token", "token_body", "find_user", "find_project", "find_domain",
           "SYSTEM", "ROOT_DOMAIN", "dt"]
