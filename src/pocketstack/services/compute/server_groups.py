"""Compute server groups: /os-server-groups (api-ref: compute, Server groups (os-server-groups))."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v

# --- schemas ---------------------------------------------------------------------------
POLICIES = ["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"]
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?! )[\S ]*(?<! )$"}
CREATE = {"type": "object", "required": ["server_group"], "additionalProperties": False, "properties": {
    "server_group": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
        "name": NAME,
        "policies": {"type": "array", "items": {"type": "string", "enum": POLICIES}, "uniqueItems": True,
                     "minItems": 1, "maxItems": 1},
        "policy": {"type": "string", "enum": POLICIES},
        "rules": {"type": "object", "additionalProperties": False, "properties": {
            "max_server_per_host": {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1}}}}}}}


# --- views -----------------------------------------------------------------------------
def render_group(ctx: Context, row: dict[str, Any], members: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "members": members}
    if ctx.version >= v.SERVER_GROUP_POLICY:
        body.update({"policy": row["policy"], "rules": row["rules"]})
    else:
        body.update({"policies": [row["policy"]], "metadata": {}})
    if ctx.version >= v.SERVER_GROUP_PROJECT:
        body.update({"project_id": row["project_id"], "user_id": row["user_id"]})
    return body


# --- logic -----------------------------------------------------------------------------
def members_of(conn: Connection, group_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {g: [] for g in group_ids}
    live = sa.select(t.servers.c.id).where(t.servers.c.deleted.is_(False))
    for r in conn.execute(sa.select(t.server_group_members).where(
            t.server_group_members.c.group_id.in_(group_ids), t.server_group_members.c.server_id.in_(live))):
        out[r.group_id].append(r.server_id)
    return out


def load(conn: Connection, ctx: Context, group_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(t.server_groups).where(t.server_groups.c.id == group_id)).mappings().first()
    if row is None or (not ctx.is_admin and row["project_id"] != ctx.project_id):
        raise NotFound(f"Instance group {group_id} could not be found.")
    return dict(row)


def create_group(conn: Connection, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if ctx.version >= v.SERVER_GROUP_POLICY:
        if "policies" in body or "policy" not in body:
            raise BadRequest("Invalid input for field/attribute server_group. 'policy' is a required property")
        policy, rules = body["policy"], body.get("rules", {})
        if rules and policy != "anti-affinity":
            raise BadRequest("Only anti-affinity policy supports rules.")
        rules = {k: int(val) for k, val in rules.items()}
    else:
        if "policy" in body or "rules" in body or "policies" not in body:
            raise BadRequest("Invalid input for field/attribute server_group. 'policies' is a required property")
        policy, rules = body["policies"][0], {}
        if policy.startswith("soft-") and ctx.version < V215:
            raise BadRequest(f"Invalid input for field/attribute 0. Value: {policy}.")
    used = quotas.usage(conn, ctx.project_id or "")["server_groups"]
    if used >= quotas.limit_for(conn, ctx.project_id or "", "server_groups"):
        raise Forbidden("Quota exceeded, too many server groups.")
    row = {"id": new_uuid(), "name": body["name"], "project_id": ctx.project_id, "user_id": ctx.user_id,
           "policy": policy, "rules": rules, "created_at": utcnow()}
    conn.execute(t.server_groups.insert().values(**row))
    return row


V215 = v.V("2.15", "soft-affinity and soft-anti-affinity")


# --- routes ----------------------------------------------------------------------------
def group_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, ctx, rq.params["group_id"])
    return {"project_id": row["project_id"], "user_id": row["user_id"]}


def list_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(t.server_groups).order_by(t.server_groups.c.created_at, t.server_groups.c.id)
    all_projects = ctx.is_admin and rq.query.get("all_projects", "").lower() in ("1", "true", "yes", "")
    if not (all_projects and "all_projects" in rq.query):
        stmt = stmt.where(t.server_groups.c.project_id == ctx.project_id)
    try:
        offset, limit = int(rq.query.get("offset", 0)), int(rq.query.get("limit", 1000))
    except ValueError:
        raise BadRequest("limit and offset must be integers") from None
    if offset < 0 or limit < 0:
        raise BadRequest("limit and offset must be positive")
    limit, offset = min(limit, 1000), min(offset, 2 ** 62)     # common.limited: max_limit 1000
    with db.reader() as conn:
        rows = [dict(r) for r in conn.execute(stmt.offset(offset).limit(limit)).mappings()]
        members = members_of(conn, [r["id"] for r in rows])
    return {"server_groups": [render_group(ctx, r, members[r["id"]]) for r in rows]}


def show_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, ctx, rq.params["group_id"])
        return {"server_group": render_group(ctx, row, members_of(conn, [row["id"]])[row["id"]])}


def post_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = create_group(conn, ctx, rq.body["server_group"])
    return {"server_group": render_group(ctx, row, [])}


def delete_group(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load(conn, ctx, rq.params["group_id"])
        conn.execute(t.server_groups.delete().where(t.server_groups.c.id == row["id"]))


G = "/v2.1/os-server-groups"
P = "os_compute_api:os-server-groups:"
ROUTES = [
    route("GET", G, list_groups, policy=P + "index"),
    route("POST", G, post_group, policy=P + "create", body=CREATE,
          target=lambda ctx, rq: {"project_id": ctx.project_id, "user_id": ctx.user_id}),
    route("GET", G + "/{group_id}", show_group, policy=P + "show", target=group_target),
    route("DELETE", G + "/{group_id}", delete_group, policy=P + "delete", target=group_target, status=204),
]
