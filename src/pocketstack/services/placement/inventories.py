"""Inventories: /resource_providers/{uuid}/inventories (api-ref: placement, Resource provider inventories;
placement/handlers/inventory.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import common
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:resource_providers:inventories:"
INV = t.inventories
MAX = common.MAX_INT

# --- schemas -------------------------------------------------------------------------------
FIELDS: dict[str, Any] = {
    "total": {"type": "integer", "maximum": MAX, "minimum": 1},
    "reserved": {"type": "integer", "maximum": MAX, "minimum": 0},
    "min_unit": {"type": "integer", "maximum": MAX, "minimum": 1},
    "max_unit": {"type": "integer", "maximum": MAX, "minimum": 1},
    "step_size": {"type": "integer", "maximum": MAX, "minimum": 1},
    "allocation_ratio": {"type": "number", "maximum": 3.40282e38, "exclusiveMinimum": 0},
}
DEFAULTS = {"reserved": 0, "min_unit": 1, "max_unit": MAX, "step_size": 1, "allocation_ratio": 1.0}
RC_NAME = {"type": "string", "pattern": "^[A-Z0-9_]+$", "maxLength": 255}
GENERATION = {"type": "integer"}
ONE = {"type": "object", "properties": FIELDS, "required": ["total"], "additionalProperties": False}
POST_SCHEMA = {"type": "object", "properties": {"resource_class": RC_NAME, **FIELDS},
               "required": ["total", "resource_class"], "additionalProperties": False}
PUT_ONE_SCHEMA = {"type": "object", "properties": {"resource_provider_generation": GENERATION, **FIELDS},
                  "required": ["total", "resource_provider_generation"], "additionalProperties": False}
PUT_ALL_SCHEMA = {"type": "object", "properties": {
    "resource_provider_generation": GENERATION,
    "inventories": {"type": "object", "patternProperties": {"^[A-Z0-9_]+$": ONE}, "additionalProperties": False}},
    "required": ["inventories", "resource_provider_generation"], "additionalProperties": False}


# --- views ---------------------------------------------------------------------------------
def render_one(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")}


# --- logic ---------------------------------------------------------------------------------
def _check(ctx: Context, rp_uuid: str, rc: str, data: dict[str, Any]) -> dict[str, Any]:
    inv = {**DEFAULTS, **data}
    too_big = inv["reserved"] > inv["total"] or (inv["reserved"] == inv["total"] and ctx.version < v.RESERVED_EQ_TOTAL)
    if too_big:
        raise common.bad(f"Unable to update inventory for resource provider {rp_uuid}: Invalid inventory for '{rc}' on "
                         f"resource provider '{rp_uuid}'. The reserved value is greater than or equal to total.")
    if inv["min_unit"] > inv["max_unit"]:
        raise common.bad(f"Unable to update inventory for resource provider {rp_uuid}: Invalid inventory for '{rc}' on "
                         f"resource provider '{rp_uuid}'. The minimum unit is greater than the maximum unit.")
    return inv


def _classes(conn: Connection, rp_uuid: str, names: list[str]) -> dict[str, int]:
    found = common.class_ids(conn, names)
    for name in names:
        if name not in found:
            raise common.bad(f"Unknown resource class in inventory for resource provider {rp_uuid}: {name}")
    return found


def _in_use(conn: Connection, rp: dict[str, Any], rc_ids: list[int], names: dict[int, str]) -> None:
    if not rc_ids:
        return
    used = conn.execute(sa.select(t.allocations.c.resource_class_id).where(
        t.allocations.c.resource_provider_id == rp["id"], t.allocations.c.resource_class_id.in_(rc_ids)).distinct()
    ).scalars().all()
    if used:
        classes = ", ".join(sorted(names[i] for i in used))
        raise common.conflict(f"update conflict: Inventory for '{classes}' on resource provider '{rp['uuid']}' in "
                              "use.", codes.INVENTORY_INUSE)


def current(conn: Connection, rp_id: int) -> dict[str, dict[str, Any]]:
    names = common.class_names(conn)
    return {names[r["resource_class_id"]]: dict(r) for r in conn.execute(
        sa.select(INV).where(INV.c.resource_provider_id == rp_id)).mappings()}


def set_all(ctx: Context, conn: Connection, rp: dict[str, Any], wanted: dict[str, dict[str, Any]]) -> None:
    """Replace the provider's whole inventory (no generation check here; callers check and bump)."""
    ids = _classes(conn, rp["uuid"], list(wanted))
    checked = {rc: _check(ctx, rp["uuid"], rc, data) for rc, data in wanted.items()}
    have = current(conn, rp["id"])
    gone = [row["resource_class_id"] for rc, row in have.items() if rc not in wanted]
    _in_use(conn, rp, gone, {row["resource_class_id"]: rc for rc, row in have.items()})
    if gone:
        conn.execute(INV.delete().where(INV.c.resource_provider_id == rp["id"], INV.c.resource_class_id.in_(gone)))
    now = utcnow()
    for rc, inv in checked.items():
        if rc in have:
            if any(have[rc][k] != inv[k] for k in inv):
                conn.execute(INV.update().where(INV.c.id == have[rc]["id"]).values(updated_at=now, **inv))
        else:
            conn.execute(INV.insert().values(resource_provider_id=rp["id"], resource_class_id=ids[rc],
                                             created_at=now, **inv))


