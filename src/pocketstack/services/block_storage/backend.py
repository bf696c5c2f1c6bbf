"""Where volume bytes live: the seam between Cinder's jobs and a volume backend (cinder-volume's driver).

`active()` is the backend this process was configured with (`configure`, on start): `FileVolumes`,
the default, or `backend_rbd.RbdVolumes` (`--blob-backend ceph`, or `block_storage: {volume_backend:
rbd}` in the config file). Keys are the rows' `blob_key`s (`volumes/volume-<id>`,
`volumes/snapshot-<id>`); a snapshot's operations also name its volume's key, since RBD keeps a
snapshot on its volume's image. `open` gives a `VolumeIO`: positional reads and writes plus where the
data is, which is all that backups, qcow2 and image copies need.

The file backend: every volume, snapshot and backup is a sparse raw file in the data directory. A new
volume is a file truncated to its size (no zeros written). Copies (clone, snapshot, revert, backup,
restore) move only the data ranges of the source (SEEK_DATA/SEEK_HOLE + copy_file_range), into a temp
file renamed over the target, so a copy cut short leaves the old target intact and a re-run of the
same copy is harmless.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union

from pocketstack.core import blobs

if TYPE_CHECKING:
    from pocketstack.services.block_storage.backend_rbd import RbdVolumes

GiB = 1 << 30
CHUNK = 1 << 20
VOLUME_DIR = "volumes"
BACKUP_DIR = "backups"


class Busy(Exception):
    """The backend refuses for now: a snapshot or volume that clones depend on (cinder's
    SnapshotIsBusy / VolumeIsBusy); the resource goes back to available, as in cinder."""


class Missing(Exception):
    """A reference names nothing the backend has (manage existing)."""


def volume_key(volume_id: str) -> str:
    return f"{VOLUME_DIR}/volume-{volume_id}"


def snapshot_key(snapshot_id: str) -> str:
    return f"{VOLUME_DIR}/snapshot-{snapshot_id}"


def backup_key(backup_id: str) -> str:
    return f"{BACKUP_DIR}/backup-{backup_id}"


def name_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]


class VolumeIO(Protocol):
    """An open volume or snapshot: what backups, qcow2 and image copies read and write through."""

    size: int

    def pread(self, length: int, offset: int) -> bytes: ...
    def pwrite(self, data: bytes, offset: int) -> None: ...
    def data_ranges(self) -> list[tuple[int, int]]: ...
    def has_data(self, start: int, end: int) -> bool: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


def copy_between(src: VolumeIO, dst: VolumeIO) -> None:
    """src's data ranges into dst at the same offsets, a piece at a time (holes stay holes)."""
    for start, end in src.data_ranges():
        for pos in range(start, min(end, dst.size), CHUNK):
            piece = src.pread(min(CHUNK, end - pos), pos)
            if piece.count(0) != len(piece):
                dst.pwrite(piece, pos)
    dst.sync()


