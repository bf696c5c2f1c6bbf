"""Agent schedulers: the networks a DHCP agent hosts and the routers an L3 agent hosts
(api-ref: network, DHCP agent scheduler and L3 agent scheduler; dhcp_agent_scheduler,
l3_agent_scheduler). The agents are fake, so scheduling is bookkeeping: bindings made through this
API, joined with the networks and routers that still exist."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import agents, common, networks, routers
from pocketstack.services.network import tables as t

B = t.agent_bindings
# scheduler -> (agent_type, resource table, resource key, invalid-agent message, hosted, not hosted)
KINDS: dict[str, tuple[str, sa.Table, str, str, str, str]] = {
    "dhcp": ("DHCP agent", t.networks, "network_id",
             "Agent {agent} is not a valid DHCP Agent or has been disabled",
             "The network {id} has been already hosted by the DHCP Agent {agent}.|NetworkHostedByDHCPAgent",
             "The network {id} is not hosted by the DHCP agent {agent}.|NetworkNotHostedByDhcpAgent"),
    "l3": ("L3 agent", t.routers, "router_id", "Agent {agent} is not a L3 Agent or has been disabled",
           "The router {id} has been already hosted by the L3 Agent {agent}.|RouterHostedByL3Agent",
           "The router {id} is not hosted by L3 agent {agent}.|RouterNotHostedByL3Agent"),
}


def _agent(conn: Connection, ctx: Context, agent_id: str, kind: str) -> dict[str, Any]:
    row = common.load(conn, agents.AGENTS, ctx, agent_id)
    agent_type, _table, _key, invalid, _hosted, _not_hosted = KINDS[kind]
    if row["agent_type"] != agent_type or not row["admin_state_up"]:
        raise Conflict(invalid.format(agent=agent_id), kind="InvalidDHCPAgent" if kind == "dhcp" else
                       "InvalidL3Agent")
    return row


def _hosted(conn: Connection, kind: str, agent_id: str) -> list[Any]:
    table = KINDS[kind][1]
    return [dict(r) for r in conn.execute(sa.select(table).join(B, B.c.resource_id == table.c.id)
                                          .where(B.c.agent_id == agent_id).order_by(table.c.id)).mappings()]


def _error(template: str, **kw: str) -> Conflict:
    message, kind = template.split("|")
    return Conflict(message.format(**kw), kind=kind)


# --- routes --------------------------------------------------------------------------
def list_hosted(kind: str):  # type: ignore[no-untyped-def]
    def handler(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            common.load(conn, agents.AGENTS, ctx, rq.params["agent_id"])
            rows = _hosted(conn, kind, rq.params["agent_id"])
            if kind == "dhcp":
                return {"networks": networks.render_networks(conn, ctx, rows) if rows else []}
            return {"routers": routers.render_routers(conn, ctx, rows) if rows else []}
    return handler


def add_hosted(kind: str):  # type: ignore[no-untyped-def]
    def handler(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        _type, _table, key, _invalid, hosted, _not_hosted = KINDS[kind]
        body = rq.body if isinstance(rq.body, dict) else {}
        resource_id = body.get(key)
        if not isinstance(resource_id, str) or not resource_id:
            raise BadRequest(f"Failed to parse request. Required attribute '{key}' not specified")
        with db.session() as conn:
            agent = _agent(conn, ctx, rq.params["agent_id"], kind)
            coll = networks.NETWORKS if kind == "dhcp" else routers.ROUTERS
            common.load(conn, coll, ctx, resource_id)
            if conn.execute(sa.select(B).where(B.c.agent_id == agent["id"], B.c.resource_id == resource_id)).first():
                raise _error(hosted, id=resource_id, agent=agent["id"])
            if kind == "l3" and conn.execute(sa.select(B).join(t.agents, t.agents.c.id == B.c.agent_id).where(
                    B.c.resource_id == resource_id, t.agents.c.agent_type == "L3 agent")).first():
                raise _error(hosted, id=resource_id, agent=agent["id"])
            conn.execute(B.insert().values(agent_id=agent["id"], resource_id=resource_id))
        return {}
    return handler


def remove_hosted(kind: str):  # type: ignore[no-untyped-def]
    def handler(ctx: Context, rq: ApiRequest) -> None:
        not_hosted = KINDS[kind][5]
        resource_id = rq.params["resource_id"]
        with db.session() as conn:
            agent = common.load(conn, agents.AGENTS, ctx, rq.params["agent_id"])
            done = conn.execute(B.delete().where(B.c.agent_id == agent["id"], B.c.resource_id == resource_id))
            if not done.rowcount:
                raise _error(not_hosted, id=resource_id, agent=agent["id"])
    return handler


def hosting_agents(kind: str):  # type: ignore[no-untyped-def]
    def handler(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        coll = networks.NETWORKS if kind == "dhcp" else routers.ROUTERS
        with db.reader() as conn:
            row = common.load(conn, coll, ctx, rq.params["resource_id"])
            rows = conn.execute(sa.select(t.agents).join(B, B.c.agent_id == t.agents.c.id).where(
                B.c.resource_id == row["id"], t.agents.c.agent_type == KINDS[kind][0])
                .order_by(t.agents.c.id)).mappings().all()
            out = agents.render_agents(conn, ctx, list(rows))
        if kind == "l3":
            for agent in out:
                agent["ha_state"] = None
        return {"agents": out}
    return handler


def _target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {}


A = "/v2.0/agents/{agent_id}"
ROUTES = [
    route("GET", A + "/dhcp-networks", list_hosted("dhcp"), policy="get_dhcp-networks", target=_target),
    route("POST", A + "/dhcp-networks", add_hosted("dhcp"), policy="create_dhcp-network", target=_target,
          status=201),
    route("DELETE", A + "/dhcp-networks/{resource_id}", remove_hosted("dhcp"), policy="delete_dhcp-network",
          target=_target, status=204),
    route("GET", "/v2.0/networks/{resource_id}/dhcp-agents", hosting_agents("dhcp"), policy="get_dhcp-agents",
          target=_target),
    route("GET", A + "/l3-routers", list_hosted("l3"), policy="get_l3-routers", target=_target),
    route("POST", A + "/l3-routers", add_hosted("l3"), policy="create_l3-router", target=_target, status=201),
    route("DELETE", A + "/l3-routers/{resource_id}", remove_hosted("l3"), policy="delete_l3-router",
          target=_target, status=204),
    route("GET", "/v2.0/routers/{resource_id}/l3-agents", hosting_agents("l3"), policy="get_l3-agents",
          target=_target),
]
