"""Placement's error body: the API-WG format {"errors": [{status, title, detail, code, request_id}]}
(placement/util.py json_error_formatter); 'code' from 1.23 (placement/errors.py); keystonemiddleware answers 401."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest
from pocketstack.services.placement import versions as v

DEFAULT = "placement.undefined_code"
INVENTORY_INUSE = "placement.inventory.inuse"
CONCURRENT_UPDATE = "placement.concurrent_update"
DUPLICATE_NAME = "placement.duplicate_name"
PROVIDER_IN_USE = "placement.resource_provider.inuse"
PROVIDER_CANNOT_DELETE_PARENT = "placement.resource_provider.cannot_delete_parent"
RESOURCE_PROVIDER_NOT_FOUND = "placement.resource_provider.not_found"
ILLEGAL_DUPLICATE_QUERYPARAM = "placement.query.duplicate_key"
QUERYPARAM_BAD_VALUE = "placement.query.bad_value"
QUERYPARAM_MISSING_VALUE = "placement.query.missing_value"

# webob's explanation line, which starts every detail
EXPLANATION = {
    400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: "The method is not allowed for this resource.",
    406: "The resource could not be generated that was acceptable to your user agent.",
    409: "There was a conflict when trying to complete your request.",
    415: "The request media type is not supported by this server.",
    500: "The server has either erred or is incapable of performing the requested operation.",
}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    message = err.message
    if isinstance(err, ValidationFailed):
        message = f"JSON does not validate: {err.detail or err.message}"
    elif err.kind == "malformed_json":
        message = "Malformed JSON: Expecting value: line 1 column 1 (char 0)"
    elif err.status == 403 and "rule" in err.extra:
        message = f"Policy does not allow {err.extra['rule']} to be performed."
    elif err.status == 405 and err.extra.get("allow") is None and message.startswith("The method"):
        message = ""
    explanation = EXPLANATION.get(err.status, err.title)
    detail = f"{explanation}\n\n {message}  " if message and message != explanation else f"{explanation}\n\n   "
    body: dict = {"status": err.status, "title": err.title, "detail": detail}
    version = _version(rq)
    if err.status == 406 and "max" in err.extra:
        requested = err.message.split()[1] if err.message.startswith("Version ") else ""
        body["detail"] = f"{explanation}\n\n Unacceptable version header: {requested}  "
        body.update(max_version=str(v.MAX), min_version=str(v.MIN))
    elif version is not None and version >= v.ERROR_CODES:
        body["code"] = err.extra.get("code", DEFAULT)
    request_id = getattr(rq.raw.state, "request_id", None) if rq is not None else None
    if request_id:
        body["request_id"] = request_id
    return json_response(err.status, {"errors": [body]})


def _version(rq: ApiRequest | None) -> v.V | None:
    if rq is None:
        return None
    try:
        return v.MICROVERSIONS.negotiate(dict(rq.headers))
    except ApiError:
        return None
