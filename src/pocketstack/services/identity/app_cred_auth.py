"""Authenticating with an application credential (api-ref: identity, Application credentials)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import BadRequest, Unauthorized
from pocketstack.services.identity import effective, passwords
from pocketstack.services.identity.tables import (
    access_rules, app_cred_access_rules, app_cred_roles, app_creds, roles, users)

AUTH_FAILED = "The request you have made requires authentication."


def authenticate(spec: dict[str, Any]) -> dict[str, Any]:
    from pocketstack.services.identity.auth import find_user
    with db.reader() as conn:
        if "id" in spec:
            row = conn.execute(sa.select(app_creds).where(app_creds.c.id == spec["id"])).mappings().first()
        elif "name" in spec and isinstance(spec.get("user"), dict):
            user = find_user(conn, spec["user"])
            row = conn.execute(sa.select(app_creds).where(app_creds.c.name == spec["name"],
                                                          app_creds.c.user_id == user["id"])).mappings().first()
        else:
            raise BadRequest("Expecting to find id or name and user in application_credential.")
        if row is None or not passwords.check_password(spec.get("secret", ""), row["secret_hash"]):
            raise Unauthorized(AUTH_FAILED)
        if row["expires_at"] is not None and row["expires_at"] <= utcnow():
            raise Unauthorized(AUTH_FAILED)
        owner = conn.execute(sa.select(users.c.enabled).where(users.c.id == row["user_id"])).scalar()
        if not owner:
            raise Unauthorized(AUTH_FAILED)
    return {"user_id": row["user_id"], "app_cred": dict(row), "limit_expires_at": row["expires_at"],
            "methods": ["application_credential"]}


def scope(app_cred: dict[str, Any], requested: dict[str, Any] | None = None,
          conn: Connection | None = None) -> dict[str, Any]:
    own = {"system": "all"} if app_cred["system"] else {"project_id": app_cred["project_id"]}
    if requested:
        project = requested.get("project") or {}
        if "project" in requested and project.get("id") not in (None, app_cred["project_id"]):
            raise Unauthorized(AUTH_FAILED)
        if "domain" in requested or ("system" in requested and not app_cred["system"]):
            raise Unauthorized(AUTH_FAILED)
    if app_cred["project_id"] and not _still_granted(app_cred):
        raise Unauthorized(AUTH_FAILED)
    return own


def _still_granted(app_cred: dict[str, Any]) -> bool:
    """The user still holds at least one of the credential's roles on its project."""
    with db.reader() as conn:
        granted = set(conn.execute(sa.select(app_cred_roles.c.role_id).where(
            app_cred_roles.c.application_credential_id == app_cred["id"])).scalars())
        held = {r["id"] for r in effective.user_roles(conn, app_cred["user_id"], project_id=app_cred["project_id"])}
    return bool(granted & held)


def rules_for(conn: Connection, app_cred_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(access_rules).join(
        app_cred_access_rules, app_cred_access_rules.c.access_rule_id == access_rules.c.id)
        .where(app_cred_access_rules.c.application_credential_id == app_cred_id)).mappings()
    return [{"id": r["id"], "service": r["service"], "path": r["path"], "method": r["method"]} for r in rows]


def apply(conn: Connection, payload: dict[str, Any], user_roles: list[dict[str, str]]
          ) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The token's application_credential section, and its roles: the credential's roles the
    user still holds (a credential never grants more than its user has)."""
    row = conn.execute(sa.select(app_creds).where(
        app_creds.c.id == payload["application_credential_id"])).mappings().first()
    if row is None:
        from pocketstack.core.errors import NotFound
        raise NotFound("Failed to validate token")
    granted = set(conn.execute(sa.select(app_cred_roles.c.role_id).where(
        app_cred_roles.c.application_credential_id == row["id"])).scalars())
    held = {r["id"] for r in user_roles}
    chosen = conn.execute(sa.select(roles.c.id, roles.c.name).where(roles.c.id.in_(granted & held))
                          .order_by(roles.c.name))
    section: dict[str, Any] = {"id": row["id"], "name": row["name"], "restricted": not row["unrestricted"]}
    rules = rules_for(conn, row["id"])
    if rules:
        section["access_rules"] = rules
    return section, [{"id": r.id, "name": r.name} for r in chosen]
