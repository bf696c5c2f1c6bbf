"""Stack snapshots: /v1/{tenant_id}/stacks/{name}/{id}/snapshots (api-ref: orchestration, Stack
snapshots): a snapshot keeps the stack's template, environment and resource data; restore
updates the stack back to them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common, stack_views
from pocketstack.services.orchestration.engine import operations
from pocketstack.services.orchestration.tables import snapshots


def _render(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "stack_id": row["stack_id"], "status": row["status"],
            "status_reason": row["status_reason"], "data": row["data"], "creation_time": common.iso(row["created_at"])}


def _find(conn: Any, stack: Any, snapshot_id: str) -> Any:
    row = conn.execute(sa.select(snapshots).where(snapshots.c.id == snapshot_id, snapshots.c.stack_id ==
                                                  stack["id"])).mappings().first()
    if row is None:
        raise NotFound(f"The Snapshot ({snapshot_id}) for Stack ({stack['name']}) could not be found.",
                       kind="NotFound")
    return row


def create_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        if stack["status"] == "IN_PROGRESS":
            raise Conflict(f"Stack {stack['name']} already has an action ({stack['action']}) in progress.",
                           kind="ActionInProgress")
        sid = new_uuid()
        data = stack_views.abandon_data(conn, stack)
        conn.execute(snapshots.insert().values(id=sid, stack_id=stack["id"], project_id=stack["project_id"],
                                               name=common.body(rq).get("name"), status="COMPLETE",
                                               status_reason="Stack SNAPSHOT completed successfully", data=data,
                                               created_at=utcnow()))
        return _render(_find(conn, stack, sid))


def list_snapshots(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        rows = conn.execute(sa.select(snapshots).where(snapshots.c.stack_id == stack["id"])
                            .order_by(snapshots.c.created_at)).mappings().all()
    return {"snapshots": [{k: v for k, v in _render(r).items() if k != "data"} for r in rows]}


def show_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        return {"snapshot": _render(_find(conn, stack, rq.params["snapshot_id"]))}


def delete_snapshot(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        _find(conn, stack, rq.params["snapshot_id"])
        conn.execute(snapshots.delete().where(snapshots.c.id == rq.params["snapshot_id"]))


def restore_snapshot(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        snap = _find(conn, stack, rq.params["snapshot_id"])
        data = snap["data"] or {}
        operations.begin(conn, stack, "RESTORE", template=data["template"], environment=data["environment"],
                         files=data.get("files") or {}, prev_template=stack["template"],
                         prev_environment=stack["environment"], prev_files=stack["files"])


S = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots"
T = common.target
ROUTES = [
    route("POST", S, create_snapshot, policy="stacks:snapshot", target=T),
    route("GET", S, list_snapshots, policy="stacks:list_snapshots", target=T),
    route("GET", S + "/{snapshot_id}", show_snapshot, policy="stacks:show_snapshot", target=T),
    route("DELETE", S + "/{snapshot_id}", delete_snapshot, policy="stacks:delete_snapshot", target=T, status=204),
    route("POST", S + "/{snapshot_id}/restore", restore_snapshot, policy="stacks:restore_snapshot", target=T,
          status=202),
]
