"""Keystone's error body: {"error": {"code", "title", "message"}} (keystone server/flask/application.py)."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    body = {"error": {"code": err.status, "title": err.title, "message": err.message}}
    return json_response(err.status, body)
