"""Node traits and VIFs: /v1/nodes/{node}/traits, /v1/nodes/{node}/vifs (api-ref: baremetal, Node Traits;
VIFs (Virtual Interfaces) of nodes). A VIF lives on a port's or portgroup's internal_info, as in Ironic."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, MethodNotAllowed, NotFound
from pocketstack.core.http import empty
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import node_traits, nodes, portgroups, ports

TRAIT_RE = re.compile(r"^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9]*_[A-Z0-9_]+)$")
MAX_TRAITS = 50
VIF_KEY = "tenant_vif_port_id"


# --- logic -------------------------------------------------------------------
def _node(conn: Any, ctx: Context, rq: ApiRequest) -> Any:
    if "/traits" in rq.path:
        # quirk: below 1.37 pecan answers GET with 406, PUT with 405 and DELETE with 404
        if ctx.version < v.NODE_TRAITS:
            if rq.method == "PUT":
                raise MethodNotAllowed("The method is not allowed for the requested URL.")
            if rq.method == "DELETE":
                raise NotFound("The resource could not be found.")
            common.require(ctx, v.NODE_TRAITS)
    else:
        common.hidden(ctx, v.VIFS)
    return common.find_node(conn, ctx, rq.params["node_ident"])


def _check_trait(trait: Any) -> str:
    if not isinstance(trait, str) or not 1 <= len(trait) <= 255 or not TRAIT_RE.match(trait):
        raise BadRequest(f"Invalid input for field/attribute trait. Value: '{trait}'. '{trait}' is not valid under "
                         "any of the given schemas")
    return trait


def _set_traits(conn: Any, node_uuid: str, traits: list[str]) -> None:
    if len(set(traits)) > MAX_TRAITS:
        raise BadRequest(f"Could not modify traits for node {node_uuid} as it would exceed the maximum number of "
                         f"traits per node ({MAX_TRAITS}).")
    conn.execute(node_traits.delete().where(node_traits.c.node_uuid == node_uuid))
    now = utcnow()
    if traits:
        conn.execute(node_traits.insert(), [{"node_uuid": node_uuid, "trait": t, "created_at": now}
                                            for t in dict.fromkeys(traits)])
    conn.execute(nodes.update().where(nodes.c.uuid == node_uuid).values(updated_at=now))


def _current(conn: Any, node_uuid: str) -> list[str]:
    return list(conn.execute(sa.select(node_traits.c.trait).where(node_traits.c.node_uuid == node_uuid)
                             .order_by(node_traits.c.trait)).scalars())


def _vif_holders(conn: Any, node_uuid: str) -> list[tuple[Any, Any]]:
    out = []
    for table in (portgroups, ports):
        for row in conn.execute(sa.select(table).where(table.c.node_uuid == node_uuid)
                                .order_by(table.c.created_at)).mappings():
            out.append((table, row))
    return out


# --- routes ------------------------------------------------------------------
def list_traits(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
        return {"traits": _current(conn, row["uuid"])}


def set_traits(ctx: Context, rq: ApiRequest) -> None:
    body = rq.body
    if not isinstance(body, dict) or set(body) != {"traits"} or not isinstance(body["traits"], list):
        raise BadRequest("Invalid input for field/attribute traits. A list of traits is required.")
    traits = [_check_trait(t) for t in body["traits"]]
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _set_traits(conn, row["uuid"], traits)


def add_trait(ctx: Context, rq: ApiRequest) -> Response:
    trait = _check_trait(rq.params["trait"])
    if rq.body not in (None, {}, b""):
        raise BadRequest("Invalid input: a trait is added by its name in the URL, with no body.")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        current = _current(conn, row["uuid"])
        if trait not in current:
            _set_traits(conn, row["uuid"], [*current, trait])
    url = common.build_url(common.public_url(ctx, rq), "nodes", f"{rq.params['node_ident']}/traits/{trait}")
    return empty(204, {"Location": url})


def delete_traits(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _set_traits(conn, row["uuid"], [])


def delete_trait(ctx: Context, rq: ApiRequest) -> None:
    trait = rq.params["trait"]
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        current = _current(conn, row["uuid"])
        if trait not in current:
            raise NotFound(f"Node {row['uuid']} doesn't have a trait {trait}")
        _set_traits(conn, row["uuid"], [t for t in current if t != trait])


def list_vifs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
        holders = _vif_holders(conn, row["uuid"])
    return {"vifs": [{"id": r["internal_info"][VIF_KEY]} for _, r in holders
                     if (r["internal_info"] or {}).get(VIF_KEY)]}


def attach_vif(ctx: Context, rq: ApiRequest) -> None:
    body = rq.body if isinstance(rq.body, dict) else {}
    vif = body.get("id")
    if not isinstance(vif, str) or not vif:
        raise BadRequest("Invalid input for field/attribute vif. Missing mandatory field 'id'.")
    wanted = body.get("port_uuid") or body.get("portgroup_uuid")
    if wanted:
        common.require(ctx, v.VIF_PORT)
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        holders = _vif_holders(conn, row["uuid"])
        for table, h in holders:
            if (h["internal_info"] or {}).get(VIF_KEY) == vif:
                raise Conflict(f"Unable to attach VIF because VIF {vif} is already attached to Ironic "
                               f"{'Port' if table is ports else 'Portgroup'} {h['uuid']}")
        members = {h["portgroup_uuid"] for t, h in holders if t is ports and h["portgroup_uuid"]}
        free = [(t, h) for t, h in holders if not (h["internal_info"] or {}).get(VIF_KEY)
                and (h["uuid"] in members if t is portgroups else not h["portgroup_uuid"])
                and (not wanted or h["uuid"] == wanted)]
        free.sort(key=lambda th: (th[0] is not portgroups, not th[1].get("pxe_enabled", True)))
        if not free:
            raise BadRequest(f"Unable to attach VIF {vif}, not enough free physical ports.")
        table, holder = free[0]
        info = {**(holder["internal_info"] or {}), VIF_KEY: vif}
        conn.execute(table.update().where(table.c.uuid == holder["uuid"]).values(internal_info=info,
                                                                                  updated_at=utcnow()))


def detach_vif(ctx: Context, rq: ApiRequest) -> None:
    vif = rq.params["vif_id"]
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        for table, h in _vif_holders(conn, row["uuid"]):
            info = dict(h["internal_info"] or {})
            if info.get(VIF_KEY) == vif:
                info.pop(VIF_KEY)
                conn.execute(table.update().where(table.c.uuid == h["uuid"]).values(internal_info=info,
                                                                                    updated_at=utcnow()))
                return
    raise BadRequest(f"Unable to detach VIF {vif} from node {row['uuid']}, because it is not attached to it.")


def detach_no_vif(ctx: Context, rq: ApiRequest) -> None:
    raise BadRequest("Missing argument: \"vif_id\"")


N = "/v1/nodes/{node_ident}"
T = common.node_target()
ROUTES = [
    route("GET", N + "/traits", list_traits, policy="baremetal:node:traits:list", target=T),
    route("PUT", N + "/traits", set_traits, policy="baremetal:node:traits:set", target=T, status=204),
    route("PUT", N + "/traits/{trait}", add_trait, policy="baremetal:node:traits:set", target=T, status=204),
    route("DELETE", N + "/traits", delete_traits, policy="baremetal:node:traits:delete", target=T, status=204),
    route("DELETE", N + "/traits/{trait}", delete_trait, policy="baremetal:node:traits:delete", target=T,
          status=204),
    route("GET", N + "/vifs", list_vifs, policy="baremetal:node:vif:list", target=T),
    route("POST", N + "/vifs", attach_vif, policy="baremetal:node:vif:attach", target=T, status=204),
    route("DELETE", N + "/vifs", detach_no_vif, policy="baremetal:node:vif:detach", target=T, status=204),
    route("DELETE", N + "/vifs/{vif_id}", detach_vif, policy="baremetal:node:vif:detach", target=T, status=204),
]
