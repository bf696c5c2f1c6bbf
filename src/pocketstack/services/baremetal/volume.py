"""Volume connectors and targets: /v1/volume, /v1/volume/connectors, /v1/volume/targets,
/v1/nodes/{node}/volume/* (api-ref: baremetal, Volume; ironic/api/controllers/v1/volume*.py). New in
1.32. Changing or removing one needs the node powered off, as the conductor checks."""

from __future__ import annotations

from dataclasses import dataclass
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
from pocketstack.core.policy import ANY_USER, in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import nodes, volume_connectors, volume_targets


@dataclass
class Kind:
    key: str                 # connectors / targets
    word: str                # connector / target
    table: sa.Table
    fields: tuple[str, ...]
    default_fields: tuple[str, ...]
    schema: dict[str, Any]
    listing: Listing

    def duplicate(self, values: dict[str, Any]) -> str:
        if self.word == "connector":
            return (f"A volume connector with type {values['type']} and connector ID {values['connector_id']} "
                    "already exists.")
        return f"A volume target with boot index '{values['boot_index']}' for the same node already exists."


def _kind(key: str, word: str, table: sa.Table, fields: tuple[str, ...], default: tuple[str, ...],
          props: dict[str, Any], required: list[str]) -> Kind:
    schema = schemas.obj({**props, "extra": {"type": ["object", "null"]}, "node_uuid": {"type": "string"},
                          "uuid": {"type": ["string", "null"]}}, required, additional=False)
    listing = Listing(table, sort_keys={"uuid", "created_at", "updated_at", *fields}, id_key="uuid",
                      default_sort=[("created_at", "asc")])
    return Kind(key, word, table, fields, default, schema, listing)


CONNECTORS = _kind("connectors", "connector", volume_connectors, ("uuid", "node_uuid", "type", "connector_id", "extra"),
                   ("uuid", "node_uuid", "type", "connector_id"),
                   {"connector_id": {"type": "string"}, "type": {"type": "string"}}, ["connector_id", "node_uuid",
                                                                                       "type"])
TARGETS = _kind("targets", "target", volume_targets, ("uuid", "node_uuid", "volume_type", "properties", "boot_index",
                                                      "volume_id", "extra"),
                ("uuid", "node_uuid", "volume_type", "boot_index", "volume_id"),
                {"boot_index": {"type": "integer"}, "properties": {"type": ["object", "null"]},
                 "volume_id": {"type": "string"}, "volume_type": {"type": "string"}},
                ["boot_index", "node_uuid", "volume_id", "volume_type"])
KINDS = {"connectors": CONNECTORS, "targets": TARGETS}


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, kind: Kind, row: Any,
           fields: tuple[str, ...] | list[str] | None) -> dict[str, Any]:
    names = [*kind.fields, "created_at", "updated_at"]
    body = {f: (common.iso(row[f]) if f.endswith("_at") else row[f]) for f in names if fields is None or f in fields}
    body["links"] = common.links(common.public_url(ctx, rq), f"volume/{kind.key}", row["uuid"])
    return body


# --- logic -------------------------------------------------------------------
def _kind_of(rq: ApiRequest) -> Kind:
    return CONNECTORS if "/connectors" in rq.path else TARGETS


