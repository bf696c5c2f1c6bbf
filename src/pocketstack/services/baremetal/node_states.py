"""Node states and actions: /v1/nodes/{node}/states/*, /maintenance, /management/*, /validate
(api-ref: baremetal, Node State Summary; Change Node Power State; Change Node Provision State;
Node Management; ironic/api/controllers/v1/node.py NodeStatesController and friends)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, MethodNotAllowed, NotAcceptable
from pocketstack.core.http import empty
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common, drivers, node_views, provisioning, runbooks
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import node_traits, nodes

POWER_TARGETS = ("power on", "power off", "rebooting", "soft rebooting", "soft power off")
BOOT_DEVICES = ["pxe", "disk", "cdrom", "bios", "safe"]
STEP_INTERFACES = ("power", "management", "deploy", "firmware", "bios", "raid")


# --- logic -------------------------------------------------------------------
def _node(conn: Any, ctx: Context, rq: ApiRequest) -> Any:
    return common.find_node(conn, ctx, rq.params["node_ident"])


def _settled(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        node_uuid = _node(conn, ctx, rq)["uuid"]
    common.wait_unlocked(node_uuid)


def _locked(row: Any) -> None:
    if row["reservation"]:
        raise Conflict(f"Node {row['uuid']} is locked by host {row['reservation']}, please retry after the current "
                       "operation is completed.")


def _accepted(ctx: Context, rq: ApiRequest) -> Response:
    url = common.build_url(common.public_url(ctx, rq), "nodes", f"{rq.params['node_ident']}/states")
    return empty(202, {"Location": url})


def _body(rq: ApiRequest) -> dict[str, Any]:
    if not isinstance(rq.body, dict):
        raise BadRequest("Missing argument: \"target\"")
    return rq.body


def _check_steps(steps: Any, kind: str) -> None:
    if not isinstance(steps, list):
        raise BadRequest(f"Invalid {kind}_steps: {steps} is not of type 'array'")
    for step in steps:
        if not isinstance(step, dict) or not isinstance(step.get("step"), str) or not step.get("step") \
                or step.get("interface") not in STEP_INTERFACES:
            raise BadRequest(f"Invalid {kind}_steps: {step} is not valid under the schema of {kind} steps")
        extra = set(step) - {"interface", "step", "args", "order", "priority", "execute_on_child_nodes",
                             "limit_child_node_execution"}
        if extra:
            raise BadRequest(f"Invalid {kind}_steps: Additional properties are not allowed "
                             f"({', '.join(sorted(extra))} were unexpected)")


def _use_runbook(ctx: Context, row: Any, target: str, body: dict[str, Any]) -> None:
    """_handle_runbook: the runbook's steps stand in for clean_steps or service_steps (not both)."""
    with db.reader() as conn:
        traits = [t for (t,) in conn.execute(sa.select(node_traits.c.trait).where(
            node_traits.c.node_uuid == row["uuid"]))]
        steps, disable_ramdisk = runbooks.steps_for_node(conn, ctx, body["runbook"], row, traits)
    body["disable_ramdisk"] = disable_ramdisk
    key = "service_steps" if target == "service" else "clean_steps"
    if target in ("clean", "service"):
        if body.get(key):
            raise BadRequest(f'Please provide either "{key}" or a runbook, but not both.')
        body[key] = steps
    else:
        body["clean_steps"] = steps      # so that the verb is refused as ironic refuses it


def _check_disable_ramdisk(ctx: Context, target: str, disable_ramdisk: Any) -> None:
    """check_allow_disable_ramdisk: clean from 1.70, service from 1.108, nothing else."""
    if disable_ramdisk is None:
        return
    if target in ("clean", "service"):
        if ctx.version < (v.CLEAN_DISABLE_RAMDISK if target == "clean" else v.SERVICE_DISABLE_RAMDISK):
            raise NotAcceptable("disable_ramdisk is not acceptable in this API version")
        return
    raise BadRequest("disable_ramdisk is supported only with manual cleaning or servicing")


