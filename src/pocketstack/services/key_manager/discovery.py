"""Version discovery: / and /v1 (api-ref: key-manager, Versions; barbican/api/controllers/versions.py). With no microversion asked for (1.0) the documents are
the old ones, `{"versions": {"values": [...]}}` with status 300; a client that asks for a microversion
gets min_version and max_version."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import versions as v

UPDATED = "2025-09-18T00:00:00Z"


def _version(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    links = [{"rel": "self", "href": f"{ctx.base_url}{rq.client_prefix}/v1/"},
             {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}]
    if ctx.version is not None and ctx.version > v.MIN:
        return {"id": "v1", "status": "CURRENT", "min_version": str(v.MIN), "max_version": str(v.MAX),
                "links": links}
    # quirk: upstream's `version['updated']: cls.last_updated` is an annotation, not an assignment
    return {"id": "v1", "status": "stable", "links": links,
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]}


def show_versions(ctx: Context, rq: ApiRequest) -> Response:
    if "build" in rq.query:
        return json_response(300, {"build": "21.0.0"})
    if ctx.version is not None and ctx.version > v.MIN:
        return json_response(300, {"versions": [_version(ctx, rq)]})
    return json_response(300, {"versions": {"values": [_version(ctx, rq)]}})


def show_v1(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"version": _version(ctx, rq)}


ROUTES = [
    route("GET", "/", show_versions, policy=PUBLIC, auth=False),
    route("GET", "/v1", show_v1, policy=PUBLIC, auth=False),
]
