"""Backups as chunked, compressed objects in the object store, the way Cinder's Swift backup driver
(cinder/backup/drivers/swift.py on cinder/backup/chunkeddriver.py) stores them.

In container `volumebackups` (or the one the user names) of the block-storage service user's own
account (project `service`: the driver's single_user mode), a backup is the objects
`volume_<volume id>/<YYYYmmddHHMMSS>/az_<az>_backup_<backup id>-00001, -00002, ...` (one per
50 MiB of the volume, zlib-compressed unless that does not make it smaller), `..._sha256file`
(the sha256 of every 32 KiB block) and `..._metadata` (the object list: offset, length,
compression and md5 of each object, plus the volume's metadata). An incremental backup stores
only the extents whose blocks' sha256 differ from the parent's sha256file; a restore lays the
chain down from the full backup up.

The objects go through the object store's REST API like any client's (core.internal_client), in
pieces of 1 MiB both ways: only one piece of the volume and the compressed form of one object
(in memory while small, in a temp file past that) are held at a time. The volume is read and
written through the volume backend's VolumeIO (a sparse file, or an RBD image or snapshot): its
holes are never read; their hashes and the compressed form of an all-zero object are computed once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote

from pocketstack.core import internal_client, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.services.block_storage.backend import VolumeIO

OBJECT_SIZE = 52428800      # backup_swift_object_size
BLOCK_SIZE = 32768          # backup_swift_block_size: the unit of change tracking
DEFAULT_CONTAINER = "volumebackups"
COMPRESSION = "zlib"        # backup_compression_algorithm
DRIVER_VERSION = "1.0.0"
BACKUP_SERVICE = "cinder.backup.drivers.swift.SwiftBackupDriver"
PIECE = 1 << 20
SPOOL = 8 << 20             # compressed output kept in memory up to this size, in a temp file beyond
ZEROS = bytes(PIECE)


class BackupError(Exception):
    """The object store refused an operation, or a backup's objects are not what its metadata says."""


# --- the object store -------------------------------------------------------------------------
class ObjectStore:
    """The service account's containers, through the Swift API (python-swiftclient's calls)."""

    def __init__(self) -> None:
        self.token, project_id = service_auth.project_token("block-storage")
        self.account = f"/object-store/v1/AUTH_{project_id}"

    def _url(self, container: str, name: str | None = None) -> str:
        return f"{self.account}/{container}" + (f"/{name}" if name is not None else "")

    def put_container(self, container: str) -> None:
        r = internal_client.call("PUT", self._url(container), token=self.token)
        if r.status_code not in (201, 202):
            raise BackupError(f"container {container}: HTTP {r.status_code} {r.text[:200]}")

    def put(self, container: str, name: str, chunks: Iterable[bytes], md5: str) -> None:
        r = internal_client.call("PUT", self._url(container, name), token=self.token, content=chunks,
                                 headers={"Content-Type": "application/octet-stream"})
        if r.status_code != 201:
            raise BackupError(f"writing object {name}: HTTP {r.status_code} {r.text[:200]}")
        if r.headers.get("etag", "").strip('"') != md5:   # as SwiftObjectWriter checks
            raise BackupError(f"error writing object to swift, MD5 of object in swift {r.headers.get('etag')} "
                              f"is not the same as MD5 of object sent to swift {md5}")

    def get(self, container: str, name: str) -> Iterator[bytes]:
        with internal_client.stream("GET", self._url(container, name), token=self.token) as r:
            if r.status_code != 200:
                raise BackupError(f"reading object {name}: HTTP {r.status_code} {r.text[:200]}")
            yield from r.iter_bytes()

    def get_json(self, container: str, name: str) -> dict[str, Any]:
        return json.loads(b"".join(self.get(container, name)))  # type: ignore[no-any-return]

    def names(self, container: str, prefix: str) -> list[str]:
        """Every object name under prefix (full_listing: page by marker); none if no container."""
        found: list[str] = []
        while True:
            marker = f"&marker={_q(found[-1])}" if found else ""
            r = internal_client.call("GET", f"{self._url(container)}?format=json&prefix={_q(prefix)}{marker}",
                                     token=self.token)
            if r.status_code == 404:
                return found
            if r.status_code not in (200, 204):
                raise BackupError(f"listing {container}: HTTP {r.status_code} {r.text[:200]}")
            page = [o["name"] for o in (r.json() if r.status_code == 200 else [])]
            if not page:
                return found
            found += page

    def delete(self, container: str, name: str) -> None:
        r = internal_client.call("DELETE", self._url(container, name), token=self.token)
        if r.status_code not in (204, 404):
            raise BackupError(f"deleting object {name}: HTTP {r.status_code} {r.text[:200]}")


def _q(text: str) -> str:
    return quote(text, safe="")


