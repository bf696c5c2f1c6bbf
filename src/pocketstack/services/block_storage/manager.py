"""The volume manager: the durable jobs behind every asynchronous operation (cinder-volume and
cinder-backup's part). Each job is idempotent: it checks the row is still in the state the API left
it in, moves bytes without holding a transaction, then records the outcome. A restart resumes the
job; a job that fails for good leaves its resource in Cinder's error state, never in transition.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import sqlalchemy as sa

from pocketstack.core import db, internal_client, jobs, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.services.block_storage import backend, common, messages, qcow2
from pocketstack.services.block_storage.tables import (
    attachments, backups, group_snapshots, groups, snapshots, volume_metadata, volume_type_extra_specs, volumes)

LOG = logging.getLogger("pocketstack.block_storage")
GiB = backend.GiB


class Failed(Exception):
    """A definitive failure: no retry, the resource goes to its error state."""


def _row(table: sa.Table, item_id: str) -> dict[str, Any] | None:
    with db.reader() as conn:
        row = conn.execute(sa.select(table).where(table.c.id == item_id)).mappings().first()
    return dict(row) if row else None


def _set(table: sa.Table, item_id: str, expect: str | tuple[str, ...] | None = None, **values: Any) -> bool:
    with db.session() as conn:
        stmt = table.update().where(table.c.id == item_id)
        if expect is not None:
            stmt = stmt.where(table.c.status.in_([expect] if isinstance(expect, str) else list(expect)))
        return conn.execute(stmt.values(updated_at=utcnow(), **values)).rowcount == 1


def attached(volume_id: str) -> bool:
    with db.reader() as conn:
        return conn.execute(sa.select(attachments.c.id).where(
            attachments.c.volume_id == volume_id, attachments.c.attach_status == "attached")).first() is not None


def _settled(volume_id: str) -> str:
    return "in-use" if attached(volume_id) else "available"


# --- volumes -----------------------------------------------------------------------------------
def create_volume(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] not in ("creating", "managing"):
        return
    key, source = vol["blob_key"], p.get("source")
    values: dict[str, Any] = {}
    if source != "manage" and not _schedulable(vol):
        with db.session() as conn:
            messages.record(conn, vol["project_id"], p.get("request_id"), vol["id"], messages.NO_VALID_BACKEND)
        raise Failed("No valid backend was found: the volume type's extra specs match no backend.")
    if source == "snapshot":
        snap = _row(snapshots, p["source_id"])
        if snap is None:
            raise Failed(f"snapshot {p['source_id']} is gone")
        backend.copy(snap["blob_key"], key, vol["size"])
        src = _row(volumes, snap["volume_id"])
        # cinder copies the glance metadata to the snapshot and from it to the new volume
        values.update(bootable=bool(src and src["bootable"]),
                      image_metadata=src["image_metadata"] if src else {})
    elif source == "volume":
        src = _row(volumes, p["source_id"])
        if src is None:
            raise Failed(f"volume {p['source_id']} is gone")
        backend.copy(src["blob_key"], key, vol["size"])
        values.update(bootable=src["bootable"], image_metadata=src["image_metadata"])
    elif source == "backup":
        bak = _row(backups, p["source_id"])
        if bak is None:
            raise Failed(f"backup {p['source_id']} is gone")
        backend.copy(bak["blob_key"], key, vol["size"])
        _set(backups, bak["id"], "restoring", status="available")
        values.update(bootable=bool(bak["volume_bootable"]),
                      image_metadata=bak["volume_image_metadata"] or {})
    elif source == "image":
        backend.create(key, vol["size"])
        _write_image(p, key, vol["size"])
        values["bootable"] = True
    elif source == "manage":
        backend.rename(p["source_key"], key)
        if not backend.exists(key):
            raise Failed(f"backing file {p['source_key']} is gone")
    else:
        backend.create(key, vol["size"])
    _set(volumes, vol["id"], ("creating", "managing"), status="available", **values)


def _schedulable(vol: dict[str, Any]) -> bool:
    with db.reader() as conn:
        specs = dict(conn.execute(sa.select(volume_type_extra_specs.c.key, volume_type_extra_specs.c.value).where(
            volume_type_extra_specs.c.type_id == vol["volume_type_id"])).all())
    return common.backend_satisfies(specs)


def _write_image(p: dict[str, Any], key: str, size_gb: int) -> None:
    """The image's bytes into the volume, converted to raw as cinder's qemu-img does."""
    r = internal_client.call("GET", f"/image/v2/images/{p['source_id']}/file", token=_service_token())
    if r.status_code != 200:
        raise Failed(f"image {p['source_id']} download failed: HTTP {r.status_code}")
    data, disk_format = r.content, p.get("disk_format") or "raw"
    if disk_format == "qcow2":
        if qcow2.virtual_size(data) > size_gb * GiB:
            raise Failed(f"image {p['source_id']} is larger than the volume")
        try:
            qcow2.decode(data, key)
        except qcow2.Unsupported as exc:
            raise Failed(f"image {p['source_id']}: {exc}") from None
    elif disk_format in ("raw", "iso", "ami", "aki", "ari"):
        if len(data) > size_gb * GiB:
            raise Failed(f"image {p['source_id']} is larger than the volume")
        backend.write_at_start(key, (data[i:i + backend.CHUNK] for i in range(0, len(data), backend.CHUNK)))
    else:
        raise Failed(f"image {p['source_id']}: converting {disk_format} images is not supported")
    backend.resize(key, size_gb)


def delete_volume(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None:
        return
    with db.reader() as conn:
        snaps = conn.execute(sa.select(snapshots).where(snapshots.c.volume_id == vol["id"])).mappings().all()
    for snap in snaps:
        backend.delete(snap["blob_key"])
    backend.delete(vol["blob_key"])
    with db.session() as conn:
        conn.execute(snapshots.delete().where(snapshots.c.volume_id == vol["id"]))
        conn.execute(volumes.delete().where(volumes.c.id == vol["id"]))


def extend_volume(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "extending":
        return
    backend.resize(vol["blob_key"], p["new_size"])
    _set(volumes, vol["id"], "extending", status=_settled(vol["id"]), size=p["new_size"])


def revert_volume(p: dict[str, Any]) -> None:
    vol, snap = _row(volumes, p["volume_id"]), _row(snapshots, p["snapshot_id"])
    if vol is None or vol["status"] != "reverting":
        return
    if snap is None:
        raise Failed(f"snapshot {p['snapshot_id']} is gone")
    backend.copy(snap["blob_key"], vol["blob_key"], vol["size"])
    _set(snapshots, snap["id"], "restoring", status="available")
    _set(volumes, vol["id"], "reverting", status="available")


def upload_image(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "uploading":
        return
    chunks = qcow2.encode(vol["blob_key"]) if p.get("disk_format") == "qcow2" else backend.read(vol["blob_key"])
    r = internal_client.call("PUT", f"/image/v2/images/{p['image_id']}/file", token=_service_token(),
                             headers={"Content-Type": "application/octet-stream"},
                             content=_stream(chunks))  # type: ignore[arg-type]
    if r.status_code >= 300:   # as cinder does, an image that never got its data is deleted
        LOG.warning("upload of volume %s to image %s failed: %s", vol["id"], p["image_id"], r.text[:300])
        internal_client.call("DELETE", f"/image/v2/images/{p['image_id']}", token=_service_token())
    _set(volumes, vol["id"], "uploading", status=_settled(vol["id"]))


async def _stream(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Blocking reads of the volume, pulled off the event loop, for the image service's upload."""
    done = object()
    while (chunk := await anyio.to_thread.run_sync(next, chunks, done)) is not done:
        yield chunk  # type: ignore[misc]


