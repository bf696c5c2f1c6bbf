"""The query parameters each compute API takes, from the microversion on which nova's query schema
refuses any other (nova/api/openstack/compute/schemas/*.py: the `*_query_v275`, `_v253`, `_v258`,
`_v259` and, for every API left open until then, `_v2102` schemas). Below those versions unknown
parameters are ignored, as nova ignores them."""

from __future__ import annotations

from typing import Any

from pocketstack.core.routing import Route
from pocketstack.core.versions import APIVersion
from pocketstack.services.compute import versions as v

V275, V253, V258, V259 = (APIVersion(x) for x in ("2.75", "2.53", "2.58", "2.59"))
SERVERS = """access_ip_v4 access_ip_v6 all_tenants auto_disk_config availability_zone block_device_mapping
changes-before changes-since config_drive created_at deleted description display_description display_name flavor
host hostname image image_ref info_cache ip ip6 kernel_id key_name launch_index launched_at limit locked locked_by
marker metadata name node not-tags not-tags-any pci_devices power_state progress project_id ramdisk_id
reservation_id root_device_name security_groups services soft_deleted sort_dir sort_key status system_metadata
tags tags-any task_state tenant_id terminated_at user_id uuid vm_state"""
FLAVORS = "is_public limit marker minDisk minRam sort_dir sort_key"
USAGE = "end limit marker start"
HYPERVISORS = "hypervisor_hostname_pattern limit marker with_servers"
MIGRATIONS = """changes-before changes-since hidden host instance_uuid limit marker migration_type project_id
source_compute status user_id"""
R = "/v2.1"
# (method, path) -> {since: the parameter names allowed from then on}
CLOSED: dict[tuple[str, str], dict[APIVersion, str]] = {
    ("GET", R + "/servers"): {V275: SERVERS},
    ("GET", R + "/servers/detail"): {V275: SERVERS},
    ("GET", R + "/flavors"): {V275: FLAVORS, v.FLAVOR_CLEANUP: FLAVORS + " name"},
    ("GET", R + "/flavors/detail"): {V275: FLAVORS, v.FLAVOR_CLEANUP: FLAVORS + " name"},
    ("GET", R + "/os-keypairs"): {V275: "limit marker user_id"},
    ("GET", R + "/os-keypairs/{name}"): {V275: "user_id"},
    ("DELETE", R + "/os-keypairs/{name}"): {V275: "user_id"},
    ("GET", R + "/limits"): {V275: "tenant_id"},
    ("GET", R + "/os-services"): {V275: "binary host"},
    ("GET", R + "/os-server-groups"): {V275: "all_projects limit offset"},
    ("GET", R + "/os-simple-tenant-usage"): {V275: USAGE + " detailed"},
    ("GET", R + "/os-simple-tenant-usage/{project_id}"): {V275: USAGE},
    ("GET", R + "/os-quota-sets/{project_id}"): {V275: "user_id"},
    ("GET", R + "/os-quota-sets/{project_id}/detail"): {V275: "user_id"},
    ("PUT", R + "/os-quota-sets/{project_id}"): {V275: "user_id"},
    ("DELETE", R + "/os-quota-sets/{project_id}"): {V275: "user_id"},
    ("DELETE", R + "/os-assisted-volume-snapshots/{snapshot_id}"): {V275: "delete_info"},
    ("GET", R + "/os-console-auth-tokens/{console_token}"): {v.SPICE_DIRECT: ""},
    ("GET", R + "/os-hypervisors"): {V253: HYPERVISORS},
    ("GET", R + "/os-hypervisors/detail"): {V253: HYPERVISORS},
    ("GET", R + "/os-hypervisors/{hypervisor_id}"): {V253: "with_servers"},
    ("GET", R + "/os-migrations"): {V259: MIGRATIONS},
    ("GET", R + "/servers/{server_id}/os-instance-actions"): {V258: "changes-before changes-since limit marker"},
    ("GET", R + "/servers/{server_id}/os-volume_attachments"): {V275: "limit offset"},
    ("GET", R + "/servers/{server_id}/shares"): {v.SERVER_SHARES: ""},
    ("GET", R + "/servers/{server_id}/shares/{share_id}"): {v.SERVER_SHARES: ""},
}
# nova's schemas that stay open at every version (an empty schema, or none)
OPEN = {R + "/os-hypervisors/statistics", R + "/os-hypervisors/{hypervisor_id}/uptime",
        R + "/servers/{server_id}/os-volume_attachments/{volume_id}"}


def _schema(names: str, servers: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {n: {} for n in names.split()},
                              "additionalProperties": False}
    if servers:                   # nova lets a server list's `_`-prefixed parameters through
        schema["patternProperties"] = {"^_": {}}
    return schema


def apply(routes: list[Route]) -> list[Route]:
    """Give each compute route its versioned query schema (every GET still open gets one closing at 2.102)."""
    for r in routes:
        if r.query is not None or not r.path.startswith(R + "/") or r.path in OPEN or r.max_version is not None \
                or r.handler.__name__ == "_not_found":
            continue
        closed = CLOSED.get((r.method, r.path))
        if closed is None and r.method == "GET":
            closed = {v.FLAVOR_CLEANUP: ""}
        if closed:
            r.query = {since: _schema(names, r.path.startswith(R + "/servers") and names == SERVERS)
                       for since, names in closed.items()}
    return routes
