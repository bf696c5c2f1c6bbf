"""The compute manager: durable jobs that move servers through nova's states (build and run, delete, and
the asynchronous actions), calling the network and image services over REST. A build is scheduled by
whichever host claims it (nova's conductor and scheduler), then runs on the chosen host: the job is
enqueued again pinned to it; every other job on a server is pinned to the host that runs its guest."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client, jobs, service_auth
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import common, drivers, migrations
from pocketstack.services.compute import notifications as instance_notifications
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.servers import (
    logic, network_api, placement_api, power_sync, volume_api, volume_backed, volumes)

LOG = logging.getLogger("pocketstack.compute")
ACTION = "compute.server_action"

# action -> (vm_state after, power_state after, the compute manager's event name)
OUTCOMES: dict[str, tuple[str | None, int | None, str]] = {
    "stop": ("stopped", common.SHUTDOWN, "compute_stop_instance"),
    "start": ("active", common.RUNNING, "compute_start_instance"),
    "reboot": ("active", common.RUNNING, "compute_reboot_instance"),
    "pause": ("paused", common.PAUSED, "compute_pause_instance"),
    "unpause": ("active", common.RUNNING, "compute_unpause_instance"),
    "suspend": ("suspended", common.SHUTDOWN, "compute_suspend_instance"),
    "resume": ("active", common.RUNNING, "compute_resume_instance"),
    "shelve": ("shelved_offloaded", common.SHUTDOWN, "compute_shelve_instance"),
    "shelveOffload": ("shelved_offloaded", common.SHUTDOWN, "compute_shelve_offload_instance"),
    "unshelve": ("active", common.RUNNING, "compute_unshelve_instance"),
    "resize": ("resized", None, "compute_finish_resize"),
    "confirmResize": (None, None, "compute_confirm_resize"),
    "revertResize": (None, None, "compute_finish_revert_resize"),
    "rebuild": (None, common.RUNNING, "compute_rebuild_instance"),
    "rescue": ("rescued", common.RUNNING, "compute_rescue_instance"),
    "unrescue": ("active", common.RUNNING, "compute_unrescue_instance"),
    "createImage": (None, None, "compute_snapshot_instance"),
    "trigger_crash_dump": (None, None, "compute_trigger_crash_dump"),
    "live-migration": (None, None, "compute_live_migration"),
    "evacuate": (None, None, "compute_rebuild_instance"),
}
# action -> nova's versioned notification (instance.<name>.start / .end, InstanceActionPayload)
NOTIFIED = {"stop": "power_off", "start": "power_on", "reboot": "reboot", "pause": "pause",
            "unpause": "unpause", "suspend": "suspend", "resume": "resume"}


def _server(server_id: str) -> dict[str, Any] | None:
    with db.reader() as conn:
        row = conn.execute(sa.select(t.servers).where(t.servers.c.id == server_id)).mappings().first()
    return dict(row) if row else None


def _acting(p: dict[str, Any]) -> service_auth.ActingFor:
    """How this job calls Neutron, Cinder and Glance: as nova's service user, for the user who asked."""
    return service_auth.acting_for("compute", p["caller"])


def _fault(message: str, code: int = 500, details: str = "") -> dict[str, Any]:
    return {"code": code, "message": message[:255], "details": details, "created": isotime(utcnow())}


