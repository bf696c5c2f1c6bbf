"""The file backend: every volume, snapshot and backup is a sparse raw file in the blob store.

A new volume is a file truncated to its size (no zeros written). Copies (clone, snapshot, revert,
backup, restore) move only the data ranges of the source (SEEK_DATA/SEEK_HOLE + copy_file_range),
into a temp file renamed over the target, so a copy cut short leaves the old target intact and a
re-run of the same copy is harmless.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from pocketstack.core import blobs

GiB = 1 << 30
CHUNK = 1 << 20
VOLUME_DIR = "volumes"
BACKUP_DIR = "backups"


def volume_key(volume_id: str) -> str:
    return f"{VOLUME_DIR}/volume-{volume_id}"


def snapshot_key(snapshot_id: str) -> str:
    return f"{VOLUME_DIR}/snapshot-{snapshot_id}"


def backup_key(backup_id: str) -> str:
    return f"{BACKUP_DIR}/backup-{backup_id}"


def path(key: str) -> Path:
    return blobs.files().path(key)


def exists(key: str) -> bool:
    return path(key).exists()


def create(key: str, size_gb: int) -> None:
    """A sparse file of size_gb GiB (idempotent: an existing file keeps its bytes)."""
    p = path(key)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "ab") as f:
        if f.tell() < size_gb * GiB:
            f.truncate(size_gb * GiB)


def resize(key: str, size_gb: int) -> None:
    with open(path(key), "r+b") as f:
        f.truncate(size_gb * GiB)


def delete(key: str) -> None:
    path(key).unlink(missing_ok=True)


def rename(src: str, dst: str) -> None:
    if exists(src):
        path(dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(path(src), path(dst))


def data_ranges(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of every data extent; the whole file when the filesystem can't tell."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return
            yield pos, size
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, min(end, size)
        pos = end


def copy(src: str, dst: str, size_gb: int | None = None) -> None:
    """Copy src to dst sparse-aware; dst ends up size_gb GiB (or src's size)."""
    source, target = path(src), path(dst)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd_out, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            final = size if size_gb is None else size_gb * GiB
            os.ftruncate(fd_out, final)
            for start, end in data_ranges(f.fileno(), min(size, final)):
                _copy_range(f.fileno(), fd_out, start, end)
        os.fsync(fd_out)
        os.close(fd_out)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.close(fd_out)
        except OSError:
            pass
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_range(fd_in: int, fd_out: int, start: int, end: int) -> None:
    pos = start
    while pos < end:
        try:
            n = os.copy_file_range(fd_in, fd_out, end - pos, pos, pos)
        except OSError:
            n = os.pwrite(fd_out, os.pread(fd_in, min(CHUNK, end - pos), pos), pos)
        if n <= 0:
            break
        pos += n


def write_at_start(key: str, chunks: Iterable[bytes]) -> int:
    """Write bytes from offset 0 (all-zero chunks become holes); returns how many were written."""
    pos = 0
    with open(path(key), "r+b") as f:
        for chunk in chunks:
            if chunk.count(0) != len(chunk):
                f.seek(pos)
                f.write(chunk)
            pos += len(chunk)
        size = os.fstat(f.fileno()).st_size
        if pos > size:
            f.truncate(pos)
        f.flush()
        os.fsync(f.fileno())
    return pos


def read(key: str) -> Iterator[bytes]:
    with open(path(key), "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def size_gb(key: str) -> int:
    return -(-path(key).stat().st_size // GiB)


def unmanaged(prefix: str, known: set[str]) -> list[tuple[str, int]]:
    """Backing files named `<prefix>-*` that no row refers to: (name, size in GiB)."""
    root = path(VOLUME_DIR)
    if not root.exists():
        return []
    return sorted((p.name, size_gb(f"{VOLUME_DIR}/{p.name}")) for p in root.iterdir()
                  if p.name.startswith(prefix + "-") and f"{VOLUME_DIR}/{p.name}" not in known)


def data_ranges_of(key: str) -> Iterator[tuple[int, int]]:
    with open(path(key), "rb") as f:
        yield from list(data_ranges(f.fileno(), os.fstat(f.fileno()).st_size))
