"""Resource providers: /resource_providers (api-ref: placement, Resource Providers;
placement/handlers/resource_provider.py, objects/resource_provider.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import capacity, common
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:resource_providers:"
RP = t.resource_providers

# --- schemas -------------------------------------------------------------------------------
UUID = {"type": "string", "format": "uuid"}
NAME = {"type": "string", "maxLength": 200}


def _schema(ctx: Context, create: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"name": NAME}
    if create:
        props["uuid"] = UUID
    if ctx.version >= v.NESTED:
        props["parent_provider_uuid"] = {"anyOf": [UUID, {"type": "null"}]}
    return {"type": "object", "properties": props, "required": ["name"], "additionalProperties": False}


# --- views ---------------------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, rows: list[dict[str, Any]], conn: Connection) -> list[dict[str, Any]]:
    uuids = common.uuids_of(conn, [i for r in rows for i in (r["parent_provider_id"], r["root_provider_id"])])
    uuids.update({r["id"]: r["uuid"] for r in rows})
    return [common.render_provider(ctx, rq, r, uuids) for r in rows]


# --- logic ---------------------------------------------------------------------------------
def _parent(conn: Connection, parent_uuid: str | None, own_uuid: str) -> dict[str, Any] | None:
    if parent_uuid is None:
        return None
    if parent_uuid == own_uuid:
        raise common.bad(f"Unable to create resource provider, {own_uuid}: Object action create failed because: "
                         "parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if "
                         "there is no parent.")
    row = conn.execute(sa.select(RP).where(RP.c.uuid == parent_uuid)).mappings().first()
    if row is None:
        raise common.bad(f"Unable to create resource provider, {own_uuid}: Object action create failed because: "
                         "parent provider UUID does not exist.")
    return dict(row)


def create(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    rp_uuid = body.get("uuid") or new_uuid()
    try:
        with db.session() as conn:
            parent = _parent(conn, body.get("parent_provider_uuid"), rp_uuid)
            rp_id = conn.execute(RP.insert().values(
                uuid=rp_uuid, name=body["name"], generation=0, created_at=utcnow(),
                parent_provider_id=parent["id"] if parent else None,
                root_provider_id=(parent["root_provider_id"] or parent["id"]) if parent else None)
            ).inserted_primary_key[0]
            if parent is None:
                conn.execute(RP.update().where(RP.c.id == rp_id).values(root_provider_id=rp_id))
            return dict(conn.execute(sa.select(RP).where(RP.c.id == rp_id)).mappings().one())
    except IntegrityError:
        with db.reader() as conn:
            same_uuid = conn.execute(sa.select(RP.c.id).where(RP.c.uuid == rp_uuid)).first()
        if same_uuid:
            raise common.conflict(f"Conflicting resource provider uuid: {rp_uuid} already exists.",
                                  codes.DUPLICATE_NAME) from None
        raise common.conflict(f"Conflicting resource provider name: {body['name']} already exists.",
                              codes.DUPLICATE_NAME) from None


def _descendants(conn: Connection, rp: dict[str, Any]) -> list[int]:
    """The provider's subtree (itself included), from its tree's rows in one query."""
    rows = conn.execute(sa.select(RP.c.id, RP.c.parent_provider_id).where(
        RP.c.root_provider_id == (rp["root_provider_id"] or rp["id"]))).all()
    children: dict[int, list[int]] = {}
    for rid, parent in rows:
        children.setdefault(parent, []).append(rid)
    out, todo = [], [rp["id"]]
    while todo:
        cur = todo.pop()
        out.append(cur)
        todo.extend(children.get(cur, []))
    return out


def update(ctx: Context, rp_uuid: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        with db.session() as conn:
            rp = common.provider(conn, rp_uuid)
            values: dict[str, Any] = {"name": body["name"]}
            if "parent_provider_uuid" in body:
                new_parent = _parent(conn, body["parent_provider_uuid"], rp_uuid)
                new_parent_id = new_parent["id"] if new_parent else None
                if new_parent_id != rp["parent_provider_id"]:
                    if ctx.version < v.REPARENT:
                        if rp["parent_provider_id"] is not None:
                            what = "un-parenting" if new_parent is None else "re-parenting"
                            raise common.bad(f"Unable to save resource provider {rp_uuid}: Object action update "
                                             f"failed because: {what} a provider is not currently allowed.")
                    subtree = _descendants(conn, rp)
                    if new_parent_id in subtree:
                        raise common.bad(f"Unable to save resource provider {rp_uuid}: Object action update failed "
                                          "because: creating loop in the provider tree is not allowed.")
                    new_root = (new_parent["root_provider_id"] or new_parent["id"]) if new_parent else rp["id"]
                    conn.execute(RP.update().where(RP.c.id.in_(subtree)).values(root_provider_id=new_root))
                    values["parent_provider_id"] = new_parent_id
            conn.execute(RP.update().where(RP.c.id == rp["id"]).values(updated_at=utcnow(), **values))
            return dict(conn.execute(sa.select(RP).where(RP.c.id == rp["id"])).mappings().one())
    except IntegrityError:
        raise common.conflict(f"Conflicting resource provider name: {body['name']} already exists.",
                              codes.DUPLICATE_NAME) from None


def delete(ctx: Context, rp_uuid: str) -> None:
    with db.session() as conn:
        rp = common.provider(conn, rp_uuid, action=" for delete")
        if conn.execute(sa.select(t.allocations.c.id).where(
                t.allocations.c.resource_provider_id == rp["id"]).limit(1)).first():
            raise common.conflict(f"Unable to delete resource provider {rp_uuid}: Resource provider has "
                                  "allocations.", codes.PROVIDER_IN_USE)
        if conn.execute(sa.select(RP.c.id).where(RP.c.parent_provider_id == rp["id"]).limit(1)).first():
            raise common.conflict(f"Unable to delete parent resource provider {rp_uuid}: It has child resource "
                                  "providers.", codes.PROVIDER_CANNOT_DELETE_PARENT)
        for table in (t.inventories, t.provider_traits, t.provider_aggregates):
            conn.execute(table.delete().where(table.c.resource_provider_id == rp["id"]))
        conn.execute(RP.delete().where(RP.c.id == rp["id"]))


def filtered(ctx: Context, conn: Connection, rq: ApiRequest) -> list[dict[str, Any]]:
    stmt = sa.select(RP)
    for key in ("name", "uuid"):
        value = common.single(rq, key)
        if value is not None:
            if key == "uuid" and not common.is_uuid(value):
                raise common.bad(f"Invalid query string parameters: '{value}' is not a 'uuid'")
            stmt = stmt.where(RP.c[key] == value)
    in_tree = common.single(rq, "in_tree") if ctx.version >= v.NESTED else None
    if in_tree is not None:
        if not common.is_uuid(in_tree):
            raise common.bad(f"Invalid query string parameters: '{in_tree}' is not a 'uuid'")
        root = conn.execute(sa.select(RP.c.root_provider_id).where(RP.c.uuid == in_tree)).scalar()
        if root is None:
            return []
        stmt = stmt.where(RP.c.root_provider_id == root)
    member_of = rq.query_list("member_of") if ctx.version >= v.MEMBER_OF else []
    if member_of:
        anyof, forbidden = common.parse_member_of(ctx, member_of)
        pa = t.provider_aggregates
        for aggs in anyof:
            stmt = stmt.where(RP.c.id.in_(sa.select(pa.c.resource_provider_id).where(pa.c.aggregate_uuid.in_(aggs))))
        if forbidden:
            stmt = stmt.where(RP.c.id.not_in(sa.select(pa.c.resource_provider_id).where(
                pa.c.aggregate_uuid.in_(forbidden))))
    resources = common.single(rq, "resources") if ctx.version >= v.RESOURCES_FILTER else None
    if resources is not None:
        wanted = common.parse_resources(resources)
        ids = common.require_classes(conn, wanted)
        for name, amount in wanted.items():
            fits = capacity.providers_with(conn, ids[name], amount, check_units=False)
            stmt = stmt.where(RP.c.id.in_(list(fits) or [-1]))
    required = rq.query_list("required") if ctx.version >= v.PROVIDER_REQUIRED else []
    if required:
        anyof, forbidden = common.parse_traits(ctx, required)
        trait_ids = common.check_traits_exist(conn, {n for s in anyof for n in s} | forbidden)
        pt = t.provider_traits
        for names in anyof:
            stmt = stmt.where(RP.c.id.in_(sa.select(pt.c.resource_provider_id).where(
                pt.c.trait_id.in_([trait_ids[n] for n in names]))))
        if forbidden:
            stmt = stmt.where(RP.c.id.not_in(sa.select(pt.c.resource_provider_id).where(
                pt.c.trait_id.in_([trait_ids[n] for n in forbidden]))))
    return [dict(r) for r in conn.execute(stmt.order_by(RP.c.id)).mappings()]


# --- routes --------------------------------------------------------------------------------
LIST_PARAMS = {"name", "uuid"}


def list_providers(ctx: Context, rq: ApiRequest) -> Any:
    allowed = set(LIST_PARAMS)
    for since, names in ((v.MEMBER_OF, {"member_of"}), (v.RESOURCES_FILTER, {"resources"}),
                         (v.NESTED, {"in_tree"}), (v.PROVIDER_REQUIRED, {"required"})):
        if ctx.version >= since:
            allowed |= names
    common.check_query(rq, allowed)
    with db.reader() as conn:
        rows = filtered(ctx, conn, rq)
        body = {"resource_providers": render(ctx, rq, rows, conn)}
    return common.answer(ctx, body, common.newest(rows))


def create_provider(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(_schema(ctx, True), body)
    row = create(ctx, body)
    location = f"{ctx.base_url}{rq.service_prefix}/resource_providers/{row['uuid']}"
    if ctx.version >= v.CREATE_RETURNS_BODY:
        with db.reader() as conn:
            shown = render(ctx, rq, [row], conn)[0]
        response = common.answer(ctx, shown, row["created_at"])
    else:
        response = common.answer(ctx, None, status=201, cacheable=False)
    response.headers["location"] = location
    return response


def show_provider(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        row = common.provider(conn, rq.params["uuid"])
        body = render(ctx, rq, [row], conn)[0]
    return common.answer(ctx, body, row["updated_at"] or row["created_at"])


def update_provider(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(_schema(ctx, False), body)
    row = update(ctx, rq.params["uuid"], body)
    with db.reader() as conn:
        shown = render(ctx, rq, [row], conn)[0]
    return common.answer(ctx, shown, row["updated_at"])


def delete_provider(ctx: Context, rq: ApiRequest) -> Any:
    delete(ctx, rq.params["uuid"])


ROUTES = [
    route("GET", "/resource_providers", list_providers, policy=P + "list", target=common.admin_target),
    route("POST", "/resource_providers", create_provider, policy=P + "create", target=common.admin_target),
    route("GET", "/resource_providers/{uuid}", show_provider, policy=P + "show", target=common.admin_target),
    route("PUT", "/resource_providers/{uuid}", update_provider, policy=P + "update", target=common.admin_target),
    route("DELETE", "/resource_providers/{uuid}", delete_provider, policy=P + "delete", status=204,
          target=common.admin_target),
]
