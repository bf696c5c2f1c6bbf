"""Nodes: /v1/nodes (api-ref: baremetal, Nodes; ironic/api/controllers/v1/node.py NodesController)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotAcceptable, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, drivers, node_views, provisioning
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import chassis, node_traits, nodes

# --- schemas -----------------------------------------------------------------
_STR = {"type": ["string", "null"]}
_BOOLISH = {"type": ["string", "boolean", "null"]}
_DICT = {"type": ["object", "null"]}
INTERFACE_FIELDS = [f"{i}_interface" for i in drivers.INTERFACES]
NODE_SCHEMA = schemas.obj({
    "automated_clean": _BOOLISH, "chassis_uuid": _STR, "conductor_group": _STR, "console_enabled": _BOOLISH,
    "description": {"type": ["string", "null"], "maxLength": 4096}, "disable_power_off": _BOOLISH,
    "driver": {"type": "string"}, "driver_info": _DICT, "extra": _DICT, "instance_info": _DICT,
    "instance_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 255}, "instance_uuid": _STR,
    "lessee": _STR, "maintenance": _BOOLISH, "name": _STR, "network_data": _DICT, "owner": _STR,
    "parent_node": {"type": ["string", "null"], "maxLength": 36}, "properties": _DICT,
    "resource_class": {"type": ["string", "null"], "maxLength": 80}, "retired": _BOOLISH,
    "retired_reason": _STR, "secure_boot": _BOOLISH, "boot_mode": _STR, "shard": _STR, "uuid": _STR,
    **{f: _STR for f in INTERFACE_FIELDS}}, ["driver"], additional=False)
PATCH_SCHEMA = {**NODE_SCHEMA, "properties": {**NODE_SCHEMA["properties"], "protected": _BOOLISH,
                                              "protected_reason": _STR}}
PATCH_ALLOWED = ["automated_clean", *INTERFACE_FIELDS, "chassis_uuid", "conductor_group", "description",
                 "disable_power_off", "driver", "driver_info", "extra", "instance_info", "instance_name",
                 "instance_uuid", "lessee", "maintenance", "name", "network_data", "owner", "properties",
                 "protected", "protected_reason", "resource_class", "retired", "retired_reason", "shard",
                 "parent_node"]
TRUE = {"true", "1", "yes", "on", "t", "y"}
DICT_FIELDS = ("driver_info", "extra", "instance_info", "properties", "network_data")
BOOL_FIELDS = ("automated_clean", "console_enabled", "maintenance", "retired", "protected", "secure_boot",
               "disable_power_off")

NODES = Listing(nodes, sort_keys={"uuid", "name", "created_at", "updated_at", "provision_state", "power_state",
                                  "driver", "instance_uuid", "maintenance", "resource_class", "provision_updated_at",
                                  "conductor_group", "owner", "lessee", "inspection_started_at",
                                  "inspection_finished_at", "target_provision_state", "target_power_state"},
                default_sort=[("created_at", "asc")], id_key="uuid")
FAULTS = ("power failure", "clean failure", "rescue abort failure", "service failure")
INVALID_SORT = {"driver_info", "driver_internal_info", "extra", "instance_info", "properties", "traits"}


# --- logic -------------------------------------------------------------------
def _as_bool(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if str(value).lower() in TRUE | {"false", "0", "no", "off", "f", "n"}:
        return str(value).lower() in TRUE
    raise BadRequest(f"Invalid input for field/attribute {name}. Value: '{value}'. Unrecognized value "
                     f"'{value}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', "
                     "'true', 'y', 'yes'")


def _check_versions(ctx: Context, keys: set[str]) -> None:
    for key in keys:
        since = node_views.VERSIONED_FIELDS.get(key)
        if key in ("protected", "protected_reason"):
            since = v.PROTECTED
        if since is not None and ctx.version < since:
            raise NotAcceptable("Request not acceptable.")


def _validate(schema: dict[str, Any], body: Any, name: str = "node") -> None:
    try:
        schemas.validate(schema, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for {name}: {exc.detail}") from None


def _normalize(conn: Any, ctx: Context, values: dict[str, Any], current: dict[str, Any] | None,
               reset: bool = False) -> dict[str, Any]:
    """Meaning checks shared by create and update: driver, interfaces, name, uuids, chassis."""
    for key in BOOL_FIELDS:
        if key in values:
            values[key] = _as_bool(key, values[key])
    for key in DICT_FIELDS:
        if key in values and values[key] is None:
            values[key] = {}
    driver = values.get("driver") or (current or {}).get("driver")
    if driver not in drivers.HARDWARE_TYPES:
        raise BadRequest(f"No valid host was found. Reason: No conductor service registered which supports "
                         f"driver {driver} for conductor group \"{values.get('conductor_group') or ''}\".")
    for kind in drivers.INTERFACES:
        key = f"{kind}_interface"
        if values.get(key) is None and (current is None or key in values or reset):
            values[key] = drivers.default_interface(driver, kind)
        drivers.check_interface(driver, kind, values[key] if key in values else current[key])
    name = values.get("name")
    if name is not None:
        if not common.valid_name(ctx, name):
            raise BadRequest(f"Cannot create node with invalid name '{name}'" if current is None else
                             f"Node {current['uuid']}: Cannot update node with invalid name '{name}'")
        clash = conn.execute(sa.select(nodes.c.uuid).where(nodes.c.name == name)).scalar()
        if clash and (current is None or clash != current["uuid"]):
            raise Conflict(f"A node with name {name} already exists.")
    for key in ("instance_uuid", "uuid"):
        if values.get(key) is not None and not common.is_uuid(values[key]):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: '{values[key]}'. Expected a UUID "
                             f"but received {values[key]}.")
    if values.get("chassis_uuid") is not None:
        if not conn.execute(sa.select(chassis.c.uuid).where(chassis.c.uuid == values["chassis_uuid"])).scalar():
            raise BadRequest(f"Chassis {values['chassis_uuid']} could not be found.")
    return values


def create_node_row(conn: Any, ctx: Context, body: dict[str, Any]) -> str:
    values = _normalize(conn, ctx, dict(body), None)
    node_id = values.pop("uuid", None) or new_uuid()
    if conn.execute(sa.select(nodes.c.uuid).where(nodes.c.uuid == node_id)).scalar():
        raise Conflict(f"A node with UUID {node_id} already exists.")
    if values.get("instance_uuid") and conn.execute(
            sa.select(nodes.c.uuid).where(nodes.c.instance_uuid == values["instance_uuid"])).scalar():
        raise Conflict(f"Instance {values['instance_uuid']} is already associated with a node.")
    enroll = ctx.version >= v.ENROLL_STATE
    row = {c.name: None for c in nodes.columns}
    row.update({k: {} for k in (*DICT_FIELDS, "driver_internal_info", "clean_step", "deploy_step", "service_step",
                                "raid_config", "target_raid_config")})
    row.update(maintenance=False, console_enabled=False, protected=False, retired=False, disable_power_off=False,
               boot_persistent=False, conductor_group="", created_at=utcnow())
    row.update(values)
    row.update(uuid=node_id, provision_state="enroll" if enroll else "available",
               power_state=None if enroll else "power off", provision_updated_at=None,
               network_interface=values.get("network_interface") or "flat")
    row["conductor_group"] = (row["conductor_group"] or "").lower()
    conn.execute(nodes.insert().values(**row))
    return node_id


def _traits(conn: Any, uuids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {u: [] for u in uuids}
    if uuids:
        for r in conn.execute(sa.select(node_traits).where(node_traits.c.node_uuid.in_(uuids))):
            out[r.node_uuid].append(r.trait)
    return out


def show(ctx: Context, rq: ApiRequest, node_id: str, fields: list[str] | None = None) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(nodes).where(nodes.c.uuid == node_id)).mappings().one()
        traits = _traits(conn, [node_id])[node_id]
    secrets = common.allowed(ctx, "baremetal:node:get:driver_info", common.node_policy_target(row))
    return node_views.render_node(ctx, rq, row, traits, fields, secrets=secrets)


def _list_filters(ctx: Context, rq: ApiRequest, stmt: sa.Select, owner: str | None) -> sa.Select:
    q = rq.query
    gates = {"provision_state": v.PROVISION_STATE_FILTER, "driver": v.DRIVER_FILTER,
             "resource_class": v.RESOURCE_CLASS, "fault": v.FAULT, "conductor_group": v.CONDUCTOR_GROUP,
             "owner": v.OWNER, "lessee": v.LESSEE, "description_contains": v.DESCRIPTION, "conductor": v.CONDUCTORS,
             "retired": v.RETIRED, "shard": v.SHARD, "sharded": v.SHARD, "parent_node": v.PARENT_NODE,
             "include_children": v.PARENT_NODE, "detail": v.DETAIL_QUERY, "instance_name": v.INSTANCE_NAME}
    for key, since in gates.items():
        if key in q:
            common.require(ctx, since)
    if q.get("fault") and q["fault"] not in FAULTS:
        raise BadRequest(f"Invalid fault {q['fault']}. Valid faults are: {', '.join(FAULTS)}")
    for key in ("provision_state", "driver", "resource_class", "fault", "lessee", "instance_uuid", "chassis_uuid",
                "parent_node", "instance_name"):
        if q.get(key):
            stmt = stmt.where(nodes.c[key] == q[key])
    if q.get("conductor_group") is not None:
        stmt = stmt.where(nodes.c.conductor_group == q["conductor_group"].lower())
    if q.get("owner"):
        stmt = stmt.where(nodes.c.owner == q["owner"])
    if owner is not None:
        stmt = stmt.where(sa.or_(nodes.c.owner == owner, nodes.c.lessee == owner))
    if q.get("shard"):
        stmt = stmt.where(nodes.c.shard.in_(q["shard"].split(",")))
    if q.get("description_contains"):
        stmt = stmt.where(nodes.c.description.contains(q["description_contains"]))
    if q.get("conductor") and q["conductor"] != common.CONDUCTOR:
        stmt = stmt.where(sa.false())
    for key in ("maintenance", "retired"):
        flag = common.bool_param(rq, key)
        if flag is not None:
            stmt = stmt.where(nodes.c[key].is_(flag))
    associated = common.bool_param(rq, "associated")
    if associated is not None:
        stmt = stmt.where(nodes.c.instance_uuid.isnot(None) if associated else nodes.c.instance_uuid.is_(None))
    sharded = common.bool_param(rq, "sharded")
    if sharded is not None:
        stmt = stmt.where(nodes.c.shard.isnot(None) if sharded else nodes.c.shard.is_(None))
    if not common.bool_param(rq, "include_children") and not q.get("parent_node"):
        stmt = stmt.where(nodes.c.parent_node.is_(None))
    return stmt


def list_owner(ctx: Context) -> str | None:
    """check_list_policy: list_all, or the project's own nodes through list."""
    target = common.node_policy_target(None)
    if common.allowed(ctx, "baremetal:node:list_all", target):
        return None
    if not ctx.project_id:
        common.authorize(ctx, "baremetal:node:list_all", target)
    common.authorize(ctx, "baremetal:node:list", target)
    return ctx.project_id


