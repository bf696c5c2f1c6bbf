"""Subnet pools: /v2.0/subnetpools[/{subnetpool_id}] and subnets allocated from them
(api-ref: network, Subnet pools; subnet_allocation, default-subnetpools, subnetpool-prefix-ops)."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import address_scopes, common, quotas, rbac_policies
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
WRITABLE = {"name", "prefixes", "default_prefixlen", "min_prefixlen", "max_prefixlen", "shared", "is_default",
            "default_quota", "address_scope_id"}
UPDATABLE = WRITABLE - {"shared"}
COLUMNS = {k: k for k in ("id", "name", "project_id", "description", "revision_number", "ip_version", "shared",
                          "is_default", "default_prefixlen", "min_prefixlen", "max_prefixlen", "default_quota",
                          "address_scope_id")}
COLUMNS["tenant_id"] = "project_id"
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "prefixes"}
DEFAULTS = {"shared": False, "is_default": False}


# --- views ---------------------------------------------------------------------------
def render_pools(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    tags = common.tags_of(conn, [r["id"] for r in rows])
    shared = rbac_policies.shared_with(conn, "subnetpool", [r["id"] for r in rows], ctx.project_id)
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]])
        body.update({k: r[k] for k in COLUMNS if k not in body and k != "tenant_id"})
        body["prefixes"] = r["prefixes"]
        body["shared"] = bool(r["shared"]) or r["id"] in shared
        for key in ("default_prefixlen", "min_prefixlen", "max_prefixlen"):
            body[key] = str(r[key])          # neutron's _make_subnetpool_dict renders them as strings
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    """Its own project's pools, shared ones and those an RBAC policy shares with it (rbac-subnetpool)."""
    return sa.or_(t.subnetpools.c.project_id == ctx.project_id, t.subnetpools.c.shared.is_(True),
                  rbac_policies.granted("subnetpool", t.subnetpools.c.id, ctx.project_id, (rbac_policies.SHARED,)))


POOLS = common.Collection(
    "subnetpool", "subnetpools", t.subnetpools, "SubnetPool", ATTRIBUTES, render_pools, visible,
    filters=common.column_filters(t.subnetpools, COLUMNS),
    sort_keys={"name", "ip_version", "shared", "is_default", "project_id", "created_at", "updated_at",
               "default_prefixlen", "min_prefixlen", "max_prefixlen", "revision_number", "description"},
    not_found_message="Subnet pool {id} could not be found.")


# --- logic ---------------------------------------------------------------------------
def parse_prefixes(prefixes: Any) -> list[Any]:
    if not isinstance(prefixes, list) or not prefixes:
        raise common.invalid("prefixes", f"'{prefixes}' is not a valid list of prefixes")
    try:
        nets = [ipaddress.ip_network(p, strict=False) for p in prefixes]
    except (ValueError, TypeError):
        raise common.invalid("prefixes", f"'{prefixes}' is not a valid list of prefixes") from None
    if len({n.version for n in nets}) != 1:
        raise BadRequest("Illegal subnetpool prefix: prefixes of mixed IP versions.", kind="PrefixVersionMismatch")
    return list(ipaddress.collapse_addresses(nets))


def prefix_bounds(item: dict[str, Any], version: int, current: dict[str, Any] | None = None) -> dict[str, int]:
    top = 32 if version == 4 else 128
    base = current or {"min_prefixlen": 8 if version == 4 else 64, "max_prefixlen": top}
    out: dict[str, int] = {}
    for key in ("min_prefixlen", "max_prefixlen", "default_prefixlen"):
        value = item.get(key, base.get(key))
        if value is None:
            continue
        if isinstance(value, bool) or not str(value).isdigit() or not 0 <= int(value) <= top:
            raise common.invalid(key, f"'{value}' is not a valid prefix length")
        out[key] = int(value)
    out.setdefault("default_prefixlen", out["min_prefixlen"])
    if not out["min_prefixlen"] <= out["default_prefixlen"] <= out["max_prefixlen"]:
        raise BadRequest(f"Illegal prefix bounds: min_prefixlen={out['min_prefixlen']}, default_prefixlen="
                         f"{out['default_prefixlen']}, max_prefixlen={out['max_prefixlen']}.",
                         kind="IllegalSubnetPoolPrefixBounds")
    return out


