"""The ceph blob backend: Swift objects and image data as chunked RADOS objects (librados).

`pocketstack serve --blob-backend ceph --ceph-conf FILE --ceph-pool NAME`, or in the config file

    blobs: {backend: ceph, ceph_namespace: blobs, orphan_grace_seconds: 3600}
    ceph: {conf: /etc/ceph/ceph.conf, pool: pocketstack}

Layout, in the pool's RADOS namespace (`blobs` unless set), for a blob key K:

    K                the head: a small JSON document {"gen", "size", "chunk"}
    K#<gen>#<i>      chunk i of generation gen: bytes [i*chunk, (i+1)*chunk) of the blob

A write puts its chunks under a new generation (4 MiB each, a few in flight at once), waits until
RADOS has acknowledged every one of them (an acknowledged RADOS write is on the OSD's disk), then
replaces the head in one write_full, which RADOS applies atomically: a reader sees the old
generation or the new one, never a mix, and every write acknowledged to a client has survived a
SIGKILL of pocketstack. An interrupted write leaves chunks no head names: `sweep` (on start)
removes those older than `orphan_grace_seconds` (younger ones may belong to a write another host
is still making). A delete or overwrite removes the head at once and the old generation's chunks
a little later (LINGER seconds), so a download that already read the head finishes; a crash in
between leaves them to the sweep. Ranged reads read only the chunks they cover.

Keys a service asks to keep as block images (`keep_as_block_images`: Glance's image data) are RBD
images instead, as glance_store's rbd driver keeps them, so Cinder can clone them: core.blobs_rbd.

Snapshots of the cloud (core.snapshots): the blobs are copied into the namespace
`<namespace>.snapshot.<name>` with a manifest of the generations they had; a restore deletes the
blobs the snapshot does not have and copies back those whose generation changed.

Debian's python3-rados and python3-rbd are built for Debian's python3; `import_binding` loads them into another
CPython 3.11 (a venv on pyenv's) when `import rados` (`import rbd`) finds nothing.
"""

from __future__ import annotations

import glob
import heapq
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any, BinaryIO

from pocketstack.core.blobs import CHUNK, BackendUnavailable, BlobStore, SeekableReader, Writer
from pocketstack.core.blobs_rbd import RbdBlobs

LOG = logging.getLogger("pocketstack.blobs")
CHUNK_SIZE = 4 << 20        # a RADOS object per 4 MiB (osd_max_object_size is 128 MiB)
IN_FLIGHT = 4               # chunk writes a writer has outstanding at once
LINGER = 30.0               # seconds a deleted generation's chunks stay for downloads under way
MANIFEST = "#manifest"      # a snapshot namespace's list of blobs (a name no key can have)
RBD_NAMES = "#rbd"          # in a manifest: the RBD image name of each key that was one
DIST_PACKAGES = "/usr/lib/python3/dist-packages"


def import_rados() -> ModuleType:
    """The rados module: an installed one, else Debian's python3-rados (same CPython minor)."""
    return import_binding("rados")


