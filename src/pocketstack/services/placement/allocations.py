"""Allocations: /allocations/{consumer_uuid}, POST /allocations and /resource_providers/{uuid}/allocations
(api-ref: placement, Allocations, Resource provider allocations; placement/handlers/allocation.py,
objects/allocation.py, handlers/util.py ensure_consumer)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import capacity, common
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:allocations:"
A, C, CT, RP = t.allocations, t.consumers, t.consumer_types, t.resource_providers
INCOMPLETE = "00000000-0000-0000-0000-000000000000"   # placement's incomplete_consumer_project_id / user_id
RETRIES = 10

# --- schemas -------------------------------------------------------------------------------
UUID = {"type": "string", "format": "uuid"}
RESOURCES = {"type": "object", "minProperties": 1, "additionalProperties": False,
             "patternProperties": {"^[0-9A-Z_]+$": {"type": "integer", "minimum": 1}}}
ID = {"type": "string", "minLength": 1, "maxLength": 255}
CONSUMER_TYPE = {"type": "string", "pattern": "^[A-Z0-9_]+$", "minLength": 1, "maxLength": 255}


def _dict_allocations(ctx: Context) -> dict[str, Any]:
    return {"type": "object", "minProperties": 0 if ctx.version >= v.CONSUMER_GENERATION else 1,
            "additionalProperties": False,
            "patternProperties": {"^[0-9a-fA-F-]{36}$": {
                "type": "object", "required": ["resources"], "additionalProperties": False,
                "properties": {"resources": RESOURCES, "generation": {"type": "integer"}}}}}


def consumer_schema(ctx: Context) -> dict[str, Any]:
    """The body of PUT /allocations/{uuid} (and each consumer of POST /allocations) at this microversion."""
    props: dict[str, Any] = {"project_id": ID, "user_id": ID}
    required = ["allocations"]
    if ctx.version >= v.ALLOC_DICT:
        props["allocations"] = _dict_allocations(ctx)
    else:
        props["allocations"] = {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["resource_provider", "resources"], "additionalProperties": False,
            "properties": {"resource_provider": {"type": "object", "required": ["uuid"], "additionalProperties": False,
                                                 "properties": {"uuid": UUID}},
                           "resources": RESOURCES}}}
    if ctx.version >= v.ALLOC_PROJECT_USER:
        required += ["project_id", "user_id"]
    if ctx.version >= v.CONSUMER_GENERATION:
        props["consumer_generation"] = {"type": ["integer", "null"]}
        required.append("consumer_generation")
    if ctx.version >= v.MAPPINGS:
        props["mappings"] = {"type": "object", "additionalProperties": {
            "type": "array", "minItems": 1, "items": UUID}}
    if ctx.version >= v.CONSUMER_TYPES:
        props["consumer_type"] = CONSUMER_TYPE
        required.append("consumer_type")
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def post_schema(ctx: Context) -> dict[str, Any]:
    one = consumer_schema(ctx)
    return {"type": "object", "minProperties": 1, "additionalProperties": False,
            "patternProperties": {"^[0-9a-fA-F-]{36}$": one}}


# --- views ---------------------------------------------------------------------------------
def for_consumer(ctx: Context, conn: Connection, consumer_uuid: str) -> dict[str, Any]:
    rows = conn.execute(sa.select(A.c.used, A.c.resource_class_id, RP.c.uuid, RP.c.generation)
                        .join(RP, RP.c.id == A.c.resource_provider_id)
                        .where(A.c.consumer_id == consumer_uuid).order_by(A.c.id)).all()
    names = common.class_names(conn) if rows else {}
    allocs: dict[str, Any] = {}
    for used, rc, rp_uuid, gen in rows:
        entry = allocs.setdefault(rp_uuid, {"generation": gen, "resources": {}})
        entry["resources"][names[rc]] = used
    body: dict[str, Any] = {"allocations": allocs}
    if rows and ctx.version >= v.ALLOC_DICT:
        consumer = conn.execute(sa.select(C, CT.c.name.label("type_name")).select_from(
            C.outerjoin(CT, CT.c.id == C.c.consumer_type_id)).where(C.c.uuid == consumer_uuid)).mappings().first()
        if consumer is not None:
            body.update(project_id=consumer["project_id"], user_id=consumer["user_id"])
            if ctx.version >= v.CONSUMER_GENERATION:
                body["consumer_generation"] = consumer["generation"]
            if ctx.version >= v.CONSUMER_TYPES:
                body["consumer_type"] = consumer["type_name"] or "unknown"
    return body


# --- logic ---------------------------------------------------------------------------------
class _Race(Exception):
    """A provider changed between read and write (placement's ConcurrentUpdateDetected): try again."""


def normalize(ctx: Context, body: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Both request formats as {rp_uuid: {rc: amount}}."""
    if ctx.version >= v.ALLOC_DICT:
        return {rp: dict(a["resources"]) for rp, a in body["allocations"].items()}
    out: dict[str, dict[str, int]] = {}
    for item in body["allocations"]:
        out.setdefault(item["resource_provider"]["uuid"], {}).update(item["resources"])
    return out


def _consumer_type_id(conn: Connection, name: str | None) -> int | None:
    if not name:
        return None
    found = conn.execute(sa.select(CT.c.id).where(CT.c.name == name)).scalar()
    if found is None:
        found = conn.execute(CT.insert().values(name=name, created_at=utcnow())).inserted_primary_key[0]
    return int(found)


def _ensure_consumer(ctx: Context, conn: Connection, consumer_uuid: str, spec: dict[str, Any]) -> None:
    row = conn.execute(sa.select(C).where(C.c.uuid == consumer_uuid)).mappings().first()
    project = spec.get("project_id") or INCOMPLETE
    user = spec.get("user_id") or INCOMPLETE
    type_id = _consumer_type_id(conn, spec.get("consumer_type"))
    check = ctx.version >= v.CONSUMER_GENERATION
    given = spec.get("consumer_generation")
    if row is None:
        if check and given is not None:
            raise common.conflict(f"consumer generation conflict - expected null but got {given}",
                                  codes.CONCURRENT_UPDATE)
        conn.execute(C.insert().values(uuid=consumer_uuid, project_id=project, user_id=user, generation=1,
                                       consumer_type_id=type_id, created_at=utcnow()))
        return
    if check and given != row["generation"]:
        raise common.conflict(f"consumer generation conflict - expected {row['generation']} but got {given}",
                              codes.CONCURRENT_UPDATE)
    values: dict[str, Any] = {"generation": row["generation"] + 1, "updated_at": utcnow()}
    if spec.get("project_id"):
        values.update(project_id=project, user_id=user)
    if type_id is not None:
        values["consumer_type_id"] = type_id
    done = conn.execute(C.update().where(C.c.id == row["id"], C.c.generation == row["generation"]).values(**values))
    if done.rowcount != 1:
        raise common.conflict(f"consumer generation conflict - expected {row['generation']} but got {given}",
                              codes.CONCURRENT_UPDATE)


def _write(ctx: Context, conn: Connection, wanted: dict[str, tuple[dict[str, Any], dict[str, dict[str, int]]]]) -> None:
    """Replace the allocations of every consumer in `wanted` ({consumer: (spec, {rp: {rc: n}})}) at once."""
    rp_uuids = {rp for _, allocs in wanted.values() for rp in allocs}
    providers = {r["uuid"]: dict(r) for r in conn.execute(sa.select(RP).where(RP.c.uuid.in_(rp_uuids))).mappings()}
    for rp in sorted(rp_uuids):
        if rp not in providers:
            raise common.bad(f"Allocation for resource provider '{rp}' that does not exist.")
    class_ids = common.class_ids(conn, {rc for _, allocs in wanted.values() for a in allocs.values() for rc in a})
    for consumer_uuid, (spec, allocs) in wanted.items():
        for rp, resources in allocs.items():
            for rc in resources:
                if rc not in class_ids:
                    raise common.bad(f"Unable to allocate inventory for consumer {consumer_uuid}: No such resource "
                                     f"class {rc}.")
        _ensure_consumer(ctx, conn, consumer_uuid, spec)
    conn.execute(A.delete().where(A.c.consumer_id.in_(list(wanted))))
    ids = [p["id"] for p in providers.values()]
    inventories, usages = capacity.inventories_of(conn, ids), capacity.usages_of(conn, ids)
    adding: dict[tuple[int, int], int] = {}
    rows, now = [], utcnow()
    for consumer_uuid, (_, allocs) in wanted.items():
        for rp_uuid, resources in allocs.items():
            rp = providers[rp_uuid]
            for rc, amount in resources.items():
                rc_id = class_ids[rc]
                inv = inventories[rp["id"]].get(rc_id)
                if inv is None:
                    raise common.conflict(f"Unable to allocate inventory: Inventory for '{rc}' on resource provider "
                                          f"'{rp_uuid}' invalid.")
                if amount < inv["min_unit"] or amount > inv["max_unit"] or amount % inv["step_size"]:
                    raise common.conflict(f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                                          f"resource provider '{rp_uuid}'. The requested amount would violate "
                                          "inventory constraints.")
                key = (rp["id"], rc_id)
                adding[key] = adding.get(key, 0) + amount
                if usages[rp["id"]].get(rc_id, 0) + adding[key] > capacity.capacity(inv):
                    raise common.conflict(f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                                          f"resource provider '{rp_uuid}'. The requested amount would exceed the "
                                          "capacity.")
                rows.append({"resource_provider_id": rp["id"], "consumer_id": consumer_uuid,
                             "resource_class_id": rc_id, "used": amount, "created_at": now})
    if rows:
        conn.execute(A.insert(), rows)
    for rp in providers.values():
        done = conn.execute(RP.update().where(RP.c.id == rp["id"], RP.c.generation == rp["generation"]).values(
            generation=rp["generation"] + 1, updated_at=now)).rowcount
        if done != 1:
            raise _Race(rp["uuid"])
    empty = [c for c, (_, allocs) in wanted.items() if not allocs]
    if empty:
        conn.execute(C.delete().where(C.c.uuid.in_(empty)))


def replace(ctx: Context, wanted: dict[str, tuple[dict[str, Any], dict[str, dict[str, int]]]]) -> None:
    for attempt in range(RETRIES):
        try:
            with db.session() as conn:
                _write(ctx, conn, wanted)
            return
        except _Race as race:
            if attempt == RETRIES - 1:
                raise common.conflict(f"Inventory and/or allocations changed while attempting to allocate: "
                                      f"Another thread concurrently updated the data. Please retry your update",
                                      codes.CONCURRENT_UPDATE) from race


# --- routes --------------------------------------------------------------------------------
def _consumer_uuid(rq: ApiRequest) -> str:
    text = rq.params["consumer_uuid"]
    if not common.is_uuid(text):
        raise common.bad(f"Malformed consumer_uuid: {text}")
    return str(uuidlib.UUID(text))


def show_allocations(ctx: Context, rq: ApiRequest) -> Any:
    consumer_uuid = _consumer_uuid(rq)
    with db.reader() as conn:
        body = for_consumer(ctx, conn, consumer_uuid)
    return common.answer(ctx, body)


def put_allocations(ctx: Context, rq: ApiRequest) -> Any:
    consumer_uuid = _consumer_uuid(rq)
    body = common.json_body(rq)
    common.check_body(consumer_schema(ctx), body)
    replace(ctx, {consumer_uuid: (body, normalize(ctx, body))})
    return common.answer(ctx, None, status=204, cacheable=False)


def post_allocations(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(post_schema(ctx), body)
    replace(ctx, {str(uuidlib.UUID(c)): (spec, normalize(ctx, spec)) for c, spec in body.items()})
    return common.answer(ctx, None, status=204, cacheable=False)


def delete_allocations(ctx: Context, rq: ApiRequest) -> Any:
    consumer_uuid = _consumer_uuid(rq)
    with db.session() as conn:
        rp_ids = conn.execute(sa.select(A.c.resource_provider_id).where(A.c.consumer_id == consumer_uuid)
                              .distinct()).scalars().all()
        if not rp_ids:
            raise common.not_found(f"No allocations for consumer '{consumer_uuid}'")
        conn.execute(A.delete().where(A.c.consumer_id == consumer_uuid))
        conn.execute(C.delete().where(C.c.uuid == consumer_uuid))
        conn.execute(RP.update().where(RP.c.id.in_(rp_ids)).values(generation=RP.c.generation + 1,
                                                                     updated_at=utcnow()))
    return common.answer(ctx, None, status=204, cacheable=False)


def provider_allocations(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        rows = conn.execute(sa.select(A.c.consumer_id, A.c.resource_class_id, A.c.used).where(
            A.c.resource_provider_id == rp["id"]).order_by(A.c.id)).all()
        names = common.class_names(conn) if rows else {}
    allocs: dict[str, Any] = {}
    for consumer, rc, used in rows:
        allocs.setdefault(consumer, {"resources": {}})["resources"][names[rc]] = used
    return common.answer(ctx, {"allocations": allocs, "resource_provider_generation": rp["generation"]})


ROUTES = [
    route("GET", "/allocations/{consumer_uuid}", show_allocations, policy=P + "list", target=common.admin_target),
    route("PUT", "/allocations/{consumer_uuid}", put_allocations, policy=P + "update", target=common.admin_target),
    route("DELETE", "/allocations/{consumer_uuid}", delete_allocations, policy=P + "delete", status=204,
          target=common.admin_target),
    route("POST", "/allocations", post_allocations, policy=P + "manage", target=common.admin_target,
          min_version=v.POST_ALLOCATIONS),
    route("GET", "/resource_providers/{uuid}/allocations", provider_allocations,
          policy="placement:resource_providers:allocations:list", target=common.admin_target),
]