def list_nodes_body(ctx: Context, rq: ApiRequest, *, detail: bool, path: str = "nodes") -> dict[str, Any]:
    owner = list_owner(ctx)
    q = common.parse_list(ctx, rq, NODES, invalid_sort=INVALID_SORT)
    if detail and q.fields:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    node_views.check_fields(ctx, q.fields or None)
    stmt = _list_filters(ctx, rq, sa.select(nodes), owner)
    with db.reader() as conn:
        rows, more = common.page(conn, NODES, stmt, q, lambda m: NotFound(f"Node {m} could not be found."))
        traits = _traits(conn, [r["uuid"] for r in rows])
    fields = q.fields or (None if detail else list(node_views.LIST_FIELDS))
    target_ok = common.allowed(ctx, "baremetal:node:get:driver_info", common.node_policy_target(None))
    items = [node_views.render_node(ctx, rq, r, traits[r["uuid"]], fields,
                                    secrets=target_ok or common.allowed(ctx, "baremetal:node:get:driver_info",
                                                                        common.node_policy_target(r)))
             for r in rows]
    body = {"nodes": items}
    if more and rows:
        body["next"] = common.next_link(ctx, rq, "nodes", rows[-1]["uuid"], q.limit, path)
    return body


# --- routes ------------------------------------------------------------------
def list_nodes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return list_nodes_body(ctx, rq, detail=bool(common.bool_param(rq, "detail")))