def import_binding(name: str) -> ModuleType:
    """Ceph's `rados` or `rbd` module: an installed one, else Debian's python3-<name>, which is built
    for Debian's python3 and loads into any CPython of the same minor version (a venv on pyenv's).
    Only that one module is loaded from dist-packages; nothing else there is put on sys.path."""
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    if name != "rados":
        import_rados()              # rbd's extension module imports rados
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(f"{DIST_PACKAGES}/{name}.{tag}-*.so"))
    if not found:
        raise ImportError(f"no {name} module for Python {sys.version_info.major}.{sys.version_info.minor}: "
                          f"install Debian's python3-{name} (apt-get install python3-{name})")
    spec = importlib.util.spec_from_file_location(name, found[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


_clusters: dict[tuple[str, int], Any] = {}
_clusters_lock = threading.Lock()


def _cluster(conf: str) -> Any:
    """One connected rados.Rados per conf file and process."""
    with _clusters_lock:
        cluster = _clusters.get((conf, os.getpid()))
        if cluster is None:
            rados = import_rados()
            cluster = rados.Rados(conffile=conf)
            cluster.connect(timeout=30)
            _clusters[(conf, os.getpid())] = cluster
        return cluster


def cluster_options(settings: Any) -> tuple[str | None, str | None]:
    """The conf file and pool: `blobs.ceph_conf`/`blobs.ceph_pool`, else the shared `ceph` section."""
    return (settings.option("blobs.ceph_conf") or settings.option("ceph.conf"),
            settings.option("blobs.ceph_pool") or settings.option("ceph.pool"))


def requirements_error(settings: Any) -> str | None:
    conf, pool = cluster_options(settings)
    if not conf or not pool:
        return "the ceph blob backend needs a cluster and a pool: --ceph-conf FILE --ceph-pool NAME " \
               "(or `ceph: {conf: ..., pool: ...}` in --config)"
    if not os.path.isfile(conf):
        return f"--ceph-conf {conf}: no such file"
    try:
        cluster = _cluster(conf)
    except ImportError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - any failure to reach the cluster is the user's to read
        return f"cannot connect to the Ceph cluster of {conf}: {err}"
    if not cluster.pool_exists(pool):
        return f"the Ceph cluster of {conf} has no pool {pool!r} (ceph osd pool create {pool})"
    return None


class CephStore(BlobStore):
    name = "ceph"

    def __init__(self, conf: str, pool: str, namespace: str = "blobs", orphan_grace: float = 3600.0) -> None:
        self.conf, self.pool, self.namespace, self.orphan_grace = conf, pool, namespace, orphan_grace
        self._ioctx: Any = None
        self._pid = 0
        self._lock = threading.Lock()
        self.rbd = RbdBlobs(self)

    @classmethod
    def from_settings(cls, settings: Any) -> CephStore:
        conf, pool = cluster_options(settings)
        if error := requirements_error(settings):
            raise BackendUnavailable(error)
        return cls(str(conf), str(pool), str(settings.option("blobs.ceph_namespace") or "blobs"),
                   float(settings.option("blobs.orphan_grace_seconds", 3600)))

    def ioctx(self) -> Any:
        """This process's I/O context on the pool and namespace (librados' is thread-safe)."""
        with self._lock:
            if self._ioctx is None or self._pid != os.getpid():
                ioctx = _cluster(self.conf).open_ioctx(self.pool)
                ioctx.set_namespace(self.namespace)
                self._ioctx, self._pid = ioctx, os.getpid()
            return self._ioctx

    def _sibling(self, namespace: str) -> CephStore:
        return CephStore(self.conf, self.pool, namespace, self.orphan_grace)

    # --- heads and chunks --------------------------------------------------------------------
    def head(self, key: str) -> dict[str, Any]:
        rados = import_rados()
        try:
            raw = self.ioctx().read(self.check_key(key), 4096, 0)
        except rados.ObjectNotFound:
            raise FileNotFoundError(key) from None
        return json.loads(raw)

    @staticmethod
    def chunk_name(key: str, gen: str, index: int) -> str:
        return f"{key}#{gen}#{index}"

    @staticmethod
    def chunk_count(head: dict[str, Any]) -> int:
        return -(-head["size"] // head["chunk"])

    def read_chunk(self, key: str, head: dict[str, Any], index: int, offset: int, length: int) -> bytes:
        rados = import_rados()
        try:
            data = self.ioctx().read(self.chunk_name(key, head["gen"], index), length, offset)
        except rados.ObjectNotFound:
            data = b""
        if len(data) != length:
            raise OSError(f"blob {key}: chunk {index} of generation {head['gen']} is missing or short")
        return data

    def _remove(self, names: list[str]) -> None:
        rados = import_rados()
        ioctx = self.ioctx()
        for name in names:
            try:
                ioctx.remove_object(name)
            except rados.ObjectNotFound:
                pass

    def _retire(self, key: str, head: dict[str, Any]) -> None:
        """The chunks of a generation no head names any more: removed after LINGER seconds."""
        names = [self.chunk_name(key, head["gen"], i) for i in range(self.chunk_count(head))]
        if names:
            _reaper.later(self, names)

    # --- BlobStore ---------------------------------------------------------------------------
    def keep_as_block_images(self, prefix: str, name_prefix: str = "") -> bool:
        import_binding("rbd")       # on start, not at the first image: python3-rbd is there
        self.rbd.add_route(prefix, name_prefix)
        return True

    def in_use(self, key: str) -> str | None:
        name = self.rbd.name_of(key)
        return self.rbd.in_use(name) if name else None

    def _image(self, key: str) -> str | None:
        """The RBD image holding the key's bytes; None for chunked objects (any key not kept as an
        image, and one written as chunks before it was: both stay readable)."""
        name = self.rbd.name_of(key)
        return name if name and self.rbd.exists(name) else None

    def writer(self, key: str, algorithms: tuple[str, ...] = ("md5",), fresh: bool = False) -> Writer:
        if name := self.rbd.name_of(self.check_key(key)):
            return self.rbd.writer(key, name, algorithms, fresh)
        return _CephWriter(self, key, algorithms, fresh)

    def exists(self, key: str) -> bool:
        if self._image(key):
            return True
        try:
            self.head(key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        if name := self._image(key):
            return self.rbd.size(name)
        return int(self.head(key)["size"])

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if name := self._image(key):
            yield from self.rbd.read(name, start, end)
            return
        head = self.head(key)
        yield from self._read(key, head, start, end)

    def _read(self, key: str, head: dict[str, Any], start: int, end: int | None) -> Iterator[bytes]:
        """The chunks covering [start, end), each fetched while the one before is consumed."""
        size, chunk = head["size"], head["chunk"]
        end = size if end is None else min(end, size)
        pieces = []         # (index, offset, length) of each chunk read
        pos = start
        while pos < end:
            index, offset = divmod(pos, chunk)
            length = min(chunk - offset, end - pos)
            pieces.append((index, offset, length))
            pos += length
        pending = self._fetch(key, head, *pieces[0]) if pieces else None
        for n, (index, _offset, length) in enumerate(pieces):
            assert pending is not None
            data = pending.result()
            pending = self._fetch(key, head, *pieces[n + 1]) if n + 1 < len(pieces) else None
            if len(data) != length:
                raise OSError(f"blob {key}: chunk {index} of generation {head['gen']} is missing or short")
            for i in range(0, len(data), CHUNK):
                yield data[i:i + CHUNK]

    def _fetch(self, key: str, head: dict[str, Any], index: int, offset: int, length: int) -> _Fetch:
        fetch = _Fetch()
        fetch.completion = self.ioctx().aio_read(self.chunk_name(key, head["gen"], index), length, offset,
                                                 fetch.done)
        return fetch

    def open(self, key: str) -> BinaryIO:
        if name := self._image(key):
            return self.rbd.open(name)
        return io.BufferedReader(_ChunkReader(self, key, self.head(key)), CHUNK)  # type: ignore[return-value]

    def delete(self, key: str) -> None:
        if name := self.rbd.name_of(key):
            self.rbd.delete(name)
        try:
            head = self.head(key)
        except FileNotFoundError:
            return
        self._remove([key])
        self._retire(key, head)

    def keys(self, prefix: str = "") -> Iterator[str]:
        seen = set()
        for key in self.rbd.committed():
            if key.startswith(prefix):
                seen.add(key)
                yield key
        for obj in self.ioctx().list_objects():
            if "#" not in obj.key and obj.key.startswith(prefix) and obj.key not in seen:
                yield obj.key

    def generation(self, key: str) -> str:
        """What changes when the key is written again (a snapshot's manifest records it)."""
        if name := self._image(key):
            return self.rbd.generation(name)
        return str(self.head(key)["gen"])

    def sweep(self) -> int:
        """Remove chunks no head names that are older than orphan_grace (crashed writes)."""
        rados = import_rados()
        ioctx = self.ioctx()
        live: dict[str, str | None] = {}
        removed = 0
        now = time.time()
        for obj in ioctx.list_objects():
            parts = obj.key.rsplit("#", 2)
            if len(parts) != 3 or not parts[0]:
                continue
            key, gen = parts[0], parts[1]
            if key not in live:
                try:
                    live[key] = self.head(key)["gen"]
                except FileNotFoundError:
                    live[key] = None
            if live[key] == gen:
                continue
            try:
                _size, mtime = ioctx.stat(obj.key)
            except rados.ObjectNotFound:
                continue
            if now - time.mktime(mtime) >= self.orphan_grace:
                self._remove([obj.key])
                removed += 1
        removed += self.rbd.sweep(self.orphan_grace)
        if removed:
            LOG.info("removed %d orphan chunks from pool %s namespace %s", removed, self.pool, self.namespace)
        return removed

    def wipe(self) -> None:
        self._remove([obj.key for obj in self.ioctx().list_objects()])
        self.rbd.wipe()

    def location(self, key: str) -> str:
        if name := self._image(key):
            return self.rbd.location(name)
        return f"rados://{_cluster(self.conf).get_fsid()}/{self.pool}/{self.namespace}/{key}"

    # --- snapshots of the cloud -----------------------------------------------------------------
    def _snapshot(self, name: str) -> CephStore:
        return self._sibling(f"{self.namespace}.snapshot.{name}")

    def save_snapshot(self, name: str) -> int:
        snap = self._snapshot(name)
        snap.wipe()
        manifest: dict[str, Any] = {}
        images = self.rbd.committed()
        for key in list(self.keys()):
            name = images.get(key)
            try:
                if name:
                    gen = self.rbd.generation(name)
                    snap.write_bytes(key, self.rbd.read(name, 0, None), ())
                else:
                    head = self.head(key)
                    gen = head["gen"]
                    snap.write_bytes(key, self._read(key, head, 0, None), ())
            except FileNotFoundError:
                continue        # deleted meanwhile
            manifest[key] = gen
        manifest[RBD_NAMES] = {k: v for k, v in images.items() if k in manifest}
        snap.ioctx().write_full(MANIFEST, json.dumps(manifest).encode())
        return len(manifest) - 1

    def restore_snapshot(self, name: str) -> None:
        snap = self._snapshot(name)
        rados = import_rados()
        try:
            manifest: dict[str, str] = json.loads(snap.ioctx().read(MANIFEST, 1 << 30, 0))
        except rados.ObjectNotFound:
            raise FileNotFoundError(f"the copy of snapshot {name} in Ceph pool {self.pool} "
                                    f"(namespace {snap.namespace}) is missing") from None
        names: dict[str, str] = manifest.pop(RBD_NAMES, {})      # the keys that were RBD images
        images = self.rbd.committed()
        for key in list(self.keys()):
            if key not in manifest:
                if key in images:
                    self.rbd._remove([images[key]])
                else:
                    self.delete(key)
        for key, gen in manifest.items():
            name = names.get(key)
            try:
                if (self.rbd.generation(name) if name else self.head(key)["gen"]) == gen:
                    continue
            except FileNotFoundError:
                pass
            writer = self.rbd.writer(key, name, (), False) if name else _CephWriter(self, key, (), False)
            try:
                for chunk in snap.read(key):
                    writer.put([chunk])
                writer.finish([])
            except BaseException:
                writer.discard()
                raise

    def delete_snapshot(self, name: str) -> None:
        self._snapshot(name).wipe()


class _CephWriter(Writer):
    """Chunks under a new generation, IN_FLIGHT at a time; the head last."""

    def __init__(self, store: CephStore, key: str, algorithms: tuple[str, ...], fresh: bool) -> None:
        super().__init__(algorithms)
        self.store, self.key, self.fresh = store, key, fresh
        self.gen = uuid.uuid4().hex[:16]
        self.buf = bytearray()
        self.sent = 0
        self.flying: list[tuple[Any, bytes]] = []
        self.finished = False

    def _send(self, data: bytes) -> None:
        name = CephStore.chunk_name(self.key, self.gen, self.sent)
        self.sent += 1
        self.flying.append((self.store.ioctx().aio_write_full(name, data), data))
        while len(self.flying) > IN_FLIGHT:
            self._land(self.flying.pop(0)[0])

    @staticmethod
    def _land(completion: Any) -> None:
        completion.wait_for_complete()
        rc = completion.get_return_value()
        if rc < 0:
            raise OSError(-rc, f"RADOS write failed: {os.strerror(-rc)}")

    def put(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.size += len(chunk)
            if not self.buf and len(chunk) == CHUNK_SIZE:
                self._send(chunk)
                continue
            self.buf += chunk
            while len(self.buf) >= CHUNK_SIZE:
                self._send(bytes(self.buf[:CHUNK_SIZE]))
                del self.buf[:CHUNK_SIZE]

    def finish(self, chunks: list[bytes]) -> None:
        self.put(chunks)
        if self.buf:
            self._send(bytes(self.buf))
            self.buf = bytearray()
        while self.flying:
            self._land(self.flying.pop(0)[0])
        old = None
        if not self.fresh:
            try:
                old = self.store.head(self.key)
            except FileNotFoundError:
                pass
        head = {"gen": self.gen, "size": self.size, "chunk": CHUNK_SIZE}
        self.store.ioctx().write_full(self.key, json.dumps(head).encode())     # the switch
        self.finished = True
        if old is not None and old["gen"] != self.gen:
            self.store._retire(self.key, old)

    def discard(self) -> None:
        for completion, _data in self.flying:
            completion.wait_for_complete()
        self.flying = []
        if self.finished:
            if self.fresh:      # nobody was told about it: as if never written
                self.store.delete(self.key)
            return
        self.store._remove([CephStore.chunk_name(self.key, self.gen, i) for i in range(self.sent)])


class _Fetch:
    """One chunk read under way (librados' aio_read); result() waits for its bytes (b"" if missing)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.data = b""
        self.completion: Any = None

    def done(self, completion: Any, data: bytes | None) -> None:
        self.data = data or b""
        self.event.set()

    def result(self) -> bytes:
        self.event.wait()
        return self.data


class _ChunkReader(SeekableReader):
    """A seekable file on one generation of a blob."""

    def __init__(self, store: CephStore, key: str, head: dict[str, Any]) -> None:
        super().__init__(int(head["size"]))
        self.store, self.key, self.head = store, key, head
        self.cached: tuple[int, int, bytes] = (-1, 0, b"")    # (index, offset, bytes from offset to the chunk's end)

    def readinto(self, buffer: Any) -> int:
        size, chunk = self.head["size"], self.head["chunk"]
        if self.pos >= size:
            return 0
        index, offset = divmod(self.pos, chunk)
        c_index, c_offset, c_data = self.cached
        if c_index != index or not c_offset <= offset < c_offset + len(c_data):
            c_offset = offset
            c_data = self.store.read_chunk(self.key, self.head, index, offset, min(chunk, size - index * chunk) - offset)
            self.cached = (index, c_offset, c_data)
        length = min(len(buffer), len(c_data) - (offset - c_offset))
        buffer[:length] = c_data[offset - c_offset:offset - c_offset + length]
        self.pos += length
        return length


class _Reaper:
    """Removes retired chunks once they have lingered; one daemon thread, started on first use."""

    def __init__(self) -> None:
        self.due: list[tuple[float, int, CephStore, list[str]]] = []
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.count = 0

    def later(self, store: CephStore, names: list[str]) -> None:
        with self.cond:
            self.count += 1
            heapq.heappush(self.due, (time.monotonic() + LINGER, self.count, store, names))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name="blob-reaper", daemon=True)
                self.thread.start()
            self.cond.notify()

    def run(self) -> None:
        while True:
            with self.cond:
                while not self.due or self.due[0][0] > time.monotonic():
                    self.cond.wait(None if not self.due else self.due[0][0] - time.monotonic())
                _due, _n, store, names = heapq.heappop(self.due)
            try:
                store._remove(names)
            except Exception:   # noqa: BLE001 - left for the sweep on the next start
                LOG.exception("could not remove %d retired chunks", len(names))


_reaper = _Reaper()