def build(p: dict[str, Any]) -> None:
    row = _server(p["server_id"])
    if row is None or row["deleted"] or row["vm_state"] != "building":
        return
    if row["host"] is None:                     # not scheduled yet (a build handed to its host has one)
        instance_notifications.instance(p.get("caller") or {}, row["id"], "create.start")
    try:
        host = placement_api.claim(row)
        if host != common.HOST:                  # the chosen host builds it (nova's build_and_run_instance)
            with db.session() as conn:
                common.set_server(conn, row["id"], host=host)
                jobs.enqueue(conn, logic.BUILD, p, max_attempts=3, host=host)
            return
        acting = _acting(p)
        _allocate(acting, row)
        _block_devices(acting, row)
        drivers.current().spawn(row, acting)
    except Exception as exc:  # noqa: BLE001 - a failed build puts the server in ERROR with a fault
        if _deleted_meanwhile(row["id"]):
            # the delete ran while the build was still making ports, volumes or disks: what came after its
            # release goes now (nova's _cleanup_allocated_networks when a build finds its instance deleted)
            LOG.info("server %s was deleted while it was being built: releasing what the build made", row["id"])
            _release_resources(p, row)
            return
        if not network_api.is_api_error(exc) and not isinstance(exc, (NoValidHost, volume_api.VolumeError)):
            LOG.exception("build of %s failed", row["id"])
        _free_quietly(row["id"])
        with db.session() as conn:
            common.set_server(conn, row["id"], vm_state="error", task_state=None, fault=_fault(
                str(exc), details=traceback.format_exc() if not isinstance(exc, NoValidHost) else ""))
            common.record_event(conn, p.get("action_id"), "compute__do_build_and_run_instance", "Error",
                                traceback.format_exc())
        return
    if _deleted_meanwhile(row["id"]):          # the same race, the build having got through
        _release_resources(p, row)
        return
    with db.session() as conn:
        common.set_server(conn, row["id"], vm_state="active", task_state=None, power_state=common.RUNNING,
                          launched_at=utcnow(), host=common.HOST, progress=0)
        common.record_event(conn, p.get("action_id"), "compute__do_build_and_run_instance")
    instance_notifications.instance(p.get("caller") or {}, row["id"], "create.end", message="Success")


NoValidHost = placement_api.NoValidHost


def enqueue_on(conn: Any, row: dict[str, Any], kind: str, payload: dict[str, Any], **kw: Any) -> str:
    """A job on a server, pinned to the host that runs its guest (any host when it has none)."""
    return jobs.enqueue(conn, kind, payload, host=row.get("host"), **kw)


def _free_quietly(consumer: str) -> None:
    try:
        placement_api.free(consumer)
    except Exception:  # noqa: BLE001 - a failed cleanup is logged, the build's own error matters more
        LOG.exception("could not free the allocations of %s", consumer)


def _allocate(token: Auth | None, row: dict[str, Any]) -> None:
    with db.reader() as conn:
        done = {r.position for r in conn.execute(sa.select(t.server_ports.c.position).where(
            t.server_ports.c.server_id == row["id"]))}
    group_ids: list[str] | None = None
    for position, req in enumerate(row["networks"]):
        if position in done:
            continue
        if req.get("port_id"):
            port = network_api.claim_port(token, row["id"], req["port_id"], row["availability_zone"])
        else:
            if group_ids is None:
                # nova's _clean_security_groups: "default" alone is not sent, neutron applies it itself, and only
                # where port security is on (a network without it takes the port then, instead of failing)
                groups = [] if list(row["security_groups"]) == ["default"] else list(row["security_groups"])
                group_ids = network_api.security_group_ids(token, row["project_id"], groups) if groups else []
            port = network_api.create_port(token, row["id"], req, group_ids, row["availability_zone"])
        network_api.bind_port(token, port["id"], common.HOST)
        described = network_api.describe(token, port)     # never a call to a service inside a transaction
        with db.session() as conn:
            conn.execute(t.server_ports.insert().values(
                server_id=row["id"], position=position, preexisting=bool(req.get("port_id")), tag=req.get("tag"),
                **described))


def _block_devices(token: Auth | None, row: dict[str, Any]) -> None:
    """Boot from volume: create volumes from images, then attach every requested volume (nova's
    _prep_block_device); the boot volume is /dev/vda."""
    with db.reader() as conn:
        done = {a["volume_id"] for a in volumes.attachments_of(conn, [row["id"]])[row["id"]]}
    used = (["/dev/vda"] if row["image_id"] else []) + volumes.local_devices(row["flavor"])
    for bdm in sorted(row["block_devices"] or [], key=lambda b: (b["boot_index"] is None, b["boot_index"] or 0)):
        volume_id = bdm["uuid"] if bdm["source"] == "volume" else None
        if volume_id in done:
            continue
        if volume_id is None:
            volume_id = volume_api.create(token, row["project_id"], _new_volume(bdm))
        device = "/dev/vda" if bdm["boot_index"] == 0 else volumes.next_device(used)
        used.append(device)
        attachment_id = volume_api.attach(token, row["project_id"], volume_id, row["id"], device, row.get("host"))
        multiattach = bdm["source"] == "volume" and bool((volume_api.get(token, row["project_id"], volume_id)
                                                          or {}).get("multiattach"))
        with db.session() as conn:
            volumes.record(conn, row["id"], volume_id, attachment_id, device, tag=bdm.get("tag"),
                           delete_on_termination=bdm["delete_on_termination"], boot_index=bdm["boot_index"],
                           multiattach=multiattach)


