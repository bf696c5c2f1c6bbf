"""FormPost: browser uploads to a container with an HMAC-signed HTML form
(swift/common/middleware/formpost.py).

A POST of multipart/form-data to /v1/{account}/{container}[/{prefix}] carries the fields redirect,
max_file_size, max_file_count, expires and signature, then one or more file parts. The signature is
HMAC(key, "<path>\\n<redirect>\\n<max_file_size>\\n<max_file_count>\\n<expires>") with a TempURL key
of the account or container (sha1/sha256/sha512; hex, or "<algo>:<base64>"). Each file becomes the
object <prefix><filename>. The answer is 303 to the redirect (with ?status=&message=) or, without
one, the status line as a text/plain body. Expired forms and bad signatures are 401.
"""

from __future__ import annotations

import binascii
import hmac
import hashlib
import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio
from starlette.responses import Response

from pocketstack.core import blobs, db
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, Unauthorized
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import constraints, objects, request, state, tempurl

INFO: dict[str, Any] = {}
MAX_VALUE_LENGTH = 4096
MAX_FORM_BYTES = constraints.MAX_FILE_SIZE + 1024 * 1024


class FormInvalid(Exception):
    """400 with "FormPost: <message>"."""


@dataclass
class Part:
    headers: dict[str, str]
    disposition: dict[str, str]
    data: bytes
    kind: str = field(default="")


