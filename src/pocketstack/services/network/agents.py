"""Agents: /v2.0/agents[/{agent_id}] (api-ref: network, Networking Agents). With the `none` dataplane the
rows are the agents a DevStack ML2/OVS node reports, listed as not alive (no agent moves packets); the
`linux` dataplane replaces them with its own (Linux bridge, DHCP, L3, metadata) and their real liveness."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER, in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, dataplane
from pocketstack.services.network import tables as t

# (agent_type, binary, topic, availability zone, configurations)
FAKE_AGENTS = [
    ("Open vSwitch agent", "neutron-openvswitch-agent", "N/A", None,
     {"bridge_mappings": {"public": "br-ex"}, "tunnel_types": ["vxlan"], "tunneling_ip": "127.0.0.1"}),
    ("DHCP agent", "neutron-dhcp-agent", "dhcp_agent", "nova", {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq"}),
    ("L3 agent", "neutron-l3-agent", "l3_agent", "nova", {"agent_mode": "legacy"}),
    ("Metadata agent", "neutron-metadata-agent", "N/A", None, {}),
]
KNOWN_TYPES = [kind for kind, *_ in FAKE_AGENTS] + ["Linux bridge agent"]
COLUMNS = {k: k for k in ("id", "agent_type", "binary", "topic", "host", "availability_zone", "admin_state_up",
                          "description")}
ATTRIBUTES = {*COLUMNS, "alive", "configurations", "created_at", "started_at", "heartbeat_timestamp",
              "resources_synced"}


# --- views ---------------------------------------------------------------------------
def render_agents(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    """Liveness comes from the dataplane: with `none` no agent runs, and the list says so (alive false,
    `configurations.dataplane` none); with `linux` an agent is alive while its part of the reconciler beats."""
    plane = dataplane.current()
    out = []
    for r in rows:
        alive, beat = plane.agent_state(r["agent_type"])
        heartbeat = datetime.fromtimestamp(beat, timezone.utc).replace(tzinfo=None) if beat else r["started_at"]
        out.append({**{k: r[k] for k in COLUMNS}, "alive": alive,
                    "configurations": {**r["configurations"], "dataplane": plane.name},
                    "created_at": _time(r["created_at"]), "started_at": _time(r["started_at"]),
                    "heartbeat_timestamp": _time(heartbeat), "resources_synced": None})
    return out


def alive_filter(values: list[str]) -> Any:
    """`?alive=true|false`: the agent types whose liveness (asked of the dataplane) is the one wanted."""
    wanted = {common.to_bool(v, "alive") for v in values}
    plane = dataplane.current()
    return sa.or_(*[t.agents.c.agent_type.in_([k for k in KNOWN_TYPES if plane.agent_state(k)[0] == w])
                    for w in wanted])


def _time(value: datetime) -> str:
    return isotime(value, suffix="").replace("T", " ")


AGENTS = common.Collection(
    "agent", "agents", t.agents, "Agent", ATTRIBUTES, render_agents, lambda ctx: sa.false(),
    # agent_type compares without case, as on neutron's MySQL ("DHCP Agent" finds the "DHCP agent")
    filters={**common.column_filters(t.agents, COLUMNS), "alive": lambda vs: alive_filter(vs),
             "agent_type": lambda vs: sa.func.lower(t.agents.c.agent_type).in_([v.lower() for v in vs])},
    sort_keys={"agent_type", "binary", "topic", "host", "availability_zone", "admin_state_up"})


# --- logic ---------------------------------------------------------------------------
def bootstrap(conn: Connection) -> None:
    now, host = utcnow(), socket.gethostname()
    conn.execute(t.agents.insert(), [
        {"id": new_uuid(), "agent_type": kind, "binary": binary, "topic": topic, "host": host,
         "availability_zone": zone, "admin_state_up": True, "description": None, "configurations": conf,
         "created_at": now, "started_at": now} for kind, binary, topic, zone, conf in FAKE_AGENTS])


def schedule_network(conn: Connection, network_id: str) -> None:
    """A network gets a DHCP subnet or port: the DHCP agent hosts it unless some agent already does
    (neutron's DhcpAgentNotifyAPI auto-schedules on subnet and port create)."""
    dhcp = sa.select(t.agents.c.id).where(t.agents.c.agent_type == "DHCP agent", t.agents.c.admin_state_up)
    agent_id = conn.execute(dhcp.order_by(t.agents.c.created_at, t.agents.c.id).limit(1)).scalar()
    hosted = conn.execute(sa.select(t.agent_bindings).where(t.agent_bindings.c.resource_id == network_id,
                                                            t.agent_bindings.c.agent_id.in_(dhcp))).first()
    if agent_id is not None and hosted is None:
        conn.execute(t.agent_bindings.insert().values(agent_id=agent_id, resource_id=network_id))


# --- routes --------------------------------------------------------------------------
def list_agents(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(AGENTS, ctx, rq)


def _found(conn: Connection, ctx: Context, agent_id: str, rule_name: str) -> dict[str, Any]:
    """neutron looks the agent up before its rule: 404 when missing; a user is told 404 on PUT and
    DELETE too (agents belong to no project), 403 on GET."""
    row = conn.execute(sa.select(t.agents).where(t.agents.c.id == agent_id)).mappings().first()
    if row is None:
        raise AGENTS.not_found(agent_id)
    if rule_name == "get_agent":
        common.enforce(ctx, rule_name, {})
    else:
        common.enforce_found(ctx, rule_name, {}, None)
    return dict(row)


def show_agent(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        _found(conn, ctx, rq.params["agent_id"], "get_agent")
    return common.show_resource(AGENTS, ctx, rq, rq.params["agent_id"])


def update_agent(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "agent", {"admin_state_up"})
    with db.session() as conn:
        row = _found(conn, ctx, rq.params["agent_id"], "update_agent")
        values = {k: item[k] for k in ("description",) if k in item}
        if "admin_state_up" in item:
            values["admin_state_up"] = common.to_bool(item["admin_state_up"], "admin_state_up")
        if values:
            conn.execute(t.agents.update().where(t.agents.c.id == row["id"]).values(**values))
    return common.show_resource(AGENTS, ctx, rq, row["id"])


def delete_agent(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _found(conn, ctx, rq.params["agent_id"], "delete_agent")
        conn.execute(t.agents.delete().where(t.agents.c.id == row["id"]))


A = "/v2.0/agents"
ROUTES = [
    route("GET", A, list_agents, policy=ANY_USER),          # a non-admin lists nothing, as in neutron
    route("GET", A + "/{agent_id}", show_agent, policy=in_handler("get_agent")),
    route("PUT", A + "/{agent_id}", update_agent, policy=in_handler("update_agent")),
    route("DELETE", A + "/{agent_id}", delete_agent, policy=in_handler("delete_agent"), status=204),
]