# --- reading the volume -------------------------------------------------------------------------
def _pieces(vol: VolumeIO, start: int, end: int) -> Iterator[tuple[bytes, bool]]:
    """(bytes, is a hole) of [start, end) in pieces of PIECE; holes are not read."""
    for pos in range(start, end, PIECE):
        n = min(PIECE, end - pos)
        if not vol.has_data(pos, pos + n):
            yield ZEROS[:n], True
        else:
            yield vol.pread(n, pos), False


@functools.lru_cache(maxsize=8)
def _zero_sha(length: int) -> str:
    return hashlib.sha256(bytes(length)).hexdigest()


def _block_shas(vol: VolumeIO, start: int, end: int) -> list[str]:
    """The sha256 of each BLOCK_SIZE block of [start, end) (chunkeddriver._calculate_sha)."""
    shas: list[str] = []
    for pos, (piece, hole) in zip(range(start, end, PIECE), _pieces(vol, start, end)):
        for off in range(0, len(piece), BLOCK_SIZE):
            size = min(BLOCK_SIZE, len(piece) - off)
            shas.append(_zero_sha(size) if hole else hashlib.sha256(piece[off:off + size]).hexdigest())
    return shas


def _changed_extents(shas: list[str], parent: list[str], first: int, start: int, end: int) -> list[tuple[int, int]]:
    """Runs of blocks of [start, end) whose sha256 differs from the parent's (block `first` on)."""
    extents, run = [], -1
    for idx, sha in enumerate(shas):
        changed = first + idx >= len(parent) or sha != parent[first + idx]
        if changed and run < 0:
            run = idx
        elif not changed and run >= 0:
            extents.append((start + run * BLOCK_SIZE, start + idx * BLOCK_SIZE))
            run = -1
    if run >= 0:
        extents.append((start + run * BLOCK_SIZE, end))
    return extents


@functools.lru_cache(maxsize=64)
def _zero_object(length: int) -> tuple[bytes, str]:
    """The compressed form and the md5 of `length` zero bytes (whole holes of the volume)."""
    comp, md5 = zlib.compressobj(), hashlib.md5(usedforsecurity=False)
    out = []
    for pos in range(0, length, PIECE):
        md5.update(ZEROS[:min(PIECE, length - pos)])
        out.append(comp.compress(ZEROS[:min(PIECE, length - pos)]))
    out.append(comp.flush())
    return b"".join(out), md5.hexdigest()


