"""Drivers (hardware types) and conductors: /v1/drivers, /v1/conductors (api-ref: baremetal, Drivers;
Conductors). One conductor, this process, runs the `fake-hardware` and `ipmi` hardware types."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import nodes

INTERFACES = ("bios", "boot", "console", "deploy", "firmware", "inspect", "management", "network", "power",
              "raid", "rescue", "storage", "vendor")
INTERFACE_SINCE = {"storage": v.STORAGE_INTERFACE, "rescue": v.RESCUE_INTERFACE, "bios": v.BIOS_INTERFACE,
                   "firmware": v.FIRMWARE_INTERFACE}
# enabled interfaces per hardware type, the default first (ironic's hardware type classes, as DevStack
# enables them for fake-hardware and ipmi)
HARDWARE_TYPES: dict[str, dict[str, list[str]]] = {
    "fake-hardware": {"bios": ["fake", "no-bios"], "boot": ["fake", "pxe"], "console": ["fake", "no-console"],
                      "deploy": ["fake", "direct"], "firmware": ["fake", "no-firmware"],
                      "inspect": ["fake", "no-inspect"], "management": ["fake"], "network": ["flat", "noop"],
                      "power": ["fake"], "raid": ["fake", "no-raid"], "rescue": ["fake", "no-rescue"],
                      "storage": ["noop", "fake"], "vendor": ["fake", "no-vendor"]},
    "ipmi": {"bios": ["no-bios"], "boot": ["pxe", "ipxe"], "console": ["no-console", "ipmitool-socat"],
             "deploy": ["direct"], "firmware": ["no-firmware"], "inspect": ["no-inspect", "agent"],
             "management": ["ipmitool"], "network": ["flat", "noop"], "power": ["ipmitool"],
             "raid": ["no-raid", "agent"], "rescue": ["no-rescue", "agent"], "storage": ["noop"],
             "vendor": ["ipmitool", "no-vendor"]},
}
PROPERTIES: dict[str, dict[str, str]] = {
    # the fake vendor interface's properties (ironic/drivers/modules/fake.py FakeVendorB)
    "fake-hardware": {"B1": "B1 description. Required.", "B2": "B2 description. Required."},
    "ipmi": {
        "ipmi_address": "IP address or hostname of the node. Required.",
        "ipmi_username": "username; default is NULL user. Optional.",
        "ipmi_password": "password. Optional.",
        "ipmi_port": "remote IPMI RMCP port. Optional.",
        "ipmi_priv_level": "privilege level; default is ADMINISTRATOR. One of ADMINISTRATOR, CALLBACK, "
                           "OPERATOR, USER. Optional.",
        "ipmi_terminal_port": "node's UDP port to connect to. Only required for console access.",
        "deploy_kernel": "UUID (from Glance) of the deployment kernel. Required.",
        "deploy_ramdisk": "UUID (from Glance) of the ramdisk that is mounted at boot time. Required.",
    },
}
RAID_PROPERTIES = {
    "controller": "Controller to use for this logical disk. Optional.",
    "is_root_volume": "Specifies whether this disk is a root volume. Optional.",
    "raid_level": "RAID level for the logical disk. Required.",
    "size_gb": "Size in GiB (Integer) for the logical disk. Use 'MAX' as size_gb if this logical disk is "
               "supposed to use the rest of the space available. Required.",
    "volume_name": "Name of the volume to be created. Optional.",
}


def default_interface(driver: str, kind: str) -> str:
    return HARDWARE_TYPES[driver][kind][0]


def check_interface(driver: str, kind: str, name: str) -> None:
    enabled = HARDWARE_TYPES[driver][kind]
    if name not in enabled:
        raise BadRequest(f"Could not find the following interface in the 'ironic.hardware.interfaces.{kind}' "
                         f"entrypoint: {name}. Valid interfaces are {enabled}.")


# --- views -------------------------------------------------------------------
def render_driver(ctx: Context, rq: ApiRequest, name: str, detail: bool) -> dict[str, Any]:
    base = common.public_url(ctx, rq)
    body: dict[str, Any] = {"name": name, "hosts": [common.CONDUCTOR], "links": common.links(base, "drivers", name)}
    if ctx.version >= v.LINKS_STATES:
        body["properties"] = common.links(base, "drivers", name + "/properties")
    if ctx.version >= v.DYNAMIC_DRIVERS:
        body["type"] = "dynamic"
        if detail:
            for kind in INTERFACES:
                if kind in INTERFACE_SINCE and ctx.version < INTERFACE_SINCE[kind]:
                    continue
                body[f"default_{kind}_interface"] = default_interface(name, kind)
                body[f"enabled_{kind}_interfaces"] = list(HARDWARE_TYPES[name][kind])
    return body


def render_conductor(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"hostname": common.CONDUCTOR, "conductor_group": "", "alive": True,
                            "links": common.links(common.public_url(ctx, rq), "conductors", common.CONDUCTOR)}
    if detail:
        body.update(drivers=sorted(HARDWARE_TYPES), created_at=common.iso(STARTED), updated_at=common.iso(utcnow()))
    return body


STARTED = utcnow()


# --- logic -------------------------------------------------------------------
def _driver(name: str) -> str:
    if name not in HARDWARE_TYPES:
        raise NotFound(f"Could not find the following driver(s) or hardware type(s): {name}.")
    return name


def _fields(ctx: Context, rq: ApiRequest) -> list[str] | None:
    raw = rq.query.get("fields")
    if raw is None:
        return None
    common.require(ctx, v.FIELDS)
    return [f for f in raw.split(",") if f]


def _checked(body: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    if fields is not None:
        bad = set(fields) - set(body)
        if bad:
            raise BadRequest(f'Field(s) "{", ".join(sorted(bad))}" are not valid')
    return common.select_fields(body, fields)


# --- routes ------------------------------------------------------------------
def list_drivers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    kind = rq.query.get("type")
    if kind is not None and kind not in ("classic", "dynamic"):
        raise BadRequest(f"Invalid value for type: {kind}")
    detail = bool(common.bool_param(rq, "detail"))
    names = [] if kind == "classic" else sorted(HARDWARE_TYPES)
    fields = _fields(ctx, rq)
    return {"drivers": [_checked(render_driver(ctx, rq, n, detail or fields is not None), fields) for n in names]}


def show_driver(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _checked(render_driver(ctx, rq, _driver(rq.params["driver_name"]), True), _fields(ctx, rq))


def show_driver_properties(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return dict(PROPERTIES[_driver(rq.params["driver_name"])])


def show_raid_properties(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.require(ctx, v.RAID_CONFIG)
    _driver(rq.params["driver_name"])
    return dict(RAID_PROPERTIES)


def list_driver_vendor_methods(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _driver(rq.params["driver_name"])
    return {}


def list_conductors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.CONDUCTORS)
    detail = bool(common.bool_param(rq, "detail"))
    fields = _fields(ctx, rq)
    return {"conductors": [_checked(render_conductor(ctx, rq, detail or fields is not None), fields)]}


def show_conductor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.CONDUCTORS)
    if rq.params["hostname"] != common.CONDUCTOR:
        raise NotFound(f"Conductor {rq.params['hostname']} could not be found.")
    return _checked(render_conductor(ctx, rq, True), _fields(ctx, rq))


def list_shards(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.SHARD)
    with db.reader() as conn:
        rows = conn.execute(sa.select(nodes.c.shard, sa.func.count()).where(nodes.c.shard.isnot(None))
                            .group_by(nodes.c.shard).order_by(nodes.c.shard)).all()
    return {"shards": [{"name": r[0], "count": r[1]} for r in rows]}


D = "/v1/drivers/{driver_name}"
ROUTES = [
    route("GET", "/v1/drivers", list_drivers, policy="baremetal:driver:get", target=common.system_target),
    route("GET", D, show_driver, policy="baremetal:driver:get", target=common.system_target),
    route("GET", D + "/properties", show_driver_properties, policy="baremetal:driver:get_properties",
          target=common.system_target),
    route("GET", D + "/raid/logical_disk_properties", show_raid_properties,
          policy="baremetal:driver:get_raid_logical_disk_properties", target=common.system_target),
    route("GET", D + "/vendor_passthru/methods", list_driver_vendor_methods,
          policy="baremetal:driver:vendor_passthru", target=common.system_target),
    route("GET", "/v1/conductors", list_conductors, policy="baremetal:conductor:get", target=common.system_target),
    route("GET", "/v1/conductors/{hostname}", show_conductor, policy="baremetal:conductor:get",
          target=common.system_target),
    route("GET", "/v1/shards", list_shards, policy="baremetal:shards:get", target=common.system_target),
]
