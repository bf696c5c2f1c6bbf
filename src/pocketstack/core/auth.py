"""Authentication in the pipeline: X-Auth-Token -> Context, through a validator app.py wires in;
X-Service-Token checked as keystonemiddleware's auth_token checks it.

Core knows nothing of tokens; the identity service supplies `TokenValidator`. A failure renders
as keystonemiddleware renders it for every service (the keystone error body and a
`WWW-Authenticate: Keystone uri=...` header).

A service calling another for a user sends the user's token as X-Auth-Token and its own as
X-Service-Token (DevStack's `[service_user] send_service_user_token`). keystonemiddleware, as
DevStack configures it (`service_token_roles_required = True`, `service_token_roles = service`):
- a service token that is not valid, or whose user lacks every service role, rejects the request
  with 401 whatever the user's token;
- a valid one puts the service's identity beside the user's (X-Service-User-Id, X-Service-Roles...;
  here `ctx.service_user_id`, `ctx.service_roles`), for policy rules such as `service_roles:service`;
- a valid one also lets an expired user token through (validated with `allow_expired`, inside
  keystone's `allow_expired_window`), so work that outlives the user's token still completes.
"""

from __future__ import annotations

from typing import Protocol

from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, Unauthorized

SERVICE_ROLES = frozenset({"service"})      # keystonemiddleware's service_token_roles


class TokenValidator(Protocol):
    def __call__(self, token: str, ctx: Context, *, allow_expired: bool = False) -> Context: ...


AUTH_REQUIRED = "The request you have made requires authentication."


def unauthorized(base_url: str, message: str = AUTH_REQUIRED) -> Unauthorized:
    return Unauthorized(message, headers={"WWW-Authenticate": f'Keystone uri="{base_url}/identity"'})


def authenticate(validate: TokenValidator, ctx: Context, user_token: str | None,
                 service_token: str | None) -> None:
    """Fill `ctx` from the request's tokens; raises 401 for a bad service token, or a bad user
    token (the caller decides whether a route without a valid user token is refused)."""
    if service_token:
        _admit_service(validate, ctx, service_token)
    if not user_token:
        return
    try:
        ctx.__dict__.update(validate(user_token, ctx).__dict__)
    except ApiError:
        if not ctx.service_user_id:
            raise
        ctx.__dict__.update(validate(user_token, ctx, allow_expired=True).__dict__)


def _admit_service(validate: TokenValidator, ctx: Context, service_token: str) -> None:
    try:
        service = validate(service_token, Context(request_id=ctx.request_id, base_url=ctx.base_url))
    except ApiError:
        raise unauthorized(ctx.base_url) from None
    if not SERVICE_ROLES & set(service.roles):
        raise unauthorized(ctx.base_url)
    ctx.service_user_id, ctx.service_user_name = service.user_id, service.user_name
    ctx.service_project_id, ctx.service_roles = service.project_id, list(service.roles)
