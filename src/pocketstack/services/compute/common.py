"""Shared compute helpers: this host, server loading and targets, state rules, instance actions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest
from pocketstack.services.compute import tables as t

HOST = "pocketstack"                 # this compute host (nova-compute's CONF.host): core.hosts.NAME, set on start
DEFAULT_HYPERVISOR_ID = "5a4f3c3e-6a0d-4f67-9c1a-6f0a9e1b2c01"
HYPERVISOR_ID = DEFAULT_HYPERVISOR_ID   # this host's compute node (and its resource provider)
DEFAULT_AZ = "nova"


def hypervisor_id(host: str) -> str:
    """A compute host's node uuid, also its Placement resource provider's; the single host of a cloud
    made before hosts keeps the uuid it always had."""
    if host == "pocketstack":
        return DEFAULT_HYPERVISOR_ID
    return str(uuid.uuid5(uuid.UUID(DEFAULT_HYPERVISOR_ID), host))


def set_host(name: str) -> None:
    global HOST, HYPERVISOR_ID
    HOST, HYPERVISOR_ID = name, hypervisor_id(name)

# nova/compute/power_state.py
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7

STATE_MAP: dict[str, dict[str | None, str]] = {   # nova/api/openstack/common.py _STATE_MAP
    "active": {None: "ACTIVE", "rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
               "rebooting_hard": "HARD_REBOOT", "reboot_pending_hard": "HARD_REBOOT",
               "reboot_started_hard": "HARD_REBOOT", "updating_password": "PASSWORD", "rebuilding": "REBUILD",
               "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD", "migrating": "MIGRATING",
               "resize_prep": "RESIZE", "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
               "resize_finish": "RESIZE"},
    "building": {None: "BUILD"},
    "stopped": {None: "SHUTOFF", "resize_prep": "RESIZE", "resize_migrating": "RESIZE",
                "resize_migrated": "RESIZE", "resize_finish": "RESIZE", "rebuilding": "REBUILD",
                "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD"},
    "resized": {None: "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    "paused": {None: "PAUSED", "migrating": "MIGRATING"},
    "suspended": {None: "SUSPENDED"},
    "rescued": {None: "RESCUE"},
    "error": {None: "ERROR", "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
              "rebuild_spawning": "REBUILD"},
    "deleted": {None: "DELETED"},
    "soft-delete": {None: "SOFT_DELETED"},
    "shelved": {None: "SHELVED"},
    "shelved_offloaded": {None: "SHELVED_OFFLOADED"},
}


def status_of(vm_state: str, task_state: str | None) -> str:
    states = STATE_MAP.get(vm_state, {None: "UNKNOWN"})
    return states.get(task_state, states[None])


def vm_states_for_status(status: str) -> list[tuple[str, str | None]]:
    """The (vm_state, task_state) pairs that show as `status` (None task: the default entry)."""
    out = []
    for vm, tasks in STATE_MAP.items():
        for task, shown in tasks.items():
            if shown == status.upper():
                out.append((vm, task))
    return out


def server_not_found(server_id: str) -> NotFound:
    return NotFound(f"Instance {server_id} could not be found.")


def visible_servers(ctx: Context) -> Any:
    return t.servers.c.project_id == ctx.project_id


def load_server(conn: Connection, ctx: Context, server_id: str, *, any_project: bool = False,
                deleted_ok: bool = False) -> dict[str, Any]:
    stmt = sa.select(t.servers).where(t.servers.c.id == server_id)
    if not deleted_ok:
        stmt = stmt.where(t.servers.c.deleted.is_(False))
    row = conn.execute(stmt).mappings().first()
    if row is None or (not any_project and not ctx.is_admin and row["project_id"] != ctx.project_id):
        raise server_not_found(server_id)
    return dict(row)


def server_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """Nova loads the instance first (404), then checks the rule against its project."""
    if rq.target_cache is None:
        with db.reader() as conn:
            row = load_server(conn, ctx, rq.params["server_id"])
        rq.target_cache = {"project_id": row["project_id"], "user_id": row["user_id"]}
    return rq.target_cache


DELETED_ACTIONS = "2.21"   # os-instance-actions answers for deleted servers


def server_target_deleted_ok(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load_server(conn, ctx, rq.params["server_id"], deleted_ok=ctx.version >= DELETED_ACTIONS)
    return {"project_id": row["project_id"], "user_id": row["user_id"]}


def check_state(row: dict[str, Any], action: str, vm_states: Iterable[str] | None = None,
                task_states: Iterable[str | None] | None = (None,)) -> None:
    """nova/compute/api.py check_instance_state: 409 with nova's message."""
    if vm_states is not None and row["vm_state"] not in vm_states:
        raise Conflict(f"Cannot '{action}' instance {row['id']} while it is in vm_state {row['vm_state']}")
    if task_states is not None and row["task_state"] not in task_states:
        raise Conflict(f"Cannot '{action}' instance {row['id']} while it is in task_state {row['task_state']}")


def check_locked(ctx: Context, row: dict[str, Any]) -> None:
    if row["locked"] and not ctx.is_admin:
        raise Conflict(f"Instance {row['id']} is locked")


