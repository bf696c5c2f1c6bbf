"""TempURL: pre-signed object URLs (swift/common/middleware/tempurl.py).

Keys: X-Account-Meta-Temp-URL-Key(-2) and X-Container-Meta-Temp-URL-Key(-2). The HMAC body is
"[ip=<range>\\n]<METHOD>\\n<expires>\\n[prefix:]<path>"; the path may include this service's
URL prefix (what clients see) or start at /v1 (what Swift sees behind its proxy).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import ipaddress
import time
from typing import Any

from pocketstack.core.errors import Unauthorized
from pocketstack.core.routing import ApiRequest

ALLOWED_DIGESTS = ("sha1", "sha256", "sha512")
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
INFO = {"methods": list(METHODS), "incoming_remove_headers": ["x-timestamp", "x-open-expired"],
        "incoming_allow_headers": [], "outgoing_remove_headers": ["x-object-meta-*"],
        "outgoing_allow_headers": ["x-object-meta-public-*"], "allowed_digests": list(ALLOWED_DIGESTS)}
KEY_HEADERS = ("x-account-meta-temp-url-key", "x-account-meta-temp-url-key-2",
               "x-container-meta-temp-url-key", "x-container-meta-temp-url-key-2")


def invalid() -> Unauthorized:
    return Unauthorized("Temp URL invalid", plain=True)


def expires_at(value: str | None) -> int:
    if not value:
        return 0
    try:
        at = int(value)
    except ValueError:
        try:
            at = calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return 0
    return at if at >= time.time() else 0


def digest(sig: str) -> tuple[str, str]:
    if ":" in sig:
        algo, value = sig.split(":", 1)
        if ("-" in value or "_" in value) and not ("+" in value or "/" in value):
            value = value.replace("-", "+").replace("_", "/")
        return algo, binascii.hexlify(base64.b64decode(value + "==")).decode()
    binascii.unhexlify(sig)
    algo = {40: "sha1", 64: "sha256", 128: "sha512"}.get(len(sig))
    if algo is None:
        raise ValueError("bad digest length")
    return algo, sig


def keys(account_meta: dict[str, Any], container_meta: dict[str, Any]) -> list[str]:
    meta = {**account_meta, **container_meta}
    return [meta[k] for k in KEY_HEADERS if meta.get(k)]


def validate(rq: ApiRequest, account_meta: dict[str, Any], container_meta: dict[str, Any]) -> None:
    """401 unless the request carries a valid, unexpired signature for its method and path."""
    q = rq.query
    sig, expires = q.get("temp_url_sig"), expires_at(q.get("temp_url_expires"))
    if not sig or not expires or rq.method not in METHODS:
        raise invalid()
    try:
        algo, given = digest(sig)
    except (ValueError, binascii.Error):
        raise invalid() from None
    if algo not in ALLOWED_DIGESTS:
        raise invalid()
    path, svc = rq.path, rq.service_prefix
    paths = [path, path[len(svc):]] if svc and path.startswith(svc) else [path]
    pfx = q.get("temp_url_prefix")
    if pfx is not None:
        obj = rq.params.get("obj", "")
        if not obj.startswith(pfx):
            raise invalid()
        paths = ["prefix:" + p[:len(p) - len(obj)] + pfx for p in paths]
    ip_range = q.get("temp_url_ip_range")
    if ip_range is not None and not _ip_allowed(ip_range, rq.raw.client.host if rq.raw.client else ""):
        raise invalid()
    methods = [rq.method] + (["GET", "PUT", "POST"] if rq.method == "HEAD" else [])
    for key in keys(account_meta, container_meta):
        for method in methods:
            for p in paths:
                body = f"{method}\n{q.get('temp_url_expires')}\n{p}"
                if ip_range is not None:
                    body = f"ip={ip_range}\n{body}"
                mac = hmac.new(key.encode(), body.encode(), getattr(hashlib, algo)).hexdigest()
                if hmac.compare_digest(mac, given):
                    return
    raise invalid()


def _ip_allowed(ip_range: str, client: str) -> bool:
    try:
        return ipaddress.ip_address(client) in ipaddress.ip_network(ip_range, strict=False)
    except ValueError:
        return False


def disposition(rq: ApiRequest, name: str) -> str | None:
    """Content-Disposition for a TempURL GET: attachment by default, inline on request."""
    q = rq.query
    if "temp_url_sig" not in q or rq.method not in ("GET", "HEAD"):
        return None
    filename = q.get("filename") or name.rsplit("/", 1)[-1]
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    if "inline" in q:
        return "inline" + (f'; filename="{quoted}"' if q.get("filename") else "")
    return f'attachment; filename="{quoted}"'
