"""Address scopes: /v2.0/address-scopes[/{address_scope_id}] (api-ref: network, Address scopes;
address-scope, rbac-address-scope). Subnet pools join a scope through address_scope_id (their
prefixes may not overlap inside one scope); a network's ipv4/ipv6_address_scope is the scope of
the pools its subnets come from."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, rbac_policies
from pocketstack.services.network import tables as t

WRITABLE = {"name", "ip_version", "shared"}
UPDATABLE = {"name", "shared"}
COLUMNS = {k: k for k in ("id", "name", "ip_version", "shared", "project_id")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*COLUMNS}
a = t.address_scopes


# --- views ---------------------------------------------------------------------------
def render_scopes(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    grants = rbac_policies.grants_of(conn, "address_scope", [r["id"] for r in rows])
    return [{"id": r["id"], "name": r["name"], "project_id": r["project_id"], "tenant_id": r["project_id"],
             "ip_version": r["ip_version"],
             "shared": bool(r["shared"]) or any(g == (rbac_policies.SHARED, ctx.project_id) for g in grants[r["id"]])}
            for r in rows]


def visible(ctx: Context) -> Any:
    return sa.or_(a.c.project_id == ctx.project_id, a.c.shared.is_(True),
                  rbac_policies.granted("address_scope", a.c.id, ctx.project_id, (rbac_policies.SHARED,)))


SCOPES = common.Collection(
    "address_scope", "address_scopes", a, "AddressScope", ATTRIBUTES, render_scopes, visible,
    filters=common.column_filters(a, COLUMNS), sort_keys={"name", "ip_version", "shared", "project_id"},
    not_found_message="Address scope {id} could not be found.")


def network_scopes(conn: Connection, network_ids: list[str]) -> dict[str, dict[int, str]]:
    """network id -> {ip_version: address scope id} from the pools of its subnets."""
    out: dict[str, dict[int, str]] = {i: {} for i in network_ids}
    s, p = t.subnets, t.subnetpools
    for net_id, version, scope in conn.execute(sa.select(s.c.network_id, p.c.ip_version, p.c.address_scope_id)
                                               .join(p, p.c.id == s.c.subnetpool_id)
                                               .where(s.c.network_id.in_(network_ids),
                                                      p.c.address_scope_id.is_not(None))
                                               .order_by(s.c.created_at, s.c.id)):
        out[net_id].setdefault(version, scope)
    return out


_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


# --- logic ---------------------------------------------------------------------------
def check_association(conn: Connection, ctx: Context | None, scope_id: Any, version: int, prefixes: list[str],
                      pool_id: str | None) -> str:
    """The scope a subnet pool may join: visible (unless ctx is None), same IP version, prefixes unique
    within it."""
    if not isinstance(scope_id, str) or not _UUID.match(scope_id):
        raise common.invalid("address_scope_id", f"'{scope_id}' is not a valid UUID")
    stmt = sa.select(a).where(a.c.id == str(scope_id))
    if ctx is not None and not ctx.is_admin:
        stmt = stmt.where(visible(ctx))
    scope = conn.execute(stmt).mappings().first()
    if scope is None:
        raise NotFound(f"Address scope {scope_id} could not be found.", kind="AddressScopeNotFound")
    if scope["ip_version"] != version:
        raise BadRequest(f"Illegal subnetpool association: subnetpool {pool_id} cannot associate with address "
                         f"scope {scope_id} because subnetpool ip_version is not {scope['ip_version']}.",
                         kind="IllegalSubnetPoolIpVersionAssociationWithAddressScope")
    mine = [ipaddress.ip_network(x) for x in prefixes]
    others = conn.execute(sa.select(t.subnetpools.c.prefixes).where(
        t.subnetpools.c.address_scope_id == scope["id"], t.subnetpools.c.id != (pool_id or ""))).scalars().all()
    for theirs in others:
        if any(m.overlaps(ipaddress.ip_network(x)) for m in mine for x in theirs):
            raise Conflict("Failed to associate address scope: subnetpools within an address scope must have "
                           "unique prefixes.", kind="AddressScopePrefixConflict")
    return scope["id"]


def _name(item: dict[str, Any]) -> str:
    name = item.get("name", "")
    if not isinstance(name, str) or len(name) > 255:
        raise common.invalid("name", f"'{name}' is not a valid string")
    return name


def create_scope(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    common.enforce_attrs(ctx, "create", "address_scope", item, {"project_id": project_id}, {"shared": False})
    version = item.get("ip_version")
    if version not in (4, 6, "4", "6"):
        raise common.invalid("ip_version", f"'{version}' is not in [4, 6]")
    row = common.new_row(id=new_uuid(), project_id=project_id, name=_name(item), ip_version=int(version),
                         shared=common.to_bool(item.get("shared", False), "shared"))
    conn.execute(a.insert().values(**row))
    rbac_policies.sync_wildcard(conn, "address_scope", row["id"], project_id, rbac_policies.SHARED, row["shared"])
    return row


def update_scope(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    # an update checks every attribute it names, changed or not (neutron's ATTRIBUTES_TO_UPDATE)
    common.enforce_attrs(ctx, "update", "address_scope", item, {"project_id": row["project_id"]}, {})
    values: dict[str, Any] = {}
    if "name" in item:
        values["name"] = _name(item)
    if "shared" in item:
        shared = common.to_bool(item["shared"], "shared")
        if row["shared"] and not shared:
            raise BadRequest(f"Unable to update address scope {row['id']} : Shared address scope can't be "
                             "unshared.", kind="AddressScopeUpdateError")
        values["shared"] = shared
        rbac_policies.sync_wildcard(conn, "address_scope", row["id"], row["project_id"], rbac_policies.SHARED,
                                    shared)
    common.touch(conn, a, row["id"], **values)


def delete_scope(conn: Connection, row: dict[str, Any]) -> None:
    if conn.execute(sa.select(t.subnetpools.c.id).where(t.subnetpools.c.address_scope_id == row["id"])).first():
        raise Conflict(f"Unable to complete operation on address scope {row['id']}. There are one or more subnet "
                       "pools in use on the address scope.", kind="AddressScopeInUse")
    rbac_policies.forget(conn, row["id"])
    conn.execute(a.delete().where(a.c.id == row["id"]))


# --- routes --------------------------------------------------------------------------
def scope_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, SCOPES, ctx, rq.params["address_scope_id"])
        shared = render_scopes(conn, ctx, [row])[0]["shared"]
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "shared": shared, "external": False}


def list_scopes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(SCOPES, ctx, rq)


def show_scope(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(SCOPES, ctx, rq, rq.params["address_scope_id"])


def create_scopes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "address_scope", "address_scopes", WRITABLE)
    with db.session() as conn:
        rows = [create_scope(conn, ctx, item) for item in items]
        out = render_scopes(conn, ctx, rows)
    return {"address_scopes": out} if "address_scopes" in rq.body else {"address_scope": out[0]}


def put_scope(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "address_scope", UPDATABLE)
    with db.session() as conn:
        row = common.load(conn, SCOPES, ctx, rq.params["address_scope_id"])
        update_scope(conn, ctx, row, item)
    return common.show_resource(SCOPES, ctx, rq, row["id"])


def remove_scope(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_scope(conn, common.load(conn, SCOPES, ctx, rq.params["address_scope_id"]))


A = "/v2.0/address-scopes"
ROUTES = [
    route("GET", A, list_scopes, policy="get_address_scope"),
    route("POST", A, create_scopes, policy="create_address_scope",
          target=common.create_target("address_scope", "address_scopes"), status=201),
    route("GET", A + "/{address_scope_id}", show_scope, policy="get_address_scope", target=scope_target),
    route("PUT", A + "/{address_scope_id}", put_scope, policy="update_address_scope",
          target=common.body_first(scope_target, "address_scope", UPDATABLE)),
    route("DELETE", A + "/{address_scope_id}", remove_scope, policy="delete_address_scope", target=scope_target,
          status=204),
]
