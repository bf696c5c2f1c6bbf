"""Consoles: os-getConsoleOutput, the legacy os-get*Console actions and /servers/{id}/remote-consoles
(api-ref: compute, Servers - run an action (Show Console Output, Get VNC Console); Server Remote Consoles)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common, console_auth_tokens, drivers
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.drivers import fake

LEGACY_TYPES = {"os-getVNCConsole": ("vnc", ["novnc", "xvpvnc"]), "os-getSPICEConsole": ("spice", ["spice-html5"]),
                "os-getRDPConsole": ("rdp", ["rdp-html5"]), "os-getSerialConsole": ("serial", ["serial"])}
REMOTE = v.V("2.6", "POST /servers/{id}/remote-consoles")
MKS = v.V("2.8", "remote consoles: protocol mks, type webmks")
# nova's remote_consoles schemas: create_v26, create_v28, create_v299 (the pair is checked by the driver)
PROTOCOLS = ["vnc", "spice", "rdp", "serial"]
TYPES = ["novnc", "xvpvnc", "rdp-html5", "spice-html5", "serial"]
REMOTE_BODY = {"type": "object", "required": ["remote_console"], "additionalProperties": False, "properties": {
    "remote_console": {"type": "object", "required": ["protocol", "type"], "additionalProperties": False,
                       "properties": {"protocol": {"type": "string"}, "type": {"type": "string"}}}}}


def _ready(row: dict[str, Any]) -> None:
    if row["vm_state"] in ("building", "shelved_offloaded") or row["host"] is None:
        raise Conflict(f"Instance {row['id']} is not ready")


def console_output(ctx: Context, row: dict[str, Any], body: Any) -> dict[str, Any]:
    _ready(row)
    length = (body or {}).get("length") if isinstance(body, dict) else None
    if length is not None:
        try:
            length = int(length)
        except (TypeError, ValueError):
            raise BadRequest("Invalid input for field/attribute length.") from None
        if length < -1:
            raise BadRequest("Invalid input for field/attribute length.")
    lines = drivers.on_guest_host(row, "console_output")
    if length is not None and length >= 0:
        lines = lines[-length:] if length else []
    return {"output": "\n".join(lines)}


def _url(ctx: Context, row: dict[str, Any], protocol: str, kind: str) -> str:
    """Made by the host that runs the guest (its console proxy reaches the guest's sockets); the driver's
    ConsoleTypeUnavailable and ConsoleTypeInvalid are nova's 400s. Its token is recorded here (nova's
    ConsoleAuthToken.authorize, which the compute host calls)."""
    console = drivers.on_guest_host(row, "remote_console", protocol, kind, ctx.base_url)
    with db.session() as conn:
        console_auth_tokens.authorize(conn, row["id"], kind, console)
    return console["url"]


def legacy_console(ctx: Context, row: dict[str, Any], key: str, body: Any) -> dict[str, Any]:
    if ctx.version >= REMOTE:       # nova's legacy console actions are 2.1 to 2.5 only
        raise NotFound("There is no such action: " + key)
    protocol, types = LEGACY_TYPES[key]
    kind = (body or {}).get("type") if isinstance(body, dict) else None
    if kind not in types:
        raise BadRequest("Invalid console type")
    _ready(row)
    return {"console": {"type": kind, "url": _url(ctx, row, protocol, kind)}}


def create_remote_console(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    protocol, kind = rq.body["remote_console"]["protocol"], rq.body["remote_console"]["type"]
    mks, direct = ctx.version >= MKS, ctx.version >= v.SPICE_DIRECT
    for field, value, allowed in (("protocol", protocol, PROTOCOLS + ["mks"] * mks),
                                  ("type", kind, TYPES + ["webmks"] * mks + ["spice-direct"] * direct)):
        if value not in allowed:
            raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                             f"'{value}' is not one of {allowed}")
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
    _ready(row)
    return {"remote_console": {"protocol": protocol, "type": kind, "url": _url(ctx, row, protocol, kind)}}


NO_CONSOLE = """<!DOCTYPE html>
<html><head><title>No console: simulated host</title></head><body>
<p>This cloud runs the <code>fake</code> compute driver: the host is simulated and no guest runs, so there
is no screen or serial port behind this console. Nothing will connect here.</p>
</body></html>
"""


def console_page(ctx: Context, rq: ApiRequest) -> Response:
    """Where the fake driver's console URLs lead: a page that says there is no console, not a dead link."""
    return Response(NO_CONSOLE, media_type="text/html; charset=utf-8")


ROUTES = [*[route("GET", f"/{page}", console_page, policy=PUBLIC, auth=False)
            for page in sorted(set(fake.PAGES.values()))],
          route("POST", "/v2.1/servers/{server_id}/remote-consoles", create_remote_console,
                policy="os_compute_api:os-remote-consoles", target=common.server_target, body=REMOTE_BODY,
                min_version=REMOTE)]
