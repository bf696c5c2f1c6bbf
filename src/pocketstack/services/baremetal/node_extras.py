"""What a fake-hardware node has little of: BIOS settings, firmware components, history, inventory and
vendor passthru methods (api-ref: baremetal, Node Bios; Node Firmware; Node History; Node Inventory;
Node Vendor Passthru)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import BadRequest, MethodNotAllowed, NotFound, ValidationFailed
from pocketstack.core.listing import Listing
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, provisioning
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import node_history, nodes


def _node(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        return common.find_node(conn, ctx, rq.params["node_ident"])


def list_bios(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.BIOS_INTERFACE)
    _node(ctx, rq)
    return {"bios": []}


def show_bios_setting(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.BIOS_INTERFACE)
    node = _node(ctx, rq)
    raise NotFound(f"Node {node['uuid']} doesn't have a BIOS setting '{rq.params['setting']}'")


def list_firmware(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.FIRMWARE_INTERFACE)
    _node(ctx, rq)
    return {"firmware": []}


HISTORY_FIELDS = ("uuid", "created_at", "severity", "event")
HISTORY_DETAIL = (*HISTORY_FIELDS, "event_type", "conductor", "user", "project", "state", "target_provision_state",
                  "duration_seconds")
HISTORY = Listing(node_history, sort_keys={"created_at", "uuid", "severity", "event_type"},
                  default_sort=[("created_at", "asc")], id_key="uuid")


def render_event(ctx: Context, rq: ApiRequest, node_uuid: str, row: Any, detail: bool) -> dict[str, Any]:
    """NodeHistoryController._history_event_convert_with_links: a short event is cut at 255 characters;
    the detail shows project from 1.113 and the state fields from 1.115."""
    names = [f for f in (HISTORY_DETAIL if detail else HISTORY_FIELDS)
             if not (f == "project" and ctx.version < v.NODE_HISTORY_PROJECT)
             and not (f in ("state", "target_provision_state", "duration_seconds")
                      and ctx.version < v.NODE_HISTORY_FIELDS)]
    body = {f: common.iso(row[f]) if f == "created_at" else row[f] for f in names}
    if not detail and len(body["event"] or "") > 255:
        body["event"] = body["event"][:251] + "..."
    href = common.build_url(common.public_url(ctx, rq), "nodes", f"{node_uuid}/history/{row['uuid']}")
    body["links"] = [{"href": href, "rel": "self"}]
    return body


def list_history(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.NODE_HISTORY)
    node = _node(ctx, rq)
    detail = bool(common.bool_param(rq, "detail"))
    q = common.parse_list(ctx, rq, HISTORY)         # ironic's default sort here is created_at, as parse_list's id
    with db.reader() as conn:
        stmt = sa.select(node_history).where(node_history.c.node_uuid == node["uuid"])
        rows, more = common.page(conn, HISTORY, stmt, q,
                                 lambda m: NotFound(f"Node history record {m} could not be found."))
    items = [render_event(ctx, rq, node["uuid"], r, detail) for r in rows]
    return common.collection(ctx, rq, "history", items, more, q, path=f"nodes/{rq.params['node_ident']}/history")


def show_history_event(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.NODE_HISTORY)
    node = _node(ctx, rq)
    event = rq.params["event"]
    with db.reader() as conn:
        row = conn.execute(sa.select(node_history).where(node_history.c.uuid == event,
                                                         node_history.c.node_uuid == node["uuid"])).mappings().first()
    if row is None:
        raise NotFound(f"Node history record {event} could not be found.")
    return render_event(ctx, rq, node["uuid"], row, detail=True)


def show_inventory(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.NODE_INVENTORY)
    node = _node(ctx, rq)
    if node["inspection_finished_at"] is None:
        raise NotFound(f"Inventory not found for node {node['uuid']}")
    props = node["properties"] or {}
    return {"inventory": {"cpu": {"count": props.get("cpus"), "architecture": props.get("cpu_arch")},
                          "memory": {"physical_mb": props.get("memory_mb")},
                          "disks": [{"name": "/dev/sda", "size": int(props.get("local_gb") or 0) << 30}],
                          "interfaces": []},
            "plugin_data": {}}


# --- virtual media (1.89, GET from 1.93) ----------------------------------------
VMEDIA_DEVICES = ("disk", "cdrom", "floppy")
VMEDIA_SCHEMES = ("http", "https", "nfs", "cifs", "smb")
VMEDIA_SCHEMA = schemas.obj({"device_type": {"type": "string", "enum": list(VMEDIA_DEVICES)},
                             "image_url": {"type": "string"},
                             "image_download_source": {"type": "string", "enum": ["http", "local", "swift"]}},
                            ["device_type", "image_url"], additional=False)


def _unsupported(node: Any, extension: str) -> str:
    return f"Driver {node['driver']} does not support {extension} (disabled or not implemented)."


def _vmedia_failed(ctx: Context, rq: ApiRequest, extension: str, action: str) -> None:
    """The conductor works in the background and records what failed as the node's last_error: no
    hardware type here has a virtual media capable management interface (fake's has none either)."""
    with db.session() as conn:
        node = common.find_node(conn, ctx, rq.params["node_ident"])
        message = f"Could not {action} node {node['uuid']}: {_unsupported(node, extension)}"
        provisioning.record_history(conn, node, message, "UNKNOWN", user=ctx.user_id)
        conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(last_error=message,
                                                                               updated_at=utcnow()))


