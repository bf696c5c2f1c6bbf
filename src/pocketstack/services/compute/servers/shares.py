"""Share attachments: /servers/{id}/shares, microversion 2.97 (api-ref: compute, Servers with shares
attachments). Nova attaches a Manila share over virtiofs only on a host whose provider has the
COMPUTE_STORAGE_VIRTIO_FS trait (nova.virt.hardware.check_shares_supported); neither compute driver here
offers virtiofs, so no mapping can ever be made: listing answers an empty list, and attaching is refused
with nova's own answer for such a host (409 ForbiddenSharesNotConfiguredCorrectly)."""

from __future__ import annotations

from typing import Any

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common
from pocketstack.services.compute import versions as v

SHARE_ID = {"type": "string", "format": "uuid"}
CREATE = {"type": "object", "required": ["share"], "additionalProperties": False, "properties": {
    "share": {"type": "object", "required": ["share_id"], "additionalProperties": False, "properties": {
        "share_id": SHARE_ID,
        "tag": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9-]*$"}}}}}
NOT_CONFIGURED = "Feature not supported because either compute or instance are not configured correctly."


def _server(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return common.load_server(conn, ctx, rq.params["server_id"])


def _not_found(share_id: str) -> NotFound:
    return NotFound(f"Share {share_id} could not be found.")


def list_shares(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _server(ctx, rq)
    return {"shares": []}


def show_share(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _server(ctx, rq)
    raise _not_found(rq.params["share_id"])


def attach_share(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    row = _server(ctx, rq)
    common.check_state(row, "create share", ["stopped"], task_states=None)
    raise Conflict(NOT_CONFIGURED)


def detach_share(ctx: Context, rq: ApiRequest) -> None:
    row = _server(ctx, rq)
    common.check_state(row, "delete share", ["stopped", "error"], task_states=None)
    raise _not_found(rq.params["share_id"])


S = "/v2.1/servers/{server_id}/shares"
P = "os_compute_api:os-server-shares:"
T = common.server_target
M = v.SERVER_SHARES
ROUTES = [
    route("GET", S, list_shares, policy=P + "index", target=T, min_version=M),
    route("POST", S, attach_share, policy=P + "create", target=T, body=CREATE, status=201, min_version=M),
    route("GET", S + "/{share_id}", show_share, policy=P + "show", target=T, min_version=M),
    route("DELETE", S + "/{share_id}", detach_share, policy=P + "delete", target=T, min_version=M),
]
