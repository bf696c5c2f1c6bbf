"""Consoles: os-getConsoleOutput, the legacy os-get*Console actions and /servers/{id}/remote-consoles
(api-ref: compute, Servers - run an action (Show Console Output, Get VNC Console); Server Remote Consoles)."""

from __future__ import annotations

from typing import Any

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common
from pocketstack.services.compute import versions as v

LEGACY_TYPES = {"os-getVNCConsole": ("vnc", ["novnc", "xvpvnc"]), "os-getSPICEConsole": ("spice", ["spice-html5"]),
                "os-getSerialConsole": ("serial", ["serial"])}
PROTOCOLS = {"vnc": ["novnc", "xvpvnc"], "spice": ["spice-html5", "spice-direct"], "serial": ["serial"],
             "rdp": ["rdp-html5"], "mks": ["webmks"]}
REMOTE = v.V("2.6", "POST /servers/{id}/remote-consoles")
REMOTE_BODY = {"type": "object", "required": ["remote_console"], "additionalProperties": False, "properties": {
    "remote_console": {"type": "object", "required": ["protocol", "type"], "additionalProperties": False,
                       "properties": {"protocol": {"type": "string", "enum": list(PROTOCOLS)},
                                      "type": {"type": "string"}}}}}


def boot_log(row: dict[str, Any]) -> list[str]:
    """What a cirros guest prints on its serial console, with this server's facts."""
    started = (row["launched_at"] or utcnow()).strftime("%a %b %d %H:%M:%S UTC %Y")
    return [
        "[    0.000000] Linux version 5.15.0-71-generic (buildd@lcy02-amd64-044) #78-Ubuntu SMP",
        "[    0.000000] Command line: LABEL=cirros-rootfs ro console=tty1 console=ttyS0",
        "[    0.000000] DMI: OpenStack Foundation OpenStack Nova, BIOS 1.15.0-1 04/01/2014",
        "[    0.512311] Run /init as init process",
        "Starting network: udhcpc: started, v1.36.1",
        "udhcpc: broadcasting discover", "udhcpc: lease obtained",
        "checking http://169.254.169.254/2009-04-04/instance-id",
        f"successful after 1/20 tries: up 2.11. iid={row['instance_name']}",
        "=== system information ===", "Platform: OpenStack Foundation OpenStack Nova",
        "Container: none", "Arch: x86_64", "Uptime: 2.31 3.10",
        "=== cirros: current=0.6.3 uptime=2.54 ===",
        "  ____               ____  ____", " / __/ __ ____ ____ / __ \\/ __/",
        "/ /__ / // __// __// /_/ /\\ \\ ", "\\___//_//_/  /_/   \\____/___/ ",
        "   http://cirros-cloud.net", "", "",
        "login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.",
        f"{row['hostname']} login: ",
        f"# booted {started}",
    ]


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
    lines = boot_log(row) if row["vm_state"] != "stopped" or row["launched_at"] else []
    if length is not None and length >= 0:
        lines = lines[-length:] if length else []
    return {"output": "\n".join(lines)}


def _url(ctx: Context, protocol: str, kind: str) -> str:
    token = new_uuid()
    page = {"novnc": "vnc_lite.html", "xvpvnc": "console", "spice-html5": "spice_auto.html",
            "serial": "serial", "rdp-html5": "rdp", "webmks": "mks", "spice-direct": "spice"}[kind]
    if protocol == "serial":
        return f"ws://{ctx.base_url.split('://', 1)[-1]}/compute/serial/?token={token}"
    return f"{ctx.base_url}/compute/{page}?path=%3Ftoken%3D{token}"


def legacy_console(ctx: Context, row: dict[str, Any], key: str, body: Any) -> dict[str, Any]:
    protocol, types = LEGACY_TYPES[key]
    kind = (body or {}).get("type") if isinstance(body, dict) else None
    if kind not in types:
        raise BadRequest("Invalid console type")
    _ready(row)
    return {"console": {"type": kind, "url": _url(ctx, protocol, kind)}}


def create_remote_console(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    protocol, kind = rq.body["remote_console"]["protocol"], rq.body["remote_console"]["type"]
    if kind not in PROTOCOLS[protocol]:
        raise BadRequest(f"Invalid input for field/attribute type. Value: {kind}.")
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
    _ready(row)
    return {"remote_console": {"protocol": protocol, "type": kind, "url": _url(ctx, protocol, kind)}}


ROUTES = [route("POST", "/v2.1/servers/{server_id}/remote-consoles", create_remote_console,
                policy="os_compute_api:os-remote-consoles", target=common.server_target, body=REMOTE_BODY,
                min_version=REMOTE)]