def record_action(conn: Connection, ctx: Context, server_id: str, action: str) -> str:
    """An os-instance-actions row (nova's InstanceAction.action_start)."""
    action_id, now = new_uuid(), utcnow()
    conn.execute(t.instance_actions.insert().values(
        id=action_id, server_id=server_id, request_id=ctx.global_request_id or ctx.request_id, action=action,
        project_id=ctx.project_id, user_id=ctx.user_id, start_time=now, created_at=now))
    return action_id


def record_event(conn: Connection, action_id: str | None, event: str, result: str = "Success",
                 traceback: str | None = None) -> None:
    if not action_id:
        return
    now = utcnow()
    conn.execute(t.instance_action_events.insert().values(
        id=new_uuid(), action_id=action_id, event=event, result=result, traceback=traceback, host=HOST,
        start_time=now, finish_time=now))
    conn.execute(t.instance_actions.update().where(t.instance_actions.c.id == action_id).values(
        finish_time=now, updated_at=now, message=None if result == "Success" else "Error"))


def set_server(conn: Connection, server_id: str, **values: Any) -> None:
    conn.execute(t.servers.update().where(t.servers.c.id == server_id).values(updated_at=utcnow(), **values))


def to_bool(value: Any, name: str) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off"):
        return False
    raise BadRequest(f"Invalid value '{value}' for {name}")


def links(ctx: Context, rq: ApiRequest, collection: str, item_id: str) -> list[dict[str, str]]:
    base = f"{ctx.base_url}{rq.service_prefix}"
    return [{"rel": "self", "href": f"{base}/v2.1/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{base}/{collection}/{item_id}"}]


_service: Any = None


def bind(service: Any) -> None:
    global _service
    _service = service


def can(ctx: Context, rule_name: str, target: dict[str, Any]) -> bool:
    """A soft policy check (nova's context.can(..., fatal=False))."""
    return _service is not None and _service.policy is not None and _service.policy.check(rule_name, target, ctx)


def enforce(ctx: Context, rule_name: str, target: dict[str, Any]) -> None:
    _service.policy.enforce(rule_name, target, ctx)


def zones(conn: Connection) -> set[str]:
    """The availability zones of the compute hosts: nova, and those of the aggregates holding one."""
    stmt = sa.select(t.aggregates.c.availability_zone).join(
        t.aggregate_hosts, t.aggregate_hosts.c.aggregate_id == t.aggregates.c.id).where(
        t.aggregates.c.availability_zone.isnot(None))
    return {DEFAULT_AZ, *conn.execute(stmt).scalars()}


def host_zones(conn: Connection) -> dict[str, set[str]]:
    """host -> the availability zones its aggregates put it in (a host in none is in nova)."""
    stmt = sa.select(t.aggregate_hosts.c.host, t.aggregates.c.availability_zone).join(
        t.aggregates, t.aggregate_hosts.c.aggregate_id == t.aggregates.c.id).where(
        t.aggregates.c.availability_zone.isnot(None))
    out: dict[str, set[str]] = {}
    for host, zone in conn.execute(stmt).all():
        out.setdefault(host, set()).add(zone)
    return out


def _not_found(ctx: Context, rq: ApiRequest) -> None:
    raise NotFound("The resource could not be found.")


def _with_request_id(r: Any) -> Any:
    """nova's compute_req_id middleware: every answer also carries X-Compute-Request-Id."""
    from starlette.responses import Response

    from pocketstack.core.http import empty, json_response
    handler = r.handler

    def answer(ctx: Context, rq: ApiRequest) -> Any:
        result = handler(ctx, rq)
        if not isinstance(result, Response):
            status = r.status_for(ctx.version)
            result = empty(status) if result is None else json_response(status, result)
        result.headers["X-Compute-Request-Id"] = ctx.request_id
        return result

    answer.__name__ = getattr(handler, "__name__", "answer")
    r.handler = answer
    return r


def not_found_route(method: str, path: str, **kw: Any) -> Any:
    """A path nova has no such method on (a blank id): 404, not 405."""
    from pocketstack.core.routing import route
    return route(method, path, _not_found, policy=ANY_USER, **kw)


def with_older(rows: list[Any]) -> list[Any]:
    """nova answers 404 (not 405) for a route that does not exist (yet, or any more) at the requested microversion;
    every route also answers with X-Compute-Request-Id."""
    from pocketstack.core.routing import route
    from pocketstack.core.versions import APIVersion
    rows = [_with_request_id(r) for r in rows]
    out = list(rows)
    for r in rows:
        if r.min_version is not None and r.min_version.minor > 1:
            before = APIVersion(f"{r.min_version.major}.{r.min_version.minor - 1}")
            out.append(route(r.method, r.path, _not_found, policy=ANY_USER, max_version=before))
        if r.max_version is not None:
            after = APIVersion(f"{r.max_version.major}.{r.max_version.minor + 1}")
            out.append(route(r.method, r.path, _not_found, policy=ANY_USER, min_version=after))
    return out
