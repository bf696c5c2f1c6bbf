"""Ports: /v1/ports, /v1/nodes/{node}/ports, /v1/portgroups/{pg}/ports (api-ref: baremetal, Ports;
ironic/api/controllers/v1/port.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
from pocketstack.core.versions import APIVersion
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import nodes, portgroups, ports

MAC_RE = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
_STR = {"type": ["string", "null"]}
PORT_SCHEMA = schemas.obj({
    "address": {"type": "string"}, "extra": {"type": ["object", "null"]},
    "is_smartnic": {"type": ["string", "boolean", "null"]}, "local_link_connection": {"type": ["null", "object"]},
    "node_uuid": {"type": "string"}, "physical_network": {"type": ["string", "null"], "maxLength": 64},
    "portgroup_uuid": _STR, "pxe_enabled": {"type": ["string", "boolean", "null"]}, "uuid": _STR,
    "name": _STR, "description": {"type": ["string", "null"], "maxLength": 255},
    "vendor": {"type": ["string", "null"], "maxLength": 32}, "category": {"type": ["string", "null"], "maxLength": 80},
    "available_for_dynamic_portgroup": {"type": "boolean"}, "node_ident": {"type": "string"}},
    ["address"], additional=False)
PATCH_ALLOWED = ["address", "extra", "is_smartnic", "local_link_connection", "node_uuid", "physical_network",
                 "portgroup_uuid", "pxe_enabled", "name", "description", "vendor", "category",
                 "available_for_dynamic_portgroup"]
FIELDS: list[tuple[str, APIVersion]] = [
    ("uuid", v.MIN), ("address", v.MIN), ("node_uuid", v.MIN), ("extra", v.MIN), ("created_at", v.MIN),
    ("updated_at", v.MIN), ("internal_info", v.PORT_INTERNAL_INFO), ("local_link_connection", v.PORT_ADVANCED_NET),
    ("pxe_enabled", v.PORT_ADVANCED_NET), ("portgroup_uuid", v.PORTGROUPS_SUBCONTROLLERS),
    ("physical_network", v.PORT_PHYSNET), ("is_smartnic", v.SMARTNIC), ("name", v.PORT_NAME),
    ("description", v.PORT_DESCRIPTION), ("vendor", v.PORT_VENDOR), ("category", v.PORT_CATEGORY),
    ("available_for_dynamic_portgroup", v.DYNAMIC_PORTGROUP)]
# what a create may carry at each version (_check_allowed_port_fields); quirk: ironic's PATCH checks only
# the first five, so a newer field may be patched at any version
VERSIONED = {"local_link_connection": v.PORT_ADVANCED_NET, "pxe_enabled": v.PORT_ADVANCED_NET,
             "portgroup_uuid": v.PORTGROUPS_SUBCONTROLLERS, "physical_network": v.PORT_PHYSNET,
             "is_smartnic": v.SMARTNIC}
CREATE_VERSIONED = {**VERSIONED, "name": v.PORT_NAME, "description": v.PORT_DESCRIPTION, "vendor": v.PORT_VENDOR,
                    "category": v.PORT_CATEGORY, "available_for_dynamic_portgroup": v.DYNAMIC_PORTGROUP,
                    "node_ident": v.PORT_NODE_IDENT}
VTEP_KEYS = {"vtep-logical-switch", "vtep-physical-switch"}
LLC_KEYS = {"switch_id", "port_id", "switch_info", "network_type", "hostname", *VTEP_KEYS}
PORTS = Listing(ports, sort_keys={"uuid", "address", "created_at", "updated_at", "pxe_enabled", "physical_network"},
                default_sort=[("created_at", "asc")], id_key="uuid")


# --- views -------------------------------------------------------------------
def render_port(ctx: Context, rq: ApiRequest, row: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, since in FIELDS:
        if ctx.version >= since and (fields is None or name in fields):
            body[name] = common.iso(row[name]) if name in ("created_at", "updated_at") else row[name]
    if ctx.version < v.OVN_VTEP and VTEP_KEYS & set(body.get("local_link_connection") or {}):
        body["local_link_connection"] = {}     # quirk: the key stays, emptied, for older clients
    body["links"] = common.links(common.public_url(ctx, rq), "ports", row["uuid"])
    return body


# --- logic -------------------------------------------------------------------
def check_fields(ctx: Context, fields: list[str] | None) -> None:
    if fields is None:
        return
    known = dict(FIELDS)
    for f in fields:
        if f in known and ctx.version < known[f]:
            common.require(ctx, known[f])
    bad = [f for f in fields if f not in known]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "t", "y", "false", "0", "no",
                                                    "off", "f", "n"):
        return value.lower() in ("true", "1", "yes", "on", "t", "y")
    raise BadRequest(f"Invalid input for field/attribute {name}. Value: '{value}'. Unrecognized value")


def _find(conn: Any, ident: str) -> Any:
    """objects.Port.get: a UUID, else a port name (ports have names from 1.88; the lookup has no gate)."""
    return common.find_by_ident(conn, ports, ident, f"Port {ident} could not be found.",
                                f"Expected UUID or name for port_ident: {ident}")


def _node_of(conn: Any, node_uuid: str) -> Any:
    return conn.execute(sa.select(nodes).where(nodes.c.uuid == node_uuid)).mappings().first()


def _check_access(ctx: Context, node: Any, ident: str, rule: str) -> None:
    target = common.node_policy_target(node)
    if not common.allowed(ctx, "baremetal:node:get", target):
        raise NotFound(f"Port {ident} could not be found.")
    common.authorize(ctx, rule, target)


def _normalize(conn: Any, ctx: Context, values: dict[str, Any], current: Mapping[str, Any] | None,
               versioned: Mapping[str, APIVersion] = VERSIONED) -> dict[str, Any]:
    for key in ("pxe_enabled", "is_smartnic"):
        if key in values:
            values[key] = _bool(key, values[key]) if values[key] is not None else key == "pxe_enabled"
    for key in ("extra", "local_link_connection"):
        if key in values and values[key] is None:
            values[key] = {}
    for key, since in versioned.items():
        if key in values:
            common.require(ctx, since)
    if VTEP_KEYS & set(values.get("local_link_connection") or {}) and not (
            v.OVN_VTEP <= ctx.version < v.REMOVE_OVN_VTEP):
        raise NotAcceptable("Request not acceptable.")
    if values.get("name") is not None:
        if not common.NAME_RE.match(values["name"]) or common.is_uuid(values["name"]):
            raise BadRequest(f"Expected a logical name but received {values['name']}.")
        clash = conn.execute(sa.select(ports.c.uuid).where(ports.c.name == values["name"])).scalar()
        if clash and (current is None or clash != current["uuid"]):
            raise Conflict(f"A port with name {values['name']} already exists.")
    if "address" in values:
        if not isinstance(values["address"], str) or not MAC_RE.match(values["address"]):
            raise BadRequest(f"Expected a MAC address but received {values['address']}.")
        values["address"] = values["address"].lower().replace("-", ":")
        clash = conn.execute(sa.select(ports.c.uuid).where(ports.c.address == values["address"])).scalar()
        if clash and (current is None or clash != current["uuid"]):
            raise Conflict(f"A port with MAC address {values['address']} already exists.")
    llc = values.get("local_link_connection") or {}
    if set(llc) - LLC_KEYS:
        raise BadRequest(f"Invalid input for field/attribute local_link_connection. Value: '{llc}'. "
                         f"Additional properties are not allowed ({', '.join(sorted(set(llc) - LLC_KEYS))} were "
                         "unexpected)")
    if len(VTEP_KEYS & set(llc)) == 1:
        raise BadRequest(f"Invalid input for field/attribute local_link_connection. Value: '{llc}'. "
                         "vtep-logical-switch and vtep-physical-switch go together")
    if llc and llc.get("network_type") != "smartnic" and not ({"switch_id", "port_id"} <= set(llc)) \
            and not ({"port_id", *VTEP_KEYS} <= set(llc)):
        raise BadRequest(f"Invalid input for field/attribute local_link_connection. Value: '{llc}'. Missing "
                         "mandatory field(s): port_id, switch_id")
    if "node_uuid" in values:
        if not common.is_uuid(values["node_uuid"]) or _node_of(conn, values["node_uuid"]) is None:
            raise BadRequest(f"Node {values['node_uuid']} could not be found.")
    node_uuid = values.get("node_uuid") or (current or {}).get("node_uuid")
    pg_uuid = values.get("portgroup_uuid") if "portgroup_uuid" in values else (current or {}).get("portgroup_uuid")
    if pg_uuid and ("portgroup_uuid" in values or "physical_network" in values):
        pg = conn.execute(sa.select(portgroups).where(portgroups.c.uuid == pg_uuid)).mappings().first()
        if pg is None:
            raise BadRequest(f"Portgroup {pg_uuid} could not be found.")
        if pg["node_uuid"] != node_uuid:
            raise BadRequest("Port can not be added to a portgroup belonging to another node.")
        physnet = values.get("physical_network", (current or {}).get("physical_network"))
        others = conn.execute(sa.select(ports.c.physical_network).where(
            ports.c.portgroup_uuid == pg["uuid"], ports.c.uuid != (current or {}).get("uuid", ""))).scalars().all()
        if others and any(o != physnet for o in others):
            raise Conflict(f"Port group {pg['uuid']} has member ports with different physical networks "
                           f"({', '.join(sorted({str(o) for o in others}))}).")
    return values


def node_filters(ctx: Context, rq: ApiRequest, stmt: sa.Select, node_col: Any, *, exclusive: bool,
                 combined: bool) -> sa.Select:
    """?shard= (ports from 1.82, portgroups from 1.106) and ?conductor_groups= (1.99; ironic does not
    check the version of the latter): members of nodes in those shards or conductor groups."""
    shard, groups = rq.query.get("shard"), rq.query.get("conductor_groups")
    if shard is not None:
        if exclusive:
            raise Forbidden("Operation not permitted.")
        stmt = stmt.where(node_col.in_(sa.select(nodes.c.uuid).where(nodes.c.shard.in_(shard.split(",")))))
    if groups:
        if combined:
            raise BadRequest("Filtering by conductor_groups cannot be combined with node_ident, portgroup_ident, "
                             "or node address filters.")
        wanted = [g.strip().lower() for g in groups.split(",")]
        stmt = stmt.where(node_col.in_(sa.select(nodes.c.uuid).where(nodes.c.conductor_group.in_(wanted))))
    return stmt


def list_ports_body(ctx: Context, rq: ApiRequest, *, detail: bool, node_uuid: str | None = None,
                    portgroup_uuid: str | None = None, path: str = "ports") -> dict[str, Any]:
    target = common.node_policy_target(None)
    owner = None
    if not common.allowed(ctx, "baremetal:port:list_all", target):
        if not ctx.project_id:
            common.authorize(ctx, "baremetal:port:list_all", target)
        common.authorize(ctx, "baremetal:port:list", target)
        owner = ctx.project_id
    if "detail" in rq.query:
        common.require(ctx, v.DETAIL_QUERY)
    if "shard" in rq.query:
        common.require(ctx, v.SHARD)
    q = common.parse_list(ctx, rq, PORTS)
    if detail and q.fields:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    check_fields(ctx, q.fields or None)
    stmt = sa.select(ports)
    with db.reader() as conn:
        node_ident = rq.query.get("node_uuid") or rq.query.get("node")
        if node_ident and not node_uuid:
            try:
                node_uuid = common.find_node(conn, ctx, node_ident)["uuid"]
            except NotFound:
                return {"ports": []}
        if node_uuid:
            stmt = stmt.where(ports.c.node_uuid == node_uuid)
        pg = portgroup_uuid or rq.query.get("portgroup")
        if pg:
            common.require(ctx, v.PORTGROUPS_SUBCONTROLLERS)
            pg_row = conn.execute(sa.select(portgroups.c.uuid).where(
                sa.or_(portgroups.c.uuid == pg, portgroups.c.name == pg))).scalar()
            stmt = stmt.where(ports.c.portgroup_uuid == (pg_row or pg))
        if rq.query.get("address"):
            stmt = stmt.where(ports.c.address == rq.query["address"].lower())
        stmt = node_filters(ctx, rq, stmt, ports.c.node_uuid, exclusive=bool(node_uuid or pg),
                            combined=bool(node_uuid or pg or rq.query.get("address")))
        if rq.query.get("description_contains"):
            stmt = stmt.where(ports.c.description.contains(rq.query["description_contains"]))
        if owner:
            stmt = stmt.where(ports.c.node_uuid.in_(sa.select(nodes.c.uuid).where(
                sa.or_(nodes.c.owner == owner, nodes.c.lessee == owner))))
        rows, more = common.page(conn, PORTS, stmt, q, lambda m: NotFound(f"Port {m} could not be found."))
    fields = q.fields or (None if detail else ["uuid", "address"])
    body = {"ports": [render_port(ctx, rq, r, fields) for r in rows]}
    if more and rows:
        body["next"] = common.next_link(ctx, rq, "ports", rows[-1]["uuid"], q.limit, path)
    return body


# --- routes ------------------------------------------------------------------
def list_ports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return list_ports_body(ctx, rq, detail=bool(common.bool_param(rq, "detail")))


def list_ports_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return list_ports_body(ctx, rq, detail=True, path="ports/detail")


def list_node_ports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        node = common.find_node(conn, ctx, rq.params["node_ident"])
    common.check_node(ctx, node, rq.params["node_ident"])
    detail = rq.path.endswith("/detail")
    return list_ports_body(ctx, rq, detail=detail, node_uuid=node["uuid"],
                           path=f"nodes/{rq.params['node_ident']}/ports" + ("/detail" if detail else ""))


def show_port(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "port_id", ports)
    fields = rq.query.get("fields")
    wanted = [f for f in fields.split(",") if f] if fields is not None else None
    if wanted is not None:
        common.require(ctx, v.FIELDS)
    check_fields(ctx, wanted)
    with db.reader() as conn:
        row = _find(conn, rq.params["port_id"])
        _check_access(ctx, _node_of(conn, row["node_uuid"]), rq.params["port_id"], "baremetal:port:get")
    return render_port(ctx, rq, row, wanted)


def _port_node(conn: Any, ctx: Context, body: dict[str, Any]) -> Any:
    """The node a new port is for: node_uuid, or (from 1.94) node_ident, a node's name or UUID."""
    if "node_ident" in body:
        common.require(ctx, v.PORT_NODE_IDENT)
        try:
            return common.find_node(conn, ctx, body["node_ident"])
        except (NotFound, BadRequest):
            return None
    return _node_of(conn, body["node_uuid"]) if common.is_uuid(str(body["node_uuid"])) else None