def create_pool(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    common.enforce_attrs(ctx, "create", "subnetpool", item, {"project_id": project_id}, DEFAULTS)
    nets = parse_prefixes(item.get("prefixes"))
    version = nets[0].version
    scope = address_scopes.check_association(conn, ctx, item["address_scope_id"], version, [str(n) for n in nets],
                                             None) if item.get("address_scope_id") else None
    quotas.enforce(conn, project_id, "subnetpool")
    row = common.new_row(**{"id": new_uuid(), "project_id": project_id, "name": item.get("name") or "",
                            "description": item.get("description", ""), "ip_version": version,
                            "prefixes": [str(n) for n in nets], "address_scope_id": scope,
                            "shared": common.to_bool(item.get("shared", False), "shared"),
                            "is_default": common.to_bool(item.get("is_default", False), "is_default"),
                            "default_quota": item.get("default_quota"), **prefix_bounds(item, version)})
    conn.execute(t.subnetpools.insert().values(**row))
    rbac_policies.sync_wildcard(conn, "subnetpool", row["id"], project_id, rbac_policies.SHARED, row["shared"])
    common.set_tags(conn, row["id"], item.get("tags") or [])
    return row


def update_pool(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    common.enforce_attrs(ctx, "update", "subnetpool", {k: v for k, v in item.items() if row.get(k) != v},
                         {"project_id": row["project_id"]}, {})
    values: dict[str, Any] = {k: item[k] for k in ("name", "description", "default_quota") if k in item}
    if "prefixes" in item:
        nets = parse_prefixes(item["prefixes"])
        old = [ipaddress.ip_network(p) for p in row["prefixes"]]
        if any(not any(o.subnet_of(n) for n in nets if n.version == o.version) for o in old):
            raise BadRequest("Illegal update to prefixes: existing prefixes must be kept.",
                             kind="IllegalSubnetPoolPrefixUpdate")
        values["prefixes"] = [str(n) for n in nets]
    if "address_scope_id" in item:
        values["address_scope_id"] = address_scopes.check_association(
            conn, ctx, item["address_scope_id"], row["ip_version"], values.get("prefixes", row["prefixes"]),
            row["id"]) if item["address_scope_id"] else None
    elif "prefixes" in item and row["address_scope_id"]:
        scope_owner = conn.execute(sa.select(t.address_scopes.c.project_id).where(
            t.address_scopes.c.id == row["address_scope_id"])).scalar()
        if not ctx.is_admin and scope_owner != ctx.project_id:
            raise BadRequest(f"Illegal subnetpool update : subnetpool {row['id']} cannot be updated when "
                             f"associated with shared address scope {row['address_scope_id']}.",
                             kind="IllegalSubnetPoolUpdate")
        address_scopes.check_association(conn, None, row["address_scope_id"], row["ip_version"],
                                         values["prefixes"], row["id"])
    if "is_default" in item:
        values["is_default"] = common.to_bool(item["is_default"], "is_default")
    values.update(prefix_bounds(item, row["ip_version"], row))
    common.touch(conn, t.subnetpools, row["id"], **values)


def prefixes_of(rq: ApiRequest) -> list[Any]:
    """The body of add_prefixes / remove_prefixes (neutron/extensions/subnetpool_prefix_ops.py)."""
    body = rq.body
    prefixes = body.get("prefixes") if isinstance(body, dict) else None
    if not prefixes or not isinstance(prefixes, list):
        raise BadRequest("Request body contains invalid data", kind="HTTPBadRequest")
    return prefixes


def add_prefixes(conn: Connection, ctx: Context, row: dict[str, Any], prefixes: list[Any]) -> list[str]:
    """Through the pool's update, with its checks (one IP version, the address scope's overlaps)."""
    update_pool(conn, ctx, row, {"prefixes": [*row["prefixes"], *prefixes]})
    return list(conn.execute(sa.select(t.subnetpools.c.prefixes).where(t.subnetpools.c.id == row["id"])).scalar_one())


def remove_prefixes(conn: Connection, row: dict[str, Any], prefixes: list[Any]) -> list[str]:
    """The pool's prefixes less the ones given (a part of a prefix splits it); a no-op when they are
    disjoint; 400 when a subnet of the pool lies in what would go."""
    try:
        removed = [ipaddress.ip_network(p, strict=False) for p in prefixes]
    except (ValueError, TypeError):
        raise common.invalid("prefixes", f"'{prefixes}' is not a valid list of prefixes") from None
    current = [ipaddress.ip_network(p) for p in row["prefixes"]]
    if not any(a.version == b.version and a.overlaps(b) for a in current for b in removed):
        return list(row["prefixes"])
    subnets = [ipaddress.ip_network(c) for c in conn.execute(sa.select(t.subnets.c.cidr).where(
        t.subnets.c.subnetpool_id == row["id"])).scalars()]
    if any(a.version == b.version and a.overlaps(b) for a in subnets for b in removed):
        raise BadRequest("Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet.",
                         kind="IllegalSubnetPoolPrefixUpdate")
    left = current
    for gone in removed:
        left = [piece for net in left for piece in _without(net, gone)]
    values = [str(n) for n in ipaddress.collapse_addresses(left)]
    common.touch(conn, t.subnetpools, row["id"], prefixes=values)
    return values


def _without(net: Any, gone: Any) -> list[Any]:
    if net.version != gone.version or not net.overlaps(gone):
        return [net]
    if net.subnet_of(gone):
        return []
    return list(net.address_exclude(gone))


def delete_pool(conn: Connection, row: dict[str, Any]) -> None:
    if conn.execute(sa.select(t.subnets.c.id).where(t.subnets.c.subnetpool_id == row["id"]).limit(1)).first():
        raise Conflict(f"Subnet pool {row['id']} could not be deleted: in use by subnets.", kind="SubnetPoolInUse")
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    rbac_policies.forget(conn, row["id"])
    conn.execute(t.subnetpools.delete().where(t.subnetpools.c.id == row["id"]))


def default_pool(conn: Connection, version: int) -> dict[str, Any]:
    row = conn.execute(sa.select(t.subnetpools).where(t.subnetpools.c.is_default.is_(True),
                                                      t.subnetpools.c.ip_version == version)).mappings().first()
    if row is None:
        raise BadRequest(f"No default subnetpool found for IPv{version}")
    return dict(row)


def allocate_cidr(conn: Connection, pool: dict[str, Any], cidr: Any, prefixlen: Any) -> str:
    """A CIDR for a new subnet of the pool: the one asked for (checked), or the first free prefix."""
    taken = [ipaddress.ip_network(c) for c in conn.execute(sa.select(t.subnets.c.cidr).where(
        t.subnets.c.subnetpool_id == pool["id"])).scalars()]
    prefixes = [ipaddress.ip_network(p) for p in pool["prefixes"]]
    if cidr is not None:
        net = ipaddress.ip_network(cidr, strict=False)
        if not any(net.version == p.version and net.subnet_of(p) for p in prefixes):
            raise BadRequest(f"Cidr {net} is not within the pool {pool['id']}.", kind="SubnetPoolAllocationError")
        if any(net.overlaps(x) for x in taken):
            raise BadRequest(f"Cidr {net} overlaps with another subnet of the pool.",
                             kind="SubnetPoolAllocationError")
        return str(net)
    length = pool["default_prefixlen"] if prefixlen is None else int(prefixlen)
    if not pool["min_prefixlen"] <= length <= pool["max_prefixlen"]:
        raise BadRequest(f"Unable to allocate subnet with prefix length {length}, maximum allowed prefix is "
                         f"{pool['max_prefixlen']}.", kind="MaxPrefixSubnetAllocationError")
    for prefix in prefixes:
        if length < prefix.prefixlen:
            continue
        for candidate in prefix.subnets(new_prefix=length):
            if not any(candidate.overlaps(x) for x in taken):
                return str(candidate)
    raise Conflict(f"Insufficient prefix space to allocate subnet size /{length}.",
                   kind="SubnetAllocationError")


# --- routes --------------------------------------------------------------------------
def pool_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, POOLS, ctx, rq.params["subnetpool_id"])
        shared = bool(row["shared"]) or row["id"] in rbac_policies.shared_with(conn, "subnetpool", [row["id"]],
                                                                              ctx.project_id)
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "shared": shared, "external": False}


