"""The provision state machine (ironic/common/states.py, state_machine.py) and the conductor's work,
as durable jobs: a verb moves a node into a transitional state and reserves it; the job finishes the
transition (or fails it into the matching failure state with last_error) and releases it.

The fake BMC: every hardware type answers power requests from the node's stored power state, except
that an `ipmi` node without `driver_info.ipmi_address` cannot be reached, as a real one could not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, jobs
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_id, new_uuid
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal.tables import (
    allocations, node_history, node_traits, nodes, portgroups, ports, volume_connectors, volume_targets)

JOB = "baremetal.provision"
POWER_JOB = "baremetal.power"
DELAY = {"value": 0.0}        # seconds each conductor step takes (settings: baremetal.step_delay)

# (state, event) -> new state: the transitions of ironic's machine that the API can trigger
TRANSITIONS: dict[tuple[str, str], str] = {
    ("available", "deploy"): "deploying", ("deploy failed", "deploy"): "deploying",
    ("deploy failed", "rebuild"): "deploying", ("active", "rebuild"): "deploying",
    ("error", "rebuild"): "deploying",
    ("active", "delete"): "deleting", ("wait call-back", "delete"): "deleting",
    ("deploy failed", "delete"): "deleting", ("error", "delete"): "deleting", ("rescue", "delete"): "deleting",
    ("rescue failed", "delete"): "deleting", ("rescue wait", "delete"): "deleting",
    ("unrescue failed", "delete"): "deleting", ("service failed", "delete"): "deleting",
    ("service wait", "delete"): "deleting",
    ("clean failed", "manage"): "manageable", ("available", "manage"): "manageable",
    ("inspect failed", "manage"): "manageable", ("adopt failed", "manage"): "manageable",
    ("enroll", "manage"): "verifying",
    ("manageable", "provide"): "cleaning", ("manageable", "clean"): "cleaning",
    ("manageable", "inspect"): "inspecting", ("inspect failed", "inspect"): "inspecting",
    ("manageable", "adopt"): "adopting", ("adopt failed", "adopt"): "adopting",
    ("active", "rescue"): "rescuing", ("rescue", "rescue"): "rescuing", ("rescue failed", "rescue"): "rescuing",
    ("unrescue failed", "rescue"): "rescuing", ("service failed", "rescue"): "rescuing",
    ("rescue", "unrescue"): "unrescuing", ("rescue failed", "unrescue"): "unrescuing",
    ("unrescue failed", "unrescue"): "unrescuing",
    ("active", "service"): "servicing", ("service hold", "service"): "servicing",
    ("service failed", "service"): "servicing",
    ("wait call-back", "abort"): "deploy failed", ("deploy hold", "abort"): "deploy failed",
    ("clean wait", "abort"): "clean failed", ("clean hold", "abort"): "clean failed",
    ("inspect wait", "abort"): "inspect failed", ("rescue wait", "abort"): "rescue failed",
    ("service wait", "abort"): "service failed", ("service hold", "abort"): "service failed",
    ("service failed", "abort"): "active",
    ("deploy hold", "unhold"): "wait call-back", ("clean hold", "unhold"): "clean wait",
    ("service hold", "unhold"): "service wait",
}
VERBS = {"active": "deploy", "deploy": "deploy", "deleted": "delete", "undeploy": "delete", "manage": "manage",
         "provide": "provide", "inspect": "inspect", "abort": "abort", "clean": "clean", "adopt": "adopt",
         "rescue": "rescue", "unrescue": "unrescue", "unhold": "unhold", "service": "service",
         "rebuild": "rebuild"}
# transitional state -> (the state it ends in, the failure state, what the failure is called)
FINISH = {"deploying": ("active", "deploy failed", "deploy"), "deleting": ("cleaning", "error", "tear down"),
          "verifying": ("manageable", "enroll", "verify"), "inspecting": ("manageable", "inspect failed", "inspect"),
          "adopting": ("active", "adopt failed", "adopt"), "rescuing": ("rescue", "rescue failed", "rescue"),
          "unrescuing": ("active", "unrescue failed", "unrescue"),
          "servicing": ("active", "service failed", "service"), "cleaning": ("", "clean failed", "clean")}
TARGETS = {"deploying": "active", "deleting": "available", "verifying": "manageable", "inspecting": "manageable",
           "adopting": "active", "rescuing": "rescue", "unrescuing": "active", "servicing": "active"}
STABLE = {"enroll", "manageable", "available", "active", "error", "rescue"}
POWER_ON, POWER_OFF = "power on", "power off"


def next_state(state: str | None, verb: str) -> str | None:
    return TRANSITIONS.get((state or "", VERBS.get(verb, verb)))


# --- the fake BMC --------------------------------------------------------------
def bmc_error(node: Any) -> str | None:
    if node["driver"] == "ipmi" and not (node["driver_info"] or {}).get("ipmi_address"):
        return ("Missing the following IPMI credentials in node's driver_info: ['ipmi_address']. ")
    return None


# --- logic -----------------------------------------------------------------------
def start(conn: Any, node: Any, new_state: str, *, target: str | None = None, **values: Any) -> None:
    """Enter a transitional state, reserve the node and queue the conductor's job."""
    token = new_id()
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        provision_state=new_state, target_provision_state=target or TARGETS.get(new_state),
        reservation=common.CONDUCTOR, provision_updated_at=utcnow(), last_error=None, job_token=token,
        updated_at=utcnow(), **values))
    jobs.enqueue(conn, JOB, {"node": node["uuid"], "token": token}, delay=DELAY["value"], max_attempts=3)


