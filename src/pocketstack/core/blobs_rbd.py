"""Blobs kept as RBD images on the ceph backend, as glance_store's rbd driver keeps Glance images
(glance_store/_drivers/rbd.py): a service names a key prefix (`CephStore.keep_as_block_images`),
and every blob under it is an RBD image in the pool, named by the rest of the key (an image id),
with a protected snapshot `snap` holding the bytes. Its location is `rbd://<fsid>/<pool>/<name>/snap`,
which cinder's RBD driver clones copy-on-write.

- A write creates the image, streams the bytes into it (a few 4 MiB writes in flight, all-zero
  pieces skipped so the image stays thin, grown as the bytes come: glance's resize-on-write), trims
  it to the size written, then creates and protects `snap`. The snapshot is the commit: a key whose
  image has no `snap` does not exist, so a reader sees all of the bytes or none, and an interrupted
  write leaves an image without `snap`, removed by `sweep` once older than the orphan grace. An
  overwrite of an existing key writes a `<name>.tmp-<gen>` image and swaps it in at the end.
- Reads (ranges too) read the snapshot, never the head.
- A delete unprotects and removes `snap`, then the image; while clones of `snap` exist (volumes
  made from the image) the blob is in use (`InUse`: Glance's InUseByStore, a 409 to the caller).
- The pool is shared by clouds and by Cinder's volumes: each image carries its owner's RADOS
  namespace and its key as image metadata, and `keys`, `sweep` and `wipe` only see their own.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from pocketstack.core.blobs import CHUNK, InUse, SeekableReader, Writer

if TYPE_CHECKING:
    from pocketstack.core.blobs_ceph import CephStore

LOG = logging.getLogger("pocketstack.blobs")
SNAP = "snap"                       # glance_store's DEFAULT_SNAPNAME
META_NAMESPACE = "pocketstack.namespace"
META_KEY = "pocketstack.key"
PIECE = 4 << 20                     # one write or read: an RBD object's size
IN_FLIGHT = 4
FIRST_GROWTH = 64 << 20             # resize-on-write: grow by this, doubling up to 8 GiB a step
MAX_GROWTH = 8 << 30


def _rbd() -> Any:
    from pocketstack.core import blobs_ceph
    return blobs_ceph.import_binding("rbd")


def open_snapshot(ioctx: Any, name: str, snapshot: str) -> Any:
    """The image read-only at one of its snapshots: opened at the head, then set_snap.

    Never `rbd.Image(ioctx, name, snapshot=S, read_only=True)` (rbd_open_read_only with a snapshot
    name): librbd 16.2.15 (Debian 12's) kills the process after some hundreds of those opens, even
    from one thread: an std::system_error (EINVAL) escapes a librados thread and aborts it, or it
    segfaults in the next open, or hangs. Measured on a one-node cluster: aborts after 500-750 and
    2000-2250 opens from one thread; read-only opens at the head followed by set_snap ran 10,900
    a minute from one thread and 19,600 from four without a failure. The server died this way
    when every Glance image's data became an RBD image read at `snap`.
    rbd.ImageNotFound when the image or the snapshot is missing."""
    image = _rbd().Image(ioctx, name, read_only=True)
    try:
        image.set_snap(snapshot)
    except BaseException:
        image.close()
        raise
    return image


class RbdBlobs:
    """The RBD side of one CephStore: which keys are images, and the operations on them."""

    def __init__(self, store: CephStore) -> None:
        self.store = store
        self.routes: list[tuple[str, str]] = []        # (key prefix, image name prefix)
        self._ioctx: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    def add_route(self, prefix: str, name_prefix: str) -> None:
        assert prefix.endswith("/"), prefix
        if (prefix, name_prefix) not in self.routes:
            self.routes.append((prefix, name_prefix))

    def name_of(self, key: str) -> str | None:
        """The RBD image name of a key kept as an image, else None."""
        for prefix, name_prefix in self.routes:
            rest = key[len(prefix):]
            if key.startswith(prefix) and rest and "/" not in rest:
                return name_prefix + rest
        return None

    def ioctx(self) -> Any:
        """The pool's I/O context in its default RBD namespace (where glance_store and cinder keep images)."""
        from pocketstack.core import blobs_ceph
        with self._lock:
            if self._ioctx is None or self._pid != os.getpid():
                self._ioctx = blobs_ceph._cluster(self.store.conf).open_ioctx(self.store.pool)
                self._pid = os.getpid()
            return self._ioctx

    def _open(self, name: str) -> Any:
        """The image at `snap` (what readers see); FileNotFoundError when there is none."""
        rbd = _rbd()
        try:
            return open_snapshot(self.ioctx(), name, SNAP)
        except rbd.ImageNotFound:
            raise FileNotFoundError(name) from None

    # --- BlobStore operations ---------------------------------------------------------------
    def writer(self, key: str, name: str, algorithms: tuple[str, ...], fresh: bool) -> Writer:
        return _RbdWriter(self, key, name, algorithms, fresh)

    def exists(self, name: str) -> bool:
        try:
            self._open(name).close()
        except FileNotFoundError:
            return False
        return True

    def size(self, name: str) -> int:
        image = self._open(name)
        try:
            return int(image.size())
        finally:
            image.close()

    def read(self, name: str, start: int, end: int | None) -> Iterator[bytes]:
        image = self._open(name)
        try:
            size = int(image.size())
            end = size if end is None else min(end, size)
            for pos in range(start, end, PIECE):
                data = bytes(image.read(pos, min(PIECE, end - pos)))
                for i in range(0, len(data), CHUNK):
                    yield data[i:i + CHUNK]
        finally:
            image.close()

    def open(self, name: str) -> BinaryIO:
        return io.BufferedReader(_SnapReader(self._open(name)), CHUNK)  # type: ignore[return-value]

    def generation(self, name: str) -> str:
        """What changes when the key is written again: the image's id."""
        image = self._open(name)
        try:
            return f"rbd:{image.id()}"
        finally:
            image.close()

    def in_use(self, name: str) -> str | None:
        """Why the blob cannot be deleted now (clones of its snapshot), else None."""
        try:
            image = self._open(name)
        except FileNotFoundError:
            return None
        try:
            children = list(image.list_children())
        finally:
            image.close()
        if children:
            return "The image cannot be deleted because it is in use through the backend store outside of Glance."
        return None

    def delete(self, name: str) -> None:
        """Unprotect and remove every snapshot, then the image; InUse while clones depend on it."""
        rbd = _rbd()
        try:
            image = rbd.Image(self.ioctx(), name)
        except rbd.ImageNotFound:
            return
        try:
            for snap in list(image.list_snaps()):
                try:
                    if image.is_protected_snap(snap["name"]):
                        image.unprotect_snap(snap["name"])
                except rbd.ImageBusy:
                    raise InUse(f"RBD image {name}: snapshot {snap['name']} has clones") from None
                except rbd.InvalidArgument:
                    pass            # unprotected already (glance_store's note)
                try:
                    image.remove_snap(snap["name"])
                except rbd.ImageNotFound:
                    pass
        finally:
            image.close()
        try:
            rbd.RBD().remove(self.ioctx(), name)
        except rbd.ImageNotFound:
            pass
        except (rbd.ImageBusy, rbd.ImageHasSnapshots) as exc:
            raise InUse(f"RBD image {name} is in use: {exc}") from None

    def location(self, name: str) -> str:
        from pocketstack.core import blobs_ceph
        return f"rbd://{blobs_ceph._cluster(self.store.conf).get_fsid()}/{self.store.pool}/{name}/{SNAP}"

    # --- this store's images in the shared pool -------------------------------------------------
    def owned(self) -> Iterator[tuple[str, str | None, float, bool]]:
        """(image name, key, creation time, has snap) of the images this store's namespace wrote."""
        rbd = _rbd()
        for name in rbd.RBD().list(self.ioctx()):
            try:
                image = rbd.Image(self.ioctx(), name, read_only=True)
            except rbd.ImageNotFound:
                continue
            try:
                meta = dict(image.metadata_list())
                if meta.get(META_NAMESPACE) != self.store.namespace:
                    continue
                created = image.create_timestamp().timestamp()
                yield name, meta.get(META_KEY), created, any(s["name"] == SNAP for s in image.list_snaps())
            finally:
                image.close()

    def committed(self) -> dict[str, str]:
        """{key: image name} of this store's images whose bytes are committed (`snap` exists)."""
        return {key: name for name, key, _created, committed in self.owned() if committed and key}

    def sweep(self, grace: float) -> int:
        """Remove images of crashed writes (no `snap`) older than grace seconds."""
        removed = 0
        now = time.time()
        for name, _key, created, committed in list(self.owned()):
            if not committed and now - created >= grace:
                self._remove([name])
                removed += 1
        return removed

    def wipe(self) -> None:
        self._remove([name for name, *_rest in list(self.owned())])

    def _remove(self, names: list[str]) -> None:
        """Delete images, logging those still in use (the reaper's and sweep's callback)."""
        for name in names:
            try:
                self.delete(name)
            except InUse as exc:
                LOG.warning("RBD image %s left in the pool: %s", name, exc)


class _RbdWriter(Writer):
    """The bytes into a new image (resize on write, thin), then `snap` created and protected."""

    def __init__(self, owner: RbdBlobs, key: str, name: str, algorithms: tuple[str, ...], fresh: bool) -> None:
        super().__init__(algorithms)
        self.owner, self.key, self.target = owner, key, name
        self.name = name if fresh or not owner.exists(name) else f"{name}.tmp-{uuid.uuid4().hex[:12]}"
        self.image: Any = None
        self.capacity = 0
        self.growth = FIRST_GROWTH
        self.pending = bytearray()
        self.flying: deque[tuple[Any, bytes]] = deque()     # (completion, the bytes it writes)
        self.fresh, self.finished = fresh, False

    def _create(self) -> None:
        rbd = _rbd()
        ioctx = self.owner.ioctx()
        try:
            rbd.RBD().create(ioctx, self.name, 0, old_format=False)
        except rbd.ImageExists:        # what a crashed write of this fresh key left (no `snap`)
            self.owner.delete(self.name)
            rbd.RBD().create(ioctx, self.name, 0, old_format=False)
        self.image = rbd.Image(ioctx, self.name)
        self.image.metadata_set(META_NAMESPACE, self.owner.store.namespace)
        self.image.metadata_set(META_KEY, self.key)

    def _settle(self, limit: int) -> None:
        """Wait for the oldest writes until `limit` are in flight. Each write's bytes stay referenced
        until it completes: python-rbd's aio_write does not hold them, and librbd reads them in
        place when rbd_disable_zero_copy_writes is off."""
        while len(self.flying) > limit:
            done, _data = self.flying.popleft()
            done.wait_for_complete_and_cb()
            if done.get_return_value() < 0:
                raise OSError(-done.get_return_value(), f"writing RBD image {self.name}")

    def _write(self, data: bytes, at: int) -> None:
        if at + len(data) > self.capacity:
            self._settle(0)
            self.capacity = max(at + len(data), self.capacity + self.growth)
            self.growth = min(self.growth * 2, MAX_GROWTH)
            self.image.resize(self.capacity)
        if data.count(0) != len(data):
            self.flying.append((self.image.aio_write(data, at, None), data))
            self._settle(IN_FLIGHT)

    def put(self, chunks: list[bytes]) -> None:
        if self.image is None:
            self._create()
        for chunk in chunks:
            self.pending += chunk
            while len(self.pending) >= PIECE:
                self._write(bytes(self.pending[:PIECE]), self.size)
                del self.pending[:PIECE]
                self.size += PIECE

    def finish(self, chunks: list[bytes]) -> None:
        self.put(chunks)
        if self.pending:
            self._write(bytes(self.pending), self.size)
            self.size += len(self.pending)
            self.pending = bytearray()
        self._settle(0)
        self.image.resize(self.size)
        self.image.flush()
        self.image.create_snap(SNAP)
        self.image.protect_snap(SNAP)       # the commit: readers see the key from here on
        self.image.close()
        self.image = None
        if self.name != self.target:        # an overwrite: the old image goes, the new one takes its name
            self.owner.delete(self.target)
            _rbd().RBD().rename(self.owner.ioctx(), self.name, self.target)
            self.name = self.target
        self.finished = True

    def discard(self) -> None:
        while self.flying:      # every write waited for, failed or not: never close the image under one
            done, _data = self.flying.popleft()
            done.wait_for_complete_and_cb()
        if self.image is not None:
            self.image.close()
            self.image = None
        if self.finished and not self.fresh:
            return
        try:
            self.owner.delete(self.name)
        except InUse:
            LOG.warning("RBD image %s of a discarded write is in use; left in the pool", self.name)


class _SnapReader(SeekableReader):
    """A seekable read-only file on an image opened at its snapshot."""

    def __init__(self, image: Any) -> None:
        super().__init__(int(image.size()))
        self.image = image

    def readinto(self, buffer: Any) -> int:
        if self.pos >= self.length:
            return 0
        data = bytes(self.image.read(self.pos, min(len(buffer), self.length - self.pos)))
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.image.close()
        super().close()
