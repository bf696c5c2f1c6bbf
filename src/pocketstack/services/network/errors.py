"""Neutron's error body: {"NeutronError": {"type": <exception class>, "message": ..., "detail": ""}}
(neutron/api/api_common.py convert_exception_to_http_exc; webob names for plain HTTP errors)."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest

HTTP_TYPES = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden", 404: "HTTPNotFound",
              405: "HTTPMethodNotAllowed", 409: "HTTPConflict", 412: "HTTPPreconditionFailed",
              413: "HTTPRequestEntityTooLarge", 500: "HTTPInternalServerError", 501: "HTTPNotImplemented",
              503: "HTTPServiceUnavailable"}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    kind, message = err.kind, err.message
    if err.status == 403 and "rule" in err.extra:
        kind, message = "PolicyNotAuthorized", f"(rule:{err.extra['rule']}) is disallowed by policy"
    if kind is None or kind.islower() or "_" in kind:
        kind = HTTP_TYPES.get(err.status, "NeutronException")
    return json_response(err.status, {"NeutronError": {"type": kind, "message": message, "detail": ""}})
