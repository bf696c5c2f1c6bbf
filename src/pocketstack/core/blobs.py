"""The blob store: bytes by key for Swift objects and image data, with atomic writes, ranged reads
and digests while streaming, on files under the data directory (the default) or on Ceph
(core.blobs_ceph). Streamed writes keep the event loop free: the storage work and the hashing run
in worker threads, and memory stays flat whatever the size.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20
BATCH = 4 << 20         # body bytes gathered on the event loop before worker threads hash and write them
QUEUED = 4              # batches a streamed write may have queued for those threads


@dataclass
class BlobInfo:
    size: int
    digests: dict[str, str]


class Writer:
    """One blob being written, in order: digest() and put() per batch (each in its own lane of
    worker threads), finish() once, or discard() to drop it. Nothing is visible under the key
    before finish() returns; a backend adds where the bytes go."""

    def __init__(self, algorithms: tuple[str, ...]) -> None:
        self.hashers = {a: hashlib.new(a) for a in algorithms}
        self.size = 0

    def digest(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            for h in self.hashers.values():
                h.update(chunk)

    def put(self, chunks: list[bytes]) -> None:
        raise NotImplementedError

    def finish(self, chunks: list[bytes]) -> None:
        """Write the last chunks (their hash is digest's job), then make the blob durable and visible."""
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError

    def info(self) -> BlobInfo:
        return BlobInfo(self.size, {a: h.hexdigest() for a, h in self.hashers.items()})


class BlobStore:
    """Where Swift objects and image data live, by key ("swift/ab/abcd...", "image/file/<id>").

    The seam between the services and the bytes: write a stream atomically (a reader sees the old
    bytes or the new ones), read a range as an iterator, size, exists, delete, copy, list by
    prefix, digests while streaming. No caller sees a file path. Backends: FileStore (files under
    the data directory, the default) and core.blobs_ceph.CephStore (chunked RADOS objects)."""

    name = "?"

    # --- what a backend provides -----------------------------------------------------------
    def writer(self, key: str, algorithms: tuple[str, ...] = ("md5",), fresh: bool = False) -> Writer:
        """A Writer for the key. `fresh`: the key is one nobody refers to yet (a new uuid the caller
        publishes only after the write returns), which lets a backend skip some of the care an
        overwrite needs."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def size(self, key: str) -> int:
        """The blob's size; FileNotFoundError when there is none."""
        raise NotImplementedError

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield bytes [start, end) in chunks; FileNotFoundError (on the first next()) when missing."""
        raise NotImplementedError

    def open(self, key: str) -> BinaryIO:
        """A seekable, read-only file object on the blob as it is now: a later overwrite or delete
        of the key does not change what it reads. FileNotFoundError when missing."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys that start with prefix (no order promised)."""
        raise NotImplementedError

    def sweep(self) -> int:
        """Remove what crashed writes left behind (called on start); how many were removed."""
        raise NotImplementedError

    def wipe(self) -> None:
        """Remove every blob (`pocketstack reset`)."""
        raise NotImplementedError

    def location(self, key: str) -> str:
        """A URL naming where the blob's bytes are (Glance's locations and direct_url)."""
        raise NotImplementedError

    def keep_as_block_images(self, prefix: str, name_prefix: str = "") -> bool:
        """Keep the blobs under prefix as block-device images a volume can clone copy-on-write
        (RBD images on the ceph backend, named name_prefix + the rest of the key); whether this
        backend can. The files backend cannot: its blobs stay files."""
        return False

    def in_use(self, key: str) -> str | None:
        """Why the blob cannot be deleted now (clones depend on it), else None."""
        return None

    # Snapshots of a cloud (core.snapshots): the files backend's blobs are part of the data
    # directory's tree, which the snapshot copies; another backend keeps its own copy by name.
    def save_snapshot(self, name: str) -> int:
        return 0

    def restore_snapshot(self, name: str) -> None:
        pass

    def delete_snapshot(self, name: str) -> None:
        pass

    # --- built on those ----------------------------------------------------------------------
    def check_key(self, key: str) -> str:
        if not key or ".." in key.split("/") or key.startswith("/") or "#" in key:
            raise ValueError(f"bad blob key {key!r}")
        return key

    async def write_stream(self, key: str, chunks: AsyncIterator[bytes],
                           algorithms: tuple[str, ...] = ("md5",), max_size: int | None = None,
                           fresh: bool = False) -> BlobInfo:
        """Write a request body. The loop only gathers chunks into batches; hashing and the
        backend's writes run in worker threads, a batch's hash and write side by side while later
        batches arrive, so neither slow storage nor the hash stalls the loop."""
        writer = self.writer(key, algorithms, fresh)
        batch: list[bytes] = []
        batched = size = 0
        hashed: Future[None] | None = None      # the last batch's hash; each waits for the one before
        written: Future[None] | None = None     # the last batch's write, likewise
        queued: list[tuple[Future[None], Future[None]]] = []
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if max_size is not None and size > max_size:
                    raise OverflowError(size)
                batch.append(chunk)
                batched += len(chunk)
                if batched >= BATCH:
                    hashed, written = _after(hashed, writer.digest, batch), _after(written, writer.put, batch)
                    queued = [q for q in queued if not (q[0].done() and q[1].done())] + [(hashed, written)]
                    batch, batched = [], 0
                    while len(queued) > QUEUED:     # bounded memory: wait for the oldest batch
                        await _settled(list(queued.pop(0)))
            hashed, written = _after(hashed, writer.digest, batch), _after(written, writer.finish, batch)
            await _settled([hashed, written])
        except BaseException:
            tails = [f for f in (hashed, written) if f is not None and not f.done()]
            if tails:       # never drop the writer under a running write
                _executor().submit(_discard_after, tails, writer)
            else:
                writer.discard()
            raise
        return writer.info()

    def write_bytes(self, key: str, data: bytes | Iterable[bytes],
                    algorithms: tuple[str, ...] = ("md5",), fresh: bool = False) -> BlobInfo:
        writer = self.writer(key, algorithms, fresh)
        try:
            for chunk in [data] if isinstance(data, bytes) else data:
                writer.digest([chunk])
                writer.put([chunk])
            writer.finish([])
        except BaseException:
            writer.discard()
            raise
        return writer.info()

    def copy(self, src: str, dst: str) -> BlobInfo:
        return self.write_bytes(dst, self.read(src))


class FileStore(BlobStore):
    """Blob files under a directory.

    A write goes to a temp file in the target directory, is fsynced and renamed over the final
    name, so a reader sees the old bytes or the new ones, never a half-written file; an interrupted
    write leaves no file behind (a temp file at worst, swept on start). Memory stays flat whatever
    the size. Block storage volumes are files here too, whatever the blob backend (`files()`)."""

    name = "files"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / self.check_key(key)

    def writer(self, key: str, algorithms: tuple[str, ...] = ("md5",), fresh: bool = False) -> Writer:
        return _FileWriter(self.path(key), algorithms, fresh)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self.path(key), "rb") as f:
            f.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")      # an unlink or rename over it leaves the open file be

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass

    def keys(self, prefix: str = "") -> Iterator[str]:
        for p in self.root.rglob("*"):
            if p.is_file() and not p.name.startswith(".tmp-"):
                key = p.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def sweep(self) -> int:
        removed = 0
        for p in self.root.rglob(".tmp-*"):
            p.unlink(missing_ok=True)
            removed += 1
        return removed

    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def location(self, key: str) -> str:
        return f"file://{self.path(key)}"