# --- snapshots ----------------------------------------------------------------------------------
def create_snapshot(p: dict[str, Any]) -> None:
    snap = _row(snapshots, p["snapshot_id"])
    if snap is None or snap["status"] not in ("creating", "managing"):
        return
    if p.get("source_key"):
        backend.rename(p["source_key"], snap["blob_key"])
        backend.delete(p["source_key"] + ".json")
        if not backend.exists(snap["blob_key"]):
            raise Failed(f"backing file {p['source_key']} is gone")
    else:
        vol = _row(volumes, snap["volume_id"])
        if vol is None:
            raise Failed(f"volume {snap['volume_id']} is gone")
        backend.copy(vol["blob_key"], snap["blob_key"])
    _set(snapshots, snap["id"], ("creating", "managing"), status="available", progress="100%")


def delete_snapshot(p: dict[str, Any]) -> None:
    snap = _row(snapshots, p["snapshot_id"])
    if snap is None:
        return
    backend.delete(snap["blob_key"])
    with db.session() as conn:
        conn.execute(snapshots.delete().where(snapshots.c.id == snap["id"]))


# --- backups ------------------------------------------------------------------------------------
def create_backup(p: dict[str, Any]) -> None:
    bak = _row(backups, p["backup_id"])
    if bak is None or bak["status"] != "creating":
        return
    source = _row(snapshots, bak["snapshot_id"]) if bak["snapshot_id"] else _row(volumes, bak["volume_id"])
    if source is None:
        raise Failed("the backup's source is gone")
    backend.copy(source["blob_key"], bak["blob_key"])
    used = sum(1 for _ in backend.data_ranges_of(bak["blob_key"]))
    _set(backups, bak["id"], "creating", status="available", object_count=max(used, 1))
    if not bak["snapshot_id"]:
        _set(volumes, bak["volume_id"], "backing-up", status=_settled(bak["volume_id"]))
    else:
        _set(snapshots, bak["snapshot_id"], "backing-up", status="available")


