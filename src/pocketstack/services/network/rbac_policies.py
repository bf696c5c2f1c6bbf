"""RBAC policies: /v2.0/rbac-policies[/{rbac_policy_id}] (api-ref: network, RBAC Policies; rbac-policies,
rbac-address-scope, rbac-security-groups, rbac-subnetpool). A policy grants a target project ('*' = every
project) access to an object the policy's project owns: a network (access_as_shared, access_as_external), an
address scope, a QoS policy, a security group or a subnet pool (access_as_shared). The '*' grants mirror the
object's shared and router:external flags (a security group has no flag of its own)."""

from __future__ import annotations

from typing import Any

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common
from pocketstack.services.network import tables as t

SHARED, EXTERNAL = "access_as_shared", "access_as_external"
ACTIONS = {"network": (SHARED, EXTERNAL), "address_scope": (SHARED,), "qos_policy": (SHARED,),
           "security_group": (SHARED,), "subnetpool": (SHARED,)}
OBJECTS = {"network": t.networks, "address_scope": t.address_scopes, "qos_policy": t.qos_policies,
           "security_group": t.security_groups, "subnetpool": t.subnetpools}
WRITABLE = {"object_type", "object_id", "action", "target_tenant"}
COLUMNS = {k: k for k in ("id", "project_id", "object_type", "object_id", "action", "target_tenant")}
COLUMNS.update(tenant_id="project_id")
ATTRIBUTES = {*COLUMNS}
r = t.rbac_policies


