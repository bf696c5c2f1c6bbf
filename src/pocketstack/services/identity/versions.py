"""Identity version discovery at `/`, `/identity`, `/v3` (api-ref: identity, Version discovery)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route

CURRENT = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"
MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


# --- views -------------------------------------------------------------------
def render_version(href: str) -> dict[str, Any]:
    return {"id": CURRENT, "status": "stable", "updated": UPDATED,
            "links": [{"rel": "self", "href": href}],
            "media-types": [{"base": "application/json", "type": MEDIA_TYPE}]}


def _v3_href(ctx: Context, rq: ApiRequest) -> str:
    return f"{ctx.base_url}{rq.service_prefix}/v3/"


# --- routes ------------------------------------------------------------------
def list_versions(ctx: Context, rq: ApiRequest) -> Any:
    href = _v3_href(ctx, rq)
    return json_response(300, {"versions": {"values": [render_version(href)]}}, {"Location": href})


def show_version(ctx: Context, rq: ApiRequest) -> Any:
    return {"version": render_version(_v3_href(ctx, rq))}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v3", show_version, policy=PUBLIC, auth=False),
]
