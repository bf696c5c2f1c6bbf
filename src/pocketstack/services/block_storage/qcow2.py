"""qcow2, the image format volumes are converted to and from on upload and create-from-image, as
cinder does with qemu-img: a writer that stores only the clusters holding data (so a sparse volume
makes a small image) and a reader for uncompressed, unencrypted images without a backing file."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from pocketstack.services.block_storage import backend

MAGIC = b"QFI\xfb"
CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
L2_ENTRIES = CLUSTER // 8
REFS_PER_BLOCK = CLUSTER // 2              # 16-bit refcounts
COPIED = 1 << 63
COMPRESSED = 1 << 62
OFFSET_MASK = 0x00FFFFFFFFFFFE00


class Unsupported(ValueError):
    """An image feature this reader does not handle (compression, encryption, backing files)."""


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _data_clusters(volume: backend.VolumeIO) -> list[int]:
    """Guest cluster numbers that hold non-zero bytes."""
    found: list[int] = []
    for start, end in volume.data_ranges():
        for cluster in range(start // CLUSTER, _ceil(end, CLUSTER)):
            chunk = volume.pread(CLUSTER, cluster * CLUSTER)
            if chunk.count(0) != len(chunk) and (not found or found[-1] != cluster):
                found.append(cluster)
    return found


def encode(key: str) -> Iterator[bytes]:
    """The volume as a qcow2 (version 2) image, streamed cluster by cluster."""
    with backend.active().open(key) as volume:
        size = volume.size
        data = _data_clusters(volume)
        l1_size = max(_ceil(size, CLUSTER * L2_ENTRIES), 1)
        l1_clusters = _ceil(l1_size * 8, CLUSTER)
        l2_used = sorted({c // L2_ENTRIES for c in data})
        fixed = 1 + l1_clusters + len(l2_used) + len(data)
        blocks = 1
        while True:                        # the refcount structures count themselves too
            table_clusters = _ceil(blocks * 8, CLUSTER)
            total = fixed + table_clusters + blocks
            if _ceil(total, REFS_PER_BLOCK) <= blocks:
                break
            blocks += 1
        l1_at, table_at = 1, 1 + l1_clusters
        blocks_at = table_at + table_clusters
        l2_at = blocks_at + blocks
        data_at = l2_at + len(l2_used)
        yield _pad(struct.pack(">4sIQIIQIIQQIIQ", MAGIC, 2, 0, 0, CLUSTER_BITS, size, 0, l1_size,
                               l1_at * CLUSTER, table_at * CLUSTER, table_clusters, 0, 0))
        l2_index = {idx: l2_at + i for i, idx in enumerate(l2_used)}
        l1 = [0] * (l1_clusters * L2_ENTRIES)
        for idx, cluster in l2_index.items():
            l1[idx] = (cluster * CLUSTER) | COPIED
        yield from _tables(l1, l1_clusters)
        table = [(blocks_at + i) * CLUSTER for i in range(blocks)] + [0] * (table_clusters * L2_ENTRIES - blocks)
        yield from _tables(table, table_clusters)
        refs = [1] * total + [0] * (blocks * REFS_PER_BLOCK - total)
        for b in range(blocks):
            yield struct.pack(f">{REFS_PER_BLOCK}H", *refs[b * REFS_PER_BLOCK:(b + 1) * REFS_PER_BLOCK])
        position = {c: data_at + i for i, c in enumerate(data)}
        for idx in l2_used:
            entries = [0] * L2_ENTRIES
            for c in range(idx * L2_ENTRIES, (idx + 1) * L2_ENTRIES):
                if c in position:
                    entries[c - idx * L2_ENTRIES] = (position[c] * CLUSTER) | COPIED
            yield struct.pack(f">{L2_ENTRIES}Q", *entries)
        for c in data:
            yield _pad(volume.pread(CLUSTER, c * CLUSTER))


def _tables(entries: list[int], clusters: int) -> Iterator[bytes]:
    for i in range(clusters):
        yield struct.pack(f">{L2_ENTRIES}Q", *entries[i * L2_ENTRIES:(i + 1) * L2_ENTRIES])


def _pad(chunk: bytes) -> bytes:
    return chunk + b"\0" * (CLUSTER - len(chunk)) if len(chunk) < CLUSTER else chunk


def virtual_size(image: bytes) -> int:
    return int(struct.unpack(">Q", image[24:32])[0])


def _inflate(image: bytes, entry: int, bits: int) -> bytes:
    """A compressed cluster (qcow2 spec, "Compressed Clusters Descriptor"): the host offset in the low
    62 - (cluster_bits - 8) bits, then the count of 512-byte sectors beyond the first; raw deflate."""
    x = 62 - (bits - 8)
    descriptor = entry & ((1 << 62) - 1)
    host = descriptor & ((1 << x) - 1)
    sectors = descriptor >> x
    length = (sectors + 1) * 512 - (host & 511)
    return zlib.decompressobj(-15).decompress(image[host:host + length], 1 << bits)


def decode(image: bytes, out: backend.VolumeIO) -> int:
    """Write a qcow2 image's guest bytes into the open volume `out`; returns the virtual size."""
    if image[:4] != MAGIC or len(image) < 72:
        raise Unsupported("not a qcow2 image")
    (version, backing, _bsize, bits, size, crypt, l1_size, l1_offset) = struct.unpack(">IQIIQIIQ", image[4:48])
    if version not in (2, 3) or backing or crypt:
        raise Unsupported("qcow2 images with a backing file or encryption are not supported")
    cluster = 1 << bits
    l1 = struct.unpack(f">{l1_size}Q", image[l1_offset:l1_offset + 8 * l1_size])
    per_l2 = cluster // 8
    for i, l1_entry in enumerate(l1):
        l2_offset = l1_entry & OFFSET_MASK
        if not l2_offset:
            continue
        l2 = struct.unpack(f">{per_l2}Q", image[l2_offset:l2_offset + cluster])
        for j, entry in enumerate(l2):
            guest = (i * per_l2 + j) * cluster
            if entry & COMPRESSED:              # `qemu-img convert -c` images, as cinder's qemu-img reads
                out.pwrite(_inflate(image, entry, bits)[:min(cluster, size - guest)], guest)
                continue
            offset = entry & OFFSET_MASK
            if offset and not entry & 1:      # bit 0: the cluster reads as zeros (v3)
                out.pwrite(image[offset:offset + min(cluster, size - guest)], guest)
    out.sync()
    return int(size)
