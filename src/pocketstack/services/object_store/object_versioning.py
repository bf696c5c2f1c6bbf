"""Object versioning with X-Versions-Enabled (swift/common/middleware/versioned_writes/object_versioning.py).

Swift keeps every version in a hidden container and a static symlink in the user's container.
Here the current version stays a plain row of the user's container, marked with its version id
(sys-version-id); older versions and delete markers live in the hidden container
'versions/<container>' (no client can address it: container names hold no '/'), each named
'<object>\\x01<inverted timestamp>' so bytewise order lists an object's versions newest first,
as Swift's reserved names do. A version changes place by a row move; no bytes are copied.
What clients see is Swift's: version ids, ?versions listings, ?version-id= on GET/HEAD/PUT/DELETE,
delete markers and the X-Object-Version-Id / X-Object-Current-Version-Id headers.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import InternalError, LengthRequired, NotFound, PreconditionFailed
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, constraints, headers, request, state

SEP = "\x01"
HIDDEN_PREFIX = "versions/"
DELETE_MARKER = "application/x-deleted;swift_versions_deleted=1"
KEY_ENABLED, KEY_CONTAINER, KEY_ID = "sys-versions-enabled", "sys-versions-container", "sys-version-id"
CLIENT_HEADER = "x-versions-enabled"
EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"
NO_VERSIONS_CONTAINER = "The versions container does not exist. You may want to re-enable object versioning."
_VERSION = re.compile(r"^\d{1,10}(\.\d{1,5})?$")
_TOP = 999999999999999


# --- names -----------------------------------------------------------------------
def hidden_name(container: str) -> str:
    name = HIDDEN_PREFIX + container
    if len(name.encode()) <= constraints.MAX_CONTAINER_NAME_LENGTH:
        return name
    # the name column holds 256 bytes (PostgreSQL enforces it): a long name is hashed instead
    return HIDDEN_PREFIX + "#" + hashlib.sha256(container.encode()).hexdigest()


def is_hidden(container: str) -> bool:
    return "/" in container


def configured(meta: dict[str, Any]) -> str | None:
    """The hidden versions container of a container that ever had versioning enabled."""
    value = meta.get(KEY_CONTAINER)
    return str(value) if value else None


def enabled(meta: dict[str, Any]) -> bool:
    return headers.true(meta.get(KEY_ENABLED))


def _units(version_id: str) -> int:
    whole, _, frac = version_id.partition(".")
    return int(whole) * 100000 + int((frac + "00000")[:5])


def _fmt(units: int) -> str:
    return f"{units // 100000:010d}.{units % 100000:05d}"


def version_of(ts: float) -> str:
    return _fmt(round(ts * 100000))


def encode(obj: str, version_id: str) -> str:
    return obj + SEP + _fmt(_TOP - _units(version_id))


def decode(name: str) -> tuple[str, str | None]:
    obj, sep, inv = name.rpartition(SEP)
    if not sep or not _VERSION.match(inv):
        return name, None
    return obj, _fmt(_TOP - _units(inv))


def check_version(value: str, allow_null: bool = True) -> str:
    """The normalised id; 400 'Invalid version parameter' as Swift's validate_version."""
    if value == "null" and allow_null:
        return value
    if not _VERSION.match(value):
        raise constraints.bad("Invalid version parameter")
    return _fmt(_units(value))


# --- moves -----------------------------------------------------------------------
def _free_version(conn: Connection, account: str, hidden: str, obj: str, ts: float) -> str:
    units = round(ts * 100000)
    while state.get_object(conn, account, hidden, encode(obj, _fmt(units)), expired=True) is not None:
        units += 1
    return _fmt(units)


def _to_hidden(conn: Connection, hidden: str, row: dict[str, Any]) -> None:
    """Move a current row into the versions container (a null version gets an id from its time)."""
    vid = row["meta"].get(KEY_ID) or _free_version(conn, row["account"], hidden, row["name"], row["timestamp"])
    state.delete_object(conn, row["account"], row["container"], row["name"])
    meta = {k: v for k, v in row["meta"].items() if k != "x-delete-at"}
    meta[KEY_ID] = vid
    state.drop_blob(state.put_object(conn, {**row, "container": hidden, "name": encode(row["name"], vid),
                                            "meta": meta, "delete_at": None}))


