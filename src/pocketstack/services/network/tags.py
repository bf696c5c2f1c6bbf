"""Tags of any standard-attribute resource: /v2.0/{resources}/{id}/tags[/{tag}]
(api-ref: network, Tag extension (standard-attr-tag))."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.routing import ApiRequest, Route, route
from pocketstack.services.network import (
    common, floating_ips, networks, ports, qos, routers, security_groups, subnetpools,
    subnets)


Target = Callable[[Any, dict[str, Any]], dict[str, Any]]
validate = common.validate_tags


# --- logic ---------------------------------------------------------------------------

def current(conn: Any, resource_id: str) -> list[str]:
    return common.tags_of(conn, [resource_id])[resource_id]


# --- routes --------------------------------------------------------------------------
def tag_routes(coll: common.Collection, id_param: str, target: Callable[[Context, ApiRequest], dict[str, Any]],
               resource: str) -> list[Route]:
    base = f"/v2.0/{coll.plural.replace('_', '-')}/{{{id_param}}}/tags"
    policy_base = f"{coll.plural.replace('-', '_')}_tags"

    def load(conn: Any, ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        return common.load(conn, coll, ctx, rq.params[id_param])

    def list_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            return {"tags": current(conn, load(conn, ctx, rq)["id"])}

    def show_tag(ctx: Context, rq: ApiRequest) -> None:
        with db.reader() as conn:
            row = load(conn, ctx, rq)
            if rq.params["tag"] not in current(conn, row["id"]):
                raise NotFound(f"Tag {rq.params['tag']} could not be found for {resource} {row['id']}.",
                               kind="TagNotFound")

    def replace_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        body = rq.body if isinstance(rq.body, dict) else {}
        tags = validate(body.get("tags"))
        with db.session() as conn:
            row = load(conn, ctx, rq)
            common.set_tags(conn, row["id"], tags)
            common.touch(conn, coll.table, row["id"])
        return {"tags": tags}

    def add_tag(ctx: Context, rq: ApiRequest) -> Response:
        tag = validate([rq.params["tag"]])[0]
        with db.session() as conn:
            row = load(conn, ctx, rq)
            tags = current(conn, row["id"])
            if tag not in tags:
                validate(tags + [tag])
                common.set_tags(conn, row["id"], tags + [tag])
                common.touch(conn, coll.table, row["id"])
        return Response(status_code=201)

    def delete_tags(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            row = load(conn, ctx, rq)
            common.set_tags(conn, row["id"], [])
            common.touch(conn, coll.table, row["id"])

    def delete_tag(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            row = load(conn, ctx, rq)
            tags = current(conn, row["id"])
            if rq.params["tag"] not in tags:
                raise NotFound(f"Tag {rq.params['tag']} could not be found for {resource} {row['id']}.",
                               kind="TagNotFound")
            common.set_tags(conn, row["id"], [x for x in tags if x != rq.params["tag"]])
            common.touch(conn, coll.table, row["id"])

    return [
        route("GET", base, list_tags, policy=f"get_{policy_base}", target=target),
        route("PUT", base, replace_tags, policy=f"update_{policy_base}", target=target),
        route("DELETE", base, delete_tags, policy=f"delete_{policy_base}", target=target, status=204),
        route("GET", base + "/{tag}", show_tag, policy=f"get_{policy_base}", target=target, status=204),
        route("PUT", base + "/{tag}", add_tag, policy=f"update_{policy_base}", target=target),
        route("DELETE", base + "/{tag}", delete_tag, policy=f"delete_{policy_base}", target=target, status=204),
    ]


ROUTES = [
    *tag_routes(networks.NETWORKS, "network_id", networks.network_target, "network"),
    *tag_routes(subnets.SUBNETS, "subnet_id", subnets.subnet_target, "subnet"),
    *tag_routes(ports.PORTS, "port_id", ports.port_target, "port"),
    *tag_routes(routers.ROUTERS, "router_id", routers.router_target, "router"),
    *tag_routes(floating_ips.FLOATING_IPS, "floatingip_id", floating_ips.floatingip_target, "floatingip"),
    *tag_routes(subnetpools.POOLS, "subnetpool_id", subnetpools.pool_target, "subnetpool"),
    *tag_routes(security_groups.GROUPS, "security_group_id", security_groups.group_target, "security_group"),
    *tag_routes(qos.POLICIES, "policy_id", qos.policy_target, "policy"),
]

