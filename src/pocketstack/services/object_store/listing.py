"""Account and container listings as text/plain, JSON or XML (swift/common/middleware/listing_formats.py)."""

from __future__ import annotations

import json
import math
import time
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pocketstack.core.errors import NotAcceptable, PreconditionFailed
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import headers

MEDIA = {"json": "application/json", "xml": "application/xml", "plain": "text/plain"}


def wanted_format(rq: ApiRequest) -> str:
    fmt = (rq.query.get("format") or "").lower()
    if fmt in MEDIA:
        return fmt
    if fmt in ("text/plain",):
        return "plain"
    accept = rq.headers.get("accept", "")
    best, best_q = "plain", -1.0
    if not accept.strip():
        return "plain"
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        for fmt_name, offer in (("plain", "text/plain"), ("json", "application/json"),
                                ("xml", "application/xml"), ("xml", "text/xml")):
            if media in (offer, offer.split("/")[0] + "/*", "*/*") and q > best_q and q > 0:
                best, best_q = fmt_name, q
    if best_q < 0:
        raise NotAcceptable("Not Acceptable")
    return best


def params(rq: ApiRequest, max_limit: int) -> dict[str, Any]:
    q = rq.query
    limit = q.get("limit")
    if limit is not None:
        if not limit.lstrip("-").isdigit() or int(limit) < 0:
            raise PreconditionFailed("Value of limit must be a positive integer", plain=True)
        if int(limit) > max_limit:
            raise PreconditionFailed(f"Maximum limit is {max_limit}", plain=True)
    out: dict[str, Any] = {"limit": max_limit if limit is None else int(limit),
                           "marker": q.get("marker", ""), "end_marker": q.get("end_marker", ""),
                           "prefix": q.get("prefix", ""), "delimiter": q.get("delimiter", ""),
                           "reverse": headers.true(q.get("reverse")), "path": q.get("path")}
    if len(out["delimiter"]) > 1:
        raise PreconditionFailed("Bad delimiter", plain=True)
    return out


def object_entry(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"subdir": item}
    entry = {"name": item["name"], "hash": item["etag"], "bytes": item["size"],
             "content_type": item["content_type"], "last_modified": iso(item["timestamp"])}
    if item["meta"].get("sys-symlink-target"):
        entry["symlink_path"] = "/v1/" + item["account"] + "/" + item["meta"]["sys-symlink-target"]
    if item["meta"].get("sys-slo"):
        entry["slo_etag"] = '"' + item["etag"] + '"'
    return entry


def container_entry(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"subdir": item}
    return {"name": item["name"], "count": item["object_count"], "bytes": item["bytes_used"],
            "last_modified": iso(item["created"])}


_seconds: dict[int, str] = {}


def iso(ts: float) -> str:
    """headers.iso, 5x faster for a long listing: the date part is cached per second; microseconds
    round half-even as datetime.fromtimestamp rounds them."""
    frac, whole = math.modf(ts)
    sec, us = int(whole), round(frac * 1e6)
    if us >= 1000000:
        sec, us = sec + 1, us - 1000000
    prefix = _seconds.get(sec)
    if prefix is None:
        if len(_seconds) > 4096:
            _seconds.clear()
        prefix = _seconds[sec] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{prefix}.{us:06d}"


def render(fmt: str, kind: str, owner: str, entries: list[dict[str, Any]]) -> tuple[bytes, str]:
    if fmt == "json":
        return json.dumps(entries).encode(), "application/json; charset=utf-8"
    if fmt == "xml":
        inner = "".join(_xml_entry("object" if kind == "container" else "container", e) for e in entries)
        doc = f'<?xml version="1.0" encoding="UTF-8"?>\n<{kind} name={quoteattr(owner)}>{inner}</{kind}>'
        return doc.encode(), "application/xml; charset=utf-8"
    text = "".join((e.get("name") or e.get("subdir")) + "\n" for e in entries)
    return text.encode(), "text/plain; charset=utf-8"


def _xml_entry(tag: str, entry: dict[str, Any]) -> str:
    if "subdir" in entry:
        return f'<subdir name={quoteattr(entry["subdir"])}><name>{escape(entry["subdir"])}</name></subdir>'
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in entry.items())
    return f"<{tag}>{fields}</{tag}>"
