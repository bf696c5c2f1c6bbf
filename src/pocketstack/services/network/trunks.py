"""Trunks: /v2.0/trunks[/{trunk_id}[/add_subports|remove_subports|get_subports]] (api-ref: network,
Trunk networking; trunk, trunk-details). A trunk is a parent port carrying VLAN-tagged sub-ports;
sub-ports get device_owner trunk:subport and the trunk's id as device_id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, ports
from pocketstack.services.network import tags as tag_api
from pocketstack.services.network import tables as t

WRITABLE = {"name", "admin_state_up", "port_id", "sub_ports"}
UPDATABLE = {"name", "admin_state_up"}
SEGMENTATION_TYPES = ("vlan", "inherit")
SUBPORT_OWNER = "trunk:subport"
COLUMNS = {k: k for k in ("id", "name", "port_id", "status", "admin_state_up", "project_id", "description",
                          "revision_number")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "sub_ports"}


# --- views ---------------------------------------------------------------------------
def subports_of(conn: Connection, trunk_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in trunk_ids}
    s = t.trunk_subports
    for r in conn.execute(sa.select(s).where(s.c.trunk_id.in_(trunk_ids)).order_by(
            s.c.segmentation_id, s.c.port_id)).mappings():
        out[r["trunk_id"]].append({"port_id": r["port_id"], "segmentation_type": r["segmentation_type"],
                                   "segmentation_id": r["segmentation_id"]})
    return out


def render_trunks(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags, subs = common.tags_of(conn, ids), subports_of(conn, ids)
    out = []
    for r in rows:
        item = common.standard_view(r, tags[r["id"]])
        item.update({"port_id": r["port_id"], "status": r["status"], "admin_state_up": r["admin_state_up"],
                     "sub_ports": subs[r["id"]]})
        out.append(item)
    return out


def trunk_details(conn: Connection, port_ids: list[str]) -> dict[str, dict[str, Any]]:
    """port id -> trunk_details of the ports that are a trunk's parent (trunk-details)."""
    trunks = {r["port_id"]: r["id"] for r in conn.execute(sa.select(t.trunks.c.id, t.trunks.c.port_id).where(
        t.trunks.c.port_id.in_(port_ids))).mappings()}
    if not trunks:
        return {}
    subs = subports_of(conn, list(trunks.values()))
    macs = dict(conn.execute(sa.select(t.ports.c.id, t.ports.c.mac_address).where(t.ports.c.id.in_(
        [s["port_id"] for v in subs.values() for s in v]))).all())
    return {port_id: {"trunk_id": trunk_id, "sub_ports": [{**s, "mac_address": macs.get(s["port_id"])}
                                                          for s in subs[trunk_id]]}
            for port_id, trunk_id in trunks.items()}


def visible(ctx: Context) -> Any:
    return t.trunks.c.project_id == ctx.project_id


TRUNKS = common.Collection(
    "trunk", "trunks", t.trunks, "Trunk", ATTRIBUTES, render_trunks, visible,
    filters=common.column_filters(t.trunks, COLUMNS),
    sort_keys={"name", "port_id", "status", "admin_state_up", "project_id", "created_at", "updated_at",
               "revision_number", "description"})


# --- logic ---------------------------------------------------------------------------
def parent_trunk(conn: Connection, port_id: str) -> str | None:
    return conn.execute(sa.select(t.trunks.c.id).where(t.trunks.c.port_id == port_id)).scalar()


def subport_trunk(conn: Connection, port_id: str) -> str | None:
    return conn.execute(sa.select(t.trunk_subports.c.trunk_id).where(
        t.trunk_subports.c.port_id == port_id)).scalar()


def check_port_deletable(conn: Connection, port_id: str) -> None:
    """A trunk's parent cannot be deleted while the trunk exists (PortInUseAsTrunkParent)."""
    trunk_id = parent_trunk(conn, port_id)
    if trunk_id:
        raise Conflict(f"Port {port_id} is currently a parent port for trunk {trunk_id}.",
                       kind="PortInUseAsTrunkParent")
    trunk_id = subport_trunk(conn, port_id)
    if trunk_id:
        raise Conflict(f"Port {port_id} is currently a subport for trunk {trunk_id}.", kind="PortInUseAsSubPort")


