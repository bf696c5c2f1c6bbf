"""core.blobs_ceph.CephStore against the throwaway cluster: chunking, ranges, atomic overwrite,
an interrupted write's orphans, open(), keys, and snapshot copies."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from typing import Any

import pytest

from pocketstack.core.blobs_ceph import CHUNK_SIZE, CephStore
from tests.ceph.conftest import POOL

pytestmark = pytest.mark.xdist_group("ceph")


@pytest.fixture
def store(ceph_conf: str) -> Any:
    s = CephStore(ceph_conf, POOL, f"unit-{uuid.uuid4().hex[:8]}", orphan_grace=0)
    yield s
    s.wipe()


def _names(store: CephStore) -> list[str]:
    return sorted(o.key for o in store.ioctx().list_objects())


def test_chunks_ranges_and_digests(store: CephStore) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 7)
    info = store.write_bytes("swift/ab/k", [data[:100], data[100:]], algorithms=("md5", "sha512"))
    assert info.size == len(data) and info.digests["md5"] == hashlib.md5(data).hexdigest()
    assert info.digests["sha512"] == hashlib.sha512(data).hexdigest()
    head = store.head("swift/ab/k")
    assert [n for n in _names(store) if "#" in n] == [f"swift/ab/k#{head['gen']}#{i}" for i in range(3)]
    assert b"".join(store.read("swift/ab/k")) == data
    for lo, hi in ((0, 1), (CHUNK_SIZE - 1, CHUNK_SIZE + 1), (CHUNK_SIZE, 2 * CHUNK_SIZE), (len(data) - 3, len(data) + 50)):
        assert b"".join(store.read("swift/ab/k", lo, hi)) == data[lo:hi]
    f = store.open("swift/ab/k")
    f.seek(2 * CHUNK_SIZE - 2)
    assert f.read(5) == data[2 * CHUNK_SIZE - 2:2 * CHUNK_SIZE + 3]
    assert store.size("swift/ab/k") == len(data) and store.exists("swift/ab/k")
    assert list(store.keys("swift/")) == ["swift/ab/k"] and list(store.keys("image/")) == []
    store.write_bytes("e", b"")
    assert b"".join(store.read("e")) == b"" and store.size("e") == 0


def test_missing_and_bad_keys(store: CephStore) -> None:
    assert not store.exists("nope")
    with pytest.raises(FileNotFoundError):
        list(store.read("nope"))
    with pytest.raises(FileNotFoundError):
        store.size("nope")
    with pytest.raises(FileNotFoundError):
        store.open("nope")
    store.delete("nope")    # no error
    for bad in ("../x", "/abs", "a#b", ""):
        with pytest.raises(ValueError):
            store.write_bytes(bad, b"x")


def test_an_interrupted_write_leaves_the_old_bytes_and_its_chunks_are_swept(store: CephStore) -> None:
    store.write_bytes("obj", b"old")

    async def chunks():
        yield os.urandom(CHUNK_SIZE)
        yield os.urandom(CHUNK_SIZE)
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        asyncio.run(store.write_stream("obj", chunks()))
    assert b"".join(store.read("obj")) == b"old"
    # a crash (no discard) leaves chunks under a generation no head names: the sweep removes them
    w = store.writer("obj", ())
    w.put([os.urandom(CHUNK_SIZE + 1)])
    for completion, _ in w.flying:
        completion.wait_for_complete()
    assert len(_names(store)) > 2
    assert store.sweep() >= 1
    gen = store.head("obj")["gen"]
    assert _names(store) == ["obj", f"obj#{gen}#0"]
    assert b"".join(store.read("obj")) == b"old"


def test_overwrite_switches_generation_and_a_pinned_reader_keeps_the_old_one(store: CephStore) -> None:
    old, new = os.urandom(CHUNK_SIZE + 5), os.urandom(10)
    store.write_bytes("k", old)
    reader = store.open("k")
    store.write_bytes("k", new)
    assert b"".join(store.read("k")) == new
    assert reader.read() == old         # its chunks linger for downloads under way


def test_snapshot_save_and_restore(store: CephStore) -> None:
    store.write_bytes("a", b"one")
    store.write_bytes("b", os.urandom(CHUNK_SIZE + 1))
    before_b = b"".join(store.read("b"))
    assert store.save_snapshot("s") == 2
    store.write_bytes("a", b"changed")
    store.delete("b")
    store.write_bytes("c", b"new since")
    store.restore_snapshot("s")
    assert sorted(store.keys()) == ["a", "b"]
    assert b"".join(store.read("a")) == b"one" and b"".join(store.read("b")) == before_b
    store.delete_snapshot("s")
    with pytest.raises(FileNotFoundError):
        store.restore_snapshot("s")