def _provision_checks(ctx: Context, row: Any, target: str, body: dict[str, Any]) -> None:
    verb = provisioning.VERBS.get(target)
    if verb is None:
        raise BadRequest(f"The requested action \"{target}\" can not be performed on node \"{row['uuid']}\" while "
                         f"it is in state \"{row['provision_state']}\".")
    if target in v.VERB_VERSIONS and ctx.version < v.VERB_VERSIONS[target]:
        raise NotAcceptable("Request not acceptable.")
    if body.get("runbook") is not None:
        common.require(ctx, v.RUNBOOKS)
    if body.get("clean_steps") and body.get("runbook") is None:
        common.authorize(ctx, "baremetal:node:set_provision_state:clean_steps", common.node_policy_target(row))
    if target in ("active", "rebuild", "deploy") and row["maintenance"]:
        raise BadRequest(f"The provisioning operation can't be performed on node {row['uuid']} because it's in "
                         "maintenance mode.")
    if provisioning.next_state(row["provision_state"], target) is None:
        _locked(row)
        raise BadRequest(f"The requested action \"{target}\" can not be performed on node \"{row['uuid']}\" while "
                         f"it is in state \"{row['provision_state']}\".")
    if body.get("configdrive") is not None and target not in ("active", "rebuild", "deploy"):
        raise BadRequest(f"Adding a config drive is only supported when setting provision state to active or "
                         f"rebuild. Requested provision state: {target}")
    if body.get("runbook") is not None:
        _use_runbook(ctx, row, target, body)
    _check_disable_ramdisk(ctx, target, body.get("disable_ramdisk"))
    if body.get("clean_steps") is not None and target != "clean":
        if body.get("runbook") is not None:
            raise BadRequest("\"runbooks\" is only valid when setting target provision state to any of "
                             "['clean', 'service']")
        raise BadRequest('"clean_steps" is only valid when setting target provision state to clean')
    if target == "abort" and row["provision_state"] == "wait call-back" and ctx.version < v.DEPLOYWAIT_ABORT:
        raise NotAcceptable("Request not acceptable.")
    if body.get("service_steps") is not None and target != "service":
        raise BadRequest('"service_steps" is only valid when setting target provision state to service')
    if body.get("rescue_password") is not None and target != "rescue":
        raise BadRequest('"rescue_password" is only valid when setting target provision state to rescue')
    if target == "clean":
        if not body.get("clean_steps"):
            raise BadRequest('"clean_steps" is required when setting target provision state to clean')
        _check_steps(body["clean_steps"], "clean")
    if target == "service":
        if not body.get("service_steps"):
            raise BadRequest('"service_steps" is required when setting target provision state to service')
        _check_steps(body["service_steps"], "service")
    if target == "rescue" and not (isinstance(body.get("rescue_password"), str) and body["rescue_password"].strip()):
        raise BadRequest('A non-empty "rescue_password" is required when setting target provision state to rescue')
    if row["protected"] and target in ("rebuild", "deleted", "undeploy", "rescue"):
        raise Forbidden(f"Node {row['uuid']} is protected and cannot be undeployed, rebuilt or deleted")
    _locked(row)


def change_provision(conn: Any, ctx: Context, row: Any, target: str, body: dict[str, Any]) -> None:
    verb = provisioning.VERBS[target]
    new = provisioning.next_state(row["provision_state"], target)
    assert new is not None
    if new in ("manageable", "active", "deploy failed", "clean failed", "inspect failed", "rescue failed",
               "service failed", "wait call-back", "clean wait", "service wait"):
        provisioning.settle(conn, row, new)       # manage from available or a failure, abort, unhold
        return
    values: dict[str, Any] = {}
    if new == "deploying":
        info = dict(row["instance_info"] or {})
        if body.get("configdrive") is not None:
            info["configdrive"] = body["configdrive"]
        values["instance_info"] = info
        if body.get("deploy_steps"):
            values["driver_internal_info"] = {**(row["driver_internal_info"] or {}),
                                              "user_deploy_steps": body["deploy_steps"]}
    if new == "cleaning":
        steps = body.get("clean_steps")
        values["driver_internal_info"] = {**(row["driver_internal_info"] or {}), "clean_steps": steps}
        target_state = "manageable" if verb == "clean" else "available"
        provisioning.start(conn, row, new, target=target_state, **values)
        return
    if new == "inspecting":
        values["inspection_started_at"] = utcnow()
        values["inspection_finished_at"] = None
    provisioning.start(conn, row, new, **values)


