"""Discovery and the cloud's own description: versions at /volume/ and /volume/v3/, extensions, limits,
availability zones, services, pools and backend capabilities, resource filters (api-ref: block-storage
v3, API versions; API extensions; Limits; Availability zones; Services; Back-end storage pools;
Capabilities for storage back ends; Resource Filters)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, hosts
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.policy import ANY_USER, PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import services as services_table
from pocketstack.services.block_storage.tables import snapshots, volumes

UPDATED = "2023-08-31T00:00:00Z"
EXTENSIONS = [
    ("os-admin-actions", "AdminActions", "Enable admin actions."),
    ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones."),
    ("backups", "Backups", "Backups support."), ("capabilities", "Capabilities", "Capabilities support."),
    ("os-extended-services", "ExtendedServices", "Extended services support."),
    ("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes", "Extended SnapshotAttributes support."),
    ("os-hosts", "Hosts", "Admin-only host administration."),
    ("os-quota-sets", "Quotas", "Quota management support."),
    ("os-snapshot-actions", "SnapshotActions", "Enable snapshot manager actions."),
    ("os-snapshot-manage", "SnapshotManage", "Allows existing backend storage to be 'managed' by Cinder."),
    ("os-snapshot-unmanage", "SnapshotUnmanage", "Enable volume unmanage operation."),
    ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."),
    ("os-types-manage", "TypesManage", "Types manage support."),
    ("os-used-limits", "UsedLimits", "Provide data on limited resources that are being used."),
    ("os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume."),
    ("os-vol-image-meta", "VolumeImageMetadata", "Show image metadata associated with the volume."),
    ("os-vol-mig-status-attr", "VolumeMigStatusAttribute", "Expose migration_status as an attribute of a volume."),
    ("os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an attribute of a volume."),
    ("os-volume-actions", "VolumeActions", "Enable volume actions."),
    ("os-volume-manage", "VolumeManage", "Allows existing backend storage to be 'managed' by Cinder."),
    ("os-volume-type-access", "VolumeTypeAccess", "Volume type access support."),
    ("os-volume-unmanage", "VolumeUnmanage", "Enable volume unmanage operation."),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
    ("OS-SCH-HNT", "Scheduler_hints", "Pass arbitrary key/value pairs to the scheduler."),
]
RESOURCE_FILTERS = {"volume": ["name", "status", "metadata", "bootable", "migration_status", "availability_zone",
                               "group_id", "size", "created_at", "updated_at"],
                    "backup": ["name", "status", "volume_id"],
                    "snapshot": ["name", "status", "volume_id", "metadata", "availability_zone"],
                    "attachment": ["volume_id", "status", "instance_id", "attach_status"]}


# --- views ---------------------------------------------------------------------------------
def versions_body(ctx: Context) -> dict[str, Any]:
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": str(v.MAX), "min_version": str(v.MIN), "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{ctx.base_url}/volume/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]}


def list_versions(ctx: Context, rq: ApiRequest) -> Any:
    return json_response(300, versions_body(ctx))


def show_version(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return versions_body(ctx)


def list_extensions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    updated = "2013-04-18T00:00:00+00:00"
    return {"extensions": [{"alias": a, "name": n, "description": d, "links": [], "updated": updated}
                           for a, n, d in EXTENSIONS]}


def show_limits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project = ctx.project_id or ""
    if ctx.is_admin and rq.query.get("project_id") and common.version_at_least(ctx, v.V("3.39")):
        project = rq.query["project_id"]
    with db.reader() as conn:
        limits, usage = common.quota_limits(conn, project), common.quota_usage(conn, project)
    absolute = {"maxTotalVolumes": limits["volumes"], "maxTotalSnapshots": limits["snapshots"],
                "maxTotalVolumeGigabytes": limits["gigabytes"], "maxTotalBackups": limits["backups"],
                "maxTotalBackupGigabytes": limits["backup_gigabytes"]}
    if common.check(ctx, "limits_extension:used_limits"):
        absolute.update(totalVolumesUsed=usage["volumes"], totalGigabytesUsed=usage["gigabytes"],
                        totalSnapshotsUsed=usage["snapshots"], totalBackupsUsed=usage["backups"],
                        totalBackupGigabytesUsed=usage["backup_gigabytes"])
    return {"limits": {"rate": [], "absolute": absolute}}


def list_availability_zones(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"availabilityZoneInfo": [{"zoneName": common.AZ, "zoneState": {"available": True}}]}


def _services(ctx: Context) -> list[dict[str, Any]]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(services_table).order_by(services_table.c.binary)).mappings().all()
    beats = {(r["host"], r["binary"]): r for r in hosts.rows() if r["binary"].startswith("cinder-")}
    out = []
    for row in rows:
        beat = beats.get((row["host"], row["binary"]))
        svc: dict[str, Any] = {"binary": row["binary"], "host": row["host"], "zone": common.AZ,
                               "status": "disabled" if row["disabled"] else "enabled",
                               "state": "up" if beat is not None and hosts.is_up(beat) else "down",
                               "updated_at": common.ts((beat or {}).get("last_seen_up") or row["updated_at"]
                                                       or utcnow()),
                               "disabled_reason": row["disabled_reason"]}
        if row["binary"] == "cinder-volume":
            svc.update(replication_status="disabled", active_backend_id=None, frozen=bool(row["frozen"]))
            if common.version_at_least(ctx, v.V("3.49")):
                svc["backend_state"] = svc["state"]
        if common.version_at_least(ctx, v.V("3.7")):
            svc["cluster"] = None
        out.append(svc)
    return out


def list_services(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = _services(ctx)
    if rq.query.get("host"):   # quirk: a host matches its backends too (host@backend)
        items = [s for s in items if rq.query["host"] in (s["host"], s["host"].split("@")[0])]
    if rq.query.get("binary"):
        items = [s for s in items if s["binary"] == rq.query["binary"]]
    return {"services": items}


SERVICE_ACTION = {"type": "object", "properties": {
    "host": {"type": "string", "minLength": 1, "maxLength": 255}, "binary": {"type": "string"},
    "service": {"type": "string"}, "disabled_reason": {"type": ["string", "null"], "maxLength": 255},
    "cluster": {"type": ["string", "null"]}, "level": {"type": "string"}, "prefix": {"type": "string"},
    "server": {"type": "string"}}}


def update_service(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    action, body = rq.params["action"], rq.body or {}
    if action in ("set-log", "get-log"):
        return {} if action == "set-log" else {"log_levels": [{"host": h, "binary": b, "levels": {"cinder": "INFO"}}
                                                              for h, b in common.SERVICES]}
    host, binary = body.get("host"), body.get("binary") or body.get("service") or ""
    if action not in ("enable", "disable", "disable-log-reason", "freeze", "thaw"):
        raise NotFound("Unknown action")
    if not host:
        raise BadRequest("Invalid input received: 'host' is a required property")
    if action == "disable-log-reason" and not (body.get("disabled_reason") or "").strip():
        raise BadRequest("Invalid input received: disabled_reason is required and may not be blank.")
    with db.session() as conn:
        if action in ("freeze", "thaw"):
            stmt = services_table.update().where(services_table.c.host == host,
                                                 services_table.c.binary == "cinder-volume")
            if conn.execute(stmt.values(frozen=action == "freeze", updated_at=utcnow())).rowcount == 0:
                raise BadRequest(f"Invalid input received: Invalid host {host}: no volume service on it.")
            return {}
        disabled = action != "enable"
        reason = body.get("disabled_reason") if action == "disable-log-reason" else None
        done = conn.execute(services_table.update().where(services_table.c.host == host,
                                                          services_table.c.binary == binary).values(
            disabled=disabled, disabled_reason=reason, updated_at=utcnow()))
        if done.rowcount == 0:
            raise NotFound(f"Service {binary} on host {host} could not be found.")
    result = {"host": host, "service": body.get("service", ""), "binary": body.get("binary", ""),
              "status": "disabled" if disabled else "enabled", "disabled": disabled}
    if action == "disable-log-reason":
        result["disabled_reason"] = reason
    return result


def _capacity(pool: str) -> tuple[int, int]:
    with db.reader() as conn:
        allocated = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(volumes.c.size), 0)).where(
            volumes.c.host == pool)).scalar_one())
    total = 1000
    return total, allocated


def list_pools(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """A pool per backend of every host whose volume service is registered (cinder's get_pools)."""
    detail = common.bool_param(rq.query.get("detail", "false"), "detail")
    pools = []
    for host in _volume_hosts():
        backend = common.backend_of(host) or common.BACKEND
        pool: dict[str, Any] = {"name": f"{host}#{backend}"}
        if detail:
            total, allocated = _capacity(f"{host}#{backend}")
            pool["capabilities"] = {
                "pool_name": backend, "total_capacity_gb": total, "free_capacity_gb": total - allocated,
                "allocated_capacity_gb": allocated, "provisioned_capacity_gb": allocated,
                "volume_backend_name": backend, "storage_protocol": common.CAPABILITIES["storage_protocol"],
                "vendor_name": "Open Source",
                "driver_version": "3.0.0", "reserved_percentage": 0, "QoS_support": False,
                "thin_provisioning_support": True, "thick_provisioning_support": False,
                "max_over_subscription_ratio": "20.0", "multiattach": True, "backend_state": "up",
                "timestamp": common.ts(utcnow())}
        pools.append(pool)
    return {"pools": pools}


def _volume_hosts() -> list[str]:
    """`HOST@BACKEND` of each cinder-volume service of the cloud (this host's first)."""
    with db.reader() as conn:
        rows = [h for h, in conn.execute(sa.select(services_table.c.host).where(
            services_table.c.binary == "cinder-volume").order_by(services_table.c.host)).all()]
    own = [h for h, b in common.SERVICES if b == "cinder-volume"]
    return own + [h for h in rows if h not in own]


def show_capabilities(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    host = rq.params["host"].split("#")[0]
    if host not in _volume_hosts():
        raise NotFound(f"Service {rq.params['host']} could not be found.")
    return {"namespace": f"OS::Storage::Capabilities::{host}", "vendor_name": "Open Source",
            "volume_backend_name": common.backend_of(host), "pool_name": None, "driver_version": "3.0.0",
            "storage_protocol": common.CAPABILITIES["storage_protocol"], "display_name": None, "description": None,
            "visibility": None,
            "replication_targets": [], "properties": {
                "compression": {"title": "Compression", "description": "Enables compression.", "type": "boolean"},
                "thin_provisioning": {"title": "Thin Provisioning", "description": "Sets thin provisioning.",
                                      "type": "boolean"}}}


def list_resource_filters(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    wanted = rq.query.get("resource")
    return {"resource_filters": [{"resource": r, "filters": f} for r, f in RESOURCE_FILTERS.items()
                                 if wanted in (None, r)]}


def show_host(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    host = rq.params["host"]
    if host not in [h for h, b in common.SERVICES if b == "cinder-volume"]:
        raise NotFound(f"Host {host} could not be found.")
    with db.reader() as conn:
        per_project = conn.execute(sa.select(volumes.c.project_id, sa.func.count(), sa.func.sum(volumes.c.size))
                                   .group_by(volumes.c.project_id)).all()
        snaps = dict(conn.execute(sa.select(snapshots.c.project_id, sa.func.count()).group_by(
            snapshots.c.project_id)).all())
        snap_gb = dict(conn.execute(sa.select(snapshots.c.project_id, sa.func.sum(snapshots.c.size)).group_by(
            snapshots.c.project_id)).all())

    def resource(project: str, count: int, gb: int, scount: int, sgb: int) -> dict[str, Any]:
        return {"resource": {"volume_count": str(count), "total_volume_gb": str(gb), "snapshot_count": str(scount),
                             "total_snapshot_gb": str(sgb), "project": project, "host": host}}

    rows = [resource(p, c, int(g or 0), snaps.get(p, 0), int(snap_gb.get(p) or 0)) for p, c, g in per_project]
    total = resource("(total)", sum(c for _, c, _ in per_project), sum(int(g or 0) for _, _, g in per_project),
                     sum(snaps.values()), sum(int(x or 0) for x in snap_gb.values()))
    return {"host": [total, *rows]}


def list_hosts(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"hosts": [{"service": s["binary"], "host_name": s["host"], "zone": s["zone"], "service-status":
                       "available", "service-state": s["status"], "last-update": s["updated_at"]}
                      for s in _services(ctx)]}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v3", show_version, policy=PUBLIC, auth=False),
    *routes("GET", "/extensions", list_extensions, policy=ANY_USER),
    *routes("GET", "/limits", show_limits, policy=ANY_USER),
    *routes("GET", "/os-availability-zone", list_availability_zones, policy=ANY_USER),
    *routes("GET", "/os-services", list_services, policy="volume_extension:services:index"),
    *routes("PUT", "/os-services/{action}", update_service, policy="volume_extension:services:update",
            body=SERVICE_ACTION),
    *routes("GET", "/scheduler-stats/get_pools", list_pools, policy="scheduler_extension:scheduler_stats:get_pools"),
    *routes("GET", "/capabilities/{host}", show_capabilities, policy="volume_extension:capabilities"),
    *routes("GET", "/resource_filters", list_resource_filters, policy=ANY_USER, min_version=v.V("3.33")),
    *routes("GET", "/os-hosts", list_hosts, policy="volume_extension:hosts"),
    *routes("GET", "/os-hosts/{host}", show_host, policy="volume_extension:hosts"),
]
