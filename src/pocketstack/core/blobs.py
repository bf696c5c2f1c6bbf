"""Blob files under the data directory: atomic writes, ranged reads, digests while streaming.

A write goes to a temp file in the target directory, is fsynced and renamed over the final name,
so a reader sees the old bytes or the new ones, never a half-written file; an interrupted write
leaves no file behind. Memory stays flat whatever the size. Streamed writes keep the event loop
free: the disk work runs in worker threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
BATCH = 4 << 20         # body bytes gathered on the event loop before worker threads hash and write them
QUEUED = 4              # batches a streamed write may have queued for those threads


@dataclass
class BlobInfo:
    size: int
    digests: dict[str, str]


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    async def write_stream(self, key: str, chunks: AsyncIterator[bytes],
                           algorithms: tuple[str, ...] = ("md5",), max_size: int | None = None,
                           fresh: bool = False) -> BlobInfo:
        """Write a request body. The loop only gathers chunks into batches; hashing, write(2) and
        the fsync run in worker threads, a batch's hash and write side by side while later batches
        arrive, so neither a slow disk nor the hash stalls the loop. `fresh`: see _Writer."""
        writer = _Writer(self.path(key), algorithms, fresh)
        batch: list[bytes] = []
        batched = size = 0
        hashed: Future[None] | None = None      # the last batch's hash; each waits for the one before
        written: Future[None] | None = None     # the last batch's write(2), likewise
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
            if tails:       # never close the fd under a running write
                _executor().submit(_discard_after, tails, writer)
            else:
                writer.discard()
            raise
        return writer.info()

    def write_bytes(self, key: str, data: bytes | Iterable[bytes],
                    algorithms: tuple[str, ...] = ("md5",), fresh: bool = False) -> BlobInfo:
        writer = _Writer(self.path(key), algorithms, fresh)
        try:
            for chunk in [data] if isinstance(data, bytes) else data:
                writer.digest([chunk])
                writer.put([chunk])
            writer.finish([])
        except BaseException:
            writer.discard()
            raise
        return writer.info()

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield bytes [start, end) in chunks."""
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

    def copy(self, src: str, dst: str) -> BlobInfo:
        return self.write_bytes(dst, self.read(src))

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass

    def sweep_temp(self) -> int:
        """Remove temp files left by a crash mid-write (called on start)."""
        removed = 0
        for p in self.root.rglob(".tmp-*"):
            p.unlink(missing_ok=True)
            removed += 1
        return removed


class _Writer:
    """One blob being written: a temp file in the target directory, fsynced, renamed to the key.

    By default the rename comes after the fsync and the directory is fsynced after it, so a key
    that already exists flips from the old bytes to the new ones durably. With `fresh` the key is
    one nobody refers to yet (a new uuid the caller publishes, e.g. in a database row, only after
    this returns): the rename then comes before the one fsync, which on a journaling filesystem
    (ext4, XFS) commits the new name together with the bytes, and the directory itself is only
    fsynced when it was just created. An interrupted write leaves a temp file (swept on start) or,
    for a fresh key, at worst an unreferenced file; never a half-written file under a used key."""

    def __init__(self, final: Path, algorithms: tuple[str, ...], fresh: bool) -> None:
        self.final, self.fresh = final, fresh
        self.hashers = {a: hashlib.new(a) for a in algorithms}
        self.size = 0
        self.fd, self.tmp = -1, ""
        self.new_dirs: list[Path] = []

    def _open(self) -> None:
        parent = self.final.parent
        if not parent.is_dir():
            missing = [d for d in (parent, *parent.parents) if not d.exists()]
            parent.mkdir(parents=True, exist_ok=True)
            self.new_dirs = missing
        self.fd, self.tmp = tempfile.mkstemp(prefix=".tmp-", dir=parent)

    def digest(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            for h in self.hashers.values():
                h.update(chunk)

    def put(self, chunks: list[bytes]) -> None:
        if self.fd < 0:
            self._open()
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(self.fd, view):]
            self.size += len(chunk)

    def finish(self, chunks: list[bytes]) -> None:
        """Write the last chunks (their hash is digest's job), then make the blob durable."""
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

    def info(self) -> BlobInfo:
        return BlobInfo(self.size, {a: h.hexdigest() for a, h in self.hashers.items()})


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


def _discard_after(pending: list[Future[None]], writer: _Writer) -> None:
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


_store: BlobStore | None = None


def configure(root: Path) -> BlobStore:
    global _store
    _store = BlobStore(root)
    return _store


def store() -> BlobStore:
    if _store is None:
        raise RuntimeError("blob store not configured")
    return _store
