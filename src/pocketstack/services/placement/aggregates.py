"""Provider aggregates: /resource_providers/{uuid}/aggregates (api-ref: placement, Resource provider aggregates;
placement/handlers/aggregate.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import common
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

P = "placement:resource_providers:aggregates:"
PA = t.provider_aggregates

# --- schemas -------------------------------------------------------------------------------
LIST = {"type": "array", "items": {"type": "string", "format": "uuid"}, "uniqueItems": True}
SET_1_19 = {"type": "object", "properties": {"aggregates": LIST, "resource_provider_generation": {"type": "integer"}},
            "required": ["aggregates", "resource_provider_generation"], "additionalProperties": False}


# --- logic ---------------------------------------------------------------------------------
def of(conn: Any, rp_id: int) -> list[str]:
    return sorted(conn.execute(sa.select(PA.c.aggregate_uuid).where(PA.c.resource_provider_id == rp_id)).scalars())


def set_for(conn: Any, rp: dict[str, Any], aggregates: list[str]) -> None:
    conn.execute(PA.delete().where(PA.c.resource_provider_id == rp["id"]))
    if aggregates:
        conn.execute(PA.insert(), [{"resource_provider_id": rp["id"], "aggregate_uuid": a} for a in aggregates])


# --- routes --------------------------------------------------------------------------------
def _answer(ctx: Context, conn: Any, rp: dict[str, Any]) -> Any:
    body: dict[str, Any] = {"aggregates": of(conn, rp["id"])}
    if ctx.version >= v.AGGREGATE_GENERATION:
        body["resource_provider_generation"] = rp["generation"]
    return common.answer(ctx, body, rp["updated_at"] or rp["created_at"])


def get_aggregates(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        return _answer(ctx, conn, rp)


def set_aggregates(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    with_generation = ctx.version >= v.AGGREGATE_GENERATION
    common.check_body(SET_1_19 if with_generation else LIST, body)
    with db.session() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        if with_generation:
            common.check_generation(rp, body["resource_provider_generation"])
        set_for(conn, rp, body["aggregates"] if with_generation else body)
        common.bump_generation(conn, rp)
        return _answer(ctx, conn, rp)


ROUTES = [
    route("GET", "/resource_providers/{uuid}/aggregates", get_aggregates, policy=P + "list",
          target=common.admin_target, min_version=v.AGGREGATES),
    route("PUT", "/resource_providers/{uuid}/aggregates", set_aggregates, policy=P + "update",
          target=common.admin_target, min_version=v.AGGREGATES),
]