def restore_backup(p: dict[str, Any]) -> None:
    bak, vol = _row(backups, p["backup_id"]), _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "restoring-backup":
        return
    if bak is None:
        raise Failed(f"backup {p['backup_id']} is gone")
    backend.copy(bak["blob_key"], vol["blob_key"], vol["size"])
    with db.session() as conn:
        for key, value in (bak["volume_metadata"] or {}).items():
            conn.execute(volume_metadata.delete().where(volume_metadata.c.volume_id == vol["id"],
                                                        volume_metadata.c.key == key))
            conn.execute(volume_metadata.insert().values(volume_id=vol["id"], key=key, value=value))
    _set(backups, bak["id"], "restoring", status="available", restore_volume_id=None)
    # cinder's backup metadata API restores the bootable flag and the glance metadata with the bytes
    _set(volumes, vol["id"], "restoring-backup", status="available", bootable=bool(bak["volume_bootable"]),
         image_metadata=bak["volume_image_metadata"] or {})


def delete_backup(p: dict[str, Any]) -> None:
    bak = _row(backups, p["backup_id"])
    if bak is None:
        return
    backend.delete(bak["blob_key"])
    with db.session() as conn:
        conn.execute(backups.delete().where(backups.c.id == bak["id"]))


# --- generic volume groups ------------------------------------------------------------------------
def create_group(p: dict[str, Any]) -> None:
    """A new group, empty or from a source: its volumes are copied one by one (each step idempotent),
    then the group is available; a member that fails puts the group in error."""
    group = _row(groups, p["group_id"])
    if group is None or group["status"] != "creating":
        return
    for member in p.get("members") or []:
        try:
            create_volume({"volume_id": member["volume_id"], "source": member["source"],
                           "source_id": member["source_id"]})
        except Failed as exc:
            _fail_volume(member, str(exc))
            raise
    _set(groups, group["id"], "creating", status="available")


def delete_group(p: dict[str, Any]) -> None:
    group = _row(groups, p["group_id"])
    if group is None:
        return
    with db.reader() as conn:
        members = conn.execute(sa.select(volumes.c.id).where(volumes.c.group_id == group["id"])).scalars().all()
    for volume_id in members:
        delete_volume({"volume_id": volume_id})
    with db.session() as conn:
        conn.execute(groups.delete().where(groups.c.id == group["id"]))


def _group_snapshot_members(group_snapshot_id: str) -> list[str]:
    with db.reader() as conn:
        return list(conn.execute(sa.select(snapshots.c.id).where(
            snapshots.c.group_snapshot_id == group_snapshot_id)).scalars())


def create_group_snapshot(p: dict[str, Any]) -> None:
    gsnap = _row(group_snapshots, p["group_snapshot_id"])
    if gsnap is None or gsnap["status"] != "creating":
        return
    for snapshot_id in _group_snapshot_members(gsnap["id"]):
        create_snapshot({"snapshot_id": snapshot_id})
    _set(group_snapshots, gsnap["id"], "creating", status="available")


def delete_group_snapshot(p: dict[str, Any]) -> None:
    gsnap = _row(group_snapshots, p["group_snapshot_id"])
    if gsnap is None:
        return
    for snapshot_id in _group_snapshot_members(gsnap["id"]):
        delete_snapshot({"snapshot_id": snapshot_id})
    with db.session() as conn:
        conn.execute(group_snapshots.delete().where(group_snapshots.c.id == gsnap["id"]))


