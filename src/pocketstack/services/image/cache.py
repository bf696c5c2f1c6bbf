"""The image cache: GET/DELETE /v2/cache, PUT/DELETE /v2/cache/{image_id} (api-ref: image, Cache
Manage, Glance 2.14) and the cache itself, as glance/image_cache keeps it.

A cached image is a copy of its data (blob `image-cache/<id>`); a full download (no Range) of an
image not cached yet streams the bytes into the cache while it serves them (Glance's cache
middleware tees them the same way), and downloads of a cached image are served from the copy,
counting hits. PUT /v2/cache/{id} queues an image; the prefetcher (a job) caches it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from pocketstack.core import blobs, db, jobs
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, stores
from pocketstack.services.image.tables import image_cache, images

PREFETCH_JOB = "image.cache_prefetch"
CLEAR_TARGETS = ("", "cache", "queue")
_enabled = True         # `image.cache_enabled` (Glance: an image_cache_dir is configured; DevStack's default)


def cache_key(image_id: str) -> str:
    return f"image-cache/{image_id}"


# --- views -----------------------------------------------------------------------------------
def render_cached(row: Any) -> dict[str, Any]:
    """glance's get_cached_images entries: times as epoch seconds."""
    return {"image_id": row["image_id"], "hits": row["hits"], "last_accessed": row["last_accessed"],
            "last_modified": row["last_modified"], "size": row["size"]}


# --- logic -----------------------------------------------------------------------------------
def cached_key(image_id: str) -> str | None:
    """The cached copy to serve a download from (counting the hit); None when not cached."""
    with db.session() as conn:
        done = conn.execute(image_cache.update().where(image_cache.c.image_id == image_id,
                                                       image_cache.c.state == "cached")
                            .values(hits=image_cache.c.hits + 1, last_accessed=time.time()))
    if done.rowcount != 1:
        return None
    if not blobs.store().exists(cache_key(image_id)):   # removed under us: forget the entry
        forget(image_id)
        return None
    return cache_key(image_id)


def teed(image_id: str, chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """The download's bytes, written into the cache on the way; cached only when all arrived."""
    writer: blobs.Writer | None = blobs.store().writer(cache_key(image_id), ())
    written = 0
    try:
        for chunk in chunks:
            if writer is not None:
                writer.put([chunk])
            written += len(chunk)
            if writer is not None and written == size:  # cached before the last bytes go out: a client sees it at once
                writer.finish([])
                writer = None
                _record(image_id, size, hit=True)
            yield chunk
    finally:
        if writer is not None:
            writer.discard()


def _record(image_id: str, size: int, hit: bool = False) -> None:
    now = time.time()
    values = dict(state="cached", size=size, hits=1 if hit else 0, last_accessed=now, last_modified=now)
    with db.session() as conn:
        if conn.execute(image_cache.update().where(image_cache.c.image_id == image_id).values(**values)).rowcount:
            return
        conn.execute(image_cache.insert().values(image_id=image_id, **values))


def forget(image_id: str, state: str | None = None) -> None:
    with db.session() as conn:
        stmt = image_cache.delete().where(image_cache.c.image_id == image_id)
        if state:
            stmt = stmt.where(image_cache.c.state == state)
        conn.execute(stmt)
    if state != "queued":
        blobs.store().delete(cache_key(image_id))


def prefetch(payload: dict[str, Any]) -> None:
    """The prefetcher: a queued image's data into the cache (gone or inactive: dropped from the queue)."""
    image_id = payload["image_id"]
    with db.reader() as conn:
        queued = conn.execute(sa.select(image_cache.c.state).where(image_cache.c.image_id == image_id)).scalar()
        image = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().first()
    if queued != "queued":
        return
    key = stores.readable_key(image_id, image["stores"]) if image and image["status"] == "active" else None
    if key is None:
        forget(image_id, "queued")
        return
    info = blobs.store().copy(key, cache_key(image_id))
    _record(image_id, info.size)


def startup(settings: Any) -> None:
    global _enabled
    _enabled = bool(settings.option("image.cache_enabled", True)) if settings is not None else True
    jobs.register(PREFETCH_JOB, prefetch)


def enabled() -> bool:
    return _enabled


def _check_enabled() -> None:
    if not _enabled:
        raise NotFound("Caching via API is not supported at this site.")


# --- routes ------------------------------------------------------------------------------------
def show_cache(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _check_enabled()
    with db.reader() as conn:
        rows = conn.execute(sa.select(image_cache).order_by(image_cache.c.image_id)).mappings().all()
    return {"cached_images": [render_cached(r) for r in rows if r["state"] == "cached"],
            "queued_images": [r["image_id"] for r in rows if r["state"] == "queued"]}


def queue_image(ctx: Context, rq: ApiRequest) -> None:
    _check_enabled()
    image_id = rq.params["image_id"]
    with db.session() as conn:
        image = access.load(conn, ctx, image_id)
        if image["status"] != "active":
            raise BadRequest("Only images with status active can be targeted for queueing")
        known = conn.execute(sa.select(image_cache.c.state).where(image_cache.c.image_id == image_id)).scalar()
        if known is None:
            conn.execute(image_cache.insert().values(image_id=image_id, state="queued", size=0, hits=0,
                                                     last_accessed=0.0, last_modified=time.time()))
            jobs.enqueue(conn, PREFETCH_JOB, {"image_id": image_id})


def delete_cache_entry(ctx: Context, rq: ApiRequest) -> None:
    _check_enabled()
    image_id = rq.params["image_id"]
    with db.reader() as conn:
        known = conn.execute(sa.select(image_cache.c.image_id).where(image_cache.c.image_id == image_id)).first()
        exists = conn.execute(sa.select(images.c.id).where(images.c.id == image_id)).first()
    if known is None and exists is None:
        raise NotFound(f"Image {image_id} not found.")
    forget(image_id)


def clear_cache(ctx: Context, rq: ApiRequest) -> None:
    _check_enabled()
    target = (rq.headers.get("x-image-cache-clear-target") or "").lower()
    if target not in CLEAR_TARGETS:
        raise BadRequest("If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.")
    states = {"": ("cached", "queued"), "cache": ("cached",), "queue": ("queued",)}[target]
    with db.session() as conn:
        gone = conn.execute(sa.select(image_cache.c.image_id, image_cache.c.state).where(
            image_cache.c.state.in_(states))).all()
        conn.execute(image_cache.delete().where(image_cache.c.state.in_(states)))
    for image_id, state in gone:
        if state == "cached":
            blobs.store().delete(cache_key(image_id))


ROUTES = [
    route("GET", "/v2/cache", show_cache, policy="cache_list"),
    route("DELETE", "/v2/cache", clear_cache, policy="cache_delete", status=204),
    route("PUT", "/v2/cache/{image_id}", queue_image, policy="cache_image", status=202),
    route("DELETE", "/v2/cache/{image_id}", delete_cache_entry, policy="cache_delete", status=204),
]