def settle(conn: Any, node: Any, state: str, **values: Any) -> None:
    """A synchronous transition (manage from available, abort): no job, no reservation."""
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        provision_state=state, target_provision_state=None, reservation=None, provision_updated_at=utcnow(),
        updated_at=utcnow(), job_token=None, **values))


def _load(conn: Any, payload: dict[str, Any]) -> Any:
    node = conn.execute(sa.select(nodes).where(nodes.c.uuid == payload["node"])).mappings().first()
    if node is None or node["job_token"] != payload["token"]:
        return None                      # deleted or superseded (aborted): nothing left to do
    return node


def record_history(conn: Any, node: Any, event: str, event_type: str, *, error: bool = True,
                   user: str | None = None, project: str | None = None) -> None:
    """conductor/utils.py node_history_record: one event on the node's history, with the provision
    state it happened in and how long the node had been in it."""
    since = node["provision_updated_at"]
    duration = int((utcnow() - since).total_seconds()) if since else None
    conn.execute(node_history.insert().values(
        uuid=new_uuid(), node_uuid=node["uuid"], conductor=common.CONDUCTOR, user=user, project=project,
        severity="ERROR" if error else "INFO", event=event, event_type=event_type or "UNKNOWN",
        state=node["provision_state"], target_provision_state=node["target_provision_state"],
        duration_seconds=duration, created_at=utcnow()))


def _fail(conn: Any, node: Any, message: str) -> None:
    state = node["provision_state"]
    fail_state = FINISH.get(state, ("", "error", state))[1]
    values: dict[str, Any] = {}
    if state == "verifying":
        message = f"Failed to get power state for node {node['uuid']}. Error: {message}"
    record_history(conn, node, message, FINISH.get(state, ("", "", state))[2])
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        provision_state=fail_state, target_provision_state=None if fail_state in STABLE else
        node["target_provision_state"], reservation=None, last_error=message, provision_updated_at=utcnow(),
        updated_at=utcnow(), job_token=None, clean_step={}, deploy_step={}, service_step={}, **values))


def run_provision(payload: dict[str, Any]) -> float | None:
    with db.session() as conn:
        node = _load(conn, payload)
        if node is None:
            return None
        state = node["provision_state"]
        error = bmc_error(node) if state != "adopting" else None
        if state == "deploying" and node["driver"] == "ipmi" and not (node["instance_info"] or {}).get(
                "image_source"):
            error = ("Some parameters were missing in node's instance_info. Missing are: ['image_source']")
        if error:
            _fail(conn, node, error)
            return None
        if state == "deleting":
            if node["automated_clean"] is False:
                _finish(conn, node, "available", instance_info={}, instance_uuid=None, instance_name=None, power_state=POWER_OFF)
                return None
            conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
                provision_state="cleaning", target_provision_state="available", provision_updated_at=utcnow(),
                instance_info={}, instance_uuid=None, instance_name=None, power_state=POWER_OFF, updated_at=utcnow()))
            _release_vifs(conn, node["uuid"])
            _drop_allocation(conn, node["uuid"])
            return DELAY["value"]
        if state == "cleaning":
            _finish(conn, node, node["target_provision_state"] or "available", power_state=POWER_OFF)
        elif state in ("deploying", "adopting", "unrescuing", "servicing"):
            _finish(conn, node, "active", power_state=POWER_ON)
        elif state == "rescuing":
            _finish(conn, node, "rescue", power_state=POWER_ON)
        elif state == "verifying":
            _finish(conn, node, "manageable", power_state=node["power_state"] or POWER_OFF)
        elif state == "inspecting":
            _inspect(conn, node)
        return None