# --- routes ------------------------------------------------------------------
def show_states(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
    return node_views.render_states(ctx, row)


def set_provision_state(ctx: Context, rq: ApiRequest) -> Response:
    body = _body(rq)
    _settled(ctx, rq)
    target = body.get("target")
    if not isinstance(target, str):
        raise BadRequest("Missing argument: \"target\"" if target is None else f"Invalid target: {target}")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _provision_checks(ctx, row, target, body)
        change_provision(conn, ctx, row, target, body)
    return _accepted(ctx, rq)


def set_power_state(ctx: Context, rq: ApiRequest) -> Response:
    body = _body(rq)
    _settled(ctx, rq)
    target, timeout = body.get("target"), body.get("timeout")
    if (target in ("soft rebooting", "soft power off") or timeout is not None) and ctx.version < v.SOFT_POWER:
        raise NotAcceptable("Request not acceptable.")
    if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
        raise BadRequest("timeout has to be positive integer")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        if target not in POWER_TARGETS:
            raise BadRequest(f"The requested action \"{target}\" can not be performed on node "
                             f"\"{rq.params['node_ident']}\" while it is in state \"{row['power_state']}\".")
        if row["provision_state"] in ("clean wait", "cleaning"):
            raise BadRequest(f"The requested action \"{target}\" can not be performed on node "
                             f"\"{rq.params['node_ident']}\" while it is in state \"{row['provision_state']}\".")
        if target in ("power off", "soft power off") and row["disable_power_off"]:
            raise Conflict(f"Failed to set node power state to {target}.")
        _locked(row)
        provisioning.start_power(conn, row, target)
    return _accepted(ctx, rq)


def set_raid_config(ctx: Context, rq: ApiRequest) -> None:
    common.require(ctx, v.RAID_CONFIG)
    config = rq.body
    if not isinstance(config, dict):
        raise BadRequest("Invalid RAID configuration")
    if config and not isinstance(config.get("logical_disks"), list):
        raise BadRequest("RAID config validation error: 'logical_disks' is a required property")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(target_raid_config=config,
                                                                               updated_at=utcnow()))


def set_maintenance(ctx: Context, rq: ApiRequest) -> Response:
    reason = (rq.body or {}).get("reason") if isinstance(rq.body, dict) else rq.query.get("reason")
    reason = reason if reason is not None else rq.query.get("reason")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(
            maintenance=True, maintenance_reason=reason, fault=None, updated_at=utcnow()))
    return empty(202)


def clear_maintenance(ctx: Context, rq: ApiRequest) -> Response:
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(
            maintenance=False, maintenance_reason=None, fault=None, updated_at=utcnow()))
    return empty(202)


def show_boot_device(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
    return {"boot_device": row["boot_device"] or "pxe", "persistent": row["boot_persistent"]}


def show_supported_boot_devices(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        _node(conn, ctx, rq)
    return {"supported_boot_devices": list(BOOT_DEVICES)}


def set_boot_device(ctx: Context, rq: ApiRequest) -> None:
    _settled(ctx, rq)
    body = rq.body if isinstance(rq.body, dict) else {}
    device, persistent = body.get("boot_device"), body.get("persistent", False)
    if isinstance(persistent, str):
        persistent = persistent.lower() in ("true", "1", "yes", "on", "t", "y")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        if device not in BOOT_DEVICES:
            raise BadRequest(f"Invalid boot device {device} specified.")
        _locked(row)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(
            boot_device=device, boot_persistent=bool(persistent), updated_at=utcnow()))


def set_boot_mode(ctx: Context, rq: ApiRequest) -> Response:
    common.hidden(ctx, v.CHANGE_BOOT_MODE)
    target = _body(rq).get("target")
    if target not in ("uefi", "bios"):
        raise BadRequest(f"Invalid boot mode {target} requested for node.")
    _settled(ctx, rq)
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _locked(row)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(boot_mode=target, updated_at=utcnow()))
    return _accepted(ctx, rq)


def set_secure_boot(ctx: Context, rq: ApiRequest) -> Response:
    common.hidden(ctx, v.CHANGE_BOOT_MODE)
    target = _body(rq).get("target")
    if not isinstance(target, bool):
        raise BadRequest(f"Invalid secure boot {target} requested for node.")
    _settled(ctx, rq)
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _locked(row)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(secure_boot=target,
                                                                               updated_at=utcnow()))
    return _accepted(ctx, rq)


def no_such_state_action(ctx: Context, rq: ApiRequest) -> None:
    raise MethodNotAllowed("The method is not allowed for the requested URL.")


