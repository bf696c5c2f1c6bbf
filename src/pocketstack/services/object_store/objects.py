"""Object writes: PUT (streamed, fsynced, atomic), X-Copy-From and COPY, POST, DELETE
(api-ref: object-storage, Objects). A PUT that fails or is cut off leaves the old version intact:
the new bytes go to a new blob and the row is swapped only after they are durable."""

from __future__ import annotations

import hashlib
import mimetypes
import time
from typing import Any
from urllib.parse import unquote

import anyio
from starlette.responses import Response

from pocketstack.core import blobs, db, jobs
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound, UnprocessableEntity
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import (
    acl, constraints, headers, object_versioning, quotas, request, segments, state, tempurl, versioning)

EXPIRE_JOB = "object_store.expire"
EMPTY_MD5 = hashlib.md5(b"").hexdigest()
SMALL_BODY = 1 << 20    # PUT bodies up to this size are read whole before they are written
SYMLINK_HEADERS = ("x-symlink-target", "x-symlink-target-account", "x-symlink-target-etag")


# --- schemas ---------------------------------------------------------------------
def put_meta(rq_headers: Any, name: str) -> tuple[dict[str, Any], str, int | None]:
    """(stored meta, content type, delete-at) from a PUT or POST's headers; 400 when invalid."""
    constraints.check_metadata(rq_headers, "object")
    at = constraints.delete_at(rq_headers)
    meta = headers.merge_meta({}, rq_headers, "object", headers.OBJECT_SYSMETA)
    meta.pop("x-delete-at", None)
    if at is not None:
        meta["x-delete-at"] = str(at)
    manifest = meta.get("x-object-manifest")
    if manifest is not None and ("/" not in unquote(manifest) or unquote(manifest).startswith("/")):
        raise constraints.bad("X-Object-Manifest must be in the format container/prefix")
    ctype = rq_headers.get("content-type", "").strip()
    if not ctype or headers.true(rq_headers.get("x-detect-content-type")):
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return meta, ctype, at


def symlink_meta(rq_headers: Any, length: int | None) -> dict[str, str]:
    target = rq_headers.get("x-symlink-target")
    if target is None:
        if "x-symlink-target-etag" in rq_headers or "x-symlink-target-account" in rq_headers:
            raise constraints.bad("X-Symlink-Target header required")
        return {}
    container, _, obj = unquote(target).lstrip("/").partition("/")
    if not container or not obj or target.startswith("/"):
        raise constraints.bad("X-Symlink-Target header must be of the form <container name>/<object name>")
    if length:
        raise constraints.bad("Symlink requests require a zero byte body")
    out = {"sys-symlink-target": f"{container}/{obj}"}
    if rq_headers.get("x-symlink-target-account"):
        out["sys-symlink-target-account"] = rq_headers["x-symlink-target-account"]
    if rq_headers.get("x-symlink-target-etag"):
        out["sys-symlink-target-etag"] = rq_headers["x-symlink-target-etag"].strip('"')
    return out


# --- logic -----------------------------------------------------------------------
def authorize_object(ctx: Context, rq: ApiRequest, t: request.Target, op: str,
                     container: str | None = None) -> dict[str, Any]:
    """TempURL or keystoneauth/ACL check; returns the container row (404 when it is missing)."""
    with db.reader() as conn:
        return authorize_in(conn, ctx, rq, t, op, container)


def authorize_in(conn: Any, ctx: Context, rq: ApiRequest, t: request.Target, op: str,
                 container: str | None = None) -> dict[str, Any]:
    """authorize_object inside the caller's transaction."""
    name = container or t.container or ""
    account_row = state.get_account(conn, t.account)
    row = state.get_container(conn, t.account, name)
    if "temp_url_sig" in rq.query and container is None:
        tempurl.validate(rq, (account_row or {}).get("meta", {}), (row or {}).get("meta", {}))
    else:
        acl.authorize(ctx, t.account, op, None if row is None else row["meta"], request.referrer(rq))
    if row is None:
        raise NotFound()
    return row


