"""The one compute host as the API shows it: availability zones, hypervisors, services, extensions
(api-ref: compute, Availability zones; Hypervisors; Compute services; Extensions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import placement_api

CPU_INFO_OBJECT = V("2.28", "hypervisor cpu_info is an object, not a JSON string")
UUID_IDS = V("2.53", "services and hypervisors are identified by UUID")
SLIM_HYPERVISORS = V("2.88", "hypervisors drop the resource fields and statistics")
FORCED_DOWN = V("2.11", "services show forced_down")
SERVICES = [  # (uuid, legacy id, binary, zone)
    ("6e0b1c6e-4f21-4d7a-9d6f-0c7f3a5d1e01", 1, "nova-scheduler", "internal"),
    ("6e0b1c6e-4f21-4d7a-9d6f-0c7f3a5d1e02", 2, "nova-conductor", "internal"),
    ("6e0b1c6e-4f21-4d7a-9d6f-0c7f3a5d1e03", 3, "nova-compute", common.DEFAULT_AZ),
]


def _now() -> str | None:
    return isotime(utcnow(), subsecond=True, suffix="")


# --- availability zones ----------------------------------------------------------------
def list_zones(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        names = sorted(common.zones(conn))
    return {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None}
                                     for z in names]}


def list_zones_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    zones: dict[str, dict[str, Any]] = {}
    for _, _, binary, zone in SERVICES:
        hosts = zones.setdefault(zone, {}).setdefault(common.HOST, {})
        hosts[binary] = {"available": True, "active": True, "updated_at": _now()}
    return {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": h}
                                     for z, h in sorted(zones.items())]}


# --- services --------------------------------------------------------------------------
def render_service(ctx: Context, svc: tuple[str, int, str, str]) -> dict[str, Any]:
    uuid, legacy, binary, zone = svc
    body: dict[str, Any] = {"id": uuid if ctx.version >= UUID_IDS else legacy, "binary": binary, "host": common.HOST,
                            "zone": zone, "status": "enabled", "state": "up", "updated_at": _now(),
                            "disabled_reason": None}
    if ctx.version >= FORCED_DOWN:
        body["forced_down"] = False
    return body


def list_services(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    shown = [s for s in SERVICES
             if rq.query.get("binary") in (None, s[2]) and rq.query.get("host") in (None, common.HOST)]
    return {"services": [render_service(ctx, s) for s in shown]}


# --- hypervisors -----------------------------------------------------------------------
def _usage() -> tuple[dict[str, int], dict[str, int]]:
    """Capacity and usage from the host's resource provider in Placement (what the scheduler sees)."""
    inv, used = placement_api.host_usage()
    with db.reader() as conn:
        running = conn.execute(sa.select(sa.func.count()).select_from(t.servers).where(
            t.servers.c.deleted.is_(False), t.servers.c.host == common.HOST)).scalar_one()
    cap = {"vcpus": inv["VCPU"]["total"], "memory_mb": inv["MEMORY_MB"]["total"],
           "local_gb": inv["DISK_GB"]["total"]}
    return cap, {"vcpus_used": used.get("VCPU", 0),
                 "memory_mb_used": inv["MEMORY_MB"]["reserved"] + used.get("MEMORY_MB", 0),
                 "local_gb_used": inv["DISK_GB"]["reserved"] + used.get("DISK_GB", 0), "running_vms": running}


def render_hypervisor(ctx: Context, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": common.HYPERVISOR_ID if ctx.version >= UUID_IDS else 1,
                            "hypervisor_hostname": common.HOST, "state": "up", "status": "enabled"}
    if not detail:
        return body
    host = drivers.current().host_resources()
    body.update({"hypervisor_type": host.hypervisor_type, "hypervisor_version": host.hypervisor_version,
                 "host_ip": "127.0.0.1",
                 "service": {"host": common.HOST, "id": SERVICES[2][0] if ctx.version >= UUID_IDS else 3,
                             "disabled_reason": None}})
    if ctx.version >= SLIM_HYPERVISORS:
        body["uptime"] = None
        return body
    cap, used = _usage()
    body.update({"vcpus": cap["vcpus"], "memory_mb": cap["memory_mb"], "local_gb": cap["local_gb"], **used,
                 "free_ram_mb": cap["memory_mb"] - used["memory_mb_used"],
                 "free_disk_gb": cap["local_gb"] - used["local_gb_used"], "current_workload": 0,
                 "disk_available_least": cap["local_gb"] - used["local_gb_used"],
                 "cpu_info": host.cpu_info if ctx.version >= CPU_INFO_OBJECT else json.dumps(host.cpu_info)})
    return body