def list_nodes_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if "detail" in rq.query:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    return list_nodes_body(ctx, rq, detail=True, path="nodes/detail")


def show_node(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    raw = rq.query.get("fields")
    fields = None
    if raw is not None:
        common.require(ctx, v.FIELDS)
        fields = [f for f in raw.split(",") if f]
        node_views.check_fields(ctx, fields)
    with db.reader() as conn:
        row = common.find_node(conn, ctx, rq.params["node_ident"])
    return show(ctx, rq, row["uuid"], fields)


def _create_policy(ctx: Context, body: dict[str, Any]) -> None:
    target = common.node_policy_target(None)
    if common.allowed(ctx, "baremetal:node:create", target):
        return
    if ctx.version >= v.PROJECT_CREATE_DELETE and ctx.project_id and common.allowed(
            ctx, "baremetal:node:create:self_owned_node", target):
        if body.get("owner") and body["owner"] != ctx.project_id:
            raise Forbidden("Access was denied to the following resource: baremetal:node:create:self_owned_node",
                            rule="baremetal:node:create:self_owned_node")
        body["owner"] = ctx.project_id
        return
    common.authorize(ctx, "baremetal:node:create", target)


def create_node(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body
    _validate(NODE_SCHEMA, body)
    _check_versions(ctx, set(body))
    if body.get("name") is not None and ctx.version < v.NODE_NAME:
        raise NotAcceptable("Request not acceptable.")
    _create_policy(ctx, body)
    with db.session() as conn:
        node_id = create_node_row(conn, ctx, body)
    out = show(ctx, rq, node_id)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_node(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "node_ident", nodes)
    patch = common.check_patch(rq.body)
    reset = common.bool_param(rq, "reset_interfaces")
    if reset is not None:
        common.require(ctx, v.RESET_INTERFACES)
    with db.reader() as conn:
        node_uuid = common.find_node(conn, ctx, rq.params["node_ident"])["uuid"]
    common.wait_unlocked(node_uuid)
    with db.session() as conn:
        row = common.find_node(conn, ctx, rq.params["node_ident"])
        target = common.check_node(ctx, row, rq.params["node_ident"], "baremetal:node:update")
        touched = common.allowed_paths(patch, PATCH_ALLOWED)
        _check_versions(ctx, touched)
        if "chassis_uuid" in touched and ctx.version < v.UNSET_CHASSIS and any(
                p["op"] == "remove" and p["path"] == "/chassis_uuid" for p in patch):
            raise BadRequest("Removing chassis_uuid is not supported in this API version.")
        _update_policies(ctx, target, touched, row)
        if row["reservation"]:
            raise Conflict(f"Node {row['uuid']} is locked by host {row['reservation']}, please retry after the "
                           "current operation is completed.")
        doc = {k: row[k] for k in PATCH_ALLOWED if k in row}
        new = common.apply_patch(doc, patch)
        _validate(PATCH_SCHEMA, new, "node")
        changes = {k: new.get(k) for k in PATCH_ALLOWED if new.get(k) != doc.get(k)}
        _check_update(conn, ctx, row, changes)
        if reset and "driver" not in changes:
            raise BadRequest("The reset_interfaces parameter can only be used when changing the node's driver.")
        if "protected" in changes and not _as_bool("protected", changes["protected"]):
            changes["protected_reason"] = None
        changes = _normalize(conn, ctx, changes, dict(row), reset=bool(reset))
        if "conductor_group" in changes:
            changes["conductor_group"] = (changes["conductor_group"] or "").lower()
        display = (changes.get("instance_info") or {}).get("display_name")
        if display and not changes.get("instance_name", row["instance_name"]):
            changes["instance_name"] = display     # instance_info.display_name fills an unset instance_name
        if changes:
            conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(updated_at=utcnow(), **changes))
    return show(ctx, rq, row["uuid"])


def _update_policies(ctx: Context, target: dict[str, Any], touched: set[str], row: Any) -> None:
    specific = {"driver_info": "update:driver_info", "properties": "update:properties",
                "chassis_uuid": "update:chassis_uuid", "instance_uuid": "update:instance_uuid",
                "lessee": "update:lessee", "owner": "update:owner", "network_data": "update:network_data",
                "conductor_group": "update:conductor_group", "name": "update:name", "retired": "update:retired",
                "shard": "update:shard", "parent_node": "update:parent_node", "extra": "update_extra",
                "instance_info": "update_instance_info", "instance_name": "update_instance_info",
                "disable_power_off": "update:disable_power_off",
                **{f: "update:driver_interfaces" for f in INTERFACE_FIELDS}, "driver": "update:driver_interfaces"}
    for field in touched:
        if field in specific:
            common.authorize(ctx, f"baremetal:node:{specific[field]}", target)
    if "owner" in touched and row["provision_state"] == "active":
        common.authorize(ctx, "baremetal:node:update_owner_provisioned", target)


def _check_update(conn: Any, ctx: Context, row: Any, changes: dict[str, Any]) -> None:
    old_instance = row["instance_uuid"]
    if changes.get("instance_uuid") and old_instance and changes["instance_uuid"] != old_instance:
        raise Conflict(f"Node {row['uuid']} is associated with instance {old_instance}.")
    if changes.get("instance_uuid") and conn.execute(sa.select(nodes.c.uuid).where(
            nodes.c.instance_uuid == changes["instance_uuid"], nodes.c.uuid != row["uuid"])).scalar():
        raise Conflict(f"Instance {changes['instance_uuid']} is already associated with a node.")
    if "protected" in changes and _as_bool("protected", changes["protected"]) and row["provision_state"] != "active":
        raise Conflict("Protection can only be set in \"active\" state")
    if changes.get("protected_reason") and not (changes.get("protected", row["protected"])):
        raise BadRequest("Cannot set protected_reason without protected")
    if "driver" in changes and row["provision_state"] not in ("enroll", "manageable", "available",
                                                                "inspect failed", "clean failed", "deploy failed"):
        if not row["maintenance"]:
            raise Conflict(f"The node {row['uuid']} must be in one of states enroll, manageable, available, "
                           f"inspect failed to change its driver")


def delete_node(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "node_ident", nodes)
    with db.reader() as conn:
        node_uuid = common.find_node(conn, ctx, rq.params["node_ident"])["uuid"]
    common.wait_unlocked(node_uuid)
    with db.session() as conn:
        row = common.find_node(conn, ctx, rq.params["node_ident"])
        target = common.check_node(ctx, row, rq.params["node_ident"])
        if not common.allowed(ctx, "baremetal:node:delete", target):
            if not (ctx.version >= v.PROJECT_CREATE_DELETE and common.allowed(
                    ctx, "baremetal:node:delete:self_owned_node", target)):
                common.authorize(ctx, "baremetal:node:delete", target)
        if row["reservation"]:
            raise Conflict(f"Node {row['uuid']} is locked by host {row['reservation']}, please retry after the "
                           "current operation is completed.")
        if row["protected"]:
            raise Forbidden(f"Node {row['uuid']} is protected and cannot be undeployed, rebuilt or deleted")
        if row["instance_uuid"] and not row["maintenance"]:
            raise Conflict(f"Can not delete node \"{row['uuid']}\" while it is associated with instance "
                           f"\"{row['instance_uuid']}\"")
        allowed_states = ("manageable", "enroll", "adopt failed", "available")
        if row["provision_state"] not in allowed_states and not row["maintenance"]:
            raise Conflict(f"Can not delete node \"{row['uuid']}\" while it is in provision state "
                           f"\"{row['provision_state']}\". Valid provision states to perform deletion are: "
                           f"\"{allowed_states}\", or set the node into maintenance mode")
        provisioning.delete_node_rows(conn, row["uuid"])


# ironic checks these in the handlers: a node a project may not see is a 404, and an update is
# checked field by field (see _update_policies)
LIST_RULES = in_handler("baremetal:node:list", "baremetal:node:list_all", "baremetal:node:get:driver_info")
CREATE_RULES = in_handler("baremetal:node:create", "baremetal:node:create:self_owned_node",
                          "baremetal:node:get:driver_info")
UPDATE_RULES = in_handler("baremetal:node:get", "baremetal:node:update", "baremetal:node:update_owner_provisioned",
                          "baremetal:node:get:driver_info", "baremetal:node:update_extra",
                          "baremetal:node:update_instance_info",
                          *(f"baremetal:node:update:{f}" for f in (
                              "driver_info", "properties", "chassis_uuid", "instance_uuid", "lessee", "owner",
                              "network_data", "conductor_group", "name", "retired", "shard", "parent_node",
                              "disable_power_off", "driver_interfaces")))
DELETE_RULES = in_handler("baremetal:node:get", "baremetal:node:delete", "baremetal:node:delete:self_owned_node")
N = "/v1/nodes/{node_ident}"
ROUTES = [
    route("GET", "/v1/nodes", list_nodes, policy=LIST_RULES),
    route("GET", "/v1/nodes/detail", list_nodes_detail, policy=LIST_RULES),
    route("POST", "/v1/nodes", create_node, policy=CREATE_RULES, status=201),
    route("GET", N, show_node, policy="baremetal:node:get", target=common.node_target()),
    route("PATCH", N, update_node, policy=UPDATE_RULES),
    route("DELETE", N, delete_node, policy=DELETE_RULES, status=204),
]
