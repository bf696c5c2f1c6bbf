"""Server networking and history: /servers/{id}/ips, /os-interface, /os-instance-actions, /os-server-password
(api-ref: compute, Servers IPs; Port interfaces; Servers actions (os-instance-actions); Servers password)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute.metadata import routes as metadata_service
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import network_api, schemas, views

ACTION_UPDATED = v.V("2.58", "instance actions show updated_at; paging and changes-since")
EVENT_HOST = v.V("2.62", "instance action events show host and hostId")
EVENT_DETAILS = v.V("2.84", "instance action events show details")


# --- ips -------------------------------------------------------------------------------
def _ports(server_id: str, ctx: Context) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, server_id)
        ports = [dict(r) for r in conn.execute(sa.select(t.server_ports).where(
            t.server_ports.c.server_id == row["id"]).order_by(t.server_ports.c.position)).mappings()]
    return row, ports


def _brief(addresses: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {net: [{"version": a["version"], "addr": a["addr"]} for a in items] for net, items in addresses.items()}


def list_ips(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _, ports = _ports(rq.params["server_id"], ctx)
    return {"addresses": _brief(views.addresses(ports))}


def show_ips(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _, ports = _ports(rq.params["server_id"], ctx)
    addresses = _brief(views.addresses(ports))
    if rq.params["network_label"] not in addresses:
        raise NotFound("Instance is not a member of specified network")
    return {rq.params["network_label"]: addresses[rq.params["network_label"]]}


# --- interfaces ------------------------------------------------------------------------
def render_interface(ctx: Context, port: dict[str, Any], tag: str | None) -> dict[str, Any]:
    body = {"port_state": port.get("status", "DOWN"), "port_id": port["id"], "net_id": port["network_id"],
            "mac_addr": port["mac_address"],
            "fixed_ips": [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
                          for ip in port.get("fixed_ips", [])]}
    if ctx.version >= v.DEVICE_TAGS_SHOWN:
        body["tag"] = tag
    return body


def list_interfaces(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _, ports = _ports(rq.params["server_id"], ctx)
    out = []
    for p in ports:
        port = network_api.port(ctx.token, p["port_id"])
        if port is not None:
            out.append(render_interface(ctx, port, p["tag"]))
    return {"interfaceAttachments": out}


def show_interface(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _, ports = _ports(rq.params["server_id"], ctx)
    match = [p for p in ports if p["port_id"] == rq.params["port_id"]]
    port = network_api.port(ctx.token, rq.params["port_id"]) if match else None
    if port is None:
        raise NotFound(f"Port {rq.params['port_id']} is not attached")
    return {"interfaceAttachment": render_interface(ctx, port, match[0]["tag"])}


def create_interface(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["interfaceAttachment"]
    row, ports = _ports(rq.params["server_id"], ctx)
    common.check_locked(ctx, row)
    common.check_state(row, "attach_interface", ["active", "paused", "stopped"])
    if body.get("net_id") and body.get("port_id"):
        raise BadRequest("Must not input both network_id and port_id")
    if body.get("fixed_ips") and not body.get("net_id"):
        raise BadRequest("Must input network_id when request IP address")
    nets: Any = None
    if body.get("port_id"):
        nets = [{"port": body["port_id"]}]
    elif body.get("net_id"):
        fixed = {"fixed_ip": body["fixed_ips"][0]["ip_address"]} if body.get("fixed_ips") else {}
        nets = [{"uuid": body["net_id"], **fixed}]
    req = network_api.validate_requested(ctx.token, row["project_id"], nets)
    if not req:
        raise BadRequest("No network available to attach the interface")
    req = req[0]
    try:
        if req["port_id"]:
            port = network_api.claim_port(ctx.token, row["id"], req["port_id"], row["availability_zone"])
        else:
            groups = network_api.security_group_ids(ctx.token, row["project_id"], row["security_groups"])
            port = network_api.create_port(ctx.token, row["id"], req, groups, row["availability_zone"])
    except network_api.NetworkError as exc:
        raise BadRequest(f"Failed to attach network adapter device to {row['id']}: {exc}") from None
    network_api.bind_port(ctx.token, port["id"], row["host"] or common.HOST)
    port = network_api.port(ctx.token, port["id"]) or port
    drivers.on_guest_host(row, "attach_interface", port)
    with db.session() as conn:
        position = max([p["position"] for p in ports], default=-1) + 1
        conn.execute(t.server_ports.insert().values(server_id=row["id"], position=position,
                                                    preexisting=bool(req["port_id"]), tag=body.get("tag"),
                                                    **network_api.describe(ctx.token, port)))
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "attach_interface"),
                            "compute_attach_interface")
    return {"interfaceAttachment": render_interface(ctx, port, body.get("tag"))}


def delete_interface(ctx: Context, rq: ApiRequest) -> None:
    row, ports = _ports(rq.params["server_id"], ctx)
    common.check_locked(ctx, row)
    common.check_state(row, "detach_interface", ["active", "paused", "stopped"])
    match = [p for p in ports if p["port_id"] == rq.params["port_id"]]
    if not match:
        raise NotFound(f"Port {rq.params['port_id']} is not attached")
    drivers.on_guest_host(row, "detach_interface", match[0]["port_id"])
    network_api.release_port(ctx.token, match[0]["port_id"], match[0]["preexisting"])
    with db.session() as conn:
        conn.execute(t.server_ports.delete().where(t.server_ports.c.server_id == row["id"],
                                                   t.server_ports.c.port_id == match[0]["port_id"]))
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "detach_interface"),
                            "compute_detach_interface")


# --- instance actions ------------------------------------------------------------------
def _stamp(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def render_action(ctx: Context, row: Any) -> dict[str, Any]:
    body = {"action": row["action"], "instance_uuid": row["server_id"], "message": row["message"],
            "project_id": row["project_id"], "request_id": row["request_id"],
            "start_time": _stamp(row["start_time"]), "user_id": row["user_id"]}
    if ctx.version >= ACTION_UPDATED:
        body["updated_at"] = _stamp(row["updated_at"] or row["start_time"])
    return body


def list_instance_actions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"], deleted_ok=ctx.version >= common.DELETED_ACTIONS)
        rows = conn.execute(sa.select(t.instance_actions).where(t.instance_actions.c.server_id == row["id"])
                            .order_by(t.instance_actions.c.created_at.desc(), t.instance_actions.c.id.desc())
                            ).mappings().all()
    return {"instanceActions": [render_action(ctx, r) for r in rows]}


def show_instance_action(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"], deleted_ok=ctx.version >= common.DELETED_ACTIONS)
        action = conn.execute(sa.select(t.instance_actions).where(
            t.instance_actions.c.server_id == row["id"],
            t.instance_actions.c.request_id == rq.params["request_id"])).mappings().first()
        if action is None:
            raise NotFound(f"Action {rq.params['request_id']} on instance {row['id']} not found")
        events = conn.execute(sa.select(t.instance_action_events).where(
            t.instance_action_events.c.action_id == action["id"])
            .order_by(t.instance_action_events.c.start_time)).mappings().all()
    body = render_action(ctx, action)
    target = {"project_id": row["project_id"]}
    if ctx.version >= v.INSTANCE_ACTIONS_EVENTS or common.can(ctx, "os_compute_api:os-instance-actions:events", target):
        details = common.can(ctx, "os_compute_api:os-instance-actions:events", target)
        body["events"] = [_event(ctx, e, row, details) for e in events]
    return {"instanceAction": body}


def _event(ctx: Context, e: Any, server: dict[str, Any], admin: bool) -> dict[str, Any]:
    out = {"event": e["event"], "start_time": _stamp(e["start_time"]), "finish_time": _stamp(e["finish_time"]),
           "result": e["result"]}
    if admin:
        out["traceback"] = e["traceback"]
    if ctx.version >= EVENT_HOST:
        if admin:
            out["host"] = e["host"]
        out["hostId"] = views.host_id({"host": e["host"], "project_id": server["project_id"]})
    if ctx.version >= EVENT_DETAILS:
        out["details"] = None
    return out


# --- password --------------------------------------------------------------------------
def show_password(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """What the guest posted to the metadata service (encrypted with its public key), or empty."""
    row, _ = _ports(rq.params["server_id"], ctx)
    return {"password": metadata_service.show_password(row["id"])}


def clear_password(ctx: Context, rq: ApiRequest) -> None:
    row, _ = _ports(rq.params["server_id"], ctx)
    metadata_service.clear_password(row["id"])


S = "/v2.1/servers/{server_id}"
P = "os_compute_api:"
T = common.server_target
ROUTES = [
    route("GET", S + "/ips", list_ips, policy=P + "ips:index", target=T),
    route("GET", S + "/ips/{network_label}", show_ips, policy=P + "ips:show", target=T),
    route("GET", S + "/os-interface", list_interfaces, policy=P + "os-attach-interfaces:list", target=T),
    route("POST", S + "/os-interface", create_interface, policy=P + "os-attach-interfaces:create", target=T,
          body=schemas.INTERFACE),
    route("GET", S + "/os-interface/{port_id}", show_interface, policy=P + "os-attach-interfaces:show", target=T),
    route("DELETE", S + "/os-interface/{port_id}", delete_interface, policy=P + "os-attach-interfaces:delete",
          target=T, status=202),
    route("GET", S + "/os-instance-actions", list_instance_actions, policy=P + "os-instance-actions:list",
          target=common.server_target_deleted_ok),
    route("GET", S + "/os-instance-actions/{request_id}", show_instance_action,
          policy=P + "os-instance-actions:show", target=common.server_target_deleted_ok),
    route("GET", S + "/os-server-password", show_password, policy=P + "os-server-password:show", target=T),
    route("DELETE", S + "/os-server-password", clear_password, policy=P + "os-server-password:clear", target=T,
          status=204),
]
