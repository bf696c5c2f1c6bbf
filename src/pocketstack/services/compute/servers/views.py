"""Server views: the brief and detailed server bodies per microversion (nova/api/openstack/compute/views/servers.py)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import network_api

KEYPAIR_IN_REBUILD = v.V("2.54", "rebuild takes and shows key_name")
PROGRESS = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")
ESA = "os_compute_api:os-extended-server-attributes"


def _stamp(value: Any) -> str | None:
    return value.isoformat(timespec="microseconds") if value is not None else None


def host_id(row: dict[str, Any]) -> str:
    return _host_id(row["project_id"], row["host"]) if row["host"] else ""


@functools.lru_cache(maxsize=4096)
def _host_id(project_id: str, host: str) -> str:
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def addresses(ports: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in sorted(ports, key=lambda p: p["position"]):
        entries = out.setdefault(p["network_name"], [])
        for ip in p["fixed_ips"]:
            entries.append({"version": ip["version"], "addr": ip["ip_address"], "OS-EXT-IPS:type": "fixed",
                            "OS-EXT-IPS-MAC:mac_addr": p["mac_address"]})
            for fip in ip.get("floating", []):
                entries.append({"version": 4, "addr": fip, "OS-EXT-IPS:type": "floating",
                                "OS-EXT-IPS-MAC:mac_addr": p["mac_address"]})
    return out


IDS = sa.bindparam("ids", expanding=True)
# the page loads, built once: a thousand ids go in as one expanding parameter, not a thousand coerced literals
VA = t.volume_attachments
EXTRA_QUERIES = {
    "volumes": sa.select(VA).where(VA.c.server_id.in_(IDS)).order_by(VA.c.device),
    "metadata": sa.select(t.server_metadata).where(t.server_metadata.c.server_id.in_(IDS)),
    "tags": sa.select(t.server_tags).where(t.server_tags.c.server_id.in_(IDS)).order_by(t.server_tags.c.tag),
    "ports": sa.select(t.server_ports).where(t.server_ports.c.server_id.in_(IDS)),
    "groups": sa.select(t.server_group_members).where(t.server_group_members.c.server_id.in_(IDS)),
}


class Extras:
    """What a page of servers needs besides their rows, loaded in one query per table."""

    def __init__(self, conn: Connection, server_ids: list[str]) -> None:
        self.metadata: dict[str, dict[str, str]] = {s: {} for s in server_ids}
        self.tags: dict[str, list[str]] = {s: [] for s in server_ids}
        self.ports: dict[str, list[dict[str, Any]]] = {s: [] for s in server_ids}
        self.groups: dict[str, list[str]] = {s: [] for s in server_ids}
        self.volumes: dict[str, list[dict[str, Any]]] = {s: [] for s in server_ids}
        self.security_groups: dict[str, list[str]] = {}
        self._allowed: dict[tuple[str, str], bool] = {}
        if not server_ids:
            return
        ids = {"ids": server_ids}
        for r in db.dicts(conn.execute(EXTRA_QUERIES["volumes"], ids)):
            self.volumes[r["server_id"]].append(r)
        for r in conn.execute(EXTRA_QUERIES["metadata"], ids):
            self.metadata[r.server_id][r.key] = r.value
        for r in conn.execute(EXTRA_QUERIES["tags"], ids):
            self.tags[r.server_id].append(r.tag)
        for r in db.dicts(conn.execute(EXTRA_QUERIES["ports"], ids)):
            self.ports[r["server_id"]].append(r)
        for r in conn.execute(EXTRA_QUERIES["groups"], ids):
            self.groups[r.server_id].append(r.group_id)

    def can(self, ctx: Context, rule_name: str, project_id: str) -> bool:
        """A soft policy check on a server's project, asked once per project of the page, not per server."""
        key = (rule_name, project_id)
        if key not in self._allowed:
            self._allowed[key] = common.can(ctx, rule_name, {"project_id": project_id})
        return self._allowed[key]

    def load_security_groups(self, token: str | None, server_ids: list[str]) -> None:
        """From the network service, outside any transaction (its ports' groups, as nova shows them)."""
        self.security_groups.update(network_api.instances_security_groups(
            token, [s for s in server_ids if self.ports.get(s)]))


