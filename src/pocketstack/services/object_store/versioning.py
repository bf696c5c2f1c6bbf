"""Versioned writes: X-Versions-Location (stack) and X-History-Location (history) containers
(swift/common/middleware/versioned_writes/legacy.py). An archived version is the old row moved to
the versions container under '%03x<name>/<timestamp>'; no bytes are copied."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core.context import Context
from pocketstack.services.object_store import acl, headers, object_versioning, state
from pocketstack.services.object_store.tables import objects


def location(container_meta: dict[str, Any]) -> tuple[str, str] | None:
    for key, mode in (("x-versions-location", "stack"), ("x-history-location", "history")):
        if container_meta.get(key):
            return container_meta[key].split("/")[0], mode
    return None


def prefix(name: str) -> str:
    return f"{len(name.encode()):03x}{name}/"


def archive(conn: Connection, ctx: Context, account: str, container_meta: dict[str, Any],
            old: dict[str, Any] | None, new: dict[str, Any] | None = None) -> bool:
    """Move the current version into the versions container; True when it was moved.
    A container with X-Versions-Enabled goes to object_versioning instead."""
    if new is not None:
        new["meta"].pop(object_versioning.KEY_ID, None)
        if object_versioning.configured(container_meta):
            return object_versioning.on_write(conn, account, container_meta, old, new)
    where = location(container_meta)
    if old is None or where is None:
        return False
    versions = state.get_container(conn, account, where[0])
    if versions is None:
        return False
    acl.authorize(ctx, account, acl.WRITE, versions["meta"])
    state.delete_object(conn, account, old["container"], old["name"])
    moved = {**old, "container": where[0], "name": prefix(old["name"]) + headers.x_timestamp(old["timestamp"])}
    state.put_object(conn, moved)
    return True


def restore_latest(conn: Connection, account: str, container: str, name: str,
                   container_meta: dict[str, Any]) -> bool:
    """Stack mode DELETE: the newest archived version becomes current again."""
    where = location(container_meta)
    if where is None or where[1] != "stack":
        return False
    pfx = prefix(name)
    row = conn.execute(sa.select(objects).where(
        objects.c.account == account, objects.c.container == where[0], objects.c.name >= pfx,
        objects.c.name < pfx[:-1] + chr(ord("/") + 1)).order_by(objects.c.name.desc()).limit(1)).mappings().first()
    if row is None:
        return False
    state.delete_object(conn, account, where[0], row["name"])
    state.put_object(conn, {**dict(row), "container": container, "name": name})
    return True
