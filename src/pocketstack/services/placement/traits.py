"""Traits: /traits and /resource_providers/{uuid}/traits (api-ref: placement, Traits, Resource provider traits;
placement/handlers/trait.py). Standard traits are os-traits' (data/traits.txt); custom ones start with CUSTOM_."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import common
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:traits:"
PRP = "placement:resource_providers:traits:"
TR, PT = t.traits, t.provider_traits

# --- schemas -------------------------------------------------------------------------------
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
SET_SCHEMA = {"type": "object", "properties": {
    "traits": {"type": "array", "items": NAME, "uniqueItems": True},
    "resource_provider_generation": {"type": "integer"}},
    "required": ["traits", "resource_provider_generation"], "additionalProperties": False}
INVALID = ('The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix '
           '"CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"')


# --- logic ---------------------------------------------------------------------------------
def provider_traits(conn: Any, rp_id: int) -> list[str]:
    return sorted(conn.execute(sa.select(TR.c.name).join(PT, PT.c.trait_id == TR.c.id).where(
        PT.c.resource_provider_id == rp_id)).scalars())


def set_provider_traits(conn: Any, rp: dict[str, Any], names: list[str]) -> None:
    ids = common.check_traits_exist(conn, names)
    conn.execute(PT.delete().where(PT.c.resource_provider_id == rp["id"]))
    if ids:
        conn.execute(PT.insert(), [{"resource_provider_id": rp["id"], "trait_id": i} for i in ids.values()])


# --- routes --------------------------------------------------------------------------------
def list_traits(ctx: Context, rq: ApiRequest) -> Any:
    common.check_query(rq, {"name", "associated"})
    stmt = sa.select(TR.c.name, TR.c.created_at, TR.c.updated_at)
    name = common.single(rq, "name")
    if name is not None:
        if name.startswith("in:"):
            stmt = stmt.where(TR.c.name.in_([n.strip() for n in name[3:].split(",")]))
        elif name.startswith("startswith:"):
            prefix = name[len("startswith:"):]
            stmt = stmt.where(TR.c.name.startswith(prefix, autoescape=True))
        else:
            raise common.bad(f"Badly formatted name parameter. Expected name query string parameter in form: "
                             f"?name=[in|startswith]:[name1,name2|prefix]. Got: \"{name}\"")
    associated = common.single(rq, "associated")
    if associated is not None:
        if associated.lower() not in ("true", "false"):
            raise common.bad(f"The query parameter \"associated\" only accepts \"true\" or \"false\"")
        linked = TR.c.id.in_(sa.select(PT.c.trait_id))
        stmt = stmt.where(linked if associated.lower() == "true" else ~linked)
    with db.reader() as conn:
        rows = conn.execute(stmt.order_by(TR.c.name)).mappings().all()
    return common.answer(ctx, {"traits": [r["name"] for r in rows]}, common.newest(rows))


def show_trait(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        row = conn.execute(sa.select(TR).where(TR.c.name == rq.params["name"])).mappings().first()
    if row is None:
        raise common.not_found(f"No such trait(s): {rq.params['name']}")
    return common.answer(ctx, None, row["updated_at"] or row["created_at"], status=204)


def put_trait(ctx: Context, rq: ApiRequest) -> Any:
    name = rq.params["name"]
    if len(name) > 255 or not common.CUSTOM_NAME.match(name):
        raise common.bad(INVALID)
    with db.session() as conn:
        exists = conn.execute(sa.select(TR).where(TR.c.name == name)).mappings().first()
        if exists is None:
            conn.execute(TR.insert().values(name=name, created_at=utcnow()))
    response = common.answer(ctx, None, exists and (exists["updated_at"] or exists["created_at"]),
                             status=204 if exists else 201)
    response.headers["location"] = f"{ctx.base_url}{rq.service_prefix}/traits/{name}"
    return response


def delete_trait(ctx: Context, rq: ApiRequest) -> Any:
    name = rq.params["name"]
    with db.session() as conn:
        row = conn.execute(sa.select(TR).where(TR.c.name == name)).mappings().first()
        if row is None:
            raise common.not_found(f"No such trait(s): {name}")
        if not name.startswith("CUSTOM_"):
            raise common.bad(f"Cannot delete standard trait {name}.")
        if conn.execute(sa.select(PT.c.trait_id).where(PT.c.trait_id == row["id"]).limit(1)).first():
            raise common.conflict(f"The trait {name} is in use by a resource provider.")
        conn.execute(TR.delete().where(TR.c.id == row["id"]))


def _provider_answer(ctx: Context, conn: Any, rp: dict[str, Any]) -> Any:
    return common.answer(ctx, {"traits": provider_traits(conn, rp["id"]),
                               "resource_provider_generation": rp["generation"]},
                         rp["updated_at"] or rp["created_at"])


def list_provider_traits(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        return _provider_answer(ctx, conn, rp)


def update_provider_traits(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(SET_SCHEMA, body)
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        common.check_generation(rp, body["resource_provider_generation"])
        set_provider_traits(conn, rp, body["traits"])
        common.bump_generation(conn, rp)
        return _provider_answer(ctx, conn, rp)


def delete_provider_traits(ctx: Context, rq: ApiRequest) -> Any:
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        conn.execute(PT.delete().where(PT.c.resource_provider_id == rp["id"]))
        common.bump_generation(conn, rp)


ROUTES = [
    route("GET", "/traits", list_traits, policy=P + "list", target=common.admin_target, min_version=v.TRAITS),
    route("GET", "/traits/{name}", show_trait, policy=P + "show", target=common.admin_target, min_version=v.TRAITS),
    route("PUT", "/traits/{name}", put_trait, policy=P + "update", target=common.admin_target, min_version=v.TRAITS),
    route("DELETE", "/traits/{name}", delete_trait, policy=P + "delete", status=204, target=common.admin_target,
          min_version=v.TRAITS),
    route("GET", "/resource_providers/{uuid}/traits", list_provider_traits, policy=PRP + "list",
          target=common.admin_target, min_version=v.TRAITS),
    route("PUT", "/resource_providers/{uuid}/traits", update_provider_traits, policy=PRP + "update",
          target=common.admin_target, min_version=v.TRAITS),
    route("DELETE", "/resource_providers/{uuid}/traits", delete_provider_traits, policy=PRP + "delete", status=204,
          target=common.admin_target, min_version=v.TRAITS),
]
