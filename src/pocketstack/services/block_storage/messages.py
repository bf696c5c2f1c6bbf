"""User messages (3.3+): /messages, /messages/{id} (api-ref: block-storage v3, Messages). The volume
manager records one when an asynchronous operation fails for a reason the user can act on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import messages

MESSAGES = common.APIVersion("3.3")
TTL = dt.timedelta(days=30)
# cinder/message/message_field.py: (event id, text) of the events recorded here
NO_VALID_BACKEND = ("VOLUME_000002", "schedule allocate volume:Could not find any available weighted backend.")
IMAGE_FAILED = ("VOLUME_000003", "copy image to volume:An unknown error occurred.")


def record(conn: Connection, project_id: str, request_id: str | None, resource_uuid: str,
           event: tuple[str, str], resource_type: str = "VOLUME") -> None:
    now = utcnow()
    conn.execute(messages.insert().values(
        id=new_uuid(), project_id=project_id, request_id=request_id or "", resource_type=resource_type,
        resource_uuid=resource_uuid, event_id=event[0], message_level="ERROR", user_message=event[1],
        expires_at=now + TTL, created_at=now))


# --- views ---------------------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    body = {"id": row["id"], "event_id": row["event_id"], "user_message": row["user_message"],
            "message_level": row["message_level"], "created_at": common.ts(row["created_at"]),
            "guaranteed_until": common.ts(row["expires_at"]), "request_id": row["request_id"],
            "links": common.links(ctx, rq, "messages", row["id"])}
    if row["resource_type"]:
        body["resource_type"] = row["resource_type"]
    if row["resource_uuid"]:
        body["resource_uuid"] = row["resource_uuid"]
    return body


# --- routes --------------------------------------------------------------------------------
def list_messages(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(messages).where(*common.project_scope(ctx, rq, messages.c.project_id))
    for key in ("resource_uuid", "resource_type", "event_id", "message_level", "request_id"):
        if rq.query.get(key):
            stmt = stmt.where(messages.c[key] == rq.query[key])
    with db.reader() as conn:
        rows = conn.execute(stmt.order_by(messages.c.created_at.desc(), messages.c.id)).mappings().all()
    return {"messages": [render(ctx, rq, r) for r in rows]}


def show_message(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"message": render(ctx, rq, common.load_row(conn, messages, ctx, rq.params["message_id"], "Message"))}


def delete_message(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load_row(conn, messages, ctx, rq.params["message_id"], "Message")
        conn.execute(messages.delete().where(messages.c.id == row["id"]))


target = common.target_loader("volume_messages", "message_id", "Message")
NEW = {"min_version": MESSAGES}
ROUTES = [
    *routes("GET", "/messages", list_messages, policy="message:get_all", **NEW),
    *routes("GET", "/messages/{message_id}", show_message, policy="message:get", target=target, **NEW),
    *routes("DELETE", "/messages/{message_id}", delete_message, policy="message:delete", target=target, status=204,
            **NEW),
    *common.before(MESSAGES, "/messages", "/messages/{message_id}"),
]