def _fail_group(p: dict[str, Any], error: str) -> None:
    group = _row(groups, p["group_id"])
    if group is not None:
        _set(groups, group["id"], None, status="error_deleting" if group["status"] == "deleting" else "error")


def _fail_group_snapshot(p: dict[str, Any], error: str) -> None:
    gsnap = _row(group_snapshots, p["group_snapshot_id"])
    if gsnap is None:
        return
    status = "error_deleting" if gsnap["status"] == "deleting" else "error"
    _set(group_snapshots, gsnap["id"], None, status=status)
    with db.session() as conn:
        conn.execute(snapshots.update().where(snapshots.c.group_snapshot_id == gsnap["id"],
                                              snapshots.c.status.in_(["creating", "deleting"])).values(status=status))


# --- registration --------------------------------------------------------------------------------
def _fail_volume(p: dict[str, Any], error: str) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None:
        return
    status = {"extending": "error_extending", "uploading": _settled(vol["id"]), "managing": "error_managing",
              "restoring-backup": "error_restoring", "deleting": "error_deleting",
              "reverting": "error"}.get(vol["status"], "error")
    _set(volumes, vol["id"], None, status=status, error=error[:2000])
    if p.get("backup_id"):
        _set(backups, p["backup_id"], "restoring", status="available")


def _fail_snapshot(p: dict[str, Any], error: str) -> None:
    snap = _row(snapshots, p["snapshot_id"])
    if snap is not None:
        _set(snapshots, snap["id"], None, status="error_deleting" if snap["status"] == "deleting" else "error")


def _fail_backup(p: dict[str, Any], error: str) -> None:
    bak = _row(backups, p["backup_id"])
    if bak is None:
        return
    _set(backups, bak["id"], None, status="error", fail_reason=error[:2000])
    if bak["status"] == "creating" and not bak["snapshot_id"]:
        _set(volumes, bak["volume_id"], "backing-up", status=_settled(bak["volume_id"]))


def _guarded(run: Callable[[dict[str, Any]], None],
             fail: Callable[[dict[str, Any], str], None]) -> Callable[[dict[str, Any]], None]:
    def job(p: dict[str, Any]) -> None:
        try:
            run(p)
        except Failed as exc:
            LOG.warning("block storage job failed: %s", exc)
            fail(p, str(exc))
    return job


KINDS: dict[str, tuple[Callable[[dict[str, Any]], None], Callable[[dict[str, Any], str], None]]] = {
    "volume.create": (create_volume, _fail_volume), "volume.delete": (delete_volume, _fail_volume),
    "volume.extend": (extend_volume, _fail_volume), "volume.revert": (revert_volume, _fail_volume),
    "volume.upload_image": (upload_image, _fail_volume),
    "volume.snapshot_create": (create_snapshot, _fail_snapshot),
    "volume.snapshot_delete": (delete_snapshot, _fail_snapshot),
    "volume.backup_create": (create_backup, _fail_backup), "volume.backup_delete": (delete_backup, _fail_backup),
    "volume.backup_restore": (restore_backup, _fail_volume),
    "volume.group_create": (create_group, _fail_group), "volume.group_delete": (delete_group, _fail_group),
    "volume.group_snapshot_create": (create_group_snapshot, _fail_group_snapshot),
    "volume.group_snapshot_delete": (delete_group_snapshot, _fail_group_snapshot),
}


# Payload version 2: the user is carried as ids (user_id, project_id), never a token; the job acts
# as cinder's own service user (cinder's [service_user]), so it outlives the user's token. A version 1
# payload (with the user's token) drops the token and runs the same way.
PAYLOAD_VERSION = 2


def _without_token(payload: dict[str, Any], version: int) -> dict[str, Any]:
    payload.pop("token", None)
    return payload


def _service_token() -> str:
    """The block-storage service user's token: the user's access was checked when the request came
    in, as cinder checks it in the API before casting to the volume manager."""
    return service_auth.token("block-storage")


def register() -> None:
    for kind, (run, fail) in KINDS.items():
        jobs.register(kind, _guarded(run, fail), fail, version=PAYLOAD_VERSION, upgrade=_without_token)


def enqueue(conn: sa.Connection, kind: str, **payload: Any) -> None:
    assert kind in KINDS, kind
    jobs.enqueue(conn, kind, payload, max_attempts=3)
