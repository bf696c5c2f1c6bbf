"""The control API's error body, keystone's: {"error": {"code", "title", "message"}}."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    return json_response(err.status, {"error": {"code": err.status, "title": err.title, "message": err.message}})
