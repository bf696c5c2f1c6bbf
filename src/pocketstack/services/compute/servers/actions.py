"""Server actions: POST /servers/{id}/action (api-ref: compute, Servers - run an action (servers, action)).

Each action checks nova's state rules (409 'Cannot ... while it is in vm_state ...'), sets the task state and
records an instance action; the ones nova runs asynchronously finish in a durable job (servers/manager.py).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, hosts, internal_client, schemas, service_auth
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.http import empty, json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common, drivers, flavors, floating_ips, migrations, quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import (
    consoles, image_meta, info_cache, logic, manager, network_api, personality, scheduler, views, volume_api,
    volume_backed)

P = "os_compute_api:"
HARD_REBOOT_STATES = ["active", "stopped", "paused", "suspended", "error"]
# body key -> (policy rule, nova's action name in messages, vm_states allowed, task_state while running)
ASYNC: dict[str, tuple[str, str, list[str], str]] = {
    "os-stop": (P + "servers:stop", "stop", ["active", "error"], "powering-off"),
    "os-start": (P + "servers:start", "start", ["stopped"], "powering-on"),
    "pause": (P + "os-pause-server:pause", "pause", ["active"], "pausing"),
    "unpause": (P + "os-pause-server:unpause", "unpause", ["paused"], "unpausing"),
    "suspend": (P + "os-suspend-server:suspend", "suspend", ["active"], "suspending"),
    "resume": (P + "os-suspend-server:resume", "resume", ["suspended"], "resuming"),
    "shelve": (P + "os-shelve:shelve", "shelve", ["active", "stopped", "paused", "suspended"], "shelving"),
    "shelveOffload": (P + "os-shelve:shelve_offload", "shelveOffload", ["shelved"], "shelving_offloading"),
    "unshelve": (P + "os-shelve:unshelve", "unshelve", ["shelved", "shelved_offloaded"], "unshelving"),
    "confirmResize": (P + "servers:confirm_resize", "confirmResize", ["resized"], "resize_finish"),
    "revertResize": (P + "servers:revert_resize", "revertResize", ["resized"], "resize_reverting"),
    "unrescue": (P + "os-rescue", "unrescue", ["rescued"], "unrescuing"),
}
JOB_ACTION = {"os-stop": "stop", "os-start": "start"}


def _start(ctx: Context, row: dict[str, Any], key: str, action: str, task: str | None, *, lock: bool = True,
           **payload: Any) -> None:
    """Set the task state, record the action (and the migration of a move: `migration=(type, new flavor)`),
    enqueue the job that finishes it."""
    migration = payload.pop("migration", None)
    with db.session() as conn:
        if lock:
            common.check_locked(ctx, row)
        common.set_server(conn, row["id"], task_state=task)
        action_id = common.record_action(conn, ctx, row["id"], action)
        if migration:
            migrations.record(conn, row, payload["migration_uuid"], *migration)
        # an evacuation's source is down: whichever host claims it schedules it (then hands it on)
        manager.enqueue_on(conn, {} if key == "evacuate" else row, manager.ACTION,
                           {"server_id": row["id"], "action": JOB_ACTION.get(key, key), "action_id": action_id,
                            "caller": service_auth.caller(ctx), **payload})


def schemas_check(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or any(not isinstance(k, str) or not 0 < len(k) <= 255 or
                                             not isinstance(val, str) or len(val) > 255
                                             for k, val in metadata.items()):
        raise BadRequest("Invalid input for field/attribute metadata.")


def _snapshot_image(ctx: Context, row: dict[str, Any], name: str, props: dict[str, str]) -> str:
    """The image a snapshot (createImage, shelve) fills: created now, its bytes uploaded by the job.
    Its disk format is the base image's, as nova copies it from the instance's image metadata."""
    disk_format = "raw"
    if row["image_id"]:
        base = internal_client.call("GET", f"/image/v2/images/{row['image_id']}", token=ctx.token)
        if base.status_code == 200 and base.json().get("disk_format"):
            disk_format = base.json()["disk_format"]
    image = {"name": name, "disk_format": disk_format, "container_format": "bare", "instance_uuid": row["id"],
             "image_type": "snapshot", "base_image_ref": row["image_id"] or "",
             "owner_specified.openstack.object": f"images/{name}", **props}
    return volume_backed.create_image(ctx, image)


def simple_action(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    _, name, states, task = ASYNC[key]
    common.check_state(row, name, states)
    if key == "shelve":
        image_id = _snapshot_image(ctx, row, f"{row['name']}-shelved", {"image_type": "snapshot"})
        with db.session() as conn:
            common.set_server(conn, row["id"], shelved_image_id=image_id)
    if key == "unshelve" and isinstance(body, dict) and body.get("availability_zone") not in (None, common.DEFAULT_AZ):
        raise BadRequest("The requested availability zone is not available")
    _start(ctx, row, key, name if key not in JOB_ACTION else key[3:], task)
    return empty(204) if key == "confirmResize" else None


def reboot(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    kind = str((body or {}).get("type", "")).upper()
    if kind not in ("SOFT", "HARD"):
        raise BadRequest("Argument 'type' for reboot must be a string with value 'SOFT' or 'HARD'")
    states = ["active"] if kind == "SOFT" else HARD_REBOOT_STATES
    common.check_state(row, "reboot", states, None if kind == "HARD" else (None,))
    _start(ctx, row, "reboot", "reboot", "rebooting" if kind == "SOFT" else "rebooting_hard")


def resize(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    common.check_state(row, "resize", ["active", "stopped"])
    with db.reader() as conn:
        flavor = logic._flavor(conn, ctx, body["flavorRef"])
        specs = flavors.specs_of(conn, [flavor["id"]])[flavor["id"]]
    if flavor["id"] == row["flavor_id"]:
        raise BadRequest("When resizing, instances must change flavor!")
    if flavor["disk"] < row["flavor"]["disk"] and flavor["disk"] != 0:
        raise BadRequest("Resize error: Unable to resize disk down.")
    with db.reader() as conn:
        quotas.check_delta(conn, row["project_id"], flavor["vcpus"] - row["flavor"]["vcpus"],
                           flavor["ram"] - row["flavor"]["ram"])
    if body.get("OS-DCF:diskConfig") in ("AUTO", "MANUAL"):
        with db.session() as conn:
            common.set_server(conn, row["id"], disk_config=body["OS-DCF:diskConfig"])
    _start(ctx, row, "resize", "resize", "resize_prep", flavor=flavors.embedded_flavor(flavor, specs),
           flavor_id=flavor["id"], migration_uuid=new_uuid(), migration=("resize", flavor["id"]))


def rebuild(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    personality.check_version(ctx, "rebuild", body)
    common.check_state(row, "rebuild", ["active", "stopped", "error"])
    image_id, image = logic._boot_image(ctx, {"imageRef": body.get("imageRef", "")})
    reimage = volume_backed.is_volume_backed(row) and ctx.version >= v.REBUILD_VOLUME_BACKED
    if volume_backed.is_volume_backed(row) and not reimage and volume_backed.root_image_id(ctx, row) != image_id:
        raise BadRequest(f"Image {image_id} is unacceptable: Unable to rebuild with a different image for a "
                         f"volume-backed server.")
    values = {k: body[k] for k in ("name", "description", "user_data", "key_name") if k in body}
    if "OS-DCF:diskConfig" in body:
        values["disk_config"] = body["OS-DCF:diskConfig"]
    if row["image_id"]:                 # nova's _reset_image_metadata: the new image's properties, at once
        values["image_properties"] = image_meta.properties(image)
    with db.session() as conn:
        # nova's files_to_inject: what this rebuild asks for, none when it asks for none
        values["injected_files"] = personality.injected_files(conn, ctx, body)
        common.set_server(conn, row["id"], **values)
        if "metadata" in body:
            conn.execute(t.server_metadata.delete().where(t.server_metadata.c.server_id == row["id"]))
            for k, val in body["metadata"].items():
                conn.execute(t.server_metadata.insert().values(server_id=row["id"], key=k, value=val))
    after = "stopped" if row["vm_state"] == "stopped" else "active"
    _start(ctx, row, "rebuild", "rebuild", "rebuilding", image_id=image_id, vm_state_after=after, reimage=reimage)
    server = views.show_body(ctx, rq, row["id"], changed="rebuild")
    # nova answers with the instance as the API saved it (task_state rebuilding); the job may be done already
    server["status"] = "REBUILD"
    if "OS-EXT-STS:task_state" in server:
        server["OS-EXT-STS:task_state"] = "rebuilding"
    server["adminPass"] = body.get("adminPass") or secrets.token_urlsafe(9)
    return json_response(202, {"server": server})


def rescue(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    """nova's compute API rescue: the rescue image's properties (else the server's) decide a stable device
    rescue (hw_rescue_device and hw_rescue_bus: the server's disks stay attached), the only kind a
    volume-backed server allows, from 2.87."""
    body = rescue_body(body)
    common.check_locked(ctx, row)
    common.check_state(row, "rescue", ["active", "stopped", "error"])
    image_ref = body.get("rescue_image_ref")
    props = row.get("image_properties") or {}
    if image_ref:
        try:
            image = logic._image(ctx, image_ref)
        except BadRequest:
            raise BadRequest(f"Requested rescue image '{image_ref}' is not supported") from None
        if image.get("img_block_device_mapping") or image.get("block_device_mapping"):
            raise BadRequest(f"Requested rescue image '{image_ref}' is not supported")
        props = image_meta.properties(image)
    _check_volumes_in_use(ctx, row)
    stable = ctx.version >= STABLE_RESCUE_BFV and "hw_rescue_bus" in props and "hw_rescue_device" in props
    if volume_backed.is_volume_backed(row):
        if not stable:
            raise BadRequest(f"Instance {row['id']} cannot be rescued: Cannot rescue a volume-backed instance")
        if not drivers.current().rescues_volume_backed:
            raise BadRequest(f"Instance {row['id']} cannot be rescued: Host unable to rescue a volume-backed "
                             f"instance")
    _start(ctx, row, "rescue", "rescue", "rescuing", rescue_image_ref=image_ref)
    return json_response(200, {"adminPass": body.get("adminPass") or secrets.token_urlsafe(9)})


def _check_volumes_in_use(ctx: Context, row: dict[str, Any]) -> None:
    """nova's _check_volume_status: every volume the server holds must be in-use (409 otherwise)."""
    va = t.volume_attachments
    with db.reader() as conn:
        held = conn.execute(sa.select(va.c.volume_id).where(va.c.server_id == row["id"])).scalars().all()
    for volume_id in held:
        vol = volume_api.get(ctx.token, row["project_id"], volume_id)
        if vol is not None and vol["status"] != "in-use":
            raise Conflict(f"Invalid volume: volume '{volume_id}' status must be 'in-use'. Currently in "
                           f"'{vol['status']}' status")


STABLE_RESCUE_BFV = v.V("2.87", "a volume-backed server may be rescued with a stable rescue image")


RESCUE = {"type": "object", "required": ["rescue"], "additionalProperties": False, "properties": {
    "rescue": {"type": ["object", "null"], "additionalProperties": False, "properties": {
        "adminPass": {"type": "string"}, "rescue_image_ref": {"type": "string", "format": "uuid"}}}}}


def rescue_body(body: Any) -> dict[str, Any]:
    """nova's rescue schema: null, or an object with adminPass and rescue_image_ref (a uuid) only."""
    schemas.validate(RESCUE, {"rescue": body})
    return body or {}


def lock(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    reason = (body or {}).get("locked_reason") if isinstance(body, dict) else None
    if reason is not None and ctx.version < v.LOCKED_REASON:
        raise BadRequest("Invalid input for field/attribute lock.")
    with db.session() as conn:
        common.set_server(conn, row["id"], locked=True, locked_by="admin" if ctx.is_admin and
                          ctx.project_id != row["project_id"] else "owner", locked_reason=reason)
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "lock"), "lock")


def unlock(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    if row["locked_by"] == "admin" and ctx.project_id == row["project_id"]:
        common.enforce(ctx, P + "os-lock-server:unlock:unlock_override", {"project_id": row["project_id"]})
    with db.session() as conn:
        common.set_server(conn, row["id"], locked=False, locked_by=None, locked_reason=None)
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "unlock"), "unlock")


