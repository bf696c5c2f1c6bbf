"""Bulk delete (?bulk-delete) and archive extraction (?extract-archive=tar|tar.gz|tar.bz2)
(swift/common/middleware/bulk.py)."""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

import anyio
from starlette.responses import Response

from pocketstack.core import blobs, db
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, constraints, containers, listing, object_versioning, request, state

MAX_DELETES = 10000
MAX_CONTAINERS_PER_EXTRACTION = 10000
MAX_FAILED = 1000
INFO_DELETE = {"max_deletes_per_request": MAX_DELETES, "max_failed_deletes": MAX_FAILED}
INFO_UPLOAD = {"max_containers_per_extraction": MAX_CONTAINERS_PER_EXTRACTION,
               "max_failed_extractions": MAX_FAILED}


@dataclass
class Result:
    deleted: int = 0
    not_found: int = 0
    created: int = 0
    errors: list[list[str]] = field(default_factory=list)


def render(rq: ApiRequest, t: request.Target, result: Result, status: str, code: int,
           created: bool = False) -> Response:
    if result.errors and status.startswith("2"):
        status = "400 Bad Request"
    body: dict[str, Any] = ({"Number Files Created": result.created} if created else
                            {"Number Deleted": result.deleted, "Number Not Found": result.not_found})
    body.update({"Response Body": "", "Response Status": status, "Errors": result.errors})
    try:
        fmt = listing.wanted_format(rq)
    except ApiError:
        fmt = "plain"
    if fmt == "json":
        return request.respond(t, code, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if fmt == "xml":
        inner = "".join(f"<{k.lower().replace(' ', '_')}>{escape(str(v))}</{k.lower().replace(' ', '_')}>"
                        for k, v in body.items() if k != "Errors")
        errs = "".join(f"<object><name>{escape(n)}</name><status>{escape(s)}</status></object>"
                       for n, s in result.errors)
        doc = f'<?xml version="1.0" encoding="UTF-8"?>\n<delete>{inner}<errors>{errs}</errors></delete>'
        return request.respond(t, code, doc.encode(), {"Content-Type": "application/xml"})
    text = "".join(f"{k}: {v}\n" for k, v in body.items() if k != "Errors")
    text += "Errors:\n" + "".join(f"{n}, {s}\n" for n, s in result.errors)
    return request.respond(t, code, text.encode(), {"Content-Type": "text/plain"})


def delete_one(ctx: Context, account: str, path: str, result: Result) -> None:
    container, _, name = unquote(path.strip()).lstrip("/").partition("/")
    dropped = None
    try:
        if not name:
            acl.authorize(ctx, account, acl.OWNER)
            containers.delete_container(account, container)
        else:
            meta = containers.container_meta(account, container)
            acl.authorize(ctx, account, acl.WRITE, meta)
            if object_versioning.configured(meta):    # as a DELETE through the pipeline: a delete marker
                object_versioning.delete_current(ctx, request.Target(account, container, name, ""), meta)
                result.deleted += 1
                return
            with db.session() as conn:
                dropped = state.delete_object(conn, account, container, name)
            if dropped is None:
                result.not_found += 1
                return
        result.deleted += 1
        state.drop_blob(dropped)
    except ApiError as err:
        if err.status == 404:
            result.not_found += 1
        else:
            result.errors.append([unquote(path.strip()), f"{err.status} {err.title}"])


async def bulk_delete(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    raw = b""
    async for chunk in rq.stream():
        raw += chunk
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(lines) > MAX_DELETES:
        raise BadRequest(f"Max delete failures exceeded", plain=True)
    result = Result()
    for line in lines:
        await anyio.to_thread.run_sync(delete_one, ctx, t.account, line, result)
    return render(rq, t, result, "200 OK", 200)


def extract(ctx: Context, rq: ApiRequest, t: request.Target, key: str, mode: str) -> Result:
    result = Result()
    base_container, base_prefix = t.container or "", t.obj or ""
    raw = blobs.store().open(key)
    try:
        archive = tarfile.open(fileobj=raw, mode=mode)
    except (tarfile.TarError, OSError, EOFError):
        raw.close()
        raise BadRequest("Invalid Tar File: invalid header", plain=True) from None
    with raw, archive:
        for member in archive:
            if not member.isfile():
                continue
            path = (base_container + "/" + base_prefix + member.name if base_container
                    else member.name).lstrip("/")
            container, _, name = path.partition("/")
            if not container or not name:
                result.errors.append([member.name, "412 Precondition Failed"])
                continue
            try:
                constraints.check_container_name(container)
                constraints.check_object_name(name)
                acl.authorize(ctx, t.account, acl.OWNER)
                with db.reader() as conn:
                    exists = state.get_container(conn, t.account, container) is not None
                if not exists:
                    containers.put_container(t.account, container, {})
                from pocketstack.services.object_store.objects import commit, new_row
                fileobj = archive.extractfile(member)
                data = fileobj.read() if fileobj else b""
                blob = state.new_blob_key()
                info = blobs.store().write_bytes(blob, data)
                target = request.Target(t.account, container, name, t.trans_id)
                import mimetypes
                ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
                commit(ctx, new_row(target, size=info.size, etag=info.digests["md5"], ctype=ctype, meta={},
                                    key=blob, blob_size=info.size, at=None), info.size)
                result.created += 1
            except ApiError as err:
                result.errors.append([path, f"{err.status} {err.title}"])
    return result


async def extract_archive(ctx: Context, rq: ApiRequest, t: request.Target) -> Response:
    kind = rq.query.get("extract-archive", "")
    mode = {"tar": "r:", "tar.gz": "r:gz", "tgz": "r:gz", "tar.bz2": "r:bz2", "tbz2": "r:bz2"}.get(kind.lower())
    if mode is None:
        raise BadRequest("Unsupported archive format", plain=True)
    await anyio.to_thread.run_sync(acl.authorize, ctx, t.account, acl.WRITE)
    key = state.new_blob_key()
    await blobs.store().write_stream(key, rq.stream())
    try:
        result = await anyio.to_thread.run_sync(extract, ctx, rq, t, key, mode)
    finally:
        blobs.store().delete(key)
    return render(rq, t, result, "201 Created", 200, created=True)
