"""Floating IP pools: GET /v2.0/floatingip_pools (api-ref: network, Floating IP pools; floatingip-pools).

A pool is an IPv4 subnet of an external network (neutron/db/l3_fip_pools_db.py: IPv6 only with fip64,
which pocketstack does not offer). Every external network counts, whoever may see it, and the pools
carry the caller's project, as neutron's _make_floatingip_pool_dict does."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common
from pocketstack.services.network import tables as t

ATTRIBUTES = {"subnet_id", "subnet_name", "network_id", "cidr", "project_id", "tenant_id"}


# --- views ---------------------------------------------------------------------------
def render_pool(ctx: Context, subnet: Any) -> dict[str, Any]:
    return {"subnet_id": subnet["id"], "subnet_name": subnet["name"], "network_id": subnet["network_id"],
            "cidr": subnet["cidr"], "project_id": ctx.project_id, "tenant_id": ctx.project_id}


# --- logic ---------------------------------------------------------------------------
def pools(ctx: Context) -> list[dict[str, Any]]:
    s = t.subnets
    external = sa.select(t.networks.c.id).where(t.networks.c.external.is_(True))
    with db.reader() as conn:
        rows = conn.execute(sa.select(s).where(s.c.network_id.in_(external), s.c.ip_version == 4)
                            .order_by(s.c.id)).mappings().all()
    return [render_pool(ctx, r) for r in rows]


# --- routes --------------------------------------------------------------------------
def list_floatingip_pools(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    unknown = [k for k in rq.query if k not in common.RESERVED and k not in ATTRIBUTES]
    if unknown:
        raise BadRequest(f"{unknown} is invalid attribute for filtering")
    items = pools(ctx)
    for key in rq.query:
        if key in ATTRIBUTES:
            wanted = rq.query.getlist(key)
            items = [i for i in items if str(i[key]) in wanted]
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    return {"floatingip_pools": [common.select_fields(i, fields) for i in items]}


# neutron's router takes a collection's name with hyphens as well (V2Controller._lookup), and Tempest's
# client asks for /floatingip-pools
ROUTES = [
    route("GET", "/v2.0/floatingip_pools", list_floatingip_pools, policy="get_floatingip_pool"),
    route("GET", "/v2.0/floatingip-pools", list_floatingip_pools, policy="get_floatingip_pool"),
]
