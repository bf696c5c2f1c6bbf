"""An object's bytes as a list of blob spans: one span for a plain object, many for a static or
dynamic large object. Ranges (single and multipart/byteranges) are cut across the spans."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response, StreamingResponse

from pocketstack.core import blobs
from pocketstack.core.errors import Conflict, RangeNotSatisfiable
from pocketstack.services.object_store import state
from pocketstack.services.object_store.tables import objects

MAX_RANGES = 100
SMALL_READ = 1 << 20      # objects up to this size are read whole and sent in one piece
READ_CHUNK = 4 << 20
MAX_DLO_SEGMENTS = 10000


@dataclass
class Span:
    key: str
    start: int
    end: int          # exclusive


@dataclass
class Body:
    spans: list[Span] = field(default_factory=list)
    etag: str = ""
    quoted: bool = False

    @property
    def size(self) -> int:
        return sum(s.end - s.start for s in self.spans)


def plain(row: dict[str, Any]) -> Body:
    spans = [Span(row["blob_key"], 0, row["blob_size"])] if row["blob_key"] and row["blob_size"] else []
    return Body(spans, row["etag"])


def read_manifest(row: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(b"".join(blobs.store().read(row["blob_key"])) or b"[]")


def parse_range_value(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    first, _, last = value.partition("-")
    return int(first or 0), int(last) if last else -1


def slo_body(conn: Connection, account: str, row: dict[str, Any], depth: int = 0) -> Body:
    spans: list[Span] = []
    for seg in read_manifest(row):
        container, _, name = seg["name"].lstrip("/").partition("/")
        seg_row = state.get_object(conn, account, container, name)
        if seg_row is None or (seg.get("hash") and seg_row["etag"] != seg["hash"]):
            raise Conflict(f"Object segment no longer valid: {seg['name']}", plain=True)
        inner = slo_body(conn, account, seg_row, depth + 1) if seg_row["meta"].get("sys-slo") and depth < 10 \
            else plain(seg_row)
        spans += cut(inner.spans, *_seg_range(seg, inner.size))
    return Body(spans, row["etag"], quoted=True)


def _seg_range(seg: dict[str, Any], size: int) -> tuple[int, int]:
    r = seg.get("range")
    if not r:
        return 0, size
    first, _, last = r.partition("-")
    if not first:
        return max(size - int(last), 0), size
    return int(first), min(int(last) + 1, size) if last else size


def dlo_body(conn: Connection, account: str, manifest: str) -> Body:
    from urllib.parse import unquote
    container, _, prefix = unquote(manifest).partition("/")
    cond = [objects.c.account == account, objects.c.container == container]
    if prefix:
        cond += [objects.c.name >= prefix, objects.c.name < prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    rows = conn.execute(sa.select(objects).where(*cond).order_by(objects.c.name)
                        .limit(MAX_DLO_SEGMENTS)).mappings().all()
    spans: list[Span] = []
    etags = hashlib.md5()
    for r in rows:
        if r["meta"].get("x-object-manifest"):
            continue
        spans += plain(dict(r)).spans
        etags.update(r["etag"].encode())
    return Body(spans, etags.hexdigest(), quoted=True)


def cut(spans: list[Span], start: int, end: int) -> list[Span]:
    """The spans covering bytes [start, end) of the concatenation."""
    out, offset = [], 0
    for s in spans:
        length = s.end - s.start
        lo, hi = max(start - offset, 0), min(end - offset, length)
        if lo < hi:
            out.append(Span(s.key, s.start + lo, s.start + hi))
        offset += length
        if offset >= end:
            break
    return out


def stream(spans: list[Span]) -> Iterator[bytes]:
    store = blobs.store()
    for s in spans:
        yield from store.read(s.key, s.start, s.end)


def response(spans: list[Span], hdrs: dict[str, str], status: int = 200) -> Response:
    """The bytes of the spans as a response. A small plain object is read here, in the handler's
    thread, and sent at once (no per-chunk thread hops); a large one is opened here and streamed
    from the open file, which an overwrite that unlinks it meanwhile cannot take away."""
    if not spans:
        return Response(b"", status_code=status, headers=hdrs)
    if len(spans) != 1:
        return StreamingResponse(stream(spans), status_code=status, headers=hdrs)
    span = spans[0]
    f = blobs.store().open(span.key)
    if span.end - span.start <= SMALL_READ:
        with f:
            f.seek(span.start)
            return Response(f.read(span.end - span.start), status_code=status, headers=hdrs)
    return StreamingResponse(_from_file(f, span.start, span.end), status_code=status, headers=hdrs)


def _from_file(f: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    with f:
        f.seek(start)
        while start < end:
            chunk = f.read(min(READ_CHUNK, end - start))
            if not chunk:
                break
            start += len(chunk)
            yield chunk


def parse_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """[start, end) pairs; None to ignore the header (bad syntax, as Swift does); 416 if none fit."""
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    wanted = []
    for part in header.strip()[6:].split(","):
        part = part.strip()
        first, dash, last = part.partition("-")
        if not dash or not (first or last) or not (first.isdigit() or not first) or \
                not (last.isdigit() or not last):
            return None
        if first and last and int(last) < int(first):
            return None
        wanted.append((first, last))
    if len(wanted) > MAX_RANGES:
        return None
    out = []
    for first, last in wanted:
        if not first:
            if int(last) == 0:
                continue
            out.append((max(size - int(last), 0), size))
        elif int(first) < size:
            out.append((int(first), min(int(last) + 1, size) if last else size))
    if not out:
        raise RangeNotSatisfiable("Requested Range Not Satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return out


def multipart(spans: list[Span], ranges: list[tuple[int, int]], size: int,
              content_type: str) -> tuple[Iterator[bytes], int, str]:
    boundary = secrets.token_hex(16)
    heads = [(f"--{boundary}\r\nContent-Type: {content_type}\r\n"
              f"Content-Range: bytes {a}-{b - 1}/{size}\r\n\r\n").encode() for a, b in ranges]
    tail = f"--{boundary}--".encode()
    length = sum(len(h) + (b - a) + 2 for h, (a, b) in zip(heads, ranges)) + len(tail)

    def gen() -> Iterator[bytes]:
        for head, (a, b) in zip(heads, ranges):
            yield head
            yield from stream(cut(spans, a, b))
            yield b"\r\n"
        yield tail
    return gen(), length, f"multipart/byteranges;boundary={boundary}"
