"""Secret payloads: content types and encodings as Barbican normalizes them before encryption and
denormalizes them after (barbican/plugin/util/mime_types.py, plugin/util/translations.py)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pocketstack.core.errors import ApiError, BadRequest, NotAcceptable, PayloadTooLarge
from pocketstack.services.key_manager import crypto

PLAIN_TEXT = ("text/plain", "text/plain;charset=utf-8", "text/plain; charset=utf-8")
BINARY = ("application/octet-stream", "application/pkcs8")
SUPPORTED = [*PLAIN_TEXT, *BINARY]
INTERNAL = {"text/plain": "text/plain", "text/plain;charset=utf-8": "text/plain",
            "text/plain; charset=utf-8": "text/plain", "application/octet-stream": "application/octet-stream",
            "application/pkcs8": "application/pkcs8", "application/aes": "application/aes"}
ENCODINGS: dict[str, list[str] | None] = {"text/plain": None, "application/octet-stream": ["base64", "binary"],
                                          "application/pkcs8": ["base64", "binary"], "application/aes": None}
MAX_SECRET_BYTES = 20000                   # barbican.conf max_allowed_secret_in_bytes


def normalize(mime: str) -> str:
    """mime_types.normalize_content_type."""
    parts = [p.strip() for p in mime.split(";")]
    if len(parts) > 1:
        if "=" not in parts[1].lower():
            return mime
        if parts[1].lower().split("=")[1].strip() not in ("utf-8",):
            return mime
    return INTERNAL.get(parts[0].lower(), mime)


def supported(mime: str | None) -> bool:
    return mime is not None and normalize(mime) in SUPPORTED


def encodings_for(mime: str) -> list[str] | None:
    return ENCODINGS[INTERNAL[normalize(mime)]]


def too_big(payload: str | bytes) -> bool:
    return len(payload.encode() if isinstance(payload, str) else payload) > MAX_SECRET_BYTES


class TooLarge(PayloadTooLarge):
    """exception.LimitExceeded."""

    def __init__(self, message: str = "Provided information too large to process") -> None:
        super().__init__(message)


def to_bytes(payload: str | bytes, content_type: str, encoding: str | None) -> tuple[bytes, str]:
    """(the bytes to encrypt, the content type kept with them)."""
    ctype = INTERNAL.get(normalize(content_type), normalize(content_type))
    if isinstance(payload, str):
        if ctype in BINARY and encoding == "base64":
            try:
                return base64.b64decode(payload, validate=False), ctype
            except (binascii.Error, ValueError):
                raise BadRequest("Problem decoding payload") from None
        return payload.encode("utf-8"), ctype
    if ctype in BINARY and encoding == "base64":
        try:
            return base64.b64decode(payload), ctype
        except (binascii.Error, ValueError):
            raise BadRequest("Problem decoding payload") from None
    return payload, ctype


def seal(project_id: str, secret_id: str, data: bytes) -> bytes:
    return crypto.encrypt(project_id, secret_id, data)


def reveal(row: Any, accept: str, operation: str) -> tuple[bytes, str]:
    """The payload for an Accept header (translations.denormalize_after_decryption)."""
    if not supported(accept):
        raise NotAcceptable(f"{operation} issue seen - Wrong payload content-type.")
    data = crypto.decrypt(row["project_id"], row["id"], row["encrypted"])
    if normalize(accept) == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAcceptable(f"{operation} issue seen - Wrong payload content-type.") from None
    return data, accept


def describe(operation: str, err: ApiError) -> ApiError:
    err.message = f"{operation} issue seen - {err.message}."
    return err