def _params(value: str) -> tuple[str, dict[str, str]]:
    head, *rest = value.split(";")
    attrs = {}
    for item in rest:
        if "=" in item:
            k, v = item.split("=", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            attrs[k.strip().lower()] = v
    return head.strip().lower(), attrs


def boundary_of(rq: ApiRequest) -> str | None:
    ctype, attrs = _params(rq.headers.get("content-type", ""))
    if ctype == "multipart/form-data" and attrs.get("boundary"):
        return attrs["boundary"]
    return None


def is_formpost(rq: ApiRequest) -> bool:
    return rq.method == "POST" and boundary_of(rq) is not None


def parse(body: bytes, boundary: str) -> list[Part]:
    delim = b"--" + boundary.encode()
    if not body.startswith(delim):
        raise FormInvalid("invalid starting boundary")
    parts = []
    for chunk in (b"\r\n" + body).split(b"\r\n" + delim)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, data = b"", chunk[2:] if chunk.startswith(b"\r\n") else chunk
        hdrs = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        disp, attrs = _params(hdrs.get("content-disposition", ""))
        parts.append(Part(hdrs, attrs, data, disp))
    return parts


def _int(attrs: dict[str, str], name: str, message: str) -> int:
    try:
        return int(attrs.get(name) or 0)
    except ValueError:
        raise FormInvalid(message) from None


def check_signature(rq: ApiRequest, attrs: dict[str, str], keys: list[str]) -> None:
    if not keys:
        raise Unauthorized("FormPost: Invalid Signature", plain=True)
    if _int(attrs, "expires", "expired not an integer") < time.time():
        raise Unauthorized("FormPost: Form Expired", plain=True)
    try:
        algo, given = tempurl.digest(attrs.get("signature", ""))
    except (ValueError, binascii.Error):
        raise Unauthorized("FormPost: Invalid Signature", plain=True) from None
    if algo not in tempurl.ALLOWED_DIGESTS:
        raise Unauthorized("FormPost: Invalid Signature", plain=True)
    path, svc = rq.path, rq.service_prefix
    paths = [path, path[len(svc):]] if svc and path.startswith(svc) else [path]
    for key in keys:
        for p in paths:
            body = "\n".join([p, attrs.get("redirect") or "", attrs.get("max_file_size") or "0",
                              attrs.get("max_file_count") or "0", attrs.get("expires") or "0"])
            mac = hmac.new(key.encode(), body.encode(), getattr(hashlib, algo)).hexdigest()
            if hmac.compare_digest(mac, given):
                return
    raise Unauthorized("FormPost: Invalid Signature", plain=True)


def _keys(t: request.Target) -> tuple[list[str], bool]:
    with db.reader() as conn:
        account_row = state.get_account(conn, t.account)
        row = state.get_container(conn, t.account, t.container or "")
    return tempurl.keys((account_row or {}).get("meta", {}), (row or {}).get("meta", {})), row is not None


def store(ctx: Context, rq: ApiRequest, t: request.Target, attrs: dict[str, str], part: Part) -> None:
    """The sub-PUT of one file: 201, or an ApiError (404 without the container, 400 when too big)."""
    max_size = _int(attrs, "max_file_size", "max_file_size not an integer")
    if len(part.data) > max_size:
        raise FormInvalid("max_file_size exceeded")
    headers: dict[str, str] = {}
    if "x_delete_at" in attrs:
        headers["x-delete-at"] = str(_int(attrs, "x_delete_at", "x_delete_at not an integer: Unix timestamp required."))
    if "x_delete_after" in attrs:
        after = _int(attrs, "x_delete_after", "x_delete_after not an integer: Number of seconds required.")
        headers["x-delete-after"] = str(after)
    ctype = attrs.get("content-type") or part.headers.get("content-type") or ""
    if "content-encoding" in attrs or "content-encoding" in part.headers:
        headers["content-encoding"] = attrs.get("content-encoding") or part.headers["content-encoding"]
    prefix = t.obj or ""
    name = prefix + (part.disposition.get("filename") or "filename")
    constraints.check_object_name(name)
    target = request.Target(t.account, t.container, name, t.trans_id)
    meta, _, at = objects.put_meta(headers, name)
    ctype = ctype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    key = state.new_blob_key()
    info = blobs.store().write_bytes(key, part.data)
    row = objects.new_row(target, size=info.size, etag=info.digests["md5"], ctype=ctype, meta=meta, key=key,
                          blob_size=info.size, at=at)
    objects.commit(ctx, row, info.size)


def run(ctx: Context, rq: ApiRequest, t: request.Target, body: bytes, boundary: str) -> Response:
    keys, _ = _keys(t)
    attrs: dict[str, str] = {}
    status, message, detail = "", "", b""
    count = 0
    for part in parse(body, boundary):
        if part.kind == "form-data" and "filename" in part.disposition:
            count += 1
            if count > _int(attrs, "max_file_count", "max_file_count not an integer"):
                status, message = "400 Bad Request", "max file count exceeded"
                break
            check_signature(rq, attrs, keys)
            try:
                store(ctx, rq, t, attrs, part)
            except ApiError as err:
                status = f"{err.status} {err.title}"
                detail = err.message.encode()
                break
            status = "201 Created"
        elif "name" in part.disposition:
            attrs[part.disposition["name"].lower()] = part.data[:MAX_VALUE_LENGTH].decode("utf-8", "replace")
    if not status:
        status, message = "400 Bad Request", "no files to process"
    code = int(status.split(" ", 1)[0])
    redirect = attrs.get("redirect")
    base = {"X-Trans-Id": t.trans_id, "X-Openstack-Request-Id": t.trans_id}
    if not redirect:
        text = status + ("\r\nFormPost: " + message.title() if message else "")
        out = detail if code >= 300 and detail else text.encode()
        return Response(out, status_code=code, media_type="text/plain", headers=base)
    redirect += ("&" if "?" in redirect else "?") + f"status={code}&message={quote(message)}"
    page = f'<html><body><p><a href="{redirect}">Click to continue...</a></p></body></html>'
    return Response(page.encode(), status_code=303, media_type="text/html",
                    headers={**base, "Location": redirect})


async def form_post(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    boundary = boundary_of(rq) or ""
    chunks, size = [], 0
    async for chunk in rq.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return _invalid(t, "max_file_size exceeded")
        chunks.append(chunk)
    try:
        result: Response = await anyio.to_thread.run_sync(run, ctx, rq, t, b"".join(chunks), boundary)
    except FormInvalid as err:
        return _invalid(t, str(err))
    return result


def _invalid(t: request.Target, message: str) -> Response:
    return Response(f"FormPost: {message}".encode(), status_code=400, media_type="text/plain",
                    headers={"X-Trans-Id": t.trans_id, "X-Openstack-Request-Id": t.trans_id})