def _find(conn: Any, kind: Kind, ident: str) -> Any:
    if not common.is_uuid(ident):
        raise BadRequest(f"Expected a UUID but received {ident}.")
    row = conn.execute(sa.select(kind.table).where(kind.table.c.uuid == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Volume {kind.word} {ident} could not be found.")
    return row


def _node(conn: Any, node_uuid: Any) -> Any:
    if not isinstance(node_uuid, str) or not common.is_uuid(node_uuid):
        raise BadRequest(f"Expected a UUID for node_uuid, but received {node_uuid}.")
    node = conn.execute(sa.select(nodes).where(nodes.c.uuid == node_uuid)).mappings().first()
    if node is None:
        raise BadRequest(f"Node {node_uuid} could not be found.")
    return node


def _settle(kind: Kind, ident: str) -> None:
    """The conductor takes the node's lock (waiting for a running power change) before it checks."""
    with db.reader() as conn:
        row = _find(conn, kind, ident)
    common.wait_unlocked(row["node_uuid"])


def _powered_off(node: Any, action: str) -> None:
    if node["power_state"] != "power off":
        raise BadRequest(f'The requested action "{action}" can not be performed on node "{node["uuid"]}" while it '
                         f'is in state "{node["power_state"]}".')


def _clash(conn: Any, kind: Kind, values: dict[str, Any], own: str | None) -> None:
    t = kind.table
    cond = (sa.and_(t.c.type == values["type"], t.c.connector_id == values["connector_id"]) if kind is CONNECTORS
            else sa.and_(t.c.node_uuid == values["node_uuid"], t.c.boot_index == values["boot_index"]))
    found = conn.execute(sa.select(t.c.uuid).where(cond)).scalar()
    if found and found != own:
        raise Conflict(kind.duplicate(values))


def _access(ctx: Context, node: Any, rule: str, kind: Kind, ident: str) -> None:
    target = common.node_policy_target(node)
    if not common.allowed(ctx, "baremetal:node:get", target):
        raise NotFound(f"Volume {kind.word} {ident} could not be found.")
    common.authorize(ctx, rule, target)


# --- routes ------------------------------------------------------------------
def show_volume_root(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.VOLUME)
    base = common.public_url(ctx, rq)
    node_ident = rq.params.get("node_ident")
    if node_ident:
        with db.reader() as conn:
            common.check_node(ctx, common.find_node(conn, ctx, node_ident), node_ident)
    res = f"nodes/{node_ident}/volume" if node_ident else "volume"
    return {"links": common.links(base, res, ""), "connectors": common.links(base, res, "connectors"),
            "targets": common.links(base, res, "targets")}


def list_items(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.VOLUME)
    kind = _kind_of(rq)
    owner = None
    if not common.allowed(ctx, "baremetal:volume:list_all", common.node_policy_target(None)):
        common.authorize(ctx, "baremetal:volume:list", common.node_policy_target(None))
        owner = ctx.project_id
    q = common.parse_list(ctx, rq, kind.listing)
    detail = bool(common.bool_param(rq, "detail"))
    if detail and q.fields:
        raise BadRequest("Can't fetch a subset of fields with 'detail' set")
    bad = [f for f in q.fields if f not in (*kind.fields, "created_at", "updated_at")]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')
    stmt = sa.select(kind.table)
    with db.reader() as conn:
        node_ident = rq.params.get("node_ident") or rq.query.get("node")
        if node_ident:
            node = common.find_node(conn, ctx, node_ident)
            common.check_node(ctx, node, node_ident)
            stmt = stmt.where(kind.table.c.node_uuid == node["uuid"])
        if owner:
            stmt = stmt.where(kind.table.c.node_uuid.in_(sa.select(nodes.c.uuid).where(
                sa.or_(nodes.c.owner == owner, nodes.c.lessee == owner))))
        rows, more = common.page(conn, kind.listing, stmt, q,
                                 lambda m: NotFound(f"Volume {kind.word} {m} could not be found."))
    fields = q.fields or (None if detail else kind.default_fields)
    return common.collection(ctx, rq, kind.key, [render(ctx, rq, kind, r, fields) for r in rows], more, q,
                             path=f"volume/{kind.key}")


def show_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.VOLUME)
    kind = _kind_of(rq)
    raw = rq.query.get("fields")
    with db.reader() as conn:
        row = _find(conn, kind, rq.params["ident"])
        _access(ctx, _node(conn, row["node_uuid"]), "baremetal:volume:get", kind, rq.params["ident"])
    return render(ctx, rq, kind, row, [f for f in raw.split(",") if f] if raw else None)


def create_item(ctx: Context, rq: ApiRequest) -> Response:
    common.hidden(ctx, v.VOLUME)
    kind = _kind_of(rq)
    body = rq.body
    try:
        schemas.validate(kind.schema, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for volume {kind.word}: {exc.detail}") from None
    with db.session() as conn:
        node = _node(conn, body["node_uuid"])
        common.authorize(ctx, "baremetal:volume:create", common.node_policy_target(node))
        values = {k: body[k] for k in kind.fields if k in body and k != "uuid"}
        for key in ("extra", "properties"):
            if key in kind.fields:
                values[key] = values.get(key) or {}
        _clash(conn, kind, values, None)
        uid = body.get("uuid") or new_uuid()
        if conn.execute(sa.select(kind.table.c.uuid).where(kind.table.c.uuid == uid)).scalar():
            raise Conflict(f"A volume {kind.word} with UUID {uid} already exists.")
        conn.execute(kind.table.insert().values(uuid=uid, created_at=utcnow(), **values))
        row = _find(conn, kind, uid)
    out = render(ctx, rq, kind, row, None)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def update_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.VOLUME)
    kind = _kind_of(rq)
    patch = common.check_patch(rq.body)
    _settle(kind, rq.params["ident"])
    with db.session() as conn:
        row = _find(conn, kind, rq.params["ident"])
        node = _node(conn, row["node_uuid"])
        _access(ctx, node, "baremetal:volume:update", kind, rq.params["ident"])
        allowed = [f for f in kind.fields if f != "uuid"]
        common.allowed_paths(patch, allowed)
        doc = {k: row[k] for k in allowed}
        new = common.apply_patch(doc, patch)
        try:
            schemas.validate({**kind.schema, "required": []}, new)
        except ValidationFailed as exc:
            raise BadRequest(f"Schema error for volume {kind.word}: {exc.detail}") from None
        for key in kind.schema.get("required", []):
            if new.get(key) is None:
                raise BadRequest(f"'/{key}' is a mandatory attribute and can not be removed")
        if new["node_uuid"] != row["node_uuid"]:
            node = _node(conn, new["node_uuid"])
        _powered_off(node, f"volume {kind.word} update")
        _clash(conn, kind, new, row["uuid"])
        new.update({k: new.get(k) or {} for k in ("extra", "properties") if k in kind.fields})
        conn.execute(kind.table.update().where(kind.table.c.uuid == row["uuid"]).values(updated_at=utcnow(), **new))
        row = _find(conn, kind, row["uuid"])
    return render(ctx, rq, kind, row, None)


def delete_item(ctx: Context, rq: ApiRequest) -> None:
    common.hidden(ctx, v.VOLUME)
    kind = _kind_of(rq)
    _settle(kind, rq.params["ident"])
    with db.session() as conn:
        row = _find(conn, kind, rq.params["ident"])
        node = _node(conn, row["node_uuid"])
        _access(ctx, node, "baremetal:volume:delete", kind, rq.params["ident"])
        _powered_off(node, f"volume {kind.word} deletion")
        conn.execute(kind.table.delete().where(kind.table.c.uuid == row["uuid"]))


# checked in the handlers (a resource the caller may not see is concealed as 404)
LIST_ITEMS_RULES = in_handler("baremetal:volume:list", "baremetal:volume:list_all", "baremetal:node:get")
CREATE_ITEM_RULES = in_handler("baremetal:volume:create", "baremetal:node:get")
SHOW_ITEM_RULES = in_handler("baremetal:node:get", "baremetal:volume:get")
UPDATE_ITEM_RULES = in_handler("baremetal:node:get", "baremetal:volume:update")
DELETE_ITEM_RULES = in_handler("baremetal:node:get", "baremetal:volume:delete")
ROUTES = [route("GET", "/v1/volume", show_volume_root, policy=ANY_USER),
          route("GET", "/v1/nodes/{node_ident}/volume", show_volume_root, policy=ANY_USER)]
for _res in ("connectors", "targets"):
    ROUTES += [
        route("GET", f"/v1/volume/{_res}", list_items, policy=LIST_ITEMS_RULES),
        route("POST", f"/v1/volume/{_res}", create_item, policy=CREATE_ITEM_RULES, status=201),
        route("GET", f"/v1/volume/{_res}/{{ident}}", show_item, policy=SHOW_ITEM_RULES),
        route("PATCH", f"/v1/volume/{_res}/{{ident}}", update_item, policy=UPDATE_ITEM_RULES),
        route("DELETE", f"/v1/volume/{_res}/{{ident}}", delete_item, policy=DELETE_ITEM_RULES, status=204),
        route("GET", f"/v1/nodes/{{node_ident}}/volume/{_res}", list_items, policy=LIST_ITEMS_RULES),
    ]
