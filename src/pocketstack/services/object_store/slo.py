"""Static large objects: multipart-manifest=put/get/delete (swift/common/middleware/slo.py).

The stored manifest is Swift's own listing form: [{"name": "/c/o", "hash", "bytes", "content_type",
"last_modified", "range"?}]; inline data segments become blobs named in "data_blob"."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import anyio
from starlette.responses import Response

from pocketstack.core import blobs, db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, PayloadTooLarge, UnprocessableEntity
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, bulk, constraints, headers, request, state
from pocketstack.services.object_store.objects import authorize_object, commit, new_row, put_meta

MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
INFO = {"max_manifest_segments": MAX_MANIFEST_SEGMENTS, "max_manifest_size": MAX_MANIFEST_SIZE,
        "yield_frequency": 10, "min_segment_size": 1, "allow_async_delete": False}
SEGMENT_KEYS = {"path", "etag", "size_bytes", "range"}


# --- schemas ---------------------------------------------------------------------
def parse_manifest(raw: bytes) -> list[dict[str, Any]]:
    try:
        segs = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Manifest must be valid JSON.\n", plain=True) from None
    if not isinstance(segs, list) or not segs:
        raise BadRequest("Manifest must be a list.\n" if not isinstance(segs, list) else
                         "Manifest must have at least one segment.\n", plain=True)
    if len(segs) > MAX_MANIFEST_SEGMENTS:
        raise PayloadTooLarge(f"Too many segments in manifest; max {MAX_MANIFEST_SEGMENTS}", plain=True)
    for i, seg in enumerate(segs):
        if not isinstance(seg, dict):
            raise BadRequest(f"Index {i}: not a JSON object\n", plain=True)
        if "data" in seg:
            if set(seg) != {"data"}:
                raise BadRequest(f"Index {i}: data segments must have no other keys\n", plain=True)
            continue
        if not seg.get("path") or not isinstance(seg["path"], str) or set(seg) - SEGMENT_KEYS:
            raise BadRequest(f"Index {i}: invalid segment\n", plain=True)
        if seg.get("size_bytes") is not None and not isinstance(seg["size_bytes"], int):
            raise BadRequest(f"Index {i}: size_bytes must be an integer\n", plain=True)
        if seg.get("etag") is not None and not isinstance(seg["etag"], str):
            raise BadRequest(f"Index {i}: etag must be a string\n", plain=True)
    return segs


# --- logic -----------------------------------------------------------------------
def check_range(value: str, size: int) -> str | None:
    first, dash, last = value.partition("-")
    if not dash or not (first + last).isdigit() and not (first.isdigit() or last.isdigit()):
        return "Invalid Range header"
    start = int(first) if first else max(size - int(last), 0)
    end = (min(int(last) + 1, size) if last else size) if first else size
    return None if start < end <= size else "Unsatisfiable Range"


def validate(ctx: Context, rq: ApiRequest, t: request.Target, segs: list[dict[str, Any]]) -> tuple[list, list]:
    """Swift's manifest check: each segment exists, matches etag/size and is not empty."""
    out, errors, store = [], [], blobs.store()
    with db.reader() as conn:
        for i, seg in enumerate(segs):
            if "data" in seg:
                try:
                    data = base64.b64decode(seg["data"], validate=True)
                except (binascii.Error, ValueError):
                    errors.append([f"Index {i}", "Invalid data"])
                    continue
                key = state.new_blob_key()
                store.write_bytes(key, data)
                out.append({"data_blob": key, "hash": hashlib.md5(data).hexdigest(), "bytes": len(data)})
                continue
            path = seg["path"]
            container, _, name = path.lstrip("/").partition("/")
            if not container or not name:
                errors.append([path, "Invalid path"])
                continue
            c = state.get_container(conn, t.account, container)
            try:
                acl.authorize(ctx, t.account, acl.READ, c["meta"] if c else None)
            except Exception:  # noqa: BLE001 - reported per segment
                errors.append([path, "403 Forbidden"])
                continue
            row = state.get_object(conn, t.account, container, name)
            if row is None:
                errors.append([path, "404 Not Found"])
                continue
            problems = []
            if seg.get("etag") and seg["etag"].strip('"') != row["etag"]:
                problems.append("Etag Mismatch")
            if seg.get("size_bytes") is not None and seg["size_bytes"] != row["size"]:
                problems.append("Size Mismatch")
            if row["size"] < 1:
                problems.append("Too small; each segment must be at least 1 byte.")
            if seg.get("range") and check_range(seg["range"], row["size"]):
                problems.append(check_range(seg["range"], row["size"]))
            if problems:
                errors.append([path, ", ".join(p for p in problems if p)])
                continue
            entry = {"name": "/" + container + "/" + name, "hash": row["etag"], "bytes": row["size"],
                     "content_type": row["content_type"], "last_modified": headers.iso(row["timestamp"])}
            if row["meta"].get("sys-slo"):
                entry["sub_slo"] = True
            if seg.get("range"):
                entry["range"] = seg["range"]
            out.append(entry)
    return out, errors


