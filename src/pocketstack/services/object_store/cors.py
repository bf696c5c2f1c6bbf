"""CORS as Swift's proxy does it (swift/proxy/controllers/base.py: OPTIONS, cors_validation).

A container's X-Container-Meta-Access-Control-Allow-Origin (space-separated origins, or *),
-Max-Age and -Expose-Headers drive it. OPTIONS with an Origin is a preflight: 200 with the
Access-Control-* headers when the origin and Access-Control-Request-Method are allowed, else 401;
without an Origin it is a plain 200 with Allow. Actual requests carrying an Origin get
Access-Control-Allow-Origin and -Expose-Headers added; strict_cors_mode (on) leaves responses to
origins the container does not allow untouched.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import errors, headers, state

STRICT_CORS_MODE = True
OPERATOR_ALLOW_ORIGIN: set[str] = set()
OPERATOR_EXPOSE_HEADERS: set[str] = set()
SIMPLE_EXPOSE = ("cache-control", "content-language", "content-type", "expires", "last-modified", "pragma",
                 "etag", "x-timestamp", "x-trans-id", "x-openstack-request-id")
ACCOUNT_METHODS = ("GET", "HEAD", "OPTIONS", "POST")      # no PUT/DELETE: allow_account_management is off
CONTAINER_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT")
OBJECT_METHODS = ("COPY", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT")


def cors_info(account: str, container: str | None) -> dict[str, str]:
    if not container:
        return {}
    with db.reader() as conn:
        row = state.get_container(conn, account, container)
    meta = (row or {}).get("meta", {}) if row else {}
    prefix = "x-container-meta-access-control-"
    return {k: str(meta[prefix + h]) for k, h in (("allow_origin", "allow-origin"), ("max_age", "max-age"),
                                                   ("expose_headers", "expose-headers")) if prefix + h in meta}


def origin_allowed(info: dict[str, str], origin: str) -> bool:
    allowed = {a.strip() for a in info.get("allow_origin", "").split(" ") if a.strip()} | OPERATOR_ALLOW_ORIGIN
    return origin in allowed or "*" in allowed


def _vary(hdrs: Any, value: str) -> None:
    hdrs["Vary"] = f"{hdrs['Vary']}, {value}" if "vary" in hdrs else value


def decorate(rq: ApiRequest, resp: Response) -> Response:
    """Add CORS headers to an actual (non-preflight) response when the request has an Origin."""
    origin = rq.headers.get("origin")
    if not origin:
        return resp
    info = cors_info(rq.params.get("account", ""), rq.params.get("container"))
    if STRICT_CORS_MODE and not origin_allowed(info, origin):
        return resp
    hdrs = resp.headers
    if "access-control-expose-headers" not in hdrs:
        expose = set(SIMPLE_EXPOSE) | OPERATOR_EXPOSE_HEADERS
        expose |= {k.lower() for k in hdrs.keys() if k.lower().startswith(("x-container-meta", "x-object-meta"))}
        expose |= {h.strip().lower() for h in info.get("expose_headers", "").split(" ") if h.strip()}
        hdrs["Access-Control-Expose-Headers"] = ", ".join(sorted(expose))
    if "access-control-allow-origin" not in hdrs:
        if info.get("allow_origin", "").strip() == "*":
            hdrs["Access-Control-Allow-Origin"] = "*"
        else:
            hdrs["Access-Control-Allow-Origin"] = origin
            _vary(hdrs, "Origin")
    return resp


def error_response(err: ApiError, rq: ApiRequest) -> Response:
    """An error rendered here, so it can carry the CORS headers as Swift's do."""
    resp = errors.render(err, rq)
    resp.headers.update(err.headers)
    return resp


def preflight(ctx: Context, rq: ApiRequest) -> Response:
    """OPTIONS on an account, container or object path."""
    trans_id = headers.trans_id()
    methods = OBJECT_METHODS if rq.params.get("obj") else CONTAINER_METHODS if rq.params.get("container") \
        else ACCOUNT_METHODS
    hdrs: dict[str, str] = {"Allow": ", ".join(methods), "X-Trans-Id": trans_id, "X-Openstack-Request-Id": trans_id}
    origin = rq.headers.get("origin")
    if not origin or not rq.params.get("container"):
        return Response(b"", status_code=200, headers={**hdrs, "Content-Length": "0"}, media_type="text/html")
    info = cors_info(rq.params.get("account", ""), rq.params["container"])
    if not origin_allowed(info, origin) or rq.headers.get("access-control-request-method") not in methods:
        return Response(b"", status_code=401, headers={**hdrs, "Content-Length": "0"}, media_type="text/html")
    if info.get("allow_origin", "").strip() == "*":
        hdrs["Access-Control-Allow-Origin"] = "*"
    else:
        hdrs["Access-Control-Allow-Origin"] = origin
        hdrs["Vary"] = "Origin"
    if info.get("max_age") is not None:
        hdrs["Access-Control-Max-Age"] = info["max_age"]
    hdrs["Access-Control-Allow-Methods"] = ", ".join(methods)
    asked = [h.strip() for h in (rq.headers.get("access-control-request-headers") or "").split(",") if h.strip()]
    if asked:
        hdrs["Access-Control-Allow-Headers"] = ", ".join(dict.fromkeys(asked))
        hdrs["Vary"] = hdrs["Vary"] + ", Access-Control-Request-Headers" if "Vary" in hdrs \
            else "Access-Control-Request-Headers"
    return Response(b"", status_code=200, headers={**hdrs, "Content-Length": "0"}, media_type="text/html")
