"""Security groups: /v2.0/security-groups[/{security_group_id}] (api-ref: network, Security groups).
Each project's `default` group (with its four default rules) is made on first use."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, quotas, rbac_policies
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
WRITABLE = {"name", "stateful"}
COLUMNS = {"id": "id", "name": "name", "project_id": "project_id", "tenant_id": "project_id",
           "description": "description", "stateful": "stateful", "revision_number": "revision_number"}
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "security_group_rules", "shared"}
RULE_COLUMNS = ("id", "security_group_id", "direction", "ethertype", "protocol", "port_range_min",
                "port_range_max", "remote_ip_prefix", "remote_group_id", "remote_address_group_id")


# --- views ---------------------------------------------------------------------------
def render_rule(row: Any, default_group_ids: set[str] | None = None) -> dict[str, Any]:
    out = {k: row[k] for k in RULE_COLUMNS}
    out.update(common.standard_view(row, None, named=False))
    prefix = row["remote_ip_prefix"]
    out["normalized_cidr"] = str(ipaddress.ip_network(prefix, strict=False)) if prefix else None
    out["belongs_to_default_sg"] = row["security_group_id"] in (default_group_ids or set())
    return out


def render_groups(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags = common.tags_of(conn, ids)
    shared = rbac_policies.shared_with(conn, "security_group", ids, ctx.project_id)
    defaults = {r["id"] for r in rows if r["is_default"]}
    rules: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for rule_row in conn.execute(sa.select(t.security_group_rules).where(
            t.security_group_rules.c.security_group_id.in_(ids)).order_by(t.security_group_rules.c.created_at)
            ).mappings():
        rules[rule_row["security_group_id"]].append(render_rule(rule_row, defaults))
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]])
        body.update({"stateful": r["stateful"], "shared": r["id"] in shared, "security_group_rules": rules[r["id"]]})
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    """Its own project's groups and those an RBAC policy shares with it (rbac-security-groups)."""
    return sa.or_(t.security_groups.c.project_id == ctx.project_id,
                  rbac_policies.granted("security_group", t.security_groups.c.id, ctx.project_id,
                                        (rbac_policies.SHARED,)))


GROUPS = common.Collection(
    "security_group", "security_groups", t.security_groups, "SecurityGroup", ATTRIBUTES, render_groups, visible,
    filters=common.column_filters(t.security_groups, COLUMNS),
    sort_keys={"name", "project_id", "created_at", "updated_at", "description", "revision_number"},
    not_found_message="Security group {id} does not exist")


# --- logic ---------------------------------------------------------------------------
def rule_row(group_id: str, project_id: str, direction: str, ethertype: str, **kw: Any) -> dict[str, Any]:
    return common.new_row(id=new_uuid(), project_id=project_id, security_group_id=group_id, direction=direction,
                          ethertype=ethertype, protocol=kw.get("protocol"), port_range_min=kw.get("port_range_min"),
                          port_range_max=kw.get("port_range_max"), remote_ip_prefix=kw.get("remote_ip_prefix"),
                          remote_group_id=kw.get("remote_group_id"), remote_address_group_id=None,
                          description=kw.get("description") or "")


def insert_group(conn: Connection, project_id: str, name: str, description: str, *, is_default: bool = False,
                 stateful: bool = True) -> dict[str, Any]:
    row = common.new_row(id=new_uuid(), project_id=project_id, name=name, description=description,
                         stateful=stateful, is_default=is_default)
    conn.execute(t.security_groups.insert().values(**row))
    rules = [rule_row(row["id"], project_id, "egress", e) for e in ("IPv4", "IPv6")]
    if is_default:
        rules += [rule_row(row["id"], project_id, "ingress", e, remote_group_id=row["id"]) for e in ("IPv4", "IPv6")]
    conn.execute(t.security_group_rules.insert(), rules)
    return row


def ensure_default(conn: Connection, project_id: str) -> str:
    """The id of the project's default security group, made now if it does not exist yet."""
    found = conn.execute(sa.select(t.security_groups.c.id).where(
        t.security_groups.c.project_id == project_id, t.security_groups.c.is_default.is_(True))).scalar()
    if found:
        return found
    return insert_group(conn, project_id, "default", "Default security group", is_default=True)["id"]


def ensure_default_now(project_id: str | None) -> None:
    if not project_id:
        return
    with db.reader() as conn:
        if conn.execute(sa.select(t.security_groups.c.id).where(
                t.security_groups.c.project_id == project_id, t.security_groups.c.is_default.is_(True))).first():
            return
    with db.session() as conn:
        ensure_default(conn, project_id)