# --- files -------------------------------------------------------------------------------------
class FileIO:
    def __init__(self, path: Path, write: bool) -> None:
        self.fd = os.open(path, os.O_RDWR if write else os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size

    def __enter__(self) -> FileIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pread(self, length: int, offset: int) -> bytes:
        return os.pread(self.fd, length, offset)

    def pwrite(self, data: bytes, offset: int) -> None:
        os.pwrite(self.fd, data, offset)

    def data_ranges(self) -> list[tuple[int, int]]:
        return list(data_ranges(self.fd, self.size))

    def has_data(self, start: int, end: int) -> bool:
        """Whether [start, end) holds anything but a hole (SEEK_DATA; yes when unknown)."""
        try:
            return os.lseek(self.fd, start, os.SEEK_DATA) < end
        except OSError as exc:
            return exc.errno != errno.ENXIO

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class FileVolumes:
    """Sparse raw files under the data directory (the default)."""

    name = "files"
    storage_protocol = "iSCSI"      # what the scheduler stats show (DevStack's LVM backend's)

    def path(self, key: str) -> Path:
        return blobs.files().path(key)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def size_gb(self, key: str) -> int:
        return -(-self.path(key).stat().st_size // GiB)

    def create(self, key: str, size_gb: int) -> None:
        """A sparse file of size_gb GiB (idempotent: an existing file keeps its bytes)."""
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "ab") as f:
            if f.tell() < size_gb * GiB:
                f.truncate(size_gb * GiB)

    def resize(self, key: str, size_gb: int) -> None:
        with open(self.path(key), "r+b") as f:
            f.truncate(size_gb * GiB)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def rename(self, src: str, dst: str) -> None:
        if self.exists(src):
            self.path(dst).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path(src), self.path(dst))

    def copy(self, src: str, dst: str, size_gb: int | None = None) -> None:
        """Copy src to dst sparse-aware; dst ends up size_gb GiB (or src's size)."""
        source, target = self.path(src), self.path(dst)
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

    # snapshots are files of their own
    def snapshot(self, volume: str, snap: str) -> None:
        self.copy(volume, snap)

    def delete_snapshot(self, volume: str, snap: str) -> None:
        self.delete(snap)

    def clone_snapshot(self, volume: str, snap: str, dst: str, size_gb: int) -> None:
        self.copy(snap, dst, size_gb)

    def clone_volume(self, src: str, dst: str, size_gb: int) -> None:
        self.copy(src, dst, size_gb)

    def revert(self, volume: str, snap: str, size_gb: int) -> None:
        self.copy(snap, volume, size_gb)

    def open(self, key: str, write: bool = False, volume: str | None = None) -> FileIO:
        return FileIO(self.path(key), write)

    def write_at_start(self, key: str, chunks: Iterable[bytes]) -> int:
        """Write bytes from offset 0 (all-zero chunks become holes); returns how many were written."""
        pos = 0
        with open(self.path(key), "r+b") as f:
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

    def read(self, key: str) -> Iterator[bytes]:
        with open(self.path(key), "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def spool_dir(self) -> Path:
        d = self.path(VOLUME_DIR)
        d.mkdir(parents=True, exist_ok=True)
        return d

    # --- manage existing: files named `<kind>-*` that no row refers to ---------------------
    def manageable_key(self, name: str, kind: str) -> str | None:
        if not name.startswith(kind + "-") or "/" in name:
            return None
        return f"{VOLUME_DIR}/{name}"

    def unmanaged(self, kind: str) -> list[tuple[str, int, str | None]]:
        """(name, size in GiB, source volume id of a snapshot) of the `<kind>-*` files."""
        root = self.path(VOLUME_DIR)
        if not root.exists():
            return []
        out = []
        for p in sorted(root.iterdir()):
            if not p.name.startswith(kind + "-") or p.name.endswith(".json"):
                continue
            sidecar = p.with_name(p.name + ".json")
            source = json.loads(sidecar.read_text())["volume_id"] if sidecar.exists() else None
            out.append((p.name, self.size_gb(f"{VOLUME_DIR}/{p.name}"), source))
        return out

    def unmanage_snapshot(self, volume: str, snap: str, volume_id: str) -> None:
        self.path(snap + ".json").write_text(json.dumps({"volume_id": volume_id}))

    def manage_snapshot(self, volume: str, source: str, snap: str) -> None:
        self.rename(source, snap)
        self.delete(source + ".json")
        if not self.exists(snap):
            raise Missing(f"backing file {source} is gone")

    def connection(self, key: str) -> dict[str, Any]:
        return {"driver_volume_type": "local", "data": {"device_path": str(self.path(key))}}


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


# --- the configured backend ---------------------------------------------------------------------
FILES = FileVolumes()
VolumeBackend = Union[FileVolumes, "RbdVolumes"]
_active: VolumeBackend = FILES


def kind_in(settings: Any) -> str:
    """`block_storage: {volume_backend: files|rbd}`, else rbd when the blobs are on ceph, else files."""
    chosen = settings.option("block_storage.volume_backend") if settings is not None else None
    if chosen:
        return str(chosen)
    return "rbd" if getattr(settings, "blob_backend", "files") == "ceph" else "files"


def configure(settings: Any) -> VolumeBackend:
    global _active
    kind = kind_in(settings)
    if kind == "files":
        _active = FILES
    elif kind == "rbd":
        from pocketstack.services.block_storage import backend_rbd
        _active = backend_rbd.RbdVolumes.from_settings(settings)
    else:
        raise ValueError(f"unknown volume backend {kind!r} (files or rbd)")
    return _active


def active() -> VolumeBackend:
    """FileVolumes or RbdVolumes: the same methods (create, resize, delete, snapshot, open, ...)."""
    return _active
