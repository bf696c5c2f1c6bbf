"""The compute hosts as the API shows them: availability zones, hypervisors, services, extensions
(api-ref: compute, Availability zones; Hypervisors; Compute services; Extensions). Every pocketstack host
runs nova-scheduler, nova-conductor and nova-compute (core.hosts rows with heartbeats); each nova-compute
is a hypervisor whose resources are its Placement resource provider's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, hosts
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import placement_api

CPU_INFO_OBJECT = V("2.28", "hypervisor cpu_info is an object, not a JSON string")
UUID_IDS = V("2.53", "services and hypervisors are identified by UUID")
SLIM_HYPERVISORS = V("2.88", "hypervisors drop the resource fields and statistics")
FORCED_DOWN = V("2.11", "services show forced_down")
BINARIES = [("nova-scheduler", "internal"), ("nova-conductor", "internal"), ("nova-compute", common.DEFAULT_AZ)]


def register_host() -> None:
    """This host's nova services (on every start; core.hosts stamps them while it runs)."""
    for binary, zone in BINARIES:
        hosts.register(binary, common.HOST, zone)


def _services(binary: str | None = None, host: str | None = None) -> list[dict[str, Any]]:
    return [r for r in hosts.rows(binary, host) if r["binary"].startswith("nova-")]


def _zone(row: dict[str, Any], zones: dict[str, set[str]]) -> str:
    """nova-compute's zone is its host's aggregate zone (nova if none); the others are internal."""
    if row["binary"] != "nova-compute":
        return row["zone"]
    return sorted(zones.get(row["host"], {common.DEFAULT_AZ}))[0]


def _stamp(row: dict[str, Any]) -> str | None:
    return isotime(row["last_seen_up"], subsecond=True, suffix="")


# --- availability zones ----------------------------------------------------------------
def list_zones(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        names = sorted(common.zones(conn))
    return {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None}
                                     for z in names]}


def list_zones_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        host_zones = common.host_zones(conn)
    zones: dict[str, dict[str, Any]] = {}
    for row in _services():
        shown = zones.setdefault(_zone(row, host_zones), {}).setdefault(row["host"], {})
        shown[row["binary"]] = {"available": not row["disabled"], "active": hosts.is_up(row),
                                "updated_at": _stamp(row)}
    return {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": h}
                                     for z, h in sorted(zones.items())]}


# --- services --------------------------------------------------------------------------
def render_service(ctx: Context, row: dict[str, Any], zones: dict[str, set[str]]) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["uuid"] if ctx.version >= UUID_IDS else row["id"], "binary": row["binary"],
                            "host": row["host"], "zone": _zone(row, zones),
                            "status": "disabled" if row["disabled"] else "enabled",
                            "state": "up" if hosts.is_up(row) else "down", "updated_at": _stamp(row),
                            "disabled_reason": row["disabled_reason"]}
    if ctx.version >= FORCED_DOWN:
        body["forced_down"] = bool(row["forced_down"])
    return body


def list_services(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        zones = common.host_zones(conn)
    return {"services": [render_service(ctx, r, zones)
                         for r in _services(rq.query.get("binary"), rq.query.get("host"))]}


SERVICE_UPDATE = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "status": {"type": "string", "enum": ["enabled", "disabled"]},
    "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
    "forced_down": {"type": "boolean"}}}


