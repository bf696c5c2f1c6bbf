"""Service identity, as in a real deployment: each service acts as its own service user (DevStack's
`nova`, `heat`, ... in project `service`), and acts for a user through a trust (Heat's deferred
auth) instead of keeping the user's token.

The identity service creates the users and stores their credentials here (`store`), the way a
deployment tool writes them into each service's config file; services ask for tokens (`token`,
`trust_token`) through the identity REST API. Tokens are cached until shortly before they expire.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client, snapshots
from pocketstack.core.clock import utcnow
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
_lock = threading.Lock()
MARGIN = dt.timedelta(seconds=120)


def store(conn: Connection, service_type: str, user_id: str, user_name: str, password: str) -> None:
    conn.execute(service_credentials.insert().values(service_type=service_type, user_id=user_id,
                                                     user_name=user_name, password=password,
                                                     project_name="service", created_at=utcnow()))


def known(conn: Connection) -> set[str]:
    return set(conn.execute(sa.select(service_credentials.c.service_type)).scalars())


def credentials(service_type: str) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(service_credentials).where(
            service_credentials.c.service_type == service_type)).mappings().first()
    if row is None:
        raise ServiceUnavailable(f"No service user is configured for {service_type}.")
    return dict(row)


def _issue(service_type: str, scope: dict[str, Any], key: tuple[str, str | None]) -> tuple[str, dict[str, Any]]:
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[1] - MARGIN > utcnow():
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
