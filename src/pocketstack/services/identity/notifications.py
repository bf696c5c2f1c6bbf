"""Keystone's notifications with notification_format = cadf (keystone/notifications.py): a CADF
activity event (pycadf's Event.as_dict) as the payload of identity.<resource>.<operation> and of
identity.authenticate, from identity.<host>, with an empty context (as keystone sends them)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, notifications
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest
from pocketstack.services.identity.tables.catalog import services
from pocketstack.services.identity.tables.identity import users

EVENT = "http://schemas.dmtf.org/cloud/audit/1.0/event"
INITIATOR_USER = "service/security/account/user"         # pycadf taxonomy.ACCOUNT_USER
OBSERVER = "service/security"                             # taxonomy.SERVICE_SECURITY
TARGETS = {"project": "data/security/project", "user": "data/security/account/user",   # CADF_TYPE_MAP
           "group": "data/security/group", "role": "data/security/role", "domain": "data/security/domain"}
RESOURCE_ID_NAMESPACE = uuid.UUID("4332ecab-770b-4288-a680-b9aca3b1b153")   # keystone.common.utils


def resource_uuid(value: str) -> str:
    """keystone.common.utils.resource_uuid: a UUID as it is, anything else as a name-based UUID."""
    try:
        uuid.UUID(value)
        return value
    except ValueError:
        return uuid.uuid5(RESOURCE_ID_NAMESPACE, value).hex


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f%z")   # pycadf timestamp.get_utc_now


def initiator(ctx: Context | None, rq: ApiRequest | None, user_id: str | None = None,
              user_name: str | None = None) -> dict[str, Any]:
    client = rq.raw.client if rq is not None else None
    out: dict[str, Any] = {"typeURI": INITIATOR_USER, "id": str(uuid.uuid4()),
                           "host": {"address": client.host if client else None,
                                    "agent": rq.headers.get("user-agent") if rq is not None else None}}
    user_id = user_id or (ctx.user_id if ctx else None)
    if user_id:
        out.update(id=resource_uuid(user_id), user_id=user_id)
    if ctx is not None:
        if ctx.project_id:
            out["project_id"] = ctx.project_id
        if ctx.domain_id:
            out["domain_id"] = ctx.domain_id
        out["request_id"] = ctx.request_id
        if ctx.global_request_id:
            out["global_request_id"] = ctx.global_request_id
    elif rq is not None and getattr(rq.raw.state, "request_id", None):
        out["request_id"] = rq.raw.state.request_id
    if user_name:
        out.update(name=user_name, username=user_name)
    return out


def _observer_id(conn: Connection) -> str | None:
    return conn.execute(sa.select(services.c.id).where(services.c.type == "identity")).scalars().first()


def cadf_event(conn: Connection, action: str, outcome: str, who: dict[str, Any], target: dict[str, Any],
               **extra: Any) -> dict[str, Any]:
    if "user_id" in who and "name" not in who:       # keystone's _add_username_to_initiator
        name = conn.execute(sa.select(users.c.name).where(users.c.id == who["user_id"])).scalar()
        if name:
            who = {**who, "name": name, "username": name}
    return {"typeURI": EVENT, "id": str(uuid.uuid4()), "eventType": "activity", "eventTime": _now(),
            "action": action, "outcome": outcome, "initiator": who, "target": target,
            "observer": {"typeURI": OBSERVER, "id": _observer_id(conn) or str(uuid.uuid4())}, **extra}


def audit(conn: Connection, ctx: Context, rq: ApiRequest | None, operation: str, resource_type: str,
          resource_id: str) -> None:
    """identity.<resource_type>.<operation> (created, updated, deleted), sent once `conn` commits."""
    if not notifications.enabled():
        return
    target = {"typeURI": TARGETS.get(resource_type, "unknown"), "id": resource_id}
    event = cadf_event(conn, f"{operation}.{resource_type}", "success", initiator(ctx, rq), target,
                       resource_info=resource_id)
    db.after_commit(conn, lambda: notifications.notify(
        ctx, "identity", f"identity.{resource_type}.{operation}", event))


def authenticated(rq: ApiRequest | None, user_id: str, outcome: str) -> None:
    """identity.authenticate (success or failure) of a password check, keystone's CadfNotificationWrapper."""
    if not notifications.enabled():
        return
    with db.reader() as conn:
        event = cadf_event(conn, "authenticate", outcome, initiator(None, rq, user_id),
                           {"typeURI": INITIATOR_USER, "id": str(uuid.uuid4())})
    notifications.notify(None, "identity", "identity.authenticate", event)