def render_brief(ctx: Context, rq: ApiRequest, row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "links": common.links(ctx, rq, "servers", row["id"])}


def _image(ctx: Context, rq: ApiRequest, row: dict[str, Any]) -> Any:
    if not row["image_id"]:
        return ""
    base = f"{ctx.base_url}{rq.service_prefix}"
    image = {"id": row["image_id"], "links": [{"rel": "bookmark", "href": f"{base}/images/{row['image_id']}"}]}
    if ctx.version >= v.IMAGE_PROPERTIES:
        image["properties"] = row.get("image_properties") or {}
    return image


def _flavor(ctx: Context, rq: ApiRequest, row: dict[str, Any], specs: bool) -> dict[str, Any]:
    flavor = row["flavor"]
    if ctx.version < v.FLAVOR_EMBEDDED:
        base = f"{ctx.base_url}{rq.service_prefix}"
        return {"id": row["flavor_id"], "links": [{"rel": "bookmark", "href": f"{base}/flavors/{row['flavor_id']}"}]}
    out = {k: flavor[k] for k in ("vcpus", "ram", "disk", "ephemeral", "swap", "original_name")}
    if specs:
        out["extra_specs"] = flavor.get("extra_specs", {})
    return out


def render_server(ctx: Context, rq: ApiRequest, row: dict[str, Any], extras: Extras, *,
                  show_groups: bool = False, partial: bool = False, rebuild: bool = False) -> dict[str, Any]:
    """`partial`: the reduced body PUT and rebuild answered before 2.75 (nova's show_* flags off)."""
    sid, status = row["id"], common.status_of(row["vm_state"], row["task_state"])
    project = row["project_id"]
    body: dict[str, Any] = {
        "accessIPv4": row["access_ipv4"], "accessIPv6": row["access_ipv6"],
        "addresses": _addresses(extras.ports[sid], partial), "created": isotime(row["created_at"]),
        "flavor": _flavor(ctx, rq, row, extras.can(ctx, "os_compute_api:servers:show:flavor-extra-specs", project)),
        "hostId": host_id(row), "id": sid, "image": _image(ctx, rq, row),
        "links": common.links(ctx, rq, "servers", sid), "metadata": extras.metadata[sid], "name": row["name"],
        "status": status, "tenant_id": row["project_id"], "user_id": row["user_id"],
        "updated": isotime(row["updated_at"] or row["created_at"]), "OS-DCF:diskConfig": row["disk_config"]}
    if status in ("ERROR", "DELETED") and row["fault"]:
        fault = dict(row["fault"])
        if fault.get("code") == 500 and not ctx.is_admin:
            fault.pop("details", None)
        body["fault"] = fault
    if status in PROGRESS:
        body["progress"] = row["progress"]
    if not partial:
        body["OS-EXT-AZ:availability_zone"] = row["availability_zone"] or ""
        body["config_drive"] = row["config_drive"]
    if not partial or (rebuild and ctx.version >= KEYPAIR_IN_REBUILD):
        body["key_name"] = row["key_name"]
    if not partial:
        body["OS-SRV-USG:launched_at"] = _stamp(row["launched_at"])
        body["OS-SRV-USG:terminated_at"] = _stamp(row["terminated_at"])
    if extras.security_groups.get(sid) and not partial:
        body["security_groups"] = [{"name": g} for g in extras.security_groups[sid]]
    extended = not partial and extras.can(ctx, ESA, project)
    if extended:
        body.update({"OS-EXT-SRV-ATTR:host": row["host"], "OS-EXT-SRV-ATTR:instance_name": row["instance_name"],
                     "OS-EXT-SRV-ATTR:hypervisor_hostname": row["host"]})
        if ctx.version >= v.EXTENDED_ATTRS:
            body.update({"OS-EXT-SRV-ATTR:hostname": row["hostname"], "OS-EXT-SRV-ATTR:kernel_id": "",
                         "OS-EXT-SRV-ATTR:launch_index": row["launch_index"], "OS-EXT-SRV-ATTR:ramdisk_id": "",
                         "OS-EXT-SRV-ATTR:reservation_id": row["reservation_id"],
                         "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda"})
            if not rebuild:
                body["OS-EXT-SRV-ATTR:user_data"] = row["user_data"]
    if not partial:
        _extended_status(ctx, body, row, extras.volumes[sid])
    _versioned(ctx, body, row, extras, partial, show_groups, extended)
    return body