def totals(manifest: list[dict[str, Any]]) -> tuple[int, str]:
    from pocketstack.services.object_store.segments import _seg_range
    size, etag = 0, hashlib.md5()
    for seg in manifest:
        if seg.get("range"):
            a, b = _seg_range(seg, seg["bytes"])
            size += b - a
            etag.update(f"{seg['hash']}:{seg['range']};".encode())
        else:
            size += seg["bytes"]
            etag.update(seg["hash"].encode())
    return size, etag.hexdigest()


def store_manifest(ctx: Context, rq: ApiRequest, t: request.Target, raw: bytes) -> dict[str, Any]:
    authorize_object(ctx, rq, t, acl.WRITE)
    meta, ctype, at = put_meta(rq.headers, t.obj or "")
    manifest, errors = validate(ctx, rq, t, parse_manifest(raw))
    if errors:
        for seg in manifest:
            if seg.get("data_blob"):
                blobs.store().delete(seg["data_blob"])
        text = "Errors:\n" + "".join(f"{p}, {why}\n" for p, why in errors)
        raise BadRequest(text, plain=True)
    size, slo_etag = totals(manifest)
    expected = (rq.headers.get("etag") or "").strip('"')
    if expected and expected != slo_etag:
        raise UnprocessableEntity("Unable to process the contained instructions")
    data = json.dumps(manifest).encode()
    key = state.new_blob_key()
    info = blobs.store().write_bytes(key, data)
    meta.update({"sys-slo": True, "sys-manifest-etag": info.digests["md5"]})
    row = new_row(t, size=size, etag=slo_etag, ctype=ctype, meta=meta, key=key, blob_size=info.size, at=at)
    commit(ctx, row, size)
    return row


def delete_segments(conn: Any, account: str, row: dict[str, Any], result: bulk.Result, depth: int = 0) -> list:
    from pocketstack.services.object_store.segments import read_manifest
    dropped = []
    for seg in read_manifest(row):
        if seg.get("data_blob"):
            dropped.append({"blob_key": seg["data_blob"]})
            continue
        container, _, name = seg["name"].lstrip("/").partition("/")
        seg_row = state.get_object(conn, account, container, name, expired=True)
        if seg_row is not None and seg_row["meta"].get("sys-slo") and depth < 10:
            dropped += delete_segments(conn, account, seg_row, result, depth + 1)
        if state.delete_object(conn, account, container, name) is None:
            result.not_found += 1
        else:
            result.deleted += 1
            dropped.append(seg_row)
    return dropped


# --- routes ----------------------------------------------------------------------
async def put_manifest(ctx: Context, rq: ApiRequest, t: request.Target) -> Response:
    constraints.content_length(rq.headers)      # 411 without a length or chunking, as Swift's SLO
    raw = b""
    async for chunk in rq.stream():
        raw += chunk
        if len(raw) > MAX_MANIFEST_SIZE:
            raise PayloadTooLarge(f"Manifest File > {MAX_MANIFEST_SIZE} bytes", plain=True)
    row = await anyio.to_thread.run_sync(store_manifest, ctx, rq, t, raw)
    return request.respond(t, 201, hdrs={"Etag": f'"{row["etag"]}"', "Content-Length": "0",
                                         "Last-Modified": headers.http_date(row["timestamp"])})


def delete_manifest(ctx: Context, rq: ApiRequest, t: request.Target) -> Response:
    result = bulk.Result()
    with db.session() as conn:
        row = state.get_object(conn, t.account, t.container or "", t.obj or "", expired=True)
        dropped = []
        if row is None:
            result.not_found += 1
        else:
            if row["meta"].get("sys-slo"):
                dropped = delete_segments(conn, t.account, row, result)
            state.delete_object(conn, t.account, t.container or "", t.obj or "")
            result.deleted += 1
            dropped.append(row)
    for r in dropped:
        state.drop_blob(r)
    return bulk.render(rq, t, result, "200 OK", 200)
