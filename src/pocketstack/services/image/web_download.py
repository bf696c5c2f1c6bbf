"""The web-download import method: fetch the image from a URL into the staging area.

As Glance's import filtering (`[import_filtering_opts]`, set here under `image.import_filtering`):
allowed schemes http and https, allowed ports 80 and 443, any host that resolves; a URI that does
not pass is refused at once (400). This cloud usually has no outside network, so an outside host
does not resolve and is refused like that; a URL that passes and then cannot be fetched fails the
import task, as in Glance. Offered only when `image.import_methods` lists it.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

from pocketstack.core import blobs
from pocketstack.core.errors import BadRequest
from pocketstack.services.image import stores

DEFAULTS = {"allowed_schemes": ["http", "https"], "disallowed_schemes": [], "allowed_hosts": [],
            "disallowed_hosts": [], "allowed_ports": [80, 443], "disallowed_ports": []}
_filtering: dict[str, Any] = dict(DEFAULTS)


def configure(settings: Any) -> None:
    given = (settings.option("image.import_filtering") if settings is not None else None) or {}
    _filtering.clear()
    _filtering.update({k: list(given.get(k, v)) for k, v in DEFAULTS.items()})


def _passes(value: Any, allowed: list[Any], disallowed: list[Any]) -> bool:
    if allowed:
        return value in allowed
    return value not in disallowed


def check_uri(uri: Any) -> None:
    refused = BadRequest(f"URI for web-download does not pass filtering: {uri}")
    if not isinstance(uri, str) or not uri:
        raise refused
    parsed = urlparse(uri)
    try:
        port = parsed.port
    except ValueError:
        raise refused from None
    host = (parsed.hostname or "").lower().rstrip(".")
    if not parsed.scheme or not _passes(parsed.scheme, _filtering["allowed_schemes"],
                                        _filtering["disallowed_schemes"]):
        raise refused
    if not host or not _passes(host, _filtering["allowed_hosts"], _filtering["disallowed_hosts"]):
        raise refused
    if port and not _passes(port, _filtering["allowed_ports"], _filtering["disallowed_ports"]):
        raise refused
    try:
        socket.getaddrinfo(host, port or (443 if parsed.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except OSError:
        raise refused from None


def fetch(uri: str, image_id: str) -> str | None:
    """Stream the URL into the image's staging key; the error, if it could not."""
    import httpx          # here: with its command-line extras, a tenth of a second of every start
    try:
        with httpx.stream("GET", uri, timeout=60, follow_redirects=False) as r:
            if r.status_code != 200:
                return f"Failed to download {uri}: HTTP {r.status_code}"
            blobs.store().write_bytes(stores.staging_key(image_id), r.iter_bytes(blobs.CHUNK))
    except (httpx.HTTPError, OSError) as err:
        return f"Failed to download {uri}: {err}"
    return None
