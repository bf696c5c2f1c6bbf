"""Discovery: GET /info (capabilities), /healthcheck and /crossdomain.xml
(swift/proxy/server.py, common/middleware/{healthcheck,crossdomain}.py)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.object_store import (
    bulk, constraints, formpost, headers, ratelimit, slo, staticweb, tempauth, tempurl)

CROSSDOMAIN = ('<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM '
               '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n<cross-domain-policy>\n'
               '<allow-access-from domain="*" secure="false" />\n</cross-domain-policy>')


def capabilities() -> dict[str, Any]:
    """One entry per middleware that works here, and nothing else."""
    optional = {"ratelimit": ratelimit.info(), "tempauth": tempauth.info()}
    return {
        "swift": {**constraints.LIMITS, "version": "2.38.3", "strict_cors_mode": True,
                  "allow_account_management": False, "account_autocreate": True,
                  "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}]},
        "tempurl": tempurl.INFO,
        "slo": slo.INFO,
        "dlo": {"max_segments": 10000},
        "bulk_delete": bulk.INFO_DELETE,
        "bulk_upload": bulk.INFO_UPLOAD,
        "container_quotas": {},
        "account_quotas": {},
        "versioned_writes": {"allowed_flags": ["x-versions-location", "x-history-location"]},
        "object_versioning": {},
        "symlink": {"symloop_max": 2, "static_links": True},
        "crossdomain": {},
        "formpost": formpost.INFO,
        "staticweb": staticweb.INFO,
        "keystoneauth": {},
        **{name: body for name, body in optional.items() if body is not None},
    }


def show_info(ctx: Context, rq: ApiRequest) -> Response:
    body = capabilities()
    return Response(json.dumps(body).encode(), media_type="application/json; charset=UTF-8",
                    headers={"X-Trans-Id": headers.trans_id()})


def healthcheck(ctx: Context, rq: ApiRequest) -> Response:
    return Response(b"OK", media_type="text/plain", headers={"X-Trans-Id": headers.trans_id()})


def crossdomain(ctx: Context, rq: ApiRequest) -> Response:
    return Response(CROSSDOMAIN.encode(), media_type="application/xml; charset=UTF-8",
                    headers={"X-Trans-Id": headers.trans_id()})


ROUTES = [
    route("GET", "/info", show_info, policy=PUBLIC, auth=False, raw_body=True),
    route("GET", "/healthcheck", healthcheck, policy=PUBLIC, auth=False, raw_body=True),
    route("GET", "/crossdomain.xml", crossdomain, policy=PUBLIC, auth=False, raw_body=True),
]
ROOT_ROUTES = [route("GET", "/", show_info, policy=PUBLIC, auth=False, raw_body=True)]
