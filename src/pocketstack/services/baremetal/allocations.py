"""Allocations: /v1/allocations, /v1/nodes/{node}/allocation (api-ref: baremetal, Allocations;
ironic/api/controllers/v1/allocation.py, conductor/allocations.py). An allocation starts 'allocating';
a durable job picks a matching available node (-> 'active') or records why none fits (-> 'error')."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, jobs, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, MethodNotAllowed, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, node_traits
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import allocations, node_traits as trait_rows, nodes

JOB = "baremetal.allocate"
SCHEMA = schemas.obj({
    "candidate_nodes": {"type": ["array", "null"], "items": {"type": "string"}}, "extra": {"type": ["object", "null"]},
    "name": {"type": ["string", "null"]}, "node": {"type": ["string", "null"]}, "owner": {"type": ["string", "null"]},
    "resource_class": {"type": ["string", "null"], "maxLength": 80},
    "traits": {"type": ["array", "null"], "items": {"type": "string"}}, "uuid": {"type": ["string", "null"]}},
    additional=False)
FIELDS = ("uuid", "name", "node_uuid", "state", "last_error", "resource_class", "traits", "candidate_nodes",
          "extra", "created_at", "updated_at")
ALLOCATIONS = Listing(allocations, sort_keys={"uuid", "name", "created_at", "updated_at", "state",
                                              "resource_class"}, default_sort=[("created_at", "asc")], id_key="uuid")


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, fields: list[str] | None = None) -> dict[str, Any]:
    names = [*FIELDS, *(["owner"] if ctx.version >= v.ALLOCATION_OWNER else [])]
    body = {f: (common.iso(row[f]) if f.endswith("_at") else row[f]) for f in names if fields is None or f in fields}
    body["links"] = common.links(common.public_url(ctx, rq), "allocations", row["uuid"])
    return body


# --- logic -------------------------------------------------------------------
def _find(conn: Any, ident: str) -> Any:
    col = allocations.c.uuid if common.is_uuid(ident) else allocations.c.name
    row = conn.execute(sa.select(allocations).where(col == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Allocation {ident} could not be found.")
    return row


def _target(row: Any) -> dict[str, Any]:
    return {"allocation": {"owner": row["owner"] if row is not None else None},
            "config": {"service_project_name": "service"}}


def _check(ctx: Context, row: Any, ident: str, rule: str) -> None:
    if not common.allowed(ctx, rule, _target(row)):
        if ctx.project_id and not common.allowed(ctx, "baremetal:allocation:get", _target(row)):
            raise NotFound(f"Allocation {ident} could not be found.")
        common.authorize(ctx, rule, _target(row))


def _candidates(conn: Any, row: Any) -> list[Any]:
    stmt = sa.select(nodes).where(nodes.c.provision_state == "available", nodes.c.maintenance.is_(False),
                                  nodes.c.instance_uuid.is_(None), nodes.c.allocation_uuid.is_(None),
                                  nodes.c.resource_class == row["resource_class"])
    if row["candidate_nodes"]:
        stmt = stmt.where(nodes.c.uuid.in_(row["candidate_nodes"]))
    if row["owner"]:
        stmt = stmt.where(sa.or_(nodes.c.owner == row["owner"], nodes.c.lessee == row["owner"]))
    found = list(conn.execute(stmt).mappings())
    wanted = set(row["traits"] or [])
    if wanted and found:
        have: dict[str, set[str]] = {n["uuid"]: set() for n in found}
        for t in conn.execute(sa.select(trait_rows).where(trait_rows.c.node_uuid.in_(list(have)))):
            have[t.node_uuid].add(t.trait)
        found = [n for n in found if wanted <= have[n["uuid"]]]
    return found


# how long an allocation waits for a matching node that another action has locked
LOCKED_RETRY = dt.timedelta(seconds=10)


def _no_match(row: Any) -> str:
    if row["traits"]:
        return f"no suitable nodes have the requested traits {', '.join(row['traits'])}"
    if row["candidate_nodes"]:
        return f"none of the requested nodes are available and match the resource class {row['resource_class']}"
    return f"no available nodes match the resource class {row['resource_class']}"


def _associate(conn: Any, alloc: Any, node: Any) -> None:
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        allocation_uuid=alloc["uuid"], instance_uuid=node["instance_uuid"] or alloc["uuid"], updated_at=utcnow()))
    conn.execute(allocations.update().where(allocations.c.uuid == alloc["uuid"]).values(
        state="active", node_uuid=node["uuid"], last_error=None, updated_at=utcnow()))


def run_allocate(payload: dict[str, Any]) -> float | None:
    with db.session() as conn:
        row = conn.execute(sa.select(allocations).where(allocations.c.uuid == payload["allocation"])).mappings().first()
        if row is None or row["state"] != "allocating":
            return None
        found = _candidates(conn, row)
        free = [n for n in found if n["reservation"] is None]
        if found and not free and utcnow() - row["created_at"] < LOCKED_RETRY:
            # a matching node is busy (a power action holds its lock): ironic retries a locked node
            # (node_locked_retry_attempts) instead of failing the allocation
            return 1.0
        found = free
        if not found:
            conn.execute(allocations.update().where(allocations.c.uuid == row["uuid"]).values(
                state="error", last_error=_no_match(row), updated_at=utcnow()))
            return None
        _associate(conn, row, random.choice(found))
    return None


def allocate_failed(payload: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        conn.execute(allocations.update().where(allocations.c.uuid == payload["allocation"],
                                                allocations.c.state == "allocating").values(
            state="error", last_error=f"Unexpected exception during allocation: {error}", updated_at=utcnow()))


def startup() -> None:
    jobs.register(JOB, run_allocate, allocate_failed)


def _release(conn: Any, row: Any) -> None:
    if row["node_uuid"]:
        node = conn.execute(sa.select(nodes).where(nodes.c.uuid == row["node_uuid"])).mappings().first()
        if node is not None:
            if not node["maintenance"] and node["provision_state"] == "active":
                raise Conflict(f"Cannot remove allocation {row['uuid']} for node {node['uuid']}, because the node "
                               "is active (and maintenance mode is off)")
            values: dict[str, Any] = {"allocation_uuid": None, "updated_at": utcnow()}
            if node["instance_uuid"] == row["uuid"]:
                values["instance_uuid"] = None
            conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(**values))
    conn.execute(allocations.delete().where(allocations.c.uuid == row["uuid"]))


def _prepare(conn: Any, ctx: Context, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    if body.get("name") and not common.valid_name(ctx, body["name"]):
        raise BadRequest(f"Cannot create allocation with invalid name '{body['name']}'")
    for trait in body.get("traits") or []:
        node_traits._check_trait(trait)
    if ctx.system_scope != "all":
        if body.get("owner"):
            if body["owner"] != ctx.project_id and not common.allowed(
                    ctx, "baremetal:allocation:create_restricted", _target(None)):
                raise Forbidden(f"Cannot create allocation with an owner Project ID value {body['owner']} not "
                                f"matching the requester Project ID {ctx.project_id}. Policy "
                                "baremetal:allocation:create_restricted is required for this capability.")
        else:
            body["owner"] = ctx.project_id
    node = None
    if body.get("node"):
        if ctx.version < v.ALLOCATION_BACKFILL:
            raise BadRequest("Cannot set node when creating an allocation in this API version")
        try:
            node = common.find_node(conn, ctx, body["node"])
        except NotFound as exc:
            raise BadRequest(exc.message) from None
    if not body.get("resource_class"):
        if node is None:
            raise BadRequest("The resource_class field is mandatory when not backfilling")
        body["resource_class"] = node["resource_class"]
    converted = []
    for ident in body.get("candidate_nodes") or []:
        try:
            converted.append(common.find_node(conn, ctx, ident)["uuid"])
        except NotFound as exc:
            raise BadRequest(exc.message) from None
    body["candidate_nodes"] = converted
    return body, node


# --- routes ------------------------------------------------------------------
def _old(ctx: Context) -> None:
    """quirk: below 1.52 pecan answers writes to /allocations with 405 and reads with 404."""
    if ctx.version < v.ALLOCATIONS:
        raise MethodNotAllowed("The method is not allowed for the requested URL.")


def create_allocation(ctx: Context, rq: ApiRequest) -> Response:
    _old(ctx)
    body = rq.body
    try:
        schemas.validate(SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Schema error for allocation: {exc.detail}") from None
    if "owner" in body and ctx.version < v.ALLOCATION_OWNER:
        common.require(ctx, v.ALLOCATION_OWNER)
    common.authorize(ctx, "baremetal:allocation:create", _target(None))
    with db.session() as conn:
        body, node = _prepare(conn, ctx, dict(body))
        uid = body.get("uuid") or (node["instance_uuid"] if node is not None and node["instance_uuid"] else new_uuid())
        if conn.execute(sa.select(allocations.c.uuid).where(allocations.c.uuid == uid)).scalar():
            raise Conflict(f"An allocation with UUID {uid} already exists.")
        if body.get("name") and conn.execute(sa.select(allocations.c.uuid).where(
                allocations.c.name == body["name"])).scalar():
            raise Conflict(f"An allocation with name {body['name']} already exists.")
        conn.execute(allocations.insert().values(
            uuid=uid, name=body.get("name"), state="allocating", owner=body.get("owner"),
            resource_class=body["resource_class"], traits=body.get("traits") or [],
            candidate_nodes=body["candidate_nodes"], extra=body.get("extra") or {}, created_at=utcnow()))
        row = _find(conn, uid)
        if node is not None:
            if node["allocation_uuid"]:
                raise Conflict(f"Node {node['uuid']} already has an allocation {node['allocation_uuid']}")
            _associate(conn, row, node)
            row = _find(conn, uid)
        else:
            jobs.enqueue(conn, JOB, {"allocation": uid}, max_attempts=3)
    out = render(ctx, rq, row)
    return json_response(201, out, headers={"Location": out["links"][0]["href"]})


def list_allocations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.hidden(ctx, v.ALLOCATIONS)
    owner = None
    if not common.allowed(ctx, "baremetal:allocation:list_all", _target(None)):
        if not ctx.project_id or (rq.query.get("owner") and rq.query["owner"] != ctx.project_id):
            common.authorize(ctx, "baremetal:allocation:list_all", _target(None))
        common.authorize(ctx, "baremetal:allocation:list", _target(None))
        owner = ctx.project_id
    q = common.parse_list(ctx, rq, ALLOCATIONS)
    bad = [f for f in q.fields if f not in (*FIELDS, "owner")]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')
    stmt = sa.select(allocations)
    with db.reader() as conn:
        if rq.query.get("node"):
            try:
                stmt = stmt.where(allocations.c.node_uuid == common.find_node(conn, ctx, rq.query["node"])["uuid"])
            except NotFound as exc:
                raise BadRequest(exc.message) from None
        for key in ("resource_class", "state"):
            if rq.query.get(key):
                stmt = stmt.where(allocations.c[key] == rq.query[key])
        if rq.query.get("owner"):
            common.require(ctx, v.ALLOCATION_OWNER)
            stmt = stmt.where(allocations.c.owner == rq.query["owner"])
        if owner:
            stmt = stmt.where(allocations.c.owner == owner)
        rows, more = common.page(conn, ALLOCATIONS, stmt, q, lambda m: NotFound(f"Allocation {m} could not be found."))
    return common.collection(ctx, rq, "allocations", [render(ctx, rq, r, q.fields or None) for r in rows], more, q)


def show_allocation(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "allocation_ident", allocations)
    common.hidden(ctx, v.ALLOCATIONS)
    raw = rq.query.get("fields")
    with db.reader() as conn:
        row = _find(conn, rq.params["allocation_ident"])
    _check(ctx, row, rq.params["allocation_ident"], "baremetal:allocation:get")
    return render(ctx, rq, row, [f for f in raw.split(",") if f] if raw else None)


def update_allocation(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.strip_json_suffix(ctx, rq, "allocation_ident", allocations)
    _old(ctx)
    common.require(ctx, v.ALLOCATION_UPDATE)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, rq.params["allocation_ident"])
        _check(ctx, row, rq.params["allocation_ident"], "baremetal:allocation:update")
        allowed = ["name", "extra", *(["owner"] if ctx.version >= v.ALLOCATION_OWNER else [])]
        common.allowed_paths(patch, allowed)
        new = common.apply_patch({"name": row["name"], "extra": row["extra"], "owner": row["owner"]}, patch)
        if new.get("name") and not common.valid_name(ctx, new["name"]):
            raise BadRequest(f"Cannot update allocation with invalid name '{new['name']}'")
        if new.get("name") and new["name"] != row["name"] and conn.execute(
                sa.select(allocations.c.uuid).where(allocations.c.name == new["name"])).scalar():
            raise Conflict(f"An allocation with name {new['name']} already exists.")
        conn.execute(allocations.update().where(allocations.c.uuid == row["uuid"]).values(
            name=new.get("name"), extra=new.get("extra") or {}, owner=new.get("owner"), updated_at=utcnow()))
        row = _find(conn, row["uuid"])
    return render(ctx, rq, row)


def delete_allocation(ctx: Context, rq: ApiRequest) -> None:
    common.strip_json_suffix(ctx, rq, "allocation_ident", allocations)
    _old(ctx)
    with db.session() as conn:
        row = _find(conn, rq.params["allocation_ident"])
        _check(ctx, row, rq.params["allocation_ident"], "baremetal:allocation:delete")
        _release(conn, row)


def _node_allocation(conn: Any, ctx: Context, rq: ApiRequest, *, unknown_node_status: int = 404) -> Any:
    common.hidden(ctx, v.ALLOCATIONS)
    ident = rq.params["node_ident"]
    try:
        node = common.find_node(conn, ctx, ident)
    except NotFound as err:
        if unknown_node_status == 400:   # quirk: ironic's GET lists allocations filtered by the node: 400
            raise BadRequest(err.message) from None
        raise
    common.check_node(ctx, node, ident)
    row = conn.execute(sa.select(allocations).where(allocations.c.node_uuid == node["uuid"])).mappings().first()
    if row is None:
        raise NotFound(f"Allocation for node {ident} was not found")
    return row


def show_node_allocation(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node_allocation(conn, ctx, rq, unknown_node_status=400)
    _check(ctx, row, row["uuid"], "baremetal:allocation:get")
    return render(ctx, rq, row)


def delete_node_allocation(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _node_allocation(conn, ctx, rq)
        _check(ctx, row, row["uuid"], "baremetal:allocation:delete")
        _release(conn, row)


# checked in the handlers (a resource the caller may not see is concealed as 404)
LIST_ALLOCATIONS_RULES = in_handler("baremetal:allocation:list", "baremetal:allocation:list_all")
CREATE_ALLOCATION_RULES = in_handler("baremetal:allocation:create", "baremetal:allocation:create_restricted")
UPDATE_ALLOCATION_RULES = in_handler("baremetal:allocation:get", "baremetal:allocation:update")
DELETE_ALLOCATION_RULES = in_handler("baremetal:allocation:get", "baremetal:allocation:delete")
SHOW_NODE_ALLOCATION_RULES = in_handler("baremetal:allocation:get")
A = "/v1/allocations/{allocation_ident}"
ROUTES = [
    route("GET", "/v1/allocations", list_allocations, policy=LIST_ALLOCATIONS_RULES),
    route("POST", "/v1/allocations", create_allocation, policy=CREATE_ALLOCATION_RULES, status=201),
    route("GET", A, show_allocation, policy=in_handler("baremetal:allocation:get")),
    route("PATCH", A, update_allocation, policy=UPDATE_ALLOCATION_RULES),
    route("DELETE", A, delete_allocation, policy=DELETE_ALLOCATION_RULES, status=204),
    route("GET", "/v1/nodes/{node_ident}/allocation", show_node_allocation, policy=SHOW_NODE_ALLOCATION_RULES),
    route("DELETE", "/v1/nodes/{node_ident}/allocation", delete_node_allocation, policy=DELETE_ALLOCATION_RULES,
          status=204),
]
