"""The version document at the root: GET / (api-ref: placement, API Versions; placement/handlers/root.py)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import common
from pocketstack.services.placement import versions as v


def home(ctx: Context, rq: ApiRequest) -> Any:
    body = {"versions": [{"id": f"v{v.MIN}", "max_version": str(v.MAX), "min_version": str(v.MIN),
                          "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}]}
    return common.answer(ctx, body)


ROUTES = [route("GET", "/", home, policy=PUBLIC, auth=False)]