def _addresses(ports: list[dict[str, Any]], partial: bool) -> dict[str, list[dict[str, Any]]]:
    full = addresses(ports)
    if not partial:
        return full
    return {net: [{"version": a["version"], "addr": a["addr"]} for a in items] for net, items in full.items()}


def _extended_status(ctx: Context, body: dict[str, Any], row: dict[str, Any], vols: list[dict[str, Any]]) -> None:
    body.update({"OS-EXT-STS:task_state": row["task_state"], "OS-EXT-STS:vm_state": row["vm_state"],
                 "OS-EXT-STS:power_state": row["power_state"],
                 "os-extended-volumes:volumes_attached": [
                     {"id": a["volume_id"], **({"delete_on_termination": a["delete_on_termination"]}
                                               if ctx.version >= v.EXTENDED_ATTRS else {})}
                     for a in vols]})


def _versioned(ctx: Context, body: dict[str, Any], row: dict[str, Any], extras: Extras, partial: bool,
               show_groups: bool, extended: bool) -> None:
    sid = row["id"]
    if ctx.version >= v.LOCKED_FIELD:
        body["locked"] = bool(row["locked"])
    if ctx.version >= v.FLAVOR_HOST_STATUS and not partial and \
            extras.can(ctx, "os_compute_api:servers:show:host_status", row["project_id"]):
        body["host_status"] = "UP" if row["host"] else ""
    if ctx.version >= v.SERVER_DESCRIPTION:
        body["description"] = row["description"]
    if ctx.version >= v.SERVER_TAGS:
        body["tags"] = extras.tags[sid]
    if ctx.version >= v.TRUSTED_CERTS:
        body["trusted_image_certificates"] = row["trusted_certs"]
    if show_groups and ctx.version >= v.SERVER_GROUPS_IN_SHOW:
        body["server_groups"] = extras.groups[sid]
    if ctx.version >= v.LOCKED_REASON:
        body["locked_reason"] = row["locked_reason"]
    if ctx.version >= v.HOSTNAME and not extended:
        body["OS-EXT-SRV-ATTR:hostname"] = row["hostname"]
    if ctx.version >= v.PINNED_AZ and not partial:
        body["pinned_availability_zone"] = row["requested_az"]
    if ctx.version >= v.SCHEDULER_HINTS:
        body["scheduler_hints"] = row.get("scheduler_hints") or {}


def show_body(ctx: Context, rq: ApiRequest, server_id: str, *, changed: str | None = None) -> dict[str, Any]:
    """GET /servers/{id}; `changed` ('update' or 'rebuild'): the body those answer with (partial before 2.75)."""
    with db.reader() as conn:
        row = common.load_server(conn, ctx, server_id)
        extras = Extras(conn, [row["id"]])
    partial = changed is not None and ctx.version < v.SERVER_FIELDS_ALWAYS
    if not partial:
        extras.load_security_groups(ctx.token, [row["id"]])
    body = render_server(ctx, rq, row, extras, show_groups=True, partial=partial, rebuild=changed == "rebuild")
    if changed == "rebuild" and ctx.version >= USER_DATA_IN_REBUILD:
        body["user_data"] = row["user_data"]
    return body


USER_DATA_IN_REBUILD = v.V("2.57", "rebuild takes user_data and shows it")
