"""Cinder's notifications (cinder/volume/volume_utils.py): volume.create/delete.start/end,
volume.attach/detach.end, snapshot.create.end, with _usage_from_volume's and _usage_from_snapshot's
payloads, from volume.<host> and snapshot.<host>."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, notifications
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.tables import (
    attachments, snapshot_metadata, snapshots, volume_metadata, volumes)

Caller = Context | dict[str, Any] | None
def _publisher() -> str:
    """cinder-volume's host: volume.pocketstack@lvmdriver-1 (this host's, set on start)."""
    return common.HOST.split("#")[0]


def _iso(value: Any) -> str:
    return (value or utcnow()).isoformat()


def volume_payload(conn: Connection, vol: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """_usage_from_volume."""
    metadata = [{"key": m.key, "value": m.value} for m in conn.execute(
        sa.select(volume_metadata).where(volume_metadata.c.volume_id == vol["id"]))]
    attached = [{"id": a["id"], "volume_id": a["volume_id"], "instance_uuid": a["instance_uuid"],
                 "attached_host": a["attached_host"], "mountpoint": a["mountpoint"],
                 "attach_status": a["attach_status"], "attach_mode": a["attach_mode"],
                 "attach_time": a["attach_time"] and a["attach_time"].isoformat()}
                for a in conn.execute(sa.select(attachments).where(
                    attachments.c.volume_id == vol["id"])).mappings()]
    return {
        "tenant_id": vol["project_id"], "host": vol["host"], "user_id": vol["user_id"],
        "availability_zone": vol["availability_zone"], "volume_id": vol["id"],
        "volume_type": vol["volume_type_id"], "display_name": vol["name"],
        "launched_at": _iso(vol["created_at"]), "created_at": _iso(vol["created_at"]),
        "status": vol["status"],
        "snapshot_id": vol["snapshot_id"], "size": vol["size"], "replication_status": None,
        "replication_extended_status": None, "replication_driver_data": None, "metadata": metadata,
        "volume_attachment": attached, **extra,
    }


def snapshot_payload(conn: Connection, snap: dict[str, Any]) -> dict[str, Any]:
    """_usage_from_snapshot."""
    vol = conn.execute(sa.select(volumes.c.availability_zone).where(
        volumes.c.id == snap["volume_id"])).first()
    metadata = {m.key: m.value for m in conn.execute(
        sa.select(snapshot_metadata).where(snapshot_metadata.c.snapshot_id == snap["id"]))}
    return {
        "tenant_id": snap["project_id"], "user_id": snap["user_id"],
        "availability_zone": vol.availability_zone if vol else None, "volume_id": snap["volume_id"],
        "volume_size": snap["size"], "snapshot_id": snap["id"], "display_name": snap["name"],
        "created_at": _iso(snap["created_at"]), "status": snap["status"], "deleted": "",
        "metadata": str(metadata) if metadata else "",
    }


def _caller(ctx: Caller, row: dict[str, Any]) -> Caller:
    return ctx if ctx else {"user_id": row["user_id"], "project_id": row["project_id"]}


def _build(conn: Connection, kind: str, item_id: str, **extra: Any) -> tuple[dict[str, Any], Any] | None:
    table = volumes if kind == "volume" else snapshots
    row = conn.execute(sa.select(table).where(table.c.id == item_id)).mappings().first()
    if row is None:
        return None
    row = dict(row)
    return row, (volume_payload(conn, row, **extra) if kind == "volume" else snapshot_payload(conn, row))


def send(ctx: Caller, kind: str, item_id: str, suffix: str, **extra: Any) -> None:
    """`kind` volume or snapshot: `<kind>.<suffix>` about the committed row, read now."""
    if not notifications.enabled():
        return
    with db.reader() as conn:
        built = _build(conn, kind, item_id, **extra)
    if built is not None:
        notifications.notify(_caller(ctx, built[0]), "block-storage", f"{kind}.{suffix}", built[1],
                             host=_publisher())


def send_after_commit(conn: Connection, ctx: Caller, kind: str, item_id: str, suffix: str,
                      **extra: Any) -> None:
    """As `send`, with the row as this transaction leaves it, sent once it commits."""
    if not notifications.enabled():
        return
    built = _build(conn, kind, item_id, **extra)
    if built is not None:
        row, payload = built
        db.after_commit(conn, lambda: notifications.notify(
            _caller(ctx, row), "block-storage", f"{kind}.{suffix}", payload, host=_publisher()))