def _finish(conn: Any, node: Any, state: str, **values: Any) -> None:
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        provision_state=state, target_provision_state=None, reservation=None, provision_updated_at=utcnow(),
        updated_at=utcnow(), job_token=None, clean_step={}, deploy_step={}, service_step={}, **values))


def _inspect(conn: Any, node: Any) -> None:
    """Fake inspection finds what the properties already say, and the ports' MACs stay as they are."""
    props = dict(node["properties"] or {})
    props.setdefault("cpu_arch", "x86_64")
    props.setdefault("memory_mb", 4096)
    props.setdefault("local_gb", 40)
    props.setdefault("cpus", 2)
    _finish(conn, node, "manageable", properties=props, inspection_finished_at=utcnow())


def _drop_allocation(conn: Any, node_uuid: str) -> None:
    """Tearing a node down ends its allocation (conductor/deployments.py do_node_tear_down)."""
    conn.execute(allocations.delete().where(allocations.c.node_uuid == node_uuid))
    conn.execute(nodes.update().where(nodes.c.uuid == node_uuid).values(allocation_uuid=None))


def _release_vifs(conn: Any, node_uuid: str) -> None:
    for table in (ports, portgroups):
        for row in conn.execute(sa.select(table.c.uuid, table.c.internal_info).where(table.c.node_uuid == node_uuid)):
            info = dict(row.internal_info or {})
            if info.pop("tenant_vif_port_id", None) is not None:
                conn.execute(table.update().where(table.c.uuid == row.uuid).values(internal_info=info))


def provision_failed(payload: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        node = _load(conn, payload)
        if node is not None:
            _fail(conn, node, error)


# --- power -------------------------------------------------------------------------
def start_power(conn: Any, node: Any, target: str) -> None:
    token = new_id()
    conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
        target_power_state=POWER_OFF if target in ("soft power off",) else
        (POWER_ON if target in ("rebooting", "soft rebooting") else target),
        reservation=common.CONDUCTOR, job_token=token, last_error=None, updated_at=utcnow()))
    jobs.enqueue(conn, POWER_JOB, {"node": node["uuid"], "token": token, "target": target},
                 delay=DELAY["value"], max_attempts=3)


def run_power(payload: dict[str, Any]) -> None:
    with db.session() as conn:
        node = _load(conn, payload)
        if node is None:
            return
        error = bmc_error(node)
        values: dict[str, Any] = {"target_power_state": None, "reservation": None, "job_token": None,
                                  "updated_at": utcnow()}
        if error:
            values["last_error"] = (f"Failed to change power state to '{payload['target']}' by '"
                                    f"{payload['target']}'. Error: {error}")
            record_history(conn, node, values["last_error"], "power")
        else:
            values["power_state"] = POWER_OFF if payload["target"] in (POWER_OFF, "soft power off") else POWER_ON
        conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(**values))


def power_failed(payload: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        node = _load(conn, payload)
        if node is not None:
            conn.execute(nodes.update().where(nodes.c.uuid == node["uuid"]).values(
                target_power_state=None, reservation=None, job_token=None, last_error=error))


def startup(settings: Any) -> None:
    DELAY["value"] = float(settings.option("baremetal.step_delay", 0) or 0)
    jobs.register(JOB, run_provision, provision_failed)
    jobs.register(POWER_JOB, run_power, power_failed)


def delete_node_rows(conn: Any, node_uuid: str) -> None:
    conn.execute(ports.delete().where(ports.c.node_uuid == node_uuid))
    conn.execute(portgroups.delete().where(portgroups.c.node_uuid == node_uuid))
    conn.execute(node_traits.delete().where(node_traits.c.node_uuid == node_uuid))
    conn.execute(allocations.delete().where(allocations.c.node_uuid == node_uuid))
    conn.execute(volume_connectors.delete().where(volume_connectors.c.node_uuid == node_uuid))
    conn.execute(volume_targets.delete().where(volume_targets.c.node_uuid == node_uuid))
    conn.execute(node_history.delete().where(node_history.c.node_uuid == node_uuid))
    conn.execute(nodes.delete().where(nodes.c.uuid == node_uuid))