def create_image(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    common.check_state(row, "createImage", ["active", "stopped", "paused", "suspended"])
    props = {k: str(val) for k, val in (body.get("metadata") or {}).items()}
    if volume_backed.is_volume_backed(row):
        common.enforce(ctx, P + "servers:create_image:allow_volume_backed",
                       {"project_id": row["project_id"], "user_id": row["user_id"]})
        image_id = volume_backed.snapshot_volume_backed(ctx, row, body["name"], props)
    else:
        image_id = _snapshot_image(ctx, row, body["name"], props)
        _start(ctx, row, "createImage", "createImage", "image_snapshot", lock=False, image_id=image_id)
    href = f"{ctx.base_url}/compute/v2.1/images/{image_id}"
    if ctx.version >= IMAGE_ID_BODY:
        return json_response(202, {"image_id": image_id})
    return empty(202, {"Location": href})


def create_backup(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    if not isinstance(body, dict) or not all(k in body for k in ("name", "backup_type", "rotation")):
        raise BadRequest("Invalid input for field/attribute createBackup.")
    try:
        rotation = int(body["rotation"])
    except (TypeError, ValueError):
        raise BadRequest("Invalid input for field/attribute rotation.") from None
    if rotation < 0:
        raise BadRequest("Invalid input for field/attribute rotation.")
    common.check_state(row, "createBackup", ["active", "stopped", "paused", "suspended"])
    props = {**{k: str(val) for k, val in (body.get("metadata") or {}).items()}, "backup_type": body["backup_type"]}
    image_id = _snapshot_image(ctx, row, body["name"], {**props, "image_type": "backup"})
    _start(ctx, row, "createImage", "createBackup", "image_backup", lock=False, image_id=image_id,
           rotation=rotation, backup_type=body["backup_type"])
    if ctx.version >= IMAGE_ID_BODY:
        return json_response(202, {"image_id": image_id})
    return empty(202, {"Location": f"{ctx.base_url}/compute/v2.1/images/{image_id}"})


IMAGE_ID_BODY = v.V("2.45", "createImage returns the image id in the body, not a Location")


def console_output(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    return consoles.console_output(ctx, row, body)


def vnc_console(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    return consoles.legacy_console(ctx, row, key, body)


def change_password(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    """nova's set_admin_password: ACTIVE with no task, the action recorded, then the guest's host sets it
    while the caller waits (an RPC call): 409 when it is not running or has no agent, 501 when the
    driver cannot."""
    if not isinstance(body, dict) or set(body) - {"adminPass"} or not isinstance(body.get("adminPass"), str):
        raise BadRequest("Invalid input for field/attribute changePassword.")
    common.check_state(row, "changePassword", ["active"])
    with db.session() as conn:
        action_id = common.record_action(conn, ctx, row["id"], "changePassword")
    if row["power_state"] != common.RUNNING:
        raise Conflict(f"Failed to set admin password on {row['id']} because instance {row['id']} is not running")
    result = "Error"
    try:
        drivers.on_guest_host(row, "set_admin_password", body["adminPass"])
        result = "Success"
    finally:
        with db.session() as conn:
            common.record_event(conn, action_id, "compute_set_admin_password", result)


MIGRATE_HOST = v.V("2.56", "cold migration takes a destination host")
ASYNC_LIVE_MIGRATION = v.V("2.25", "live migration is asynchronous")
EVACUATE_NO_PASSWORD = v.V("2.14", "evacuate answers without adminPass and drops onSharedStorage")


def _destination(ctx: Context, row: dict[str, Any], host: Any, rule: str) -> str | None:
    """The destination host an admin asked for (its own policy rule): a known compute host, not the
    server's own (nova: ComputeHostNotFound, CannotMigrateToSameHost / UnableToMigrateToSelf, 400)."""
    if host is None:
        return None
    common.enforce(ctx, rule, {"project_id": row["project_id"], "user_id": row["user_id"]})
    if not isinstance(host, str) or not host or not hosts.rows("nova-compute", host):
        raise BadRequest(f"Compute host {host} could not be found.")
    if host == row["host"]:
        raise BadRequest(f"Unable to migrate instance ({row['id']}) to current host ({host}).")
    return host


def _movable(row: dict[str, Any]) -> bool:
    """Guests move between hosts with drivers that can (the fake one: its guests are rows)."""
    return bool(drivers.current().moves_guests)


def _can_move(row: dict[str, Any], dest: str | None) -> bool:
    """Whether the scheduler has somewhere to move the server (nova's synchronous NoValidHost)."""
    return _movable(row) and bool(scheduler.candidate_hosts(row, exclude=row["host"], host=dest, move=True))


def migrate(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    """Cold migration: a resize to another host with the same flavor (VERIFY_RESIZE, then confirm or
    revert), nova's migrate_server with the scheduler choosing unless 2.56's `host` is given."""
    common.check_state(row, "migrate", ["active", "stopped"])
    host = (body or {}).get("host") if isinstance(body, dict) and ctx.version >= MIGRATE_HOST else None
    dest = _destination(ctx, row, host, P + "os-migrate-server:migrate:host")
    if not _can_move(row, dest):
        raise BadRequest("No valid host was found. No valid host found for cold migrate")
    _start(ctx, row, "resize", "migrate", "resize_prep", flavor=row["flavor"], flavor_id=row["flavor_id"],
           migration_uuid=new_uuid(), migration=("migration", None, dest), migrate=True, host=dest)


def live_migrate(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    common.check_state(row, "os-migrateLive", ["active", "paused"])
    dest = _destination(ctx, row, body.get("host") if isinstance(body, dict) else None,
                        P + "os-migrate-server:migrate_live:host")
    if ctx.version < ASYNC_LIVE_MIGRATION and not _can_move(row, dest):
        raise BadRequest("No valid host was found. ")
    _start(ctx, row, "live-migration", "live-migration", "migrating", migration_uuid=new_uuid(),
           migration=("live-migration", None, dest), host=dest)


def evacuate(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    """Rebuild a server of a host that is down on another host (nova's evacuate: 400 while the source's
    compute service is up)."""
    common.check_state(row, "evacuate", ["active", "stopped", "error"])
    body = body if isinstance(body, dict) else {}
    host = body.get("host")
    if host is not None:
        if not isinstance(host, str) or not hosts.rows("nova-compute", host):
            raise NotFound(f"Compute host {host} not found.")
        if host == row["host"]:
            raise BadRequest("The target host can't be the same one.")
    if hosts.host_up("nova-compute", row["host"]):
        raise BadRequest(f"Compute service of {row['host']} is still in use.")
    if not _movable(row):
        raise BadRequest("No valid host was found. ")
    _start(ctx, row, "evacuate", "evacuate", "rebuilding", migration_uuid=new_uuid(),
           migration=("evacuation", None, host), host=host,
           vm_state_after="stopped" if row["vm_state"] == "stopped" else "active")
    if ctx.version < EVACUATE_NO_PASSWORD:
        return json_response(200, {"adminPass": body.get("adminPass") or secrets.token_urlsafe(9)})
    return empty(200)


def crash_dump(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    if ctx.version < CRASH_DUMP:
        raise BadRequest("There is no such action: trigger_crash_dump")
    common.check_state(row, "trigger_crash_dump", ["active", "paused", "rescued", "resized", "error"])
    _start(ctx, row, "trigger_crash_dump", "trigger_crash_dump", None)


CRASH_DUMP = v.V("2.17", "trigger_crash_dump")


def security_group(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    name = (body or {}).get("name") if isinstance(body, dict) else None
    if not name or not isinstance(name, str):
        raise BadRequest("Security group name cannot be empty")
    try:
        network_api.security_group_ids(ctx.token, row["project_id"], [name])
    except network_api.NetworkError:
        raise NotFound(f"Security group {name} not found for project {row['project_id']}.") from None
    groups = list(row["security_groups"])
    if key == "addSecurityGroup":
        if name in groups:
            raise BadRequest(f"Security group {name} is already associated with the instance {row['id']}")
        groups.append(name)
    else:
        if name not in groups:
            raise BadRequest(f"Security group {name} not associated with the instance {row['id']}")
        groups.remove(name)
    ids = network_api.security_group_ids(ctx.token, row["project_id"], groups)
    with db.session() as conn:
        ports = [p.port_id for p in conn.execute(sa.select(t.server_ports.c.port_id).where(
            t.server_ports.c.server_id == row["id"]))]
    for port_id in ports:
        network_api.set_port_groups(ctx.token, port_id, ids)
    with db.session() as conn:
        common.set_server(conn, row["id"], security_groups=groups)


def force_delete(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    logic.delete_server(ctx, row["id"])


def reset_state(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    state = (body or {}).get("state") if isinstance(body, dict) else None
    if state not in ("active", "error"):
        raise BadRequest("Invalid input for field/attribute state. Value: %s." % state)
    with db.session() as conn:
        common.set_server(conn, row["id"], vm_state=state, task_state=None)
        common.record_event(conn, common.record_action(conn, ctx, row["id"], "resetState"), "reset_state")


def inject_network_info(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    return None


def floating_ip(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    if ctx.version > floating_ips.ACTIONS_LAST:
        raise NotFound("The resource could not be found.")
    (floating_ips.add_floating_ip if key == "addFloatingIp" else floating_ips.remove_floating_ip)(
        ctx, rq, row, key, body)


def fixed_ip(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    """os-multinic (2.1 to 2.43, gone with the other network proxies at 2.44). Nova casts the change to the
    compute host, so the answer is 202 whether or not a port took it; the addresses follow in the server."""
    if ctx.version > floating_ips.ACTIONS_LAST:
        raise NotFound("The resource could not be found.")
    field = "networkId" if key == "addFixedIp" else "address"
    value = body.get(field) if isinstance(body, dict) and set(body) == {field} else None
    if key == "addFixedIp" and (isinstance(value, bool) or not isinstance(value, (str, int)) or value == ""):
        raise BadRequest(f"Invalid input for field/attribute addFixedIp. Value: {body}.")
    if key == "removeFixedIp":
        try:
            ipaddress.ip_address(value if isinstance(value, str) else "")
        except ValueError:
            raise BadRequest(f"Invalid input for field/attribute removeFixedIp. Value: {body}.") from None
    with db.reader() as conn:
        ports = list(conn.execute(sa.select(t.server_ports.c.port_id).where(
            t.server_ports.c.server_id == row["id"])).scalars())
    if key == "addFixedIp":
        changed = network_api.add_fixed_ip(ctx.token, ports, str(value))
    else:
        changed = network_api.remove_fixed_ip(ctx.token, ports, str(value))
    if changed:
        info_cache.refresh(ctx.token, row["id"])


def restore(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> Any:
    common.check_state(row, "restore", ["soft-delete"])


Action = Callable[[Context, ApiRequest, dict[str, Any], str, Any], Any]
ACTIONS: dict[str, tuple[str, Action]] = {
    **{k: (rule, simple_action) for k, (rule, *_) in ASYNC.items()},
    "reboot": (P + "servers:reboot", reboot), "resize": (P + "servers:resize", resize),
    "rebuild": (P + "servers:rebuild", rebuild), "rescue": (P + "os-rescue", rescue),
    "lock": (P + "os-lock-server:lock", lock), "unlock": (P + "os-lock-server:unlock", unlock),
    "createImage": (P + "servers:create_image", create_image),
    "createBackup": (P + "os-create-backup", create_backup),
    "os-getConsoleOutput": (P + "os-console-output", console_output),
    "os-getVNCConsole": (P + "os-remote-consoles", vnc_console),
    "os-getSPICEConsole": (P + "os-remote-consoles", vnc_console),
    "os-getRDPConsole": (P + "os-remote-consoles", vnc_console),
    "os-getSerialConsole": (P + "os-remote-consoles", vnc_console),
    "changePassword": (P + "os-admin-password", change_password),
    "migrate": (P + "os-migrate-server:migrate", migrate),
    "os-migrateLive": (P + "os-migrate-server:migrate_live", live_migrate),
    "evacuate": (P + "os-evacuate", evacuate),
    "trigger_crash_dump": (P + "servers:trigger_crash_dump", crash_dump),
    "addSecurityGroup": (P + "os-security-groups:add", security_group),
    "removeSecurityGroup": (P + "os-security-groups:remove", security_group),
    "forceDelete": (P + "os-deferred-delete:force", force_delete),
    "restore": (P + "os-deferred-delete:restore", restore),
    "os-resetState": (P + "os-admin-actions:reset_state", reset_state),
    "addFloatingIp": (P + "os-floating-ips:add", floating_ip),
    "removeFloatingIp": (P + "os-floating-ips:remove", floating_ip),
    "addFixedIp": (P + "os-multinic:add", fixed_ip), "removeFixedIp": (P + "os-multinic:remove", fixed_ip),
    "injectNetworkInfo": (P + "os-admin-actions:inject_network_info", inject_network_info),
}


def server_action(ctx: Context, rq: ApiRequest) -> Any:
    if not isinstance(rq.body, dict) or len(rq.body) != 1:
        raise BadRequest("Malformed request body")
    (key, body), = rq.body.items()
    if key not in ACTIONS:
        raise BadRequest(f"There is no such action: {key}")
    rule, handler = ACTIONS[key]
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
    common.enforce(ctx, rule, {"project_id": row["project_id"], "user_id": row["user_id"]})
    if key in ("resize", "rebuild", "createImage") and not isinstance(body, dict):
        raise BadRequest(f"Invalid input for field/attribute {key}.")
    if key == "resize" and "flavorRef" not in body:
        raise BadRequest("Invalid input for field/attribute resize. 'flavorRef' is a required property")
    if key in ("createImage", "createBackup") and not body.get("name"):
        raise BadRequest(f"Invalid input for field/attribute {key}. 'name' is a required property")
    if key in ("createImage", "createBackup"):
        schemas_check(body.get("metadata"))
    if key not in ("lock", "unlock", "createImage", "os-getConsoleOutput", "os-resetState",
                   *consoles.LEGACY_TYPES):
        common.check_locked(ctx, row)
    result = handler(ctx, rq, row, key, body)
    return result if result is not None else empty(202)


# the rule depends on the action in the body (nova checks it in each action method)
ACTION_RULES = in_handler(*(rule for rule, _ in ACTIONS.values()),
                          P + "os-lock-server:unlock:unlock_override",
                          P + "servers:create_image:allow_volume_backed",
                          P + "os-migrate-server:migrate:host", P + "os-migrate-server:migrate_live:host")
ROUTES = [route("POST", "/v2.1/servers/{server_id}/action", server_action, policy=ACTION_RULES)]
