"""Authenticating with a trust: OS-TRUST:trust scope (api-ref: identity, OS-TRUST)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import Forbidden, NotFound, Unauthorized
from pocketstack.services.identity import effective
from pocketstack.services.identity.tables import roles, trust_roles, trusts, users

AUTH_FAILED = "The request you have made requires authentication."


def live_trust(conn: Connection, trust_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(trusts).where(trusts.c.id == trust_id, trusts.c.deleted_at.is_(None))
                       ).mappings().first()
    if row is None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= utcnow():
        return None
    return dict(row)


def trust_role_rows(conn: Connection, trust_id: str) -> list[dict[str, str]]:
    ids = set(conn.execute(sa.select(trust_roles.c.role_id).where(trust_roles.c.trust_id == trust_id)).scalars())
    ids = effective.expand_implied(conn, ids)
    rows = conn.execute(sa.select(roles.c.id, roles.c.name).where(roles.c.id.in_(ids)).order_by(roles.c.name))
    return [{"id": r.id, "name": r.name} for r in rows]


def scope(conn: Connection, user_id: str, ref: dict[str, Any]) -> dict[str, Any]:
    trust = live_trust(conn, ref.get("id", ""))
    if trust is None:
        raise Unauthorized(AUTH_FAILED)
    if trust["trustee_user_id"] != user_id:
        raise Forbidden("You are not authorized to perform the requested action: User "
                        f"{user_id} is forbidden to consume a trust.")
    if trust["remaining_uses"] is not None and trust["remaining_uses"] <= 0:
        raise Unauthorized(AUTH_FAILED)
    trustor = conn.execute(sa.select(users.c.enabled).where(users.c.id == trust["trustor_user_id"])).scalar()
    if not trustor:
        raise Forbidden("You are not authorized to perform the requested action: Trustor is disabled.")
    if trust["project_id"]:
        held = {r["id"] for r in effective.user_roles(conn, trust["trustor_user_id"], project_id=trust["project_id"])}
        wanted = set(conn.execute(sa.select(trust_roles.c.role_id).where(trust_roles.c.trust_id == trust["id"])).scalars())
        if not wanted <= held:
            raise Forbidden("You are not authorized to perform the requested action: Trustor does not "
                            "have the delegated roles.")
    out: dict[str, Any] = {"trust_id": trust["id"], "expires_at": trust["expires_at"],
                           "user_id": trust["trustor_user_id"] if trust["impersonation"] else user_id}
    if trust["project_id"]:
        out["project_id"] = trust["project_id"]
    return out


def apply(conn: Connection, payload: dict[str, Any], body: dict[str, Any]
          ) -> tuple[dict[str, Any], list[dict[str, str]]]:
    row = conn.execute(sa.select(trusts).where(trusts.c.id == payload["trust_id"])).mappings().first()
    if row is None or row["deleted_at"] is not None:
        raise NotFound("Failed to validate token")
    body["OS-TRUST:trust"] = {"id": row["id"], "impersonation": row["impersonation"],
                              "trustee_user": {"id": row["trustee_user_id"]},
                              "trustor_user": {"id": row["trustor_user_id"]}}
    return body, trust_role_rows(conn, row["id"])


def consume(trust_id: str) -> None:
    with db.session() as conn:
        conn.execute(trusts.update().where(trusts.c.id == trust_id, trusts.c.remaining_uses.isnot(None))
                     .values(remaining_uses=trusts.c.remaining_uses - 1))