def on_write(conn: Connection, account: str, container_meta: dict[str, Any], old: dict[str, Any] | None,
             new: dict[str, Any]) -> bool:
    """A PUT/COPY into a container with object versioning: archive the current version, give the new
    one an id while versioning is enabled. True when the old row was moved (its blob is kept)."""
    hidden = configured(container_meta)
    if hidden is None:
        return False
    versions = state.get_container(conn, account, hidden)
    on = enabled(container_meta)
    if on and versions is None:
        raise InternalError(NO_VERSIONS_CONTAINER, plain=True)
    moved = False
    if old is not None and versions is not None and (on or old["meta"].get(KEY_ID)):
        _to_hidden(conn, hidden, old)
        moved = True
    if on:
        new["meta"][KEY_ID] = _free_version(conn, account, hidden, new["name"], new["timestamp"])
    return moved


def version_headers(row: dict[str, Any]) -> dict[str, str]:
    vid = row["meta"].get(KEY_ID)
    return {"X-Object-Version-Id": vid} if vid else {}


def read_headers(t: request.Target, container_meta: dict[str, Any], row: dict[str, Any]) -> dict[str, str]:
    """X-Object-Version-Id (and Content-Location to the version) on GET/HEAD of a versioned container."""
    if configured(container_meta) is None:
        return {}
    vid = row["meta"].get(KEY_ID)
    if not vid:
        return {"X-Object-Version-Id": "null"}
    path = quote(f"/v1/{t.account}/{t.container}/{t.obj}")
    return {"X-Object-Version-Id": vid, "Content-Location": f"{path}?version-id={vid}"}


# --- routes ----------------------------------------------------------------------
def _prepare(ctx: Context, rq: ApiRequest, op: str, allow_null: bool = True) -> tuple[request.Target, str, str]:
    from pocketstack.services.object_store.objects import authorize_object
    t = request.target(rq)
    container = authorize_object(ctx, rq, t, op)
    if rq.method == "POST":
        raise constraints.bad("POST to a specific version is not allowed")
    raw = rq.query.get("version-id") or ""
    hidden = configured(container["meta"])
    if hidden is None and raw != "null":
        raise constraints.bad("version-aware operations require that the container is versioned")
    return t, check_version(raw, allow_null), hidden or hidden_name(t.container or "")


def find(conn: Connection, t: request.Target, container_meta: dict[str, Any], raw: str) -> dict[str, Any]:
    """The row of one version of an object (a COPY source with ?version-id=); 404 for a delete marker."""
    hidden = configured(container_meta)
    if hidden is None and raw != "null":
        raise constraints.bad("version-aware operations require that the container is versioned")
    vid = check_version(raw)
    current = state.get_object(conn, t.account, t.container or "", t.obj or "")
    if current is not None and current["meta"].get(KEY_ID, "null") == vid:
        return current
    archived = None if vid == "null" or hidden is None else \
        state.get_object(conn, t.account, hidden, encode(t.obj or "", vid))
    if archived is None or archived["content_type"] == DELETE_MARKER:
        raise NotFound()
    return archived


def reject_post(ctx: Context, rq: ApiRequest) -> Response:
    _prepare(ctx, rq, acl.WRITE)
    raise AssertionError("unreachable")


def show_version(ctx: Context, rq: ApiRequest) -> Response:
    """GET/HEAD ?version-id=: the current version, an archived one, or 404 for a delete marker."""
    from pocketstack.services.object_store.object_read import show_object
    t, vid, hidden = _prepare(ctx, rq, acl.READ)
    with db.reader() as conn:
        current = state.get_object(conn, t.account, t.container or "", t.obj or "")
        archived = None if vid == "null" else state.get_object(conn, t.account, hidden, encode(t.obj or "", vid))
    if vid == "null" or (current is not None and current["meta"].get(KEY_ID) == vid):
        if current is None or current["meta"].get(KEY_ID, "null") != vid:
            raise NotFound()
        resp = show_object(ctx, rq, t)
    else:
        if archived is None:
            raise NotFound()
        if archived["content_type"] == DELETE_MARKER:
            raise NotFound(headers={"X-Object-Version-Id": vid, "Content-Type": DELETE_MARKER})
        resp = show_object(ctx, rq, request.Target(t.account, hidden, archived["name"], t.trans_id))
    resp.headers["X-Object-Version-Id"] = vid
    return resp


