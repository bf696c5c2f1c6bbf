"""The RBD volume backend: every volume an RBD image, every snapshot an RBD snapshot of its volume's
image, as cinder's RBD driver keeps them (cinder/volume/drivers/rbd.py).

`pocketstack serve --blob-backend ceph --ceph-conf FILE --ceph-pool NAME` (or `block_storage:
{volume_backend: rbd, rbd_pool: NAME}` in the config file, the pool defaulting to `ceph: {pool}`).

- A volume `volumes/volume-<id>` is the image `volume-<id>` in the pool, a snapshot
  `volumes/snapshot-<id>` the protected snapshot `snapshot-<id>` of its volume's image.
- A volume from a snapshot is a copy-on-write clone of that snapshot, flattened once the chain of
  parents reaches `rbd_max_clone_depth` (5), or at once with `rbd_flatten_volume_from_snapshot`
  (both `block_storage:` config keys, cinder's options). Deleting a snapshot that clones depend on
  flattens them first, then removes it, as cinder's delete_snapshot does (so a cascade delete of a
  volume whose snapshots were cloned works); Busy (cinder's SnapshotIsBusy) only if that fails.
- A volume from an image (clone_image): when the image's location is `rbd://<fsid>/<pool>/<image>/<snap>`
  in this cluster and the image is raw, a copy-on-write clone of that snapshot, resized to the
  volume's size, as cinder's clone_image does; else the caller copies the bytes.
- A volume from a volume: a clone of a temporary snapshot `<new>.clone_snap` of the source, then
  flattened and the snapshot removed, so the source stays free to delete. (Cinder keeps the clone
  until rbd_max_clone_depth and renames a deleted source with dependents to `<name>.deleted`.)
- Revert: rollback_to_snap, then resize to the volume's size. Extend: resize.
- Manage existing: any image of the pool by `source-name` (renamed to `volume-<id>`); a snapshot by
  the name of a snapshot of the volume's image (renamed to `snapshot-<id>`).
- Connection info: driver_volume_type `rbd` with `name` pool/image, the monitors' hosts and ports.
"""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pocketstack.core import blobs, blobs_ceph
from pocketstack.core.blobs_rbd import open_snapshot
from pocketstack.services.block_storage.backend import VOLUME_DIR, Busy, GiB, Missing, name_of

MAX_CLONE_DEPTH = 5         # rbd_max_clone_depth's default
WRITE = 4 << 20             # bytes gathered before one write to the image (an RBD object's size)
IN_FLIGHT = 4               # writes outstanding at once while an image's bytes stream in


def _rbd() -> Any:
    return blobs_ceph.import_binding("rbd")


_ioctxs: dict[tuple[str, str, int], Any] = {}
_ioctxs_lock = threading.Lock()


def _cluster_ioctx(conf: str, pool: str) -> Any:
    """An I/O context on any pool of the cluster (a clone's parent may live in another pool): one
    per pool and process, whatever the threads asking at once."""
    key = (conf, pool, os.getpid())
    with _ioctxs_lock:
        if key not in _ioctxs:
            _ioctxs[key] = blobs_ceph._cluster(conf).open_ioctx(pool)
        return _ioctxs[key]


class RbdIO:
    """An open image (or snapshot of one): VolumeIO over librbd."""

    def __init__(self, image: Any) -> None:
        self.image = image
        self.size = int(image.size())
        self._ranges: list[tuple[int, int]] | None = None

    def __enter__(self) -> RbdIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pread(self, length: int, offset: int) -> bytes:
        return bytes(self.image.read(offset, length))

    def pwrite(self, data: bytes, offset: int) -> None:
        self.image.write(data, offset)
        if self._ranges is not None:        # keep the known extents current without asking again
            merged: list[tuple[int, int]] = []
            for s, e in sorted([*self._ranges, (offset, offset + len(data))]):
                if merged and s <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
                else:
                    merged.append((s, e))
            self._ranges = merged

    def data_ranges(self) -> list[tuple[int, int]]:
        """Extents holding data, the parents' included (diff_iterate from the image's creation)."""
        if self._ranges is None:
            found: list[tuple[int, int]] = []

            def extent(offset: int, length: int, exists: bool) -> int:
                if exists:
                    if found and found[-1][1] == offset:
                        found[-1] = (found[-1][0], offset + length)
                    else:
                        found.append((offset, offset + length))
                return 0
            self.image.diff_iterate(0, self.size, None, extent, include_parent=True)
            self._ranges = found
        return self._ranges

    def has_data(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.data_ranges())

    def sync(self) -> None:
        self.image.flush()

    def close(self) -> None:
        self.image.close()


