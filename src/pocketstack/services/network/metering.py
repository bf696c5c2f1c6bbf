"""Metering: /v2.0/metering/metering-labels and /v2.0/metering/metering-label-rules (api-ref: network,
Metering labels and rules; metering). Bookkeeping only: pocketstack counts no traffic. A label
belongs to a project; its rules (direction, remote_ip_prefix, excluded) may not overlap."""

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
from pocketstack.services.network import common
from pocketstack.services.network import tables as t

L, R = t.metering_labels, t.metering_label_rules
LABEL_COLUMNS = {k: k for k in ("id", "name", "description", "project_id", "shared")}
LABEL_COLUMNS["tenant_id"] = "project_id"
RULE_COLUMNS = {k: k for k in ("id", "metering_label_id", "direction", "excluded", "remote_ip_prefix",
                               "project_id")}
RULE_COLUMNS["tenant_id"] = "project_id"
DIRECTIONS = ("ingress", "egress")


# --- views ---------------------------------------------------------------------------
def render_labels(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "name": r["name"], "description": r["description"], "shared": r["shared"],
             "project_id": r["project_id"], "tenant_id": r["project_id"]} for r in rows]


def render_rules(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "metering_label_id": r["metering_label_id"], "direction": r["direction"],
             "excluded": r["excluded"], "remote_ip_prefix": r["remote_ip_prefix"], "source_ip_prefix": None,
             "destination_ip_prefix": None, "project_id": r["project_id"], "tenant_id": r["project_id"]}
            for r in rows]


LABELS = common.Collection(
    "metering_label", "metering_labels", L, "MeteringLabel", set(LABEL_COLUMNS), render_labels,
    lambda ctx: L.c.project_id == ctx.project_id, filters=common.column_filters(L, LABEL_COLUMNS),
    sort_keys={"name", "description", "project_id", "shared"},
    not_found_message="Metering label {id} does not exist")
RULES = common.Collection(
    "metering_label_rule", "metering_label_rules", R, "MeteringLabelRule", set(RULE_COLUMNS), render_rules,
    lambda ctx: R.c.project_id == ctx.project_id, filters=common.column_filters(R, RULE_COLUMNS),
    sort_keys={"metering_label_id", "direction", "excluded", "remote_ip_prefix", "project_id"},
    not_found_message="Metering label rule {id} does not exist")


# --- logic ---------------------------------------------------------------------------
def create_label(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    description = item.get("description", "")
    if not isinstance(description, str) or len(description) > 1024:
        raise common.invalid("description", f"'{description}' is not a valid string")
    row = {"id": new_uuid(), "project_id": common.owner(ctx, item), "name": item.get("name") or "",
           "description": description, "shared": common.to_bool(item.get("shared", False), "shared")}
    conn.execute(L.insert().values(**row))
    return row


def create_rule(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    for key in ("metering_label_id", "direction", "remote_ip_prefix"):
        if item.get(key) is None:
            raise BadRequest(f"Failed to parse request. Required attribute '{key}' not specified")
    if item["direction"] not in DIRECTIONS:
        raise common.invalid("direction", f"{item['direction']} is not in {list(DIRECTIONS)}")
    try:
        prefix = ipaddress.ip_network(str(item["remote_ip_prefix"]), strict=False)
    except ValueError:
        raise common.invalid("remote_ip_prefix", f"'{item['remote_ip_prefix']}' is not a valid IP subnet") \
            from None
    label = common.load(conn, LABELS, ctx, str(item["metering_label_id"]))
    excluded = common.to_bool(item.get("excluded", False), "excluded")
    for other in conn.execute(sa.select(R.c.remote_ip_prefix).where(
            R.c.metering_label_id == label["id"], R.c.direction == item["direction"],
            R.c.excluded == excluded)).scalars():
        theirs = ipaddress.ip_network(other)
        if theirs.version == prefix.version and theirs.overlaps(prefix):
            raise Conflict(f"Metering label rule with remote_ip_prefix {prefix} overlaps another.",
                           kind="MeteringLabelRuleOverlaps")
    row = {"id": new_uuid(), "project_id": label["project_id"], "metering_label_id": label["id"],
           "direction": item["direction"], "excluded": excluded, "remote_ip_prefix": str(prefix)}
    conn.execute(R.insert().values(**row))
    return row


# --- routes --------------------------------------------------------------------------
def _target(coll: common.Collection, param: str):  # type: ignore[no-untyped-def]
    def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            row = common.load(conn, coll, ctx, rq.params[param])
        return {"project_id": row["project_id"], "tenant_id": row["project_id"]}
    return target


def _handlers(coll: common.Collection, param: str, make: Any, allowed: set[str]) -> list[Any]:
    def list_all(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        return common.list_resources(coll, ctx, rq)

    def show(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        return common.show_resource(coll, ctx, rq, rq.params[param])

    def create(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        items = common.bodies(rq, coll.singular, coll.plural, allowed)
        with db.session() as conn:
            rows = [make(conn, ctx, item) for item in items]
            out = coll.render(conn, ctx, rows)
        return {coll.plural: out} if coll.plural in rq.body else {coll.singular: out[0]}

    def delete(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            row = common.load(conn, coll, ctx, rq.params[param])
            if coll is LABELS:
                conn.execute(R.delete().where(R.c.metering_label_id == row["id"]))
            conn.execute(coll.table.delete().where(coll.table.c.id == row["id"]))
    return [list_all, show, create, delete]


def _routes(path: str, coll: common.Collection, param: str, make: Any, allowed: set[str]) -> list[Any]:
    list_all, show, create, delete = _handlers(coll, param, make, allowed)
    name = coll.singular
    return [
        route("GET", path, list_all, policy=f"get_{name}"),
        route("POST", path, create, policy=f"create_{name}", target=common.create_target(name, coll.plural),
              status=201),
        route("GET", path + f"/{{{param}}}", show, policy=f"get_{name}", target=_target(coll, param)),
        route("DELETE", path + f"/{{{param}}}", delete, policy=f"delete_{name}", target=_target(coll, param),
              status=204),
    ]


M = "/v2.0/metering"
ROUTES = [
    *_routes(M + "/metering-labels", LABELS, "label_id", create_label, {"name", "shared"}),
    *_routes(M + "/metering-label-rules", RULES, "rule_id", create_rule,
             {"metering_label_id", "direction", "excluded", "remote_ip_prefix"}),
]
