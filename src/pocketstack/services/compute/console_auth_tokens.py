"""Console auth tokens: /os-console-auth-tokens/{console_token} (api-ref: compute, Server Consoles - Show
Console Connection Information). Every remote console handed out is recorded as nova's ConsoleAuthToken
does: the token's sha256, never the token, with the connection behind it and an expiry."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import UTC, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.drivers.base import RemoteConsole

TOKEN_TTL = 600             # nova's [consoleauth] token_ttl
ALL_TYPES = v.V("2.31", "os-console-auth-tokens shows every console type (before: rdp-html5 only, gone since Caracal)")
# quirk: nova answers 400 with webob's default explanation below 2.31 (rdp-html5 left with the Hyper-V driver)
WEBOB_400 = "The server could not comply with the request since it is either malformed or otherwise incorrect."


# --- logic -------------------------------------------------------------------------------------
def _now() -> int:
    return int(utcnow().replace(tzinfo=UTC).timestamp())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authorize(conn: Connection, server_id: str, console_type: str, console: RemoteConsole) -> None:
    """nova's ConsoleAuthToken.authorize: store the hash with the connection for TOKEN_TTL seconds (and, as
    nova's periodic clean_expired_console_auths, drop the expired ones)."""
    now = _now()
    conn.execute(t.console_auth_tokens.delete().where(t.console_auth_tokens.c.expires <= now))
    conn.execute(t.console_auth_tokens.insert().values(
        token_hash=_hash(console["token"]), console_type=console_type, host=console["host"], port=console["port"],
        tls_port=console["tls_port"], internal_access_path=console["internal_access_path"], server_id=server_id,
        expires=now + TOKEN_TTL, created_at=utcnow()))


def validate(token: str) -> dict[str, Any]:
    """nova's ConsoleAuthToken.validate: a known, unexpired token of a server that is not deleted (nova drops
    a server's tokens when it is deleted)."""
    c, s = t.console_auth_tokens.c, t.servers.c
    stmt = (sa.select(t.console_auth_tokens).join(t.servers, s.id == c.server_id)
            .where(c.token_hash == _hash(token), c.expires > _now(), s.deleted.is_(False)))
    with db.reader() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound("Token not found")
    return dict(row)


# --- views -------------------------------------------------------------------------------------
def render_console(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    out = {"instance_uuid": row["server_id"], "host": row["host"], "port": row["port"],
           "internal_access_path": row["internal_access_path"]}
    if row["console_type"] == "spice-direct" and ctx.version >= v.SPICE_DIRECT:
        out["tls_port"] = row["tls_port"]
    return out


# --- routes ------------------------------------------------------------------------------------
def show_console_auth_token(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if ctx.version < ALL_TYPES:          # nova answers this before it checks the rule
        raise BadRequest(WEBOB_400)
    common.enforce(ctx, RULE, {"project_id": ctx.project_id, "user_id": ctx.user_id})
    return {"console": render_console(ctx, validate(rq.params["console_token"]))}


RULE = "os_compute_api:os-console-auth-tokens"
ROUTES = [route("GET", "/v2.1/os-console-auth-tokens/{console_token}", show_console_auth_token,
                policy=in_handler(RULE))]