def get_vmedia(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.GET_VMEDIA)
    node = _node(ctx, rq)
    raise BadRequest(_unsupported(node, "get_virtual_media"))


def attach_vmedia(ctx: Context, rq: ApiRequest) -> None:
    common.hidden(ctx, v.VMEDIA_ATTACH)
    try:
        schemas.validate(VMEDIA_SCHEMA, rq.body)
    except ValidationFailed as exc:
        raise BadRequest(f"Invalid input for field/attribute vmedia. Value: '{rq.body}'. {exc.detail}") from None
    scheme = urlparse(rq.body["image_url"]).scheme
    if scheme not in VMEDIA_SCHEMES:
        raise BadRequest(f"Unsupported or missing URL scheme: {scheme}")
    _node(ctx, rq)
    _vmedia_failed(ctx, rq, "attach_virtual_media", f"attach device {rq.body['device_type']} to")


def detach_vmedia(ctx: Context, rq: ApiRequest) -> None:
    common.hidden(ctx, v.VMEDIA_ATTACH)
    types = [t for t in (rq.query.get("device_types") or "").split(",") if t]
    invalid = [t for t in types if t not in VMEDIA_DEVICES]
    if invalid:
        raise BadRequest(f"Invalid device type(s) {', '.join(invalid)} (valid are {', '.join(VMEDIA_DEVICES)})")
    _node(ctx, rq)
    _vmedia_failed(ctx, rq, "detach_virtual_media", f"detach device(s) {types or list(VMEDIA_DEVICES)} from")


def vmedia_other_method(ctx: Context, rq: ApiRequest) -> None:
    """quirk: NodesController._lookup answers 404 for /vmedia below 1.89 whatever the method; from 1.89
    the controller has no such method: 405."""
    common.hidden(ctx, v.VMEDIA_ATTACH)
    raise MethodNotAllowed("The method is not allowed for the requested URL.")


# the fake management interface's indicators (ironic/drivers/modules/fake.py get_supported_indicators)
INDICATORS = {"chassis": {"led-0": {"readonly": True, "states": ["OFF", "ON"]}},
              "system": {"led": {"readonly": False, "states": ["BLINKING", "OFF", "ON"]}}}


def _indicator(ident: str) -> tuple[str, str, dict[str, Any]]:
    name, sep, component = ident.rpartition("@")
    if not sep:
        raise BadRequest(f'Missing indicator name "{ident}"')
    if component not in INDICATORS:
        raise BadRequest(f"Invalid component {component} specified.")
    if name not in INDICATORS[component]:
        raise BadRequest(f"Invalid indicator {name} specified.")
    return name, component, INDICATORS[component][name]


