"""Stack operations as durable jobs: start (create, update, delete, rollback, suspend, resume, check,
cancel), the job that runs passes until the operation ends, its end states, and nested stacks.

Each operation bumps the stack's `traversal`; the job carries it, so a stale job (the stack moved
on to another operation) stops. The stack acts with a trust from its owner to the `heat` service
user (Heat's deferred auth), never with a stored user token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from pocketstack.core import db, internal_client, jobs, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.orchestration.engine import environment
from pocketstack.services.orchestration.engine.clients import Clients
from pocketstack.services.orchestration.engine.converge import Pass
from pocketstack.services.orchestration.engine.properties import ValidationError
from pocketstack.services.orchestration.engine.resource import Resource
from pocketstack.services.orchestration.engine.resources import CONSTRAINTS, REGISTRY
from pocketstack.services.orchestration.engine.store import (
    event_values, load_resources, load_stack, new_resource_row, set_stack, stack_event)
from pocketstack.services.orchestration.engine.template import Template, resolve_parameters
from pocketstack.services.orchestration.tables import events, resources, stacks

LOG = logging.getLogger("pocketstack.orchestration")
KIND = "orchestration.stack"
SERVICE = "orchestration"


# --- what a pass needs -----------------------------------------------------------------
def parameters(tmpl: Template, env: dict[str, Any]) -> dict[str, Any]:
    return resolve_parameters(tmpl, env.get("parameters") or {}, env.get("parameter_defaults") or {}, None,
                              strict=False, validate=False)


def token_source(row: dict[str, Any]) -> Any:
    trust_id = row.get("trust_id")

    def get() -> str:
        if not trust_id:
            raise ValidationError("The stack has no trust to act with.")
        return service_auth.trust_token(SERVICE, trust_id)
    return get


def clients_for(row: dict[str, Any]) -> Clients:
    return Clients(token_source(row), row["project_id"])


def plugin_class_for(rtype: str) -> type[Resource]:
    if rtype in REGISTRY:
        return REGISTRY[rtype]
    if "::" not in rtype or environment.is_template_type(rtype, {}):
        return REGISTRY["OS::Heat::TemplateResource"]
    raise ValidationError(f"The Resource Type ({rtype}) could not be found.")


def plugin_class(rtype: str, files: dict[str, str]) -> type[Resource]:
    return plugin_class_for(rtype)


def custom(scope: Any) -> Any:
    def check(name: str, value: Any) -> str | None:
        checker = CONSTRAINTS.get(name)
        return checker(scope.clients, value) if checker is not None else None
    return check


# --- starting operations ------------------------------------------------------------------
def enqueue(conn: Any, stack_id: str, traversal: int) -> None:
    jobs.enqueue(conn, KIND, {"stack_id": stack_id, "traversal": traversal}, max_attempts=3)


def insert_stack(conn: Any, *, name: str, project_id: str, user_id: str | None, username: str | None,
                 template: dict[str, Any], env: dict[str, Any], files: dict[str, str], trust_id: str | None,
                 timeout_mins: int | None, disable_rollback: bool, tags: list[str], owner: dict[str, Any] | None = None,
                 op: dict[str, Any] | None = None, action: str = "CREATE", stack_id: str | None = None) -> str:
    from pocketstack.services.orchestration.tables import stack_tags
    sid = stack_id or new_uuid()
    now = utcnow()
    conn.execute(stacks.insert().values(
        id=sid, name=name, project_id=project_id, user_id=user_id, username=username,
        owner_id=owner["id"] if owner else None, parent_resource=(op or {}).get("parent_resource"),
        root_id=(owner.get("root_id") or owner["id"]) if owner else sid,
        nested_depth=(owner["nested_depth"] + 1) if owner else 0, action=action, status="IN_PROGRESS",
        status_reason=f"Stack {action} started", template=template, environment=env, files=files, traversal=1,
        disable_rollback=disable_rollback, timeout_mins=timeout_mins, op_started_at=now, trust_id=trust_id,
        op={**(op or {}), "signal_key": secrets.token_hex(16)}, created_at=now))
    for tag in tags:
        conn.execute(stack_tags.insert().values(stack_id=sid, tag=tag))
    tmpl = Template(template, files)
    for res_name, d in tmpl.resource_defs().items():
        conn.execute(resources.insert().values(**new_resource_row(sid, res_name, d.type, 0)))
    stack_event(conn, {"id": sid, "name": name}, action, "IN_PROGRESS", f"Stack {action} started")
    enqueue(conn, sid, 1)
    return sid


def begin(conn: Any, row: dict[str, Any], action: str, **values: Any) -> int:
    traversal = row["traversal"] + 1
    set_stack(conn, row["id"], action=action, status="IN_PROGRESS", status_reason=f"Stack {action} started",
              traversal=traversal, op_started_at=utcnow(), **values)
    stack_event(conn, row, action, "IN_PROGRESS", f"Stack {action} started")
    enqueue(conn, row["id"], traversal)
    return traversal


# --- the job -----------------------------------------------------------------------------
def run(payload: dict[str, Any]) -> float | None:
    with db.reader() as conn:
        row = load_stack(conn, payload["stack_id"])
        if row is None or row["traversal"] != payload["traversal"] or row["status"] != "IN_PROGRESS":
            return None
        rows = load_resources(conn, row["id"])
    timeout = row.get("timeout_mins")
    if timeout and row.get("op_started_at") and (utcnow() - row["op_started_at"]).total_seconds() > timeout * 60:
        return fail(row, "Timed out")
    if (row.get("op") or {}).get("cancel"):
        return fail(row, f"Stack {row['action']} cancelled", rollback=(row["op"]["cancel"] == "rollback"))
    return Pass(OPS, row, rows).run()


def on_failure(payload: dict[str, Any], error: str) -> None:
    with db.reader() as conn:
        row = load_stack(conn, payload["stack_id"])
    if row is not None and row["traversal"] == payload["traversal"] and row["status"] == "IN_PROGRESS":
        fail(row, f"Error: {error}", rollback=False)


def complete(row: dict[str, Any]) -> None:
    action = row["action"]
    values: dict[str, Any] = {"status": "COMPLETE", "status_reason": f"Stack {action} completed successfully"}
    if action in ("UPDATE", "ROLLBACK"):
        values.update(prev_template=None, prev_environment=None, prev_files=None)
    if action == "DELETE":
        values["deleted_at"] = utcnow()
    with db.session() as conn:
        set_stack(conn, row["id"], **values)
        stack_event(conn, row, action, "COMPLETE", values["status_reason"])
    if action == "DELETE" and row.get("trust_id") and not row.get("owner_id"):
        _delete_trust(row["trust_id"])
    return None


def _abort_busy(row: dict[str, Any]) -> None:
    """Resources still in progress when the operation fails: their plugins cancel what they started
    (a deployment goes FAILED), and they end FAILED ("CREATE aborted"), as Heat's task runner does."""
    with db.reader() as conn:
        rows = [r for r in load_resources(conn, row["id"])
                if r["status"] == "IN_PROGRESS" and r["traversal"] == row["traversal"]]
    if not rows:
        return
    scope = read_scope(row["id"])
    for r in rows:      # no transaction open across the calls the plugins make to other services
        inst = scope.instance(r["name"], r) if scope is not None else None
        cancel = getattr(inst, f"handle_{r['action'].lower()}_cancel", None)
        try:
            if cancel is not None:
                cancel()
        except Exception:  # noqa: BLE001 - cancelling is best effort, the failure stands
            LOG.warning("cancelling %s of stack %s failed", r["name"], row["id"], exc_info=True)
    with db.session() as conn:
        for r in rows:
            reason = f"{r['action']} aborted"
            conn.execute(resources.update().where(resources.c.id == r["id"]).values(
                status="FAILED", status_reason=reason, updated_at=utcnow()))
            conn.execute(events.insert().values(**event_values(row["id"], r["name"], r["physical_resource_id"],
                                                               r["type"], r["action"], "FAILED", reason)))


