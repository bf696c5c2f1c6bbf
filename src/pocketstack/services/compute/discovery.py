"""Version discovery: /compute/ and /compute/v2.1/ (api-ref: compute, API Versions)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute.versions import MAX, MIN


def _v21(base: str) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", "version": str(MAX), "min_version": str(MIN),
            "updated": "2013-07-23T11:33:21Z", "links": [{"rel": "self", "href": f"{base}/v2.1/"}]}


def _v20(base: str) -> dict[str, Any]:
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
            "updated": "2011-01-21T11:33:21Z", "links": [{"rel": "self", "href": f"{base}/v2/"}]}


def list_versions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    base = f"{ctx.base_url}{rq.service_prefix}"
    return {"versions": [_v20(base), _v21(base)]}


def show_version(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    base = f"{ctx.base_url}{rq.service_prefix}"
    version = _v21(base) if rq.path.rstrip("/").endswith("v2.1") else _v20(base)
    version["links"].append({"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"})
    version["media-types"] = [{"base": "application/json",
                               "type": f"application/vnd.openstack.compute+json;version={version['id'][1:]}"}]
    return {"version": version}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v2.1", show_version, policy=PUBLIC, auth=False),
    route("GET", "/v2", show_version, policy=PUBLIC, auth=False),
]
