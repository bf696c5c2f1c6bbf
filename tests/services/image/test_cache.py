"""The image cache API (/v2/cache, Glance 2.14) over a real cache: a download fills it, the next
download is a hit served from the copy, PUT queues an image for the prefetcher, DELETE and the
clear-target header empty it; admin only."""

from __future__ import annotations

import os
import time

import httpx

from tests.conftest import unique


def _cache(glance_admin) -> dict:
    r = glance_admin.get("/v2/cache")
    assert r.status_code == 200, r.text
    return r.json()


def _cached(glance_admin, image_id: str) -> dict | None:
    return next((c for c in _cache(glance_admin)["cached_images"] if c["image_id"] == image_id), None)


def _active(glance, data: bytes) -> str:
    image = glance.create(name=unique("cache"))
    assert glance.upload(image["id"], data).status_code == 204
    return image["id"]


def test_download_fills_the_cache_and_hits_are_counted(cloud, glance_admin, glance_demo):
    data = os.urandom(3 << 20)
    image_id = _active(glance_demo, data)
    assert _cached(glance_admin, image_id) is None
    assert glance_demo.get(f"/v2/images/{image_id}/file", headers={"Range": "bytes=0-9"}).content == data[:10]
    assert _cached(glance_admin, image_id) is None                  # a partial download does not cache
    assert glance_demo.get(f"/v2/images/{image_id}/file").content == data
    entry = _cached(glance_admin, image_id)
    assert entry["size"] == len(data) and entry["hits"] == 1 and entry["last_modified"] > 0
    copy = cloud.data_dir / "blobs" / "image-cache" / image_id
    assert copy.read_bytes() == data
    assert glance_demo.get(f"/v2/images/{image_id}/file").content == data
    assert _cached(glance_admin, image_id)["hits"] == 2
    assert glance_admin.delete(f"/v2/cache/{image_id}").status_code == 204
    assert _cached(glance_admin, image_id) is None and not copy.exists()
    assert glance_demo.get(f"/v2/images/{image_id}/file").content == data


def test_queue_prefetch_and_clear_targets(glance_admin, glance_demo):
    image_id = _active(glance_demo, b"prefetch me" * 1000)
    r = glance_admin.put(f"/v2/cache/{image_id}")
    assert r.status_code == 202, r.text
    deadline = time.time() + 30
    while _cached(glance_admin, image_id) is None:
        assert time.time() < deadline, _cache(glance_admin)
        time.sleep(0.2)
    assert _cached(glance_admin, image_id)["hits"] == 0
    r = glance_admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "queue"})
    assert r.status_code == 204 and _cached(glance_admin, image_id) is not None
    assert glance_admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "cache"}).status_code == 204
    assert _cached(glance_admin, image_id) is None
    assert glance_admin.put(f"/v2/cache/{image_id}").status_code == 202
    deadline = time.time() + 30     # the prefetch job may run at once: let it finish, then clear both
    while _cached(glance_admin, image_id) is None:
        assert time.time() < deadline, _cache(glance_admin)
        time.sleep(0.2)
    assert glance_admin.delete("/v2/cache").status_code == 204
    state = _cache(glance_admin)
    assert image_id not in state["queued_images"] and _cached(glance_admin, image_id) is None


def test_cache_api_errors(cloud, glance_admin, glance_demo):
    assert glance_demo.get("/v2/cache").status_code == 403
    assert glance_demo.delete("/v2/cache").status_code == 403
    image_id = _active(glance_demo, b"x" * 100)
    assert glance_demo.put(f"/v2/cache/{image_id}").status_code == 403
    assert glance_admin.put("/v2/cache/non-existing-image-id").status_code == 404
    assert glance_admin.delete("/v2/cache/non-existing-image-id").status_code == 404
    queued = glance_demo.create(name=unique("queued"))
    r = glance_admin.put(f"/v2/cache/{queued['id']}")
    assert r.status_code == 400 and "active" in r.text
    assert glance_admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "invalid"}).status_code == 400
    assert httpx.get(f"{cloud.url}/image/v2/cache").status_code == 401


def test_deleting_the_image_drops_its_cached_copy(cloud, glance_admin, glance_demo):
    image_id = _active(glance_demo, b"short lived" * 100)
    glance_demo.get(f"/v2/images/{image_id}/file")
    assert _cached(glance_admin, image_id) is not None
    assert glance_demo.delete(f"/v2/images/{image_id}").status_code == 204
    assert _cached(glance_admin, image_id) is None
    assert not (cloud.data_dir / "blobs" / "image-cache" / image_id).exists()