class RbdVolumes:
    name = "rbd"
    storage_protocol = "ceph"       # cinder's RBD driver's (Tempest skips what Ceph cannot do by it)

    def __init__(self, conf: str, pool: str, max_clone_depth: int = MAX_CLONE_DEPTH,
                 flatten_from_snapshot: bool = False) -> None:
        self.conf, self.pool = conf, pool
        self.max_clone_depth, self.flatten_from_snapshot = max_clone_depth, flatten_from_snapshot
        self._ioctx: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> RbdVolumes:
        conf, pool = blobs_ceph.cluster_options(settings)
        pool = settings.option("block_storage.rbd_pool") or pool
        if not conf or not pool:
            raise ValueError("the rbd volume backend needs --ceph-conf FILE and --ceph-pool NAME "
                             "(or `ceph: {conf: ..., pool: ...}` in --config)")
        _rbd()          # on start, not at the first volume: python3-rbd is there (ImportError says how)
        return cls(str(conf), str(pool), int(settings.option("block_storage.rbd_max_clone_depth", MAX_CLONE_DEPTH)),
                   bool(settings.option("block_storage.rbd_flatten_volume_from_snapshot", False)))

    def ioctx(self) -> Any:
        with self._lock:
            if self._ioctx is None or self._pid != os.getpid():
                self._ioctx = blobs_ceph._cluster(self.conf).open_ioctx(self.pool)
                self._pid = os.getpid()
            return self._ioctx

    def _image(self, key: str, read_only: bool = False) -> Any:
        return _rbd().Image(self.ioctx(), name_of(key), read_only=read_only)

    # --- volumes ------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        try:
            self._image(key, read_only=True).close()
        except _rbd().ImageNotFound:
            return False
        return True

    def size_gb(self, key: str) -> int:
        image = self._image(key, read_only=True)
        try:
            return -(-int(image.size()) // GiB)
        finally:
            image.close()

    def create(self, key: str, size_gb: int) -> None:
        rbd = _rbd()
        try:
            rbd.RBD().create(self.ioctx(), name_of(key), size_gb * GiB, old_format=False)
        except rbd.ImageExists:         # a re-run: grow it if it is short, as the file backend does
            image = self._image(key)
            try:
                if image.size() < size_gb * GiB:
                    image.resize(size_gb * GiB)
            finally:
                image.close()

    def resize(self, key: str, size_gb: int) -> None:
        image = self._image(key)
        try:
            image.resize(size_gb * GiB)
        finally:
            image.close()

    def delete(self, key: str) -> None:
        """The image, with any `.clone_snap` a cut-short clone left; Busy while it has another
        snapshot (an unmanaged one: cinder's VolumeIsBusy) or clones depend on it."""
        rbd = _rbd()
        try:
            image = self._image(key)
        except rbd.ImageNotFound:
            return
        try:
            for snap in list(image.list_snaps()):
                if not snap["name"].endswith(".clone_snap"):
                    raise Busy(f"image {name_of(key)} has snapshot {snap['name']}")
                self._remove_snap(image, snap["name"])
        finally:
            image.close()
        try:
            rbd.RBD().remove(self.ioctx(), name_of(key))
        except rbd.ImageNotFound:
            pass
        except (rbd.ImageBusy, rbd.ImageHasSnapshots) as exc:
            raise Busy(f"image {name_of(key)} is busy: {exc}") from None

    def rename(self, src: str, dst: str) -> None:
        """src takes dst's name; an existing dst goes first (a reimage: as upstream's driver deletes the
        volume's image and imports the new one; Busy while dst has snapshots or clones)."""
        rbd = _rbd()
        try:
            rbd.RBD().rename(self.ioctx(), name_of(src), name_of(dst))
        except rbd.ImageNotFound:
            pass        # a re-run after the rename (the caller checks the target exists)
        except rbd.ImageExists:
            self.delete(dst)
            rbd.RBD().rename(self.ioctx(), name_of(src), name_of(dst))

    def copy(self, src: str, dst: str, size_gb: int | None = None) -> None:
        self.clone_volume(src, dst, size_gb or self.size_gb(src))

    # --- snapshots -----------------------------------------------------------------------------
    def snapshot(self, volume: str, snap: str) -> None:
        rbd, name = _rbd(), name_of(snap)
        image = self._image(volume)
        try:
            try:
                image.create_snap(name)
            except rbd.ImageExists:
                pass
            if not image.is_protected_snap(name):
                image.protect_snap(name)
        finally:
            image.close()

    def _remove_snap(self, image: Any, name: str) -> None:
        rbd = _rbd()
        try:
            if image.is_protected_snap(name):
                image.unprotect_snap(name)
        except rbd.ImageNotFound:
            return
        except rbd.ImageBusy:     # clones depend on it: flatten them and try again (cinder's _flatten_children)
            self._flatten_children(image, name)
            try:
                image.unprotect_snap(name)
            except rbd.ImageBusy:
                raise Busy(f"snapshot {name} still has dependent clones") from None
        try:
            image.remove_snap(name)
        except rbd.ImageNotFound:
            pass

    def _flatten_children(self, image: Any, snap_name: str) -> None:
        rbd = _rbd()
        image.set_snap(snap_name)
        try:
            children = list(image.list_children())
        finally:
            image.set_snap(None)
        for pool, child in children:
            with rbd.Image(_cluster_ioctx(self.conf, pool), child) as clone:
                clone.flatten()

    def delete_snapshot(self, volume: str, snap: str) -> None:
        rbd = _rbd()
        if not volume:          # the volume's row is gone: its image went with its snapshots
            return
        try:
            image = self._image(volume)
        except rbd.ImageNotFound:
            return
        try:
            self._remove_snap(image, name_of(snap))
        finally:
            image.close()

    def _depth(self, key: str) -> int:
        """How many parents the image has (a clone of a clone of ...)."""
        rbd, depth, pool, name = _rbd(), 0, self.pool, name_of(key)
        while True:
            image = rbd.Image(_cluster_ioctx(self.conf, pool), name, read_only=True)
            try:
                pool, name, _snap = image.parent_info()
            except rbd.ImageNotFound:
                return depth
            finally:
                image.close()
            depth += 1

    def _clone(self, volume: str, snap_name: str, dst: str, size_gb: int, flatten: bool,
               src_pool: str | None = None) -> None:
        rbd = _rbd()
        try:
            rbd.RBD().clone(_cluster_ioctx(self.conf, src_pool or self.pool), name_of(volume), snap_name,
                            self.ioctx(), name_of(dst))
        except rbd.ImageExists:
            pass        # a re-run
        image = self._image(dst)
        try:
            if flatten or self._depth(dst) > self.max_clone_depth - 1:
                image.flatten()
            if image.size() < size_gb * GiB:
                image.resize(size_gb * GiB)
        finally:
            image.close()

    def clone_snapshot(self, volume: str, snap: str, dst: str, size_gb: int) -> None:
        self._clone(volume, name_of(snap), dst, size_gb, flatten=self.flatten_from_snapshot)

    def clone_image(self, urls: list[str], dst: str, size_gb: int) -> bool:
        """cinder's clone_image: a copy-on-write clone of the first location that is an RBD snapshot
        in this cluster we can open, resized to the volume's size; False when none is."""
        for url in urls:
            if (where := self._cloneable(url, size_gb)) is not None:
                pool, image_name, snap = where
                self._clone(f"{VOLUME_DIR}/{image_name}", snap, dst, size_gb, flatten=False, src_pool=pool)
                return True
        return False

    def _cloneable(self, url: str, size_gb: int) -> tuple[str, str, str] | None:
        """(pool, image, snapshot) of an `rbd://fsid/pool/image/snapshot` location in this cluster,
        no larger than the volume."""
        rbd = _rbd()
        if not url.startswith("rbd://"):
            return None
        pieces = [unquote(p) for p in url[len("rbd://"):].split("/")]
        if len(pieces) != 4 or "" in pieces:
            return None
        fsid, pool, image_name, snap = pieces
        cluster = blobs_ceph._cluster(self.conf)
        if fsid != cluster.get_fsid() or not cluster.pool_exists(pool):
            return None
        try:
            with open_snapshot(_cluster_ioctx(self.conf, pool), image_name, snap) as image:
                if image.size() > size_gb * GiB:
                    return None
        except rbd.Error:
            return None
        return pool, image_name, snap

    def clone_volume(self, src: str, dst: str, size_gb: int) -> None:
        temp = f"{name_of(dst)}.clone_snap"
        self.snapshot(src, temp)
        self._clone(src, temp, dst, size_gb, flatten=True)
        self.delete_snapshot(src, temp)

    def revert(self, volume: str, snap: str, size_gb: int) -> None:
        image = self._image(volume)
        try:
            image.rollback_to_snap(name_of(snap))
            if image.size() != size_gb * GiB:
                image.resize(size_gb * GiB)
        finally:
            image.close()

    # --- bytes ---------------------------------------------------------------------------------
    def open(self, key: str, write: bool = False, volume: str | None = None) -> RbdIO:
        if volume is not None:           # a snapshot: read-only, on its volume's image
            return RbdIO(open_snapshot(self.ioctx(), name_of(volume), name_of(key)))
        return RbdIO(self._image(key, read_only=not write))

    def write_at_start(self, key: str, chunks: Iterable[bytes]) -> int:
        """Write bytes from offset 0 in WRITE-sized writes, IN_FLIGHT of them at once (all-zero ones
        skipped: the image stays thin); grows the image when the bytes run past its end. Returns how
        many were written, once every write is acknowledged."""
        image = self._image(key)
        in_flight: deque[tuple[Any, bytes]] = deque()   # (completion, its bytes: held until it completes)

        def settle(limit: int) -> None:
            while len(in_flight) > limit:
                done, _data = in_flight.popleft()
                done.wait_for_complete_and_cb()
                if done.get_return_value() < 0:
                    raise OSError(-done.get_return_value(), f"writing image {name_of(key)}")
        try:
            size, pos, pending = int(image.size()), 0, bytearray()

            def put(data: bytes | bytearray, at: int) -> None:
                nonlocal size
                if at + len(data) > size:
                    settle(0)
                    size = at + len(data)
                    image.resize(size)
                if data.count(0) != len(data):
                    piece = bytes(data)
                    in_flight.append((image.aio_write(piece, at, None), piece))
                    settle(IN_FLIGHT)
            for chunk in chunks:
                pending += chunk
                while len(pending) >= WRITE:
                    put(pending[:WRITE], pos)
                    del pending[:WRITE]
                    pos += WRITE
            if pending:
                put(pending, pos)
                pos += len(pending)
            settle(0)
            image.flush()
            return pos
        finally:
            for done, _data in in_flight:      # never close the image under a write
                done.wait_for_complete_and_cb()
            image.close()

    def read(self, key: str) -> Iterator[bytes]:
        image = self._image(key, read_only=True)
        try:
            size = int(image.size())
            for pos in range(0, size, WRITE):
                yield bytes(image.read(pos, min(WRITE, size - pos)))
        finally:
            image.close()

    def spool_dir(self) -> Path:
        d = blobs.files().path(VOLUME_DIR)
        d.mkdir(parents=True, exist_ok=True)
        return d

    # --- manage existing --------------------------------------------------------------------------
    def manageable_key(self, name: str, kind: str) -> str | None:
        if not name or "/" in name or "@" in name or name.endswith(".clone_snap"):
            return None
        return f"{VOLUME_DIR}/{name}"

    def unmanaged(self, kind: str) -> list[tuple[str, int, str | None]]:
        """Every image of the pool (volumes), or every snapshot of every image (snapshots), with the
        id of the volume whose image holds it."""
        rbd = _rbd()
        out: list[tuple[str, int, str | None]] = []
        for image_name in sorted(rbd.RBD().list(self.ioctx())):
            key = f"{VOLUME_DIR}/{image_name}"
            if kind == "volume":
                try:
                    out.append((image_name, self.size_gb(key), None))
                except rbd.ImageNotFound:
                    pass
                continue
            match = re.fullmatch(r"volume-(.+)", image_name)
            try:
                image = self._image(key, read_only=True)
            except rbd.ImageNotFound:
                continue
            try:
                for snap in image.list_snaps():
                    if not snap["name"].endswith(".clone_snap"):
                        out.append((snap["name"], -(-int(snap["size"]) // GiB),
                                    match.group(1) if match else None))
            finally:
                image.close()
        return out

    def unmanage_snapshot(self, volume: str, snap: str, volume_id: str) -> None:
        """Nothing to note: the snapshot stays on its volume's image, which names its source."""

    def manage_snapshot(self, volume: str, source: str, snap: str) -> None:
        rbd = _rbd()
        try:
            image = self._image(volume)
        except rbd.ImageNotFound:
            raise Missing(f"volume image {name_of(volume)} is gone") from None
        try:
            try:
                image.rename_snap(name_of(source), name_of(snap))
            except rbd.ImageNotFound:
                if not any(s["name"] == name_of(snap) for s in image.list_snaps()):
                    raise Missing(f"snapshot {name_of(source)} of {name_of(volume)} is gone") from None
            if not image.is_protected_snap(name_of(snap)):
                image.protect_snap(name_of(snap))
        finally:
            image.close()

    def connection(self, key: str) -> dict[str, Any]:
        """os-brick's rbd connection properties (the driver's initialize_connection)."""
        cluster = blobs_ceph._cluster(self.conf)
        hosts, ports = [], []
        for host, port in re.findall(r"(?:v[12]:)?\[?([0-9a-fA-F.:]+?)\]?:(\d+)",
                                     cluster.conf_get("mon_host") or ""):
            hosts.append(host)
            ports.append(port)
        return {"driver_volume_type": "rbd", "data": {
            "name": f"{self.pool}/{name_of(key)}", "hosts": hosts, "ports": ports, "cluster_name": "ceph",
            "auth_enabled": True, "auth_username": cluster.conf_get("name").split(".", 1)[-1]
            if cluster.conf_get("name") else "admin",
            "secret_type": "ceph", "secret_uuid": None, "discard": True, "conf": self.conf}}
