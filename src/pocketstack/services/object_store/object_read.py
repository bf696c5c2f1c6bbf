"""Object reads: GET/HEAD with conditionals, ranges (multipart/byteranges too), large objects
(SLO, DLO) and symlinks (api-ref: object-storage, Objects)."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

from starlette.responses import Response, StreamingResponse

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound, PreconditionFailed
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, headers, object_versioning, request, segments, state, tempurl
from pocketstack.services.object_store.objects import authorize_in

MAX_SYMLINK_DEPTH = 2


# --- views -----------------------------------------------------------------------
def object_headers(row: dict[str, Any], body: segments.Body) -> dict[str, str]:
    out = {"Content-Type": row["content_type"], "Etag": f'"{body.etag}"' if body.quoted else body.etag,
           "Last-Modified": headers.http_date(row["timestamp"]), "X-Timestamp": headers.x_timestamp(row["timestamp"]),
           "Accept-Ranges": "bytes"}
    out.update(headers.meta_headers(row["meta"]))
    if row["meta"].get("sys-slo"):
        out["X-Static-Large-Object"] = "True"
    return out


# --- logic -----------------------------------------------------------------------
def resolve(ctx: Context, rq: ApiRequest, t: request.Target,
            in_conn: Any = None) -> tuple[dict[str, Any], segments.Body, dict[str, str]]:
    """The row to answer with (following symlinks) and its bytes (in the caller's transaction if given)."""
    extra: dict[str, str] = {}
    account, container, name = t.account, t.container or "", t.obj or ""
    for depth in range(MAX_SYMLINK_DEPTH + 2):
        with db.reader() if in_conn is None else contextlib.nullcontext(in_conn) as conn:
            row = state.get_object(conn, account, container, name)
            if row is None:
                if depth:
                    raise NotFound(headers=extra)
                raise NotFound()
            target = row["meta"].get("sys-symlink-target")
            if target and rq.query.get("symlink") != "get":
                if depth > MAX_SYMLINK_DEPTH:
                    raise Conflict("Too many levels of symbolic links", plain=True)
                account = row["meta"].get("sys-symlink-target-account") or account
                container, _, name = target.partition("/")
                extra["Content-Location"] = f"{rq.client_prefix}/v1/{account}/{target}"
                if "temp_url_sig" not in rq.query:
                    authorize_in(conn, ctx, rq, request.Target(account, container, name, t.trans_id), acl.READ,
                                 container=container)
                pinned = row["meta"].get("sys-symlink-target-etag")
                if pinned:
                    linked = state.get_object(conn, account, container, name)
                    if linked is None or linked["etag"] != pinned:
                        raise Conflict(f"Object Etag {linked['etag'] if linked else ''!r} does not match "
                                       f"X-Symlink-Target-Etag header {pinned!r}", plain=True)
                continue
            return row, body_of(conn, rq, account, row), extra
    raise Conflict("Too many levels of symbolic links", plain=True)


def body_of(conn: Any, rq: ApiRequest, account: str, row: dict[str, Any]) -> segments.Body:
    manifest_get = rq.query.get("multipart-manifest") == "get"
    if row["meta"].get("sys-slo") and not manifest_get:
        return segments.slo_body(conn, account, row)
    if row["meta"].get("x-object-manifest") and not manifest_get:
        return segments.dlo_body(conn, account, row["meta"]["x-object-manifest"])
    return segments.plain(row)


def check_conditions(rq: ApiRequest, row: dict[str, Any], etag: str, hdrs: dict[str, str]) -> int | None:
    """304 or 412 as Swift answers If-Match, If-None-Match, If-(Un)Modified-Since; None to go on."""
    def tags(value: str) -> set[str]:
        return {v.strip().strip('"') for v in value.split(",")}
    modified = math.ceil(row["timestamp"])
    if_match = rq.headers.get("if-match")
    if if_match and "*" not in tags(if_match) and etag not in tags(if_match):
        return 412
    if_none = rq.headers.get("if-none-match")
    if if_none and ("*" in tags(if_none) or etag in tags(if_none)):
        return 304
    since = headers.parse_http_date(rq.headers.get("if-modified-since"))
    if not if_none and since is not None and modified <= since:
        return 304
    until = headers.parse_http_date(rq.headers.get("if-unmodified-since"))
    if until is not None and modified > until:
        return 412
    return None


def manifest_view(rq: ApiRequest, row: dict[str, Any]) -> bytes:
    manifest = segments.read_manifest(row)
    if rq.query.get("format") == "raw":
        manifest = [{k: v for k, v in {"path": s["name"], "etag": s["hash"], "size_bytes": s["bytes"],
                                        "range": s.get("range")}.items() if v is not None} for s in manifest]
    return json.dumps(manifest).encode()


# --- routes ----------------------------------------------------------------------
def show_object(ctx: Context, rq: ApiRequest, t: request.Target | None = None) -> Response:
    t = t or request.target(rq)
    with db.reader() as conn:
        container = authorize_in(conn, ctx, rq, t, acl.READ)
        row, body, extra = resolve(ctx, rq, t, conn)
    hdrs = {**object_headers(row, body), **extra, "X-Trans-Id": t.trans_id, "X-Openstack-Request-Id": t.trans_id,
            **object_versioning.read_headers(t, container["meta"], row)}
    if rq.query.get("symlink") == "get" and row["meta"].get("sys-symlink-target"):
        hdrs["X-Symlink-Target"] = row["meta"]["sys-symlink-target"]
        if row["meta"].get("sys-symlink-target-account"):
            hdrs["X-Symlink-Target-Account"] = row["meta"]["sys-symlink-target-account"]
    disposition = tempurl.disposition(rq, row["name"])
    if disposition:
        hdrs["Content-Disposition"] = disposition
    if row["meta"].get("sys-slo") and rq.query.get("multipart-manifest") == "get":
        data = manifest_view(rq, row)
        hdrs.update({"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(data))})
        return Response(b"" if rq.method == "HEAD" else data, status_code=200, headers=hdrs)
    status = check_conditions(rq, row, body.etag, hdrs)
    if status is not None:
        if status == 412:
            raise PreconditionFailed("Precondition Failed", headers={k: hdrs[k] for k in ("Etag", "Last-Modified")})
        hdrs.pop("Content-Type", None)
        return Response(b"", status_code=304, headers=hdrs)
    size = body.size
    ranges = segments.parse_ranges(rq.headers.get("range"), size) if rq.method == "GET" else None
    if ranges is None:
        hdrs["Content-Length"] = str(size)
        if rq.method == "HEAD":
            return Response(b"", status_code=200, headers=hdrs)
        return segments.response(body.spans, hdrs)
    if len(ranges) == 1:
        (a, b), = ranges
        hdrs.update({"Content-Range": f"bytes {a}-{b - 1}/{size}", "Content-Length": str(b - a)})
        return StreamingResponse(segments.stream(segments.cut(body.spans, a, b)), status_code=206, headers=hdrs)
    chunks, length, media = segments.multipart(body.spans, ranges, size, row["content_type"])
    hdrs.update({"Content-Type": media, "Content-Length": str(length)})
    return StreamingResponse(chunks, status_code=206, headers=hdrs)
