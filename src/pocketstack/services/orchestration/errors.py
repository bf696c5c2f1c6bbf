"""Heat's error body (heat/api/middleware/fault.py): {"explanation", "code", "error": {"message",
"traceback", "type"}, "title"}; keystonemiddleware answers 401 in keystone's shape."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest

# webob's titles and explanations, which Heat's fault wrapper copies into the body
WEBOB = {
    400: ("Bad Request", "The server could not comply with the request since it is either malformed "
                         "or otherwise incorrect.", "HTTPBadRequest"),
    403: ("Forbidden", "Access was denied to this resource.", "Forbidden"),
    404: ("Not Found", "The resource could not be found.", "HTTPNotFound"),
    405: ("Method Not Allowed", "The method is not allowed for this resource.", "HTTPMethodNotAllowed"),
    406: ("Not Acceptable", "The resource could not be generated that was acceptable to your browser.",
          "HTTPNotAcceptable"),
    409: ("Conflict", "There was a conflict when trying to complete your request.", "HTTPConflict"),
    413: ("Request Entity Too Large", "The body of your request was too large for this server.",
          "RequestLimitExceeded"),
    415: ("Unsupported Media Type", "The request media type is not supported by this server.",
          "HTTPUnsupportedMediaType"),
    500: ("Internal Server Error", "The server has either erred or is incapable of performing the requested "
                                   "operation.", "HTTPInternalServerError"),
    501: ("Not Implemented", "The server has either erred or is incapable of performing the requested "
                             "operation.", "NotSupported"),
    503: ("Service Unavailable", "The server is currently unavailable. Please try again at a later time.",
          "HTTPServiceUnavailable"),
}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    title, explanation, default_type = WEBOB.get(err.status, WEBOB[500])
    message = err.message
    if err.status == 403 and "rule" in err.extra:
        message = f"You are not authorized to use {err.extra['rule']}."
    kind = err.kind if err.kind and err.kind != "malformed_json" else default_type
    return json_response(err.status, {"explanation": explanation, "code": err.status, "title": title,
                                      "error": {"message": message, "traceback": None, "type": kind}})
