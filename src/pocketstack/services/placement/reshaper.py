"""The reshaper: POST /reshaper moves inventory and allocations between providers atomically
(api-ref: placement, Reshaper; placement/handlers/reshaper.py, objects/reshaper.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import allocations, common, inventories
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v


def schema(ctx: Context) -> dict[str, Any]:
    return {"type": "object", "required": ["inventories", "allocations"], "additionalProperties": False,
            "properties": {
                "inventories": {"type": "object", "additionalProperties": False, "patternProperties": {
                    "^[0-9a-fA-F-]{36}$": {
                        "type": "object", "required": ["resource_provider_generation", "inventories"],
                        "additionalProperties": False,
                        "properties": {"resource_provider_generation": {"type": "integer"},
                                       "inventories": inventories.PUT_ALL_SCHEMA["properties"]["inventories"]}}}},
                "allocations": allocations.post_schema(ctx) | {"minProperties": 0}}}


def reshape(ctx: Context, rq: ApiRequest) -> Any:
    body = common.json_body(rq)
    common.check_body(schema(ctx), body)
    wanted = {c: (spec, allocations.normalize(ctx, spec)) for c, spec in body["allocations"].items()}
    with db.session() as conn:
        providers = []
        for rp_uuid, data in body["inventories"].items():
            rp = common.provider(conn, rp_uuid)
            common.check_generation(rp, data["resource_provider_generation"])
            providers.append((rp, data["inventories"]))
        if wanted:
            conn.execute(t.allocations.delete().where(t.allocations.c.consumer_id.in_(list(wanted))))
        for rp, inv in providers:
            inventories.set_all(ctx, conn, rp, inv)
            common.bump_generation(conn, rp)
        if wanted:
            try:
                allocations._write(ctx, conn, wanted)
            except allocations._Race:
                raise common.provider_generation_conflict("(reshaper)") from None
        conn.execute(sa.text("SELECT 1"))


ROUTES = [
    route("POST", "/reshaper", reshape, policy="placement:reshaper:reshape", status=204, target=common.admin_target,
          min_version=v.RESHAPER),
]
