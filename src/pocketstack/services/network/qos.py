"""QoS: /v2.0/qos/policies, their bandwidth-limit, minimum-bandwidth and DSCP-marking rules, the rule
types and the rule aliases (api-ref: network, QoS; qos, qos-default, qos-bw-limit-direction,
qos-bw-minimum-ingress, qos-rule-type-details, qos-rules-alias). The policies are bookkeeping only:
pocketstack shapes no traffic. `qos_policy_id` of networks, ports, floating IPs and router gateways
lives in one binding table keyed by the resource id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, rbac_policies
from pocketstack.services.network import tables as t

MAX_INT = 2147483647
DSCP_MARKS = (0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56)
# rule type -> (collection segment, alias segment, {field: (default, kind)}, directions)
RULE_TYPES: dict[str, tuple[str, str, dict[str, Any], tuple[str, ...]]] = {
    "bandwidth_limit": ("bandwidth_limit_rules", "alias-bandwidth-limit-rules",
                        {"max_kbps": None, "max_burst_kbps": 0}, ("egress", "ingress")),
    "minimum_bandwidth": ("minimum_bandwidth_rules", "alias-minimum-bandwidth-rules",
                          {"min_kbps": None}, ("egress", "ingress")),
    "dscp_marking": ("dscp_marking_rules", "alias-dscp-marking-rules", {"dscp_mark": None}, ()),
}
POLICY_COLUMNS = {k: k for k in ("id", "name", "project_id", "description", "shared", "is_default",
                                 "revision_number")}
POLICY_COLUMNS["tenant_id"] = "project_id"
POLICY_ATTRIBUTES = {*common.STANDARD, *POLICY_COLUMNS, "rules"}


# --- views ---------------------------------------------------------------------------
def render_rule(r: Any, *, with_type: bool = False) -> dict[str, Any]:
    fields, directions = RULE_TYPES[r["type"]][2], RULE_TYPES[r["type"]][3]
    out = {"id": r["id"], **{f: r[f] for f in fields}}
    if directions:
        out["direction"] = r["direction"]
    if with_type:
        out.update({"qos_policy_id": r["policy_id"], "type": r["type"]})
    return out


def render_policies(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags = common.tags_of(conn, ids)
    rules: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for r in conn.execute(sa.select(t.qos_rules).where(t.qos_rules.c.policy_id.in_(ids))
                          .order_by(t.qos_rules.c.position)).mappings():
        rules[r["policy_id"]].append(render_rule(r, with_type=True))
    grants = rbac_policies.grants_of(conn, "qos_policy", ids)
    out = []
    for r in rows:
        body = common.standard_view(r, tags[r["id"]])
        shared = bool(r["shared"]) or (rbac_policies.SHARED, ctx.project_id) in grants[r["id"]]
        body.update({"shared": shared, "is_default": r["is_default"], "rules": rules[r["id"]]})
        out.append(body)
    return out


def visible(ctx: Context) -> Any:
    return sa.or_(t.qos_policies.c.project_id == ctx.project_id, t.qos_policies.c.shared.is_(True),
                  rbac_policies.granted("qos_policy", t.qos_policies.c.id, ctx.project_id, (rbac_policies.SHARED,)))


POLICIES = common.Collection(
    "policy", "policies", t.qos_policies, "QosPolicy", POLICY_ATTRIBUTES, render_policies, visible,
    filters=common.column_filters(t.qos_policies, POLICY_COLUMNS),
    sort_keys={"name", "project_id", "shared", "is_default", "created_at", "updated_at", "description",
               "revision_number"},
    not_found_message="QoS policy {id} could not be found.")


# --- bindings (qos_policy_id of other resources) -------------------------------------
def bindings_of(conn: Connection, ids: list[str]) -> dict[str, str]:
    return dict(conn.execute(sa.select(t.qos_bindings.c.resource_id, t.qos_bindings.c.policy_id)
                             .where(t.qos_bindings.c.resource_id.in_(ids))).all())


def bind(conn: Connection, ctx: Context, resource_type: str, resource_id: str, policy_id: Any) -> None:
    """Set (or with None clear) the QoS policy of a resource; the policy must be visible to the caller,
    and so must the policy it replaces (neutron's PolicyRemoveAuthorizationError)."""
    old = conn.execute(sa.select(t.qos_bindings.c.policy_id).where(t.qos_bindings.c.resource_id == resource_id)
                       ).scalar()
    if old is not None and old != policy_id and not ctx.is_admin:
        try:
            common.load(conn, POLICIES, ctx, old)
        except NotFound:
            raise Forbidden(f"Failed to remove provided policy {old} because you are not authorized.",
                            kind="PolicyRemoveAuthorizationError") from None
    conn.execute(t.qos_bindings.delete().where(t.qos_bindings.c.resource_id == resource_id))
    if policy_id is None:
        return
    if not isinstance(policy_id, str):
        raise common.invalid("qos_policy_id", f"'{policy_id}' is not a valid UUID")
    common.load(conn, POLICIES, ctx, policy_id)
    conn.execute(t.qos_bindings.insert().values(resource_id=resource_id, resource_type=resource_type,
                                                policy_id=policy_id))


def unbind(conn: Connection, resource_id: str) -> None:
    conn.execute(t.qos_bindings.delete().where(t.qos_bindings.c.resource_id == resource_id))


def default_policy(conn: Connection, project_id: str) -> str | None:
    return conn.execute(sa.select(t.qos_policies.c.id).where(t.qos_policies.c.project_id == project_id,
                                                             t.qos_policies.c.is_default.is_(True))).scalar()


# --- logic: policies -----------------------------------------------------------------
def _check_default(conn: Connection, project_id: str, policy_id: str) -> None:
    other = default_policy(conn, project_id)
    if other and other != policy_id:
        raise Conflict(f"A default QoS policy exists for project {project_id}.",
                       kind="QoSPolicyDefaultAlreadyExists")


def _name(item: dict[str, Any]) -> str:
    name = item.get("name") or ""
    if not isinstance(name, str) or len(name) > 255:
        raise common.invalid("name", f"'{name}' is not a valid string")
    return name


def create_policy(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    row = common.new_row(id=new_uuid(), project_id=project_id, name=_name(item),
                         description=item.get("description", ""),
                         shared=common.to_bool(item.get("shared", False), "shared"),
                         is_default=common.to_bool(item.get("is_default", False), "is_default"))
    if row["is_default"]:
        _check_default(conn, project_id, row["id"])
    conn.execute(t.qos_policies.insert().values(**row))
    common.set_tags(conn, row["id"], item.get("tags") or [])
    rbac_policies.sync_wildcard(conn, "qos_policy", row["id"], project_id, rbac_policies.SHARED, row["shared"])
    return row


def update_policy(conn: Connection, row: dict[str, Any], item: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    if "name" in item:
        values["name"] = _name(item)
    if "description" in item:
        values["description"] = item["description"]
    for key in ("shared", "is_default"):
        if key in item:
            values[key] = common.to_bool(item[key], key)
    if values.get("is_default"):
        _check_default(conn, row["project_id"], row["id"])
    if values.get("shared") is False and row["shared"]:
        wildcard = conn.execute(sa.select(rbac_policies.r).where(
            rbac_policies.r.c.object_type == "qos_policy", rbac_policies.r.c.object_id == row["id"],
            rbac_policies.r.c.action == rbac_policies.SHARED, rbac_policies.r.c.target_tenant == "*")
        ).mappings().first()
        if wildcard:
            rbac_policies.check_unused(conn, dict(wildcard))
    common.touch(conn, t.qos_policies, row["id"], **values)
    if "shared" in values:
        rbac_policies.sync_wildcard(conn, "qos_policy", row["id"], row["project_id"], rbac_policies.SHARED,
                                    values["shared"])


def delete_policy(conn: Connection, row: dict[str, Any]) -> None:
    used = conn.execute(sa.select(t.qos_bindings).where(t.qos_bindings.c.policy_id == row["id"])).mappings().first()
    if used:
        raise Conflict(f"QoS Policy {row['id']} is used by {used['resource_type']} {used['resource_id']}.",
                       kind="QosPolicyInUse")
    conn.execute(t.tags.delete().where(t.tags.c.resource_id == row["id"]))
    conn.execute(t.qos_rules.delete().where(t.qos_rules.c.policy_id == row["id"]))
    rbac_policies.forget(conn, row["id"])
    conn.execute(t.qos_policies.delete().where(t.qos_policies.c.id == row["id"]))


# --- logic: rules --------------------------------------------------------------------
def _int(name: str, value: Any, low: int = 0, high: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise common.invalid(name, f"'{value}' is not an integer")
    try:
        number = int(value)
    except ValueError:
        raise common.invalid(name, f"'{value}' is not an integer") from None
    if not low <= number <= high:
        raise common.invalid(name, f"'{number}' is not in range {low} through {high}")
    return number


def rule_values(rule_type: str, item: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    _segment, _alias, fields, directions = RULE_TYPES[rule_type]
    allowed = set(fields) | ({"direction"} if directions else set())
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    values: dict[str, Any] = {}
    for name, default in fields.items():
        if name in item:
            if name == "dscp_mark":
                mark = _int(name, item[name], 0, 56)
                if mark not in DSCP_MARKS:
                    raise common.invalid(name, f"{mark} is not in valid_values")
                values[name] = mark
            else:
                values[name] = _int(name, item[name])
        elif current is None:
            if default is None:
                raise BadRequest(f"Failed to parse request. Required attribute '{name}' not specified")
            values[name] = default
    if directions and ("direction" in item or current is None):
        direction = item.get("direction", "egress")
        if direction not in directions:
            raise common.invalid("direction", f"{direction} is not in valid_values")
        values["direction"] = direction
    return values


def _check_unique(conn: Connection, policy_id: str, rule_type: str, direction: str | None,
                  rule_id: str) -> None:
    q = t.qos_rules.c
    dup = conn.execute(sa.select(q.id).where(q.policy_id == policy_id, q.type == rule_type, q.id != rule_id,
                                             q.direction.is_(None) if direction is None
                                             else q.direction == direction)).first()
    if dup:
        raise Conflict(f"Rule {rule_type} already exists in QoS Policy {policy_id}"
                       + (f" for direction {direction}." if direction else "."), kind="QoSRulesConflict")


def load_rule(conn: Connection, rule_type: str, rule_id: str, policy_id: str | None = None) -> dict[str, Any]:
    stmt = sa.select(t.qos_rules).where(t.qos_rules.c.id == rule_id, t.qos_rules.c.type == rule_type)
    if policy_id is not None:
        stmt = stmt.where(t.qos_rules.c.policy_id == policy_id)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound(f"QoS rule {rule_id} for policy {policy_id} could not be found.",
                       kind="QosRuleNotFound")
    return dict(row)


# --- routes: policies ----------------------------------------------------------------
def policy_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
        shared = bool(row["shared"]) or (rbac_policies.SHARED, ctx.project_id) in rbac_policies.grants_of(
            conn, "qos_policy", [row["id"]])[row["id"]]
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "shared": shared, "external": False}


def any_policy_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """A rule create is admin-only: a project that cannot see the policy learns 403 (neutron checks the
    parent fetched with an elevated context); updates and deletes of its rules answer 404 (as neutron)."""
    with db.reader() as conn:
        row = conn.execute(sa.select(t.qos_policies).where(t.qos_policies.c.id == rq.params["policy_id"])
                           ).mappings().first()
    if row is None:
        raise POLICIES.not_found(rq.params["policy_id"])
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "shared": row["shared"],
            "external": False}


def checked_first(target: Any) -> Any:
    """neutron validates attributes before it enforces policy: a bad name is 400 even for a caller
    the policy refuses."""
    def wrapped(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        body = rq.body if isinstance(rq.body, dict) else {}
        items = body.get("policies") if isinstance(body.get("policies"), list) else [body.get("policy")]
        for item in items:
            if isinstance(item, dict):
                for key in ("name", "description", "project_id", "tenant_id"):
                    if key in item and (not isinstance(item[key], str) or len(item[key]) > 255):
                        raise common.invalid(key, f"'{item[key]}' is not a valid string")
        return target(ctx, rq)  # type: ignore[no-any-return]
    return wrapped


def list_policies(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(POLICIES, ctx, rq)


def show_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(POLICIES, ctx, rq, rq.params["policy_id"])


def create_policies(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "policy", "policies", {"name", "shared", "is_default"})
    with db.session() as conn:
        rows = [create_policy(conn, ctx, item) for item in items]
        out = render_policies(conn, ctx, rows)
    return {"policies": out} if "policies" in rq.body else {"policy": out[0]}


def put_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "policy", {"name", "shared", "is_default"})
    with db.session() as conn:
        row = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
        common.check_revision(rq, row)
        update_policy(conn, row, item)
    return common.show_resource(POLICIES, ctx, rq, row["id"])


def remove_policy(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
        common.check_revision(rq, row)
        delete_policy(conn, row)


# --- routes: rules -------------------------------------------------------------------
def _rule_routes(rule_type: str) -> list[Any]:
    segment, alias, _fields, _directions = RULE_TYPES[rule_type]
    singular = segment[:-1]

    def list_rules(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            policy = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
            rows = conn.execute(sa.select(t.qos_rules).where(t.qos_rules.c.policy_id == policy["id"],
                                                             t.qos_rules.c.type == rule_type)
                                .order_by(t.qos_rules.c.position)).mappings().all()
        items = [render_rule(r) for r in rows]
        for key in rq.query:
            if key in ("fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"):
                continue
            items = [i for i in items if str(i.get(key)) in rq.query.getlist(key)]
        fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
        return {segment: [common.select_fields(i, fields) for i in items]}

    def show_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            policy = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
            row = load_rule(conn, rule_type, rq.params["rule_id"], policy["id"])
        return {singular: render_rule(row)}

    def create_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        body = rq.body if isinstance(rq.body, dict) else {}
        item = body.get(singular)
        if not isinstance(item, dict):
            raise BadRequest(f"Unable to find '{singular}' in request body")
        with db.session() as conn:
            policy = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
            values = rule_values(rule_type, item, None)
            rule_id = new_uuid()
            _check_unique(conn, policy["id"], rule_type, values.get("direction"), rule_id)
            position = conn.execute(sa.select(sa.func.count()).select_from(t.qos_rules)
                                    .where(t.qos_rules.c.policy_id == policy["id"])).scalar() or 0
            row = {"id": rule_id, "policy_id": policy["id"], "type": rule_type, "direction": None,
                   "max_kbps": None, "max_burst_kbps": None, "min_kbps": None, "dscp_mark": None,
                   "position": position, **values}
            conn.execute(t.qos_rules.insert().values(**row))
            common.touch(conn, t.qos_policies, policy["id"])
        return {singular: render_rule(row)}

    def _update(conn: Connection, row: dict[str, Any], rq: ApiRequest) -> dict[str, Any]:
        body = rq.body if isinstance(rq.body, dict) else {}
        item = body.get(singular)
        if not isinstance(item, dict) or not item:
            raise BadRequest(f"Unable to find '{singular}' in request body")
        values = rule_values(rule_type, item, row)
        if "direction" in values:
            _check_unique(conn, row["policy_id"], rule_type, values["direction"], row["id"])
        if values:
            conn.execute(t.qos_rules.update().where(t.qos_rules.c.id == row["id"]).values(**values))
            common.touch(conn, t.qos_policies, row["policy_id"])
        return {**row, **values}

    def update_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.session() as conn:
            policy = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
            row = _update(conn, load_rule(conn, rule_type, rq.params["rule_id"], policy["id"]), rq)
        return {singular: render_rule(row)}

    def delete_rule(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            policy = common.load(conn, POLICIES, ctx, rq.params["policy_id"])
            row = load_rule(conn, rule_type, rq.params["rule_id"], policy["id"])
            conn.execute(t.qos_rules.delete().where(t.qos_rules.c.id == row["id"]))
            common.touch(conn, t.qos_policies, policy["id"])

    def alias_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            row = load_rule(conn, rule_type, rq.params["rule_id"])
            policy = conn.execute(sa.select(t.qos_policies).where(t.qos_policies.c.id == row["policy_id"])
                                  ).mappings().one()
            if not ctx.is_admin and policy["project_id"] != ctx.project_id and not policy["shared"]:
                raise NotFound(f"QoS rule {row['id']} could not be found.", kind="QosRuleNotFound")
        return {"project_id": policy["project_id"], "tenant_id": policy["project_id"], "shared": policy["shared"],
                "external": False}

    def alias_show(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            row = load_rule(conn, rule_type, rq.params["rule_id"])
        return {singular: render_rule(row)}

    def alias_update(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.session() as conn:
            row = _update(conn, load_rule(conn, rule_type, rq.params["rule_id"]), rq)
        return {singular: render_rule(row)}

    def alias_delete(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            row = load_rule(conn, rule_type, rq.params["rule_id"])
            conn.execute(t.qos_rules.delete().where(t.qos_rules.c.id == row["id"]))
            common.touch(conn, t.qos_policies, row["policy_id"])

    base, name = f"{P}/{{policy_id}}/{segment}", f"policy_{singular}"
    aliased = f"{Q}/{alias}/{{rule_id}}"
    return [
        route("GET", base, list_rules, policy=f"get_{name}", target=policy_target),
        route("POST", base, create_rule, policy=f"create_{name}", target=any_policy_target, status=201),
        route("GET", base + "/{rule_id}", show_rule, policy=f"get_{name}", target=policy_target),
        route("PUT", base + "/{rule_id}", update_rule, policy=f"update_{name}", target=policy_target),
        route("DELETE", base + "/{rule_id}", delete_rule, policy=f"delete_{name}", target=policy_target,
              status=204),
        route("GET", aliased, alias_show, policy=f"get_alias_{singular}", target=alias_target),
        route("PUT", aliased, alias_update, policy=f"update_alias_{singular}", target=alias_target),
        route("DELETE", aliased, alias_delete, policy=f"delete_alias_{singular}", target=alias_target,
              status=204),
    ]


# --- routes: rule types --------------------------------------------------------------
def _parameters(rule_type: str) -> list[dict[str, Any]]:
    _segment, _alias, fields, directions = RULE_TYPES[rule_type]
    out: list[dict[str, Any]] = []
    for name in fields:
        if name == "dscp_mark":
            out.append({"parameter_name": name, "parameter_type": "choices", "parameter_values": list(DSCP_MARKS)})
        else:
            out.append({"parameter_name": name, "parameter_type": "range",
                        "parameter_values": {"start": 0, "end": MAX_INT}})
    if directions:
        out.append({"parameter_name": "direction", "parameter_type": "choices", "parameter_values": list(directions)})
    return out


def list_rule_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"rule_types": [{"type": k} for k in sorted(RULE_TYPES)]}


def show_rule_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    rule_type = rq.params["rule_type"]
    if not ctx.is_admin:                       # neutron's QoSPlugin.get_rule_type: admins only
        raise Forbidden("Not authorized.", kind="NotAuthorized")
    if rule_type not in RULE_TYPES:
        raise NotFound(f"QoS rule type {rule_type} could not be found.", kind="QoSRuleTypeNotFound")
    return {"rule_type": {"type": rule_type,
                          "drivers": [{"name": "openvswitch", "supported_parameters": _parameters(rule_type)}]}}


Q = "/v2.0/qos"
P = Q + "/policies"
ROUTES = [
    route("GET", P, list_policies, policy="get_policy"),
    route("POST", P, create_policies, policy="create_policy",
          target=checked_first(common.create_target("policy", "policies")),
          status=201),
    route("GET", P + "/{policy_id}", show_policy, policy="get_policy", target=policy_target),
    route("PUT", P + "/{policy_id}", put_policy, policy="update_policy", target=checked_first(policy_target)),
    route("DELETE", P + "/{policy_id}", remove_policy, policy="delete_policy", target=policy_target, status=204),
    route("GET", Q + "/rule-types", list_rule_types, policy="get_rule_type"),
    route("GET", Q + "/rule-types/{rule_type}", show_rule_type, policy="get_rule_type"),
    *[r for rule_type in RULE_TYPES for r in _rule_routes(rule_type)],
]
