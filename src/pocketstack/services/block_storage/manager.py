"""The volume manager: the durable jobs behind every asynchronous operation (cinder-volume and
cinder-backup's part). Each job is idempotent: it checks the row is still in the state the API left
it in, moves bytes without holding a transaction, then records the outcome. A restart resumes the
job; a job that fails for good leaves its resource in Cinder's error state, never in transition.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client, jobs, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.block_storage import backend, backup_objects, common, messages, qcow2, volume_types
from pocketstack.services.block_storage import notifications as volume_notifications
from pocketstack.services.block_storage.tables import (
    attachments, backups, group_snapshots, groups, snapshots, volume_metadata, volumes)

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
    caller = {k: p.get(k) for k in ("user_id", "project_id", "request_id")} if p.get("user_id") else None
    volume_notifications.send(caller, "volume", vol["id"], "create.start")
    key, source = vol["blob_key"], p.get("source")
    values: dict[str, Any] = {}
    if source != "manage":
        prefer = None
        if source in ("volume", "snapshot"):       # a clone stays on its source's backend when it may
            src_id = p["source_id"] if source == "volume" else (_row(snapshots, p["source_id"]) or {}).get("volume_id")
            prefer = common.backend_of((_row(volumes, src_id) or {}).get("host")) if src_id else None
        chosen = _schedule(vol, prefer)
        if chosen is None:
            with db.session() as conn:
                messages.record(conn, vol["project_id"], p.get("request_id"), vol["id"], messages.NO_VALID_BACKEND)
            raise Failed("No valid backend was found: the volume type's extra specs match no backend.")
        values["host"] = common.host_of(chosen, (vol["host"] or common.HOSTNAME).split("@")[0])
    if source == "snapshot":
        snap = _row(snapshots, p["source_id"])
        if snap is None:
            raise Failed(f"snapshot {p['source_id']} is gone")
        src = _row(volumes, snap["volume_id"])
        if src is None:
            raise Failed(f"volume {snap['volume_id']} of snapshot {snap['id']} is gone")
        backend.active().clone_snapshot(src["blob_key"], snap["blob_key"], key, vol["size"])
        # cinder copies the glance metadata to the snapshot and from it to the new volume
        values.update(bootable=bool(src["bootable"]), image_metadata=src["image_metadata"])
    elif source == "volume":
        src = _row(volumes, p["source_id"])
        if src is None:
            raise Failed(f"volume {p['source_id']} is gone")
        backend.active().clone_volume(src["blob_key"], key, vol["size"])
        values.update(bootable=src["bootable"], image_metadata=src["image_metadata"])
    elif source == "backup":
        bak = _row(backups, p["source_id"])
        if bak is None:
            raise Failed(f"backup {p['source_id']} is gone")
        _restore_into(bak, key, vol["size"])
        _set(backups, bak["id"], "restoring", status="available")
        values.update(bootable=bool(bak["volume_bootable"]),
                      image_metadata=bak["volume_image_metadata"] or {})
    elif source == "image":
        if not _clone_image(p, key, vol["size"]):
            backend.active().create(key, vol["size"])
            _write_image(p, key, vol["size"])
        values["bootable"] = True
    elif source == "manage":
        backend.active().rename(p["source_key"], key)
        if not backend.active().exists(key):
            raise Failed(f"backing file {p['source_key']} is gone")
    else:
        backend.active().create(key, vol["size"])
    if _set(volumes, vol["id"], ("creating", "managing"), status="available", **values):
        volume_notifications.send(caller, "volume", vol["id"], "create.end")


def _schedule(vol: dict[str, Any], prefer: str | None = None) -> str | None:
    with db.reader() as conn:
        specs = volume_types.specs_of(conn, vol["volume_type_id"])
    return common.pick_backend(specs, prefer)


def has_snapshots(conn: sa.Connection, volume_id: str) -> bool:
    return conn.execute(sa.select(snapshots.c.id).where(snapshots.c.volume_id == volume_id)).first() is not None


def image_locations(p: dict[str, Any]) -> list[str]:
    """The image's location URLs, as cinder's glance client gets them: the locations API as cinder's
    service user (Glance 2.17's, for the service role), else direct_url and locations of the image
    as the user sees it (what show_image_direct_url / show_multiple_locations let Glance show)."""
    image_id = p["source_id"]
    r = internal_client.call("GET", f"/image/v2/images/{image_id}/locations", token=service_auth.token("block-storage"))
    if r.status_code == 200:
        return [loc["url"] for loc in r.json() if loc.get("url")]
    r = internal_client.call("GET", f"/image/v2/images/{image_id}", token=_auth(p))
    if r.status_code != 200:
        return []
    body = r.json()
    urls = [loc["url"] for loc in body.get("locations") or [] if loc.get("url")]
    return urls or ([body["direct_url"]] if body.get("direct_url") else [])


def _clone_image(p: dict[str, Any], key: str, size_gb: int) -> bool:
    """cinder's driver.clone_image: a raw image whose location the backend can clone becomes the
    volume copy-on-write; False when it cannot (other backend, format, cluster), then the bytes are copied."""
    active = backend.active()
    if not hasattr(active, "clone_image") or (p.get("disk_format") or "raw") != "raw":
        return False
    urls = image_locations(p)
    return bool(urls) and active.clone_image(urls, key, size_gb)


def _write_image(p: dict[str, Any], key: str, size_gb: int) -> None:
    """The image's bytes into the volume, converted to raw as cinder's qemu-img does; streamed from
    the image service piece by piece (a qcow2 goes through a temp file, its tables being anywhere)."""
    image_id, disk_format = p["source_id"], p.get("disk_format") or "raw"
    if disk_format not in ("qcow2", "raw", "iso", "ami", "aki", "ari"):
        raise Failed(f"image {image_id}: converting {disk_format} images is not supported")
    with internal_client.stream("GET", f"/image/v2/images/{image_id}/file", token=_auth(p)) as r:
        if r.status_code != 200:
            raise Failed(f"image {image_id} download failed: HTTP {r.status_code}")
        if disk_format != "qcow2":
            if int(r.headers.get("content-length") or 0) > size_gb * GiB:
                raise Failed(f"image {image_id} is larger than the volume")
            backend.active().write_at_start(key, _capped(r.iter_bytes(), size_gb * GiB, image_id))
        else:
            with tempfile.TemporaryFile(dir=backend.active().spool_dir()) as spool:
                for piece in r.iter_bytes():
                    spool.write(piece)
                spool.flush()
                _decode_qcow2(spool, key, size_gb, image_id)
    backend.active().resize(key, size_gb)


def _capped(pieces: Iterator[bytes], limit: int, image_id: str) -> Iterator[bytes]:
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > limit:
            raise Failed(f"image {image_id} is larger than the volume")
        yield piece


def _decode_qcow2(spool: IO[bytes], key: str, size_gb: int, image_id: str) -> None:
    if os.fstat(spool.fileno()).st_size < 72:
        raise Failed(f"image {image_id}: not a qcow2 image")
    with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as image:
        if qcow2.virtual_size(image) > size_gb * GiB:    # type: ignore[arg-type]
            raise Failed(f"image {image_id} is larger than the volume")
        try:
            with backend.active().open(key, write=True) as target:
                qcow2.decode(image, target)    # type: ignore[arg-type]
        except (qcow2.Unsupported, struct.error) as exc:
            raise Failed(f"image {image_id}: {exc}") from None


def delete_volume(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None:
        return
    volume_notifications.send(None, "volume", vol["id"], "delete.start")
    with db.reader() as conn:
        snaps = conn.execute(sa.select(snapshots).where(snapshots.c.volume_id == vol["id"])).mappings().all()
    try:
        for snap in snaps:      # a cascade: each snapshot's row goes with its bytes
            backend.active().delete_snapshot(vol["blob_key"], snap["blob_key"])
            with db.session() as conn:
                conn.execute(snapshots.delete().where(snapshots.c.id == snap["id"]))
        backend.active().delete(vol["blob_key"])
    except backend.Busy as exc:     # cinder's VolumeIsBusy: the volume goes back to available
        LOG.warning("volume %s is busy, not deleted: %s", vol["id"], exc)
        _set(volumes, vol["id"], "deleting", status="available")
        return
    with db.session() as conn:
        volume_notifications.send_after_commit(conn, None, "volume", vol["id"], "delete.end",
                                               status="deleted")
        conn.execute(snapshots.delete().where(snapshots.c.volume_id == vol["id"]))
        conn.execute(volumes.delete().where(volumes.c.id == vol["id"]))


def extend_volume(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "extending":
        return
    backend.active().resize(vol["blob_key"], p["new_size"])
    status = _settled(vol["id"])
    _set(volumes, vol["id"], "extending", status=status, size=p["new_size"])
    if status == "in-use":
        _tell_compute_extended(vol["id"])


def _tell_compute_extended(volume_id: str) -> None:
    """cinder's nova.API.extend_volume: a `volume-extended` external event (compute 2.51) per server
    the volume is attached to, tagged with the volume id; compute grows the guest's disk."""
    with db.reader() as conn:
        servers = conn.execute(sa.select(attachments.c.instance_uuid).where(
            attachments.c.volume_id == volume_id, attachments.c.attach_status == "attached",
            attachments.c.instance_uuid.is_not(None))).scalars().all()
    if not servers:
        return
    _tell_compute(volume_id, [{"name": "volume-extended", "server_uuid": server, "tag": volume_id}
                              for server in sorted(set(servers))], "2.51")


def _tell_compute(volume_id: str, events: list[dict[str, Any]], version: str) -> None:
    r = internal_client.call("POST", "/compute/v2.1/os-server-external-events",
                             token=service_auth.token("block-storage"),
                             headers={"OpenStack-API-Version": f"compute {version}"}, json={"events": events})
    if r.status_code not in (200, 207):
        LOG.warning("compute refused the %s event of volume %s: %s %s", events[0]["name"], volume_id, r.status_code,
                    r.text[:200])


# --- migration (cinder's migrate_volume: a copy on the destination backend, then the swap of ids) ---
def _migration_target(vol: dict[str, Any], host: str, type_id: str) -> dict[str, Any]:
    """The destination volume (`migration_status` target:<id>, the same name and size, on `host`), made
    once: a retried job finds the one it made."""
    marker = f"target:{vol['id']}"
    with db.session() as conn:
        row = conn.execute(sa.select(volumes).where(volumes.c.migration_status == marker)).mappings().first()
        if row is None:
            new_id = new_uuid()
            conn.execute(volumes.insert().values(
                id=new_id, project_id=vol["project_id"], user_id=vol["user_id"], status="creating", size=vol["size"],
                name=vol["name"], description=vol["description"], availability_zone=vol["availability_zone"],
                volume_type_id=type_id, bootable=vol["bootable"], readonly=vol["readonly"],
                multiattach=vol["multiattach"], attach_status="detached", migration_status=marker, host=host,
                blob_key=backend.volume_key(new_id), image_metadata=vol["image_metadata"] or {},
                created_at=utcnow()))
            conn.execute(volumes.update().where(volumes.c.id == vol["id"]).values(migration_status="migrating"))
            row = conn.execute(sa.select(volumes).where(volumes.c.id == new_id)).mappings().one()
    return dict(row)


def finish_migration(conn: sa.Connection, vol: dict[str, Any], new: dict[str, Any]) -> None:
    """cinder's _migrate_volume_completion: the volume keeps its id and takes the copy's data, host, type
    and attachments; the copy's record, now holding the old data, is deleted."""
    conn.execute(attachments.update().where(attachments.c.volume_id == new["id"]).values(volume_id=vol["id"]))
    held = conn.execute(sa.select(attachments.c.id).where(attachments.c.volume_id == vol["id"],
                                                          attachments.c.attach_status == "attached")).first()
    now = utcnow()
    conn.execute(volumes.update().where(volumes.c.id == vol["id"]).values(
        blob_key=new["blob_key"], size=new["size"], volume_type_id=new["volume_type_id"], host=new["host"],
        provider_id=new["provider_id"], migration_status="success", previous_status=None,
        status="in-use" if held else "available", attach_status="attached" if held else "detached", updated_at=now))
    conn.execute(volumes.update().where(volumes.c.id == new["id"]).values(
        blob_key=vol["blob_key"], provider_id=vol["provider_id"], status="deleting", attach_status="detached",
        migration_status=None, updated_at=now))
    enqueue(conn, "volume.delete", volume_id=new["id"])


def migrate_volume(p: dict[str, Any]) -> None:
    """A detached volume's bytes are copied onto the destination backend here; an attached one's are
    copied by the compute host that runs the guest (nova's swap_volume, which then calls
    os-migrate_volume_completion), as cinder asks nova."""
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["migration_status"] not in ("starting", "migrating"):
        return
    with db.reader() as conn:
        snapshotted = has_snapshots(conn, vol["id"])
        servers = sorted(set(conn.execute(sa.select(attachments.c.instance_uuid).where(
            attachments.c.volume_id == vol["id"], attachments.c.attach_status == "attached",
            attachments.c.instance_uuid.is_not(None))).scalars()))
    if snapshotted:
        raise Failed("Volume must not have snapshots.")
    new = _migration_target(vol, p["host"], p.get("new_type_id") or vol["volume_type_id"])
    if not servers:
        if new["status"] == "creating":
            backend.active().clone_volume(vol["blob_key"], new["blob_key"], vol["size"])
            _set(volumes, new["id"], "creating", status="available")
        with db.session() as conn:
            current = conn.execute(sa.select(volumes).where(volumes.c.id == vol["id"])).mappings().one()
            finish_migration(conn, dict(current), {**new, "status": "available"})
        return
    if new["status"] == "creating":
        backend.active().create(new["blob_key"], vol["size"])
        _set(volumes, new["id"], "creating", status="available")
    for server in servers:        # one server: cinder migrates a multiattached volume only when detached
        r = internal_client.call("PUT", f"/compute/v2.1/servers/{server}/os-volume_attachments/{vol['id']}",
                                 token=service_auth.token("block-storage"),
                                 json={"volumeAttachment": {"volumeId": new["id"]}})
        if r.status_code != 202:
            raise Failed(f"compute refused to swap volume {vol['id']} for {new['id']}: {r.status_code} {r.text[:200]}")
    done = _row(volumes, vol["id"])
    if done is not None and done["migration_status"] != "success":
        raise Failed(f"compute swapped volume {vol['id']} but its migration is {done['migration_status']}")


def _fail_migration(p: dict[str, Any], error: str) -> None:
    """cinder's migration error: the volume stays where it was, its status back to what it was, migration
    `error`; the half-made copy goes. A retype that needed the migration is not done."""
    vol = _row(volumes, p["volume_id"])
    if vol is None:
        return
    with db.session() as conn:
        target = conn.execute(sa.select(volumes).where(
            volumes.c.migration_status == f"target:{vol['id']}")).mappings().first()
        if target is not None:
            conn.execute(volumes.update().where(volumes.c.id == target["id"]).values(
                status="deleting", migration_status=None, updated_at=utcnow()))
            enqueue(conn, "volume.delete", volume_id=target["id"])
        if vol["migration_status"] != "success":
            conn.execute(volumes.update().where(volumes.c.id == vol["id"]).values(
                status=vol["previous_status"] or vol["status"], previous_status=None, migration_status="error",
                updated_at=utcnow()))
    LOG.warning("migration of volume %s failed: %s", vol["id"], error)


def revert_volume(p: dict[str, Any]) -> None:
    vol, snap = _row(volumes, p["volume_id"]), _row(snapshots, p["snapshot_id"])
    if vol is None or vol["status"] != "reverting":
        return
    if snap is None:
        raise Failed(f"snapshot {p['snapshot_id']} is gone")
    backend.active().revert(vol["blob_key"], snap["blob_key"], vol["size"])
    _set(snapshots, snap["id"], "restoring", status="available")
    _set(volumes, vol["id"], "reverting", status="available")


def reimage_volume(p: dict[str, Any]) -> None:
    """cinder's manager reimage: the image written into a fresh file renamed over the volume's (a reimage
    cut short leaves the old bytes), its glance metadata replaced, the status back to what it was; the
    servers the volume is reserved for hear of it (`volume-reimaged`, as cinder tells nova)."""
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "downloading":
        return
    spare = vol["blob_key"] + ".reimage"
    backend.active().delete(spare)
    backend.active().create(spare, vol["size"])
    try:
        _write_image({**p, "source_id": p["image_id"]}, spare, vol["size"])
    except BaseException:
        backend.active().delete(spare)
        raise
    backend.active().rename(spare, vol["blob_key"])
    if _set(volumes, vol["id"], "downloading", status=vol["previous_status"] or "available",
            image_metadata=p.get("image_metadata") or {}):
        _tell_compute_reimaged(vol["id"], "completed")


def _tell_compute_reimaged(volume_id: str, status: str) -> None:
    with db.reader() as conn:
        servers = conn.execute(sa.select(attachments.c.instance_uuid).where(
            attachments.c.volume_id == volume_id, attachments.c.instance_uuid.is_not(None))).scalars().all()
    if servers:
        _tell_compute(volume_id, [{"name": "volume-reimaged", "server_uuid": server, "tag": volume_id,
                                   "status": status} for server in sorted(set(servers))], "2.93")


def upload_image(p: dict[str, Any]) -> None:
    vol = _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "uploading":
        return
    chunks = qcow2.encode(vol["blob_key"]) if p.get("disk_format") == "qcow2" else \
        backend.active().read(vol["blob_key"])
    r = internal_client.call("PUT", f"/image/v2/images/{p['image_id']}/file", token=_auth(p),
                             headers={"Content-Type": "application/octet-stream"},
                             content=chunks)
    if r.status_code >= 300:   # as cinder does, an image that never got its data is deleted
        LOG.warning("upload of volume %s to image %s failed: %s", vol["id"], p["image_id"], r.text[:300])
        internal_client.call("DELETE", f"/image/v2/images/{p['image_id']}", token=_auth(p))
    _set(volumes, vol["id"], "uploading", status=_settled(vol["id"]))


# --- snapshots ----------------------------------------------------------------------------------
def create_snapshot(p: dict[str, Any]) -> None:
    snap = _row(snapshots, p["snapshot_id"])
    if snap is None or snap["status"] not in ("creating", "managing"):
        return
    vol = _row(volumes, snap["volume_id"])
    if vol is None:
        raise Failed(f"volume {snap['volume_id']} is gone")
    if p.get("source_key"):
        try:
            backend.active().manage_snapshot(vol["blob_key"], p["source_key"], snap["blob_key"])
        except backend.Missing as exc:
            raise Failed(str(exc)) from None
    else:
        backend.active().snapshot(vol["blob_key"], snap["blob_key"])
    if _set(snapshots, snap["id"], ("creating", "managing"), status="available", progress="100%"):
        volume_notifications.send(None, "snapshot", snap["id"], "create.end")


def delete_snapshot(p: dict[str, Any]) -> None:
    snap = _row(snapshots, p["snapshot_id"])
    if snap is None:
        return
    vol = _row(volumes, snap["volume_id"])
    try:
        backend.active().delete_snapshot(vol["blob_key"] if vol else "", snap["blob_key"])
    except backend.Busy as exc:     # cinder's SnapshotIsBusy: the snapshot goes back to available
        LOG.warning("snapshot %s is busy, not deleted: %s", snap["id"], exc)
        _set(snapshots, snap["id"], "deleting", status="available")
        return
    with db.session() as conn:
        conn.execute(snapshots.delete().where(snapshots.c.id == snap["id"]))


# --- backups ------------------------------------------------------------------------------------
def create_backup(p: dict[str, Any]) -> None:
    """cinder-backup's backup: the source's bytes become objects (backup_objects); a re-run after a
    restart writes the same object names again."""
    bak = _row(backups, p["backup_id"])
    if bak is None or bak["status"] != "creating":
        return
    source = _row(snapshots, bak["snapshot_id"]) if bak["snapshot_id"] else _row(volumes, bak["volume_id"])
    if source is None:
        raise Failed("the backup's source is gone")
    if not bak["service_metadata"]:
        bak["service_metadata"] = backup_objects.object_prefix(bak["volume_id"], bak["id"],
                                                               bak["availability_zone"] or common.AZ)
        _set(backups, bak["id"], "creating", service_metadata=bak["service_metadata"])
    parent = _row(backups, bak["parent_id"]) if bak["parent_id"] else None
    if bak["parent_id"] and (parent is None or not parent["service_metadata"]):
        raise Failed(f"parent backup {bak['parent_id']} has no objects to compare with: do a full backup")
    of = _row(volumes, bak["volume_id"]) if bak["snapshot_id"] else None
    try:
        with backend.active().open(source["blob_key"], volume=of["blob_key"] if of else None) as reader:
            count = backup_objects.backup(bak, reader, parent)
    except backup_objects.BackupError as exc:
        raise Failed(str(exc)) from None
    _set(backups, bak["id"], "creating", status="available", object_count=count)
    if not bak["snapshot_id"]:
        _set(volumes, bak["volume_id"], "backing-up", status=_settled(bak["volume_id"]))
    else:
        _set(snapshots, bak["snapshot_id"], "backing-up", status="available")


def _chain(bak: dict[str, Any]) -> list[dict[str, Any]]:
    """The backup and its parents, the full backup first (chunkeddriver.restore's backup_list)."""
    chain = [bak]
    while chain[-1]["parent_id"]:
        parent = _row(backups, chain[-1]["parent_id"])
        if parent is None:
            raise Failed(f"parent backup {chain[-1]['parent_id']} of backup {bak['id']} is gone")
        chain.append(parent)
    return chain[::-1]


def _restore_into(bak: dict[str, Any], key: str, size_gb: int) -> dict[str, str]:
    """The backup's bytes into the volume (made first when new); the volume metadata to set."""
    volumes_ = backend.active()
    volumes_.create(key, size_gb)
    if not bak["service_metadata"]:        # a backup made before backups became objects: a file
        with backend.FILES.open(bak["blob_key"]) as source, volumes_.open(key, write=True) as target:
            backend.copy_between(source, target)
        return dict(bak["volume_metadata"] or {})
    try:
        with volumes_.open(key, write=True) as target:
            return backup_objects.restore(_chain(bak), target)
    except backup_objects.BackupError as exc:
        raise Failed(str(exc)) from None


def restore_backup(p: dict[str, Any]) -> None:
    bak, vol = _row(backups, p["backup_id"]), _row(volumes, p["volume_id"])
    if vol is None or vol["status"] != "restoring-backup":
        return
    if bak is None:
        raise Failed(f"backup {p['backup_id']} is gone")
    restored = _restore_into(bak, vol["blob_key"], vol["size"])
    with db.session() as conn:
        for key, value in restored.items():
            conn.execute(volume_metadata.delete().where(volume_metadata.c.volume_id == vol["id"],
                                                        volume_metadata.c.key == key))
            conn.execute(volume_metadata.insert().values(volume_id=vol["id"], key=key, value=value))
    _set(backups, bak["id"], "restoring", status="available", restore_volume_id=None)
    # cinder's backup metadata API restores the bootable flag and the glance metadata with the bytes
    _set(volumes, vol["id"], "restoring-backup", status="available", bootable=bool(bak["volume_bootable"]),
         image_metadata=bak["volume_image_metadata"] or {})


def delete_backup(p: dict[str, Any]) -> None:
    """The backup's objects go, unless another backup row (an imported record) still names them."""
    bak = _row(backups, p["backup_id"])
    if bak is None:
        return
    if bak["service_metadata"]:
        with db.reader() as conn:
            shared = conn.execute(sa.select(backups.c.id).where(
                backups.c.id != bak["id"], backups.c.container == bak["container"],
                backups.c.service_metadata == bak["service_metadata"])).first()
        if shared is None:
            try:
                backup_objects.delete(bak["container"], bak["service_metadata"])
            except backup_objects.BackupError as exc:
                raise Failed(str(exc)) from None
    if bak["blob_key"]:
        backend.FILES.delete(bak["blob_key"])
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
    if vol["status"] == "downloading" and p.get("image_metadata") is not None:      # a reimage
        _set(volumes, vol["id"], None, status="error", error=error[:2000])
        _tell_compute_reimaged(vol["id"], "failed")
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
    elif bak["status"] == "creating":
        _set(snapshots, bak["snapshot_id"], "backing-up", status="available")


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
    "volume.migrate": (migrate_volume, _fail_migration),
    "volume.upload_image": (upload_image, _fail_volume), "volume.reimage": (reimage_volume, _fail_volume),
    "volume.snapshot_create": (create_snapshot, _fail_snapshot),
    "volume.snapshot_delete": (delete_snapshot, _fail_snapshot),
    "volume.backup_create": (create_backup, _fail_backup), "volume.backup_delete": (delete_backup, _fail_backup),
    "volume.backup_restore": (restore_backup, _fail_volume),
    "volume.group_create": (create_group, _fail_group), "volume.group_delete": (delete_group, _fail_group),
    "volume.group_snapshot_create": (create_group_snapshot, _fail_group_snapshot),
    "volume.group_snapshot_delete": (delete_group_snapshot, _fail_group_snapshot),
}