def create_group(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    name = item.get("name", "")
    if not isinstance(name, str) or len(name) > 255:
        raise common.invalid("name", f"'{name}' is not a valid string")
    # neutron's API layer reserves the quota before the plugin makes the default group
    quotas.enforce(conn, project_id, "security_group")
    ensure_default(conn, project_id)
    if name == "default":
        raise Conflict("Default security group already exists.", kind="SecurityGroupDefaultAlreadyExists")
    quotas.enforce(conn, project_id, "security_group_rule", adding=2)     # the two egress template rules
    row = insert_group(conn, project_id, name, item.get("description", ""),
                       stateful=common.to_bool(item.get("stateful", True), "stateful"))
    common.set_tags(conn, row["id"], item.get("tags") or [])
    return row


def update_group(conn: Connection, row: dict[str, Any], item: dict[str, Any]) -> None:
    if "name" in item and (not isinstance(item["name"], str) or len(item["name"]) > 255):
        raise common.invalid("name", f"'{item['name']}' is not a valid string")
    if row["is_default"] and item.get("name", "default") != "default":
        raise Conflict("Updating default security group not allowed.", kind="SecurityGroupCannotUpdateDefault")
    if item.get("name") == "default" and not row["is_default"]:
        raise Conflict("Default security group already exists.", kind="SecurityGroupDefaultAlreadyExists")
    values = {k: item[k] for k in ("name", "description") if k in item}
    if "stateful" in item:
        values["stateful"] = common.to_bool(item["stateful"], "stateful")
        if values["stateful"] != row["stateful"] and conn.execute(sa.select(t.port_security_groups.c.port_id).where(
                t.port_security_groups.c.security_group_id == row["id"]).limit(1)).first():
            raise Conflict(f"Security Group {row['id']} in use.", kind="SecurityGroupInUse")
    common.touch(conn, t.security_groups, row["id"], **values)


def delete_group(conn: Connection, ctx: Context, row: dict[str, Any]) -> None:
    if row["is_default"] and not ctx.is_admin:
        raise Conflict("Insufficient rights for removing default security group.",
                       kind="SecurityGroupCannotRemoveDefault")
    if conn.execute(sa.select(t.port_security_groups.c.port_id).where(
            t.port_security_groups.c.security_group_id == row["id"]).limit(1)).first():
        raise Conflict(f"Security Group {row['id']} in use.", kind="SecurityGroupInUse")
    conn.execute(t.security_group_rules.delete().where(t.security_group_rules.c.remote_group_id == row["id"]))
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    rbac_policies.forget(conn, row["id"])
    conn.execute(t.security_groups.delete().where(t.security_groups.c.id == row["id"]))


def target_of(row: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "sg_project_id": row["project_id"]}


# --- routes --------------------------------------------------------------------------
def group_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, GROUPS, ctx, rq.params["security_group_id"])
        shared = row["id"] in rbac_policies.shared_with(conn, "security_group", [row["id"]], ctx.project_id)
    return {**target_of(row), "shared": shared}


def list_security_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    wanted = rq.query.get("project_id") or rq.query.get("tenant_id")
    ensure_default_now(wanted if wanted and ctx.is_admin else ctx.project_id)
    return common.list_resources(GROUPS, ctx, rq)


def show_security_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(GROUPS, ctx, rq, rq.params["security_group_id"])


def create_security_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "security_group", "security_groups", WRITABLE)
    with db.session() as conn:
        rows = [create_group(conn, ctx, item) for item in items]
        out = render_groups(conn, ctx, rows)
    return {"security_groups": out} if "security_groups" in rq.body else {"security_group": out[0]}


def put_security_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "security_group", WRITABLE)
    with db.session() as conn:
        row = common.load(conn, GROUPS, ctx, rq.params["security_group_id"])
        common.check_revision(rq, row)
        update_group(conn, row, item)
    return common.show_resource(GROUPS, ctx, rq, row["id"])


def remove_security_group(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, GROUPS, ctx, rq.params["security_group_id"])
        common.check_revision(rq, row)
        delete_group(conn, ctx, row)


S = "/v2.0/security-groups"
ROUTES = [
    route("GET", S, list_security_groups, policy="get_security_group"),
    route("POST", S, create_security_groups, policy="create_security_group",
          target=common.create_target("security_group", "security_groups"), status=201),
    route("GET", S + "/{security_group_id}", show_security_group, policy="get_security_group", target=group_target),
    route("PUT", S + "/{security_group_id}", put_security_group, policy="update_security_group",
          target=group_target),
    route("DELETE", S + "/{security_group_id}", remove_security_group, policy="delete_security_group",
          target=group_target, status=204),
]
