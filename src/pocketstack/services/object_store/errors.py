"""Swift's error bodies: webob's short HTML page, or a text/plain explanation; X-Trans-Id always."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import headers

EXPLANATIONS = {
    401: "This server could not verify that you are authorized to access the document you requested.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
    409: "There was a conflict when trying to complete your request.",
    411: "Length Required",
    412: "A precondition for this request was not met.",
    413: "The body of your request was too large for this server.",
    416: "The Range requested is not available.",
    422: "Unable to process the contained instructions",
    500: "An unexpected error prevented the server from fulfilling your request.",
}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    trans_id = getattr(rq, "trans_id", None) or headers.trans_id()
    extra = {"X-Trans-Id": trans_id, "X-Openstack-Request-Id": trans_id}
    if err.status == 401 and "WWW-Authenticate" not in err.headers:
        extra["WWW-Authenticate"] = "Keystone uri='unknown'"
    if err.extra.get("plain"):
        body, media = err.message.encode(), "text/plain"
    else:
        text = err.message if err.message not in (err.title, None) and err.status != 404 else \
            EXPLANATIONS.get(err.status, err.title)
        body, media = f"<html><h1>{err.title}</h1><p>{text}</p></html>".encode(), "text/html"
    if rq is not None and rq.method == "HEAD":
        body = b""
    return Response(body, status_code=err.status, media_type=media, headers=extra)