# --- views ---------------------------------------------------------------------------
def render_policies(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [{"id": p["id"], "project_id": p["project_id"], "tenant_id": p["project_id"],
             "object_type": p["object_type"], "object_id": p["object_id"], "action": p["action"],
             "target_tenant": p["target_tenant"]} for p in rows]


def visible(ctx: Context) -> Any:
    return r.c.project_id == ctx.project_id


POLICIES = common.Collection(
    "rbac_policy", "rbac_policies", r, "RbacPolicy", ATTRIBUTES, render_policies, visible,
    filters=common.column_filters(r, COLUMNS),
    sort_keys={"project_id", "object_type", "object_id", "action", "target_tenant"},
    not_found_message="RBAC policy on object {id} not found.")


# --- queries used by the objects' visibility ---------------------------------------
def granted(object_type: str, id_column: Any, project_id: str | None, actions: tuple[str, ...]) -> Any:
    """SQL: the object is granted to project_id (or every project) by one of actions."""
    return sa.exists().where(r.c.object_type == object_type, r.c.object_id == id_column, r.c.action.in_(actions),
                             r.c.target_tenant.in_([project_id or "", "*"]))


def shared_with(conn: Connection, object_type: str, ids: list[str], project_id: str | None) -> set[str]:
    """The ids among `ids` that an access_as_shared grant opens to project_id (or to every project)."""
    return {i for i, grants in grants_of(conn, object_type, ids).items()
            if any(a == SHARED and target in ("*", project_id) for a, target in grants)}


def grants_of(conn: Connection, object_type: str, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """object id -> [(action, target_tenant)]."""
    out: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    for p in conn.execute(sa.select(r).where(r.c.object_type == object_type, r.c.object_id.in_(ids))).mappings():
        out[p["object_id"]].append((p["action"], p["target_tenant"]))
    return out


def sync_wildcard(conn: Connection, object_type: str, object_id: str, project_id: str, action: str,
                  on: bool) -> None:
    """Keep the '*' grant in step with a shared/router:external flag set on the object itself."""
    where = (r.c.object_type == object_type, r.c.object_id == object_id, r.c.action == action,
             r.c.target_tenant == "*")
    exists = conn.execute(sa.select(r.c.id).where(*where)).first()
    if on and not exists:
        conn.execute(r.insert().values(id=new_uuid(), project_id=project_id, object_type=object_type,
                                       object_id=object_id, action=action, target_tenant="*"))
    elif not on and exists:
        conn.execute(r.delete().where(*where))


def forget(conn: Connection, object_id: str) -> None:
    conn.execute(r.delete().where(r.c.object_id == object_id))


# --- logic ---------------------------------------------------------------------------
def _flag(object_type: str, action: str) -> str | None:
    if object_type == "network":
        return "shared" if action == SHARED else "external"
    return "shared"


def set_flag(conn: Connection, policy: dict[str, Any], on: bool) -> None:
    """A '*' grant sets the object's shared/external column."""
    if policy["target_tenant"] != "*":
        return
    table = OBJECTS[policy["object_type"]]
    col = _flag(policy["object_type"], policy["action"])
    if col not in table.c:
        return
    conn.execute(table.update().where(table.c.id == policy["object_id"]).values({col: on}))


def bound_projects(conn: Connection, object_type: str, object_id: str) -> set[str]:
    """The projects whose resources use a QoS policy, an address scope, a security group (ports) or a
    subnet pool (subnets) (get_bound_project_ids)."""
    if object_type == "address_scope":
        return set(conn.execute(sa.select(t.subnetpools.c.project_id).where(
            t.subnetpools.c.address_scope_id == object_id)).scalars())
    if object_type == "subnetpool":
        return set(conn.execute(sa.select(t.subnets.c.project_id).where(
            t.subnets.c.subnetpool_id == object_id)).scalars())
    if object_type == "security_group":
        b = t.port_security_groups
        return set(conn.execute(sa.select(t.ports.c.project_id).join(b, b.c.port_id == t.ports.c.id).where(
            b.c.security_group_id == object_id)).scalars())
    users = sa.select(t.qos_bindings.c.resource_id).where(t.qos_bindings.c.policy_id == object_id)
    out: set[str] = set()
    for table in (t.networks, t.ports, t.floating_ips, t.routers):
        out.update(conn.execute(sa.select(table.c.project_id).where(table.c.id.in_(users))).scalars())
    return out


def _in_use(policy: dict[str, Any], details: str) -> Conflict:
    return Conflict(f"RBAC policy on object {policy['object_id']} cannot be removed because other objects depend "
                    f"on it.\nDetails: {details}", kind="RbacPolicyInUse")


def check_external_unused(conn: Connection, policy: dict[str, Any], new_target: str | None = None) -> None:
    """neutron external_net_db: the '*' access_as_external grant of the default external network stays,
    and no grant goes while routers of the projects it lets in have their gateway there."""
    others = set(conn.execute(sa.select(r.c.target_tenant).where(
        r.c.object_type == "network", r.c.object_id == policy["object_id"], r.c.action == EXTERNAL,
        r.c.id != policy["id"])).scalars()) | ({new_target} if new_target else set())
    if policy["target_tenant"] != "*":
        if "*" not in others and conn.execute(sa.select(t.routers.c.id).where(
                t.routers.c.gw_network_id == policy["object_id"],
                t.routers.c.project_id == policy["target_tenant"]).limit(1)).first():
            raise _in_use(policy, "There are routers attached to this network that depend on this policy for "
                                  "access.")
        return
    if conn.execute(sa.select(t.networks.c.id).where(t.networks.c.id == policy["object_id"],
                                                     t.networks.c.is_default.is_(True))).first():
        raise _in_use(policy, "Default external networks must be shared to everyone.")
    owner = conn.execute(sa.select(t.networks.c.project_id).where(t.networks.c.id == policy["object_id"])).scalar()
    routers = conn.execute(sa.select(t.routers.c.id).where(
        t.routers.c.gw_network_id == policy["object_id"], t.routers.c.project_id.notin_(others | {owner}))
        .limit(1)).first()
    if routers:
        raise _in_use(policy, "There are routers attached to this network that depend on this policy for access.")


def check_unused(conn: Connection, policy: dict[str, Any], new_target: str | None = None) -> None:
    """Removing a grant is refused while projects relying on it use the object (neutron's
    validate_rbac_policy_delete): ports on a network, resources bound to a QoS policy, subnet pools
    in an address scope."""
    if policy["object_type"] == "network" and policy["action"] == EXTERNAL:
        check_external_unused(conn, policy, new_target)
        return
    if policy["object_type"] != "network":
        table = OBJECTS[policy["object_type"]]
        owner = conn.execute(sa.select(table.c.project_id).where(table.c.id == policy["object_id"])).scalar()
        if owner == policy["target_tenant"]:
            return
        targets = set(conn.execute(sa.select(r.c.target_tenant).where(
            r.c.object_type == policy["object_type"], r.c.object_id == policy["object_id"], r.c.action == SHARED,
            r.c.id != policy["id"])).scalars())
        bound = bound_projects(conn, policy["object_type"], policy["object_id"])
        if policy["target_tenant"] != "*":
            if "*" not in targets and policy["target_tenant"] in bound:
                raise _in_use(policy, f"project_id={policy['target_tenant']}")
        elif not bound <= targets - {"*"}:
            raise _in_use(policy, "project_id=*")
        return
    net = conn.execute(sa.select(t.networks.c.project_id).where(t.networks.c.id == policy["object_id"])).scalar()
    others = conn.execute(sa.select(r.c.target_tenant).where(
        r.c.object_type == "network", r.c.object_id == policy["object_id"], r.c.action == SHARED,
        r.c.id != policy["id"])).scalars().all()
    if "*" in others:
        return
    stmt = sa.select(t.ports.c.id).where(t.ports.c.network_id == policy["object_id"], t.ports.c.project_id != net,
                                         t.ports.c.project_id != "", t.ports.c.project_id.notin_(others))
    if policy["target_tenant"] != "*":
        stmt = stmt.where(t.ports.c.project_id == policy["target_tenant"])
    if conn.execute(stmt.limit(1)).first():
        raise Conflict(f"RBAC policy on object {policy['object_id']} cannot be removed because other objects "
                       "depend on it.", kind="RbacPolicyInUse")


def _target(item: dict[str, Any]) -> str:
    target = item.get("target_tenant")
    if target != "*" and not _uuid_like(target):
        raise BadRequest(f"Invalid input for operation: '{target}' is not a valid target project ID; expected a "
                         "UUID or '*'.", kind="InvalidInput")
    return str(target)


def _uuid_like(value: Any) -> bool:
    """oslo_utils.uuidutils.is_uuid_like: with or without dashes, any case."""
    try:
        return str(uuid.UUID(value)).replace("-", "") == value.replace("-", "").lower()
    except (TypeError, ValueError, AttributeError):
        return False


def _check_duplicate(conn: Connection, values: dict[str, Any]) -> None:
    if conn.execute(sa.select(r.c.id).where(*[r.c[k] == values[k] for k in (
            "object_type", "object_id", "action", "target_tenant")])).first():
        raise Conflict("An RBAC policy already exists with those values.", kind="DuplicateRbacPolicy")


def _check_wildcard(ctx: Context, target: str) -> None:
    if target == "*" and not ctx.is_admin:
        raise Forbidden("(rule:create_rbac_policy:target_tenant) is disallowed by policy",
                        kind="PolicyNotAuthorized")


def create_policy(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    for key in ("object_type", "object_id", "action"):
        if key not in item:
            raise BadRequest(f"Failed to parse request. Required attribute '{key}' not specified")
    object_type, action = item["object_type"], item["action"]
    if object_type not in ACTIONS:
        raise common.invalid("object_type", f"'{object_type}' is not in {sorted(ACTIONS)}")
    if action not in ACTIONS[object_type]:
        raise BadRequest(f"Invalid action '{action}' for object type '{object_type}'. Valid actions: "
                         f"{list(ACTIONS[object_type])}.", kind="InvalidInput")
    target = _target(item)
    _check_wildcard(ctx, target)
    obj = _object(conn, ctx, object_type, str(item["object_id"]))
    values = {"id": new_uuid(), "project_id": common.owner(ctx, item), "object_type": object_type,
              "object_id": obj["id"], "action": action, "target_tenant": target}
    _check_duplicate(conn, values)
    if object_type == "subnetpool" and obj["address_scope_id"]:
        check_scope_reachable(conn, obj, target)
    from pocketstack.services.network import quotas
    quotas.enforce(conn, values["project_id"], "rbac_policy")
    conn.execute(r.insert().values(**values))
    set_flag(conn, values, True)
    _touch_object(conn, values)
    return values


def check_scope_reachable(conn: Connection, pool: dict[str, Any], target: str) -> None:
    """A subnet pool is shared only with a project its address scope is shared with (an address-scope
    grant to that project or to '*'; neutron's SubnetPool.validate_rbac_policy_create)."""
    if conn.execute(sa.select(r.c.id).where(r.c.object_type == "address_scope",
                                            r.c.object_id == pool["address_scope_id"],
                                            r.c.target_tenant.in_(["*", target])).limit(1)).first() is None:
        raise BadRequest(f"Failed to create RBAC policy on object {pool['id']} because target project doesn't "
                         "have access to associated address scope.", kind="RbacPolicyInitError")


def _object(conn: Connection, ctx: Context, object_type: str, object_id: str) -> dict[str, Any]:
    """The object a policy is about: 404 when the caller cannot see it, 400 when it sees but does not own it."""
    from pocketstack.services.network import address_scopes, networks, qos, security_groups, subnetpools
    coll = {"network": networks.NETWORKS, "address_scope": address_scopes.SCOPES, "qos_policy": qos.POLICIES,
            "security_group": security_groups.GROUPS, "subnetpool": subnetpools.POOLS}
    try:
        obj = common.load(conn, coll[object_type], ctx, object_id)
    except NotFound:
        raise NotFound(f"{object_type} {object_id} could not be found.",
                       kind=f"{''.join(w.title() for w in object_type.split('_'))}NotFound") from None
    if not ctx.is_admin and obj["project_id"] != ctx.project_id:
        raise BadRequest("Invalid input for operation: Only admins can manipulate policies on objects they do not "
                         "own.", kind="InvalidInput")
    return obj


def _touch_object(conn: Connection, policy: dict[str, Any]) -> None:
    """A grant changes the object (its revision_number moves, as neutron's rbac callbacks bump it)."""
    common.touch(conn, OBJECTS[policy["object_type"]], policy["object_id"])


def update_policy(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    if "target_tenant" not in item and "target_project" not in item:
        return
    target = _target(item)
    if target == row["target_tenant"]:
        return
    _check_wildcard(ctx, target)
    _object(conn, ctx, row["object_type"], row["object_id"])
    _check_duplicate(conn, {**row, "target_tenant": target})
    if target != "*":
        check_unused(conn, row, target)
    set_flag(conn, row, False)
    conn.execute(r.update().where(r.c.id == row["id"]).values(target_tenant=target))
    set_flag(conn, {**row, "target_tenant": target}, True)
    _touch_object(conn, row)


def delete_policy(conn: Connection, row: dict[str, Any]) -> None:
    check_unused(conn, row)
    set_flag(conn, row, False)
    conn.execute(r.delete().where(r.c.id == row["id"]))
    _touch_object(conn, row)


# --- routes --------------------------------------------------------------------------
def policy_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, POLICIES, ctx, rq.params["rbac_policy_id"])
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "target_tenant": row["target_tenant"]}


def list_policies(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(POLICIES, ctx, rq)


def show_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(POLICIES, ctx, rq, rq.params["rbac_policy_id"])


def create_policies(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "rbac_policy", "rbac_policies", WRITABLE)
    with db.session() as conn:
        rows = [create_policy(conn, ctx, item) for item in items]
        out = render_policies(conn, ctx, rows)
    return {"rbac_policies": out} if "rbac_policies" in rq.body else {"rbac_policy": out[0]}


def put_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "rbac_policy", {"target_tenant"})
    with db.session() as conn:
        row = common.load(conn, POLICIES, ctx, rq.params["rbac_policy_id"])
        update_policy(conn, ctx, row, item)
    return common.show_resource(POLICIES, ctx, rq, row["id"])


def remove_policy(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_policy(conn, common.load(conn, POLICIES, ctx, rq.params["rbac_policy_id"]))


R = "/v2.0/rbac-policies"
ROUTES = [
    route("GET", R, list_policies, policy="get_rbac_policy"),
    route("POST", R, create_policies, policy="create_rbac_policy",
          target=common.create_target("rbac_policy", "rbac_policies"), status=201),
    route("GET", R + "/{rbac_policy_id}", show_policy, policy="get_rbac_policy", target=policy_target),
    route("PUT", R + "/{rbac_policy_id}", put_policy, policy="update_rbac_policy",
          target=common.body_first(policy_target, "rbac_policy", {"target_tenant"})),
    route("DELETE", R + "/{rbac_policy_id}", remove_policy, policy="delete_rbac_policy", target=policy_target,
          status=204),
]
