"""Version discovery: / and /v1 (api-ref: baremetal, API versions; ironic/api/controllers/root.py,
version.py, v1/__init__.py)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v

# collections linked from /v1 and the version each appears in (v1/__init__.py VERSIONED_CONTROLLERS)
VERSIONED = [("portgroups", v.PORTGROUPS), ("conductors", v.CONDUCTORS), ("allocations", v.ALLOCATIONS),
             ("events", v.EVENTS), ("shards", v.SHARD),
             ("volume", v.VOLUME), ("deploy_templates", v.DEPLOY_TEMPLATES), ("runbooks", v.RUNBOOKS),
             ("inspection_rules", v.INSPECTION_RULES)]


def default_version(base: str) -> dict[str, Any]:
    return {"id": "v1", "links": [{"href": f"{base}/v1/", "rel": "self"}], "status": "CURRENT",
            "min_version": str(v.MIN), "version": str(v.MAX)}


def show_root(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    base = common.public_url(ctx, rq)
    return {"name": "OpenStack Ironic API",
            "description": "Ironic is an OpenStack project which enables the provision and management of "
                           "baremetal machines.",
            "default_version": default_version(base), "versions": [default_version(base)]}


def show_v1(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    base = common.public_url(ctx, rq)

    def controller(name: str) -> list[dict[str, str]]:
        return [{"href": f"{base}/v1/{name}/", "rel": "self"}, {"href": f"{base}/{name}/", "rel": "bookmark"}]

    body: dict[str, Any] = {
        "id": "v1",
        "links": [{"href": f"{base}/v1/", "rel": "self"},
                  {"href": "https://docs.openstack.org//ironic/latest/contributor//webapi.html",
                   "rel": "describedby", "type": "text/html"}],
        "media_types": {"base": "application/json", "type": "application/vnd.openstack.ironic.v1+json"},
        "chassis": controller("chassis"), "nodes": controller("nodes"), "ports": controller("ports"),
        "drivers": controller("drivers"), "version": default_version(base)}
    version = ctx.version or v.MIN
    for name, since in VERSIONED:
        if version >= since:
            body[name] = controller(name)
    return body


ROUTES = [
    route("GET", "/", show_root, policy=PUBLIC, auth=False),
    route("GET", "/v1", show_v1, policy=PUBLIC, auth=False),
]