def _new_volume(bdm: dict[str, Any]) -> dict[str, Any]:
    """The volume nova's driver_block_device makes for an image, snapshot or blank mapping."""
    source = {"image": "imageRef", "snapshot": "snapshot_id"}.get(bdm["source"])
    return {"size": bdm["size"], "name": "", "volume_type": bdm.get("volume_type"),
            **({source: bdm["uuid"]} if source else {})}


def _release_resources(p: dict[str, Any], row: dict[str, Any]) -> None:
    """What a server holds: its ports, its guest and disks, its volumes, its allocations."""
    with db.reader() as conn:
        ports = conn.execute(sa.select(t.server_ports).where(t.server_ports.c.server_id == row["id"])).mappings().all()
    for port in ports:
        try:
            network_api.release_port(_acting(p), port["port_id"], port["preexisting"])
        except network_api.NetworkError:
            LOG.warning("could not release port %s of server %s", port["port_id"], row["id"])
        with db.session() as conn:
            conn.execute(t.server_ports.delete().where(t.server_ports.c.server_id == row["id"],
                                                       t.server_ports.c.port_id == port["port_id"]))
    drivers.current().destroy(row, _acting(p))
    volumes.release_all(_acting(p), row)
    placement_api.free(row["id"])


def _deleted_meanwhile(server_id: str) -> bool:
    with db.reader() as conn:
        now = conn.execute(sa.select(t.servers.c.deleted, t.servers.c.task_state).where(
            t.servers.c.id == server_id)).first()
    return now is None or bool(now.deleted) or now.task_state == "deleting"


def delete(p: dict[str, Any]) -> None:
    row = _server(p["server_id"])
    if row is None or row["deleted"]:
        return
    instance_notifications.instance(p.get("caller") or {}, row["id"], "delete.start")
    _release_resources(p, row)
    if (row["old_flavor"] or {}).get("migration_uuid"):
        placement_api.free(row["old_flavor"]["migration_uuid"])
    if row["shelved_image_id"]:
        internal_client.call("DELETE", f"/image/v2/images/{row['shelved_image_id']}", token=_acting(p))
    now = utcnow()
    with db.session() as conn:
        common.set_server(conn, row["id"], deleted=True, deleted_at=now, terminated_at=now, vm_state="deleted",
                          task_state=None, power_state=common.NOSTATE)
        common.record_event(conn, p.get("action_id"), "compute_terminate_instance")
    instance_notifications.instance(p.get("caller") or {}, row["id"], "delete.end")


