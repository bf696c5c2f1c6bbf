"""Nova's notifications about servers: versioned ones (nova/notifications/objects/instance.py,
InstanceActionPayload 1.9 and InstanceCreatePayload 1.13, on versioned_notifications.info from
nova-compute:<host>) and the legacy unversioned compute.instance.* ones (nova/notifications/base.py
info_from_instance, on notifications.info from compute.<host>)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, notifications
from pocketstack.core.clock import isotime
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t

# nova/objects/fields.py InstancePowerState
POWER_STATES = {common.NOSTATE: "pending", common.RUNNING: "running", common.PAUSED: "paused",
                common.SHUTDOWN: "shutdown", common.CRASHED: "crashed", common.SUSPENDED: "suspended"}
LEGACY = {"create.end", "delete.start", "delete.end", "power_off.start", "power_off.end", "power_on.start",
          "power_on.end", "reboot.start", "reboot.end", "create.start"}


def nova_object(name: str, version: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"nova_object.name": name, "nova_object.namespace": "nova", "nova_object.version": version,
            "nova_object.data": data}


def _flavor(row: dict[str, Any]) -> dict[str, Any]:
    f = row["flavor"] or {}
    return nova_object("FlavorPayload", "1.4", {
        "flavorid": row["flavor_id"], "name": f.get("original_name"), "memory_mb": f.get("ram"),
        "vcpus": f.get("vcpus"), "root_gb": f.get("disk"), "ephemeral_gb": f.get("ephemeral", 0),
        "swap": f.get("swap", 0), "rxtx_factor": 1.0, "is_public": True, "disabled": False,
        "extra_specs": f.get("extra_specs") or {}, "projects": None, "vcpu_weight": 0, "description": None})


def _ips(ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [nova_object("IpPayload", "1.0", {
        "label": p["network_name"], "mac": p["mac_address"], "meta": {}, "port_uuid": p["port_id"],
        "version": ip.get("version") or (6 if ":" in ip["ip_address"] else 4), "address": ip["ip_address"],
        "device_name": f"tap{p['port_id'][:11]}"}) for p in ports for ip in p["fixed_ips"]]


def _block_devices(attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [nova_object("BlockDevicePayload", "1.0", {
        "boot_index": a["boot_index"], "delete_on_termination": a["delete_on_termination"],
        "device_name": a["device"], "tag": a["tag"], "volume_id": a["volume_id"]}) for a in attachments]


def load(server_id: str) -> dict[str, Any] | None:
    """The server row and what the payloads embed, in one read transaction."""
    with db.reader() as conn:
        row = conn.execute(sa.select(t.servers).where(t.servers.c.id == server_id)).mappings().first()
        if row is None:
            return None
        sid = t.servers.c.id
        return {
            "row": dict(row),
            "ports": [dict(p) for p in conn.execute(sa.select(t.server_ports).where(
                t.server_ports.c.server_id == server_id).order_by(t.server_ports.c.position)).mappings()],
            "attachments": [dict(a) for a in conn.execute(sa.select(t.volume_attachments).where(
                t.volume_attachments.c.server_id == server_id).order_by(t.volume_attachments.c.device))
                .mappings()],
            "metadata": {m.key: m.value for m in conn.execute(sa.select(t.server_metadata).where(
                t.server_metadata.c.server_id == server_id))},
            "tags": sorted(r.tag for r in conn.execute(sa.select(t.server_tags.c.tag).where(
                t.server_tags.c.server_id == server_id))),
            "keypairs": [dict(k) for k in conn.execute(sa.select(t.keypairs).join(
                t.servers, sa.and_(t.servers.c.key_name == t.keypairs.c.name,
                                   t.servers.c.user_id == t.keypairs.c.user_id)).where(sid == server_id))
                         .mappings()],
        }


def action_payload(ctx: dict[str, Any], s: dict[str, Any], create: bool = False) -> dict[str, Any]:
    row = s["row"]
    data: dict[str, Any] = {
        "uuid": row["id"], "user_id": row["user_id"], "tenant_id": row["project_id"],
        "reservation_id": row["reservation_id"], "display_name": row["name"],
        "display_description": row["description"], "host_name": row["hostname"], "host": row["host"],
        "node": row["host"], "os_type": None, "architecture": None,
        "availability_zone": row["availability_zone"], "flavor": _flavor(row), "image_uuid": row["image_id"],
        "key_name": row["key_name"], "kernel_id": "", "ramdisk_id": "",
        "created_at": isotime(row["created_at"]), "launched_at": isotime(row["launched_at"]),
        "terminated_at": isotime(row["terminated_at"]), "deleted_at": isotime(row["deleted_at"]),
        "updated_at": isotime(row["updated_at"]), "state": row["vm_state"],
        "power_state": POWER_STATES.get(row["power_state"], "pending"), "task_state": row["task_state"],
        "progress": row["progress"], "ip_addresses": _ips(s["ports"]),
        "block_devices": _block_devices(s["attachments"]), "metadata": s["metadata"], "locked": row["locked"],
        "auto_disk_config": row["disk_config"] or "MANUAL", "request_id": ctx.get("request_id"),
        "action_initiator_user": ctx.get("user_id"), "action_initiator_project": ctx.get("project_id"),
        "locked_reason": row["locked_reason"], "shares": [], "fault": None,
    }
    if not create:
        return nova_object("InstanceActionPayload", "1.9", data)
    data.update(keypairs=[nova_object("KeypairPayload", "1.0", {
        "user_id": k["user_id"], "name": k["name"], "fingerprint": k["fingerprint"],
        "public_key": k["public_key"], "type": k["type"]}) for k in s["keypairs"]],
        tags=s["tags"], trusted_image_certificates=row["trusted_certs"] or None,
        instance_name=row["instance_name"])
    return nova_object("InstanceCreatePayload", "1.13", data)


def legacy_payload(s: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """info_from_instance (the legacy compute.instance.* payload)."""
    row, f = s["row"], s["row"]["flavor"] or {}
    return {
        "tenant_id": row["project_id"], "user_id": row["user_id"], "instance_id": row["id"],
        "display_name": row["name"], "reservation_id": row["reservation_id"], "hostname": row["hostname"],
        "instance_type": f.get("original_name", ""), "instance_type_id": None,
        "instance_flavor_id": row["flavor_id"], "architecture": None, "memory_mb": f.get("ram"),
        "disk_gb": (f.get("disk") or 0) + (f.get("ephemeral") or 0), "vcpus": f.get("vcpus"),
        "root_gb": f.get("disk"), "ephemeral_gb": f.get("ephemeral", 0), "host": row["host"],
        "node": row["host"], "availability_zone": row["availability_zone"], "cell_name": "",
        "created_at": str(row["created_at"]), "terminated_at": isotime(row["terminated_at"], suffix=""),
        "deleted_at": isotime(row["deleted_at"], suffix=""),
        "launched_at": isotime(row["launched_at"], suffix=""),
        "image_ref_url": row["image_id"], "os_type": None, "kernel_id": "", "ramdisk_id": "",
        "state": row["vm_state"], "state_description": row["task_state"] or "",
        "progress": row["progress"] or "", "access_ip_v4": row["access_ipv4"] or None,
        "access_ip_v6": row["access_ipv6"] or None,
        "fixed_ips": [{"address": ip["ip_address"], "version": ip.get("version") or 4, "type": "fixed",
                       "label": p["network_name"], "vif_mac": p["mac_address"], "meta": {},
                       "floating_ips": []} for p in s["ports"] for ip in p["fixed_ips"]],
        "image_meta": {}, "metadata": s["metadata"], **extra,
    }


def instance(ctx: dict[str, Any], server_id: str, event: str, **legacy_extra: Any) -> None:
    """`event` is "create.start", "delete.end", "power_off.end"...: the versioned instance.<event>, and
    compute.instance.<event> where nova also sends it unversioned. Call after the commit."""
    if not notifications.enabled():
        return
    s = load(server_id)
    if s is None:
        return
    ctx = {"user_id": s["row"]["user_id"], "project_id": s["row"]["project_id"], **ctx}
    payload = action_payload(ctx, s, create=event.startswith("create."))
    notifications.notify(ctx, "compute-versioned", f"instance.{event}", payload,
                         topic="versioned_notifications", host=common.HOST)
    if event in LEGACY:
        notifications.notify(ctx, "compute", f"compute.instance.{event}", legacy_payload(s, **legacy_extra),
                             host=common.HOST)
