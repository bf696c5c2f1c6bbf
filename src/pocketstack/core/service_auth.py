"""Service identity, as in a real deployment: each service acts as its own service user (DevStack's
`nova`, `cinder`, `heat`, ... in project `service`), and acts for a user without keeping the
user's token: with a trust (Heat's deferred auth, `trust_token`), or, for the work a request leaves
to a job, with `acting_for`.

The identity service creates the users and stores their credentials here (`store`), the way a
deployment tool writes them into each service's config file; services ask for tokens (`token`,
`trust_token`) through the identity REST API. Tokens are cached until shortly before they expire.

Acting for a user (jobs). Upstream Nova hands the user's token to nova-compute over RPC; the
compute host calls Neutron, Cinder and Glance with that token as X-Auth-Token plus its own service
token as X-Service-Token, and keystonemiddleware accepts the user's token even once expired because
a valid service token came with it. That keeps live tokens in a message (here: a job row, at rest
in the database) and still fails once the token is revoked or past `allow_expired_window`. Here:
- the request keeps only who asked (`caller(ctx)`: user, domains, project or system scope, roles,
  request id, and the trust or application credential that limited the caller's roles, such as
  Heat's trust) in the job's payload, never a token;
- when the job runs, `acting_for(service_type, caller)` asks the identity service, with the
  service user's own token, for a short-lived token of that user in that scope. Identity mints it
  in-process (the `Minter` app.py wires in, as it wires in the token validator) only for a valid
  token of a service user with a service role, and only if the user, its domain, the project and
  a role assignment on it still exist and are enabled (for a trust or an application credential:
  it is still live, and the token carries only its roles), so a deleted or disabled user, one whose roles were
  taken away, or a deleted trust makes the job fail as the upstream call would fail;
- every call then goes with that token as X-Auth-Token and the service token as X-Service-Token
  (the called service sees `ctx.service_user_id` / `ctx.service_roles`, as keystonemiddleware's
  X-Service-* headers), and the original request id as X-OpenStack-Request-ID (the global request
  id, as nova passes it on).
Calls a request makes while it is served (a Nova handler asking Neutron for ports) go with the
user's token and, as DevStack's `send_service_user_token = True` has nova, cinder and glance do,
the calling service's own token as X-Service-Token: `handler_service_token()`, which
internal_client.call adds for the service `serving()` names (app.py sets it around each handler).

The minted token lives `ACTING_LIFETIME` at most, is cached per (service, user, scope) like the
service tokens, and is minted again when close to expiry, so a job of any length keeps working.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client, snapshots
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ServiceUnavailable

service_credentials = sa.Table(
    "service_credentials", db.metadata,
    sa.Column("service_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("password", sa.String(255), nullable=False),
    sa.Column("project_name", sa.String(255), nullable=False, default="service"),
    *db.timestamps(),
)

_cache: dict[tuple[str, str | None], tuple[str, dt.datetime, dict[str, Any]]] = {}
snapshots.forget_on_restore(_cache.clear)
serving: contextvars.ContextVar[str | None] = contextvars.ContextVar("pocketstack_serving", default=None)
_users: set[str] | None = None       # service types that have a service user (read once)
snapshots.forget_on_restore(lambda: globals().update(_users=None))
_lock = threading.Lock()
MARGIN = dt.timedelta(seconds=120)


def store(conn: Connection, credentials: list[tuple[str, str, str, str]]) -> None:
    """(service type, user id, password, user name) of service users, in one insert."""
    now = utcnow()
    conn.execute(service_credentials.insert(), [
        dict(service_type=service_type, user_id=user_id, user_name=user_name, password=password,
             project_name="service", created_at=now) for service_type, user_id, password, user_name in credentials])


def known(conn: Connection) -> set[str]:
    return set(conn.execute(sa.select(service_credentials.c.service_type)).scalars())


def credentials(service_type: str) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(service_credentials).where(
            service_credentials.c.service_type == service_type)).mappings().first()
    if row is None:
        raise ServiceUnavailable(f"No service user is configured for {service_type}.")
    return dict(row)


def _fresh(key: tuple[str, str | None]) -> tuple[str, dt.datetime, dict[str, Any]] | None:
    """A cached token still good for MARGIN, or None."""
    with _lock:
        hit = _cache.get(key)
    return hit if hit is not None and hit[1] - MARGIN > utcnow() else None


def _issue(service_type: str, scope: dict[str, Any], key: tuple[str, str | None]) -> tuple[str, dict[str, Any]]:
    if hit := _fresh(key):
        return hit[0], hit[2]
    cred = credentials(service_type)
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "id": cred["user_id"], "password": cred["password"]}}}, "scope": scope}}
    r = internal_client.call("POST", "/identity/v3/auth/tokens", json=body)
    if r.status_code != 201:
        raise ServiceUnavailable(f"The {service_type} service user could not authenticate "
                                 f"({r.status_code}): {r.text[:300]}")
    token, data = r.headers["X-Subject-Token"], r.json()["token"]
    expires = dt.datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00")).replace(tzinfo=None)
    with _lock:
        _cache[key] = (token, expires, data)
    return token, data


def handler_service_token() -> str | None:
    """The token of the service whose handler runs in this thread, for X-Service-Token; None
    outside a handler or for a service without a service user (identity, the dashboard)."""
    global _users
    service = serving.get()
    if service is None:
        return None
    if _users is None:
        with db.reader() as conn:
            _users = known(conn)
    if service not in _users:
        return None
    if db.holds_write_turn():       # issuing one writes: only a cached token, never a wait on ourselves
        return hit[0] if (hit := _fresh((service, None))) else None
    return token(service)


def token(service_type: str) -> str:
    """A token of the service user, scoped to project `service`."""
    return project_token(service_type)[0]


def project_token(service_type: str) -> tuple[str, str]:
    """token() and the id of project `service` it is scoped to (the service's own Swift account)."""
    token_id, data = _issue(service_type, {"project": {"name": "service", "domain": {"id": "default"}}},
                            (service_type, None))
    return token_id, data["project"]["id"]


def trust_token(service_type: str, trust_id: str) -> str:
    """A trust-scoped token: the service user acting with the delegated roles of the trustor."""
    return _issue(service_type, {"OS-TRUST:trust": {"id": trust_id}}, (service_type, trust_id))[0]


def forget_trust(service_type: str, trust_id: str) -> None:
    with _lock:
        _cache.pop((service_type, trust_id), None)


# --- acting for a user: what a job keeps, and what it calls with -----------------------------
ACTING_LIFETIME = dt.timedelta(minutes=10)
CALLER_KEYS = ("user_id", "user_domain_id", "project_id", "project_domain_id", "domain_id", "system",
               "trust_id", "application_credential_id", "roles", "request_id")


class Minter(Protocol):
    """The identity service's half: a token of `caller` in its scope, for a service token; raises
    core.errors.Unauthorized (a bad service token) or Forbidden (a user that cannot be acted for)."""
    def __call__(self, service_token: str, caller: dict[str, Any], lifetime: dt.timedelta
                 ) -> tuple[str, dt.datetime]: ...


_minter: Minter | None = None


def configure(minter: Minter) -> None:
    global _minter
    _minter = minter


def caller(ctx: Context) -> dict[str, Any]:
    """Who asked, as a job keeps it: ids, never a token."""
    found = {"user_id": ctx.user_id, "user_domain_id": ctx.user_domain_id, "project_id": ctx.project_id,
             "project_domain_id": ctx.project_domain_id, "domain_id": ctx.domain_id,
             "system": ctx.system_scope, "trust_id": ctx.trust_id,
             "application_credential_id": ctx.application_credential_id, "roles": list(ctx.roles),
             "request_id": ctx.global_request_id or ctx.request_id}
    return {k: v for k, v in found.items() if v is not None}


class ActingFor:
    """What internal_client sends for a job acting for a user: the user's minted token as
    X-Auth-Token and the service's as X-Service-Token, both fetched (from the cache) per call."""

    def __init__(self, service_type: str, who: dict[str, Any]) -> None:
        self.service_type, self.caller = service_type, {k: who[k] for k in CALLER_KEYS if k in who}

    @property
    def token(self) -> str:
        who = self.caller
        scope = who.get("project_id") or who.get("domain_id") or who.get("system") or ""
        limit = who.get("trust_id") or who.get("application_credential_id") or ""
        key = (self.service_type, f"for:{who['user_id']}:{scope}:{limit}")
        if hit := _fresh(key):
            return hit[0]
        if _minter is None:
            raise ServiceUnavailable("No identity service is configured to act for users.")
        minted, expires = _minter(token(self.service_type), who, ACTING_LIFETIME)
        with _lock:
            _cache[key] = (minted, expires, {})
        return minted

    def headers(self) -> dict[str, str]:
        user_token = self.token
        headers = {"X-Auth-Token": user_token, "X-Service-Token": token(self.service_type)}
        if self.caller.get("request_id"):
            headers["X-OpenStack-Request-ID"] = self.caller["request_id"]
        return headers

    def __repr__(self) -> str:                 # never a token in a log line or a traceback
        return f"ActingFor({self.service_type!r}, user {self.caller.get('user_id')})"


def acting_for(service_type: str, who: dict[str, Any]) -> ActingFor:
    """How a job of `service_type` calls other services for the user `who` (from `caller`)."""
    return ActingFor(service_type, who)


def caller_of_token(service_type: str, user_token: str) -> dict[str, Any] | None:
    """Upgrade path for payloads written before jobs kept ids: who a stored token belongs to
    (keystone's GET /v3/auth/tokens with allow_expired, as the service user), or None once the
    token is revoked, unknown or past the allow_expired window."""
    r = internal_client.call("GET", "/identity/v3/auth/tokens?allow_expired=1&nocatalog",
                             token=token(service_type), headers={"X-Subject-Token": user_token})
    if r.status_code != 200:
        return None
    body = r.json()["token"]
    project, domain = body.get("project") or {}, body.get("domain") or {}
    found = {"user_id": body["user"]["id"], "user_domain_id": body["user"]["domain"]["id"],
             "project_id": project.get("id"), "project_domain_id": (project.get("domain") or {}).get("id"),
             "domain_id": domain.get("id"), "system": "all" if "system" in body else None,
             "roles": [role["name"] for role in body.get("roles", [])]}
    return {k: v for k, v in found.items() if v is not None}
