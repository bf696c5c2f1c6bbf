"""Blob files: atomic writes, digests while streaming, ranges, no stray files after a failure."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from pocketstack.core.blobs import FileStore


def test_write_read_range_and_digests(tmp_path):
    store = FileStore(tmp_path)
    data = bytes(range(256)) * 5000
    info = store.write_bytes("a/b", [data[:1000], data[1000:]], algorithms=("md5", "sha512"))
    assert info.size == len(data)
    assert info.digests["md5"] == hashlib.md5(data).hexdigest()
    assert info.digests["sha512"] == hashlib.sha512(data).hexdigest()
    assert b"".join(store.read("a/b")) == data
    assert b"".join(store.read("a/b", 10, 20)) == data[10:20]


def test_failed_stream_leaves_old_bytes_and_no_temp_file(tmp_path):
    store = FileStore(tmp_path)
    store.write_bytes("obj", b"old")

    async def chunks():
        yield b"new-part"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        asyncio.run(store.write_stream("obj", chunks()))
    assert b"".join(store.read("obj")) == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["obj"]


def test_size_limit_and_bad_keys(tmp_path):
    store = FileStore(tmp_path)

    async def chunks():
        yield b"x" * 10

    with pytest.raises(OverflowError):
        asyncio.run(store.write_stream("big", chunks(), max_size=5))
    assert not store.exists("big")
    with pytest.raises(ValueError):
        store.path("../escape")
