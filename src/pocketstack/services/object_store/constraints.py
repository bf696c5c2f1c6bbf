"""Swift's limits and the checks made on names and metadata (swift/common/constraints.py)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from pocketstack.core.errors import ApiError, BadRequest, LengthRequired, PayloadTooLarge, PreconditionFailed

MAX_FILE_SIZE = 5368709122
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
CONTAINER_LISTING_LIMIT = 10000
ACCOUNT_LISTING_LIMIT = 10000
MAX_ACCOUNT_NAME_LENGTH = 256
MAX_CONTAINER_NAME_LENGTH = 256
EXTRA_HEADER_COUNT = 0
RESELLER_PREFIX = "AUTH_"

LIMITS = {
    "max_file_size": MAX_FILE_SIZE, "max_meta_name_length": MAX_META_NAME_LENGTH,
    "max_meta_value_length": MAX_META_VALUE_LENGTH, "max_meta_count": MAX_META_COUNT,
    "max_meta_overall_size": MAX_META_OVERALL_SIZE, "max_header_size": MAX_HEADER_SIZE,
    "max_object_name_length": MAX_OBJECT_NAME_LENGTH, "container_listing_limit": CONTAINER_LISTING_LIMIT,
    "account_listing_limit": ACCOUNT_LISTING_LIMIT, "max_account_name_length": MAX_ACCOUNT_NAME_LENGTH,
    "max_container_name_length": MAX_CONTAINER_NAME_LENGTH, "extra_header_count": EXTRA_HEADER_COUNT,
    "valid_api_versions": ["v1", "v1.0"],
}


class PlainError(ApiError):
    """An error Swift answers with a short text/plain body."""


def bad(message: str) -> BadRequest:
    return BadRequest(message, plain=True)


def check_path_utf8(raw_path: bytes) -> None:
    """412 for a path that is not UTF-8 or holds a NUL (the proxy's check_utf8)."""
    try:
        text = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise PreconditionFailed("Invalid UTF8 or contains NULL", plain=True) from None
    if "\x00" in text:
        raise PreconditionFailed("Invalid UTF8 or contains NULL", plain=True)


def check_container_name(name: str) -> None:
    if len(name.encode()) > MAX_CONTAINER_NAME_LENGTH:
        raise bad(f"Container name length of {len(name)} longer than {MAX_CONTAINER_NAME_LENGTH}")
    if "/" in name:
        raise bad("Container name cannot contain slashes")


def check_object_name(name: str) -> None:
    if len(name.encode()) > MAX_OBJECT_NAME_LENGTH:
        raise bad(f"Object name length of {len(name.encode())} longer than {MAX_OBJECT_NAME_LENGTH}")


def check_metadata(headers: Mapping[str, str], target: str) -> None:
    """400 when the request's X-<Target>-Meta-* headers break Swift's limits."""
    prefix = f"x-{target}-meta-"
    count = size = 0
    for key, value in headers.items():
        if len(value) > MAX_HEADER_SIZE:
            raise bad(f"Header value too long: {key[:MAX_META_NAME_LENGTH]}")
        if not key.lower().startswith(prefix):
            continue
        name = key[len(prefix):]
        if not name:
            raise bad("Metadata name cannot be empty")
        if target != "object" and not (_utf8(name) and (not value or _utf8(value))):
            raise bad("Metadata must be valid UTF-8")
        count += 1
        size += len(name) + len(value)
        if len(name) > MAX_META_NAME_LENGTH:
            raise bad(f"Metadata name too long: {prefix}{name}")
        if len(value) > MAX_META_VALUE_LENGTH:
            raise bad(f"Metadata value longer than {MAX_META_VALUE_LENGTH}: {prefix}{name}")
        if count > MAX_META_COUNT:
            raise bad(f"Too many metadata items; max {MAX_META_COUNT}")
        if size > MAX_META_OVERALL_SIZE:
            raise bad(f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")


def _utf8(header_value: str) -> bool:
    """Swift's check_utf8 on a header as the server read it (latin-1 text of the wire bytes)."""
    try:
        text = header_value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return "\x00" not in text


def check_stored_metadata(meta: Mapping[str, str], target: str) -> None:
    """The account/container servers' check of the merged metadata."""
    prefix = f"x-{target}-meta-"
    user = {k[len(prefix):]: v for k, v in meta.items() if k.startswith(prefix)}
    if len(user) > MAX_META_COUNT:
        raise bad(f"Too many metadata items; max {MAX_META_COUNT}")
    if sum(len(k) + len(v) for k, v in user.items()) > MAX_META_OVERALL_SIZE:
        raise bad(f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")


def content_length(headers: Mapping[str, str]) -> int | None:
    """The declared length; None for a chunked upload; 411 when neither is given."""
    length = headers.get("content-length")
    if length is None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return None
        raise LengthRequired("Missing Content-Length header.", plain=True)
    if not length.isdigit():
        raise bad("Invalid Content-Length")
    if int(length) > MAX_FILE_SIZE:
        raise PayloadTooLarge("Your request is too large.")
    return int(length)


def delete_at(headers: Mapping[str, str], now: float | None = None) -> int | None:
    now = time.time() if now is None else now
    if "x-delete-after" in headers:
        value = headers["x-delete-after"]
        if not value.lstrip("-").isdigit():
            raise bad("Non-integer X-Delete-After")
        if int(value) < 0:
            raise bad("X-Delete-After in past")
        return int(now + int(value))
    if "x-delete-at" in headers:
        value = headers["x-delete-at"]
        try:
            at = int(float(value))
        except ValueError:
            raise bad("Non-integer X-Delete-At") from None
        if at <= now:
            raise bad("X-Delete-At in past")
        return at
    return None
