"""Service users, as DevStack creates them: one user per catalog service (`nova`, `neutron`, `heat`,
...) in the default domain with the `service` and `admin` roles on project `service`; their
credentials go to core's service_auth, as a deployment tool writes them into each config file.

`mint` is identity's half of core.service_auth.acting_for: a short-lived token for a user a
service's job acts for, minted only for a valid token of a service user with a service role, and
only while the user, the scope and a role assignment on it are still there and enabled."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from pocketstack.config import Settings
from pocketstack.core import auth as core_auth
from pocketstack.core import db, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import Forbidden, NotFound, Unauthorized
from pocketstack.core.ids import new_id
from pocketstack.services.identity import auth, options, passwords, tokens
from pocketstack.services.identity.tables import assignments, projects, roles, services, users

LOG = logging.getLogger("pocketstack.identity")


def ensure(settings: Settings) -> None:
    """Every start: a service user for each catalog service that has none yet (older data dirs too)."""
    options.load(settings)
    with db.reader() as conn:
        have = service_auth.known(conn)
        catalog = {row.type: (row.extra or {}).get("name") or row.type
                   for row in conn.execute(sa.select(services.c.type, services.c.extra))}
    missing = {t: n for t, n in catalog.items() if t not in have and t != "identity"}
    if not missing:
        return
    try:
        with db.session() as conn:          # all in one transaction (a first start makes eleven)
            _create(conn, missing)
        return
    except IntegrityError:                  # another worker made some: one at a time, leaving theirs
        pass
    for service_type, name in sorted(missing.items()):
        try:
            with db.session() as conn:
                _create(conn, {service_type: name})
        except IntegrityError:      # another worker made it first
            continue


def _create(conn: sa.Connection, missing: dict[str, str]) -> None:
    """Service users for `missing` (service type -> user name), each table's rows in one insert: a
    first start makes eleven before it listens."""
    project_id = conn.execute(sa.select(projects.c.id).where(
        projects.c.name == "service", projects.c.domain_id == "default")).scalar()
    if project_id is None:
        return
    names = set(missing.values())
    creds = service_auth.service_credentials
    # two catalog types, one service (block-storage and volumev3: cinder): one user, its password
    made = {row.user_name: (row.user_id, row.password) for row in conn.execute(
        sa.select(creds.c.user_name, creds.c.user_id, creds.c.password).where(creds.c.user_name.in_(names)))}
    role_ids = list(conn.execute(sa.select(roles.c.id).where(roles.c.name.in_(["service", "admin"]))).scalars())
    existing = {row.name: row.id for row in conn.execute(sa.select(users.c.name, users.c.id).where(
        users.c.domain_id == "default", users.c.name.in_(names - set(made))))}     # made by an operator
    granted = {(row.actor_id, row.role_id) for row in conn.execute(
        sa.select(assignments.c.actor_id, assignments.c.role_id).where(
            assignments.c.type == "UserProject", assignments.c.target_id == project_id,
            assignments.c.actor_id.in_(existing.values())))} if existing else set()
    now = utcnow()
    rows: dict[str, list[dict[str, Any]]] = {"users": [], "passwords": [], "assignments": []}
    for service_type, name in sorted(missing.items()):
        if name not in made:
            # 256 random bits: a cheap hash cost is enough
            user_id, password = existing.get(name) or new_id(), secrets.token_urlsafe(32)
            made[name] = (user_id, password)
            if name in existing:    # a user of that name exists: give it a known password
                conn.execute(passwords.passwords.delete().where(passwords.passwords.c.user_id == user_id))
            else:
                rows["users"].append(dict(id=user_id, domain_id="default", name=name, enabled=True,
                                          default_project_id=project_id, extra={}, options={},
                                          failed_auth_count=0, created_at=now))
            rows["passwords"].append(dict(user_id=user_id, password_hash=passwords.hash_password(password, rounds=4),
                                          self_service=False, created_at=now))
            rows["assignments"] += [dict(type="UserProject", actor_id=user_id, target_id=project_id,
                                         role_id=role_id, inherited=False)
                                    for role_id in role_ids if (user_id, role_id) not in granted]
            LOG.info("created service user %s for %s", name, service_type)
    for table, values in ((users, rows["users"]), (passwords.passwords, rows["passwords"]),
                          (assignments, rows["assignments"])):
        if values:
            conn.execute(table.insert(), values)
    service_auth.store(conn, [(service_type, *made[name], name) for service_type, name in sorted(missing.items())])


def mint(service_token: str, caller: dict[str, Any], lifetime: dt.timedelta) -> tuple[str, dt.datetime]:
    """A token of `caller` (core.service_auth.caller) in its scope, for at most `lifetime`."""
    with db.reader() as conn:
        payload, body = auth.validated(conn, service_token, catalog=False)      # Unauthorized if bad
        roles = {r["name"] for r in body.get("roles", [])}
        if not core_auth.SERVICE_ROLES & roles or payload["user_id"] not in set(conn.execute(
                sa.select(service_auth.service_credentials.c.user_id)).scalars()):
            raise Unauthorized("Only a service user may act for another user.")
        scope = ({"project_id": caller["project_id"]} if caller.get("project_id") else
                 {"domain_id": caller["domain_id"]} if caller.get("domain_id") else
                 {"system": "all"} if caller.get("system") else {})
        now = utcnow()
        minted = {"user_id": caller["user_id"], "methods": ["token"], "scope": scope,
                  "expires_at": min(tokens.expiry(now), now + lifetime), "issued_at": now,
                  "audit_ids": [tokens.new_audit_id()], "trust_id": caller.get("trust_id"),
                  "application_credential_id": caller.get("application_credential_id"),
                  "access_token_id": None}
        try:
            auth.token_body(conn, minted, catalog=False)   # user, scope, a role (or the trust): still there
        except NotFound:
            raise Forbidden(f"User {caller['user_id']} can no longer act in "
                            f"{scope or 'an unscoped token'}: gone, disabled or without a role.") from None
    LOG.debug("%s minted a token for user %s in %s", body["user"]["name"], caller["user_id"], scope)
    return tokens.issue(minted), minted["expires_at"]