def update_service(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """PUT /os-services/{service_id} (2.53): enable, disable with a reason, force down (nova's rules)."""
    rows = [r for r in _services() if r["uuid"] == rq.params["service_id"]]
    if not rows:
        raise NotFound(f"Service {rq.params['service_id']} not found.")
    body, row = rq.body, rows[0]
    if "disabled_reason" in body and body.get("status") != "disabled":
        raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    if row["binary"] != "nova-compute" and ("status" in body or "forced_down" in body):
        raise BadRequest(f"Updating a {row['binary']} service is not supported. Only nova-compute services "
                         "can be updated.")
    values: dict[str, Any] = {}
    if "status" in body:
        values.update(disabled=body["status"] == "disabled",
                      disabled_reason=body.get("disabled_reason") if body["status"] == "disabled" else None)
    if "forced_down" in body:
        values["forced_down"] = body["forced_down"]
    with db.session() as conn:
        conn.execute(hosts.services.update().where(hosts.services.c.uuid == row["uuid"]).values(**values))
    with db.reader() as conn:
        zones = common.host_zones(conn)
    return {"service": render_service(ctx, {**row, **values}, zones)}


# --- hypervisors -----------------------------------------------------------------------
def _computes() -> list[dict[str, Any]]:
    """The nova-compute rows, each a hypervisor; `number` is its legacy id (before 2.53)."""
    return [{**r, "number": n} for n, r in enumerate(_services("nova-compute"), start=1)]


def _usage(host: str) -> tuple[dict[str, int], dict[str, int]]:
    """Capacity and usage from the host's resource provider in Placement (what the scheduler sees)."""
    inv, used = placement_api.host_usage(common.hypervisor_id(host))
    with db.reader() as conn:
        running = conn.execute(sa.select(sa.func.count()).select_from(t.servers).where(
            t.servers.c.deleted.is_(False), t.servers.c.host == host)).scalar_one()
    if not inv:
        inv = {rc: {"total": 0, "reserved": 0} for rc in ("VCPU", "MEMORY_MB", "DISK_GB")}
    cap = {"vcpus": inv["VCPU"]["total"], "memory_mb": inv["MEMORY_MB"]["total"],
           "local_gb": inv["DISK_GB"]["total"]}
    return cap, {"vcpus_used": used.get("VCPU", 0),
                 "memory_mb_used": inv["MEMORY_MB"]["reserved"] + used.get("MEMORY_MB", 0),
                 "local_gb_used": inv["DISK_GB"]["reserved"] + used.get("DISK_GB", 0), "running_vms": running}


def render_hypervisor(ctx: Context, svc: dict[str, Any], detail: bool) -> dict[str, Any]:
    host = svc["host"]
    body: dict[str, Any] = {"id": common.hypervisor_id(host) if ctx.version >= UUID_IDS else svc["number"],
                            "hypervisor_hostname": host, "state": "up" if hosts.is_up(svc) else "down",
                            "status": "disabled" if svc["disabled"] else "enabled"}
    if not detail:
        return body
    # the driver is this process's; every host of one cloud runs the same kind of driver
    resources = drivers.current().host_resources()
    body.update({"hypervisor_type": resources.hypervisor_type, "hypervisor_version": resources.hypervisor_version,
                 "host_ip": "127.0.0.1",
                 "service": {"host": host, "id": svc["uuid"] if ctx.version >= UUID_IDS else svc["id"],
                             "disabled_reason": svc["disabled_reason"]}})
    if ctx.version >= SLIM_HYPERVISORS:
        body["uptime"] = None
        return body
    cap, used = _usage(host)
    body.update({"vcpus": cap["vcpus"], "memory_mb": cap["memory_mb"], "local_gb": cap["local_gb"], **used,
                 "free_ram_mb": cap["memory_mb"] - used["memory_mb_used"],
                 "free_disk_gb": cap["local_gb"] - used["local_gb_used"], "current_workload": 0,
                 "disk_available_least": cap["local_gb"] - used["local_gb_used"],
                 "cpu_info": resources.cpu_info if ctx.version >= CPU_INFO_OBJECT else json.dumps(resources.cpu_info)})
    return body


def _matching(pattern: str) -> list[dict[str, Any]]:
    found = [c for c in _computes() if pattern in c["host"]]
    if not found:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return found


def _hypervisors(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    computes = _computes()
    with_servers = False
    if ctx.version >= UUID_IDS:
        pattern = rq.query.get("hypervisor_hostname_pattern")
        if pattern is not None:
            computes = _matching(pattern)
        with_servers = common.to_bool(rq.query.get("with_servers", "false"), "with_servers")
    out = []
    for svc in computes:
        body = render_hypervisor(ctx, svc, detail)
        if with_servers:
            body["servers"] = _servers_on_host(svc["host"])
        out.append(body)
    return {"hypervisors": out}


def list_hypervisors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _hypervisors(ctx, rq, False)


def list_hypervisors_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _hypervisors(ctx, rq, True)


def _compute_by_id(ctx: Context, hypervisor_id: str) -> dict[str, Any]:
    for svc in _computes():
        if hypervisor_id in (common.hypervisor_id(svc["host"]), str(svc["number"])):
            return svc
    if ctx.version >= UUID_IDS:
        raise NotFound(f"Hypervisor with ID '{hypervisor_id}' could not be found.")
    raise NotFound(f"Compute host {hypervisor_id} could not be found.")


def show_hypervisor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"hypervisor": render_hypervisor(ctx, _compute_by_id(ctx, rq.params["hypervisor_id"]), True)}


def hypervisor_statistics(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if ctx.version >= SLIM_HYPERVISORS:
        raise NotFound("The resource could not be found.")
    keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "free_ram_mb",
            "free_disk_gb", "current_workload", "running_vms", "disk_available_least")
    shown = [render_hypervisor(ctx, svc, True) for svc in _computes()]
    return {"hypervisor_statistics": {"count": len(shown), **{k: sum(h[k] for h in shown) for k in keys}}}


# --- os-hosts (gone after 2.42) and hypervisor servers/search --------------------------
HOSTS_LAST = V("2.42", "the last version with os-hosts")
LEGACY_HYPERVISOR = V("2.52", "the last version with /os-hypervisors/{pattern}/search and /servers")


def _known_host(host: str) -> str:
    if not _services("nova-compute", host):
        raise NotFound(f"Compute host {host} could not be found.")
    return host


def list_hosts(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        zones = common.host_zones(conn)
    shown = [{"host_name": r["host"], "service": r["binary"].split("-", 1)[1], "zone": _zone(r, zones)}
             for r in _services()]
    if rq.query.get("zone"):
        shown = [h for h in shown if h["zone"] == rq.query["zone"]]
    return {"hosts": shown}


def show_host(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    host = _known_host(rq.params["host"])
    cap, used = _usage(host)
    rows = [("(total)", cap["vcpus"], cap["memory_mb"], cap["local_gb"]),
            ("(used_now)", used["vcpus_used"], used["memory_mb_used"], used["local_gb_used"]),
            ("(used_max)", used["vcpus_used"], used["memory_mb_used"] - 512, used["local_gb_used"])]
    return {"host": [{"resource": {"host": host, "project": p, "cpu": c, "memory_mb": m, "disk_gb": d}}
                     for p, c, m, d in rows]}


HOST_UPDATE = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "status": {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"]},
    "maintenance_mode": {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"]}}}


def update_host(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"host": _known_host(rq.params["host"])}
    if "status" in rq.body:
        out["status"] = rq.body["status"].lower() + "d"
    if "maintenance_mode" in rq.body:
        out["maintenance_mode"] = "on_maintenance" if rq.body["maintenance_mode"].lower() == "enable" \
            else "off_maintenance"
    return out


def host_power_action(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"host": _known_host(rq.params["host"]), "power_action": rq.path.rstrip("/").rsplit("/", 1)[-1]}


def _servers_on_host(host: str) -> list[dict[str, str]]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(t.servers.c.id, t.servers.c.instance_name).where(
            t.servers.c.deleted.is_(False), t.servers.c.host == host)).all()
    return [{"uuid": r.id, "name": r.instance_name} for r in rows]


def search_hypervisors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"hypervisors": [render_hypervisor(ctx, svc, False) for svc in _matching(rq.params["pattern"])]}


def hypervisor_servers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    out = []
    for svc in _matching(rq.params["pattern"]):
        servers = _servers_on_host(svc["host"])
        out.append({**render_hypervisor(ctx, svc, False), **({"servers": servers} if servers else {})})
    return {"hypervisors": out}


def hypervisor_uptime(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    svc = _compute_by_id(ctx, rq.params["hypervisor_id"])
    if ctx.version >= SLIM_HYPERVISORS:
        raise NotFound("The resource could not be found.")
    return {"hypervisor": {**render_hypervisor(ctx, svc, False),
                           "uptime": drivers.current().host_uptime()}}


# --- extensions ------------------------------------------------------------------------
# nova/api/openstack/compute/extension_info.py EXTENSION_LIST, kept as data
EXTENSIONS = json.loads((Path(__file__).parent / "extensions.json").read_text())


def list_extensions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"extensions": EXTENSIONS}


def show_extension(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    for ext in EXTENSIONS:
        if ext["alias"] == rq.params["alias"]:
            return {"extension": ext}
    raise NotFound("The resource could not be found.")


H = "/v2.1/os-hypervisors"
P = "os_compute_api:"
ROUTES = [
    route("GET", "/v2.1/os-availability-zone", list_zones, policy=P + "os-availability-zone:list"),
    route("GET", "/v2.1/os-availability-zone/detail", list_zones_detail, policy=P + "os-availability-zone:detail"),
    route("GET", "/v2.1/os-services", list_services, policy=P + "os-services:list"),
    route("PUT", "/v2.1/os-services/{service_id}", update_service, policy=P + "os-services:update",
          body=SERVICE_UPDATE, min_version=UUID_IDS),
    route("GET", H, list_hypervisors, policy=P + "os-hypervisors:list"),
    route("GET", H + "/detail", list_hypervisors_detail, policy=P + "os-hypervisors:list-detail"),
    route("GET", H + "/statistics", hypervisor_statistics, policy=P + "os-hypervisors:statistics"),
    route("GET", H + "/{hypervisor_id}", show_hypervisor, policy=P + "os-hypervisors:show"),
    route("GET", H + "/{hypervisor_id}/uptime", hypervisor_uptime, policy=P + "os-hypervisors:uptime"),
    route("GET", H + "/{pattern}/search", search_hypervisors, policy=P + "os-hypervisors:search",
          max_version=LEGACY_HYPERVISOR),
    route("GET", H + "/{pattern}/servers", hypervisor_servers, policy=P + "os-hypervisors:servers",
          max_version=LEGACY_HYPERVISOR),
    route("GET", "/v2.1/os-hosts", list_hosts, policy=P + "os-hosts:list", max_version=HOSTS_LAST),
    route("GET", "/v2.1/os-hosts/{host}", show_host, policy=P + "os-hosts:show", max_version=HOSTS_LAST),
    route("PUT", "/v2.1/os-hosts/{host}", update_host, policy=P + "os-hosts:update", body=HOST_UPDATE,
          max_version=HOSTS_LAST),
    *[route("GET", f"/v2.1/os-hosts/{{host}}/{a}", host_power_action, policy=P + f"os-hosts:{r}",
            max_version=HOSTS_LAST) for a, r in (("reboot", "reboot"), ("shutdown", "shutdown"), ("startup", "start"))],
    route("GET", "/v2.1/extensions", list_extensions, policy=P + "extensions"),
    route("GET", "/v2.1/extensions/{alias}", show_extension, policy=P + "extensions"),
]