def create_port(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body
    try:
        schemas.validate(PORT_SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for port: {exc.detail}") from None
    if ("node_ident" in body) == ("node_uuid" in body):
        raise BadRequest("Schema error for port: exactly one of node_ident and node_uuid is required")
    body = dict(body)
    with db.session() as conn:
        node = _port_node(conn, ctx, body)
        common.authorize(ctx, "baremetal:port:create", common.node_policy_target(node))
        if node is None:
            raise BadRequest(f"Node {body.get('node_ident') or body['node_uuid']} could not be found.")
        body.pop("node_ident", None)
        body["node_uuid"] = node["uuid"]
        values = _normalize(conn, ctx, body, None, CREATE_VERSIONED)
        port_id = values.pop("uuid", None) or new_uuid()
        if conn.execute(sa.select(ports.c.uuid).where(ports.c.uuid == port_id)).scalar():
            raise Conflict(f"A port with UUID {port_id} already exists.")
        conn.execute(ports.insert().values(uuid=port_id, created_at=utcnow(), internal_info={},
                                           extra=values.pop("extra", None) or {},
                                           local_link_connection=values.pop("local_link_connection", None) or {},
                                           pxe_enabled=values.pop("pxe_enabled", True), **values))
        row = _find(conn, port_id)
    out = render_port(ctx, rq, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_port(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "port_id", ports)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, rq.params["port_id"])
        _check_access(ctx, _node_of(conn, row["node_uuid"]), rq.params["port_id"], "baremetal:port:update")
        common.allowed_paths(patch, PATCH_ALLOWED)
        doc = {k: row[k] for k in PATCH_ALLOWED}
        new = common.apply_patch(doc, patch)
        try:
            schemas.validate({**PORT_SCHEMA, "required": []}, new)
        except ValidationFailed as exc:
            raise BadRequest(f"Schema error for port: {exc.detail}") from None
        changes = {k: new.get(k) for k in PATCH_ALLOWED if new.get(k) != doc.get(k)}
        if "node_uuid" in changes and changes["node_uuid"] is None:
            raise BadRequest("'/node_uuid' is a mandatory attribute and can not be removed")
        if "address" in changes and changes["address"] is None:
            raise BadRequest("'/address' is a mandatory attribute and can not be removed")
        changes = _normalize(conn, ctx, changes, row)
        if changes:
            conn.execute(ports.update().where(ports.c.uuid == row["uuid"]).values(updated_at=utcnow(), **changes))
        row = _find(conn, row["uuid"])
    return render_port(ctx, rq, row, None)


def delete_port(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "port_id", ports)
    with db.session() as conn:
        row = _find(conn, rq.params["port_id"])
        _check_access(ctx, _node_of(conn, row["node_uuid"]), rq.params["port_id"], "baremetal:port:delete")
        conn.execute(ports.delete().where(ports.c.uuid == row["uuid"]))


# checked in the handlers (a resource the caller may not see is concealed as 404)
LIST_PORTS_RULES = in_handler("baremetal:port:list", "baremetal:port:list_all", "baremetal:node:get")
CREATE_PORT_RULES = in_handler("baremetal:port:create", "baremetal:node:get")
UPDATE_PORT_RULES = in_handler("baremetal:node:get", "baremetal:port:update")
DELETE_PORT_RULES = in_handler("baremetal:node:get", "baremetal:port:delete")
ROUTES = [
    route("GET", "/v1/ports", list_ports, policy=LIST_PORTS_RULES),
    route("GET", "/v1/ports/detail", list_ports_detail, policy=LIST_PORTS_RULES),
    route("POST", "/v1/ports", create_port, policy=CREATE_PORT_RULES, status=201),
    route("GET", "/v1/ports/{port_id}", show_port, policy=in_handler("baremetal:node:get", "baremetal:port:get")),
    route("PATCH", "/v1/ports/{port_id}", update_port, policy=UPDATE_PORT_RULES),
    route("DELETE", "/v1/ports/{port_id}", delete_port, policy=DELETE_PORT_RULES, status=204),
    route("GET", "/v1/nodes/{node_ident}/ports", list_node_ports, policy=LIST_PORTS_RULES),
    route("GET", "/v1/nodes/{node_ident}/ports/detail", list_node_ports, policy=LIST_PORTS_RULES),
]