def delete_version(ctx: Context, rq: ApiRequest) -> Response:
    """DELETE ?version-id=: that version only; no delete marker is written."""
    t, vid, hidden = _prepare(ctx, rq, acl.WRITE)
    obj = t.obj or ""
    gone = None
    with db.session() as conn:
        current = state.get_object(conn, t.account, t.container or "", obj)
        if vid == "null":
            if current is None:
                raise NotFound()
            if current["meta"].get(KEY_ID) and state.get_container(conn, t.account, hidden) is not None:
                _to_hidden(conn, hidden, current)
            else:
                gone = state.delete_object(conn, t.account, t.container or "", obj)
            now_id = None
        elif current is not None and current["meta"].get(KEY_ID) == vid:
            gone = state.delete_object(conn, t.account, t.container or "", obj)
            now_id = "null"
        else:
            now_id = (current or {"meta": {}})["meta"].get(KEY_ID) or "null"
            gone = state.delete_object(conn, t.account, hidden, encode(obj, vid))
    state.drop_blob(gone)
    if now_id is None:
        return request.respond(t, 204)
    hdrs = {"X-Object-Version-Id": vid, "X-Object-Current-Version-Id": now_id}
    if gone is None:
        raise NotFound(headers=hdrs)
    return request.respond(t, 204, hdrs=hdrs)


def restore_version(ctx: Context, rq: ApiRequest, has_body: bool) -> Response:
    """PUT ?version-id= with an empty body: that version becomes the current one again."""
    t, vid, hidden = _prepare(ctx, rq, acl.WRITE, allow_null=False)
    if has_body:
        raise constraints.bad("PUT version-id requests require a zero byte body")
    obj, dropped = t.obj or "", None
    with db.session() as conn:
        current = state.get_object(conn, t.account, t.container or "", obj)
        if current is not None and current["meta"].get(KEY_ID) == vid:
            row = current
        else:
            archived = state.get_object(conn, t.account, hidden, encode(obj, vid))
            if archived is None or archived["content_type"] == DELETE_MARKER:
                if state.get_container(conn, t.account, hidden) is None:
                    raise InternalError(NO_VERSIONS_CONTAINER, plain=True)
                raise NotFound("The specified version does not exist", plain=True)
            if current is not None:
                if current["meta"].get(KEY_ID):
                    _to_hidden(conn, hidden, current)
                else:
                    dropped = state.delete_object(conn, t.account, t.container or "", obj)
            state.delete_object(conn, t.account, hidden, archived["name"])
            row = {**archived, "container": t.container, "name": obj}
            state.put_object(conn, row)
    state.drop_blob(dropped)
    return request.respond(t, 201, hdrs={"Etag": row["etag"], "X-Object-Version-Id": vid, "Content-Length": "0",
                                         "Last-Modified": headers.http_date(row["timestamp"])})


def check_put_length(rq: ApiRequest) -> bool | None:
    """Whether a PUT ?version-id= carries a body; None when it is chunked (the caller reads it)."""
    length = rq.headers.get("content-length")
    if length is None:
        if "chunked" in rq.headers.get("transfer-encoding", "").lower():
            return None
        raise LengthRequired("Length Required")
    return length.strip() != "0"


def delete_current(ctx: Context, t: request.Target, container_meta: dict[str, Any]) -> Response:
    """DELETE without a version id in a versioned container: archive and write a delete marker."""
    hidden = configured(container_meta) or ""
    obj, gone, marker = t.obj or "", None, None
    with db.session() as conn:
        current = state.get_object(conn, t.account, t.container or "", obj)
        versions = state.get_container(conn, t.account, hidden)
        if not enabled(container_meta):
            if current is None:
                raise NotFound()
            if current["meta"].get(KEY_ID) and versions is not None:
                _to_hidden(conn, hidden, current)
            else:
                gone = state.delete_object(conn, t.account, t.container or "", obj)
        else:
            if versions is None:
                raise PreconditionFailed("A precondition for this request was not met.")
            if current is not None:
                _to_hidden(conn, hidden, current)
            marker = _free_version(conn, t.account, hidden, obj, headers.now())
            state.put_object(conn, {
                "account": t.account, "container": hidden, "name": encode(obj, marker), "size": 0,
                "etag": EMPTY_ETAG, "content_type": DELETE_MARKER, "timestamp": _units(marker) / 100000,
                "meta": {KEY_ID: marker}, "blob_key": None, "blob_size": 0, "delete_at": None})
    state.drop_blob(gone)
    hdrs = {"X-Object-Version-Id": marker} if marker else {}
    if current is None:
        raise NotFound(headers=hdrs)
    return request.respond(t, 204, hdrs=hdrs)
