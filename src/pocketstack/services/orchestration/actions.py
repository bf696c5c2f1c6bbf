"""Stack actions: POST /v1/{tenant_id}/stacks/{name}/{id}/actions (api-ref: orchestration, Stack
actions; heat/api/openstack/v1/actions.py): suspend, resume, check, cancel_update,
cancel_without_rollback."""

from __future__ import annotations

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common
from pocketstack.services.orchestration.engine import operations
from pocketstack.services.orchestration.engine.store import set_stack

ACTIONS = ("suspend", "resume", "check", "cancel_update", "cancel_without_rollback")


def stack_action(ctx: Context, rq: ApiRequest) -> None:
    body = rq.body if isinstance(rq.body, dict) else {}
    if len(body) != 1:
        raise BadRequest("Multiple actions specified", kind="HTTPBadRequest")
    action = next(iter(body))
    if action not in ACTIONS:
        raise BadRequest(f"Invalid action {action} specified", kind="HTTPBadRequest")
    with db.session() as conn:
        row = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        if action.startswith("cancel"):
            if row["action"] != "UPDATE" or row["status"] != "IN_PROGRESS":
                raise BadRequest(f"Cancelling update when stack is {row['action']}_{row['status']}",
                                 kind="NotSupported")
            mode = "rollback" if action == "cancel_update" else "stop"
            set_stack(conn, row["id"], op={**(row["op"] or {}), "cancel": mode})
            return
        if row["status"] == "IN_PROGRESS":
            raise Conflict(f"Stack {row['name']} already has an action ({row['action']}) in progress.",
                           kind="ActionInProgress")
        operations.begin(conn, row, action.upper())


ROUTES = [route("POST", "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/actions", stack_action,
                policy="actions:action", target=common.target, status=200)]