def fail(row: dict[str, Any], reason: str, rollback: bool = True) -> float | None:
    _abort_busy(row)
    action = row["action"]
    op = row.get("op") or {}
    if rollback and action in ("CREATE", "UPDATE") and not row["disable_rollback"]:
        with db.session() as conn:
            stack_event(conn, row, action, "FAILED", reason)
            values: dict[str, Any] = {"op": {**op, "rollback_of": action, "cancel": None}}
            if action == "UPDATE" and row.get("prev_template") is not None:
                values.update(template=row["prev_template"], environment=row["prev_environment"],
                              files=row["prev_files"] or {})
            begin(conn, row, "ROLLBACK", **values)
        return None
    with db.session() as conn:
        set_stack(conn, row["id"], status="FAILED", status_reason=reason, op={**op, "cancel": None})
        stack_event(conn, row, action, "FAILED", reason)
    return None


def _delete_trust(trust_id: str) -> None:
    """The trust goes with the last live stack that acts with it (a stack and its nested stacks)."""
    with db.reader() as conn:
        if conn.execute(sa.select(stacks.c.id).where(stacks.c.trust_id == trust_id,
                                                     stacks.c.deleted_at.is_(None))).first() is not None:
            return
    try:
        internal_client.call("DELETE", f"/identity/v3/OS-TRUST/trusts/{trust_id}",
                             token=service_auth.token(SERVICE))
    except Exception:  # noqa: BLE001 - a trust left behind expires with its owner; never fail a delete on it
        LOG.warning("could not delete trust %s", trust_id, exc_info=True)
    service_auth.forget_trust(SERVICE, trust_id)


