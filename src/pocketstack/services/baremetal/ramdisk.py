"""The deploy ramdisk's endpoints: GET /v1/lookup and POST /v1/heartbeat[/{node_ident}]
(api-ref: baremetal, Utility; ironic/api/controllers/v1/ramdisk.py). No agent runs here (fake-hardware):
they answer as ironic does to an agent that calls them, keeping its URL and token on the node."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal.tables import nodes, ports

RAMDISK_ENDPOINTS = V("1.22", "/lookup and /heartbeat for the deploy ramdisk")
AGENT_VERSION = V("1.36", "heartbeats carry agent_version")
AGENT_VERIFY_CA = V("1.68", "heartbeats carry agent_verify_ca")
AGENT_STATUS = V("1.72", "heartbeats carry agent_status and agent_status_message")
# where an agent may look its node up (ironic's LOOKUP_ALLOWED_STATES)
LOOKUP_STATES = ("deploying", "wait call-back", "cleaning", "clean wait", "inspecting", "inspect wait",
                 "rescuing", "rescue wait", "servicing", "service wait")
AGENT_STATES = ("start", "end", "error")
MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
SECRET = "agent_secret_token"


# --- views ---------------------------------------------------------------------------------
def render_lookup(ctx: Context, rq: ApiRequest, node: Any, token: str) -> dict[str, Any]:
    internal = {k: val for k, val in (node["driver_internal_info"] or {}).items() if k != SECRET}
    return {"node": {"uuid": node["uuid"], "properties": node["properties"], "instance_info": node["instance_info"],
                     "driver_internal_info": internal,
                     "links": common.links(common.public_url(ctx, rq), "nodes", node["uuid"])},
            "config": {"metrics": {"backend": "noop", "prepend_host": False, "prepend_uuid": False,
                                   "prepend_host_reverse": True, "global_prefix": None},
                       "metrics_statsd": {"statsd_host": "localhost", "statsd_port": 8125},
                       "heartbeat_timeout": 300, "agent_token": token, "agent_token_required": True,
                       "disable_deep_image_inspection": False, "permitted_image_formats": ["raw", "qcow2", "iso"]}}


# --- logic ---------------------------------------------------------------------------------
def _node_by_addresses(conn: Any, addresses: list[str]) -> Any:
    found = conn.execute(sa.select(nodes).join(ports, ports.c.node_uuid == nodes.c.uuid).where(
        sa.func.lower(ports.c.address).in_([a.lower() for a in addresses]))).mappings().first()
    return found


def lookup_node(ctx: Context, addresses: list[str], node_uuid: str | None) -> tuple[Any, str]:
    """The node an agent boots on, with its agent token: made at the first lookup, then masked."""
    with db.session() as conn:
        if node_uuid:
            node = conn.execute(sa.select(nodes).where(nodes.c.uuid == node_uuid)).mappings().first()
        else:
            node = _node_by_addresses(conn, addresses)
        if node is None or node["provision_state"] not in LOOKUP_STATES:
            raise NotFound("Node could not be found.")
        info = dict(node["driver_internal_info"] or {})
        if info.get(SECRET):
            return node, "******"
        token = secrets.token_urlsafe(32)
        info[SECRET] = token
        conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(driver_internal_info=info))
        return node, token


def heartbeat(ctx: Context, ident: str, body: dict[str, Any]) -> None:
    """HeartbeatController.post, then the conductor's heartbeat: the agent's URL, version and time kept."""
    for field, since, message in (("agent_version", AGENT_VERSION, 'Field "agent_version" not recognised'),
                                  ("agent_verify_ca", AGENT_VERIFY_CA,
                                   'Field "agent_verify_ca" not recognised in this version'),
                                  ("agent_status", AGENT_STATUS,
                                   'Fields "agent_status" and "agent_status_message" not recognised.')):
        if body.get(field) is not None and ctx.version < since:
            raise BadRequest(message)
    callback_url = body.get("callback_url")
    if not isinstance(callback_url, str):
        raise BadRequest("Missing argument: \"callback_url\"")
    with db.session() as conn:
        node = common.find_node(conn, ctx, ident)
        info = dict(node["driver_internal_info"] or {})
        if callback_url and "http" not in urlparse(callback_url).scheme:
            raise BadRequest('An issue with the supplied "callback_url" has been detected.')
        if info.get("agent_url") is not None and info["agent_url"] != callback_url:
            raise BadRequest('Detected change in ramdisk provided "callback_url"')
        if body.get("agent_token") is None:
            raise BadRequest("Agent token is required for heartbeat processing.")
        status = body.get("agent_status")
        if status is not None and status not in AGENT_STATES:
            raise BadRequest(f"Agent status is invalid. Valid states are {','.join(AGENT_STATES)}.")
        if not info.get(SECRET) or not secrets.compare_digest(str(info[SECRET]), str(body["agent_token"])):
            raise BadRequest("Invalid or missing agent token received.")
        info.update(agent_url=callback_url, agent_last_heartbeat=isotime(utcnow()),
                    agent_version=body.get("agent_version"))
        conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(driver_internal_info=info))


# --- routes --------------------------------------------------------------------------------
def lookup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, RAMDISK_ENDPOINTS)
    addresses = [a for a in (rq.query.get("addresses") or "").split(",") if a]
    node_uuid = rq.query.get("node_uuid")
    if not addresses and not node_uuid:
        raise BadRequest("One of 'addresses' and 'node_uuid' must be provided.")
    for address in addresses:
        if not MAC.match(address):
            raise BadRequest(f"Expected a MAC address but received {address}.")
    if node_uuid and not common.is_uuid(node_uuid):
        raise BadRequest(f"Expected a UUID but received {node_uuid}.")
    node, token = lookup_node(ctx, addresses, node_uuid)
    return render_lookup(ctx, rq, node, token)


def post_heartbeat(ctx: Context, rq: ApiRequest) -> None:
    common.hidden(ctx, RAMDISK_ENDPOINTS)
    body = rq.body if isinstance(rq.body, dict) else {}
    ident = rq.params.get("node_ident") or body.get("node_ident")
    if not isinstance(ident, str) or not ident:
        raise BadRequest('Missing argument: "node_ident"')
    heartbeat(ctx, ident, body)


ROUTES = [
    route("GET", "/v1/lookup", lookup, policy="baremetal:driver:ipa_lookup", auth="optional"),
    route("POST", "/v1/heartbeat", post_heartbeat, policy="baremetal:node:ipa_heartbeat", auth="optional",
          status=202),
    route("POST", "/v1/heartbeat/{node_ident}", post_heartbeat, policy="baremetal:node:ipa_heartbeat",
          auth="optional", status=202),
]
