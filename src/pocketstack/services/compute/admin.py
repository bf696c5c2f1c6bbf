"""Admin views of the one host: quota classes, server external events, diagnostics, tenant usage
(api-ref: compute, Quota class sets; Create external events; Servers diagnostics; Usage reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common, quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import info_cache

DIAGNOSTICS_V248 = V("2.48", "standardized server diagnostics")
EVENTS = {"type": "object", "required": ["events"], "additionalProperties": False, "properties": {"events": {
    "type": "array", "minItems": 1, "items": {"type": "object", "required": ["name", "server_uuid"],
                                              "additionalProperties": False, "properties": {
        "name": {"type": "string", "enum": ["network-changed", "network-vif-plugged", "network-vif-unplugged",
                                            "network-vif-deleted", "volume-extended", "power-update",
                                            "accelerator-request-bound", "volume-reimaged"]},
        "server_uuid": {"type": "string", "format": "uuid"}, "status": {"type": "string"},
        "tag": {"type": "string", "maxLength": 255}}}}}}
QUOTA_CLASS = {"type": "object", "required": ["quota_class_set"], "additionalProperties": False, "properties": {
    "quota_class_set": {"type": "object", "additionalProperties": False,
                        "properties": {k: quotas._VALUE for k in [*quotas.DEFAULTS, *quotas.NETWORK, "networks"]}}}}


def show_quota_class(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        values = quotas.defaults(conn) if rq.params["class_id"] == "default" else dict(quotas.DEFAULTS)
    return {"quota_class_set": {"id": rq.params["class_id"], **quotas._shown(ctx, values)}}


def update_quota_class(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["quota_class_set"]
    if ctx.version >= quotas.NO_NETWORK_QUOTAS and set(body) & {*quotas.NETWORK, "networks"}:
        raise BadRequest("Invalid input for field/attribute quota_class_set. Additional properties are not allowed")
    with db.session() as conn:
        if rq.params["class_id"] == "default":
            for res, value in body.items():
                if res in quotas.DEFAULTS or res in quotas.NETWORK:
                    conn.execute(t.quotas.delete().where(t.quotas.c.project_id == quotas.CLASS,
                                                         t.quotas.c.resource == res))
                    conn.execute(t.quotas.insert().values(project_id=quotas.CLASS, user_id="", resource=res,
                                                          hard_limit=int(value)))
        values = quotas.defaults(conn)
    return {"quota_class_set": quotas._shown(ctx, values)}


def create_events(ctx: Context, rq: ApiRequest) -> Any:
    from pocketstack.core.http import json_response
    out, status, accepted = [], 200, []
    with db.reader() as conn:
        for event in rq.body["events"]:
            found = conn.execute(sa.select(t.servers.c.id, t.servers.c.host).where(
                t.servers.c.id == event["server_uuid"], t.servers.c.deleted.is_(False))).first()
            item = {**event, "status": event.get("status", "completed"), "code": 200}
            if found is None:
                item.update(status="failed", code=404)
                status = 207
            elif found.host is None:
                item.update(status="failed", code=422)
                status = 207
            else:
                accepted.append(event)
            out.append(item)
    if all(e["code"] == 404 for e in out):
        raise NotFound("No instances found for any event")
    for event in accepted:  # what nova-compute does with them (ComputeManager.external_instance_event)
        if event["name"] == "volume-extended":
            volume_extended(ctx, event["server_uuid"], event.get("tag"))
        elif event["name"] == "network-changed":
            info_cache.refresh(ctx.token, event["server_uuid"], event.get("tag"))
        elif event["name"] == "network-vif-deleted" and event.get("tag"):
            info_cache.forget(event["server_uuid"], event["tag"])
    return json_response(status, {"events": out})


def volume_extended(ctx: Context, server_id: str, volume_id: str | None) -> None:
    """nova's compute API records an `extend_volume` action; the compute manager's extend_volume
    (event `compute_extend_volume`) grows the attached disk: the volume's own file here, already
    grown by block storage, so the event fails only for a volume not attached to the server."""
    with db.session() as conn:
        action_id = common.record_action(conn, ctx, server_id, "extend_volume")
        attached = conn.execute(sa.select(t.volume_attachments.c.id).where(
            t.volume_attachments.c.server_id == server_id, t.volume_attachments.c.volume_id == volume_id)).first()
        if attached is None:
            common.record_event(conn, action_id, "compute_extend_volume", "Error",
                                f"Volume {volume_id} is not attached to instance {server_id}")
        else:
            common.record_event(conn, action_id, "compute_extend_volume")


def show_diagnostics(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
    if row["vm_state"] == "building":
        from pocketstack.core.errors import Conflict
        raise Conflict(f"Cannot 'get_diagnostics' instance {row['id']} while it is in vm_state building")
    if ctx.version < DIAGNOSTICS_V248:
        return {"cpu0_time": 17300000000, "memory": row["flavor"]["ram"] * 1024, "vda_read": 262144,
                "vda_read_req": 112, "vda_write": 5778432, "vda_write_req": 488, "vda_errors": -1}
    with db.reader() as conn:
        ports = conn.execute(sa.select(t.server_ports.c.mac_address).where(
            t.server_ports.c.server_id == row["id"])).scalars().all()
    uptime = int((utcnow() - (row["launched_at"] or utcnow())).total_seconds())
    return {"state": "running" if row["power_state"] == common.RUNNING else "shutdown", "driver": "libvirt",
            "hypervisor": "kvm", "hypervisor_os": "linux", "uptime": uptime, "config_drive": False,
            "num_cpus": row["flavor"]["vcpus"], "num_nics": len(ports), "num_disks": 1,
            "cpu_details": [{"id": i, "time": 17300000000, "utilisation": 15} for i in range(row["flavor"]["vcpus"])],
            "nic_details": [{"mac_address": mac, "rx_octets": 2070139, "rx_errors": 0, "rx_drop": 0,
                             "rx_packets": 26701, "rx_rate": None, "tx_octets": 140208, "tx_errors": 0,
                             "tx_drop": 0, "tx_packets": 662, "tx_rate": None} for mac in ports],
            "disk_details": [{"read_bytes": 262144, "read_requests": 112, "write_bytes": 5778432,
                              "write_requests": 488, "errors_count": 1}],
            "memory_details": {"maximum": row["flavor"]["ram"] // 1024 or 1, "used": 0}}


def _window(rq: ApiRequest) -> tuple[dt.datetime, dt.datetime]:
    try:
        end = parse_isotime(rq.query["end"]) if rq.query.get("end") else utcnow()
        start = parse_isotime(rq.query["start"]) if rq.query.get("start") else end - dt.timedelta(days=1)
    except ValueError:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.") from None
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
    return start, end


def _usage(rows: list[Any], project: str, start: dt.datetime, end: dt.datetime, detailed: bool) -> dict[str, Any]:
    hours = mb = gb = vcpus = 0.0
    servers = []
    for r in rows:
        began, ended = max(r.created_at, start), min(r.deleted_at or end, end)
        h = max((ended - began).total_seconds() / 3600, 0)
        f = r.flavor
        hours += h
        mb += h * f["ram"]
        gb += h * f["disk"]
        vcpus += h * f["vcpus"]
        servers.append({"instance_id": r.id, "name": r.name, "hours": h, "memory_mb": f["ram"],
                        "local_gb": f["disk"], "vcpus": f["vcpus"], "tenant_id": project, "flavor": f["original_name"],
                        "started_at": r.created_at.isoformat(), "ended_at": r.deleted_at.isoformat()
                        if r.deleted_at else None, "state": "terminated" if r.deleted else r.vm_state,
                        "uptime": int((ended - r.created_at).total_seconds())})
    out = {"tenant_id": project, "total_hours": hours, "total_memory_mb_usage": mb, "total_local_gb_usage": gb,
           "total_vcpus_usage": vcpus, "start": start.isoformat(), "stop": end.isoformat()}
    if detailed:
        out["server_usages"] = servers
    return out


def _rows(start: dt.datetime, end: dt.datetime, project: str | None = None) -> list[Any]:
    s = t.servers
    stmt = sa.select(s).where(s.c.created_at <= end, sa.or_(s.c.deleted_at.is_(None), s.c.deleted_at >= start))
    if project:
        stmt = stmt.where(s.c.project_id == project)
    with db.reader() as conn:
        return list(conn.execute(stmt.order_by(s.c.created_at)))


def list_usage(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.path.endswith("/"):  # a blank tenant id
        raise NotFound("The resource could not be found.")
    start, end = _window(rq)
    detailed = common.to_bool(rq.query.get("detailed", "0"), "detailed")
    by_project: dict[str, list[Any]] = {}
    for r in _rows(start, end):
        by_project.setdefault(r.project_id, []).append(r)
    return {"tenant_usages": [_usage(rows, p, start, end, detailed) for p, rows in by_project.items()]}


def show_usage(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    start, end = _window(rq)
    rows = _rows(start, end, rq.params["project_id"])
    return {"tenant_usage": _usage(rows, rq.params["project_id"], start, end, True) if rows else {}}


def _audit(ctx: Context, before: dt.datetime) -> dict[str, Any]:
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    begin = (end - dt.timedelta(days=1)).replace(day=1)
    with db.reader() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(t.servers).where(
            t.servers.c.created_at < end)).scalar_one()
    return {"hosts_not_run": [common.HOST], "log": {}, "num_hosts": 1, "num_hosts_done": 0,
            "num_hosts_not_run": 1, "num_hosts_running": 0, "overall_status": "0 of 1 hosts done. 0 errors.",
            "period_beginning": str(begin), "period_ending": str(end), "total_errors": 0, "total_instances": count}


def list_audit_logs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"instance_usage_audit_logs": _audit(ctx, utcnow())}


def show_audit_log(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    text = rq.params["before"]
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"):
        try:
            before = dt.datetime.strptime(text.replace("%20", " "), fmt)
            break
        except ValueError:
            continue
    else:
        raise BadRequest(f"Invalid timestamp for date {text}")
    return {"instance_usage_audit_log": _audit(ctx, before)}


P = "os_compute_api:"
ROUTES = [
    route("GET", "/v2.1/os-instance_usage_audit_log", list_audit_logs,
          policy=P + "os-instance-usage-audit-log:list"),
    route("GET", "/v2.1/os-instance_usage_audit_log/{before}", show_audit_log,
          policy=P + "os-instance-usage-audit-log:show"),
    route("GET", "/v2.1/os-quota-class-sets/{class_id}", show_quota_class, policy=P + "os-quota-class-sets:show"),
    route("PUT", "/v2.1/os-quota-class-sets/{class_id}", update_quota_class, policy=P + "os-quota-class-sets:update",
          body=QUOTA_CLASS),
    route("POST", "/v2.1/os-server-external-events", create_events, policy=P + "os-server-external-events:create",
          body=EVENTS),
    route("GET", "/v2.1/servers/{server_id}/diagnostics", show_diagnostics, policy=P + "os-server-diagnostics",
          target=common.server_target),
    route("GET", "/v2.1/os-simple-tenant-usage", list_usage, policy=P + "os-simple-tenant-usage:list"),
    route("GET", "/v2.1/os-simple-tenant-usage/{project_id}", show_usage, policy=P + "os-simple-tenant-usage:show",
          target=lambda ctx, rq: {"project_id": rq.params["project_id"]}),
]