def new_row(t: request.Target, *, size: int, etag: str, ctype: str, meta: dict[str, Any], key: str | None,
            blob_size: int, at: int | None, listed_size: int | None = None) -> dict[str, Any]:
    return {"account": t.account, "container": t.container, "name": t.obj, "size": size if listed_size is None
            else listed_size, "etag": etag, "content_type": ctype, "timestamp": headers.now(), "meta": meta,
            "blob_key": key, "blob_size": blob_size, "delete_at": at}


def commit(ctx: Context, row: dict[str, Any], add_bytes: int | None = None) -> None:
    """Swap the row in (archiving the old version where the container asks for it)."""
    replaced = None
    try:
        with db.session() as conn:
            container = state.get_container(conn, row["account"], row["container"])
            if container is None:
                raise NotFound()
            if add_bytes is not None:
                quotas.check(conn, row["account"], container, add_bytes, 1)
            current = state.get_object(conn, row["account"], row["container"], row["name"], expired=True)
            old = current if state.live(current) else None
            if not versioning.archive(conn, ctx, row["account"], container["meta"], old, row):
                replaced = current
            state.put_object(conn, row, old=replaced)
            if row["delete_at"] is not None:
                jobs.enqueue(conn, EXPIRE_JOB, {k: row[k] for k in ("account", "container", "name", "delete_at")},
                             delay=max(row["delete_at"] - time.time(), 0))
    except BaseException:
        state.drop_blob(row)
        raise
    state.drop_blob(replaced)


def expire(payload: dict[str, Any]) -> float | None:
    """The job that reaps an object once its X-Delete-At has passed."""
    if payload["delete_at"] > time.time():
        return payload["delete_at"] - time.time()
    with db.session() as conn:
        row = state.get_object(conn, payload["account"], payload["container"], payload["name"], expired=True)
        if row is None or row["delete_at"] != payload["delete_at"]:
            return None
        state.delete_object(conn, payload["account"], payload["container"], payload["name"])
    state.drop_blob(row)
    return None


def precheck(ctx: Context, rq: ApiRequest, t: request.Target, length: int | None) -> dict[str, Any]:
    with db.reader() as conn:
        container = authorize_in(conn, ctx, rq, t, acl.WRITE)
        if rq.headers.get("if-none-match") == "*" and state.get_object(conn, t.account, t.container or "",
                                                                       t.obj or ""):
            from pocketstack.core.errors import PreconditionFailed
            raise PreconditionFailed("Precondition Failed")
        quotas.check(conn, t.account, container, length or 0, 1)
    return container


def copy_source(ctx: Context, rq: ApiRequest, t: request.Target, source: str,
                account: str | None = None) -> dict[str, Any]:
    src_container, _, src_obj = unquote(source).lstrip("/").partition("/")
    if not src_container or not src_obj:
        raise constraints.bad("X-Copy-From header must be of the form <container name>/<object name>")
    src = request.Target(account or t.account, src_container, src_obj, t.trans_id)
    src_meta = authorize_object(ctx, rq, src, acl.READ, container=src_container)["meta"]
    with db.reader() as conn:
        row = object_versioning.find(conn, src, src_meta, rq.query["version-id"]) if rq.query.get("version-id") \
            else state.get_object(conn, src.account, src_container, src_obj)
        if row is None:
            raise NotFound()
        if row["meta"].get("sys-slo") and rq.query.get("multipart-manifest") != "get":
            body = segments.slo_body(conn, src.account, row)
        elif row["meta"].get("x-object-manifest") and rq.query.get("multipart-manifest") != "get":
            body = segments.dlo_body(conn, src.account, row["meta"]["x-object-manifest"])
        else:
            body = segments.plain(row)
    return {"row": row, "body": body, "path": f"{src_container}/{src_obj}", "account": src.account,
            "version": object_versioning.read_headers(src, src_meta, row).get("X-Object-Version-Id")}