def list_subnetpools(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(POOLS, ctx, rq)


def show_subnetpool(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(POOLS, ctx, rq, rq.params["subnetpool_id"])


def create_subnetpools(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.bodies(rq, "subnetpool", "subnetpools", WRITABLE, bulk=False)[0]
    with db.session() as conn:
        return {"subnetpool": render_pools(conn, ctx, [create_pool(conn, ctx, item)])[0]}


def put_subnetpool(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "subnetpool", UPDATABLE)
    with db.session() as conn:
        row = common.load(conn, POOLS, ctx, rq.params["subnetpool_id"])
        common.check_revision(rq, row)
        update_pool(conn, ctx, row, item)
    return common.show_resource(POOLS, ctx, rq, row["id"])


def put_add_prefixes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    prefixes = prefixes_of(rq)
    with db.session() as conn:
        row = common.load(conn, POOLS, ctx, rq.params["subnetpool_id"])
        return {"prefixes": add_prefixes(conn, ctx, row, prefixes)}


def put_remove_prefixes(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    prefixes = prefixes_of(rq)
    with db.session() as conn:
        row = common.load(conn, POOLS, ctx, rq.params["subnetpool_id"])
        return {"prefixes": remove_prefixes(conn, row, prefixes)}


def remove_subnetpool(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, POOLS, ctx, rq.params["subnetpool_id"])
        common.check_revision(rq, row)
        delete_pool(conn, row)


S = "/v2.0/subnetpools"
ROUTES = [
    route("GET", S, list_subnetpools, policy="get_subnetpool"),
    route("POST", S, create_subnetpools, policy="create_subnetpool",
          target=common.create_target("subnetpool", "subnetpools"), status=201),
    route("GET", S + "/{subnetpool_id}", show_subnetpool, policy="get_subnetpool", target=pool_target),
    route("PUT", S + "/{subnetpool_id}", put_subnetpool, policy="update_subnetpool",
          target=common.body_first(pool_target, "subnetpool", UPDATABLE)),
    route("PUT", S + "/{subnetpool_id}/add_prefixes", put_add_prefixes, policy="add_prefixes", target=pool_target),
    route("PUT", S + "/{subnetpool_id}/remove_prefixes", put_remove_prefixes, policy="remove_prefixes",
          target=pool_target),
    route("DELETE", S + "/{subnetpool_id}", remove_subnetpool, policy="delete_subnetpool", target=pool_target,
          status=204),
]