# Payload version 3: who asked is kept as ids (`caller`: core.service_auth.caller), never a token;
# the jobs that call Glance act as cinder's service user for that user (service_auth.acting_for: a
# token identity mints for the user, sent with cinder's own as X-Service-Token), so a job outlives
# the user's token. Version 2 kept user_id and project_id beside the ids; version 1 the user's token,
# dropped (such a job acts as cinder's service user alone, as version 2 jobs used to).
PAYLOAD_VERSION = 3


def _upgrade(payload: dict[str, Any], version: int) -> dict[str, Any]:
    payload.pop("token", None)
    user_id, project_id = payload.pop("user_id", None), payload.pop("project_id", None)
    if version == 2 and user_id and project_id:
        payload["caller"] = {"user_id": user_id, "project_id": project_id}
    return payload


def _auth(p: dict[str, Any]) -> internal_client.Auth:
    """For the user who asked, when the payload says who; else the service user's own token (the
    user's access was checked when the request came in, as cinder checks it in the API)."""
    if (p.get("caller") or {}).get("user_id"):
        return service_auth.acting_for("block-storage", p["caller"])
    return service_auth.token("block-storage")


def register() -> None:
    for kind, (run, fail) in KINDS.items():
        jobs.register(kind, _guarded(run, fail), fail, version=PAYLOAD_VERSION, upgrade=_upgrade)


def enqueue(conn: sa.Connection, kind: str, **payload: Any) -> None:
    assert kind in KINDS, kind
    jobs.enqueue(conn, kind, payload, max_attempts=3)