def list_indicators(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    node = _node(ctx, rq)
    base = common.public_url(ctx, rq)
    return {"indicators": [
        {"name": f"{name}@{component}", "component": component, "readonly": spec["readonly"],
         "states": spec["states"], "links": common.links(base, "nodes",
                                                         f"{node['uuid']}/management/indicators/{name}@{component}")}
        for component, names in INDICATORS.items() for name, spec in names.items()]}


def show_indicator(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    node = _node(ctx, rq)
    name, component, _spec = _indicator(rq.params["indicator"])
    return {"state": (node["driver_internal_info"] or {}).get("indicators", {}).get(f"{name}@{component}", "ON")}


def set_indicator(ctx: Context, rq: ApiRequest) -> None:
    state = rq.body.get("state") if isinstance(rq.body, dict) else rq.query.get("state")
    name, component, spec = _indicator(rq.params["indicator"])
    if spec["readonly"] or state not in spec["states"]:
        raise BadRequest(f"Indicator {name} of component {component} can not be set to {state}.")
    with db.session() as conn:
        node = common.find_node(conn, ctx, rq.params["node_ident"])
        info = dict(node["driver_internal_info"] or {})
        info["indicators"] = {**info.get("indicators", {}), f"{name}@{component}": state}
        conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(driver_internal_info=info,
                                                                               updated_at=utcnow()))


def list_vendor_methods(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _node(ctx, rq)
    return {}


def call_vendor_method(ctx: Context, rq: ApiRequest) -> None:
    """Ironic's vendor_passthru: ?method=NAME, any HTTP verb. fake-hardware's vendor interface has no
    methods (see list_vendor_methods), so every call is the conductor's `No handler` 400."""
    method = rq.query.get("method")
    if not method:
        raise BadRequest("Method not specified")
    _node(ctx, rq)
    raise BadRequest(f"No handler for method {method}")


N = "/v1/nodes/{node_ident}"
T = common.node_target()
ROUTES = [
    route("GET", N + "/bios", list_bios, policy="baremetal:node:bios:get", target=T),
    route("GET", N + "/bios/{setting}", show_bios_setting, policy="baremetal:node:bios:get", target=T),
    route("GET", N + "/firmware", list_firmware, policy="baremetal:node:firmware:get", target=T),
    route("GET", N + "/history", list_history, policy="baremetal:node:history:get", target=T),
    route("GET", N + "/history/{event}", show_history_event, policy="baremetal:node:history:get", target=T),
    route("GET", N + "/inventory", show_inventory, policy="baremetal:node:inventory:get", target=T),
    route("GET", N + "/vmedia", get_vmedia, policy="baremetal:node:vmedia:get", target=T),
    route("POST", N + "/vmedia", attach_vmedia, policy="baremetal:node:vmedia:attach", target=T, status=204),
    route("DELETE", N + "/vmedia", detach_vmedia, policy="baremetal:node:vmedia:detach", target=T, status=204),
    *(route(m, N + "/vmedia", vmedia_other_method, policy=ANY_USER) for m in ("PUT", "PATCH")),
    route("GET", N + "/management/indicators", list_indicators, policy="baremetal:node:get_indicator_state",
          target=T),
    route("GET", N + "/management/indicators/{indicator}", show_indicator,
          policy="baremetal:node:get_indicator_state", target=T),
    route("PUT", N + "/management/indicators/{indicator}", set_indicator,
          policy="baremetal:node:set_indicator_state", target=T, status=204),
    route("GET", N + "/vendor_passthru/methods", list_vendor_methods, policy="baremetal:node:vendor_passthru",
          target=T),
    *(route(m, N + "/vendor_passthru", call_vendor_method, policy="baremetal:node:vendor_passthru", target=T)
      for m in ("GET", "POST", "PUT", "PATCH", "DELETE")),
]
