"""Authenticating with a trust: OS-TRUST:trust scope (api-ref: identity, OS-TRUST)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import Forbidden, NotFound
from pocketstack.services.identity import effective
from pocketstack.services.identity.tables import roles, trust_roles, trusts, users

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


def pedigree(conn: Connection, trust: dict[str, Any]) -> list[dict[str, Any]]:
    """The trust and the trusts it was redelegated from, newest first."""
    chain = [trust]
    while chain[-1]["redelegated_trust_id"] and len(chain) < 32:
        parent = conn.execute(sa.select(trusts).where(trusts.c.id == chain[-1]["redelegated_trust_id"])
                              ).mappings().first()
        if parent is None:
            break
        chain.append(dict(parent))
    return chain


def original_trustor(conn: Connection, trust: dict[str, Any]) -> str:
    return pedigree(conn, trust)[-1]["trustor_user_id"]


def trustor_holds(conn: Connection, trust: dict[str, Any]) -> bool:
    """Whether the (original) trustor still has every delegated role on the trust's project."""
    if not trust["project_id"]:
        return True
    trustor = original_trustor(conn, trust)
    actors = [trustor, *effective.group_ids(conn, trustor)]
    held = effective.expand_implied(conn, effective.direct_role_ids(conn, actors, project_id=trust["project_id"]))
    wanted = set(conn.execute(sa.select(trust_roles.c.role_id).where(trust_roles.c.trust_id == trust["id"])).scalars())
    return effective.expand_implied(conn, wanted) <= held


def scope(conn: Connection, user_id: str, ref: dict[str, Any]) -> dict[str, Any]:
    trust = live_trust(conn, ref.get("id", ""))
    if trust is None or (trust["remaining_uses"] is not None and trust["remaining_uses"] <= 0):
        raise NotFound(f"Could not find trust: {ref.get('id')}.")
    if trust["trustee_user_id"] != user_id:
        raise Forbidden("You are not authorized to perform the requested action: User "
                        f"{user_id} is forbidden to consume a trust.")
    trustor = conn.execute(sa.select(users.c.enabled).where(users.c.id == trust["trustor_user_id"])).scalar()
    if not trustor:
        raise Forbidden("You are not authorized to perform the requested action: Trustor is disabled.")
    for parent in pedigree(conn, trust)[1:]:
        if live_trust(conn, parent["id"]) is None:
            raise NotFound(f"Could not find trust: {trust['id']}.")
    if not trustor_holds(conn, trust):
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
    if row is None or live_trust(conn, row["id"]) is None or not trustor_holds(conn, dict(row)):
        raise NotFound("Failed to validate token")
    body["OS-TRUST:trust"] = {"id": row["id"], "impersonation": row["impersonation"],
                              "trustee_user": {"id": row["trustee_user_id"]},
                              "trustor_user": {"id": row["trustor_user_id"]}}
    return body, trust_role_rows(conn, row["id"])


def consume(trust_id: str) -> None:
    with db.session() as conn:
        conn.execute(trusts.update().where(trusts.c.id == trust_id, trusts.c.remaining_uses.isnot(None))
                     .values(remaining_uses=trusts.c.remaining_uses - 1))
