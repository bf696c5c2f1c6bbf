"""Blob files under the data directory: atomic writes, ranged reads, digests while streaming.

A write goes to a temp file in the target directory, is fsynced and renamed over the final name,
so a reader sees the old bytes or the new ones, never a half-written file; an interrupted write
leaves no file behind. Memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


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

    def _open_temp(self, key: str) -> tuple[int, str, Path]:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        return fd, tmp, final

    @staticmethod
    def _commit(fd: int, tmp: str, final: Path) -> None:
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, final)
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    async def write_stream(self, key: str, chunks: AsyncIterator[bytes],
                           algorithms: tuple[str, ...] = ("md5",), max_size: int | None = None) -> BlobInfo:
        fd, tmp, final = self._open_temp(key)
        hashers = {a: hashlib.new(a) for a in algorithms}
        size = 0
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if max_size is not None and size > max_size:
                    raise OverflowError(size)
                for h in hashers.values():
                    h.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            self._commit(fd, tmp, final)
        except BaseException:
            _discard(fd, tmp)
            raise
        return BlobInfo(size, {a: h.hexdigest() for a, h in hashers.items()})

    def write_bytes(self, key: str, data: bytes | Iterable[bytes],
                    algorithms: tuple[str, ...] = ("md5",)) -> BlobInfo:
        fd, tmp, final = self._open_temp(key)
        hashers = {a: hashlib.new(a) for a in algorithms}
        size = 0
        try:
            for chunk in [data] if isinstance(data, bytes) else data:
                size += len(chunk)
                for h in hashers.values():
                    h.update(chunk)
                os.write(fd, chunk)
            self._commit(fd, tmp, final)
        except BaseException:
            _discard(fd, tmp)
            raise
        return BlobInfo(size, {a: h.hexdigest() for a, h in hashers.items()})

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


def _discard(fd: int, tmp: str) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


_store: BlobStore | None = None


def configure(root: Path) -> BlobStore:
    global _store
    _store = BlobStore(root)
    return _store


def store() -> BlobStore:
    if _store is None:
        raise RuntimeError("blob store not configured")
    return _store