def act(p: dict[str, Any]) -> None:
    """Finish an asynchronous action the API started (task_state set, action recorded)."""
    row = _server(p["server_id"])
    if row is None or row["deleted"]:
        return
    action = p["action"]
    vm_state, power, event = OUTCOMES[action]
    if action in NOTIFIED:
        instance_notifications.instance(p.get("caller") or {}, row["id"], f"{NOTIFIED[action]}.start")
    values: dict[str, Any] = {"task_state": None}
    if action == "createImage":
        _upload_snapshot(p, row)
        if "rotation" in p:
            _rotate(p, row)
    elif action == "resize":                    # and a cold migration: the same flavor, another host
        migration_uuid = p.get("migration_uuid") or p["action_id"]
        try:
            dest = placement_api.start_resize(row, migration_uuid, p["flavor"], host=p.get("host"),
                                              exclude=row["host"] if p.get("migrate") else None)
        except NoValidHost as exc:
            _no_host(p, row, event, exc)
            return
        migrations.set_status(p.get("migration_uuid"), "finished", dest)
        values.update(flavor=p["flavor"], flavor_id=p["flavor_id"], host=dest,
                      old_flavor={**row["flavor"], "id": row["flavor_id"], "prior_vm_state": row["vm_state"],
                                  "migration_uuid": migration_uuid, "source_host": row["host"]})
    elif action in ("confirmResize", "revertResize"):
        old = row["old_flavor"] or {}
        if old.get("migration_uuid"):
            if action == "confirmResize":
                placement_api.confirm_resize(old["migration_uuid"])
            else:
                placement_api.revert_resize(row, old["migration_uuid"])
            migrations.set_status(old["migration_uuid"], "confirmed" if action == "confirmResize" else "reverted")
        vm_state = old.get("prior_vm_state", "active")
        if action == "revertResize" and old:
            values.update(flavor={k: val for k, val in old.items()
                                  if k not in ("id", "prior_vm_state", "migration_uuid", "source_host")},
                          flavor_id=old["id"], host=old.get("source_host") or row["host"])
        values["old_flavor"] = None
    elif action == "rebuild":
        if row["image_id"]:                   # a volume-backed server keeps showing no image (nova: "")
            values.update(image_id=p["image_id"])
        vm_state = p.get("vm_state_after") or "active"
        power = common.SHUTDOWN if vm_state == "stopped" else common.RUNNING
    elif action == "unshelve":
        try:
            host = placement_api.claim(row)
        except NoValidHost as exc:
            _no_host(p, row, event, exc)
            return
        if host != common.HOST:                  # the chosen host spawns it
            _hand_to(host, p, row)
            return
        values.update(host=common.HOST, shelved_image_id=None)
    elif action == "live-migration":
        try:                                    # nowhere to go: nova's NoValidHost, the migration in error
            if not drivers.current().moves_guests:
                raise NoValidHost(placement_api.NO_VALID_HOST)
            dest = placement_api.move_to(row, exclude=row["host"], host=p.get("host"))
        except NoValidHost as exc:
            _no_host(p, row, event, exc)
            return
        migrations.set_status(p.get("migration_uuid"), "completed", dest)
        values["host"] = dest
    elif action == "evacuate":
        if "dest" not in p:                     # scheduling, on any host: then the destination rebuilds it
            try:
                dest = placement_api.move_to(row, exclude=row["host"], host=p.get("host"))
            except NoValidHost as exc:
                _no_host(p, row, event, exc)
                return
            migrations.set_status(p.get("migration_uuid"), "pre-migrating", dest)
            _hand_to(dest, {**p, "dest": dest}, row)
            return
        migrations.set_status(p.get("migration_uuid"), "done")
        vm_state = p.get("vm_state_after") or "active"
        power = common.SHUTDOWN if vm_state == "stopped" else common.RUNNING
    elif action == "shelve":
        values["host"] = None
        placement_api.free(row["id"])
        if row["shelved_image_id"]:
            _upload_snapshot({**p, "image_id": row["shelved_image_id"]}, row)
    elif action == "shelveOffload":
        values["host"] = None
        placement_api.free(row["id"])
    _drive(action, p, row)
    if action == "unshelve" and row["shelved_image_id"]:       # the guest booted from it: gone now
        internal_client.call("DELETE", f"/image/v2/images/{row['shelved_image_id']}", token=_acting(p))
    if vm_state is not None:
        values["vm_state"] = vm_state
    if power is not None:
        values["power_state"] = power
    if values.get("host") and values["host"] != row["host"]:
        _rebind(p, row, values["host"])
    with db.session() as conn:
        common.set_server(conn, row["id"], **values)
        common.record_event(conn, p.get("action_id"), event)
    if action in NOTIFIED:
        instance_notifications.instance(p.get("caller") or {}, row["id"], f"{NOTIFIED[action]}.end")


def _no_host(p: dict[str, Any], row: dict[str, Any], event: str, exc: Exception) -> None:
    """A move found no host: the server as it was, the event and the migration in error."""
    with db.session() as conn:
        common.set_server(conn, row["id"], task_state=None)
        common.record_event(conn, p.get("action_id"), event, "Error", str(exc))
    migrations.set_status(p.get("migration_uuid"), "error")


def _rebind(p: dict[str, Any], row: dict[str, Any], host: str) -> None:
    """The server's ports follow it to its new host (nova's binding:host_id update after a move)."""
    with db.reader() as conn:
        ports = conn.execute(sa.select(t.server_ports.c.port_id).where(
            t.server_ports.c.server_id == row["id"])).scalars().all()
    for port_id in ports:
        network_api.bind_port(_acting(p), port_id, host)