def release_subport(conn: Connection, port_id: str) -> None:
    conn.execute(t.trunk_subports.delete().where(t.trunk_subports.c.port_id == port_id))


def parse_subports(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise common.invalid("sub_ports", f"'{value}' is not a list")
    out, seen_ports, seen_ids = [], set(), set()
    for sub in value:
        if not isinstance(sub, dict) or "port_id" not in sub or set(sub) - {"port_id", "segmentation_type",
                                                                              "segmentation_id"}:
            raise common.invalid("sub_ports", f"'{sub}' is not a valid subport")
        if sub.get("segmentation_type") != "inherit" and len(sub) > 1 and (
                not sub.get("segmentation_type") or sub.get("segmentation_id") is None):
            raise common.invalid("sub_ports", f"Invalid subport details '{sub}': missing segmentation information. "
                                              "Must specify both segmentation_id and segmentation_type")
        kind = sub.get("segmentation_type") or "vlan"
        if kind not in SEGMENTATION_TYPES:
            raise common.invalid("sub_ports", f"'{kind}' is not in {list(SEGMENTATION_TYPES)}")
        seg = sub.get("segmentation_id")
        if kind == "vlan":
            if isinstance(seg, str) and seg.isdigit():
                seg = int(seg)
            if isinstance(seg, bool) or not isinstance(seg, int) or not 1 <= seg <= 4094:
                raise common.invalid("sub_ports", f"'{seg}' is not in range 1 through 4094")
        elif seg is not None:
            raise common.invalid("sub_ports", "segmentation_id must not be set with segmentation_type inherit")
        if sub["port_id"] in seen_ports:
            raise common.invalid("sub_ports", f"duplicate port {sub['port_id']}")
        if kind == "vlan" and seg in seen_ids:
            raise common.invalid("sub_ports", f"Segmentation ID '{seg}' for '{sub}' is not unique")
        seen_ports.add(sub["port_id"])
        seen_ids.add(seg)
        out.append({"port_id": sub["port_id"], "segmentation_type": kind, "segmentation_id": seg or 0})
    return out


def check_port_free(conn: Connection, port_id: str) -> None:
    trunk_id = parent_trunk(conn, port_id)
    if trunk_id:
        raise Conflict(f"Port {port_id} is currently a parent port for trunk {trunk_id}.",
                       kind="PortInUseAsTrunkParent")
    trunk_id = subport_trunk(conn, port_id)
    if trunk_id:
        raise Conflict(f"Port {port_id} is currently a subport for trunk {trunk_id}.", kind="PortInUseAsSubPort")


def add_subports(conn: Connection, ctx: Context, trunk: dict[str, Any], subs: list[dict[str, Any]]) -> None:
    taken = {(r["segmentation_type"], r["segmentation_id"]) for r in conn.execute(
        sa.select(t.trunk_subports).where(t.trunk_subports.c.trunk_id == trunk["id"])).mappings()}
    for sub in subs:
        if sub["port_id"] == trunk["port_id"]:
            raise Conflict(f"Port {sub['port_id']} is currently a parent port for trunk {trunk['id']}.",
                           kind="PortInUseAsTrunkParent")
        port = common.load(conn, ports.PORTS, ctx, sub["port_id"])
        check_port_free(conn, port["id"])
        check_mtu(conn, trunk["port_id"], port)
        if sub["segmentation_type"] == "inherit":       # the subport's network segment decides
            net = conn.execute(sa.select(t.networks.c.network_type, t.networks.c.segmentation_id).where(
                t.networks.c.id == port["network_id"])).mappings().one()
            if net["network_type"] != "vlan" or net["segmentation_id"] is None:
                raise BadRequest(f"Segmentation type 'inherit' needs a VLAN network for subport {port['id']}.",
                                 kind="SubPortBindingError")
            sub = {**sub, "segmentation_type": "vlan", "segmentation_id": int(net["segmentation_id"])}
        key = (sub["segmentation_type"], sub["segmentation_id"])
        if sub["segmentation_type"] == "vlan" and key in taken:
            raise Conflict(f"segmentation_type {key[0]} and segmentation_id {key[1]} already in use on trunk "
                           f"{trunk['id']}.", kind="DuplicateSubPort")
        taken.add(key)
        conn.execute(t.trunk_subports.insert().values(trunk_id=trunk["id"], **sub))
        common.touch(conn, t.ports, port["id"], device_owner=SUBPORT_OWNER, device_id=trunk["id"])


def check_mtu(conn: Connection, parent_id: str, port: dict[str, Any]) -> None:
    """A subport's network MTU may not exceed the parent's (neutron trunk rules, SubPortMtuGreaterThanTrunkPortMtu)."""
    def mtu(network_id: str) -> int:
        return int(conn.execute(sa.select(t.networks.c.mtu).where(t.networks.c.id == network_id)).scalar() or 0)
    parent_net = conn.execute(sa.select(t.ports.c.network_id).where(t.ports.c.id == parent_id)).scalar()
    if parent_net and mtu(port["network_id"]) > mtu(parent_net):
        raise Conflict(f"MTU {mtu(port['network_id'])} of subport {port['id']} cannot be greater than MTU "
                       f"{mtu(parent_net)} of trunk parent port {parent_id}.", kind="SubPortMtuGreaterThanTrunkPortMtu")


def remove_subports(conn: Connection, trunk: dict[str, Any], port_ids: list[str]) -> None:
    current = {r for r in conn.execute(sa.select(t.trunk_subports.c.port_id).where(
        t.trunk_subports.c.trunk_id == trunk["id"])).scalars()}
    for port_id in port_ids:
        if port_id not in current:
            raise NotFound(f"SubPort {port_id} could not be found on trunk {trunk['id']}.", kind="SubPortNotFound")
    for port_id in port_ids:
        release_subport(conn, port_id)
        common.touch(conn, t.ports, port_id, device_owner="", device_id="")


def check_enabled(trunk: dict[str, Any]) -> None:
    if not trunk["admin_state_up"]:
        raise Conflict(f"Trunk {trunk['id']} is currently disabled.", kind="TrunkDisabled")


def create_trunk(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    if "port_id" not in item:
        raise BadRequest("Failed to parse request. Required attribute 'port_id' not specified")
    project_id = common.owner(ctx, item)
    subs = parse_subports(item.get("sub_ports") or [])      # neutron validates the body before any lookup
    parent = common.load(conn, ports.PORTS, ctx, str(item["port_id"]))
    if subport_trunk(conn, parent["id"]):
        raise Conflict(f"Port {parent['id']} is currently a subport for trunk {subport_trunk(conn, parent['id'])}.",
                       kind="PortInUseAsSubPort")
    if parent_trunk(conn, parent["id"]) or parent["device_owner"].startswith("network:"):
        raise Conflict(f"Port {parent['id']} is currently in use and is not eligible for use as a parent port.",
                       kind="TrunkPortInUse")
    name = item.get("name", "")
    if not isinstance(name, str) or len(name) > 255:
        raise common.invalid("name", f"'{name}' is not a valid string")
    row = common.new_row(id=new_uuid(), project_id=project_id, name=name, description=item.get("description", ""),
                         port_id=parent["id"], admin_state_up=common.to_bool(item.get("admin_state_up", True),
                                                                             "admin_state_up"),
                         status="ACTIVE" if parent["binding_host_id"] else "DOWN")
    conn.execute(t.trunks.insert().values(**row))
    add_subports(conn, ctx, row, subs)
    if item.get("tags"):
        common.set_tags(conn, row["id"], item["tags"])
    return row


def delete_trunk(conn: Connection, row: dict[str, Any]) -> None:
    parent = conn.execute(sa.select(t.ports.c.device_id, t.ports.c.binding_host_id).where(
        t.ports.c.id == row["port_id"])).mappings().first()
    if parent and parent["device_id"] and parent["binding_host_id"]:
        raise Conflict(f"Trunk {row['id']} is currently in use.", kind="TrunkInUse")
    port_ids = list(conn.execute(sa.select(t.trunk_subports.c.port_id).where(
        t.trunk_subports.c.trunk_id == row["id"])).scalars())
    remove_subports(conn, row, port_ids)
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    conn.execute(t.trunks.delete().where(t.trunks.c.id == row["id"]))


# --- routes --------------------------------------------------------------------------
def trunk_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
    return {"project_id": row["project_id"], "tenant_id": row["project_id"]}


def list_trunks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(TRUNKS, ctx, rq)


def show_trunk(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(TRUNKS, ctx, rq, rq.params["trunk_id"])


def create_trunks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "trunk", "trunks", WRITABLE)
    with db.session() as conn:
        rows = [create_trunk(conn, ctx, item) for item in items]
        out = render_trunks(conn, ctx, rows)
    return {"trunks": out} if "trunks" in rq.body else {"trunk": out[0]}


def put_trunk(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "trunk", UPDATABLE)
    with db.session() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
        common.check_revision(rq, row)
        values: dict[str, Any] = {}
        if "name" in item:
            if not isinstance(item["name"], str) or len(item["name"]) > 255:
                raise common.invalid("name", f"'{item['name']}' is not a valid string")
            values["name"] = item["name"]
        if "description" in item:
            values["description"] = item["description"]
        if "admin_state_up" in item:
            values["admin_state_up"] = common.to_bool(item["admin_state_up"], "admin_state_up")
        common.touch(conn, t.trunks, row["id"], **values)
    return common.show_resource(TRUNKS, ctx, rq, row["id"])


def remove_trunk(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
        common.check_revision(rq, row)
        check_enabled(row)
        delete_trunk(conn, row)


def _subports_body(rq: ApiRequest) -> Any:
    if not isinstance(rq.body, dict) or "sub_ports" not in rq.body:
        raise BadRequest("Failed to parse request. Required attribute 'sub_ports' not specified")
    return rq.body["sub_ports"]


def _trunk_view(conn: Connection, ctx: Context, trunk_id: str) -> dict[str, Any]:
    return render_trunks(conn, ctx, [common.load(conn, TRUNKS, ctx, trunk_id)])[0]


def put_add_subports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    subs = parse_subports(_subports_body(rq))
    with db.session() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
        check_enabled(row)
        add_subports(conn, ctx, row, subs)
        common.touch(conn, t.trunks, row["id"])
        return _trunk_view(conn, ctx, row["id"])


def put_remove_subports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    subs = _subports_body(rq)
    if not isinstance(subs, list) or not all(isinstance(s, dict) and "port_id" in s for s in subs):
        raise common.invalid("sub_ports", f"'{subs}' is not a valid list of subports")
    with db.session() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
        check_enabled(row)
        remove_subports(conn, row, [s["port_id"] for s in subs])
        common.touch(conn, t.trunks, row["id"])
        return _trunk_view(conn, ctx, row["id"])


def get_subports(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, TRUNKS, ctx, rq.params["trunk_id"])
        return {"sub_ports": subports_of(conn, [row["id"]])[row["id"]]}


T = "/v2.0/trunks"
ROUTES = [
    route("GET", T, list_trunks, policy="get_trunk"),
    route("POST", T, create_trunks, policy="create_trunk", target=common.create_target("trunk", "trunks"),
          status=201),
    route("GET", T + "/{trunk_id}", show_trunk, policy="get_trunk", target=trunk_target),
    route("PUT", T + "/{trunk_id}", put_trunk, policy="update_trunk", target=trunk_target),
    route("DELETE", T + "/{trunk_id}", remove_trunk, policy="delete_trunk", target=trunk_target, status=204),
    route("PUT", T + "/{trunk_id}/add_subports", put_add_subports, policy="add_subports", target=trunk_target),
    route("PUT", T + "/{trunk_id}/remove_subports", put_remove_subports, policy="remove_subports",
          target=trunk_target),
    route("GET", T + "/{trunk_id}/get_subports", get_subports, policy="get_subports", target=trunk_target),
    *tag_api.tag_routes(TRUNKS, "trunk_id", trunk_target, "trunk"),
]