def copy_into(ctx: Context, rq: ApiRequest, t: request.Target, src: dict[str, Any]) -> dict[str, Any]:
    """Write the source's bytes under the target name, merging metadata as Swift's copy does."""
    row, body = src["row"], src["body"]
    meta, ctype, at = put_meta(rq.headers, t.obj or "")
    if not headers.true(rq.headers.get("x-fresh-metadata")):
        keep = {k: v for k, v in row["meta"].items() if not k.startswith("sys-slo") and k != "x-delete-at"}
        if body.quoted and not row["meta"].get("sys-slo"):
            keep.pop("x-object-manifest", None)
        meta = {**keep, **meta}
        if not rq.headers.get("content-type"):
            ctype = row["content_type"]
    elif not rq.headers.get("content-type"):
        ctype = row["content_type"]
    key = state.new_blob_key()
    info = blobs.store().write_bytes(key, segments.stream(body.spans), fresh=True)
    if row["meta"].get("sys-slo") and rq.query.get("multipart-manifest") == "get":
        meta["sys-slo"] = True
        meta.update({k: v for k, v in row["meta"].items() if k.startswith("sys-")})
        new = new_row(t, size=info.size, etag=row["etag"], ctype=ctype, meta=meta, key=key,
                      blob_size=info.size, at=at, listed_size=row["size"])
    else:
        new = new_row(t, size=info.size, etag=info.digests["md5"], ctype=ctype, meta=meta, key=key,
                      blob_size=info.size, at=at)
    commit(ctx, new, info.size)
    return new


def copy_response(t: request.Target, new: dict[str, Any], src: dict[str, Any]) -> Response:
    return request.respond(t, 201, hdrs={
        **headers.meta_headers(new["meta"]), "Content-Type": new["content_type"], "Etag": new["etag"], "Last-Modified": headers.http_date(new["timestamp"]),
        "X-Copied-From": src["path"], "X-Copied-From-Account": src["account"],
        "X-Copied-From-Last-Modified": headers.http_date(src["row"]["timestamp"]), "Content-Length": "0",
        **object_versioning.version_headers(new),
        **({"X-Copied-From-Version-Id": src["version"]} if src.get("version") else {})})


def checked_row(rq: ApiRequest, t: request.Target, key: str, info: blobs.BlobInfo, length: int | None,
                meta: dict[str, Any], ctype: str, at: int | None) -> dict[str, Any]:
    """The new row once the body matched Content-Length and ETag (else the blob goes, 400/422)."""
    expected = (rq.headers.get("etag") or "").strip('"').lower()
    if (length is not None and info.size != length) or (expected and expected != info.digests["md5"]):
        blobs.store().delete(key)
        if length is not None and info.size != length:
            raise constraints.bad("Request body shorter than Content-Length")
        raise UnprocessableEntity("Unable to process the contained instructions")
    return new_row(t, size=info.size, etag=info.digests["md5"], ctype=ctype, meta=meta, key=key,
                   blob_size=info.size, at=at)


def put_small(ctx: Context, rq: ApiRequest, t: request.Target, data: bytes, meta: dict[str, Any], ctype: str,
              at: int | None, length: int) -> dict[str, Any]:
    precheck(ctx, rq, t, length)
    key = state.new_blob_key()
    row = checked_row(rq, t, key, blobs.store().write_bytes(key, data, fresh=True), length, meta, ctype, at)
    commit(ctx, row)
    return row


