"""Nova's error body: {"<faultName>": {"code": <status>, "message": ...}} (nova/api/openstack/wsgi.py Fault);
an unauthenticated call is answered by keystonemiddleware in keystone's format."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import PlainTextResponse, Response

from pocketstack.core.errors import ApiError, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest

FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
               405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
               429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable"}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if rq is not None and rq.path.startswith(rq.service_prefix + "/metadata"):
        return render_plain(err)
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    message = err.message
    if err.status == 403 and "rule" in err.extra:
        message = f"Policy doesn't allow {err.extra['rule']} to be performed."
    if isinstance(err, ValidationFailed) and not message.startswith("Invalid input"):
        message = f"Invalid input for field/attribute. Value: {message}"
    name = FAULT_NAMES.get(err.status, "computeFault")
    return json_response(err.status, {name: {"code": err.status, "message": message}})


def render_plain(err: ApiError) -> Response:
    """The metadata service answers as webob does (nova/api/metadata/handler.py raises webob.exc): plain text."""
    phrase = HTTPStatus(err.status).phrase if err.status in HTTPStatus._value2member_map_ else ""
    return PlainTextResponse(f"{err.status} {phrase}\n\n{err.message}\n\n   ", status_code=err.status)
