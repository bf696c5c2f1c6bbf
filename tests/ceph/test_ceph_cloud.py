"""A cloud whose Swift objects and image data live in Ceph (--blob-backend ceph): bytes come back
exactly, ranges, SLO and DLO, objects over several 4 MiB RADOS chunks, Glance upload/download,
SIGKILL during and after writes, the restart after it and a live reset."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import uuid
from typing import Any

import httpx
import pytest

from pocketstack.core.blobs_ceph import CHUNK_SIZE, CephStore
from pocketstack.services.image.bootstrap import CIRROS_NAME
from tests.ceph.conftest import POOL, ceph_args, ceph_options
from tests.conftest import start_cloud, stop_cloud, unique
from tests.services.image.conftest import Glance
from tests.services.object_store.conftest import Swift, _account_url

pytestmark = pytest.mark.xdist_group("ceph")     # one throwaway cluster per session


def _swift(cloud: Any) -> Swift:
    token = cloud.token("pocketstack")
    return Swift(cloud, token, _account_url(cloud, token))


@pytest.fixture(scope="module")
def swift(ceph_cloud: Any) -> Swift:
    return _swift(ceph_cloud)


def test_objects_byte_exact_over_chunks_and_ranges(swift: Swift) -> None:
    c = swift.container()
    data = os.urandom(2 * CHUNK_SIZE + 12345)         # three RADOS chunks, the last short
    r = swift.put(f"/{c}/big", content=data)
    assert r.status_code == 201 and r.headers["etag"] == hashlib.md5(data).hexdigest()
    got = swift.get(f"/{c}/big")
    assert got.status_code == 200 and got.content == data
    across = f"bytes={CHUNK_SIZE - 10}-{CHUNK_SIZE + 9}"   # the first chunk's tail and the second's head
    r = swift.get(f"/{c}/big", headers={"Range": across})
    assert r.status_code == 206 and r.content == data[CHUNK_SIZE - 10:CHUNK_SIZE + 10]
    assert swift.get(f"/{c}/big", headers={"Range": "bytes=-100"}).content == data[-100:]
    assert swift.get(f"/{c}/big", headers={"Range": "bytes=5-9"}).content == data[5:10]
    assert swift.get(f"/{c}/big", headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    swift.put(f"/{c}/small", content=b"tiny")
    swift.put(f"/{c}/empty", content=b"")
    assert swift.get(f"/{c}/small").content == b"tiny"
    assert swift.get(f"/{c}/empty").content == b""
    assert swift.put(f"/{c}/small", content=b"overwritten").status_code == 201
    assert swift.get(f"/{c}/small").content == b"overwritten"
    assert swift.delete(f"/{c}/big").status_code == 204
    assert swift.get(f"/{c}/big").status_code == 404
    assert swift.copy(f"/{c}/small", headers={"Destination": f"/{c}/copied"}).status_code == 201
    assert swift.get(f"/{c}/copied").content == b"overwritten"


def test_slo_and_dlo(swift: Swift) -> None:
    c = swift.container()
    parts = [os.urandom(CHUNK_SIZE + 1000), os.urandom(1 << 20), os.urandom(777)]
    for i, part in enumerate(parts):
        assert swift.put(f"/{c}/seg/{i:02d}", content=part).status_code == 201
    whole = b"".join(parts)
    manifest = [{"path": f"/{c}/seg/{i:02d}", "etag": hashlib.md5(p).hexdigest(), "size_bytes": len(p)}
                for i, p in enumerate(parts)]
    assert swift.put(f"/{c}/slo", params={"multipart-manifest": "put"}, content=json.dumps(manifest)).status_code == 201
    assert swift.get(f"/{c}/slo").content == whole
    lo, hi = len(parts[0]) - 5, len(parts[0]) + 5
    assert swift.get(f"/{c}/slo", headers={"Range": f"bytes={lo}-{hi - 1}"}).content == whole[lo:hi]
    assert swift.put(f"/{c}/dlo", content=b"", headers={"X-Object-Manifest": f"{c}/seg/"}).status_code == 201
    assert swift.get(f"/{c}/dlo").content == whole
    assert swift.get(f"/{c}/dlo", headers={"Range": "bytes=-10"}).content == whole[-10:]
    r = swift.delete(f"/{c}/slo", params={"multipart-manifest": "delete"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["Number Deleted"] == 4
    assert swift.get(f"/{c}/dlo").content == b""


def test_glance_upload_download_and_location(ceph_cloud: Any) -> None:
    glance = Glance(ceph_cloud.url, ceph_cloud.token())
    data = os.urandom(3 * CHUNK_SIZE + 4321)
    image = glance.create(name=unique("img"))
    assert glance.upload(image["id"], data).status_code == 204
    shown = glance.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    got = glance.get(f"/v2/images/{image['id']}/file")
    assert got.status_code == 200 and got.content == data
    r = glance.get(f"/v2/images/{image['id']}/file", headers={"Range": f"bytes={CHUNK_SIZE}-{CHUNK_SIZE + 99}"})
    assert r.status_code == 206 and r.content == data[CHUNK_SIZE:CHUNK_SIZE + 100]
    located = glance.get(f"/v2/images/{image['id']}/locations")
    assert located.status_code == 200, located.text
    [where] = located.json()
    assert where["url"].startswith("rbd://") and where["url"].endswith(f"/pocketstack/{image['id']}/snap")
    assert where["metadata"] == {"store": "file"}
    assert glance.delete(f"/v2/images/{image['id']}").status_code == 204
    assert glance.get(f"/v2/images/{image['id']}/file").status_code == 404


def _check_live_reset(ceph_cloud: Any) -> None:
    """What was written after the first start goes; the bootstrap image, deleted with its bytes,
    comes back with them (copied back from the bootstrap snapshot's RADOS namespace)."""
    swift = _swift(ceph_cloud)
    c = swift.container()
    assert swift.put(f"/{c}/after-bootstrap", content=b"goes away").status_code == 201
    glance = Glance(ceph_cloud.url, ceph_cloud.token())
    [image] = glance.get("/v2/images", params={"name": CIRROS_NAME}).json()["images"]     # the bootstrap's
    if image.get("protected"):
        glance.patch_image(image["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert glance.delete(f"/v2/images/{image['id']}").status_code == 204     # its bytes go too
    admin = {"X-Auth-Token": ceph_cloud.token()}
    r = httpx.post(f"{ceph_cloud.url}/pocketstack/v1/reset", headers=admin, timeout=120)
    assert r.status_code == 200, r.text
    swift = _swift(ceph_cloud)
    assert swift.get(f"/{c}/after-bootstrap").status_code == 404
    glance = Glance(ceph_cloud.url, ceph_cloud.token())
    data = glance.get(f"/v2/images/{image['id']}/file").content
    assert len(data) == image["size"] and hashlib.sha512(data).hexdigest() == image["os_hash_value"]


def _rados_names(conf: str, namespace: str) -> list[str]:
    store = CephStore(conf, POOL, namespace)
    return sorted(o.key for o in store.ioctx().list_objects())


def test_sigkill_restart_and_reset(ceph_conf: str, tmp_path: Any) -> None:
    namespace = f"kill-{uuid.uuid4().hex[:8]}"
    first = start_cloud(tmp_path, options=ceph_options(namespace, orphan_grace_seconds=0),
                        extra_args=ceph_args(ceph_conf))
    killed = False
    try:
        swift = _swift(first)
        c = swift.container()
        data = os.urandom(CHUNK_SIZE + 99)
        assert swift.put(f"/{c}/kept", content=data).status_code == 201
        assert swift.put(f"/{c}/replaced", content=b"old bytes").status_code == 201
        glance = Glance(first.url, first.token())
        image = glance.create(name=unique("img"))
        assert glance.upload(image["id"], data[::-1]).status_code == 204
        # a PUT cut off mid-body: its first chunks are in RADOS, its head never written
        host, port = httpx.URL(first.url).host, httpx.URL(first.url).port
        sock = socket.create_connection((host, port))
        body_size = 3 * CHUNK_SIZE
        sock.sendall((f"PUT {swift.path}/{c}/replaced HTTP/1.1\r\nHost: {host}\r\n"
                      f"X-Auth-Token: {swift.client.headers['X-Auth-Token']}\r\n"
                      f"Content-Length: {body_size}\r\n\r\n").encode())
        sock.sendall(os.urandom(2 * CHUNK_SIZE + 5))
        written = _wait_for_chunks(ceph_conf, namespace)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        killed = True
        sock.close()
        assert written, "the interrupted PUT wrote no chunk before the kill"
    finally:
        if not killed:
            stop_cloud(first)
    second = start_cloud(tmp_path, port=int(first.url.rsplit(":", 1)[1]),
                         options=ceph_options(namespace, orphan_grace_seconds=0),
                         extra_args=[*ceph_args(ceph_conf), "--allow-reset"])
    try:
        swift = _swift(second)
        assert swift.get(f"/{c}/kept").content == data
        assert swift.get(f"/{c}/replaced").content == b"old bytes"
        assert Glance(second.url, second.token()).get(f"/v2/images/{image['id']}/file").content == data[::-1]
        names = _rados_names(ceph_conf, namespace)
        heads = {n for n in names if "#" not in n}
        orphans = [n for n in names if "#" in n and n.rsplit("#", 2)[0] not in heads]
        assert not orphans
        # every chunk left belongs to a head's current generation
        store = CephStore(ceph_conf, POOL, namespace)
        for n in names:
            if "#" in n:
                key, gen, _ = n.rsplit("#", 2)
                assert store.head(key)["gen"] == gen, n
        _check_live_reset(second)       # and a reset of this restarted cloud puts the bootstrap blobs back
    finally:
        stop_cloud(second)


def _wait_for_chunks(conf: str, namespace: str, timeout: float = 30) -> bool:
    """True once a chunk without a head exists (the PUT under way has written some)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = _rados_names(conf, namespace)
        heads = {n for n in names if "#" not in n}
        if any("#" in n and n.rsplit("#", 2)[0] not in heads for n in names):
            return True
        time.sleep(0.2)
    return False


def test_serve_refuses_a_missing_pool_or_conf(ceph_conf: str, tmp_path: Any) -> None:
    import subprocess
    import sys
    base = [sys.executable, "-m", "pocketstack", "serve", "--data-dir", str(tmp_path / "d"), "--blob-backend", "ceph"]
    r = subprocess.run(base + ["--ceph-conf", ceph_conf, "--ceph-pool", "no-such-pool"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "no pool 'no-such-pool'" in r.stderr
    r = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--ceph-conf FILE --ceph-pool NAME" in r.stderr


LARGE_MB = int(os.environ.get("POCKETSTACK_CEPH_LARGE_MB") or 0)


@pytest.mark.skipif(not LARGE_MB, reason="a large image takes minutes here: POCKETSTACK_CEPH_LARGE_MB=300 (or 1024) "
                                         "runs it; bench/blobs.py --image-mb 1024 measures it")
def test_a_large_image_round_trip(ceph_cloud: Any) -> None:
    """An image of LARGE_MB MiB, streamed both ways, comes back with the same sha512."""
    glance = Glance(ceph_cloud.url, ceph_cloud.token())
    image = glance.create(name=unique("large"))
    block = os.urandom(1 << 20)
    sent = hashlib.sha512()

    def body():
        for i in range(LARGE_MB):
            piece = block[:-8] + i.to_bytes(8, "big")
            sent.update(piece)
            yield piece
    r = glance.put(f"/v2/images/{image['id']}/file", content=body(), timeout=3600,
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    shown = glance.get(f"/v2/images/{image['id']}").json()
    assert shown["size"] == LARGE_MB << 20 and shown["os_hash_value"] == sent.hexdigest()
    back, got = hashlib.sha512(), 0
    with glance.stream("GET", f"/v2/images/{image['id']}/file", timeout=3600) as r:
        for chunk in r.iter_bytes(1 << 20):
            back.update(chunk)
            got += len(chunk)
    assert got == LARGE_MB << 20 and back.hexdigest() == sent.hexdigest()
    assert glance.delete(f"/v2/images/{image['id']}").status_code == 204