class _FileWriter(Writer):
    """A temp file in the target directory, fsynced, renamed to the key.

    By default the rename comes after the fsync and the directory is fsynced after it, so a key
    that already exists flips from the old bytes to the new ones durably. With `fresh` the rename
    comes before the one fsync, which on a journaling filesystem (ext4, XFS) commits the new name
    together with the bytes, and the directory itself is only fsynced when it was just created. An
    interrupted write leaves a temp file (swept on start) or, for a fresh key, at worst an
    unreferenced file; never a half-written file under a used key."""

    def __init__(self, final: Path, algorithms: tuple[str, ...], fresh: bool) -> None:
        super().__init__(algorithms)
        self.final, self.fresh = final, fresh
        self.fd, self.tmp = -1, ""
        self.new_dirs: list[Path] = []

    def _open(self) -> None:
        parent = self.final.parent
        if not parent.is_dir():
            missing = [d for d in (parent, *parent.parents) if not d.exists()]
            parent.mkdir(parents=True, exist_ok=True)
            self.new_dirs = missing
        self.fd, self.tmp = tempfile.mkstemp(prefix=".tmp-", dir=parent)

    def put(self, chunks: list[bytes]) -> None:
        if self.fd < 0:
            self._open()
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(self.fd, view):]
            self.size += len(chunk)

    def finish(self, chunks: list[bytes]) -> None:
        self.put(chunks)
        if self.fresh:
            os.replace(self.tmp, self.final)
            self.tmp = str(self.final)      # a fresh blob stays discard's to remove until returned
            os.fsync(self.fd)
        else:
            os.fsync(self.fd)
            os.replace(self.tmp, self.final)
            self.tmp = ""
        os.close(self.fd)
        self.fd = -1
        for directory in [self.final.parent] if not self.fresh else []:
            _fsync_dir(directory)
        for directory in self.new_dirs:
            _fsync_dir(directory.parent)

    def discard(self) -> None:
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
        if self.tmp:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = ""