def inject_nmi(ctx: Context, rq: ApiRequest) -> None:
    common.require(ctx, v.INJECT_NMI)
    with db.reader() as conn:
        _locked(_node(conn, ctx, rq))


def validate_node(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
    out: dict[str, Any] = {}
    bmc = provisioning.bmc_error(row)
    for kind in drivers.INTERFACES:
        if kind in drivers.INTERFACE_SINCE and ctx.version < drivers.INTERFACE_SINCE[kind]:
            continue
        name = row[f"{kind}_interface"] or ""
        if name.startswith("no-"):
            out[kind] = {"result": None, "reason": "not supported"}
        elif bmc and kind in ("power", "management", "console"):
            out[kind] = {"result": False, "reason": bmc.strip()}
        elif kind == "deploy" and row["driver"] == "ipmi" and not (row["instance_info"] or {}).get("image_source"):
            out[kind] = {"result": False, "reason": "Some parameters were missing in node's instance_info. "
                                                    "Missing are: ['image_source']"}
        else:
            out[kind] = {"result": True}
    return out


def show_console(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = _node(conn, ctx, rq)
    info = {"type": "shellinabox", "url": f"http://127.0.0.1:8023/{row['uuid']}"} if row["console_enabled"] else None
    return {"console_enabled": row["console_enabled"], "console_info": info}


def set_console(ctx: Context, rq: ApiRequest) -> Response:
    enabled = (rq.body or {}).get("enabled") if isinstance(rq.body, dict) else None
    if isinstance(enabled, str):
        enabled = enabled.lower() in ("true", "1", "yes", "on", "t", "y")
    if not isinstance(enabled, bool):
        raise BadRequest("Missing argument: \"enabled\"")
    with db.session() as conn:
        row = _node(conn, ctx, rq)
        _locked(row)
        conn.execute(nodes.update().where(nodes.c.uuid == row["uuid"]).values(console_enabled=enabled,
                                                                               updated_at=utcnow()))
    return _accepted(ctx, rq)


N = "/v1/nodes/{node_ident}"
T = common.node_target()
ROUTES = [
    route("GET", N + "/states", show_states, policy="baremetal:node:get_states", target=T),
    route("PUT", N + "/states/provision", set_provision_state, policy="baremetal:node:set_provision_state",
          target=T, status=202),
    route("PUT", N + "/states/power", set_power_state, policy="baremetal:node:set_power_state", target=T,
          status=202),
    route("PUT", N + "/states/raid", set_raid_config, policy="baremetal:node:set_raid_state", target=T,
          status=204),
    route("PUT", N + "/states/boot_mode", set_boot_mode, policy="baremetal:node:set_boot_mode", target=T,
          status=202),
    route("PUT", N + "/states/secure_boot", set_secure_boot, policy="baremetal:node:set_secure_boot", target=T,
          status=202),
    route("GET", N + "/states/console", show_console, policy="baremetal:node:get_console", target=T),
    # quirk: pecan also routes the node after the action (NodeConsoleController.get(node_ident))
    route("GET", "/v1/nodes/states/console/{node_ident}", show_console, policy="baremetal:node:get_console",
          target=T),
    route("PUT", N + "/states/console", set_console, policy="baremetal:node:set_console_state", target=T,
          status=202),
    route("PUT", N + "/maintenance", set_maintenance, policy="baremetal:node:set_maintenance", target=T,
          status=202),
    route("DELETE", N + "/maintenance", clear_maintenance, policy="baremetal:node:clear_maintenance", target=T,
          status=202),
    route("GET", N + "/management/boot_device", show_boot_device, policy="baremetal:node:get_boot_device",
          target=T),
    route("GET", N + "/management/boot_device/supported", show_supported_boot_devices,
          policy="baremetal:node:get_boot_device", target=T),
    route("PUT", N + "/management/boot_device", set_boot_device, policy="baremetal:node:set_boot_device",
          target=T, status=204),
    route("PUT", N + "/management/inject_nmi", inject_nmi, policy="baremetal:node:inject_nmi", target=T,
          status=204),
    route("GET", N + "/validate", validate_node, policy="baremetal:node:validate", target=T),
    # quirk: pecan knows the states controller, not this action, and answers 405
    route("PUT", N + "/states/{action}", no_such_state_action, policy=ANY_USER),
]