# --- nested stacks --------------------------------------------------------------------------
def create(scope: Any, resource: Resource, template: dict[str, Any], params: dict[str, Any],
           files: dict[str, str] | None, env: dict[str, Any] | None) -> str:
    parent = scope.row
    child_env = environment.merge(_inherited_env(parent), env or {})
    child_env["parameters"] = {**(child_env.get("parameters") or {}), **params}
    path = [*((parent.get("op") or {}).get("path") or []), resource.name]
    with db.session() as conn:
        return insert_stack(
            conn, name=f"{parent['name']}-{resource.name}-{resource.random_string(12).lower()}",
            project_id=parent["project_id"], user_id=parent["user_id"], username=parent["username"],
            template=template, env=child_env, files={**scope.files, **(files or {})}, trust_id=parent["trust_id"],
            timeout_mins=parent["timeout_mins"], disable_rollback=True, tags=[], owner=parent,
            op={"path": path, "parent_resource": resource.name, "facade": _facade(scope, resource)})


def _inherited_env(parent: dict[str, Any]) -> dict[str, Any]:
    env = parent.get("environment") or {}
    return {"resource_registry": env.get("resource_registry") or {}, "parameter_defaults": {},
            "event_sinks": env.get("event_sinks") or []}


def _facade(scope: Any, resource: Resource) -> dict[str, Any]:
    d = scope.defs.get(resource.name)
    if d is None:
        return {}
    return {"metadata": scope.resolve(d.metadata, []) if d.metadata else {},
            "deletion_policy": d.deletion_policy, "update_policy": d.update_policy or {}}


def update(scope: Any, resource: Resource, stack_id: str, template: dict[str, Any], params: dict[str, Any],
           files: dict[str, str] | None, env: dict[str, Any] | None) -> None:
    with db.session() as conn:
        row = load_stack(conn, stack_id)
        if row is None:
            raise ValidationError(f"The Stack ({stack_id}) could not be found.")
        child_env = environment.merge(_inherited_env(scope.row), env or {})
        child_env["parameters"] = {**(child_env.get("parameters") or {}), **params}
        begin(conn, row, "UPDATE", template=template, environment=child_env,
              files={**scope.files, **(files or {})}, prev_template=row["template"],
              prev_environment=row["environment"], prev_files=row["files"],
              op={**(row.get("op") or {}), "facade": _facade(scope, resource), "rollback_of": None})