def _hand_to(host: str, p: dict[str, Any], row: dict[str, Any]) -> None:
    """The rest of this action runs on `host` (the one the scheduler picked): the server is on it now."""
    with db.session() as conn:
        common.set_server(conn, row["id"], host=host)
        jobs.enqueue(conn, ACTION, p, host=host)


def _rebuild(d: drivers.ComputeDriver, row: dict[str, Any], p: dict[str, Any], token: Auth | None) -> None:
    if not row["image_id"]:                   # volume-backed: the root volume is reimaged at 2.93, else kept
        d.rebuild(row, None, token, (lambda: volume_backed.reimage_root(token, row, p["image_id"]))
                  if p.get("reimage") else None)
    else:
        d.rebuild(row, p["image_id"], token)


def _drive(action: str, p: dict[str, Any], row: dict[str, Any]) -> None:
    """The hypervisor's half of an action (the database half is act's); createImage and shelve upload
    their snapshot above, through the driver too."""
    d, token = drivers.current(), _acting(p)
    calls = {"stop": lambda: d.power_off(row), "start": lambda: d.power_on(row),
             "reboot": lambda: d.reboot(row, p.get("reboot_type", "SOFT").upper() == "HARD"),
             "pause": lambda: d.pause(row), "unpause": lambda: d.unpause(row), "suspend": lambda: d.suspend(row),
             "resume": lambda: d.resume(row), "shelve": lambda: d.destroy(row, token),
             "shelveOffload": lambda: d.destroy(row, token), "unshelve": lambda: d.spawn(row, token),
             "resize": lambda: d.resize(row, p["flavor"]), "confirmResize": lambda: d.confirm_resize(row),
             "revertResize": lambda: d.revert_resize(row),
             "rebuild": lambda: _rebuild(d, row, p, token), "rescue": lambda: d.rescue(row, token, p.get("rescue_image_ref")),
             "evacuate": lambda: d.spawn(row, token),
             "unrescue": lambda: d.unrescue(row), "trigger_crash_dump": lambda: d.trigger_crash_dump(row)}
    if action in calls:
        calls[action]()


def _upload_snapshot(p: dict[str, Any], row: dict[str, Any]) -> None:
    """createImage and shelve: the driver uploads the server's disk into the queued snapshot image."""
    drivers.current().snapshot(row, p["image_id"], _acting(p))


def _rotate(p: dict[str, Any], row: dict[str, Any]) -> None:
    """createBackup: keep the newest `rotation` backups of this type (nova's _rotate_backups)."""
    query = (f"instance_uuid={row['id']}&image_type=backup&backup_type={p['backup_type']}"
             "&sort_key=created_at&sort_dir=desc&limit=1000")
    r = internal_client.call("GET", f"/image/v2/images?{query}", token=_acting(p))
    images = r.json().get("images", []) if r.status_code == 200 else []
    for image in images[p["rotation"]:]:
        internal_client.call("DELETE", f"/image/v2/images/{image['id']}", token=_acting(p))


def build_failed(p: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        common.set_server(conn, p["server_id"], vm_state="error", task_state=None, fault=_fault(error))


def action_failed(p: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        common.set_server(conn, p["server_id"], task_state=None)
        common.record_event(conn, p.get("action_id"), OUTCOMES[p["action"]][2], "Error", error)


# Payload version 2: who asked (service_auth.caller: ids, never a token), acted for by `_acting`.
# Version 1 carried the user's token: it becomes the ids that token names (while keystone still
# validates it, allow_expired), or else the server's owner.
PAYLOAD_VERSION = 2


def upgrade_payload(payload: dict[str, Any], version: int) -> dict[str, Any]:
    stored = payload.pop("token", None)
    if "caller" not in payload:
        who = service_auth.caller_of_token("compute", stored) if stored else None
        if who is None:
            row = _server(payload["server_id"]) or {}
            who = {"user_id": row.get("user_id"), "project_id": row.get("project_id")}
        payload["caller"] = who
    return payload


def register(settings: Any = None) -> None:
    drivers.configure(settings)
    placement_api.configure(settings)
    versioned = {"version": PAYLOAD_VERSION, "upgrade": upgrade_payload}
    jobs.register(logic.BUILD, build, build_failed, **versioned)
    jobs.register(logic.DELETE, delete, None, **versioned)
    jobs.register(ACTION, act, action_failed, **versioned)
    drivers.register_calls()
    power_sync.start(settings)
