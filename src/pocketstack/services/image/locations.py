"""Image locations (Glance 2.17, api-ref: image, Image locations): GET /v2/images/{image_id}/locations
for service users, and POST, which points a queued image at data kept elsewhere: the read-only
`http` store (an http(s) URL that passes the operator's filtering, as web-download's).

POST starts a `location_import` task: the URL's bytes are read once (streamed) to learn the size
and compute the checksums (Glance's do_secure_hash), checked against the caller's validation_data;
the image is then active with its data left at the URL, and downloads stream it from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import sqlalchemy as sa

from pocketstack.core import blobs, db, jobs
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, stores, web_download
from pocketstack.services.image.tables import image_locations, image_tasks, images

JOB = "image.location_import"
HTTP_STORE = "web"          # DevStack's name for the http store, which tempest expects in `stores`
TASK_TTL_HOURS = 48
ADD = {"type": "object", "required": ["url"], "additionalProperties": False, "properties": {
    "url": {"type": "string", "minLength": 1, "maxLength": 2048},
    "validation_data": {"type": ["object", "null"], "additionalProperties": False, "properties": {
        "os_hash_algo": {"type": "string"}, "os_hash_value": {"type": "string"}}}}}


# --- views -----------------------------------------------------------------------------------
def render_locations(conn: sa.Connection, image: dict[str, Any]) -> list[dict[str, Any]]:
    store = blobs.store()
    out = [{"url": store.location(stores.data_key(image['id'], sid)), "metadata": {"store": sid}}
           for sid in stores.split(stores.join(stores.split(image["stores"])))
           if store.exists(stores.data_key(image["id"], sid))]
    row = conn.execute(sa.select(image_locations).where(image_locations.c.image_id == image["id"])).first()
    return out + ([{"url": row.url, "metadata": dict(row.metadata or {})}] if row else [])


# --- logic -----------------------------------------------------------------------------------
def check_validation_data(data: dict[str, Any]) -> None:
    """glance's _validate_hashing_data."""
    algo, value = data.get("os_hash_algo"), data.get("os_hash_value")
    if value and not algo:
        raise BadRequest("os_hash_algo must be provided with os_hash_value.")
    if algo:
        if algo not in hashlib.algorithms_guaranteed or algo.startswith(("shake_", "blake")):
            raise BadRequest(f"os_hash_algo: {algo} is not supported")
        if value is None or len(value) != hashlib.new(algo).digest_size * 2:
            raise BadRequest(f"os_hash_value: {value} is not valid hexadecimal value of {algo} size")


def http_url(image_id: str) -> str | None:
    with db.reader() as conn:
        return conn.execute(sa.select(image_locations.c.url).where(image_locations.c.image_id == image_id)).scalar()


def read_http(url: str, start: int, end: int) -> Iterator[bytes]:
    """The http store's read: [start, end) of the URL, streamed."""
    headers = {"Range": f"bytes={start}-{end - 1}"} if start or end else {}
    with httpx.stream("GET", url, headers=headers, timeout=60, follow_redirects=False) as r:
        if r.status_code not in (200, 206):
            raise OSError(f"http store: GET {url}: HTTP {r.status_code}")
        skip = start if r.status_code == 200 else 0
        left = end - start
        for chunk in r.iter_bytes(blobs.CHUNK):
            if skip:
                chunk, skip = chunk[skip:], max(0, skip - len(chunk))
            if chunk and left > 0:
                yield chunk[:left]
                left -= len(chunk[:left])


def run_location_import(p: dict[str, Any]) -> None:
    data = p.get("validation_data") or {}
    algo = data.get("os_hash_algo") or stores.HASH_ALGO
    hashers = {"md5": hashlib.md5(usedforsecurity=False), algo: hashlib.new(algo)}
    size, error = 0, ""
    try:
        with httpx.stream("GET", p["url"], timeout=60, follow_redirects=False) as r:
            if r.status_code != 200:
                raise OSError(f"HTTP {r.status_code}")
            for chunk in r.iter_bytes(blobs.CHUNK):
                size += len(chunk)
                for h in hashers.values():
                    h.update(chunk)
    except (httpx.HTTPError, OSError) as exc:
        error = f"Failed to read {p['url']}: {exc}"
    if not error and data.get("os_hash_value") and hashers[algo].hexdigest() != data["os_hash_value"]:
        error = "os_hash_value: the hash of the data at the location does not match"
    now = utcnow()
    with db.session() as conn:
        stmt = images.update().where(images.c.id == p["image_id"], images.c.status == "importing")
        # quirk: a failed import leaves the image queued, but with its location (and store): the http
        # store cannot delete a location (glance bug 2076648, which tempest expects)
        done = conn.execute(stmt.values(status="queued", stores=HTTP_STORE, updated_at=now) if error else
                            stmt.values(status="active", size=size, checksum=hashers["md5"].hexdigest(),
                                        os_hash_algo=algo, os_hash_value=hashers[algo].hexdigest(),
                                        stores=HTTP_STORE, updated_at=now)).rowcount
        if done:
            conn.execute(image_locations.delete().where(image_locations.c.image_id == p["image_id"]))
            conn.execute(image_locations.insert().values(image_id=p["image_id"], url=p["url"], metadata={}))
        conn.execute(image_tasks.update().where(image_tasks.c.id == p["task_id"]).values(
            status="failure" if error else "success", message=error, updated_at=now,
            result={"image_id": None if error else p["image_id"]}))


def startup() -> None:
    jobs.register(JOB, run_location_import)


# --- routes ------------------------------------------------------------------------------------
def list_locations(ctx: Context, rq: ApiRequest) -> list[dict[str, Any]]:
    with db.reader() as conn:
        return render_locations(conn, access.load(conn, ctx, rq.params["image_id"]))


def add_location(ctx: Context, rq: ApiRequest) -> None:
    url, data = rq.body["url"], rq.body.get("validation_data") or {}
    with db.session() as conn:
        image = access.load(conn, ctx, rq.params["image_id"])
        if image["status"] != "queued":
            raise Conflict(f"It's not allowed to add locations if image status is {image['status']}.")
        if "service" not in {r.lower() for r in ctx.roles} and urlparse(url).scheme not in ("http", "https"):
            raise Forbidden("http store must be enabled to use location API by normal user.")
        check_validation_data(data)
        try:
            web_download.check_uri(url)
        except BadRequest:
            raise BadRequest(f"URI for add location does not pass filtering: {url}") from None
        now, task_id = utcnow(), new_uuid()
        conn.execute(images.update().where(images.c.id == image["id"]).values(status="importing", updated_at=now))
        conn.execute(image_tasks.insert().values(
            id=task_id, type="location_import", status="processing", owner=ctx.project_id, image_id=image["id"],
            input={"image_id": image["id"], "loc_url": url, "validation_data": data}, result=None, message="",
            request_id=ctx.request_id, user_id=ctx.user_id, created_at=now, updated_at=now))
        jobs.enqueue(conn, JOB, {"image_id": image["id"], "task_id": task_id, "url": url, "validation_data": data})


ROUTES = [
    route("GET", "/v2/images/{image_id}/locations", list_locations, policy="fetch_image_location",
          target=access.image_target),
    route("POST", "/v2/images/{image_id}/locations", add_location, policy="add_image_location",
          target=access.image_target, body=ADD, status=202),
]