def delete(stack_id: str) -> None:
    with db.session() as conn:
        row = load_stack(conn, stack_id)
        if row is None or row["deleted_at"] is not None or (row["action"] == "DELETE" and row["status"] != "FAILED"):
            return
        begin(conn, row, "DELETE")


def state(stack_id: str) -> tuple[str, str, str] | None:
    with db.reader() as conn:
        row = conn.execute(sa.select(stacks.c.action, stacks.c.status, stacks.c.status_reason, stacks.c.deleted_at)
                           .where(stacks.c.id == stack_id)).first()
    if row is None or row.deleted_at is not None:
        return None
    return row.action, row.status, row.status_reason or ""


def read_scope(stack_id: str) -> Any:
    """A stack's scope for reading (outputs, references, attributes), without an operation."""
    with db.reader() as conn:
        row = load_stack(conn, stack_id)
        rows = load_resources(conn, stack_id) if row is not None else []
    if row is None:
        return None
    p = Pass.__new__(Pass)
    Pass.__init__(p, OPS, {**row, "action": "CHECK" if row["action"] == "DELETE" else row["action"]}, rows)
    return p.scope


class OutputError(Exception):
    """An output of a nested stack that could not be resolved."""


def outputs(stack_id: str) -> dict[str, Any]:
    scope = read_scope(stack_id)
    if scope is None:
        return {}
    out = {}
    for key, spec in (scope.tmpl.outputs or {}).items():
        try:
            out[key] = scope.resolve((spec or {}).get("value" if scope.tmpl.hot else "Value"), ["outputs", key])
        except Exception as exc:  # noqa: BLE001 - the parent reads the error where it uses the output
            out[key] = OutputError(str(exc))
    return out


def refs(stack_id: str) -> dict[str, Any]:
    scope = read_scope(stack_id)
    return {} if scope is None else {n: scope.get_resource(n) for n in scope.rows}


def attr(stack_id: str, name: str, attribute: str | None, path: list[Any]) -> Any:
    scope = read_scope(stack_id)
    return None if scope is None else scope.get_attr(name, attribute, path)


def signal_signature(stack: dict[str, Any], resource_name: str) -> str:
    key = ((stack.get("op") or {}).get("signal_key") or stack["id"]).encode()
    return hmac.new(key, f"{stack['id']}/{resource_name}".encode(), hashlib.sha256).hexdigest()


def signal_url(scope: Any, resource: Resource) -> str:
    """A pre-signed URL a server posts to without a token (Heat's CFN signal URLs, /heat-api-cfn)."""
    sig = signal_signature(scope.row, resource.name)
    return (f"{internal_client.public_base_url()}/heat-api-cfn/v1/signal/{scope.id}/"
            f"{quote(resource.name, safe='')}?signature={sig}")


class _Ops:
    """The engine's services to a pass and to plugins, as one object (no globals in Pass)."""
    parameters = staticmethod(parameters)
    clients_for = staticmethod(clients_for)
    plugin_class_for = staticmethod(plugin_class_for)
    plugin_class = staticmethod(plugin_class)
    custom = staticmethod(custom)
    complete = staticmethod(complete)
    fail = staticmethod(fail)
    create = staticmethod(create)
    update = staticmethod(update)
    delete = staticmethod(delete)
    state = staticmethod(state)
    outputs = staticmethod(outputs)
    refs = staticmethod(refs)
    attr = staticmethod(attr)
    signal_url = staticmethod(signal_url)


OPS = _Ops()


def startup(settings: Any) -> None:
    jobs.register(KIND, run, on_failure)
