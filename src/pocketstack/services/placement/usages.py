"""Usages: /resource_providers/{uuid}/usages and /usages (api-ref: placement, Resource provider usages, Usages;
placement/handlers/usage.py, objects/usage.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import capacity, common
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v


def provider_usages(ctx: Context, rq: ApiRequest) -> Any:
    with db.reader() as conn:
        rp = common.provider(conn, rq.params["uuid"])
        names = common.class_names(conn)
        inv = capacity.inventories_of(conn, [rp["id"]])[rp["id"]]
        used = capacity.usages_of(conn, [rp["id"]])[rp["id"]]
    usages = {names[rc]: used.get(rc, 0) for rc in inv}
    usages.update({names[rc]: n for rc, n in used.items()})
    return common.answer(ctx, {"resource_provider_generation": rp["generation"], "usages": usages})


def usages_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": rq.query.get("project_id"), "user_id": ctx.user_id}


def total_usages(ctx: Context, rq: ApiRequest) -> Any:
    allowed = {"project_id", "user_id"} | ({"consumer_type"} if ctx.version >= v.CONSUMER_TYPES else set())
    common.check_query(rq, allowed)
    project_id = common.single(rq, "project_id")
    if not project_id:
        raise common.bad("Invalid query string parameters: 'project_id' is a required property")
    user_id = common.single(rq, "user_id")
    a, c, ct = t.allocations, t.consumers, t.consumer_types
    type_name = sa.func.coalesce(ct.c.name, "unknown").label("consumer_type")
    joined = a.join(c, c.c.uuid == a.c.consumer_id).outerjoin(ct, ct.c.id == c.c.consumer_type_id)
    where = [c.c.project_id == project_id]
    if user_id:
        where.append(c.c.user_id == user_id)
    wanted_type = common.single(rq, "consumer_type") if ctx.version >= v.CONSUMER_TYPES else None
    if wanted_type == "unknown":
        where.append(c.c.consumer_type_id.is_(None))
    elif wanted_type and wanted_type != "all":
        where.append(ct.c.name == wanted_type)
    with db.reader() as conn:
        names = common.class_names(conn)
        if ctx.version < v.CONSUMER_TYPES:
            rows = conn.execute(sa.select(a.c.resource_class_id, sa.func.sum(a.c.used)).select_from(joined)
                                .where(*where).group_by(a.c.resource_class_id)).all()
            return common.answer(ctx, {"usages": {names[rc]: int(n) for rc, n in rows}})
        rows = conn.execute(sa.select(type_name, a.c.resource_class_id, sa.func.sum(a.c.used)).select_from(joined)
                            .where(*where).group_by(type_name, a.c.resource_class_id)).all()
        counts = dict(conn.execute(sa.select(type_name, sa.func.count(sa.distinct(c.c.uuid))).select_from(joined)
                                   .where(*where).group_by(type_name)).all())
    out: dict[str, dict[str, int]] = {}
    for type_, rc, used in rows:
        key = "all" if wanted_type == "all" else type_
        bucket = out.setdefault(key, {})
        bucket[names[rc]] = bucket.get(names[rc], 0) + int(used)
    for type_, n in counts.items():
        key = "all" if wanted_type == "all" else type_
        if key in out:
            out[key]["consumer_count"] = out[key].get("consumer_count", 0) + int(n)
    return common.answer(ctx, {"usages": out})


ROUTES = [
    route("GET", "/resource_providers/{uuid}/usages", provider_usages, policy="placement:resource_providers:usages",
          target=common.admin_target),
    route("GET", "/usages", total_usages, policy="placement:usages", target=usages_target, min_version=v.USAGES),
]
