"""What every Swift handler starts with: the account/container/object of the path, the trans id,
the response headers every answer carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import constraints, headers


@dataclass
class Target:
    account: str
    container: str | None
    obj: str | None
    trans_id: str


def target(rq: ApiRequest) -> Target:
    trans_id = getattr(rq, "trans_id", None) or headers.trans_id()
    rq.trans_id = trans_id  # type: ignore[attr-defined]  # read by errors.render
    constraints.check_path_utf8(rq.raw.scope.get("raw_path") or rq.path.encode())
    account, container, obj = rq.params.get("account"), rq.params.get("container"), rq.params.get("obj")
    if container is not None:
        constraints.check_container_name(container)
    if obj is not None:
        constraints.check_object_name(obj)
    return Target(account or "", container, obj, trans_id)


def respond(t: Target, status: int = 204, body: bytes | Any = b"", hdrs: dict[str, str] | None = None,
            media_type: str | None = None) -> Response:
    all_headers = {"X-Trans-Id": t.trans_id, "X-Openstack-Request-Id": t.trans_id}
    all_headers.update(hdrs or {})
    if media_type is None and "Content-Type" not in all_headers:
        media_type = "text/html; charset=UTF-8"
    return Response(body, status_code=status, headers=all_headers, media_type=media_type)


def referrer(rq: ApiRequest) -> str | None:
    return rq.headers.get("referer")


def context_user(ctx: Context) -> str:
    return f"{ctx.project_id}:{ctx.user_id}" if ctx.authenticated else "-"
