"""What every Acceleration collection shares: links, timestamps, uuid checks, the policy target
(cyborg/api/controllers/link.py; cyborg/common/authorize_wsgi.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pocketstack.core.clock import UTC
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest
from pocketstack.core.ids import is_uuid  # noqa: F401  (re-exported: common.is_uuid)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=UTC).isoformat()


def public_url(ctx: Context, rq: ApiRequest) -> str:
    return ctx.base_url + rq.service_prefix


def links(ctx: Context, rq: ApiRequest, resource: str, ident: str, bookmark: bool = False) -> list[dict[str, str]]:
    base = public_url(ctx, rq)
    out = [{"href": f"{base}/v2/{resource}/{ident}", "rel": "self"}]
    if bookmark:
        out.append({"href": f"{base}/{resource}/{ident}", "rel": "bookmark"})
    return out



def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """authorize_wsgi: the target is the caller's own project and user."""
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def is_service(ctx: Context) -> bool:
    """Nova acting for a user. Upstream checks an X-Service-Token; this cloud's services call each other
    with a token that carries the service (or admin) role, so that is what marks a service request."""
    return "service" in ctx.roles or "admin" in ctx.roles