def _hypervisors(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    body = render_hypervisor(ctx, detail)
    if ctx.version >= UUID_IDS:
        pattern = rq.query.get("hypervisor_hostname_pattern")
        if pattern is not None and pattern not in common.HOST:
            raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
        if common.to_bool(rq.query.get("with_servers", "false"), "with_servers"):
            body["servers"] = _servers_on_host()
    return {"hypervisors": [body]}


def list_hypervisors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _hypervisors(ctx, rq, False)


def list_hypervisors_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _hypervisors(ctx, rq, True)


def show_hypervisor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["hypervisor_id"] not in (common.HYPERVISOR_ID, "1"):
        if ctx.version >= UUID_IDS:
            raise NotFound(f"Hypervisor with ID '{rq.params['hypervisor_id']}' could not be found.")
        raise NotFound(f"Compute host {rq.params['hypervisor_id']} could not be found.")
    return {"hypervisor": render_hypervisor(ctx, True)}


def hypervisor_statistics(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if ctx.version >= SLIM_HYPERVISORS:
        raise NotFound("The resource could not be found.")
    h = render_hypervisor(ctx, True)
    keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "free_ram_mb",
            "free_disk_gb", "current_workload", "running_vms", "disk_available_least")
    return {"hypervisor_statistics": {"count": 1, **{k: h[k] for k in keys}}}


# --- os-hosts (gone after 2.42) and hypervisor servers/search --------------------------
HOSTS_LAST = V("2.42", "the last version with os-hosts")
LEGACY_HYPERVISOR = V("2.52", "the last version with /os-hypervisors/{pattern}/search and /servers")


def list_hosts(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    hosts = [{"host_name": common.HOST, "service": binary.split("-", 1)[1], "zone": zone}
             for _, _, binary, zone in SERVICES]
    if rq.query.get("zone"):
        hosts = [h for h in hosts if h["zone"] == rq.query["zone"]]
    return {"hosts": hosts}


def show_host(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["host"] != common.HOST:
        raise NotFound(f"Compute host {rq.params['host']} could not be found.")
    cap, used = _usage()
    rows = [("(total)", cap["vcpus"], cap["memory_mb"], cap["local_gb"]),
            ("(used_now)", used["vcpus_used"], used["memory_mb_used"], used["local_gb_used"]),
            ("(used_max)", used["vcpus_used"], used["memory_mb_used"] - 512, used["local_gb_used"])]
    return {"host": [{"resource": {"host": common.HOST, "project": p, "cpu": c, "memory_mb": m, "disk_gb": d}}
                     for p, c, m, d in rows]}


HOST_UPDATE = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "status": {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"]},
    "maintenance_mode": {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"]}}}


def update_host(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["host"] != common.HOST:
        raise NotFound(f"Compute host {rq.params['host']} could not be found.")
    out: dict[str, Any] = {"host": common.HOST}
    if "status" in rq.body:
        out["status"] = rq.body["status"].lower() + "d"
    if "maintenance_mode" in rq.body:
        out["maintenance_mode"] = "on_maintenance" if rq.body["maintenance_mode"].lower() == "enable" \
            else "off_maintenance"
    return out


def host_power_action(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["host"] != common.HOST:
        raise NotFound(f"Compute host {rq.params['host']} could not be found.")
    return {"host": common.HOST, "power_action": rq.path.rstrip("/").rsplit("/", 1)[-1]}


def _servers_on_host() -> list[dict[str, str]]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(t.servers.c.id, t.servers.c.instance_name).where(
            t.servers.c.deleted.is_(False), t.servers.c.host == common.HOST)).all()
    return [{"uuid": r.id, "name": r.instance_name} for r in rows]


def search_hypervisors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["pattern"] not in common.HOST:
        raise NotFound(f"No hypervisor matching '{rq.params['pattern']}' could be found.")
    return {"hypervisors": [render_hypervisor(ctx, False)]}


def hypervisor_servers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["pattern"] not in common.HOST:
        raise NotFound(f"No hypervisor matching '{rq.params['pattern']}' could be found.")
    servers = _servers_on_host()
    return {"hypervisors": [{**render_hypervisor(ctx, False), **({"servers": servers} if servers else {})}]}


def hypervisor_uptime(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    show_hypervisor(ctx, rq)
    if ctx.version >= SLIM_HYPERVISORS:
        raise NotFound("The resource could not be found.")
    return {"hypervisor": {**render_hypervisor(ctx, False),
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
