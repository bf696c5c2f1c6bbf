"""Image data: PUT/GET /v2/images/{id}/file and PUT /v2/images/{id}/stage (api-ref: image, Image data).

An upload streams the request body into the blob store (digests computed on the way), moving the
image queued -> saving -> active; any failure puts it back to queued and leaves no file behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import anyio
import sqlalchemy as sa
from starlette.responses import Response, StreamingResponse

from pocketstack.core import blobs, db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import (
    BadRequest, Conflict, Forbidden, Gone, PayloadTooLarge, RangeNotSatisfiable, UnsupportedMediaType)
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, cache, locations, quotas, stores
from pocketstack.services.image import notifications as image_notifications
from pocketstack.services.image.tables import images

IMAGE_SIZE_CAP = 1 << 40          # glance's image_size_cap default (1 TiB)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# --- logic -------------------------------------------------------------------------
def begin(ctx: Context, image_id: str, to_status: str) -> None:
    """queued -> saving (upload) or uploading (stage), as one compare-and-set."""
    with db.session() as conn:
        image = access.load(conn, ctx, image_id)
        if to_status == "saving" and (image["disk_format"] is None or image["container_format"] is None):
            raise BadRequest("Properties disk_format, container_format must be set prior to saving data.")
        if image["status"] != "queued":
            raise Conflict(f"Image status transition from {image['status']} to {to_status} is not allowed")
        done = conn.execute(images.update().where(images.c.id == image_id, images.c.status == "queued")
                            .values(status=to_status, updated_at=utcnow()))
        if done.rowcount != 1:
            raise Conflict(f"Image status transition from {image['status']} to {to_status} is not allowed")


def revert(image_id: str, from_status: str) -> None:
    with db.session() as conn:
        conn.execute(images.update().where(images.c.id == image_id, images.c.status == from_status)
                     .values(status="queued", updated_at=utcnow()))


def finish(image_id: str, from_status: str, to_status: str, info: blobs.BlobInfo, key: str,
           store_id: str | None = None) -> bool:
    """Record size and digests; False when the image was deleted meanwhile."""
    with db.session() as conn:
        image = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().first()
        if image is None or image["status"] != from_status:
            return False
        values: dict[str, Any] = {"status": to_status, "size": info.size, "updated_at": utcnow()}
        if to_status == "active":
            values.update(checksum=info.digests["md5"], os_hash_algo=stores.HASH_ALGO,
                          os_hash_value=info.digests[stores.HASH_ALGO], stores=store_id,
                          virtual_size=stores.check_format(key, image["disk_format"], image["container_format"],
                                                           info.size))
        conn.execute(images.update().where(images.c.id == image_id).values(**values))
        return True


async def receive(ctx: Context, rq: ApiRequest, key: str, from_status: str, to_status: str,
                  store_id: str | None = None) -> None:
    image_id = rq.params["image_id"]
    content_type = rq.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/octet-stream":
        raise UnsupportedMediaType(f"The request media type {content_type or 'None'} is not supported by this "
                                   "server.", detail=f"Content type {content_type or 'None'} is not supported")
    length = rq.headers.get("content-length")
    if length and length.isdigit() and int(length) > IMAGE_SIZE_CAP:
        raise PayloadTooLarge(f"The incoming image is too large: {length}")
    size_quota = quotas.SIZE_TOTAL if from_status == "saving" else quotas.STAGE_TOTAL
    lims = await anyio.to_thread.run_sync(quotas.limits, ctx)
    delta = int(length) // quotas.MIB if length and length.isdigit() else 0
    await anyio.to_thread.run_sync(lambda: quotas.enforce(ctx, ctx.project_id, {size_quota: delta}, lims=lims))
    await anyio.to_thread.run_sync(begin, ctx, image_id, from_status)
    try:
        await anyio.to_thread.run_sync(lambda: quotas.enforce(ctx, ctx.project_id, {quotas.COUNT_UPLOADING: 0},
                                                              lims=lims))
        info = await blobs.store().write_stream(key, rq.stream(), stores.ALGORITHMS, max_size=IMAGE_SIZE_CAP)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(revert, image_id, from_status)
        if isinstance(exc, OverflowError):
            raise PayloadTooLarge(f"The incoming image is too large: {exc}") from None
        raise
    try:
        kept = await anyio.to_thread.run_sync(finish, image_id, from_status, to_status, info, key, store_id)
    except BadRequest:                    # the data is not what the disk_format says
        blobs.store().delete(key)
        await anyio.to_thread.run_sync(revert, image_id, from_status)
        raise
    if not kept:
        blobs.store().delete(key)
        raise Gone(f"Image {image_id} could not be found after upload. The image may have been deleted "
                   "during the upload.")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) for a single-range Range header; None for the whole image."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise _unsatisfiable(size)
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)) + 1, size) if m.group(2) else size
    else:
        start, end = max(size - int(m.group(2)), 0), size
    if start >= size or start >= end:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable("Requested range not satisfiable", headers={"Content-Range": f"bytes */{size}"})


# --- routes ------------------------------------------------------------------------
async def upload(ctx: Context, rq: ApiRequest) -> None:
    store_id = stores.check_store(rq.headers.get("x-image-meta-store") or stores.DEFAULT_STORE)
    await receive(ctx, rq, stores.data_key(rq.params["image_id"], store_id), "saving", "active", store_id)
    await anyio.to_thread.run_sync(image_notifications.send_loaded, ctx, rq.params["image_id"],
                                   "image.upload", "image.activate")


async def stage(ctx: Context, rq: ApiRequest) -> None:
    await receive(ctx, rq, stores.staging_key(rq.params["image_id"]), "uploading", "uploading")


def download(ctx: Context, rq: ApiRequest) -> Response:
    image_id = rq.params["image_id"]
    with db.reader() as conn:
        image = access.load(conn, ctx, image_id)
    if image["status"] == "deactivated" and not ctx.is_admin:
        raise Forbidden("The requested image has been deactivated. Image data download is forbidden.")
    key = stores.readable_key(image_id, image["stores"]) or locations.http_url(image_id)
    if image["status"] not in ("active", "deactivated") or image["size"] is None or key is None:
        return Response(b"", status_code=204)
    size = image["size"]
    span = parse_range(rq.headers.get("range"), size)
    headers = {"Content-Type": "application/octet-stream"}
    if span is None:
        start, end, status = 0, size, 200
        if image["checksum"]:
            headers["Content-MD5"] = image["checksum"]
    else:
        (start, end), status = span, 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    body = _body(image, key, start, end, whole=span is None)
    return StreamingResponse(body, status_code=status, headers=headers)


def _body(image: dict[str, Any], key: str, start: int, end: int, whole: bool) -> Iterator[bytes]:
    """From the image cache when it holds the image; a whole download of an uncached one fills it."""
    read = locations.read_http if key.startswith(("http://", "https://")) else blobs.store().read
    if not cache.enabled() or image["status"] != "active":
        return read(key, start, end)
    cached = cache.cached_key(image["id"])
    if cached is not None:
        return blobs.store().read(cached, start, end)
    chunks = read(key, start, end)
    return cache.teed(image["id"], chunks, image["size"]) if whole else chunks


IMG = "/v2/images/{image_id}"
ROUTES = [
    route("PUT", IMG + "/file", upload, policy="upload_image", target=access.image_target, raw_body=True,
          status=204),
    route("GET", IMG + "/file", download, policy="download_image", target=access.image_target),
    route("PUT", IMG + "/stage", stage, policy="upload_image", target=access.image_target, raw_body=True,
          status=204),
]
