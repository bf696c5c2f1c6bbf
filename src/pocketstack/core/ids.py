"""Identifiers: the only place ids are made."""

from __future__ import annotations

import re
import secrets
import uuid

# oslo.middleware request_id.ID_FORMAT: what a global request id must look like
REQUEST_ID_FORMAT = re.compile(r"req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")


def new_id() -> str:
    """A 32-hex-digit id, as keystone makes them (uuid4().hex)."""
    return uuid.uuid4().hex


def new_uuid() -> str:
    """A dashed UUID, as nova, neutron, cinder and glance make them."""
    return str(uuid.uuid4())


def new_request_id() -> str:
    return "req-" + str(uuid.uuid4())


def global_request_id(inbound: str | None) -> str | None:
    """oslo.middleware's request_id middleware: an inbound X-OpenStack-Request-ID is taken as the
    global request id only if it is `req-` + a lowercase dashed uuid; anything else is dropped (the
    local request id is always a new one, whatever came in)."""
    if inbound and REQUEST_ID_FORMAT.fullmatch(inbound):
        return inbound
    return None


def is_uuid(text: object) -> bool:
    """A UUID in any of the spellings uuid.UUID reads (dashed, bare hex, braced, urn:uuid:)."""
    try:
        uuid.UUID(text)  # type: ignore[arg-type]
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
