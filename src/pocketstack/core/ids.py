"""Identifiers: the only place ids are made."""

from __future__ import annotations

import secrets
import uuid


def new_id() -> str:
    """A 32-hex-digit id, as keystone makes them (uuid4().hex)."""
    return uuid.uuid4().hex


def new_uuid() -> str:
    """A dashed UUID, as nova, neutron, cinder and glance make them."""
    return str(uuid.uuid4())


def new_request_id() -> str:
    return "req-" + str(uuid.uuid4())


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