def _after(prev: Future[None] | None, fn: Callable[[Any], None], data: Any) -> Future[None]:
    """fn(data) in the pool once prev has finished: jobs of one lane run in order and no thread is
    held while one waits. A failure skips the rest of the lane and is what each later job reports.

    No closure refers back to `prev`, and the data is dropped as soon as the job has run: a
    finished Future keeps its callbacks, so a back reference would make a cycle that holds every
    batch of the upload until the cyclic GC happens to run (hundreds of MiB for a big image)."""
    out: Future[None] = Future()
    job: list[Any] = [fn, data]

    def run() -> None:
        work, arg = job
        job.clear()
        try:
            work(arg)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the lane
            out.set_exception(exc)
        else:
            out.set_result(None)

    def start(done: Future[None] | None) -> None:
        failed = done.exception() if done is not None else None
        if failed is not None:
            job.clear()
            out.set_exception(failed)
        else:
            _executor().submit(run)
    if prev is None:
        start(None)
    else:
        prev.add_done_callback(start)
    return out


async def _settled(pending: list[Future[None]]) -> None:
    """Wait for thread work that must finish whatever happens to the awaiting task."""
    for f in pending:
        await asyncio.shield(asyncio.wrap_future(f))


def _discard_after(pending: list[Future[None]], writer: Writer) -> None:
    wait(pending)
    writer.discard()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    """Threads for blob writes, apart from the request threads so a long upload never holds one."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(16, thread_name_prefix="blob-write")
    return _pool


class SeekableReader(io.RawIOBase):
    """A read-only seekable file of `length` bytes; a backend's open() adds readinto."""

    def __init__(self, length: int) -> None:
        self.pos, self.length = 0, length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = max(base + offset, 0)
        return self.pos


class InUse(Exception):
    """A blob that clones depend on cannot be deleted (glance_store's InUseByStore)."""


class BackendUnavailable(RuntimeError):
    """The configured blob backend cannot be used (missing bindings, cluster or pool)."""


_store: BlobStore | None = None
_files: FileStore | None = None
BACKENDS = ("files", "ceph")


def configure(root: Path, settings: Any = None) -> BlobStore:
    """The blob store of this process: files under root, or the backend the settings name
    (`--blob-backend`); block storage's files stay under root either way (`files()`)."""
    global _store, _files
    _files = FileStore(root)
    _store = open_backend(settings, _files)
    return _store


def open_backend(settings: Any, files_store: FileStore) -> BlobStore:
    backend = getattr(settings, "blob_backend", None) or "files"
    if backend == "files":
        return files_store
    if backend == "ceph":
        from pocketstack.core import blobs_ceph
        return blobs_ceph.CephStore.from_settings(settings)
    raise BackendUnavailable(f"unknown blob backend {backend!r} (one of {', '.join(BACKENDS)})")


def requirements_error(settings: Any) -> str | None:
    """One line when the configured backend cannot be used here (None: it can)."""
    backend = settings.blob_backend
    if backend == "ceph":
        from pocketstack.core import blobs_ceph
        return blobs_ceph.requirements_error(settings)
    return None if backend == "files" else f"unknown blob backend {backend!r} (one of {', '.join(BACKENDS)})"


def store() -> BlobStore:
    if _store is None:
        raise RuntimeError("blob store not configured")
    return _store


def files() -> FileStore:
    """The files under the data directory whatever the backend: block storage's volumes."""
    if _files is None:
        raise RuntimeError("blob store not configured")
    return _files
