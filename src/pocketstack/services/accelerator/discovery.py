"""Version discovery: / and /v2 (api-ref: accelerator, API versions; cyborg/api/controllers/root.py,
v2/__init__.py)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.accelerator import common
from pocketstack.services.accelerator import versions as v


def _version(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"id": "v2", "status": "CURRENT", "max_version": str(v.MAX), "min_version": str(v.MIN),
            "links": [{"href": f"{common.public_url(ctx, rq)}/v2", "rel": "self"}]}


def show_root(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"name": "OpenStack Cyborg API",
            "description": "Cyborg is the OpenStack project for lifecycle management of hardware accelerators, "
                           "such as GPUs,FPGAs, AI chips, security accelerators, etc.",
            "versions": [_version(ctx, rq)], "default_version": _version(ctx, rq)}


def show_v2(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"id": "v2.0", "status": "CURRENT", "max_version": str(v.MAX), "min_version": str(v.MIN),
            "links": [{"href": f"{common.public_url(ctx, rq)}/v2/", "rel": "self"}]}


ROUTES = [
    route("GET", "/", show_root, policy=PUBLIC, auth=False),
    route("GET", "/v2", show_v2, policy=PUBLIC, auth=False),
]