# --- routes ----------------------------------------------------------------------
async def create_object(ctx: Context, rq: ApiRequest) -> Response:
    from pocketstack.services.object_store import bulk, slo
    t = request.target(rq)
    if "extract-archive" in rq.query:
        return await bulk.extract_archive(ctx, rq, t)
    if rq.query.get("multipart-manifest") == "put":
        return await slo.put_manifest(ctx, rq, t)
    if rq.headers.get("x-copy-from"):
        if rq.headers.get("content-length", "0") != "0":
            raise constraints.bad("Copy requests require a zero byte body")
        src = await anyio.to_thread.run_sync(copy_source, ctx, rq, t, rq.headers["x-copy-from"],
                                             rq.headers.get("x-copy-from-account"))
        await anyio.to_thread.run_sync(authorize_object, ctx, rq, t, acl.WRITE)
        new = await anyio.to_thread.run_sync(copy_into, ctx, rq, t, src)
        return copy_response(t, new, src)
    length = constraints.content_length(rq.headers)
    meta, ctype, at = put_meta(rq.headers, t.obj or "")
    link = symlink_meta(rq.headers, length)
    if link:
        meta.update(link)
        ctype = rq.headers.get("content-type") or "application/symlink"
    if length is not None and length <= SMALL_BODY and "expect" not in rq.headers:
        # a small body is read first, then checked, written, fsynced and committed in one thread hop
        data = b"".join([chunk async for chunk in rq.stream()])
        row = await anyio.to_thread.run_sync(put_small, ctx, rq, t, data, meta, ctype, at, length)
    else:
        await anyio.to_thread.run_sync(precheck, ctx, rq, t, length)
        key = state.new_blob_key()
        info = await blobs.store().write_stream(key, rq.stream(), ("md5",), max_size=constraints.MAX_FILE_SIZE,
                                                fresh=True)
        row = checked_row(rq, t, key, info, length, meta, ctype, at)
        await anyio.to_thread.run_sync(commit, ctx, row, info.size if length is None else None)
    return request.respond(t, 201, hdrs={"Etag": row["etag"], "Last-Modified": headers.http_date(row["timestamp"]),
                                         "Content-Length": "0", **object_versioning.version_headers(row)})


def copy_object(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    dest = rq.headers.get("destination")
    if not dest:
        raise constraints.bad("Destination header required")
    dest_container, _, dest_obj = unquote(dest).lstrip("/").partition("/")
    if not dest_container or not dest_obj:
        raise constraints.bad("Destination header must be of the form <container name>/<object name>")
    account = rq.headers.get("destination-account") or t.account
    src = copy_source(ctx, rq, t, f"{t.container}/{t.obj}")
    target = request.Target(account, dest_container, dest_obj, t.trans_id)
    authorize_object(ctx, rq, target, acl.WRITE, container=dest_container)
    new = copy_into(ctx, rq, target, src)
    return copy_response(t, new, src)


def update_object_metadata(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    authorize_object(ctx, rq, t, acl.WRITE)
    meta, _, at = put_meta(rq.headers, t.obj or "")
    with db.session() as conn:
        row = state.get_object(conn, t.account, t.container or "", t.obj or "")
        if row is None:
            raise NotFound()
        kept = {k: v for k, v in row["meta"].items() if k.startswith("sys-") or k == "x-object-manifest"}
        values: dict[str, Any] = {"delete_at": at}
        if rq.headers.get("content-type"):
            values["content_type"] = rq.headers["content-type"]
        state.update_object_meta(conn, row, {**kept, **meta}, **values)
        if at is not None:
            jobs.enqueue(conn, EXPIRE_JOB, {"account": t.account, "container": t.container, "name": t.obj,
                                            "delete_at": at}, delay=max(at - time.time(), 0))
    return request.respond(t, 202, b"<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>")


def delete_object(ctx: Context, rq: ApiRequest) -> Response:
    from pocketstack.services.object_store import slo
    t = request.target(rq)
    container = authorize_object(ctx, rq, t, acl.WRITE)
    if rq.query.get("multipart-manifest") == "delete":
        return slo.delete_manifest(ctx, rq, t)
    if object_versioning.configured(container["meta"]):
        return object_versioning.delete_current(ctx, t, container["meta"])
    with db.session() as conn:
        current = state.get_object(conn, t.account, t.container or "", t.obj or "")
        where = versioning.location(container["meta"])
        if where and where[1] == "history" and current is not None:
            versioning.archive(conn, ctx, t.account, container["meta"], current)
            return request.respond(t, 204)
        old = state.delete_object(conn, t.account, t.container or "", t.obj or "")
        restored = versioning.restore_latest(conn, t.account, t.container or "", t.obj or "", container["meta"])
        if current is None and not restored:
            raise NotFound()
    state.drop_blob(old)
    return request.respond(t, 204)
