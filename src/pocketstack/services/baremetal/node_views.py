"""How a node looks on the wire at each microversion (ironic/api/controllers/v1/node.py
node_convert_with_links, node_sanitize; utils.VERSIONED_FIELDS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotAcceptable
from pocketstack.core.routing import ApiRequest
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v

BASE_FIELDS = ("uuid", "created_at", "updated_at", "chassis_uuid", "console_enabled", "driver", "driver_info",
               "extra", "instance_info", "instance_uuid", "last_error", "maintenance", "maintenance_reason",
               "power_state", "properties", "provision_state", "provision_updated_at", "reservation",
               "target_power_state", "target_provision_state")
VERSIONED_FIELDS = {
    "driver_internal_info": v.DRIVER_INTERNAL_INFO, "name": v.NODE_NAME,
    "inspection_finished_at": v.INSPECT_STATE, "inspection_started_at": v.INSPECT_STATE,
    "clean_step": v.NODE_CLEAN, "raid_config": v.RAID_CONFIG, "target_raid_config": v.RAID_CONFIG,
    "network_interface": v.NETWORK_INTERFACE, "resource_class": v.RESOURCE_CLASS,
    "storage_interface": v.STORAGE_INTERFACE, "traits": v.NODE_TRAITS, "rescue_interface": v.RESCUE_INTERFACE,
    "bios_interface": v.BIOS_INTERFACE, "fault": v.FAULT, "deploy_step": v.DEPLOY_STEP,
    "conductor_group": v.CONDUCTOR_GROUP, "automated_clean": v.AUTOMATED_CLEAN, "protected": v.PROTECTED,
    "protected_reason": v.PROTECTED, "conductor": v.CONDUCTORS, "owner": v.OWNER, "description": v.DESCRIPTION,
    "allocation_uuid": v.ALLOCATIONS, "retired": v.RETIRED, "retired_reason": v.RETIRED, "lessee": v.LESSEE,
    "network_data": v.NETWORK_DATA, "boot_mode": v.BOOT_MODE, "secure_boot": v.BOOT_MODE, "shard": v.SHARD,
    "parent_node": v.PARENT_NODE, "firmware_interface": v.FIRMWARE_INTERFACE, "service_step": v.SERVICE,
    "disable_power_off": v.DISABLE_POWER_OFF, "instance_name": v.INSTANCE_NAME, "health": v.NODE_HEALTH,
    **{f"{i}_interface": v.DYNAMIC_INTERFACES for i in ("boot", "console", "deploy", "inspect", "management",
                                                         "power", "raid", "vendor")},
}
LIST_FIELDS = ("instance_uuid", "maintenance", "power_state", "provision_state", "uuid", "name")
TIMES = ("created_at", "updated_at", "provision_updated_at", "inspection_started_at", "inspection_finished_at")
SECRET_KEYS = ("password", "secret", "token", "key", "credential")
_REDACTED = "** Redacted - requires baremetal:node:get:{} permission. **"


def field_names(ctx: Context) -> list[str]:
    return [*BASE_FIELDS, *(f for f, since in VERSIONED_FIELDS.items() if ctx.version >= since)]


def check_fields(ctx: Context, fields: list[str] | None) -> None:
    """check_allowed_fields and check_for_invalid_fields: too new is 406, unknown is 400."""
    if fields is None:
        return
    for f in fields:
        if f in VERSIONED_FIELDS and ctx.version < VERSIONED_FIELDS[f]:
            raise NotAcceptable("Request not acceptable.")
    known = set(BASE_FIELDS) | set(VERSIONED_FIELDS)
    bad = [f for f in fields if f not in known]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')


def mask(info: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ("******" if any(s in k.lower() for s in SECRET_KEYS) and val is not None else val)
            for k, val in (info or {}).items()}


def provision_state(ctx: Context, state: str | None) -> str | None:
    # quirk: before 1.2 'available' was shown as no state at all
    return None if state == "available" and ctx.version < v.AVAILABLE_STATE else state


def render_node(ctx: Context, rq: ApiRequest, row: Mapping[str, Any], traits: list[str] | None = None,
                fields: list[str] | None = None, *, secrets: bool = True) -> dict[str, Any]:
    base = common.public_url(ctx, rq)
    wanted = field_names(ctx) if fields is None else [f for f in fields if f in field_names(ctx)]
    body: dict[str, Any] = {}
    for name in wanted:
        if name in TIMES:
            body[name] = common.iso(row[name])
        elif name == "traits":
            body[name] = sorted(traits or [])
        elif name == "conductor":
            body[name] = common.CONDUCTOR
        elif name == "provision_state":
            body[name] = provision_state(ctx, row[name])
        elif name in ("target_provision_state",):
            body[name] = provision_state(ctx, row[name])
        else:
            body[name] = row[name]
    if "driver_info" in body:
        body["driver_info"] = mask(body["driver_info"]) if secrets else _REDACTED.format("driver_info")
    if "instance_info" in body:
        info = dict(body["instance_info"] or {})
        for key in ("configdrive", "image_url"):
            if key in info:
                info[key] = "******"
        body["instance_info"] = info
    uuid = row["uuid"]
    body["links"] = common.links(base, "nodes", uuid)
    if fields is None:
        body["ports"] = common.links(base, "nodes", uuid + "/ports")
        if ctx.version >= v.LINKS_STATES:
            body["states"] = common.links(base, "nodes", uuid + "/states")
        if ctx.version >= v.PORTGROUPS_SUBCONTROLLERS:
            body["portgroups"] = common.links(base, "nodes", uuid + "/portgroups")
        if ctx.version >= v.VOLUME:
            body["volume"] = common.links(base, "nodes", uuid + "/volume")
    return body


def render_states(ctx: Context, row: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "console_enabled": row["console_enabled"], "last_error": row["last_error"],
        "power_state": row["power_state"], "provision_state": provision_state(ctx, row["provision_state"]),
        "provision_updated_at": common.iso(row["provision_updated_at"]),
        "target_power_state": row["target_power_state"],
        "target_provision_state": provision_state(ctx, row["target_provision_state"])}
    if ctx.version >= v.RAID_CONFIG:
        body.update(raid_config=row["raid_config"], target_raid_config=row["target_raid_config"])
    if ctx.version >= v.BOOT_MODE:
        body.update(boot_mode=row["boot_mode"], secure_boot=row["secure_boot"])
    return body
