"""Version discovery and build info: /heat-api/ and /v1/{tenant_id}/build_info (api-ref:
orchestration, API versions, Build info; heat/api/versions.py, v1/build_info.py)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack import __version__
from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common


def list_versions(ctx: Context, rq: ApiRequest) -> Response:
    """quirk: Heat answers the version list with 300 Multiple Choices."""
    return json_response(300, {"versions": [{"status": "CURRENT", "id": "v1.0", "links": [
        {"href": f"{ctx.base_url}{rq.service_prefix}/v1/", "rel": "self"}]}]})


def show_build_info(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    revision = f"pocketstack-{__version__}"
    return {"api": {"revision": revision}, "engine": {"revision": revision}}


def list_services(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """The engines this Heat runs: the job workers of this process."""
    import os
    import socket
    from pocketstack.core.clock import utcnow
    now = common.iso(utcnow())
    return {"services": [{"id": "00000000-0000-0000-0000-000000000001", "binary": "heat-engine",
                          "engine_id": f"{socket.gethostname()}:{os.getpid()}", "host": socket.gethostname(),
                          "hostname": socket.gethostname(), "topic": "engine", "report_interval": 60,
                          "status": "up", "created_at": now, "updated_at": now, "deleted_at": None}]}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v1/{tenant_id}/build_info", show_build_info, policy="build_info:build_info", target=common.target),
    route("GET", "/v1/{tenant_id}/services", list_services, policy="service:index", target=common.target),
]
