"""Header helpers: transaction ids, Swift timestamps, HTTP dates and metadata headers."""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from collections.abc import Mapping
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

# Headers, besides X-<Target>-Meta-*, that are stored with a container or object.
CONTAINER_SYSMETA = (
    "x-container-read", "x-container-write", "x-versions-location", "x-history-location",
    "x-container-sync-to", "x-container-sync-key", "x-storage-policy")
OBJECT_SYSMETA = ("content-disposition", "content-encoding", "x-object-manifest", "x-delete-at",
                  "content-language", "cache-control", "expires")


def trans_id() -> str:
    return f"tx{secrets.token_hex(11)[:21]}-{int(time.time()):010x}"


def now() -> float:
    return round(time.time(), 5)


def x_timestamp(ts: float) -> str:
    return f"{ts:016.5f}"


def http_date(ts: float) -> str:
    return formatdate(math.ceil(ts), usegmt=True)


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on", "t", "y")


def merge_meta(stored: Mapping[str, Any], request_headers: Mapping[str, str], target: str,
               sysmeta: tuple[str, ...] = ()) -> dict[str, Any]:
    """Apply X-<Target>-Meta-* (an empty value removes), X-Remove-<Target>-Meta-* and system headers."""
    meta = dict(stored)
    prefix, remove = f"x-{target}-meta-", f"x-remove-{target}-meta-"
    for key, value in request_headers.items():
        key = key.lower()
        if key.startswith(prefix):
            if target == "object":
                meta[key] = value     # quirk: objects keep empty metadata values
            else:
                _set(meta, key, value)
        elif key.startswith(remove):
            meta.pop(prefix + key[len(remove):], None)
        elif key in sysmeta:
            _set(meta, key, value)
        elif key.startswith("x-remove-") and "x-" + key[len("x-remove-"):] in sysmeta:
            meta.pop("x-" + key[len("x-remove-"):], None)
    return meta


def _set(meta: dict[str, Any], key: str, value: str) -> None:
    if value == "":
        meta.pop(key, None)
    else:
        meta[key] = value


def meta_headers(meta: Mapping[str, Any]) -> dict[str, str]:
    return {_title(k): str(v) for k, v in meta.items() if not k.startswith("sys-")}


def _title(key: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in key.split("-"))
