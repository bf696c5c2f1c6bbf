"""Glance's notifications (glance/notifier.py): image.create, image.update, image.upload,
image.activate, image.delete, with format_image_notification's payload."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, notifications
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context


def image_payload(view: dict[str, Any]) -> dict[str, Any]:
    """format_image_notification, from the API's view of the image (never its locations)."""
    core = {"id", "name", "status", "created_at", "updated_at", "min_disk", "min_ram", "protected",
            "checksum", "owner", "disk_format", "container_format", "size", "virtual_size", "visibility",
            "tags", "os_hidden", "os_hash_algo", "os_hash_value", "self", "file", "schema", "stores"}
    return {
        "id": view["id"], "name": view["name"], "status": view["status"], "created_at": view["created_at"],
        "updated_at": view["updated_at"], "min_disk": view["min_disk"], "min_ram": view["min_ram"],
        "protected": view["protected"], "checksum": view["checksum"], "owner": view["owner"],
        "disk_format": view["disk_format"], "container_format": view["container_format"],
        "size": view["size"],
        "virtual_size": view["virtual_size"], "is_public": view["visibility"] == "public",
        "visibility": view["visibility"], "properties": {k: v for k, v in view.items() if k not in core},
        "tags": list(view["tags"]), "deleted": False, "deleted_at": None,
    }


def send(ctx: Context | None, event_type: str, view: dict[str, Any], **extra: Any) -> None:
    notifications.notify(ctx, "image", event_type, {**image_payload(view), **extra})


def send_loaded(ctx: Context | None, image_id: str, *event_types: str) -> None:
    """Load the image once (after the commit that changed it), then send each event about it."""
    if not notifications.enabled():
        return
    from pocketstack.services.image import images     # images sends through this module too
    with db.reader() as conn:
        row = conn.execute(sa.select(images.images.c.id).where(images.images.c.id == image_id)).first()
        view = images.show(conn, image_id) if row else None
    for event_type in event_types:
        if view is not None:
            send(ctx, event_type, view)


def deleted(ctx: Context | None, view: dict[str, Any]) -> None:
    send(ctx, "image.delete", view, deleted=True, deleted_at=isotime(utcnow()))