def _answer_all(ctx: Context, conn: Connection, rp: dict[str, Any]) -> Any:
    rows = current(conn, rp["id"])
    body = {"inventories": {rc: render_one(r) for rc, r in rows.items()},
            "resource_provider_generation": rp["generation"]}
    return common.answer(ctx, body, common.newest(rows.values()) or rp["updated_at"] or rp["created_at"])


# --- routes --------------------------------------------------------------------------------
def list_inventories(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        return _answer_all(ctx, conn, rp)


def set_inventories(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(PUT_ALL_SCHEMA, body)
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        common.check_generation(rp, body["resource_provider_generation"])
        set_all(ctx, conn, rp, body["inventories"])
        common.bump_generation(conn, rp)
        return _answer_all(ctx, conn, rp)


def delete_inventories(ctx: Context, rq: ApiRequest) -> Any:
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        have = current(conn, rp["id"])
        _in_use(conn, rp, [r["resource_class_id"] for r in have.values()],
                {r["resource_class_id"]: rc for rc, r in have.items()})
        conn.execute(INV.delete().where(INV.c.resource_provider_id == rp["id"]))
        common.bump_generation(conn, rp)


def create_inventory(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(POST_SCHEMA, body)
    rc = body.pop("resource_class")
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        ids = _classes(conn, rp["uuid"], [rc])
        inv = _check(ctx, rp["uuid"], rc, body)
        if rc in current(conn, rp["id"]):
            raise common.conflict(f"Update conflict: Inventory for resource class {rc} already exists on resource "
                                  f"provider {rp['uuid']}")
        conn.execute(INV.insert().values(resource_provider_id=rp["id"], resource_class_id=ids[rc],
                                         created_at=utcnow(), **inv))
        common.bump_generation(conn, rp)
    response = common.answer(ctx, {**render_one(inv), "resource_provider_generation": rp["generation"]},
                             status=201)
    response.headers["location"] = f"{ctx.base_url}{rq.service_prefix}/resource_providers/{rp['uuid']}/inventories/{rc}"
    return response


def show_inventory(ctx: Context, rq: ApiRequest) -> Any:
    rc = rq.params["resource_class"]
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        row = current(conn, rp["id"]).get(rc)
    if row is None:
        raise common.not_found(f"No inventory of class {rc} for {rp['uuid']}")
    return common.answer(ctx, {**render_one(row), "resource_provider_generation": rp["generation"]},
                         row["updated_at"] or row["created_at"])


def update_inventory(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(PUT_ONE_SCHEMA, body)
    rc = rq.params["resource_class"]
    generation = body.pop("resource_provider_generation")
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        common.check_generation(rp, generation)
        _classes(conn, rp["uuid"], [rc])
        row = current(conn, rp["id"]).get(rc)
        if row is None:
            raise common.bad(f"No inventory record with resource class for resource provider {rp['uuid']}")
        inv = _check(ctx, rp["uuid"], rc, body)
        conn.execute(INV.update().where(INV.c.id == row["id"]).values(updated_at=utcnow(), **inv))
        common.bump_generation(conn, rp)
    return common.answer(ctx, {**render_one(inv), "resource_provider_generation": rp["generation"]})


def delete_inventory(ctx: Context, rq: ApiRequest) -> Any:
    rc = rq.params["resource_class"]
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        row = current(conn, rp["id"]).get(rc)
        if row is None:
            raise common.not_found(f"No inventory of class {rc} found for delete")
        _in_use(conn, rp, [row["resource_class_id"]], {row["resource_class_id"]: rc})
        conn.execute(INV.delete().where(INV.c.id == row["id"]))
        common.bump_generation(conn, rp)


BASE = "/resource_providers/{uuid}/inventories"
ROUTES = [
    route("GET", BASE, list_inventories, policy=P + "list", target=common.admin_target),
    route("PUT", BASE, set_inventories, policy=P + "update", target=common.admin_target),
    route("POST", BASE, create_inventory, policy=P + "create", target=common.admin_target),
    route("DELETE", BASE, delete_inventories, policy=P + "delete", status=204, target=common.admin_target,
          min_version=v.DELETE_INVENTORIES),
    route("GET", BASE + "/{resource_class}", show_inventory, policy=P + "show", target=common.admin_target),
    route("PUT", BASE + "/{resource_class}", update_inventory, policy=P + "update", target=common.admin_target),
    route("DELETE", BASE + "/{resource_class}", delete_inventory, policy=P + "delete", status=204,
          target=common.admin_target),
]