def _spooled_read(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while piece := spool.read(PIECE):
        yield piece


def _put_extent(store: ObjectStore, container: str, name: str, vol: VolumeIO, start: int, end: int) -> dict[str, Any]:
    """One object: [start, end) of the volume, compressed unless that is no smaller (_backup_chunk)."""
    entry = {"offset": start, "length": end - start, "compression": COMPRESSION}
    if not vol.has_data(start, end):
        data, entry["md5"] = _zero_object(end - start)
        store.put(container, name, [data], hashlib.md5(data, usedforsecurity=False).hexdigest())
        return {name: entry}
    raw_md5, out_md5 = hashlib.md5(usedforsecurity=False), hashlib.md5(usedforsecurity=False)
    comp = zlib.compressobj()
    with tempfile.SpooledTemporaryFile(SPOOL) as spool:
        for piece, _hole in _pieces(vol, start, end):
            raw_md5.update(piece)
            out = comp.compress(piece)
            out_md5.update(out)
            spool.write(out)
        out = comp.flush()
        out_md5.update(out)
        spool.write(out)
        entry["md5"] = raw_md5.hexdigest()
        if spool.tell() < end - start:
            store.put(container, name, _spooled_read(spool), out_md5.hexdigest())
            return {name: entry}
    entry["compression"] = "none"       # quirk: stored as is when compressing gained nothing
    store.put(container, name, (p for p, _h in _pieces(vol, start, end)), raw_md5.hexdigest())
    return {name: entry}


# --- backup ------------------------------------------------------------------------------------
def object_prefix(volume_id: str, backup_id: str, az: str) -> str:
    """_generate_object_name_prefix: volume_<id>/<timestamp>/az_<az>_backup_<id>."""
    return f"volume_{volume_id}/{utcnow().strftime('%Y%m%d%H%M%S')}/az_{az}_backup_{backup_id}"


def backup(bak: dict[str, Any], source: VolumeIO, parent: dict[str, Any] | None) -> int:
    """Write the backup's objects (bak carries container and service_metadata); the object count."""
    store = ObjectStore()
    container, prefix = bak["container"], bak["service_metadata"]
    parent_shas: list[str] | None = None
    if parent is not None:
        shafile = store.get_json(parent["container"], parent["service_metadata"] + "_sha256file")
        if shafile["chunk_size"] != BLOCK_SIZE:
            raise BackupError(f"Hash block size has changed since the last backup. New hash block size: "
                              f"{BLOCK_SIZE}. Old hash block size: {shafile['chunk_size']}. Do a full backup.")
        if bak["size"] > parent["size"]:
            raise BackupError("Volume size increased since the last backup. Do a full backup.")
        parent_shas = shafile["sha256s"]
    store.put_container(container)
    objects: list[dict[str, Any]] = []
    shas: list[str] = []
    for start in range(0, source.size, OBJECT_SIZE):
        end = min(start + OBJECT_SIZE, source.size)
        chunk_shas = _block_shas(source, start, end)
        extents = [(start, end)] if parent_shas is None else \
            _changed_extents(chunk_shas, parent_shas, len(shas), start, end)
        shas += chunk_shas
        for s, e in extents:
            objects.append(_put_extent(store, container, f"{prefix}-{len(objects) + 1:05d}", source, s, e))
    head = {"version": DRIVER_VERSION, "backup_id": bak["id"], "volume_id": bak["volume_id"],
            "backup_name": bak["name"], "backup_description": bak["description"],
            "created_at": str(bak["created_at"])}
    _put_json(store, container, prefix + "_sha256file", {**head, "chunk_size": BLOCK_SIZE, "sha256s": shas})
    volume_meta = json.dumps({"version": 2, "volume-base-metadata": {}, "volume-glance-metadata": {},
                              "volume-metadata": [{"key": k, "value": v}
                                                  for k, v in (bak["volume_metadata"] or {}).items()]})
    _put_json(store, container, prefix + "_metadata", {**head, "objects": objects, "parent_id": bak["parent_id"],
                                                       "volume_meta": volume_meta})
    return len(objects)


def _put_json(store: ObjectStore, container: str, name: str, doc: dict[str, Any]) -> None:
    data = json.dumps(doc, sort_keys=True, indent=2).encode()
    store.put(container, name, [data], hashlib.md5(data, usedforsecurity=False).hexdigest())


# --- restore -----------------------------------------------------------------------------------
def restore(chain: list[dict[str, Any]], target: VolumeIO) -> dict[str, str]:
    """Lay the backups of chain (the full one first, then each incremental) over the open volume;
    returns the volume metadata of the last one."""
    store = ObjectStore()
    volume_meta: dict[str, str] = {}
    for bak in chain:
        metadata = store.get_json(bak["container"], bak["service_metadata"] + "_metadata")
        if metadata.get("version") != DRIVER_VERSION:
            raise BackupError(f"No support to restore backup version {metadata.get('version')}")
        _check_objects(store, bak, metadata)
        for entry in metadata["objects"]:
            (name, obj), = entry.items()
            if obj["md5"] == _zero_object(obj["length"])[1]:    # all zeros: nothing to fetch
                _zero_fill(target, obj["offset"], obj["offset"] + obj["length"])
            else:
                _restore_object(target, obj, store.get(bak["container"], name), name)
        volume_meta = {m["key"]: m["value"] for m in
                       json.loads(metadata.get("volume_meta") or "{}").get("volume-metadata", [])}
    target.sync()
    return volume_meta


def _check_objects(store: ObjectStore, bak: dict[str, Any], metadata: dict[str, Any]) -> None:
    prefix = bak["service_metadata"]
    stored = sorted(n for n in store.names(bak["container"], prefix)
                    if n not in (prefix + "_metadata", prefix + "_sha256file"))
    if stored != sorted(name for entry in metadata["objects"] for name in entry):
        raise BackupError("restore_backup aborted, actual object list does not match object list stored in "
                          "metadata.")


def _restore_object(vol: VolumeIO, obj: dict[str, Any], body: Iterator[bytes], name: str) -> None:
    pos, md5 = obj["offset"], hashlib.md5(usedforsecurity=False)
    for piece in _decompressed(body, obj["compression"]):
        md5.update(piece)
        # quirk: zeros over a hole stay a hole (a new volume stays sparse); over data they are written
        if piece != ZEROS[:len(piece)] or vol.has_data(pos, pos + len(piece)):
            vol.pwrite(piece, pos)
        pos += len(piece)
    if pos - obj["offset"] != obj["length"] or md5.hexdigest() != obj["md5"]:
        raise BackupError(f"object {name} does not hold the data its backup's metadata describes")


def _zero_fill(vol: VolumeIO, start: int, end: int) -> None:
    for pos in range(start, end, PIECE):
        n = min(PIECE, end - pos)
        if vol.has_data(pos, pos + n):
            vol.pwrite(ZEROS[:n], pos)


def _decompressed(body: Iterator[bytes], compression: str) -> Iterator[bytes]:
    if compression.lower() in ("none", "off", "no"):
        yield from body
        return
    if compression.lower() not in ("zlib", "gzip"):
        raise BackupError(f"unsupported compression algorithm: {compression}")
    d = zlib.decompressobj()
    for data in body:
        out = d.decompress(data, PIECE)
        while out:
            yield out
            out = d.decompress(d.unconsumed_tail, PIECE) if d.unconsumed_tail else b""
    if tail := d.flush():
        yield tail


# --- delete ------------------------------------------------------------------------------------
def delete(container: str, prefix: str) -> int:
    """Remove every object of the backup (delete_backup); how many there were."""
    store = ObjectStore()
    names = store.names(container, prefix)
    for name in names:
        store.delete(container, name)
    return len(names)
