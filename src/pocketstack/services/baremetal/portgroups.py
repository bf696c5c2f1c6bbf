"""Portgroups: /v1/portgroups, /v1/nodes/{node}/portgroups, /v1/portgroups/{pg}/ports (api-ref: baremetal,
Portgroups; ironic/api/controllers/v1/portgroup.py). New in 1.23."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import APIVersion
from pocketstack.services.baremetal import common, ports
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import nodes, portgroups
from pocketstack.services.baremetal.tables import ports as port_rows

_STR = {"type": ["string", "null"]}
SCHEMA = schemas.obj({
    "address": _STR, "extra": {"type": ["object", "null"]}, "mode": _STR, "name": _STR,
    "node_uuid": {"type": "string"}, "properties": {"type": ["object", "null"]},
    "standalone_ports_supported": {"type": ["string", "boolean", "null"]}, "uuid": _STR,
    "physical_network": {"type": ["string", "null"], "maxLength": 64},
    "category": {"type": ["string", "null"], "maxLength": 80}}, ["node_uuid"], additional=False)
# quirk: ironic gates only mode and properties on writes; physical_network and category are merely hidden
PATCH_ALLOWED = ["address", "extra", "mode", "name", "node_uuid", "properties", "standalone_ports_supported",
                 "physical_network", "category"]
FIELDS: list[tuple[str, APIVersion]] = [
    ("uuid", v.MIN), ("name", v.MIN), ("address", v.MIN), ("node_uuid", v.MIN), ("extra", v.MIN),
    ("internal_info", v.MIN), ("standalone_ports_supported", v.MIN), ("created_at", v.MIN), ("updated_at", v.MIN),
    ("mode", v.PORTGROUP_MODE), ("properties", v.PORTGROUP_MODE), ("physical_network", v.PORTGROUP_PHYSNET),
    ("category", v.PORTGROUP_CATEGORY), ("dynamic_portgroup", v.DYNAMIC_PORTGROUP)]
PORTGROUPS = Listing(portgroups, sort_keys={"uuid", "name", "address", "created_at", "updated_at", "mode"},
                     default_sort=[("created_at", "asc")], id_key="uuid")


# --- views -------------------------------------------------------------------
def render_portgroup(ctx: Context, rq: ApiRequest, row: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, since in FIELDS:
        if ctx.version >= since and (fields is None or name in fields):
            body[name] = common.iso(row[name]) if name in ("created_at", "updated_at") else row[name]
    base = common.public_url(ctx, rq)
    body["links"] = common.links(base, "portgroups", row["uuid"])
    if fields is None:
        body["ports"] = common.links(base, "portgroups", row["uuid"] + "/ports")
    return body


# --- logic -------------------------------------------------------------------
def _find(conn: Any, ctx: Context, ident: str) -> Any:
    common.hidden(ctx, v.PORTGROUPS)
    col = portgroups.c.uuid if common.is_uuid(ident) else portgroups.c.name
    row = conn.execute(sa.select(portgroups).where(col == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Portgroup {ident} could not be found.")
    return row


def _check_access(ctx: Context, conn: Any, row: Any, ident: str, rule: str) -> None:
    node = conn.execute(sa.select(nodes).where(nodes.c.uuid == row["node_uuid"])).mappings().first()
    target = common.node_policy_target(node)
    if not common.allowed(ctx, "baremetal:node:get", target):
        raise NotFound(f"Portgroup {ident} could not be found.")
    common.authorize(ctx, rule, target)


def _normalize(conn: Any, ctx: Context, values: dict[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    if ("mode" in values or "properties" in values) and ctx.version < v.PORTGROUP_MODE:
        common.require(ctx, v.PORTGROUP_MODE)
    if values.get("mode") is None and "mode" in values or (current is None and "mode" not in values):
        values["mode"] = "active-backup"
    for key in ("extra", "properties"):
        if key in values and values[key] is None:
            values[key] = {}
    if "standalone_ports_supported" in values:
        raw = values["standalone_ports_supported"]
        values["standalone_ports_supported"] = True if raw is None else ports._bool("standalone_ports_supported", raw)
    if values.get("address") is not None:
        if not ports.MAC_RE.match(values["address"]):
            raise BadRequest(f"Expected a MAC address but received {values['address']}.")
        values["address"] = values["address"].lower().replace("-", ":")
        clash = conn.execute(sa.select(portgroups.c.uuid).where(portgroups.c.address == values["address"])).scalar()
        if clash and (current is None or clash != current["uuid"]):
            raise Conflict(f"A portgroup with MAC address {values['address']} already exists.")
    if values.get("name") is not None:
        if not common.valid_name(ctx, values["name"]) or common.is_uuid(values["name"]):
            raise BadRequest(f"Expected a logical name but received {values['name']}.")
        clash = conn.execute(sa.select(portgroups.c.uuid).where(portgroups.c.name == values["name"])).scalar()
        if clash and (current is None or clash != current["uuid"]):
            raise Conflict(f"A portgroup with name {values['name']} already exists.")
    if "node_uuid" in values:
        if not common.is_uuid(str(values["node_uuid"])) or not conn.execute(
                sa.select(nodes.c.uuid).where(nodes.c.uuid == values["node_uuid"])).scalar():
            raise BadRequest(f"Node {values['node_uuid']} could not be found.")
    return values


def list_body(ctx: Context, rq: ApiRequest, *, detail: bool, node_uuid: str | None = None,
              path: str = "portgroups") -> dict[str, Any]:
    common.hidden(ctx, v.PORTGROUPS)
    target = common.node_policy_target(None)
    owner = None
    if not common.allowed(ctx, "baremetal:portgroup:list_all", target):
        if not ctx.project_id:
            common.authorize(ctx, "baremetal:portgroup:list_all", target)
        common.authorize(ctx, "baremetal:portgroup:list", target)
        owner = ctx.project_id
    if "shard" in rq.query:
        common.require(ctx, v.PORTGROUP_SHARD)
    q = common.parse_list(ctx, rq, PORTGROUPS)
    if detail and q.fields:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    known = dict(FIELDS)
    for f in q.fields:
        if f not in known:
            raise BadRequest(f'Field(s) "{f}" are not valid')
        common.require(ctx, known[f])
    stmt = sa.select(portgroups)
    with db.reader() as conn:
        node_ident = rq.query.get("node")
        if node_ident and not node_uuid:
            try:
                node_uuid = common.find_node(conn, ctx, node_ident)["uuid"]
            except NotFound:
                return {"portgroups": []}
        if node_uuid:
            stmt = stmt.where(portgroups.c.node_uuid == node_uuid)
        if rq.query.get("address"):
            stmt = stmt.where(portgroups.c.address == rq.query["address"].lower())
        given = [node_uuid, *(rq.query.get(k) for k in ("address", "shard", "conductor_groups"))]
        if len([g for g in given if g]) > 1:
            raise BadRequest("Filtering by node, address, or shard simultaneously is not supported.")
        stmt = ports.node_filters(ctx, rq, stmt, portgroups.c.node_uuid, exclusive=False, combined=False)
        if owner:
            stmt = stmt.where(portgroups.c.node_uuid.in_(sa.select(nodes.c.uuid).where(
                sa.or_(nodes.c.owner == owner, nodes.c.lessee == owner))))
        rows, more = common.page(conn, PORTGROUPS, stmt, q, lambda m: NotFound(f"Portgroup {m} could not be found."))
    fields = q.fields or (None if detail else ["uuid", "address", "name"])
    body = {"portgroups": [render_portgroup(ctx, rq, r, fields) for r in rows]}
    if more and rows:
        body["next"] = common.next_link(ctx, rq, "portgroups", rows[-1]["uuid"], q.limit, path)
    return body


# --- routes ------------------------------------------------------------------
def list_portgroups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return list_body(ctx, rq, detail=bool(common.bool_param(rq, "detail")) or rq.path.endswith("/detail"))


def list_node_portgroups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.PORTGROUPS_SUBCONTROLLERS)
    with db.reader() as conn:
        node = common.find_node(conn, ctx, rq.params["node_ident"])
    common.check_node(ctx, node, rq.params["node_ident"])
    return list_body(ctx, rq, detail=rq.path.endswith("/detail"), node_uuid=node["uuid"],
                     path=f"nodes/{rq.params['node_ident']}/portgroups")


def list_portgroup_ports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.PORTGROUPS_SUBCONTROLLERS)
    with db.reader() as conn:
        row = _find(conn, ctx, rq.params["portgroup_ident"])
        _check_access(ctx, conn, row, rq.params["portgroup_ident"], "baremetal:portgroup:get")
    return ports.list_ports_body(ctx, rq, detail=rq.path.endswith("/detail"), portgroup_uuid=row["uuid"],
                                 path=f"portgroups/{rq.params['portgroup_ident']}/ports")


def show_portgroup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "portgroup_ident", portgroups)
    raw = rq.query.get("fields")
    fields = [f for f in raw.split(",") if f] if raw is not None else None
    with db.reader() as conn:
        row = _find(conn, ctx, rq.params["portgroup_ident"])
        _check_access(ctx, conn, row, rq.params["portgroup_ident"], "baremetal:portgroup:get")
    if fields is not None:
        known = dict(FIELDS)
        bad = [f for f in fields if f not in known]
        if bad:
            raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')
    return render_portgroup(ctx, rq, row, fields)


def create_portgroup(ctx: Context, rq: ApiRequest) -> Response:
    common.hidden(ctx, v.PORTGROUPS)
    body = rq.body
    try:
        schemas.validate(SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for portgroup: {exc.detail}") from None
    with db.session() as conn:
        node = conn.execute(sa.select(nodes).where(nodes.c.uuid == str(body["node_uuid"]))).mappings().first()
        common.authorize(ctx, "baremetal:portgroup:create", common.node_policy_target(node))
        values = _normalize(conn, ctx, dict(body), None)
        pg_id = values.pop("uuid", None) or new_uuid()
        if conn.execute(sa.select(portgroups.c.uuid).where(portgroups.c.uuid == pg_id)).scalar():
            raise Conflict(f"A portgroup with UUID {pg_id} already exists.")
        conn.execute(portgroups.insert().values(
            uuid=pg_id, created_at=utcnow(), internal_info={}, extra=values.pop("extra", None) or {},
            properties=values.pop("properties", None) or {},
            standalone_ports_supported=values.pop("standalone_ports_supported", True), **values))
        row = _find(conn, ctx, pg_id)
    out = render_portgroup(ctx, rq, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_portgroup(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "portgroup_ident", portgroups)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, ctx, rq.params["portgroup_ident"])
        _check_access(ctx, conn, row, rq.params["portgroup_ident"], "baremetal:portgroup:update")
        common.allowed_paths(patch, PATCH_ALLOWED)
        doc = {k: row[k] for k in PATCH_ALLOWED}
        new = common.apply_patch(doc, patch)
        try:
            schemas.validate({**SCHEMA, "required": []}, new)
        except ValidationFailed as exc:
            raise BadRequest(f"Schema error for portgroup: {exc.detail}") from None
        changes = {k: new.get(k) for k in PATCH_ALLOWED if new.get(k) != doc.get(k)}
        if "node_uuid" in changes and changes["node_uuid"] is None:
            raise BadRequest("'/node_uuid' is a mandatory attribute and can not be removed")
        changes = _normalize(conn, ctx, changes, row)
        if changes:
            conn.execute(portgroups.update().where(portgroups.c.uuid == row["uuid"]).values(updated_at=utcnow(),
                                                                                         **changes))
        row = _find(conn, ctx, row["uuid"])
    return render_portgroup(ctx, rq, row, None)


def delete_portgroup(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "portgroup_ident", portgroups)
    with db.session() as conn:
        row = _find(conn, ctx, rq.params["portgroup_ident"])
        _check_access(ctx, conn, row, rq.params["portgroup_ident"], "baremetal:portgroup:delete")
        if conn.execute(sa.select(port_rows.c.uuid).where(port_rows.c.portgroup_uuid == row["uuid"])).first():
            raise BadRequest(f"Cannot complete the requested action because portgroup {row['uuid']} contains ports.")
        conn.execute(portgroups.delete().where(portgroups.c.uuid == row["uuid"]))


# checked in the handlers (a resource the caller may not see is concealed as 404)
LIST_PORTGROUPS_RULES = in_handler("baremetal:portgroup:list", "baremetal:portgroup:list_all", "baremetal:node:get")
CREATE_PORTGROUP_RULES = in_handler("baremetal:portgroup:create", "baremetal:node:get")
DELETE_PORTGROUP_RULES = in_handler("baremetal:node:get", "baremetal:portgroup:delete")
LIST_PORTGROUP_PORTS_RULES = in_handler(
    "baremetal:node:get", "baremetal:portgroup:get", "baremetal:port:list", "baremetal:port:list_all")
PG = "/v1/portgroups/{portgroup_ident}"
ROUTES = [
    route("GET", "/v1/portgroups", list_portgroups, policy=LIST_PORTGROUPS_RULES),
    route("GET", "/v1/portgroups/detail", list_portgroups, policy=LIST_PORTGROUPS_RULES),
    route("POST", "/v1/portgroups", create_portgroup, policy=CREATE_PORTGROUP_RULES, status=201),
    route("GET", PG, show_portgroup, policy=in_handler("baremetal:node:get", "baremetal:portgroup:get")),
    route("PATCH", PG, update_portgroup, policy=in_handler("baremetal:node:get", "baremetal:portgroup:update")),
    route("DELETE", PG, delete_portgroup, policy=DELETE_PORTGROUP_RULES, status=204),
    route("GET", PG + "/ports", list_portgroup_ports, policy=LIST_PORTGROUP_PORTS_RULES),
    route("GET", PG + "/ports/detail", list_portgroup_ports, policy=LIST_PORTGROUP_PORTS_RULES),
    route("GET", "/v1/nodes/{node_ident}/portgroups", list_node_portgroups, policy=LIST_PORTGROUPS_RULES),
    route("GET", "/v1/nodes/{node_ident}/portgroups/detail", list_node_portgroups, policy=LIST_PORTGROUPS_RULES),
]
