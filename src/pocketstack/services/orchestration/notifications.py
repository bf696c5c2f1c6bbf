"""Heat's notifications (heat/engine/notification/stack.py): orchestration.stack.<action>.start,
.end and .error at every stack state change, with format_notification_body's payload, from
orchestration.<host>."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, notifications
from pocketstack.core.clock import isotime
from pocketstack.services.orchestration.tables.stacks import stack_tags, stacks

SUFFIX = {"IN_PROGRESS": "start", "COMPLETE": "end"}


def stack_state(conn: Any, stack_id: str, action: str, status: str, reason: str) -> None:
    """Sent once `conn` commits the state change."""
    if not notifications.enabled():
        return
    row = conn.execute(sa.select(stacks).where(stacks.c.id == stack_id)).mappings().first()
    if row is None:
        return
    tags = list(conn.execute(sa.select(stack_tags.c.tag).where(stack_tags.c.stack_id == stack_id)).scalars())
    payload = {
        "tenant_id": row["project_id"], "user_id": row["username"], "user_identity": row["user_id"],
        "username": row["username"], "stack_identity": row["id"], "stack_name": row["name"],
        "state": f"{action}_{status}", "state_reason": reason, "create_at": isotime(row["created_at"]),
        "tags": tags or None, "updated_at": isotime(row["updated_at"]),
        "description": (row["template"] or {}).get("description", "No description"),
    }
    suffix = SUFFIX.get(status, "error")
    ctx = {"user_id": row["user_id"], "project_id": row["project_id"]}
    db.after_commit(conn, lambda: notifications.notify(
        ctx, "orchestration", f"orchestration.stack.{action.lower()}.{suffix}", payload,
        "ERROR" if suffix == "error" else "INFO"))
